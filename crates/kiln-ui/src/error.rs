//! What can go wrong drawing a page.

use std::path::PathBuf;

/// An error building a page or a report.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// The runs store refused or failed (an unknown run, a bad filter, a locked database).
    #[error(transparent)]
    Runs(#[from] kiln_runs::RunsError),
    /// A model file (a path, or a run's `model.kiln` artifact) could not be read.
    #[error("{path}: {source}")]
    Model {
        /// The file, or `RUN/model.kiln`.
        path: PathBuf,
        /// Why.
        source: kiln_artifact::ArtifactError,
    },
    /// Reading an artifact's bytes failed.
    #[error("reading {what}: {source}")]
    Io {
        /// What was read.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, UiError>;
