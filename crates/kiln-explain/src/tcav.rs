//! Testing with concept activation vectors (Kim et al. 2018): how much a human concept drives
//! a class, with a significance test against random concepts.
//!
//! A concept is a set of examples; at one layer, a linear classifier separates their
//! activations from those of random examples, and its normal, pointing toward the concept, is
//! the concept activation vector (CAV). An input's sensitivity to the concept is the
//! directional derivative of the class logit along the CAV, `∇h(a) · v`; the TCAV scores over
//! a class's inputs are the fraction with a positive sensitivity (sign count) and the positive
//! sensitivities' share of all of them (magnitude). Gradients are given once per input and
//! reused by every CAV: a run costs a classifier fit and dot products.
//!
//! Significance: `runs` CAVs of the concept against different random sets (set `r` in run `r`,
//! the same sets for every concept), and as many CAVs of a random set against another
//! (random vs random: sets `runs + r` against set `r`, so that no single set biases the
//! baseline); a two-sided Welch t-test between the two sets of scores, Bonferroni-corrected
//! over the tests the caller makes.

use rand::SeedableRng;
use rand::seq::index;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::{ExplainError, Result};

/// Rows of equal width (activations or gradients at one layer).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    /// `rows × cols` values, row-major.
    pub data: Vec<f32>,
    /// Number of rows.
    pub rows: usize,
    /// Values per row.
    pub cols: usize,
}

