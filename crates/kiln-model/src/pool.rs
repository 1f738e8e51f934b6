//! Pooling: `max_pool2d` and `avg_pool2d` over `[channels, height, width]`; `max_pool1d`,
//! `global_max_pool1d` and `global_avg_pool1d` over `[time, features]`, skipping padded steps.
//!
//! The windowed layers are Burn's modules as they are (`MaxPool2d`, `AvgPool2d`, `MaxPool1d`);
//! this file builds them from their settings and runs them on [`Activations`].

use burn::module::Module;
use burn::nn::pool::{
    AvgPool2d, AvgPool2dConfig, MaxPool1d, MaxPool1dConfig, MaxPool2d, MaxPool2dConfig,
};
use burn::tensor::Tensor;
use kiln_spec::settings;

use crate::activations::{Activations, Series, spread, whole_windows};

/// Added to masked steps before a max over time, so that they never win; finite, so that a row
/// with no real step gives finite values (which the pooling then zeroes) rather than NaN.
const MASKED_OUT: f32 = -1e30;

/// Global pooling over time (max or mean); no parameters.
#[derive(Module, Debug, Default)]
pub struct GlobalPool1d {}

/// `max_pool2d` with square windows.
pub(crate) fn max_pool2d(spec: &settings::Pool) -> MaxPool2d {
    MaxPool2dConfig::new([spec.size, spec.size])
        .with_strides([spec.stride; 2])
        .init()
}

/// `avg_pool2d` with square windows.
pub(crate) fn avg_pool2d(spec: &settings::Pool) -> AvgPool2d {
    AvgPool2dConfig::new([spec.size, spec.size])
        .with_strides([spec.stride; 2])
        .init()
}

/// `max_pool1d` over time.
pub(crate) fn max_pool1d(spec: &settings::Pool) -> MaxPool1d {
    MaxPool1dConfig::new(spec.size)
        .with_stride(spec.stride)
        .init()
}

/// Max pooling over time (`valid` windows). With a mask, the windows that lie wholly on real
/// steps stay real; the others are zeroed and masked.
pub(crate) fn max_pool_over_time(pool: &MaxPool1d, input: Activations) -> Activations {
    let Series { x, mask } = input.series();
    let y = pool.forward(x.swap_dims(1, 2)).swap_dims(1, 2);
    let Some(m) = mask else {
        return Activations::Series(Series { x: y, mask: None });
    };
    let m = whole_windows(m, pool.kernel_size, pool.stride);
    let features = y.dims()[2];
    Activations::Series(Series {
        x: y * spread(m.clone(), features),
        mask: Some(m),
    })
}

impl GlobalPool1d {
    /// `[batch, time, features]` → `[batch, features]`: the maximum over the real steps (0
    /// for a row with none).
    pub(crate) fn forward_max(&self, input: Activations) -> Activations {
        let Series { x, mask } = input.series();
        let [b, _, f] = x.dims();
        let Some(m) = mask else {
            return Activations::Vector(x.max_dim(1).reshape([b, f]));
        };
        let any = m.clone().max_dim(1).expand([b, f]);
        let filled = x + (spread(m, f) - 1.0) * (-MASKED_OUT);
        Activations::Vector(filled.max_dim(1).reshape([b, f]) * any)
    }

    /// `[batch, time, features]` → `[batch, features]`: the mean over the real steps (0 for a
    /// row with none).
    pub(crate) fn forward_mean(&self, input: Activations) -> Activations {
        let Series { x, mask } = input.series();
        let [b, t, f] = x.dims();
        let Some(m) = mask else {
            return Activations::Vector(x.sum_dim(1).reshape([b, f]) / t as f32);
        };
        let count: Tensor<2> = m.clone().sum_dim(1).clamp_min(1.0).expand([b, f]);
        Activations::Vector((x * spread(m, f)).sum_dim(1).reshape([b, f]) / count)
    }
}
