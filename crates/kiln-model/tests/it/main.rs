//! kiln-model's integration tests: gradient checks for every layer type against finite
//! differences, the weights round trip, and the recurrent layers against PyTorch.

mod conv1d;
mod fixture;
mod gradcheck;
mod layer_norm;
mod layers;
mod recurrent;
mod weights;
