//! Normalisation: `batch_norm` over the feature axis of a vector or the channel axis of an
//! image, and `layer_norm` over the last axis of a vector or of each step of a sequence. The
//! layers are Burn's `BatchNorm` and `LayerNorm` as they are; this file builds them from their
//! settings and runs them on [`Activations`].

use burn::nn::{BatchNorm, BatchNormConfig, LayerNorm, LayerNormConfig};
use burn::tensor::Device;
use kiln_spec::settings;

use crate::activations::{Activations, Series, spread};

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

/// `layer_norm` over the last axis of rows of shape `input` (γ = 1 and β = 0 to start, as in
/// Keras and PyTorch).
pub(crate) fn layer_norm(
    spec: &settings::LayerNorm,
    input: &[usize],
    device: &Device,
) -> LayerNorm {
    LayerNormConfig::new(input[input.len() - 1])
        .with_epsilon(spec.epsilon)
        .init(device)
}

/// Runs a layer norm on a vector batch or on every step of a sequence. Padded steps stay zero,
/// as the layers over time expect them.
pub(crate) fn forward_layer_norm(norm: &LayerNorm, x: Activations) -> Activations {
    match x {
        Activations::Vector(v) => Activations::Vector(norm.forward(v)),
        Activations::Sequence(_) | Activations::Series(_) => {
            let Series { x, mask } = x.series();
            let features = x.dims()[2];
            let y = norm.forward(x);
            let y = match &mask {
                Some(m) => y * spread(m.clone(), features),
                None => y,
            };
            Activations::Series(Series { x: y, mask })
        }
        // Shape inference rejects layer_norm on images.
        Activations::Image(v) => Activations::Image(v),
    }
}
