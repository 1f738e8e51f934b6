//! The `dropout` layer, also used by the recurrent layers between stacked cells.

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::activations::{Activations, Sequence, Series};

/// Randomly zeroes a fraction `rate` of activations while training and scales the rest by
/// 1 / (1 − rate). The mask is drawn from a generator seeded per step and per layer, so a run
/// is reproducible whatever else the process does.
#[derive(Module, Debug)]
pub struct DropoutLayer {
    /// Fraction dropped.
    #[module(skip)]
    pub rate: f64,
}

impl DropoutLayer {
    /// Drops with masks drawn from `seed` while training (`Some`); unchanged for inference
    /// (`None`). Each step of a [`Sequence`] gets its own mask.
    pub(crate) fn forward(&self, x: Activations, seed: Option<u64>) -> Activations {
        let Some(seed) = seed else {
            return x;
        };
        match x {
            Activations::Vector(v) => Activations::Vector(self.apply(v, seed)),
            Activations::Image(v) => Activations::Image(self.apply(v, seed)),
            Activations::Sequence(s) => Activations::Sequence(Sequence {
                steps: s
                    .steps
                    .into_iter()
                    .enumerate()
                    .map(|(t, v)| self.apply(v, seed.wrapping_add(t as u64)))
                    .collect(),
                mask: s.mask,
            }),
            Activations::Series(s) => Activations::Series(Series {
                x: self.apply(s.x, seed),
                mask: s.mask,
            }),
        }
    }

    pub(crate) fn apply<const D: usize>(&self, x: Tensor<D>, seed: u64) -> Tensor<D> {
        if self.rate <= 0.0 {
            return x;
        }
        let keep = 1.0 - self.rate;
        let scale = (1.0 / keep) as f32;
        let shape = x.shape();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mask: Vec<f32> = (0..shape.num_elements())
            .map(|_| {
                if rng.random::<f64>() < keep {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::<D>::from_data(TensorData::new(mask, shape), &x.device());
        x * mask
    }
}
