//! The Parzen estimator TPE models the good and the bad trials with: a weighted mixture of
//! one kernel per observation plus a prior kernel, each kernel a product over dimensions of a
//! truncated normal (a real range), a discretised truncated normal (an integer or stepped
//! range, on a log scale for a log-scaled integer) or a categorical (a choice). Bandwidths
//! follow Optuna 5's `_ParzenEstimator` with its defaults (prior weight 1, magic clip on,
//! endpoints off): each kernel's is the distance to its farther neighbour among the
//! observations (the prior's mean is not one), for the univariate and the multivariate
//! estimator alike.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use statrs::function::erf::{erfc, erfc_inv};

use crate::space::{Distribution, Numeric};

const SQRT2: f64 = std::f64::consts::SQRT_2;
/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Standard normal CDF, accurate in both tails.
fn ndtr(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT2)
}

/// Beyond this many standard deviations a normal tail is under 1e-17: `Φ(z)` rounds to
/// exactly 1 above it, and `Φ(−z)` is less than half an ulp of any `Φ` of at least ½.
const NEGLIGIBLE_TAIL: f64 = 8.5;

/// `Φ(b) − Φ(a)` for `a < b`, computed on the side where it does not cancel. When `a ≤ 0 ≤ b`
/// (a kernel centred in its range, as all are), a tail past [`NEGLIGIBLE_TAIL`] is not computed: it changes no bit of
/// the result (most kernels of a long study are narrow and far from both ends of the range).
fn mass(a: f64, b: f64) -> f64 {
    if a > 0.0 {
        ndtr(-a) - ndtr(-b)
    } else if b >= 0.0 {
        let low = if a <= -NEGLIGIBLE_TAIL { 0.0 } else { ndtr(a) };
        let high = if b >= NEGLIGIBLE_TAIL { 1.0 } else { ndtr(b) };
        high - low
    } else {
        ndtr(b) - ndtr(a)
    }
}

/// The values of a log-scaled integer range, `low, low + step, … ≤ high`, in the value's own
/// scale. Its kernels are normals in the log scale, and a value's probability is their mass
/// over `[ln(v − step/2), ln(v + step/2)]`, as Optuna's `_BatchedDiscreteTruncLogNorm`
/// has it; draws are rounded onto the grid in the value's scale.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LogGrid {
    low: f64,
    high: f64,
    step: f64,
}

impl LogGrid {
    fn of(distribution: &Distribution) -> Option<Self> {
        match *distribution {
            Distribution::Int {
                low,
                high,
                log: true,
                step,
            } => Some(Self {
                low: low as f64,
                high: (low + (high - low) / step * step) as f64,
                step: step as f64,
            }),
            _ => None,
        }
    }

    /// The grid value nearest `exp(x)`, as an internal (log) value.
    fn snap(self, x: f64) -> f64 {
        let v = self.low + ((x.exp() - self.low) / self.step).round() * self.step;
        v.clamp(self.low, self.high).ln()
    }
}

