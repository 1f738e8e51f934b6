//! The Parzen estimator TPE models the good and the bad trials with: a weighted mixture of
//! one kernel per observation plus a prior kernel, each kernel a product over dimensions of a
//! truncated normal (a real range), a discretised truncated normal (an integer or stepped
//! range) or a categorical (a choice). Bandwidths follow Optuna 4/5's `_ParzenEstimator`
//! with its defaults (prior weight 1, magic clip on, endpoints off).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use statrs::function::erf::{erfc, erfc_inv};

use crate::space::{Distribution, Numeric};

const SQRT2: f64 = std::f64::consts::SQRT_2;
/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// Bandwidth scale of the multivariate estimator (Optuna's `SIGMA0_MAGNITUDE`).
const SIGMA0: f64 = 0.2;

/// Standard normal CDF, accurate in both tails.
fn ndtr(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT2)
}

/// `Φ(b) − Φ(a)` for `a < b`, computed on the side where it does not cancel.
fn mass(a: f64, b: f64) -> f64 {
    if a > 0.0 {
        ndtr(-a) - ndtr(-b)
    } else {
        ndtr(b) - ndtr(a)
    }
}

/// One dimension of every kernel.
#[derive(Debug, Clone)]
enum Axis {
    /// Truncated normals over `[low, high]`; `step` makes them discrete on `low + k·step`.
    Numeric {
        range: Numeric,
        mu: Vec<f64>,
        sigma: Vec<f64>,
        /// `ln(Φ(β) − Φ(α))` per kernel.
        log_z: Vec<f64>,
    },
    /// Probabilities over the choices, per kernel.
    Categorical { probs: Vec<Vec<f64>> },
}

/// A fitted estimator.
#[derive(Debug, Clone)]
pub(crate) struct Parzen {
    log_weights: Vec<f64>,
    weights: Vec<f64>,
    axes: Vec<Axis>,
}

impl Parzen {
    /// Fits to `observations` (one row per trial, internal values in `distributions`'
    /// order) with per-observation `weights`; the prior kernel is appended.
    pub(crate) fn fit(
        observations: &[Vec<f64>],
        weights: &[f64],
        distributions: &[&Distribution],
        multivariate: bool,
    ) -> Self {
        let n = observations.len();
        let mut w: Vec<f64> = weights.to_vec();
        w.push(1.0); // the prior's weight
        let total: f64 = w.iter().sum();
        for x in &mut w {
            *x /= total;
        }
        let n_params = distributions.len();
        let axes = distributions
            .iter()
            .enumerate()
            .map(|(d, dist)| {
                let column: Vec<f64> = observations.iter().map(|o| o[d]).collect();
                match dist.numeric() {
                    Some(range) => numeric_axis(range, &column, multivariate, n_params),
                    None => {
                        let Distribution::Choice(choices) = dist else {
                            unreachable!("numeric() is None only for a choice")
                        };
                        categorical_axis(choices.len(), &column)
                    }
                }
            })
            .collect();
        debug_assert_eq!(w.len(), n + 1);
        Self {
            log_weights: w.iter().map(|x| x.ln()).collect(),
            weights: w,
            axes,
        }
    }

    /// `count` draws: pick a kernel by weight, then each dimension from that kernel.
    pub(crate) fn sample(&self, rng: &mut ChaCha8Rng, count: usize) -> Vec<Vec<f64>> {
        (0..count)
            .map(|_| {
                let k = pick(&self.weights, rng.random::<f64>());
                self.axes
                    .iter()
                    .map(|axis| match axis {
                        Axis::Numeric {
                            range, mu, sigma, ..
                        } => sample_numeric(*range, mu[k], sigma[k], rng.random::<f64>()),
                        Axis::Categorical { probs } => pick(&probs[k], rng.random::<f64>()) as f64,
                    })
                    .collect()
            })
            .collect()
    }

    /// `ln p(x)` of the mixture.
    pub(crate) fn log_pdf(&self, x: &[f64]) -> f64 {
        let terms: Vec<f64> = (0..self.weights.len())
            .map(|k| {
                let mut s = self.log_weights[k];
                for (axis, &v) in self.axes.iter().zip(x) {
                    s += match axis {
                        Axis::Numeric {
                            range,
                            mu,
                            sigma,
                            log_z,
                        } => log_pdf_numeric(*range, mu[k], sigma[k], log_z[k], v),
                        Axis::Categorical { probs } => probs[k][v as usize].ln(),
                    };
                }
                s
            })
            .collect();
        log_sum_exp(&terms)
    }
}

