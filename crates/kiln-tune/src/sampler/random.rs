//! Uniformly random trials.

use super::{Sampler, random_value, trial_rng, walk};
use crate::space::{Params, Space};
use crate::trial::Trial;

/// Every value uniform over its range (log-uniform on a log scale), independent of history.
#[derive(Debug, Clone)]
pub struct RandomSampler {
    /// The study's seed.
    pub seed: u64,
}

impl Sampler for RandomSampler {
    fn suggest(&self, space: &Space, _history: &[&Trial], number: usize, fixed: &Params) -> Params {
        let mut rng = trial_rng(self.seed, number);
        walk(space, fixed, |i, _| {
            random_value(&space.dimensions[i].distribution, &mut rng)
        })
    }
}
