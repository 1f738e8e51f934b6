//! kiln-model's integration tests: gradient checks for every layer type against finite
//! differences, and the weights round trip.

mod gradcheck;
mod layers;
mod weights;
