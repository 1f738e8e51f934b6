//! The `dense` layer (also the output head every network ends with).

use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use kiln_spec::{Activation, settings};
use rand_chacha::ChaCha8Rng;

use crate::activation::apply;
use crate::activations::Activations;
use crate::init::glorot;

/// A linear layer followed by an activation.
#[derive(Module, Debug)]
pub struct Dense {
    /// The affine map.
    pub linear: Linear,
    /// Applied after the affine map.
    #[module(skip)]
    pub activation: Activation,
}

impl Dense {
    /// A dense layer with Glorot-uniform kernel and zero bias (Keras' defaults), drawn from
    /// `rng`.
    pub fn new(
        inputs: usize,
        units: usize,
        bias: bool,
        activation: Activation,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mut linear = LinearConfig::new(inputs, units)
            .with_bias(bias)
            .with_initializer(Initializer::Zeros)
            .init(device);
        let w = glorot(inputs * units, inputs, units, rng);
        linear.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [inputs, units]),
            device,
        ));
        Self { linear, activation }
    }

    /// The layer a spec's settings describe, reading rows of shape `input`.
    pub(crate) fn build(
        spec: &settings::Dense,
        input: &[usize],
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        Self::new(
            input.iter().product(),
            spec.units,
            spec.bias,
            spec.activation,
            device,
            rng,
        )
    }

    /// `[batch, …]` (flattened) → `[batch, units]`.
    pub(crate) fn forward(&self, x: Activations) -> Activations {
        let y = self.linear.forward(x.vector());
        Activations::Vector(apply(self.activation, y))
    }
}
