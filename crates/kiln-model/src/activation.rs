//! The `activation` layer, and the activation functions every layer family applies.

use burn::module::Module;
use burn::tensor::{Tensor, activation};
use kiln_spec::Activation;

use crate::activations::{Activations, Sequence, Series};

/// An activation with no parameters.
#[derive(Module, Debug)]
pub struct ActivationLayer {
    /// Which function.
    #[module(skip)]
    pub function: Activation,
}

impl ActivationLayer {
    /// Applies the function elementwise, whatever the batch's form.
    pub(crate) fn forward(&self, x: Activations) -> Activations {
        match x {
            Activations::Vector(v) => Activations::Vector(apply(self.function, v)),
            Activations::Image(v) => Activations::Image(apply(self.function, v)),
            Activations::Sequence(s) => Activations::Sequence(Sequence {
                steps: s
                    .steps
                    .into_iter()
                    .map(|v| apply(self.function, v))
                    .collect(),
                mask: s.mask,
            }),
            Activations::Series(s) => Activations::Series(Series {
                x: apply(self.function, s.x),
                mask: s.mask,
            }),
        }
    }
}

/// `function` applied to `x` (softmax over the last axis).
pub(crate) fn apply<const D: usize>(function: Activation, x: Tensor<D>) -> Tensor<D> {
    match function {
        Activation::Relu => activation::relu(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Sigmoid => activation::sigmoid(x),
        Activation::LeakyRelu => activation::leaky_relu(x, 0.01),
        Activation::Gelu => activation::gelu(x),
        Activation::Elu => activation::elu(x, 1.0),
        Activation::Linear => x,
        Activation::Softmax => activation::softmax(x, D - 1),
    }
}
