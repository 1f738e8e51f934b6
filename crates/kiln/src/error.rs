use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong between a spec and a prediction.
#[derive(Debug, Error)]
pub enum Error {
    /// The spec is malformed or inconsistent.
    #[error(transparent)]
    Spec(#[from] kiln_spec::SpecError),
    /// Reading, fetching, splitting or encoding data failed.
    #[error(transparent)]
    Data(#[from] kiln_data::DataError),
    /// The network could not be built or loaded.
    #[error(transparent)]
    Model(#[from] kiln_model::ModelError),
    /// Training failed.
    #[error(transparent)]
    Train(#[from] kiln_train::TrainError),
    /// A model file is unreadable or could not be written.
    #[error(transparent)]
    Artifact(#[from] kiln_artifact::ArtifactError),
    /// Metrics could not be computed.
    #[error(transparent)]
    Eval(#[from] kiln_eval::EvalError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A request that cannot be carried out, with the reason.
    #[error("{0}")]
    Invalid(String),
}