impl Matrix {
    /// A matrix of `rows` rows of `cols` values.
    ///
    /// # Errors
    /// [`ExplainError::Length`] when `data` is not `rows × cols` long.
    pub fn new(data: Vec<f32>, rows: usize, cols: usize) -> Result<Self> {
        if data.len() != rows * cols {
            return Err(ExplainError::Length {
                what: "matrix",
                expected: rows * cols,
                found: data.len(),
            });
        }
        Ok(Self { data, rows, cols })
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// A concept activation vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Cav {
    /// The classifier's normal, unit length, pointing from the random examples to the concept.
    pub direction: Vec<f64>,
    /// Accuracy of the classifier on the held-out fifth of the examples.
    pub accuracy: f64,
}

/// Fits a CAV: closed-form ridge regression of ±1 (concept +1, random −1) on the centred
/// activations of a seeded four fifths of the examples, `w = (XᵀX + λI)⁻¹Xᵀy` (or its dual
/// `Xᵀ(XXᵀ + λI)⁻¹y` when there are fewer examples than values), with `λ = ridge ·
/// trace(XᵀX) / d` (relative to the activations' scale; large values turn the CAV toward the
/// difference of the two sets' means); the held-out fifth gives the accuracy.
///
/// # Errors
/// [`ExplainError::Setting`] for fewer than 5 examples on a side; [`ExplainError::Length`]
/// for sets of different widths.
pub fn fit_cav(concept: &[&[f32]], random: &[&[f32]], ridge: f64, seed: u64) -> Result<Cav> {
    for (what, set) in [("concept", concept), ("random", random)] {
        if set.len() < 5 {
            return Err(ExplainError::Setting {
                setting: "examples",
                message: format!(
                    "the {what} set has {} examples; a CAV needs at least 5",
                    set.len()
                ),
            });
        }
    }
    let d = concept[0].len();
    if let Some(bad) = concept.iter().chain(random).find(|r| r.len() != d) {
        return Err(ExplainError::Length {
            what: "activations",
            expected: d,
            found: bad.len(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let held = |n: usize, rng: &mut ChaCha8Rng| {
        let mut out = vec![false; n];
        for i in index::sample(rng, n, n.div_ceil(5)) {
            out[i] = true;
        }
        out
    };
    let (held_c, held_r) = (held(concept.len(), &mut rng), held(random.len(), &mut rng));
    let mut train: Vec<(&[f32], f64)> = Vec::new();
    let mut test: Vec<(&[f32], f64)> = Vec::new();
    for (set, label, heldout) in [(concept, 1.0, &held_c), (random, -1.0, &held_r)] {
        for (x, &h) in set.iter().zip(heldout.iter()) {
            if h {
                test.push((x, label))
            } else {
                train.push((x, label))
            }
        }
    }
    let n = train.len();
    let mut mean = vec![0.0f64; d];
    for (x, _) in &train {
        for (m, v) in mean.iter_mut().zip(x.iter()) {
            *m += f64::from(*v) / n as f64;
        }
    }
    let y_mean = train.iter().map(|t| t.1).sum::<f64>() / n as f64;
    let centred: Vec<Vec<f64>> = train
        .iter()
        .map(|(x, _)| {
            x.iter()
                .zip(&mean)
                .map(|(v, m)| f64::from(*v) - m)
                .collect()
        })
        .collect();
    let y: Vec<f64> = train.iter().map(|t| t.1 - y_mean).collect();
    // The penalty is relative to the activations' scale: `ridge` times the mean of the
    // diagonal of XᵀX, so that one setting means the same at every layer.
    let trace: f64 = centred.iter().flat_map(|r| r.iter().map(|v| v * v)).sum();
    let ridge = ridge * (trace / d as f64).max(f64::MIN_POSITIVE);
    let w = if d <= n {
        // (XᵀX + λI) w = Xᵀy
        let mut a = vec![0.0f64; d * d];
        let mut b = vec![0.0f64; d];
        for (row, yi) in centred.iter().zip(&y) {
            for i in 0..d {
                b[i] += row[i] * yi;
                for j in 0..=i {
                    a[i * d + j] += row[i] * row[j];
                }
            }
        }
        for i in 0..d {
            a[i * d + i] += ridge;
            for j in 0..i {
                a[j * d + i] = a[i * d + j];
            }
        }
        solve_spd(&mut a, &mut b, d)?;
        b
    } else {
        // w = Xᵀ α with (XXᵀ + λI) α = y
        let mut a = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..=i {
                let dot: f64 = centred[i].iter().zip(&centred[j]).map(|(p, q)| p * q).sum();
                a[i * n + j] = dot;
                a[j * n + i] = dot;
            }
            a[i * n + i] += ridge;
        }
        let mut alpha = y.clone();
        solve_spd(&mut a, &mut alpha, n)?;
        let mut w = vec![0.0f64; d];
        for (row, al) in centred.iter().zip(&alpha) {
            for (wi, r) in w.iter_mut().zip(row) {
                *wi += al * r;
            }
        }
        w
    };
    let intercept = y_mean - w.iter().zip(&mean).map(|(a, b)| a * b).sum::<f64>();
    let correct = test
        .iter()
        .filter(|(x, label)| {
            let s: f64 = intercept
                + w.iter()
                    .zip(x.iter())
                    .map(|(a, v)| a * f64::from(*v))
                    .sum::<f64>();
            (s > 0.0) == (*label > 0.0)
        })
        .count();
    let norm = w.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return Err(ExplainError::Setting {
            setting: "examples",
            message: "the concept and random activations cannot be told apart (the CAV is zero)"
                .to_string(),
        });
    }
    Ok(Cav {
        direction: w.iter().map(|v| v / norm).collect(),
        accuracy: correct as f64 / test.len() as f64,
    })
}

/// Solves `A x = b` for a symmetric positive definite `A` (`n × n`, overwritten) by Cholesky;
/// `b` becomes `x`.
fn solve_spd(a: &mut [f64], b: &mut [f64], n: usize) -> Result<()> {
    for j in 0..n {
        let mut diag = a[j * n + j];
        for k in 0..j {
            diag -= a[j * n + k] * a[j * n + k];
        }
        if diag <= 0.0 || !diag.is_finite() {
            return Err(ExplainError::Setting {
                setting: "ridge",
                message: "the activations' Gram matrix is singular; use a larger ridge".to_string(),
            });
        }
        let l = diag.sqrt();
        a[j * n + j] = l;
        for i in j + 1..n {
            let mut v = a[i * n + j];
            for k in 0..j {
                v -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = v / l;
        }
    }
    for i in 0..n {
        let mut v = b[i];
        for k in 0..i {
            v -= a[i * n + k] * b[k];
        }
        b[i] = v / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut v = b[i];
        for k in i + 1..n {
            v -= a[k * n + i] * b[k];
        }
        b[i] = v / a[i * n + i];
    }
    Ok(())
}

/// The TCAV scores of one CAV over a class's inputs, from their gradients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// The fraction of inputs whose sensitivity `∇h · v` is positive.
    pub sign_count: f64,
    /// `Σ positive sensitivities / Σ |sensitivities|`.
    pub magnitude: f64,
    /// The mean sensitivity: how much the class's log-odds change per unit step along the
    /// CAV, on average (a size, where the two scores above only count and weigh signs).
    pub mean_sensitivity: f64,
}

/// The directional derivatives `∇h(aᵢ) · v` of every input.
pub fn sensitivities(gradients: &Matrix, cav: &Cav) -> Vec<f64> {
    (0..gradients.rows)
        .map(|i| {
            gradients
                .row(i)
                .iter()
                .zip(&cav.direction)
                .map(|(g, v)| f64::from(*g) * v)
                .sum()
        })
        .collect()
}

/// Sign-count and magnitude scores of sensitivities.
pub fn scores(sensitivities: &[f64]) -> Scores {
    let n = sensitivities.len().max(1) as f64;
    let positive: f64 = sensitivities.iter().filter(|s| **s > 0.0).sum();
    let total: f64 = sensitivities.iter().map(|s| s.abs()).sum();
    Scores {
        sign_count: sensitivities.iter().filter(|s| **s > 0.0).count() as f64 / n,
        magnitude: if total > 0.0 { positive / total } else { 0.5 },
        mean_sensitivity: sensitivities.iter().sum::<f64>() / n,
    }
}

/// Welch's two-sided t-test of equal means: the statistic and its p-value (as
/// `scipy.stats.ttest_ind(a, b, equal_var=False)`). Two constant samples with equal means give
/// p = 1; with different means, p = 0.
pub fn welch(a: &[f64], b: &[f64]) -> (f64, f64) {
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
        (n, m, v)
    };
    let ((na, ma, va), (nb, mb, vb)) = (stats(a), stats(b));
    let (sa, sb) = (va / na, vb / nb);
    let se = (sa + sb).sqrt();
    if se == 0.0 || !se.is_finite() {
        return if ma == mb {
            (0.0, 1.0)
        } else {
            ((ma - mb).signum() * f64::INFINITY, 0.0)
        };
    }
    let t = (ma - mb) / se;
    let df = (sa + sb).powi(2) / (sa * sa / (na - 1.0) + sb * sb / (nb - 1.0));
    let p = StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |dist| 2.0 * dist.cdf(-t.abs()));
    (t, p)
}

/// How a concept is tested.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// CAVs per concept (and random-vs-random CAVs), each against another random set.
    pub runs: usize,
    /// Examples in each random set.
    pub random_size: usize,
    /// The ridge penalty of the CAV's classifier, relative to the activations' scale (see
    /// [`fit_cav`]).
    pub ridge: f64,
    /// The significance level before the Bonferroni correction.
    pub alpha: f64,
    /// Draws the random sets and the CAVs' held-out fifths.
    pub seed: u64,
}

