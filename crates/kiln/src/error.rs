use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong between a spec and a prediction.
#[derive(Debug, Error)]
pub enum Error {
    /// The spec is malformed or inconsistent.
    #[error(transparent)]
    Spec(Box<kiln_spec::SpecError>),
    /// Reading, fetching, splitting or encoding data failed.
    #[error(transparent)]
    Data(Box<kiln_data::DataError>),
    /// The network could not be built or loaded.
    #[error(transparent)]
    Model(Box<kiln_model::ModelError>),
    /// Training failed.
    #[error(transparent)]
    Train(Box<kiln_train::TrainError>),
    /// A model file is unreadable or could not be written.
    #[error(transparent)]
    Artifact(Box<kiln_artifact::ArtifactError>),
    /// Metrics could not be computed.
    #[error(transparent)]
    Eval(Box<kiln_eval::EvalError>),
    /// The monitoring profile could not be built.
    #[error(transparent)]
    Monitor(Box<kiln_monitor::MonitorError>),
    /// A Bayesian network could not be configured or fitted.
    #[error(transparent)]
    Bayes(Box<kiln_bayes::BayesError>),
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

macro_rules! boxed_from {
    ($($variant:ident: $ty:ty),* $(,)?) => {
        $(impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                // Boxed so that `Result<T, Error>` stays small on the happy path.
                Self::$variant(Box::new(e))
            }
        })*
    };
}

boxed_from! {
    Spec: kiln_spec::SpecError,
    Data: kiln_data::DataError,
    Model: kiln_model::ModelError,
    Train: kiln_train::TrainError,
    Artifact: kiln_artifact::ArtifactError,
    Eval: kiln_eval::EvalError,
    Monitor: kiln_monitor::MonitorError,
    Bayes: kiln_bayes::BayesError,
}
