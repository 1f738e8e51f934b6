//! Drift statistics, each matching the reference implementation named in its doc to 1e-6
//! relative (checked against `tests/reference/drift_reference.json`, produced by
//! `tests/reference/drift_reference.py` with numpy and scipy).
//!
//! | function | reference |
//! |---|---|
//! | [`ks_2samp`] | `scipy.stats.ks_2samp(a, b)` (two-sided, `method="auto"`) |
//! | [`wasserstein`] | `scipy.stats.wasserstein_distance(a, b)` |
//! | [`wasserstein_normed`] | Evidently: `wasserstein_distance(ref, cur) / np.std(ref)` |
//! | [`chisquare`] | `scipy.stats.chisquare(f_obs, f_exp)` |
//! | [`chisquare_homogeneity`] | `scipy.stats.chi2_contingency([ref, cur], correction=False)` |
//! | [`jensenshannon`] | `scipy.spatial.distance.jensenshannon(p, q)` (natural log) |
//! | [`z_test`] | Evidently's two-proportion z-test, `2 * (1 - norm.cdf(|z|))` |
//! | [`psi`] | Evidently's PSI formula and zero-fill rule on bins from [`psi_edges`] |
//!
//! # PSI binning rule
//!
//! Numbers: the bin edges are the reference's deciles, `np.quantile(ref, [0.1, …, 0.9])` with
//! numpy's default linear interpolation, deduplicated (`np.unique`); the outer bins are open
//! (−∞, e₁) and [e₉, +∞). A value `x` falls in bin `np.searchsorted(edges, x, side="right")`.
//! Categories: one bin per category. Proportions that are zero are replaced as Evidently does
//! (by `min_nonzero / 1e6` when the smallest non-zero proportion is ≤ 1e-4, otherwise by
//! 1e-4), separately in the reference and the current proportions; then
//! `psi = Σ (ref − cur) · ln(ref / cur)`.

use statrs::function::erf::erfc;
use statrs::function::gamma::gamma_ur;

/// Result of a two-sample Kolmogorov–Smirnov test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// The largest distance between the two empirical CDFs.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Result of a chi-square goodness-of-fit test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquareResult {
    /// `Σ (obs − exp)² / exp`.
    pub statistic: f64,
    /// Upper tail of the χ² distribution with `k − 1` degrees of freedom.
    pub p_value: f64,
}

/// Sizes up to which [`ks_2samp`] computes the exact distribution (scipy's `MAX_AUTO_N`).
pub const KS_EXACT_MAX_N: usize = 10_000;

fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// Two-sample Kolmogorov–Smirnov test, two-sided, as `scipy.stats.ks_2samp` computes it with
/// `method="auto"`: the exact distribution when both samples have at most
/// [`KS_EXACT_MAX_N`] values (Hodges' lattice-path method, with the 1 − p recursion of
/// Viehmann for unequal sizes), the asymptotic Kolmogorov distribution otherwise.
///
/// The asymptotic branch uses the limiting Kolmogorov distribution with Stephens' small-sample
/// correction instead of scipy's `kstwo.sf(d, round(en))`; it differs from scipy in the
/// third or fourth significant digit and is not part of the golden-file check.
///
/// Returns `None` when either sample is empty.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Option<KsResult> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let a = sorted(a);
    let b = sorted(b);
    Some(ks_sorted(&a, &b))
}

/// As [`ks_2samp`] for samples already sorted ascending.
pub(crate) fn ks_sorted(a: &[f64], b: &[f64]) -> KsResult {
    ks_sorted_exact_up_to(a, b, KS_EXACT_MAX_N)
}

