use thiserror::Error;

/// What can go wrong configuring, fitting or using a Bayesian network.
#[derive(Debug, Error, PartialEq)]
pub enum BayesError {
    /// A setting is out of range; `field` names it as the spec does.
    #[error("{field}: {message} (expected {expected})")]
    Invalid {
        /// The offending setting, e.g. `layers[0].bayesian.prior_sigma`.
        field: String,
        /// What is wrong with it.
        message: String,
        /// What would be accepted.
        expected: String,
    },
    /// An informed prior's mean does not have the layer's shape.
    #[error(
        "prior mean for layer {layer} ({what}) has {found} values but the layer needs {expected} ({shape})"
    )]
    PriorShape {
        /// Layer index.
        layer: usize,
        /// `weights` or `biases`.
        what: &'static str,
        /// Values the layer needs.
        expected: usize,
        /// Values given.
        found: usize,
        /// The layer's shape in words, e.g. `2 inputs × 5 units`.
        shape: String,
    },
    /// Data that does not fit the network.
    #[error("data: {0}")]
    Data(String),
    /// The objective became NaN or infinite.
    #[error(
        "the ELBO became {value} at iteration {iteration}; lower the learning rate or check the inputs for extreme values"
    )]
    NotFinite {
        /// The iteration (1-based).
        iteration: usize,
        /// The value seen.
        value: f64,
    },
}

pub(crate) fn invalid(
    field: impl Into<String>,
    message: impl Into<String>,
    expected: &str,
) -> BayesError {
    BayesError::Invalid {
        field: field.into(),
        message: message.into(),
        expected: expected.to_string(),
    }
}
