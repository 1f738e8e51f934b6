//! What can go wrong explaining a model.

/// An explanation that cannot be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExplainError {
    /// A point and its baseline (or a point and its gradient) differ in length.
    #[error("{what}: {found} values, expected {expected}")]
    Length {
        /// Which vector.
        what: &'static str,
        /// Its expected length.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A setting out of its range.
    #[error("{setting}: {message}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The model (the function explained) failed.
    #[error("{0}")]
    Model(String),
    /// The model gave a value that is not a number.
    #[error("the model's output is {value} at {at}")]
    NotFinite {
        /// The value.
        value: f64,
        /// Where (which point of the path).
        at: String,
    },
}
