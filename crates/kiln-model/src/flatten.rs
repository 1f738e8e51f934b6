//! The `flatten` layer.

use burn::module::Module;

use crate::activations::Activations;

/// Flattens all axes after the batch axis.
#[derive(Module, Debug, Default)]
pub struct Flatten {}

impl Flatten {
    /// `[batch, …]` → `[batch, features]`.
    pub(crate) fn forward(&self, x: Activations) -> Activations {
        Activations::Vector(x.vector())
    }
}