fn log_sum_exp(xs: &[f64]) -> f64 {
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// The index whose cumulative weight first exceeds `u` (weights sum to 1).
fn pick(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w / total;
        if u < acc {
            return i;
        }
    }
    weights.len() - 1
}

/// The truncation interval of a kernel: the range, widened by half a step when discrete.
fn bounds(range: Numeric) -> (f64, f64) {
    match range.step {
        Some(s) => (range.low - 0.5 * s, range.high + 0.5 * s),
        None => (range.low, range.high),
    }
}

fn numeric_axis(range: Numeric, mus: &[f64], multivariate: bool, n_params: usize) -> Axis {
    let (low, high) = bounds(range);
    let n = mus.len();
    let width = high - low;
    let prior_mu = 0.5 * (low + high);
    let mut sigma: Vec<f64> = if multivariate {
        let s = SIGMA0 * (n.max(1) as f64).powf(-1.0 / (n_params as f64 + 4.0)) * width;
        vec![s; n]
    } else {
        // Distance to the farther neighbour among the observations and the prior's mean,
        // the range's ends standing in as neighbours; the outermost kernels use their
        // inner neighbour only (endpoints not considered).
        let mut with_prior: Vec<f64> = mus.to_vec();
        with_prior.push(prior_mu);
        let mut order: Vec<usize> = (0..with_prior.len()).collect();
        order.sort_by(|&a, &b| with_prior[a].total_cmp(&with_prior[b]).then(a.cmp(&b)));
        let mut padded = vec![low];
        padded.extend(order.iter().map(|&i| with_prior[i]));
        padded.push(high);
        let m = order.len();
        let mut sorted_sigma: Vec<f64> = (1..=m)
            .map(|j| (padded[j] - padded[j - 1]).max(padded[j + 1] - padded[j]))
            .collect();
        if padded.len() >= 4 {
            sorted_sigma[0] = padded[2] - padded[1];
            sorted_sigma[m - 1] = padded[m] - padded[m - 1];
        }
        let mut sigma = vec![0.0; m];
        for (j, &i) in order.iter().enumerate() {
            sigma[i] = sorted_sigma[j];
        }
        sigma.truncate(n);
        sigma
    };
    let min_sigma = width / (100.0f64).min(1.0 + (n + 1) as f64);
    for s in &mut sigma {
        *s = s.clamp(min_sigma, width);
    }
    let mut mu = mus.to_vec();
    mu.push(prior_mu);
    sigma.push(width);
    let log_z = mu
        .iter()
        .zip(&sigma)
        .map(|(&m, &s)| {
            mass((low - m) / s, (high - m) / s)
                .max(f64::MIN_POSITIVE)
                .ln()
        })
        .collect();
    Axis::Numeric {
        range,
        mu,
        sigma,
        log_z,
    }
}

fn categorical_axis(n_choices: usize, observed: &[f64]) -> Axis {
    let n = observed.len();
    let kernels = n + 1;
    let mut probs = vec![vec![1.0 / kernels as f64; n_choices]; kernels];
    for (k, &o) in observed.iter().enumerate() {
        probs[k][o as usize] += 1.0;
    }
    for row in &mut probs {
        let s: f64 = row.iter().sum();
        for p in row.iter_mut() {
            *p /= s;
        }
    }
    // The prior kernel stays uniform.
    probs[n] = vec![1.0 / n_choices as f64; n_choices];
    Axis::Categorical { probs }
}

fn sample_numeric(range: Numeric, mu: f64, sigma: f64, u: f64) -> f64 {
    let (low, high) = bounds(range);
    let a = ndtr((low - mu) / sigma);
    let b = ndtr((high - mu) / sigma);
    let p = (a + u * (b - a)).clamp(1e-300, 1.0 - 1e-16);
    let x = (mu + sigma * (-SQRT2 * erfc_inv(2.0 * p))).clamp(low, high);
    match range.step {
        Some(s) => (range.low + ((x - range.low) / s).round() * s).clamp(range.low, range.high),
        None => x,
    }
}

