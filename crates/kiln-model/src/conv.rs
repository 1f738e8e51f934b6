//! Convolutions: `conv2d` over `[channels, height, width]` and `conv1d` over `[time, features]`.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig1d, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData};
use kiln_spec::options::Padding;
use kiln_spec::{Activation, settings};
use rand_chacha::ChaCha8Rng;

use crate::activation::apply;
use crate::activations::{Activations, Series, every_nth_step, spread, whole_windows};
use crate::init::glorot;

/// A convolution followed by an activation.
#[derive(Module, Debug)]
pub struct Conv2dLayer {
    /// The convolution.
    pub conv: Conv2d,
    /// Applied after the convolution.
    #[module(skip)]
    pub activation: Activation,
}

impl Conv2dLayer {
    /// The layer a spec's settings describe, reading `[channels, height, width]` inputs, with
    /// Keras' Glorot-uniform kernel and zero bias drawn from `rng`.
    pub(crate) fn build(
        spec: &settings::Conv,
        input: &[usize],
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let padding = match spec.padding {
            Padding::Same => PaddingConfig2d::Same,
            Padding::Valid => PaddingConfig2d::Valid,
        };
        let (filters, kernel) = (spec.filters, spec.kernel);
        let mut conv = Conv2dConfig::new([input[0], filters], [kernel, kernel])
            .with_stride([spec.stride, spec.stride])
            .with_padding(padding)
            .with_initializer(Initializer::Zeros)
            .init(device);
        let area = kernel * kernel;
        let w = glorot(
            filters * input[0] * area,
            input[0] * area,
            filters * area,
            rng,
        );
        conv.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [filters, input[0], kernel, kernel]),
            device,
        ));
        Self {
            conv,
            activation: spec.activation,
        }
    }

    /// `[batch, channels, height, width]` → `[batch, filters, height', width']`.
    pub(crate) fn forward(&self, x: Activations) -> Activations {
        let y = self.conv.forward(x.image());
        Activations::Image(apply(self.activation, y))
    }
}

/// A convolution over time followed by an activation. Burn's `Conv1d` reads `[batch,
/// channels, time]`; kiln's sequences are `[batch, time, features]` (Keras' channels-last), so
/// the layer swaps the two axes on the way in and out.
#[derive(Module, Debug)]
pub struct Conv1dLayer {
    /// The convolution.
    pub conv: Conv1d,
    /// Applied after the convolution.
    #[module(skip)]
    pub activation: Activation,
}

impl Conv1dLayer {
    /// The layer a spec's settings describe, reading `[time, features]` inputs, with Keras'
    /// Glorot-uniform kernel and zero bias drawn from `rng`.
    pub(crate) fn build(
        spec: &settings::Conv,
        input: &[usize],
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let features = input[input.len() - 1];
        let (filters, kernel) = (spec.filters, spec.kernel);
        let mut conv = Conv1dConfig::new(features, filters, kernel)
            .with_stride(spec.stride)
            .with_padding(match spec.padding {
                Padding::Same => PaddingConfig1d::Same,
                Padding::Valid => PaddingConfig1d::Valid,
            })
            .with_initializer(Initializer::Zeros)
            .init(device);
        // Keras' Glorot-uniform for Conv1D: fan_in = kernel·features, fan_out = kernel·filters.
        let w = glorot(
            filters * features * kernel,
            features * kernel,
            filters * kernel,
            rng,
        );
        conv.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [filters, features, kernel]),
            device,
        ));
        Self {
            conv,
            activation: spec.activation,
        }
    }

    /// Convolves `[batch, time, features]` into `[batch, time', filters]`.
    ///
    /// With a mask, padded steps enter as zeros and the output mask keeps exactly the steps
    /// that the unpadded row would have: with `valid` padding the windows that lie wholly on
    /// real steps, with `same` padding output step `j` when input step `j·stride` is real. So a
    /// right-padded row gives at its real steps what it gives unpadded (for `same` with a
    /// stride above 1 only up to where TensorFlow-style padding splits differently).
    pub(crate) fn forward(&self, input: Activations) -> Activations {
        let Series { x, mask } = input.series();
        let x = match &mask {
            Some(m) => {
                let features = x.dims()[2];
                x * spread(m.clone(), features)
            }
            None => x,
        };
        let y = apply(
            self.activation,
            self.conv.forward(x.swap_dims(1, 2)).swap_dims(1, 2),
        );
        let Some(m) = mask else {
            return Activations::Series(Series { x: y, mask: None });
        };
        let m = if self.conv.padding == PaddingConfig1d::Same {
            every_nth_step(m, self.conv.stride)
        } else {
            whole_windows(m, self.conv.kernel_size, self.conv.stride)
        };
        let filters = y.dims()[2];
        Activations::Series(Series {
            x: y * spread(m.clone(), filters),
            mask: Some(m),
        })
    }
}
