//! Generated datasets, scikit-learn's `make_moons`, `make_circles` and `make_blobs` in 2-D:
//! seeded, no download.

use kiln_spec::types::GenerateSpec;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalogue::{Kind, Part};
use crate::table::{Column, Table};

/// The generated dataset `kind` (`Moons`, `Circles` or `Blobs`) with `generate`'s settings
/// (defaults: 1000 samples, no noise, seed 0); the test part is an independent sample.
pub(super) fn load(kind: Kind, part: Part, generate: Option<&GenerateSpec>) -> Table {
    let default = GenerateSpec {
        samples: 1000,
        noise: 0.0,
        seed: 0,
        centers: None,
    };
    let mut g = generate.cloned().unwrap_or(default);
    if part == Part::Test {
        // An independent sample from the same distribution.
        g.seed = g.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    }
    match kind {
        Kind::Moons => make_moons(g.samples, g.noise, g.seed),
        Kind::Circles => make_circles(g.samples, g.noise, 0.8, g.seed),
        _ => make_blobs(
            g.samples,
            g.centers.unwrap_or(3),
            if g.noise > 0.0 { g.noise } else { 1.0 },
            g.seed,
        ),
    }
}

/// `n` evenly spaced values from `a` to `b` inclusive (numpy's `linspace`).
fn linspace(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
    (0..n).map(move |i| a + step * i as f64)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Shuffles the points, adds noise, and builds the `x0, x1, label` table.
fn points_table(mut points: Vec<(f64, f64, f64)>, noise: f64, rng: &mut ChaCha8Rng) -> Table {
    points.shuffle(rng);
    let mut x0 = Vec::with_capacity(points.len());
    let mut x1 = Vec::with_capacity(points.len());
    let mut label = Vec::with_capacity(points.len());
    for (a, b, l) in points {
        if noise > 0.0 {
            x0.push(a + noise * normal(rng));
            x1.push(b + noise * normal(rng));
        } else {
            x0.push(a);
            x1.push(b);
        }
        label.push(l);
    }
    Table {
        columns: vec![
            Column::number("x0", x0),
            Column::number("x1", x1),
            Column::number("label", label),
        ],
    }
}

/// scikit-learn's `make_moons`: `samples / 2` points on the upper half circle
/// `(cos t, sin t)`, `t ∈ linspace(0, π)` (label 0), the rest on `(1 - cos t, 1 - sin t - 0.5)`
/// (label 1), shuffled, plus Gaussian noise of standard deviation `noise`.
pub fn make_moons(samples: usize, noise: f64, seed: u64) -> Table {
    let n_out = samples / 2;
    let n_in = samples - n_out;
    let pi = std::f64::consts::PI;
    let mut points: Vec<(f64, f64, f64)> = linspace(0.0, pi, n_out)
        .map(|t| (t.cos(), t.sin(), 0.0))
        .collect();
    points.extend(linspace(0.0, pi, n_in).map(|t| (1.0 - t.cos(), 1.0 - t.sin() - 0.5, 1.0)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    points_table(points, noise, &mut rng)
}

/// scikit-learn's `make_circles`: `samples / 2` points on the unit circle (label 0), the rest
/// on a circle of radius `factor` (label 1), angles `linspace(0, 2π)` without the endpoint,
/// shuffled, plus Gaussian noise.
pub fn make_circles(samples: usize, noise: f64, factor: f64, seed: u64) -> Table {
    let n_out = samples / 2;
    let n_in = samples - n_out;
    let tau = std::f64::consts::TAU;
    let ring = |n: usize, r: f64, label: f64| {
        (0..n).map(move |i| {
            let t = tau * i as f64 / n as f64;
            (r * t.cos(), r * t.sin(), label)
        })
    };
    let mut points: Vec<_> = ring(n_out, 1.0, 0.0).collect();
    points.extend(ring(n_in, factor, 1.0));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    points_table(points, noise, &mut rng)
}

/// scikit-learn's `make_blobs` in 2-D: `centers` centres drawn uniformly in `[-10, 10]²`,
/// `samples / centers` points around each (the first `samples % centers` get one more), with
/// Gaussian spread `std`; label = centre index; shuffled.
pub fn make_blobs(samples: usize, centers: usize, std: f64, seed: u64) -> Table {
    let centers = centers.max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let c: Vec<(f64, f64)> = (0..centers)
        .map(|_| (rng.random_range(-10.0..10.0), rng.random_range(-10.0..10.0)))
        .collect();
    let mut points = Vec::with_capacity(samples);
    for (k, &(cx, cy)) in c.iter().enumerate() {
        let n = samples / centers + usize::from(k < samples % centers);
        for _ in 0..n {
            points.push((
                cx + std * normal(&mut rng),
                cy + std * normal(&mut rng),
                k as f64,
            ));
        }
    }
    points_table(points, 0.0, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::ColumnData;

    fn col<'a>(t: &'a Table, name: &str) -> &'a [f64] {
        match &t.column(name).unwrap().data {
            ColumnData::Number(v) => v,
            other => panic!("{name} is {}", other.kind_name()),
        }
    }

    #[test]
    fn moons_follow_the_definition() {
        let t = make_moons(10, 0.0, 3);
        assert_eq!(t.names(), ["x0", "x1", "label"]);
        let (x0, x1, l) = (col(&t, "x0"), col(&t, "x1"), col(&t, "label"));
        assert_eq!(l.iter().filter(|&&v| v == 0.0).count(), 5);
        let has = |a: f64, b: f64, lab: f64| {
            (0..10).any(|i| (x0[i] - a).abs() < 1e-12 && (x1[i] - b).abs() < 1e-12 && l[i] == lab)
        };
        // Outer: t = 0 → (1, 0); t = π → (-1, 0); t = π/4 → (cos π/4, sin π/4).
        assert!(has(1.0, 0.0, 0.0));
        assert!(has(-1.0, 0.0, 0.0));
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!(has(r, r, 0.0));
        // Inner: t = 0 → (0, 0.5); t = π → (2, 0.5); t = π/2 → (1, -0.5).
        assert!(has(0.0, 0.5, 1.0));
        assert!(has(2.0, 0.5, 1.0));
        assert!(has(1.0, -0.5, 1.0));
        for i in 0..10 {
            let d = if l[i] == 0.0 {
                x0[i].hypot(x1[i])
            } else {
                (x0[i] - 1.0).hypot(x1[i] - 0.5)
            };
            assert!((d - 1.0).abs() < 1e-12);
        }
        // Shuffled, deterministic, and noise moves points.
        assert_ne!(l, [0., 0., 0., 0., 0., 1., 1., 1., 1., 1.]);
        assert_eq!(make_moons(10, 0.0, 3), t);
        let noisy = make_moons(2000, 0.1, 1);
        let (x0, x1, l) = (col(&noisy, "x0"), col(&noisy, "x1"), col(&noisy, "label"));
        let dev: Vec<f64> = (0..2000)
            .filter(|&i| l[i] == 0.0)
            .map(|i| x0[i].hypot(x1[i]) - 1.0)
            .collect();
        let rms = (dev.iter().map(|d| d * d).sum::<f64>() / dev.len() as f64).sqrt();
        assert!((0.07..0.13).contains(&rms), "{rms}");
    }

    #[test]
    fn circles_and_blobs() {
        let t = make_circles(8, 0.0, 0.5, 0);
        let (x0, x1, l) = (col(&t, "x0"), col(&t, "x1"), col(&t, "label"));
        for i in 0..8 {
            let r = x0[i].hypot(x1[i]);
            assert!((r - if l[i] == 0.0 { 1.0 } else { 0.5 }).abs() < 1e-12);
        }
        let b = make_blobs(100, 4, 0.5, 7);
        let l = col(&b, "label");
        assert_eq!(b.len(), 100);
        for k in 0..4 {
            assert_eq!(l.iter().filter(|&&v| v == k as f64).count(), 25);
        }
    }
}
