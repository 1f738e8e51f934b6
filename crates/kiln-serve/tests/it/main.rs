//! kiln-serve's integration tests: protocols, the bad-request suite, batching, queue bounds,
//! hot swap and graceful shutdown. Models are trained in the test (moons, a small mixed-type
//! regression, a tiny image classifier) in a few seconds.

mod bad_requests;
mod engine;
mod generate;
mod protocols;
mod socket;
mod util;
