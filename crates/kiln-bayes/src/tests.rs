//! Checks of the objective against independent references: central finite differences for
//! the gradient, the exact posterior of Bayesian linear regression, and bad settings.
#![allow(clippy::print_stderr)] // tests report the figures they measured

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::advi::{Objective, fit_in, rho_for};
use crate::config::*;
use crate::math::Normal;
use crate::{BayesError, DataView, PredictiveConfig, fit};

fn layer(inputs: usize, units: usize, activation: Activation, bias: bool) -> LayerConfig {
    LayerConfig {
        inputs,
        units,
        activation,
        bias,
        prior: Prior {
            mean: PriorMean::Constant(0.1),
            sigma: 0.8,
        },
    }
}

/// Rows of a smooth toy problem: 3 features, targets from `target(row)`.
fn toy(rows: usize, target: impl Fn(&[f32]) -> f32) -> (Vec<f32>, Vec<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut normal = Normal::default();
    let x: Vec<f32> = (0..rows * 3)
        .map(|_| normal.sample(&mut rng) as f32)
        .collect();
    let y = x.chunks_exact(3).map(target).collect();
    (x, y)
}

/// Central differences of the ELBO (with the noise ε held fixed, so the objective is a
/// deterministic function of θ) against the hand-derived gradient, in `f64`.
fn check_gradient(net: &NetConfig, x: &[f32], y: &[f32], batch: Option<usize>) {
    let rows = y.len();
    let data = DataView {
        inputs: x,
        rows,
        targets: y,
    };
    let mut obj = Objective::<f64>::new(net, data, batch).unwrap();
    let p = obj.params;
    let learned = usize::from(matches!(
        net.likelihood,
        Likelihood::Gaussian {
            noise: Noise::Learned { .. }
        }
    ));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut normal = Normal::default();
    let samples = 2;
    let mut theta = vec![0.0; 2 * p + learned];
    for (i, t) in theta.iter_mut().enumerate() {
        let z = normal.sample(&mut rng);
        *t = if i < p {
            0.7 * z
        } else {
            rho_for(0.3 + 0.1 * z.abs())
        };
    }
    if learned == 1 {
        theta[2 * p] = 0.4f64.ln();
    }
    let mut eps = vec![0.0; samples * p];
    normal.fill(&mut rng, &mut eps);
    let mut grad = vec![0.0; theta.len()];
    obj.elbo_and_gradient(&theta, &eps, samples, &mut grad);
    let mut scratch = vec![0.0; theta.len()];
    let h = 1e-5;
    let mut worst = 0.0f64;
    for i in 0..theta.len() {
        let mut t = theta.clone();
        t[i] = theta[i] + h;
        let up = obj.elbo_and_gradient(&t, &eps, samples, &mut scratch);
        t[i] = theta[i] - h;
        let down = obj.elbo_and_gradient(&t, &eps, samples, &mut scratch);
        let fd = (up - down) / (2.0 * h);
        let err = (fd - grad[i]).abs() / fd.abs().max(1.0);
        worst = worst.max(err);
        assert!(
            err < 1e-6,
            "parameter {i}: finite difference {fd}, backward pass {}",
            grad[i]
        );
    }
    assert!(worst < 1e-6);
}

#[test]
fn gradient_matches_finite_differences_bernoulli() {
    let (x, y) = toy(40, |r| f32::from(u8::from(r[0] * r[1] > 0.0)));
    let net = NetConfig {
        layers: vec![
            layer(3, 4, Activation::Tanh, false),
            layer(4, 5, Activation::Tanh, true),
            layer(5, 1, Activation::Linear, false),
        ],
        likelihood: Likelihood::Bernoulli,
    };
    check_gradient(&net, &x, &y, None);
}

#[test]
fn gradient_matches_finite_differences_categorical() {
    let (x, y) = toy(30, |r| {
        if r[0] > 0.5 {
            2.0
        } else if r[1] > 0.0 {
            1.0
        } else {
            0.0
        }
    });
    let net = NetConfig {
        layers: vec![
            layer(3, 4, Activation::Sigmoid, true),
            layer(4, 3, Activation::Linear, true),
        ],
        likelihood: Likelihood::Categorical,
    };
    check_gradient(&net, &x, &y, None);
}

#[test]
fn gradient_matches_finite_differences_gaussian_with_learned_noise() {
    let (x, y) = toy(25, |r| r[0] - 2.0 * r[2] + 0.3);
    let mut first = layer(3, 6, Activation::Relu, true);
    first.prior.mean = PriorMean::Values {
        weights: (0..18).map(|i| f64::from(i) * 0.05 - 0.4).collect(),
        biases: vec![0.2; 6],
    };
    let net = NetConfig {
        layers: vec![first, layer(6, 1, Activation::Linear, true)],
        likelihood: Likelihood::Gaussian {
            noise: Noise::Learned { initial: 0.5 },
        },
    };
    check_gradient(&net, &x, &y, None);
    // A minibatch's objective is a function of θ too (the batch is fixed between calls).
    check_gradient(&net, &x, &y, Some(7));
}