impl Default for Settings {
    /// 50 runs, random sets of 50, ridge 0.1 (relative), α = 0.05, seed 0.
    fn default() -> Self {
        Self {
            runs: 50,
            random_size: 50,
            ridge: 0.1,
            alpha: 0.05,
            seed: 0,
        }
    }
}

/// A concept's TCAV result at one layer for one class.
#[derive(Debug, Clone, PartialEq)]
pub struct ConceptResult {
    /// One per run.
    pub scores: Vec<Scores>,
    /// Each run's CAV accuracy on its held-out fifth.
    pub cav_accuracy: Vec<f64>,
    /// The random-vs-random runs' scores.
    pub random_scores: Vec<Scores>,
    /// Welch's test of the sign-count scores against random-vs-random: `(t, p)`.
    pub t: f64,
    /// See `t`.
    pub p: f64,
    /// `p < alpha / tests` (Bonferroni over the caller's tests).
    pub significant: bool,
    /// Welch's test of the runs' mean sensitivities against random vs random's: whether the
    /// concept moves the class more than a random direction does, in size and not only in
    /// sign (reported beside the sign-count test, which is the paper's).
    pub p_sensitivity: f64,
}

impl ConceptResult {
    /// Mean sign-count score over the runs.
    pub fn mean_sign_count(&self) -> f64 {
        mean(self.scores.iter().map(|s| s.sign_count))
    }
    /// Mean magnitude score over the runs.
    pub fn mean_magnitude(&self) -> f64 {
        mean(self.scores.iter().map(|s| s.magnitude))
    }
    /// Mean random-vs-random sign-count score.
    pub fn random_mean_sign_count(&self) -> f64 {
        mean(self.random_scores.iter().map(|s| s.sign_count))
    }
    /// Standard deviation (population) of the sign-count scores over the runs.
    pub fn sign_count_std(&self) -> f64 {
        let m = self.mean_sign_count();
        mean(self.scores.iter().map(|s| (s.sign_count - m).powi(2))).sqrt()
    }
    /// Mean of the runs' mean sensitivities.
    pub fn mean_sensitivity(&self) -> f64 {
        mean(self.scores.iter().map(|s| s.mean_sensitivity))
    }
    /// Mean of the random-vs-random runs' mean sensitivities.
    pub fn random_mean_sensitivity(&self) -> f64 {
        mean(self.random_scores.iter().map(|s| s.mean_sensitivity))
    }
    /// Mean held-out accuracy of the runs' CAVs.
    pub fn mean_cav_accuracy(&self) -> f64 {
        mean(self.cav_accuracy.iter().copied())
    }
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = xs.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Tests one concept: `concept` holds its examples' activations, `pool` the activations the
/// random sets are drawn from (without replacement within a set), `gradients` the class
/// logit's gradients at the inputs explained; `tests` is how many concept × layer tests the
/// caller makes (the Bonferroni divisor). Run `r`'s random set is the same for every concept
/// (drawn from `settings.seed`), so concepts are compared against the same counterexamples;
/// the random-vs-random runs draw `runs` more sets.
///
/// # Errors
/// [`ExplainError::Setting`] for fewer than 2 runs, a pool smaller than two random sets, or
/// too few examples; [`ExplainError::Length`] for widths that differ.
pub fn test_concept(
    concept: &Matrix,
    pool: &Matrix,
    gradients: &Matrix,
    settings: Settings,
    tests: usize,
) -> Result<ConceptResult> {
    if settings.runs < 2 {
        return Err(ExplainError::Setting {
            setting: "runs",
            message: format!("a t-test needs at least 2 runs, got {}", settings.runs),
        });
    }
    if pool.rows < 2 * settings.random_size {
        return Err(ExplainError::Setting {
            setting: "random examples",
            message: format!(
                "{} random examples; random sets of {} need at least {}",
                pool.rows,
                settings.random_size,
                2 * settings.random_size
            ),
        });
    }
    for (what, m) in [("concept activations", concept), ("gradients", gradients)] {
        if m.cols != pool.cols {
            return Err(ExplainError::Length {
                what,
                expected: pool.cols,
                found: m.cols,
            });
        }
    }
    let draw = |r: usize| -> Vec<&[f32]> {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
        rng.set_stream(r as u64 + 1);
        index::sample(&mut rng, pool.rows, settings.random_size)
            .into_iter()
            .map(|i| pool.row(i))
            .collect()
    };
    let concept_rows: Vec<&[f32]> = (0..concept.rows).map(|i| concept.row(i)).collect();
    let mut scores = Vec::with_capacity(settings.runs);
    let mut cav_accuracy = Vec::with_capacity(settings.runs);
    let mut random_scores = Vec::with_capacity(settings.runs);
    for r in 1..=settings.runs {
        let random = draw(r);
        let seed = settings.seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let cav = fit_cav(&concept_rows, &random, settings.ridge, seed)?;
        scores.push(self::scores(&sensitivities(gradients, &cav)));
        cav_accuracy.push(cav.accuracy);
        // Random vs random: another random set plays the concept, a different one each run, so
        // that no one set's quirks bias every baseline run the same way.
        let baseline = fit_cav(&draw(settings.runs + r), &random, settings.ridge, seed)?;
        random_scores.push(self::scores(&sensitivities(gradients, &baseline)));
    }
    let a: Vec<f64> = scores.iter().map(|s| s.sign_count).collect();
    let b: Vec<f64> = random_scores.iter().map(|s| s.sign_count).collect();
    let (t, p) = welch(&a, &b);
    let (_, p_sensitivity) = welch(
        &scores
            .iter()
            .map(|s| s.mean_sensitivity)
            .collect::<Vec<_>>(),
        &random_scores
            .iter()
            .map(|s| s.mean_sensitivity)
            .collect::<Vec<_>>(),
    );
    Ok(ConceptResult {
        p_sensitivity,
        scores,
        cav_accuracy,
        random_scores,
        t,
        p,
        significant: p < settings.alpha / tests.max(1) as f64,
    })
}
