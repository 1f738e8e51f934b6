//! Normalisation: `batch_norm` over the feature axis of a vector or the channel axis of an
//! image. The layer is Burn's `BatchNorm` as it is; this file builds it from its settings and
//! runs it on [`Activations`].

use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::Device;
use kiln_spec::settings;

use crate::activations::Activations;

/// `batch_norm` over axis 1 of rows of shape `input`.
pub(crate) fn batch_norm(
    spec: &settings::BatchNorm,
    input: &[usize],
    device: &Device,
) -> BatchNorm {
    // Keras' momentum is the weight of the old running value; Burn's is the weight of the new
    // batch statistic.
    BatchNormConfig::new(input[0])
        .with_momentum(1.0 - spec.momentum)
        .with_epsilon(spec.epsilon)
        .init(device)
}

/// Runs a batch norm on a vector or image batch.
pub(crate) fn forward_batch_norm(norm: &BatchNorm, x: Activations) -> Activations {
    match x {
        Activations::Vector(v) => Activations::Vector(norm.forward(v)),
        Activations::Image(v) => Activations::Image(norm.forward(v)),
        // Shape inference rejects batch_norm on sequences.
        other => Activations::Vector(norm.forward(other.vector())),
    }
}