#[test]
fn f32_kernels_agree_with_f64() {
    let (x, y) = toy(300, |r| f32::from(u8::from(r[0] + r[1] * r[1] > 0.5)));
    let net = NetConfig {
        layers: vec![
            layer(3, 5, Activation::Tanh, false),
            layer(5, 5, Activation::Tanh, false),
            layer(5, 1, Activation::Linear, false),
        ],
        likelihood: Likelihood::Bernoulli,
    };
    let data = DataView {
        inputs: &x,
        rows: 300,
        targets: &y,
    };
    let mut o32 = Objective::<f32>::new(&net, data, None).unwrap();
    let mut o64 = Objective::<f64>::new(&net, data, None).unwrap();
    let p = o32.params;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut normal = Normal::default();
    let mut theta = vec![0.0; 2 * p];
    normal.fill(&mut rng, &mut theta);
    let mut eps = vec![0.0; p];
    normal.fill(&mut rng, &mut eps);
    let (mut g32, mut g64) = (vec![0.0; 2 * p], vec![0.0; 2 * p]);
    let e32 = o32.elbo_and_gradient(&theta, &eps, 1, &mut g32);
    let e64 = o64.elbo_and_gradient(&theta, &eps, 1, &mut g64);
    assert!((e32 - e64).abs() < 1e-4 * e64.abs(), "{e32} vs {e64}");
    let norm = g64.iter().map(|g| g * g).sum::<f64>().sqrt();
    for (a, b) in g32.iter().zip(&g64) {
        assert!((a - b).abs() < 1e-4 * norm, "{a} vs {b}");
    }
}

/// Bayesian linear regression y = Xw + noise with a N(0, σ₀²) prior and known noise σ, on a
/// design with orthogonal columns (XᵀX = n·I): the exact posterior is a product of
/// independent normals, N(m_j, s²) with s² = 1 / (n/σ² + 1/σ₀²) and m_j = s²·(Xᵀy)_j/σ²,
/// so the mean-field approximation can match it exactly.
#[test]
fn linear_regression_matches_the_closed_form_posterior() {
    let n = 64;
    let d = 3;
    let (noise, prior_sigma) = (0.5, 1.0);
    let truth = [1.0, -0.5, 2.0];
    // Walsh functions: ±1 columns, pairwise orthogonal.
    let mut x = vec![0.0f32; n * d];
    for i in 0..n {
        for j in 0..d {
            x[i * d + j] = if (i >> j) & 1 == 0 { 1.0 } else { -1.0 };
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut normal = Normal::default();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            let mean: f64 = (0..d).map(|j| f64::from(x[i * d + j]) * truth[j]).sum();
            (mean + noise * normal.sample(&mut rng)) as f32
        })
        .collect();
    let post_var = 1.0 / (n as f64 / (noise * noise) + 1.0 / (prior_sigma * prior_sigma));
    let exact_mean: Vec<f64> = (0..d)
        .map(|j| {
            let xty: f64 = (0..n)
                .map(|i| f64::from(x[i * d + j]) * f64::from(y[i]))
                .sum();
            post_var * xty / (noise * noise)
        })
        .collect();
    let exact_sd = post_var.sqrt();

    let net = NetConfig {
        layers: vec![LayerConfig {
            inputs: d,
            units: 1,
            activation: Activation::Linear,
            bias: false,
            prior: Prior {
                mean: PriorMean::Constant(0.0),
                sigma: prior_sigma,
            },
        }],
        likelihood: Likelihood::Gaussian {
            noise: Noise::Fixed(noise),
        },
    };
    let config = AdviConfig {
        iterations: 30_000,
        samples: 8,
        optimizer: Optimizer::Adam {
            learning_rate: 0.002,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        },
        ..AdviConfig::default()
    };
    let data = DataView {
        inputs: &x,
        rows: n,
        targets: &y,
    };
    let fit = fit(&net, data, &config, &mut |_| true).unwrap();
    let layer = &fit.posterior.layers[0];
    for (j, &exact) in exact_mean.iter().enumerate() {
        let (m, s) = (layer.weight_mu[j], layer.weight_sigma[j]);
        let rel_m = (m - exact).abs() / exact.abs();
        let rel_s = (s - exact_sd).abs() / exact_sd;
        eprintln!(
            "w{j}: ADVI mean {m:.5} sd {s:.5}; exact mean {exact:.5} sd {exact_sd:.5}; errors {:.2}% / {:.2}%",
            100.0 * rel_m,
            100.0 * rel_s
        );
        assert!(rel_m < 0.02, "mean of w{j} off by {:.2}%", 100.0 * rel_m);
        assert!(rel_s < 0.10, "sd of w{j} off by {:.2}%", 100.0 * rel_s);
    }
}

