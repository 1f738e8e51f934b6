//! Every combination of the grid, in a seeded order.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::Sampler;
use crate::error::TuneError;
use crate::space::{ParamValue, Params, Space};
use crate::trial::Trial;

/// Trial `k` takes combination `order[k mod n]` of the grid: choices, every integer of an
/// integer range, `grid` points of a real range. The order is shuffled by the seed (as
/// Optuna's `GridSampler`), so a study cut short still spreads over the grid.
#[derive(Debug, Clone)]
pub struct GridSampler {
    axes: Vec<(String, Vec<ParamValue>)>,
    order: Vec<usize>,
}

impl GridSampler {
    /// The grid over `space`.
    ///
    /// # Errors
    ///
    /// A conditional path (the grid is a full product), or a real range without `grid`
    /// points or `step`.
    pub fn new(space: &Space, seed: u64) -> Result<Self, TuneError> {
        let mut axes = Vec::new();
        let mut total: usize = 1;
        for d in &space.dimensions {
            if d.when.is_some() {
                return Err(TuneError::Dimension {
                    path: d.path.clone(),
                    reason:
                        "the grid sampler searches every combination, so a path cannot have `when`"
                            .into(),
                });
            }
            let values = d.distribution.grid(d.grid);
            if values.is_empty() {
                return Err(TuneError::Dimension {
                    path: d.path.clone(),
                    reason:
                        "the grid sampler needs `grid = N` points (or a `step`) for a real range"
                            .into(),
                });
            }
            total = total.saturating_mul(values.len());
            axes.push((d.path.clone(), values));
        }
        if total > 10_000_000 {
            return Err(TuneError::Setting {
                key: "sampler".into(),
                reason: format!("the grid has {total} combinations; at most 10,000,000"),
            });
        }
        let mut order: Vec<usize> = (0..total).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        Ok(Self { axes, order })
    }

    /// How many combinations the grid has.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the grid is empty (it never is: a space with no paths has one combination).
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl Sampler for GridSampler {
    fn suggest(
        &self,
        _space: &Space,
        _history: &[&Trial],
        number: usize,
        fixed: &Params,
    ) -> Params {
        let mut index = self.order[number % self.order.len()];
        let mut params = Params::new();
        for (path, values) in self.axes.iter().rev() {
            let v = values[index % values.len()].clone();
            index /= values.len();
            params.insert(path.clone(), fixed.get(path).cloned().unwrap_or(v));
        }
        params
    }
}
