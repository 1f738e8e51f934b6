//! Times 50,000 full-batch ADVI iterations of the seed's network on 500 generated moons
//! points: `cargo run --release -p kiln-bayes --example moons_timing`.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use kiln_bayes::{
    Activation, AdviConfig, DataView, LayerConfig, Likelihood, NetConfig, Prior, fit,
};

fn main() {
    // A deterministic stand-in for make_moons (the facade's tests use the real generator).
    let rows = 500;
    let mut x = Vec::with_capacity(rows * 2);
    let mut y = Vec::with_capacity(rows);
    let mut state = 1u64;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..rows {
        let t = std::f64::consts::PI * uniform();
        let (px, py, label) = if i % 2 == 0 {
            (t.cos(), t.sin(), 0.0)
        } else {
            (1.0 - t.cos(), 0.5 - t.sin(), 1.0)
        };
        x.push((px + 0.2 * (uniform() - 0.5)) as f32);
        x.push((py + 0.2 * (uniform() - 0.5)) as f32);
        y.push(label);
    }
    let layer = |inputs, units| LayerConfig {
        inputs,
        units,
        activation: Activation::Tanh,
        bias: false,
        prior: Prior::default(),
    };
    let net = NetConfig {
        layers: vec![layer(2, 5), layer(5, 5), layer(5, 1)],
        likelihood: Likelihood::Bernoulli,
    };
    let data = DataView {
        inputs: &x,
        rows,
        targets: &y,
    };
    for _ in 0..3 {
        let start = Instant::now();
        let fit = fit(&net, data, &AdviConfig::default(), &mut |_| true).expect("fit");
        println!(
            "50k iterations: {:.3} s, final ELBO {:.1}",
            start.elapsed().as_secs_f64(),
            fit.trace[fit.trace.len() - 1000..].iter().sum::<f64>() / 1000.0
        );
    }
}