#[test]
fn fitting_is_reproducible_and_converges_early() {
    let (x, y) = toy(200, |r| f32::from(u8::from(r[0] > r[1])));
    let net = NetConfig {
        layers: vec![
            layer(3, 4, Activation::Tanh, true),
            layer(4, 1, Activation::Linear, true),
        ],
        likelihood: Likelihood::Bernoulli,
    };
    let data = DataView {
        inputs: &x,
        rows: 200,
        targets: &y,
    };
    let config = AdviConfig {
        iterations: 20_000,
        batch_size: Some(32),
        optimizer: Optimizer::Adam {
            learning_rate: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        },
        convergence: Some(Convergence {
            window: 1000,
            tolerance: 0.01,
        }),
        ..AdviConfig::default()
    };
    let a = fit(&net, data, &config, &mut |_| true).unwrap();
    let b = fit(&net, data, &config, &mut |_| true).unwrap();
    assert_eq!(a.posterior, b.posterior);
    assert_eq!(a.stop, crate::AdviStop::Converged);
    assert!(a.trace.len() < 20_000 && a.trace.len().is_multiple_of(1000));
    // The ELBO rose: the last window's mean is above the first's.
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    assert!(mean(&a.trace[a.trace.len() - 1000..]) > mean(&a.trace[..1000]));
    // And the fit learned the rule.
    let pred = a
        .posterior
        .predict(&x, 200, &PredictiveConfig::default())
        .unwrap();
    let correct = pred
        .mean
        .iter()
        .zip(&y)
        .filter(|(p, t)| (**p > 0.5) == (**t > 0.5))
        .count();
    assert!(correct > 180, "{correct}/200");
    let stopped = fit(&net, data, &config, &mut |p| p.iteration < 2000).unwrap();
    assert_eq!(stopped.stop, crate::AdviStop::Interrupted);
    assert_eq!(stopped.trace.len(), 2000);
}

#[test]
fn bad_settings_are_named() {
    let mut net = NetConfig {
        layers: vec![layer(2, 1, Activation::Linear, false)],
        likelihood: Likelihood::Bernoulli,
    };
    net.layers[0].prior.sigma = 0.0;
    let err = net.check().unwrap_err();
    assert!(
        err.to_string().contains("layers[0].bayesian.prior_sigma"),
        "{err}"
    );
    net.layers[0].prior.sigma = 1.0;
    net.layers[0].prior.mean = PriorMean::Values {
        weights: vec![0.0; 3],
        biases: vec![],
    };
    assert_eq!(
        net.check().unwrap_err(),
        BayesError::PriorShape {
            layer: 0,
            what: "weights",
            expected: 2,
            found: 3,
            shape: "2 inputs × 1 units".into()
        }
    );
    let config = AdviConfig {
        samples: 0,
        ..AdviConfig::default()
    };
    assert!(
        config
            .check()
            .unwrap_err()
            .to_string()
            .contains("training.advi.samples")
    );
    // Targets a Bernoulli likelihood cannot take.
    net.layers[0].prior.mean = PriorMean::Constant(0.0);
    let err = fit_in::<f64>(
        &net,
        DataView {
            inputs: &[0.0, 1.0],
            rows: 1,
            targets: &[2.0],
        },
        &AdviConfig::default(),
        &mut |_| true,
    )
    .unwrap_err();
    assert!(matches!(err, BayesError::Data(_)), "{err}");
}

/// A row's predictive summaries do not depend on the rows predicted with it (a server batches
/// requests together), for a likelihood with observation noise and one without.
#[test]
fn a_rows_prediction_does_not_depend_on_its_batch_mates() {
    let (x, y) = toy(60, |r| r[0] - 0.5 * r[2]);
    let labels: Vec<f32> = y.iter().map(|&v| f32::from(u8::from(v > 0.0))).collect();
    for (likelihood, targets) in [
        (
            Likelihood::Gaussian {
                noise: Noise::Learned { initial: 1.0 },
            },
            &y,
        ),
        (Likelihood::Bernoulli, &labels),
    ] {
        let net = NetConfig {
            layers: vec![
                layer(3, 4, Activation::Tanh, true),
                layer(4, 1, Activation::Linear, true),
            ],
            likelihood,
        };
        let data = DataView {
            inputs: &x,
            rows: 60,
            targets,
        };
        let config = AdviConfig {
            iterations: 500,
            ..AdviConfig::default()
        };
        let posterior = fit(&net, data, &config, &mut |_| true).unwrap().posterior;
        let predictive = PredictiveConfig::default();
        let all = posterior.predict(&x, 60, &predictive).unwrap();
        assert!(all.std.iter().all(|&s| s > 0.0));
        for i in [0, 17, 59] {
            let alone = posterior
                .predict(&x[i * 3..(i + 1) * 3], 1, &predictive)
                .unwrap();
            let tail = posterior.predict(&x[i * 3..], 60 - i, &predictive).unwrap();
            for p in [&alone, &tail] {
                assert_eq!(p.mean[0], all.mean[i], "{likelihood:?} row {i}");
                assert_eq!(p.std[0], all.std[i], "{likelihood:?} row {i}");
                assert_eq!(p.lower[0], all.lower[i], "{likelihood:?} row {i}");
                assert_eq!(p.upper[0], all.upper[i], "{likelihood:?} row {i}");
            }
        }
    }
}