/// One dimension of every kernel.
#[derive(Debug, Clone)]
enum Axis {
    /// Truncated normals over `[low, high]`; `step` makes them discrete on `low + k·step`,
    /// `log_grid` discrete on a log-scaled integer range.
    Numeric {
        range: Numeric,
        log_grid: Option<LogGrid>,
        mu: Vec<f64>,
        sigma: Vec<f64>,
        /// `ln(Φ(β) − Φ(α))` per kernel.
        log_z: Vec<f64>,
        /// `1/σ` per kernel.
        inv_sigma: Vec<f64>,
        /// `−ln σ − ln √(2π) − ln Z` per kernel: a continuous kernel's log density is this
        /// minus `z²/2`.
        norm: Vec<f64>,
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
    /// order) with per-observation `weights`; the prior kernel is appended. Several
    /// distributions make the multivariate estimator (one kernel over all of them per
    /// observation); its bandwidths are computed per dimension as for one.
    pub(crate) fn fit(
        observations: &[Vec<f64>],
        weights: &[f64],
        distributions: &[&Distribution],
    ) -> Self {
        let n = observations.len();
        let mut w: Vec<f64> = weights.to_vec();
        w.push(1.0); // the prior's weight
        let total: f64 = w.iter().sum();
        for x in &mut w {
            *x /= total;
        }
        let axes = distributions
            .iter()
            .enumerate()
            .map(|(d, dist)| {
                let column: Vec<f64> = observations.iter().map(|o| o[d]).collect();
                match dist.numeric() {
                    Some(range) => numeric_axis(range, LogGrid::of(dist), &column),
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
                            range,
                            log_grid,
                            mu,
                            sigma,
                            ..
                        } => {
                            let x = sample_numeric(*range, mu[k], sigma[k], rng.random::<f64>());
                            log_grid.map_or(x, |g| g.snap(x))
                        }
                        Axis::Categorical { probs } => pick(&probs[k], rng.random::<f64>()) as f64,
                    })
                    .collect()
            })
            .collect()
    }

    /// `ln p(x)` of the mixture, accumulated one dimension at a time over every kernel.
    pub(crate) fn log_pdf(&self, x: &[f64]) -> f64 {
        let mut terms = self.log_weights.clone();
        for (axis, &v) in self.axes.iter().zip(x) {
            match axis {
                Axis::Numeric {
                    range,
                    log_grid: None,
                    mu,
                    inv_sigma,
                    norm,
                    ..
                } if range.step.is_none() => {
                    for (((t, m), is), n) in terms.iter_mut().zip(mu).zip(inv_sigma).zip(norm) {
                        let z = (v - m) * is;
                        *t += n - 0.5 * z * z;
                    }
                }
                Axis::Numeric {
                    range,
                    log_grid: None,
                    mu,
                    sigma,
                    log_z,
                    ..
                } => {
                    for (k, t) in terms.iter_mut().enumerate() {
                        *t += log_pdf_numeric(*range, mu[k], sigma[k], log_z[k], v);
                    }
                }
                Axis::Numeric {
                    log_grid: Some(g),
                    mu,
                    sigma,
                    log_z,
                    ..
                } => {
                    for (k, t) in terms.iter_mut().enumerate() {
                        *t += log_mass_log_grid(*g, mu[k], sigma[k], log_z[k], v);
                    }
                }
                Axis::Categorical { probs } => {
                    for (k, t) in terms.iter_mut().enumerate() {
                        *t += probs[k][v as usize].ln();
                    }
                }
            }
        }
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

fn numeric_axis(range: Numeric, log_grid: Option<LogGrid>, mus: &[f64]) -> Axis {
    let (low, high) = bounds(range);
    let n = mus.len();
    let width = high - low;
    let prior_mu = 0.5 * (low + high);
    // Distance to the farther neighbour among the observations, the range's ends standing
    // in as neighbours; the outermost kernels use their inner neighbour only (endpoints not
    // considered). The prior's mean is no neighbour (Optuna 5; Optuna 4 counted it, and
    // used `0.2·n^(−1/(d+4))·width` for every kernel of the multivariate estimator).
    // Sorted by value, ties by index: a total order, so an unstable sort gives the stable one.
    let mut keyed: Vec<(f64, usize)> = mus.iter().copied().zip(0..n).collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let order: Vec<usize> = keyed.iter().map(|&(_, i)| i).collect();
    let mut padded = vec![low];
    padded.extend(order.iter().map(|&i| mus[i]));
    padded.push(high);
    let mut sorted_sigma: Vec<f64> = (1..=n)
        .map(|j| (padded[j] - padded[j - 1]).max(padded[j + 1] - padded[j]))
        .collect();
    if padded.len() >= 4 {
        sorted_sigma[0] = padded[2] - padded[1];
        sorted_sigma[n - 1] = padded[n] - padded[n - 1];
    }
    let mut sigma = vec![0.0; n];
    for (j, &i) in order.iter().enumerate() {
        sigma[i] = sorted_sigma[j];
    }
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
    let inv_sigma: Vec<f64> = sigma.iter().map(|s| 1.0 / s).collect();
    let norm = sigma
        .iter()
        .zip(&log_z)
        .map(|(s, z)| -s.ln() - LN_SQRT_2PI - z)
        .collect();
    Axis::Numeric {
        range,
        log_grid,
        mu,
        sigma,
        log_z,
        inv_sigma,
        norm,
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

/// `ln P(v)` of the grid value `v = exp(x)` under one kernel of a log-scaled integer range.
fn log_mass_log_grid(g: LogGrid, mu: f64, sigma: f64, log_z: f64, x: f64) -> f64 {
    let v = x.exp().round();
    let a = ((v - 0.5 * g.step).ln() - mu) / sigma;
    let b = ((v + 0.5 * g.step).ln() - mu) / sigma;
    mass(a, b).max(f64::MIN_POSITIVE).ln() - log_z
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
    fn skipping_negligible_tails_changes_no_bit() {
        let zs: Vec<f64> = (0..=400)
            .map(|i| f64::from(i) * 0.1)
            .chain([1e3, 1e9])
            .collect();
        for &a in &zs {
            for &b in &zs {
                let full = ndtr(b) - ndtr(-a);
                assert_eq!(mass(-a, b).to_bits(), full.to_bits(), "a = {}, b = {b}", -a);
            }
        }
    }

    #[test]
    fn the_density_integrates_to_one_and_sampling_follows_it() {
        let d = uniform(0.0, 10.0);
        let p = Parzen::fit(&[vec![1.0], vec![2.0], vec![8.5]], &[1.0; 3], &[&d]);
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
        let p = Parzen::fit(&[vec![3.0], vec![7.0]], &[1.0; 2], &[&d]);
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
        let p = Parzen::fit(&[vec![0.0], vec![0.0], vec![2.0]], &[1.0; 3], &[&d]);
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
        let p = Parzen::fit(&[vec![2.0], vec![3.0]], &[1.0; 2], &[&d]);
        let Axis::Numeric { sigma, .. } = &p.axes[0] else {
            unreachable!()
        };
        assert_eq!(sigma, &vec![2.5, 2.5, 10.0]);
    }

    fn sigmas(p: &Parzen, axis: usize) -> (Vec<f64>, Vec<f64>) {
        let Axis::Numeric { mu, sigma, .. } = &p.axes[axis] else {
            unreachable!()
        };
        (mu.clone(), sigma.clone())
    }

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-8, "{a:?} vs {b:?}");
        }
    }

    // The expected figures below are Optuna 5.0.0's `_ParzenEstimator` (prior weight 1, magic
    // clip, endpoints off) fitted to the same observations: `.mu`, `.sigma` of its batched
    // distributions and `log_pdf`.

    #[test]
    fn the_prior_mean_is_no_neighbour_as_in_optuna_5() {
        // Sorted 1, 2, 9 with ends 0 and 10: gaps 1, 1, 7, 1; the first kernel uses its
        // right gap (1), the last its left gap (7), the middle max(1, 7); magic clip 10/5.
        // Optuna 4 counted the prior's mean (5) as a neighbour: 2, 3, 4.
        let d = uniform(0.0, 10.0);
        let p = Parzen::fit(&[vec![1.0], vec![2.0], vec![9.0]], &[1.0; 3], &[&d]);
        let (mu, sigma) = sigmas(&p, 0);
        close(&mu, &[1.0, 2.0, 9.0, 5.0]);
        close(&sigma, &[2.0, 7.0, 7.0, 10.0]);
        let lp: Vec<f64> = [0.5, 3.0, 7.25].iter().map(|&x| p.log_pdf(&[x])).collect();
        close(&lp, &[-1.987_815_06, -2.121_388_07, -2.547_743_88]);
    }

    #[test]
    fn multivariate_bandwidths_are_per_dimension_neighbour_distances_as_in_optuna_5() {
        // Optuna 5 dropped the multivariate rule 0.2·n^(−1/(d+4))·width.
        let (dx, dy) = (uniform(0.0, 10.0), uniform(0.0, 1.0));
        let rows = [vec![1.0, 0.1], vec![2.0, 0.5], vec![9.0, 0.45]];
        let p = Parzen::fit(&rows, &[1.0; 3], &[&dx, &dy]);
        close(&sigmas(&p, 0).1, &[2.0, 7.0, 7.0, 10.0]);
        close(&sigmas(&p, 1).1, &[0.35, 0.2, 0.35, 1.0]);
        close(
            &[p.log_pdf(&[0.5, 0.2]), p.log_pdf(&[3.0, 0.9])],
            &[-1.694_014_56, -2.970_560_33],
        );
    }

    #[test]
    fn a_log_scaled_integer_is_a_discrete_log_normal_as_in_optuna_5() {
        let d = Distribution::Int {
            low: 1,
            high: 100,
            log: true,
            step: 1,
        };
        let rows: Vec<Vec<f64>> = [2.0f64, 3.0, 40.0].iter().map(|v| vec![v.ln()]).collect();
        let p = Parzen::fit(&rows, &[1.0; 3], &[&d]);
        let (mu, sigma) = sigmas(&p, 0);
        // Observations' logs, and the prior's mean: the middle of [ln ½, ln 100½].
        let prior = 0.5 * (0.5f64.ln() + 100.5f64.ln());
        close(&mu, &[2f64.ln(), 3f64.ln(), 40f64.ln(), prior]);
        assert!((prior - 1.958_505_27).abs() < 1e-8);
        close(
            &sigma,
            &[1.060_660_98, 2.590_267_17, 2.590_267_17, 5.303_304_91],
        );
        // Probabilities of values (masses over [ln(v − ½), ln(v + ½)]), not densities.
        let lp: Vec<f64> = [1.0f64, 2.0, 3.0, 17.0, 100.0]
            .iter()
            .map(|v| p.log_pdf(&[v.ln()]))
            .collect();
        close(
            &lp,
            &[
                -1.550_034_37,
                -2.098_389_78,
                -2.508_166_61,
                -4.607_583_21,
                -6.665_041_82,
            ],
        );
        let total: f64 = (1..=100).map(|v| p.log_pdf(&[(v as f64).ln()]).exp()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // Draws are the logs of integers in range.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for x in p.sample(&mut rng, 500) {
            let v = x[0].exp();
            assert!(
                (v - v.round()).abs() < 1e-9 && (1.0..=100.0).contains(&v),
                "{v}"
            );
        }
    }
}
