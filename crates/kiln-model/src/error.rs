use thiserror::Error;

/// What can go wrong building or running a network.
#[derive(Debug, Error)]
pub enum ModelError {
    /// The layer stack does not fit the input (see `kiln_spec::SpecError::Shape`).
    #[error(transparent)]
    Spec(#[from] kiln_spec::SpecError),
    /// An input batch has the wrong shape for this network.
    #[error("input batch has shape {found:?}; this network expects [batch, {expected}]")]
    InputShape {
        /// The per-row shape the network was built for, rendered.
        expected: String,
        /// The shape that arrived.
        found: Vec<usize>,
    },
    /// Weights could not be loaded into the network.
    #[error("weights do not fit this network: {0}")]
    Weights(String),
}