fn log_pdf_numeric(range: Numeric, mu: f64, sigma: f64, log_z: f64, x: f64) -> f64 {
    match range.step {
        None => {
            let z = (x - mu) / sigma;
            -0.5 * z * z - sigma.ln() - LN_SQRT_2PI - log_z
        }
        Some(s) => {
            let a = (x - 0.5 * s - mu) / sigma;
            let b = (x + 0.5 * s - mu) / sigma;
            mass(a, b).max(f64::MIN_POSITIVE).ln() - log_z
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn uniform(low: f64, high: f64) -> Distribution {
        Distribution::Float {
            low,
            high,
            log: false,
            step: None,
        }
    }

    #[test]
    fn the_density_integrates_to_one_and_sampling_follows_it() {
        let d = uniform(0.0, 10.0);
        let p = Parzen::fit(&[vec![1.0], vec![2.0], vec![8.5]], &[1.0; 3], &[&d], false);
        let n = 20_000;
        let integral: f64 = (0..n)
            .map(|i| p.log_pdf(&[10.0 * (i as f64 + 0.5) / n as f64]).exp() * 10.0 / n as f64)
            .sum();
        assert!((integral - 1.0).abs() < 1e-6, "{integral}");
        // The share of draws below 3 matches the density's mass there.
        let mass_below: f64 = (0..n)
            .map(|i| p.log_pdf(&[3.0 * (i as f64 + 0.5) / n as f64]).exp() * 3.0 / n as f64)
            .sum();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let draws = p.sample(&mut rng, 40_000);
        let share = draws.iter().filter(|x| x[0] < 3.0).count() as f64 / draws.len() as f64;
        assert!((share - mass_below).abs() < 0.01, "{share} vs {mass_below}");
        assert!(draws.iter().all(|x| (0.0..=10.0).contains(&x[0])));
    }

    #[test]
    fn a_discrete_range_sums_to_one_over_its_grid() {
        let d = Distribution::Int {
            low: 1,
            high: 9,
            log: false,
            step: 2,
        };
        let p = Parzen::fit(&[vec![3.0], vec![7.0]], &[1.0; 2], &[&d], false);
        let total: f64 = [1.0, 3.0, 5.0, 7.0, 9.0]
            .iter()
            .map(|&x| p.log_pdf(&[x]).exp())
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for x in p.sample(&mut rng, 200) {
            assert!([1.0, 3.0, 5.0, 7.0, 9.0].contains(&x[0]), "{x:?}");
        }
    }

    #[test]
    fn categorical_kernels_follow_optuna() {
        let d = Distribution::Choice(vec![
            crate::space::ParamValue::Int(1),
            crate::space::ParamValue::Int(2),
            crate::space::ParamValue::Int(3),
        ]);
        let p = Parzen::fit(&[vec![0.0], vec![0.0], vec![2.0]], &[1.0; 3], &[&d], false);
        // Kernel k: 1/4 on each choice, +1 on its observation, normalised; the prior
        // kernel uniform; kernels weighted equally (4 of them).
        let k = |obs: usize, c: usize| (0.25 + if obs == c { 1.0 } else { 0.0 }) / 1.75;
        let expect0 = (k(0, 0) + k(0, 0) + k(2, 0) + 1.0 / 3.0) / 4.0;
        assert!((p.log_pdf(&[0.0]).exp() - expect0).abs() < 1e-12);
    }

    #[test]
    fn univariate_bandwidths_match_optuna_by_hand() {
        // Observations 2 and 3 on [0, 10], prior at 5: sorted 2, 3, 5 with ends 0 and 10.
        // Inner rule gives max(2-0, 3-2)=2, max(1, 2)=2, max(2, 5)=5; endpoints off: the
        // first uses its right gap (1), the last its left gap (2). Magic clip: 10/4 = 2.5.
        let d = uniform(0.0, 10.0);
        let p = Parzen::fit(&[vec![2.0], vec![3.0]], &[1.0; 2], &[&d], false);
        let Axis::Numeric { sigma, .. } = &p.axes[0] else {
            unreachable!()
        };
        assert_eq!(sigma, &vec![2.5, 2.5, 10.0]);
    }
}
