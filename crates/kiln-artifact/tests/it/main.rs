//! kiln-artifact's integration tests: damaged, foreign and newer model files, read from disk.
//! The files are synthetic, written byte by byte following the layout in the crate's docs, so
//! no model is trained. (That a foreign file's error quotes none of its bytes is a unit test
//! beside the reader, in `src/container.rs`.)

mod damaged;
