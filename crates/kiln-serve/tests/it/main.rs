//! kiln-serve's integration tests: who may reach which route (`admin`), protocols, the bad-request suite, batching, queue bounds,
//! hot swap, graceful shutdown, live monitoring, and Bayesian models' uncertainty in answers. Models are
//! trained in the test (moons, a small mixed-type regression, a tiny image classifier, two
//! short ADVI fits) in a few seconds.

mod admin;
mod bad_requests;
mod bayes;
mod engine;
mod generate;
mod monitoring;
mod protocols;
mod socket;
mod tracking;
mod ui;
mod util;
