//! Rules for integrating along the straight path from a baseline to the input: `n` points
//! `α ∈ [0, 1]` and their weights, `∫₀¹ f(α) dα ≈ Σ wₖ f(αₖ)`. Captum's names and meanings.

use crate::{ExplainError, Result};

/// A quadrature rule on `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Gauss–Legendre (Captum's default, `method="gausslegendre"`): exact for polynomials of
    /// degree `2n − 1`.
    GaussLegendre,
    /// The trapezoid rule on `n` evenly spaced points including both ends
    /// (`riemann_trapezoid`).
    Trapezoid,
    /// Midpoints of `n` equal intervals (`riemann_middle`).
    Middle,
}

impl Rule {
    /// Parses a rule's name (`gausslegendre`, `riemann_trapezoid`, `riemann_middle`, or the
    /// short `gauss-legendre`, `trapezoid`, `middle`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "gausslegendre" | "gauss-legendre" | "gauss_legendre" => Some(Self::GaussLegendre),
            "riemann_trapezoid" | "trapezoid" => Some(Self::Trapezoid),
            "riemann_middle" | "middle" => Some(Self::Middle),
            _ => None,
        }
    }

    /// The rule's name as Captum spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::GaussLegendre => "gausslegendre",
            Self::Trapezoid => "riemann_trapezoid",
            Self::Middle => "riemann_middle",
        }
    }

    /// `n` points in increasing order and their weights (which sum to 1).
    ///
    /// # Errors
    /// [`ExplainError::Setting`] for `n = 0` (or `n < 2` for the trapezoid rule).
    pub fn points(self, n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        let least = if self == Self::Trapezoid { 2 } else { 1 };
        if n < least {
            return Err(ExplainError::Setting {
                setting: "steps",
                message: format!(
                    "the {} rule needs at least {least} points, got {n}",
                    self.name()
                ),
            });
        }
        Ok(match self {
            Self::GaussLegendre => {
                let (x, w) = gauss_legendre(n);
                (
                    x.iter().map(|x| 0.5 * (1.0 + x)).collect(),
                    w.iter().map(|w| 0.5 * w).collect(),
                )
            }
            Self::Trapezoid => {
                let h = 1.0 / (n - 1) as f64;
                let alphas = (0..n).map(|i| i as f64 * h).collect();
                let mut weights = vec![h; n];
                weights[0] = 0.5 * h;
                weights[n - 1] = 0.5 * h;
                (alphas, weights)
            }
            Self::Middle => {
                let h = 1.0 / n as f64;
                ((0..n).map(|i| (i as f64 + 0.5) * h).collect(), vec![h; n])
            }
        })
    }
}

/// Gauss–Legendre nodes on `[−1, 1]` in increasing order and their weights (as NumPy's
/// `leggauss`): the roots of the Legendre polynomial `Pₙ` by Newton's method from
/// Tricomi's estimates, weights `2 / ((1 − x²) Pₙ′(x)²)`.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    let nf = n as f64;
    for i in 0..n.div_ceil(2) {
        // The i-th largest root.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (nf + 0.5)).cos();
        let mut derivative = 0.0;
        for _ in 0..100 {
            let (p, dp) = legendre(n, x);
            derivative = dp;
            let dx = p / dp;
            x -= dx;
            if dx.abs() <= 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre(n, x);
        derivative = if dp.is_finite() { dp } else { derivative };
        let w = 2.0 / ((1.0 - x * x) * derivative * derivative);
        nodes[n - 1 - i] = x;
        weights[n - 1 - i] = w;
        nodes[i] = -x;
        weights[i] = w;
    }
    if n % 2 == 1 {
        nodes[n / 2] = 0.0;
    }
    (nodes, weights)
}

/// `Pₙ(x)` and `Pₙ′(x)` by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let k = k as f64;
        let p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
    }
    let nf = n as f64;
    (p1, nf * (x * p1 - p0) / (x * x - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_rules_match_their_closed_forms() {
        let (x, w) = gauss_legendre(2);
        let r = 1.0 / 3f64.sqrt();
        assert!(
            (x[0] + r).abs() < 1e-15 && (x[1] - r).abs() < 1e-15,
            "{x:?}"
        );
        assert!(
            (w[0] - 1.0).abs() < 1e-14 && (w[1] - 1.0).abs() < 1e-14,
            "{w:?}"
        );
        let (x, w) = gauss_legendre(3);
        let r = 0.6f64.sqrt();
        assert!((x[0] + r).abs() < 1e-15 && x[1] == 0.0 && (x[2] - r).abs() < 1e-15);
        for (a, b) in w.iter().zip([5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0]) {
            assert!((a - b).abs() < 1e-14, "{w:?}");
        }
    }

    #[test]
    fn gauss_legendre_is_exact_to_degree_2n_minus_1() {
        for n in [1, 4, 7, 20, 50, 128] {
            let (alphas, weights) = Rule::GaussLegendre.points(n).unwrap();
            assert!(alphas.windows(2).all(|p| p[0] < p[1]));
            for degree in 0..2 * n.min(10) {
                let integral: f64 = alphas
                    .iter()
                    .zip(&weights)
                    .map(|(a, w)| w * a.powi(degree as i32))
                    .sum();
                let exact = 1.0 / (degree as f64 + 1.0);
                assert!(
                    (integral - exact).abs() < 1e-13,
                    "n {n}, degree {degree}: {integral}"
                );
            }
        }
    }

    #[test]
    fn riemann_rules_follow_captum() {
        let (a, w) = Rule::Trapezoid.points(5).unwrap();
        assert_eq!(a, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(w, vec![0.125, 0.25, 0.25, 0.25, 0.125]);
        let (a, w) = Rule::Middle.points(4).unwrap();
        assert_eq!(a, vec![0.125, 0.375, 0.625, 0.875]);
        assert_eq!(w, vec![0.25; 4]);
        assert!(Rule::Trapezoid.points(1).is_err());
        assert!(Rule::GaussLegendre.points(0).is_err());
    }
}