/// As [`ks_sorted`], with the exact distribution only when both samples have at most
/// `exact_max_n` values (0: always the asymptotic one).
pub(crate) fn ks_sorted_exact_up_to(a: &[f64], b: &[f64], exact_max_n: usize) -> KsResult {
    let (n1, n2) = (a.len(), b.len());
    let (mut max_s, mut min_s) = (f64::NEG_INFINITY, f64::INFINITY);
    // The ECDF difference only changes at data points; evaluating at every point of the merged
    // samples (as scipy does) reduces to the distinct values in order.
    let (mut i, mut j) = (0usize, 0usize);
    while i < n1 || j < n2 {
        let x = match (a.get(i), b.get(j)) {
            (Some(&u), Some(&v)) => u.min(v),
            (Some(&u), None) => u,
            (None, Some(&v)) => v,
            (None, None) => break,
        };
        while i < n1 && a[i] <= x {
            i += 1;
        }
        while j < n2 && b[j] <= x {
            j += 1;
        }
        let diff = i as f64 / n1 as f64 - j as f64 / n2 as f64;
        max_s = max_s.max(diff);
        min_s = min_s.min(diff);
    }
    let min_s = (-min_s).clamp(0.0, 1.0);
    let mut d = if min_s > max_s { min_s } else { max_s };
    let g = gcd(n1, n2);
    let mut p = None;
    if n1.max(n2) <= exact_max_n {
        let lcm = (n1 / g) as f64 * n2 as f64;
        let h = (d * lcm).round_ties_even() as usize;
        d = h as f64 / lcm;
        p = if h == 0 {
            Some(1.0)
        } else {
            let prob = if n1 == n2 {
                prob_outside_square(n1, h)
            } else {
                outer_prob_inside(n1, n2, g, h)
            };
            (0.0..=1.0).contains(&prob).then_some(prob)
        };
    }
    let p = p.unwrap_or_else(|| {
        let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
        kolmogorov_sf(d, (m * n / (m + n)).round_ties_even())
    });
    KsResult {
        statistic: d,
        p_value: p.clamp(0.0, 1.0),
    }
}

fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// P(D ≥ h/n) for two samples of size `n` (Hodges; the Horner-like form avoids cancellation).
fn prob_outside_square(n: usize, h: usize) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let ku = k as usize;
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n as f64 - (ku * h) as f64 - j as f64) * p1
                / (n as f64 + (ku * h) as f64 + j as f64 + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// Proportion of lattice paths from (0,0) to (m,n) that leave the band
/// `|x/m − y/n| < h / lcm(m, n)`, computed directly as 1 − p (Viehmann's recursion).
fn outer_prob_inside(m: usize, n: usize, g: usize, h: usize) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (h, n_i, m_i) = (h as i64, n as i64, m as i64);
    let ceil_div = |a: i64, b: i64| -> i64 { (a as f64 / b as f64).ceil() as i64 };
    let floor_div = |a: i64, b: i64| -> i64 { (a as f64 / b as f64).floor() as i64 };
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n_i + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n_i + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize) {
        *v = 0.0;
    }
    for i in 1..=m_i {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n_i);
        maxj = ceil_div(ng * i + h, mg).min(n_i + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            let fi = i as f64;
            val = (a[(jj + minj - lastminj) as usize] * fi + val * j) / (fi + j);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            for v in &mut a[(maxj - minj) as usize..(maxj - minj + lastlen - curlen) as usize] {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// Survival function of the Kolmogorov distribution for `n` effective observations, through
/// the limiting distribution with Stephens' correction `(√n + 0.12 + 0.11/√n)·d`.
fn kolmogorov_sf(d: f64, n: f64) -> f64 {
    let sn = n.sqrt();
    let t = (sn + 0.12 + 0.11 / sn) * d;
    if t < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let k = k as f64;
        let term = (-2.0 * k * k * t * t).exp();
        sum += if k as u64 % 2 == 1 { term } else { -term };
        if term < 1e-18 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// First Wasserstein distance between two samples (`scipy.stats.wasserstein_distance`).
/// Returns `None` when either sample is empty.
pub fn wasserstein(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    Some(wasserstein_sorted(&sorted(a), &sorted(b)))
}

pub(crate) fn wasserstein_sorted(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    for w in all.windows(2) {
        let x = w[0];
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        total += (i as f64 / na - j as f64 / nb).abs() * (w[1] - w[0]);
    }
    total
}

/// Evidently's normalised Wasserstein distance: [`wasserstein`] divided by the reference's
/// population standard deviation (`np.std`). A constant reference uses a scale of 1.
pub fn wasserstein_normed(reference: &[f64], current: &[f64]) -> Option<f64> {
    let w = wasserstein(reference, current)?;
    Some(w / scale_of(population_std(reference)))
}

pub(crate) fn scale_of(std: f64) -> f64 {
    if std > 0.0 && std.is_finite() {
        std
    } else {
        1.0
    }
}

/// Population standard deviation (`np.std`, ddof = 0), through numpy's two-pass formula.
pub fn population_std(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

/// Chi-square goodness-of-fit (`scipy.stats.chisquare(f_obs, f_exp)`), `k − 1` degrees of
/// freedom. A category expected 0 times but observed gives an infinite statistic and p = 0
/// (as scipy). Returns `None` for fewer than two categories or mismatched lengths.
pub fn chisquare(observed: &[f64], expected: &[f64]) -> Option<ChiSquareResult> {
    if observed.len() != expected.len() || observed.len() < 2 {
        return None;
    }
    let mut stat = 0.0;
    for (&o, &e) in observed.iter().zip(expected) {
        let d = o - e;
        stat += if e == 0.0 {
            if d == 0.0 { 0.0 } else { f64::INFINITY }
        } else {
            d * d / e
        };
    }
    let dof = (observed.len() - 1) as f64;
    let p = if stat.is_infinite() {
        0.0
    } else if stat <= 0.0 {
        1.0
    } else {
        gamma_ur(dof / 2.0, stat / 2.0)
    };
    Some(ChiSquareResult {
        statistic: stat,
        p_value: p,
    })
}

/// Evidently's chi-square drift test on category counts: expected frequencies are the
/// reference counts scaled to the current total.
pub fn chisquare_counts(reference: &[f64], current: &[f64]) -> Option<ChiSquareResult> {
    let (rn, cn): (f64, f64) = (reference.iter().sum(), current.iter().sum());
    if rn <= 0.0 || cn <= 0.0 {
        return None;
    }
    let k = cn / rn;
    let expected: Vec<f64> = reference.iter().map(|r| r * k).collect();
    chisquare(current, &expected)
}

/// Two-sample chi-square test of homogeneity on category counts
/// (`scipy.stats.chi2_contingency([reference, current], correction=False)`): unlike
/// [`chisquare_counts`] it accounts for the reference being a sample too. Categories empty on
/// both sides are dropped; `None` when fewer than two remain or a side is empty.
pub fn chisquare_homogeneity(reference: &[f64], current: &[f64]) -> Option<ChiSquareResult> {
    if reference.len() != current.len() {
        return None;
    }
    let cols: Vec<(f64, f64)> = reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r, c))
        .filter(|(r, c)| *r + *c > 0.0)
        .collect();
    let (rn, cn): (f64, f64) = (
        cols.iter().map(|c| c.0).sum(),
        cols.iter().map(|c| c.1).sum(),
    );
    if cols.len() < 2 || rn <= 0.0 || cn <= 0.0 {
        return None;
    }
    let n = rn + cn;
    let mut stat = 0.0;
    for &(r, c) in &cols {
        let total = r + c;
        let (er, ec) = (rn * total / n, cn * total / n);
        stat += (r - er) * (r - er) / er + (c - ec) * (c - ec) / ec;
    }
    let dof = (cols.len() - 1) as f64;
    let p = if stat <= 0.0 {
        1.0
    } else {
        gamma_ur(dof / 2.0, stat / 2.0)
    };
    Some(ChiSquareResult {
        statistic: stat,
        p_value: p,
    })
}

fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// Jensen–Shannon distance with natural logarithms
/// (`scipy.spatial.distance.jensenshannon(p, q)`); inputs are normalised to sum to 1.
/// Returns `None` for mismatched lengths or a zero total.
pub fn jensenshannon(p: &[f64], q: &[f64]) -> Option<f64> {
    if p.len() != q.len() || p.is_empty() {
        return None;
    }
    let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
    if sp <= 0.0 || sq <= 0.0 {
        return None;
    }
    let mut js = 0.0;
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        js += rel_entr(a, m) + rel_entr(b, m);
    }
    Some((js / 2.0).sqrt())
}

/// Evidently's two-proportion z-test between a reference and a current sample of a two-valued
/// feature: `counts` are how often the first value occurs and `n` the sample sizes. Returns the
/// p-value `2 · (1 − Φ(|z|))`, or 1 when the pooled proportion is 0 or 1.
pub fn z_test(ref_count: f64, ref_n: f64, cur_count: f64, cur_n: f64) -> Option<f64> {
    if ref_n <= 0.0 || cur_n <= 0.0 {
        return None;
    }
    let (p1, p2) = (ref_count / ref_n, cur_count / cur_n);
    let pooled = (p1 * ref_n + p2 * cur_n) / (ref_n + cur_n);
    let var = pooled * (1.0 - pooled) * (1.0 / ref_n + 1.0 / cur_n);
    if var <= 0.0 {
        return Some(1.0);
    }
    let z = (p1 - p2) / var.sqrt();
    let cdf = 0.5 * erfc(-z.abs() / std::f64::consts::SQRT_2);
    Some(2.0 * (1.0 - cdf))
}

/// numpy's `quantile` with the default linear method, on sorted data.
///
/// # Panics
/// If `sorted` is empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = q * (n - 1) as f64;
    let lo = (virtual_index.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = virtual_index - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    // numpy's `_lerp`, including its switch for t >= 0.5, for bit-identical edges.
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// PSI bin edges of a reference sample: its deciles, deduplicated (see the module docs).
/// Missing values (`NaN`) are ignored; an empty sample gives no edges (one bin).
pub fn psi_edges(reference: &[f64]) -> Vec<f64> {
    let s: Vec<f64> = sorted(reference)
        .into_iter()
        .filter(|x| !x.is_nan())
        .collect();
    if s.is_empty() {
        return Vec::new();
    }
    let mut edges: Vec<f64> = (1..10)
        .map(|i| quantile_sorted(&s, f64::from(i) / 10.0))
        .collect();
    edges.dedup();
    edges
}

/// Counts of `values` in the bins that `edges` define (see the module docs).
pub fn bin_counts(edges: &[f64], values: &[f64]) -> Vec<f64> {
    let mut counts = vec![0.0; edges.len() + 1];
    for &x in values {
        if !x.is_nan() {
            counts[edges.partition_point(|&e| e <= x)] += 1.0;
        }
    }
    counts
}

/// Proportions with Evidently's zero fill.
fn filled_proportions(counts: &[f64]) -> Option<Vec<f64>> {
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let mut p: Vec<f64> = counts.iter().map(|c| c / total).collect();
    let min_nonzero = p
        .iter()
        .copied()
        .filter(|&v| v != 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if min_nonzero <= 1e-4 {
        min_nonzero / 1e6
    } else {
        1e-4
    };
    for v in &mut p {
        if *v == 0.0 {
            *v = fill;
        }
    }
    Some(p)
}

/// Population stability index between reference and current bin counts (same bins).
/// Returns `None` for mismatched lengths or an empty side.
pub fn psi(reference_counts: &[f64], current_counts: &[f64]) -> Option<f64> {
    if reference_counts.len() != current_counts.len() {
        return None;
    }
    let r = filled_proportions(reference_counts)?;
    let c = filled_proportions(current_counts)?;
    Some(
        r.iter()
            .zip(&c)
            .map(|(&r, &c)| (r - c) * (r / c).ln())
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_disjoint_samples_is_one() {
        let r = ks_2samp(&[1.0, 2.0, 3.0], &[10.0, 11.0, 12.0, 13.0]).unwrap();
        assert_eq!(r.statistic, 1.0);
        // Exact: only 2 of the C(7,3) = 35 orderings separate the samples completely.
        assert!((r.p_value - 2.0 / 35.0).abs() < 1e-12, "{}", r.p_value);
    }

    #[test]
    fn wasserstein_of_a_shift_is_the_shift() {
        let a = [0.0, 1.0, 2.0, 3.0];
        let b: Vec<f64> = a.iter().map(|x| x + 0.5).collect();
        assert!((wasserstein(&a, &b).unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn chisquare_by_hand() {
        // (10-20)²/20 + (30-20)²/20 = 10, 1 dof: p = erfc(sqrt(5)).
        let r = chisquare(&[10.0, 30.0], &[20.0, 20.0]).unwrap();
        assert!((r.statistic - 10.0).abs() < 1e-12);
        assert!((r.p_value - erfc(5f64.sqrt())).abs() < 1e-12);
    }

    #[test]
    fn psi_of_identical_counts_is_zero() {
        assert_eq!(psi(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), Some(0.0));
    }
}
