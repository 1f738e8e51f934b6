//! What can go wrong in a study.

use thiserror::Error;

/// A tuning error.
#[derive(Debug, Error)]
pub enum TuneError {
    /// A `[tune.space]` entry that cannot be searched.
    #[error("tune.space.\"{path}\": {reason}")]
    Dimension {
        /// The spec path the entry searches.
        path: String,
        /// What is wrong, with what was expected.
        reason: String,
    },
    /// A `[tune]` setting with an unknown or impossible value.
    #[error("tune.{key}: {reason}")]
    Setting {
        /// The key (`sampler`, `pruner`, `direction`, `trials`).
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// An enqueued configuration that does not fit the space.
    #[error("enqueued trial {index}: {reason}")]
    Enqueued {
        /// 0-based position among the enqueued configurations.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The objective failed for a reason other than a trial's own result, e.g. the store.
    #[error("{0}")]
    Objective(String),
}
