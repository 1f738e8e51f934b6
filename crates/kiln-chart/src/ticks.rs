//! Round tick values and their labels.
//!
//! Ticks are chosen the way Heckbert's "nice numbers" do (steps of 1, 2, 2.5 or 5 × 10^k),
//! scored like a small version of Talbot, Lin and Hanrahan's extended Wilkinson labelling:
//! a tick count near the one asked for, simpler steps preferred (1 before 5 before 2 before
//! 2.5), and little axis wasted beyond the data.

/// Step multipliers ×10 (so that 2.5 stays an integer) and their simplicity penalties.
const STEPS: [(i64, f64); 4] = [(10, 0.0), (50, 0.1), (20, 0.15), (25, 0.6)];

/// Most ticks [`nice_ticks`] will aim for.
const MAX_TARGET: usize = 100;

/// Ticks and the exact step between them (the difference of two ticks carries float noise;
/// labels need the step itself).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ticks {
    /// Increasing tick values.
    pub(crate) values: Vec<f64>,
    /// The step between consecutive ticks.
    pub(crate) step: f64,
}

impl Ticks {
    /// `(first, last)` tick.
    pub(crate) fn extent(&self) -> Option<(f64, f64)> {
        Some((*self.values.first()?, *self.values.last()?))
    }

    /// Each tick's label.
    pub(crate) fn labels(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|&v| tick_label(v, self.step))
            .collect()
    }

    /// Only the ticks within `[lo, hi]` (with a little tolerance for float noise).
    pub(crate) fn within(mut self, lo: f64, hi: f64) -> Self {
        let slack = self.step * 1e-9;
        self.values.retain(|&v| v >= lo - slack && v <= hi + slack);
        self
    }
}

/// `10^e` as the nearest double (exact up to 10^22).
fn pow10(e: i32) -> f64 {
    10f64.powi(e)
}

/// `n × 10^e` computed so that round decimals come out as the nearest double
/// (`3 × 10^-1` is `0.3`, not `0.30000000000000004`).
fn decimal(n: f64, e: i32) -> f64 {
    if e >= 0 { n * pow10(e) } else { n / pow10(-e) }
}

/// A non-degenerate range around `[lo, hi]`: a point, or a range too thin to tell from one
/// in f64, becomes a range around it.
fn widen(lo: f64, hi: f64) -> (f64, f64) {
    const TINY: f64 = 1e-290;
    let magnitude = lo.abs().max(hi.abs());
    if hi - lo >= TINY && hi - lo > magnitude * 1e-12 {
        return (lo, hi);
    }
    let centre = lo / 2.0 + hi / 2.0;
    if centre.abs() < TINY {
        (-1.0, 1.0)
    } else {
        let d = centre.abs() * 0.1;
        (centre - d, centre + d)
    }
}

/// Nice ticks covering `[lo, hi]` with their step; `None` when neither bound is finite.
pub(crate) fn nice_scale(lo: f64, hi: f64, target: usize) -> Option<Ticks> {
    let (lo, hi) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (lo.min(hi), lo.max(hi)),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => return None,
    };
    let target = target.clamp(2, MAX_TARGET);
    let (lo, hi) = widen(lo, hi);
    let span = hi - lo;
    if !span.is_finite() {
        // Wider than f64 can subtract: no round step helps, show the ends.
        return Some(Ticks {
            values: vec![lo, hi],
            step: f64::INFINITY,
        });
    }
    let raw = span / (target - 1) as f64;
    let k = raw.log10().floor() as i32;
    let mut best: Option<(f64, i64, i64, i64, i32)> = None;
    for e in [k - 2, k - 1, k] {
        for (m10, penalty) in STEPS {
            let step = decimal(m10 as f64, e);
            // A little slack so that a bound sitting on a tick (0.3 / 0.1 = 2.9999999999999996)
            // does not get a tick of its own beyond it.
            let first = (lo / step + 1e-9).floor();
            let last = (hi / step - 1e-9).ceil();
            let n = last - first + 1.0;
            let density = (n - target as f64).abs() / target as f64;
            let waste = ((last - first) * step - span).max(0.0) / span;
            let score = density + penalty + 0.5 * waste;
            if best.is_none_or(|b| score < b.0) {
                best = Some((score, first as i64, last as i64, m10, e));
            }
        }
    }
    let (_, first, last, m10, e) = best?;
    let values = (first..=last)
        .map(|i| decimal((i * m10) as f64, e))
        .map(|v| if v == 0.0 { 0.0 } else { v }) // no -0
        .collect();
    Some(Ticks {
        values,
        step: decimal(m10 as f64, e),
    })
}

