//! Samplers: what trial `k` tries, from the study's seed and the trials it may see.
//!
//! A sampler is a pure function of `(seed, k, history)`: its random numbers come from a
//! ChaCha8 generator seeded with the study's seed on stream `k`, and `history` is exactly the
//! trials the study lets trial `k` see (see [`crate::study`]). That is what makes a study
//! reproducible whatever the number of workers.

mod grid;
mod parzen;
mod random;
mod tpe;

pub use grid::GridSampler;
pub use random::RandomSampler;
pub use tpe::{TpeSampler, default_gamma, default_weights};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::space::{Distribution, ParamValue, Params, Space};
use crate::trial::Trial;

/// Chooses trial parameters.
pub trait Sampler: Send + Sync {
    /// The values for trial `number`, given the finished trials it may see (in number
    /// order). Paths in `fixed` (an enqueued configuration) keep their values; the others
    /// active under them are sampled.
    fn suggest(&self, space: &Space, history: &[&Trial], number: usize, fixed: &Params) -> Params;
}

/// The generator of trial `number` in a study seeded with `seed`.
pub fn trial_rng(seed: u64, number: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(number as u64);
    rng
}

/// A uniformly random value (uniform in the internal scale: log-uniform on a log scale).
pub fn random_value(distribution: &Distribution, rng: &mut ChaCha8Rng) -> ParamValue {
    match distribution.numeric() {
        Some(n) => match n.step {
            Some(step) => {
                let count = ((n.high - n.low) / step).round() as u64 + 1;
                let k = rng.random_range(0..count);
                distribution.from_internal(n.low + k as f64 * step)
            }
            None => distribution.from_internal(rng.random_range(n.low..=n.high)),
        },
        None => {
            let Distribution::Choice(c) = distribution else {
                unreachable!("numeric() is None only for a choice")
            };
            c[rng.random_range(0..c.len())].clone()
        }
    }
}

/// Walks the space in order: fixed values kept, inactive paths skipped, the rest from `pick`.
pub(crate) fn walk(
    space: &Space,
    fixed: &Params,
    mut pick: impl FnMut(usize, &Params) -> ParamValue,
) -> Params {
    let mut params = Params::new();
    for (i, d) in space.dimensions.iter().enumerate() {
        if !space.active(i, &params) {
            continue;
        }
        let value = match fixed.get(&d.path) {
            Some(v) => v.clone(),
            None => pick(i, &params),
        };
        params.insert(d.path.clone(), value);
    }
    params
}

/// The univariate Parzen density of `rows` (internal values of `distribution`), as TPE
/// fits it, for [`crate::importance`].
pub(crate) fn parzen_for_importance(
    rows: &[Vec<f64>],
    weights: &[f64],
    distribution: &Distribution,
) -> impl Fn(f64) -> f64 + use<> {
    let p = parzen::Parzen::fit(rows, weights, &[distribution]);
    move |x| p.log_pdf(&[x]).exp()
}
