//! Weight initialisers shared by the layer families, each drawing from the caller's seeded
//! generator (never a global one), so that a seed gives the same weights in any process.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Glorot-uniform values: U(−l, l) with l = √(6 / (fan_in + fan_out)).
pub(crate) fn glorot(n: usize, fan_in: usize, fan_out: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    (0..n)
        .map(|_| rng.random::<f32>().mul_add(2.0 * limit, -limit))
        .collect()
}

/// A standard normal draw (Box–Muller).
pub(crate) fn normal(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}
