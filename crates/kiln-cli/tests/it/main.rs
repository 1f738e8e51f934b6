//! Integration tests: the real `kiln` binary run in a temporary folder, with `KILN_CACHE`
//! pointing at an empty temporary cache so that nothing is ever downloaded. Every dataset used
//! is generated (`moons`) or a small file written by the test.

mod bad_input;
mod generate;
mod monitor;
mod serve;
mod text;
mod util;
mod workflow;
