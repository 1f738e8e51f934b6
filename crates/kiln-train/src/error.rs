use thiserror::Error;

/// What can stop training with an error.
#[derive(Debug, Error)]
pub enum TrainError {
    /// The loss became NaN or infinite.
    #[error(
        "loss became {value} at epoch {epoch}, step {step}; try a smaller learning rate or check the inputs for extreme values"
    )]
    NonFinite {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step within the epoch.
        step: usize,
        /// The offending loss value, rendered.
        value: String,
    },
    /// Nothing to train on.
    #[error("the training split is empty; use more rows or smaller validation/test fractions")]
    EmptyTrainingSet,
    /// The network could not be built.
    #[error(transparent)]
    Model(#[from] kiln_model::ModelError),
    /// A checkpoint does not match this run.
    #[error("cannot resume: {0}")]
    Resume(String),
}