/// Round tick values covering `[lo, hi]`, about `target` of them (at least 2).
///
/// Steps are 1, 2, 2.5 or 5 × 10^k (Heckbert's "nice numbers"), so
/// `nice_ticks(-1.4475, 2.31, 5)` is `[-2, -1, 0, 1, 2, 3]`, never values like `-1.4475`.
/// The first tick is at or below `lo` and the last at or above `hi`. The bounds may come in
/// either order; a single point (`lo == hi`) gets ticks around it; a non-finite bound is
/// replaced by the other one, and two non-finite bounds give no ticks. A range wider than
/// f64 can subtract (`-f64::MAX..f64::MAX`) gives just its two ends.
///
/// ```
/// assert_eq!(kiln_chart::nice_ticks(0.0, 1.0, 6), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
/// assert_eq!(kiln_chart::nice_ticks(-1.4475, 2.31, 5), [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
/// ```
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    nice_scale(lo, hi, target).map_or_else(Vec::new, |t| t.values)
}

/// `step` as `m × 10^k` with `m` in `[1, 10)`, and the decimals `m` needs (`None` when `m` is
/// not a short decimal).
fn decompose(step: f64) -> (i32, Option<i32>) {
    let mut k = step.log10().floor() as i32;
    let mut m = step / pow10(k);
    // log10 of 0.09999999999999999 floors to -2; it is a step of 0.1.
    if (m - 10.0).abs() < 1e-6 {
        k += 1;
        m /= 10.0;
    }
    let decimals = (0..=3).find(|&d| {
        let scaled = m * pow10(d);
        (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
    });
    (k, decimals)
}

/// A tick's label with just the decimals its `step` needs.
///
/// `tick_label(0.30000000000000004, 0.1)` is `"0.3"`, `tick_label(2000.0, 500.0)` is
/// `"2000"` (no thousands separator, so labels read back as numbers), and zero is always
/// `"0"`. Steps from 10^6 up, and steps below 10^-4 on values below 10^4 steps, use
/// e-notation with the mantissa decimals the step needs: `tick_label(1e-5, 1e-5)` is `"1e-5"`, `tick_label(1.5e-5, 5e-6)` is
/// `"1.5e-5"`. A non-finite value gives `""`; a step that is not positive and finite labels
/// the value on its own (six significant digits).
///
/// ```
/// use kiln_chart::tick_label;
/// assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
/// assert_eq!(tick_label(0.25, 0.25), "0.25");
/// assert_eq!(tick_label(-1.0, 0.5), "-1.0");
/// assert_eq!(tick_label(2000.0, 500.0), "2000");
/// assert_eq!(tick_label(1e-5, 1e-5), "1e-5");
/// ```
pub fn tick_label(value: f64, step: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if !(step.is_finite() && step > 0.0) {
        return crate::svg::Value(value).to_string();
    }
    if value.abs() < step * 1e-6 {
        return "0".to_string();
    }
    let (k, m_decimals) = decompose(step);
    // A step that is not a short decimal (0.37) gets three significant digits.
    let m_decimals = m_decimals.unwrap_or(2);
    // E-notation for huge steps, and for tiny steps on values that are tiny too (ticks 2e-7
    // apart around 3 read better as 3.0000012 than as 3.0000012e0).
    if k >= 6 || (k < -4 && value.abs() < pow10(k + 4)) {
        let e = value.abs().log10().floor() as i32;
        let mantissa_decimals = (e - k + m_decimals).max(0) as usize;
        return format!("{value:.mantissa_decimals$e}");
    }
    let decimals = (m_decimals - k).max(0) as usize;
    let text = format!("{value:.decimals$}");
    // Rounding can leave "-0.0" for a value of float noise just below zero.
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        "0".to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `v` is an integer multiple of `step` (up to float noise).
    fn is_multiple(v: f64, step: f64) -> bool {
        let q = v / step;
        (q - q.round()).abs() < 1e-6
    }

    #[test]
    fn nice_ticks_are_round_and_cover_the_range() {
        // (lo, hi, target)
        let cases = [
            (0.0, 1.0, 5),
            (0.0, 1.0, 6),
            (-1.4475, 2.31, 5),
            (-3.6442, 4.0301, 5),
            (0.0, 0.7, 5),
            (-0.7607, -0.012, 4),
            (-250.0, -3.0, 5),
            (0.0, 1e-6, 5),
            (3.000001, 3.000002, 5),
            (1e-9, 7e-9, 4),
            (0.0, 1e12, 5),
            (-3e15, 8e15, 6),
            (1e300, 1.7e300, 5),
            (123_456.0, 123_999.0, 5),
            (0.0, 3.0, 3),
            (0.0, 100.0, 5),
            (5.0, 5.0, 5),
            (0.0, 0.0, 5),
            (-2.5, -2.5, 5),
            (1e-7, 1e-7, 5),
            (17.0, 3.0, 5),
            (-1.0, 1.0, 30),
            (0.0, 1.0, 0),
        ];
        for (lo, hi, target) in cases {
            let t = nice_scale(lo, hi, target).unwrap();
            let v = &t.values;
            let (a, b) = (lo.min(hi), lo.max(hi));
            assert!(v.len() >= 2, "{lo}..{hi}: {v:?}");
            let slack = t.step * 1e-9;
            assert!(
                v[0] <= a + slack && *v.last().unwrap() >= b - slack,
                "{lo}..{hi}: {v:?}"
            );
            if a < b {
                // Not wider than needed: the ticks just inside the ends are inside the range.
                assert!(
                    v[1] > a - slack && v[v.len() - 2] < b + slack,
                    "{lo}..{hi}: {v:?}"
                );
            }
            let (k, m) = decompose(t.step);
            assert!(m.is_some_and(|d| d <= 1), "{lo}..{hi}: step {}", t.step);
            let mantissa = t.step / pow10(k);
            assert!(
                [1.0, 2.0, 2.5, 5.0]
                    .iter()
                    .any(|m| (mantissa - m).abs() < 1e-9),
                "{lo}..{hi}: step {}",
                t.step
            );
            for (i, &x) in v.iter().enumerate() {
                assert!(is_multiple(x, t.step), "{lo}..{hi}: {x} in {v:?}");
                if i > 0 {
                    assert!(
                        (x - v[i - 1] - t.step).abs() < t.step * 1e-6,
                        "{lo}..{hi}: {v:?}"
                    );
                }
            }
            // About as many as asked for.
            let want = target.clamp(2, MAX_TARGET) as f64;
            assert!(
                (v.len() as f64) <= want * 2.5 + 1.0 && v.len() as f64 >= want / 2.5,
                "{lo}..{hi} ({target}): {v:?}"
            );
        }
    }

    #[test]
    fn nice_ticks_pick_the_obvious_steps() {
        assert_eq!(
            nice_ticks(-1.4475, 2.31, 5),
            [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
        );
        assert_eq!(nice_ticks(0.0, 1.0, 6), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 100.0, 5),
            [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(nice_ticks(0.0, 3.0, 4), [0.0, 1.0, 2.0, 3.0]);
        // Decimal ticks are the nearest doubles to the decimals, not accumulated sums.
        assert_eq!(
            nice_ticks(0.0, 0.7, 8),
            [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
        );
        assert_eq!(
            nice_ticks(0.0, 1e-6, 5),
            [0.0, 2e-7, 4e-7, 6e-7, 8e-7, 1e-6]
        );
    }

    #[test]
    fn nice_ticks_handle_odd_bounds() {
        assert!(nice_ticks(f64::NAN, f64::NAN, 5).is_empty());
        assert!(nice_ticks(f64::NEG_INFINITY, f64::INFINITY, 5).is_empty());
        let one_sided = nice_ticks(f64::NAN, 4.0, 5);
        assert!(one_sided[0] <= 4.0 && *one_sided.last().unwrap() >= 4.0);
        assert_eq!(nice_ticks(-f64::MAX, f64::MAX, 5), [-f64::MAX, f64::MAX]);
        assert!(nice_ticks(0.0, 1.0, usize::MAX).len() <= MAX_TARGET * 2);
        let sub = nice_ticks(0.0, 1e-310, 5);
        assert!(sub.iter().all(|v| v.is_finite()) && sub.len() >= 2);
    }

    #[test]
    fn tick_labels_drop_float_noise() {
        let cases = [
            (0.30000000000000004, 0.1, "0.3"),
            (0.1 + 0.2, 0.1, "0.3"),
            (0.7000000000000001, 0.09999999999999999, "0.7"),
            (1.0, 0.2, "1.0"),
            (0.25, 0.25, "0.25"),
            (0.75, 0.25, "0.75"),
            (-1.5, 0.5, "-1.5"),
            (-2.0, 1.0, "-2"),
            (5.551115123125783e-17, 0.1, "0"),
            (-5.551115123125783e-17, 0.1, "0"),
            (-0.0, 1.0, "0"),
            (2000.0, 500.0, "2000"),
            (12_500.0, 2500.0, "12500"),
            (250_000.0, 50_000.0, "250000"),
            (1e-5, 1e-5, "1e-5"),
            (1.5e-5, 5e-6, "1.5e-5"),
            (2.0000000000000003e-6, 2e-7, "2.0e-6"),
            (3e6, 1e6, "3e6"),
            (2.5e6, 5e5, "2500000"),
            (2.5e7, 5e6, "2.5e7"),
            (3.0000012000000003, 2e-7, "3.0000012"),
            (0.001, 0.0005, "0.0010"),
            (f64::NAN, 0.1, ""),
            (f64::INFINITY, 0.1, ""),
        ];
        for (value, step, want) in cases {
            assert_eq!(
                tick_label(value, step),
                want,
                "tick_label({value:?}, {step:?})"
            );
        }
    }

    #[test]
    fn labels_of_nice_ticks_read_back_as_the_ticks() {
        for (lo, hi) in [
            (0.0, 1.0),
            (-0.013, 0.0271),
            (-1.4475, 2.31),
            (2e-6, 9e-6),
            (0.0, 4e7),
        ] {
            let t = nice_scale(lo, hi, 6).unwrap();
            let labels = t.labels();
            let unique: std::collections::BTreeSet<&String> = labels.iter().collect();
            assert_eq!(unique.len(), labels.len(), "{labels:?}");
            for (label, &v) in labels.iter().zip(&t.values) {
                let back: f64 = label.parse().unwrap();
                assert!((back - v).abs() <= t.step * 1e-9, "{label} for {v}");
            }
        }
    }
}
