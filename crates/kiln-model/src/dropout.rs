//! Dropout, shared by the feed-forward stack ([`crate::Network`]) and the recurrent layers
//! (between stacked cells), so that neither imports the other for it.

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
