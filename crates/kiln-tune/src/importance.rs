//! Parameter importance by PED-ANOVA (Watanabe et al. 2023, Optuna's
//! `PedAnovaImportanceEvaluator`): how far the distribution of a parameter among the best
//! trials (the top 10 %) is from its distribution among all trials, as a Pearson divergence
//! between two Parzen estimates on a grid. A parameter whose good values look like any
//! values does not matter; one whose good values gather does.

use crate::sampler::default_weights;
use crate::space::{Distribution, Space};
use crate::trial::{Direction, Trial, ranked};

/// Fraction of trials that count as good.
const TOP_QUANTILE: f64 = 0.1;
/// Grid points of a numeric range.
const GRID: usize = 50;

/// Importance per path (in the space's order), normalised to sum to 1; `None` with fewer
/// than 2 good trials (too few to say).
pub fn ped_anova(
    space: &Space,
    trials: &[Trial],
    direction: Direction,
) -> Option<Vec<(String, f64)>> {
    let done = ranked(trials, direction);
    let top = ((done.len() as f64 * TOP_QUANTILE).ceil() as usize).max(2);
    if done.len() < top + 1 {
        return None;
    }
    let mut out: Vec<(String, f64)> = space
        .dimensions
        .iter()
        .map(|d| {
            let values = |group: &[&Trial]| -> Vec<f64> {
                group
                    .iter()
                    .filter_map(|t| {
                        t.params
                            .get(&d.path)
                            .and_then(|v| d.distribution.to_internal(v))
                    })
                    .collect()
            };
            let (all, good) = (values(&done), values(&done[..top]));
            (d.path.clone(), divergence(&d.distribution, &good, &all))
        })
        .collect();
    let total: f64 = out.iter().map(|(_, v)| v).sum();
    if total > 0.0 {
        for (_, v) in &mut out {
            *v /= total;
        }
    }
    Some(out)
}

/// Pearson divergence `Σ p_all · (p_good / p_all − 1)²` over the grid.
fn divergence(d: &Distribution, good: &[f64], all: &[f64]) -> f64 {
    if good.len() < 2 || all.len() < 2 {
        return 0.0;
    }
    let points: Vec<f64> = match d.numeric() {
        Some(n) => match n.step {
            Some(s) => {
                let count = ((n.high - n.low) / s).round() as usize + 1;
                (0..count).map(|k| n.low + k as f64 * s).collect()
            }
            None => (0..GRID)
                .map(|k| n.low + (n.high - n.low) * k as f64 / (GRID - 1) as f64)
                .collect(),
        },
        None => match d {
            Distribution::Choice(c) => (0..c.len()).map(|i| i as f64).collect(),
            _ => Vec::new(),
        },
    };
    let density = |obs: &[f64]| -> Vec<f64> {
        let rows: Vec<Vec<f64>> = obs.iter().map(|&x| vec![x]).collect();
        let p = crate::sampler::parzen_for_importance(&rows, &default_weights(rows.len()), d);
        let raw: Vec<f64> = points.iter().map(|&x| p(x)).collect();
        let s: f64 = raw.iter().sum();
        raw.iter().map(|v| v / s).collect()
    };
    let pg = density(good);
    let pa = density(all);
    pa.iter()
        .zip(&pg)
        .filter(|(a, _)| **a > 0.0)
        .map(|(a, g)| a * (g / a - 1.0).powi(2))
        .sum()
}
