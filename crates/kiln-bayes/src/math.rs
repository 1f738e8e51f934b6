//! The scalar type the kernels are written over, and the elementwise functions they need.
//!
//! Training runs in `f32` with branch-free rational approximations of `tanh` and the
//! logistic functions, so that the loops over a batch vectorise (8 lanes with AVX). The `f64`
//! implementation uses the standard library's exact functions; tests use it to check the
//! hand-derived gradients against finite differences, and to check the `f32` approximations.
//! [`Normal`] draws the standard normal variates the fit and the predictive sample from.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub};

use rand::Rng as _;
use rand_chacha::ChaCha8Rng;

/// A floating-point type the network kernels run in (`f32` for speed, `f64` for checks).
pub(crate) trait Real:
    Copy
    + Default
    + Debug
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Conversion from `f64` (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Conversion to `f64`.
    fn to_f64(self) -> f64;
    /// The larger of two values.
    fn max(self, other: Self) -> Self;
    /// The hyperbolic tangent.
    fn tanh(self) -> Self;
    /// The logistic function 1 / (1 + e^-x).
    fn sigmoid(self) -> Self;
    /// ln(1 + e^x).
    fn softplus(self) -> Self;
    /// e^x (used off the hot path: softmax, predictions).
    fn exp(self) -> Self;
    /// ln(x) (off the hot path).
    fn ln(self) -> Self;
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        f64::max(self, other)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        f64::tanh(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        if self >= 0.0 {
            1.0 / (1.0 + (-self).exp())
        } else {
            let e = self.exp();
            e / (1.0 + e)
        }
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        self.max(0.0) + (-self.abs()).exp().ln_1p()
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f64::ln(self)
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        if self > other { self } else { other }
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        tanh_f32(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        0.5 + 0.5 * tanh_f32(0.5 * self)
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        softplus_f32(self)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        f32::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        f32::ln(self)
    }
}

/// `tanh` as a rational function of x² on [-7.9, 7.9] (the coefficients of Eigen's
/// `generic_fast_tanh_float`); beyond that range `tanh` rounds to ±1 in `f32`. Absolute error
/// below 5e-7 (tested), no branches, so loops over it vectorise.
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_7e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let x = if x > CLAMP { CLAMP } else { x };
    let x = if x < -CLAMP { -CLAMP } else { x };
    let x2 = x * x;
    let p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x;
    let q = ((B6 * x2 + B4) * x2 + B2) * x2 + B0;
    p / q
}

/// ln(1 + e^z) = max(z, 0) − ln σ(|z|), with σ(|z|) ∈ [0.5, 1] from [`tanh_f32`] and its
/// logarithm from the atanh series ln s = 2·atanh((s − 1)/(s + 1)), |t| ≤ 1/3.
#[inline(always)]
fn softplus_f32(z: f32) -> f32 {
    let a = if z < 0.0 { -z } else { z };
    let s = 0.5 + 0.5 * tanh_f32(0.5 * a);
    let t = (s - 1.0) / (s + 1.0);
    let t2 = t * t;
    let series = t
        * (1.0
            + t2 * (1.0 / 3.0
                + t2 * (1.0 / 5.0
                    + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 * (1.0 / 11.0 + t2 / 13.0))))));
    let pos = if z > 0.0 { z } else { 0.0 };
    pos - 2.0 * series
}

/// σ = softplus(ρ) in `f64`, PyMC's `rho2sigma`.
#[inline]
pub(crate) fn softplus64(rho: f64) -> f64 {
    rho.max(0.0) + (-rho.abs()).exp().ln_1p()
}

/// dσ/dρ = logistic(ρ).
#[inline]
pub(crate) fn sigmoid64(x: f64) -> f64 {
    <f64 as Real>::sigmoid(x)
}

/// ρ with softplus(ρ) = σ (σ > 0).
pub(crate) fn inverse_softplus(sigma: f64) -> f64 {
    if sigma > 30.0 {
        sigma
    } else {
        sigma.exp_m1().ln()
    }
}

/// Lane count of the hand-unrolled reductions: two AVX registers of `f32`.
const LANES: usize = 16;

/// Σ aᵢ·bᵢ with `LANES` independent accumulators, so the compiler can vectorise it without
/// reassociating floating-point sums.
#[inline(always)]
pub(crate) fn dot<F: Real>(a: &[F], b: &[F]) -> F {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [F::ZERO; LANES];
    let mut ca = a.chunks_exact(LANES);
    let mut cb = b.chunks_exact(LANES);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = F::ZERO;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += *x * *y;
    }
    reduce(acc) + tail
}

/// Σ aᵢ, vectorised as [`dot`].
#[inline(always)]
pub(crate) fn sum<F: Real>(a: &[F]) -> F {
    let mut acc = [F::ZERO; LANES];
    let mut chunks = a.chunks_exact(LANES);
    for x in &mut chunks {
        for l in 0..LANES {
            acc[l] += x[l];
        }
    }
    let mut tail = F::ZERO;
    for x in chunks.remainder() {
        tail += *x;
    }
    reduce(acc) + tail
}

#[inline(always)]
fn reduce<F: Real>(acc: [F; LANES]) -> F {
    let mut s = F::ZERO;
    for v in acc {
        s += v;
    }
    s
}

/// Standard normal draws by Marsaglia's polar method, keeping the spare value.
#[derive(Debug, Default)]
pub(crate) struct Normal {
    spare: Option<f64>,
}

impl Normal {
    pub(crate) fn sample(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        if let Some(s) = self.spare.take() {
            return s;
        }
        loop {
            let u: f64 = rng.random::<f64>() * 2.0 - 1.0;
            let v: f64 = rng.random::<f64>() * 2.0 - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * f);
                return u * f;
            }
        }
    }

    pub(crate) fn fill(&mut self, rng: &mut ChaCha8Rng, out: &mut [f64]) {
        for v in out {
            *v = self.sample(rng);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_approximations_match_f64() {
        let mut worst = [0.0f64; 3];
        for i in -20_000..=20_000 {
            let x = f64::from(i) * 1e-3;
            let xf = x as f32;
            let xd = f64::from(xf);
            worst[0] = worst[0].max((f64::from(Real::tanh(xf)) - xd.tanh()).abs());
            worst[1] = worst[1].max((f64::from(Real::sigmoid(xf)) - Real::sigmoid(xd)).abs());
            let sp = Real::softplus(xd);
            worst[2] = worst[2].max((f64::from(Real::softplus(xf)) - sp).abs() / sp.max(1.0));
        }
        assert!(worst[0] < 5e-7, "tanh error {}", worst[0]);
        assert!(worst[1] < 5e-7, "sigmoid error {}", worst[1]);
        assert!(worst[2] < 1e-6, "softplus error {}", worst[2]);
    }

    #[test]
    fn softplus_inverse_round_trips() {
        for s in [1e-4, 0.1, 0.693, 1.0, 5.0, 40.0] {
            assert!((softplus64(inverse_softplus(s)) - s).abs() < 1e-9 * s.max(1.0));
        }
    }

    #[test]
    fn reductions_match_naive_sums() {
        let a: Vec<f64> = (0..37).map(|i| f64::from(i) * 0.5 - 3.0).collect();
        let b: Vec<f64> = (0..37).map(|i| f64::from(i % 5) - 1.0).collect();
        let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-12);
        assert!((sum(&a) - a.iter().sum::<f64>()).abs() < 1e-12);
    }
}
