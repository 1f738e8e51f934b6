//! # kiln-artifact
//!
//! The model file. One file holds everything serving needs and nothing it must re-derive:
//! the spec (as written and as parsed), the fitted transforms ([`kiln_data::Encoder`]), the
//! network structure and its weights (burnpack, which Burn reads), the training history and
//! metrics, a digest of the training data, and the kiln version. Checkpoints use the same
//! container with the optimiser state added.
//!
//! ## Layout
//!
//! ```text
//! magic        8 bytes  "KILNMDL\0"
//! version      u32 LE   container format version (currently 1)
//! header_len   u64 LE
//! header       JSON     ModelHeader
//! sections     u32 LE count, then per section: u16 LE name length, name (UTF-8),
//!                       u64 LE length, bytes
//! checksum     32 bytes SHA-256 of everything above
//! ```
//!
//! **Invariant:** files are written to a temporary file in the destination folder and renamed
//! into place, so a reader never sees a half-written file and a failed write never destroys the
//! previous one.

mod container;
mod header;
pub mod sections;

pub use container::{ArtifactError, FORMAT_VERSION, MAGIC, ModelFile};
pub use header::{BayesRecord, DataRecord, FileKind, ModelHeader, TrainingRecord};
