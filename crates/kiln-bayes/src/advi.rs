//! ADVI: the mean-field Gaussian approximation, its ELBO and gradient, the optimisers, and the
//! fitting loop.
//!
//! The objective mirrors PyMC's `pm.fit(method="advi")`: each weight w has a mean μ and a scale
//! σ = softplus(ρ) (PyMC's `rho2sigma`); each step draws ε ~ N(0, 1), w = μ + σ·ε, and
//! estimates
//!
//! ```text
//! ELBO = E_q[ (N/B)·log p(y_batch | w) + log p(w) ] + H[q],   H[q] = Σ ln σ + P·½·ln(2πe)
//! ```
//!
//! with the expectation over `samples` Monte-Carlo draws and the entropy in closed form (PyMC
//! computes `log q` at the drawn point, whose gradient is the same). The gradient with respect
//! to (μ, ρ) comes from the reparameterisation trick: ∂/∂μ = g, ∂/∂ρ = g·ε·σ'(ρ) + σ'(ρ)/σ,
//! where g = ∂(log-joint)/∂w is the network's hand-derived backward pass.
//!
//! # Where the fit starts
//!
//! The means start at a draw from the prior (its scale capped at 1), as the PyMC seed's
//! `initval = np.random.randn(…)` does for its N(0, 1) priors, and every σ at
//! [`AdviConfig::init_sigma`] (0.1; PyMC's `start_sigma`). Both matter on the seed's moons
//! network, where a poor start ends in a local optimum of the ELBO that is a near-linear
//! classifier (ELBO ≈ −186 against ≈ −120, 86 % test accuracy, a linear model's):
//!
//! - means drawn at LeCun scale N(0, 1/fan_in) instead sent 6 of 20 seeds there (and kept
//!   the median at 94.3 %);
//! - PyMC's σ₀ = softplus(0) ≈ 0.69, as large as the means, leaves each unit's output mostly
//!   noise at first: the prior and entropy terms pull weights to the prior before the data
//!   separates the units. With prior-scale means it still sent 1 seed in 20 to the linear
//!   optimum (PyMC itself: seed 1 of 3 in `bench/bnn_vs_pymc.py`). Starting at σ₀ = 0.1 lets
//!   the means organise first, and the scales grow to their fitted values afterwards: no
//!   seed of 20 collapsed, 18 of 20 ended at a higher ELBO than with σ₀ = 0.69 (mean −120.1
//!   against −127.1), and every one reached ≥ 95.2 % test accuracy.
//!
//! (Measured on the PyMC benchmark's data: `PYMC_RUNS=0 KILN_RUNS=20 bench/bnn_vs_pymc.sh`,
//! with `KILN_INIT_SIGMA=0.6931` for PyMC's σ₀; figures in `bench/RESULTS.md`.)

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{AdviConfig, Convergence, Likelihood, NetConfig, Noise, Optimizer, PriorMean};
use crate::error::BayesError;
use crate::math::{Normal, Real, inverse_softplus, sigmoid64, softplus64};
use crate::net::{Net, to_feature_major};
use crate::posterior::{LayerPosterior, Posterior};

/// Training rows, row-major, with one target per row (a class index for Bernoulli and
/// categorical likelihoods, a value for Gaussian).
#[derive(Debug, Clone, Copy)]
pub struct DataView<'a> {
    /// `rows × features` values.
    pub inputs: &'a [f32],
    /// Row count.
    pub rows: usize,
    /// `rows` targets.
    pub targets: &'a [f32],
}

/// Why fitting ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviStop {
    /// All iterations ran.
    Completed,
    /// The ELBO settled (see [`Convergence`]).
    Converged,
    /// The progress callback asked to stop.
    Interrupted,
}

/// Progress, reported every [`PROGRESS_EVERY`] iterations and at the end.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Iterations done.
    pub iteration: usize,
    /// Iterations planned.
    pub iterations: usize,
    /// Mean ELBO over the iterations since the last report.
    pub elbo: f64,
}

/// Iterations between progress reports.
pub const PROGRESS_EVERY: usize = 1000;

/// The result of [`fit`].
#[derive(Debug, Clone)]
pub struct Fit {
    /// The fitted approximation.
    pub posterior: Posterior,
    /// The ELBO estimate of every iteration (PyMC's `-approx.hist`).
    pub trace: Vec<f64>,
    /// Why fitting ended.
    pub stop: AdviStop,
}

/// Fits the mean-field approximation of `net`'s posterior to `data` by ADVI, in `f32` with
/// vectorised kernels. `on_progress` returning `false` stops early (the parameters so far are
/// kept).
///
/// # Errors
///
/// Invalid settings or data ([`BayesError::Invalid`], [`BayesError::PriorShape`],
/// [`BayesError::Data`]); an ELBO that becomes NaN ([`BayesError::NotFinite`]).
pub fn fit(
    net: &NetConfig,
    data: DataView<'_>,
    config: &AdviConfig,
    on_progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Fit, BayesError> {
    fit_in::<f32>(net, data, config, on_progress)
}

/// As [`fit`], with the kernels in `F` (`f64` is used by tests).
pub(crate) fn fit_in<F: Real>(
    net: &NetConfig,
    data: DataView<'_>,
    config: &AdviConfig,
    on_progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Fit, BayesError> {
    net.check()?;
    config.check()?;
    let mut obj = Objective::<F>::new(net, data, config.batch_size)?;
    let p = obj.params;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut normal = Normal::default();

    // θ = [μ (P), ρ (P), ln noise (learned Gaussian noise only)].
    let learned_noise = matches!(
        net.likelihood,
        Likelihood::Gaussian {
            noise: Noise::Learned { .. }
        }
    );
    let mut theta = vec![0.0; 2 * p + usize::from(learned_noise)];
    obj.initial_means(&mut theta[..p], &mut rng, &mut normal);
    theta[p..2 * p].fill(inverse_softplus(config.init_sigma));
    if let Likelihood::Gaussian {
        noise: Noise::Learned { initial },
    } = net.likelihood
    {
        theta[2 * p] = initial.ln();
    }
    let mut grad = vec![0.0; theta.len()];
    let mut eps = vec![0.0; p * config.samples];
    let mut optimizer = OptimizerState::new(config.optimizer, theta.len());
    let mut trace = Vec::with_capacity(config.iterations);
    let mut stop = AdviStop::Completed;
    let mut since_report = 0.0;
    for it in 1..=config.iterations {
        normal.fill(&mut rng, &mut eps);
        obj.next_batch(&mut rng);
        let elbo = obj.elbo_and_gradient(&theta, &eps, config.samples, &mut grad);
        if !elbo.is_finite() {
            return Err(BayesError::NotFinite {
                iteration: it,
                value: elbo,
            });
        }
        trace.push(elbo);
        since_report += elbo;
        // The optimisers minimise the loss −ELBO.
        grad.iter_mut().for_each(|g| *g = -*g);
        optimizer.step(&mut theta, &grad);
        let report = it % PROGRESS_EVERY == 0 || it == config.iterations;
        if report {
            let count = (it - 1) % PROGRESS_EVERY + 1;
            let keep_going = on_progress(Progress {
                iteration: it,
                iterations: config.iterations,
                elbo: since_report / count as f64,
            });
            since_report = 0.0;
            if !keep_going {
                stop = AdviStop::Interrupted;
                break;
            }
        }
        if let Some(c) = config.convergence
            && converged(&trace, c)
        {
            stop = AdviStop::Converged;
            break;
        }
    }
    Ok(Fit {
        posterior: obj.posterior(net, &theta),
        trace,
        stop,
    })
}

/// Every `window` iterations: |mean(last window) − mean(window before)| / |mean(window before)|
/// below `tolerance`.
fn converged(trace: &[f64], c: Convergence) -> bool {
    let n = trace.len();
    if n < 2 * c.window || !n.is_multiple_of(c.window) {
        return false;
    }
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    let new = mean(&trace[n - c.window..]);
    let old = mean(&trace[n - 2 * c.window..n - c.window]);
    (new - old).abs() <= c.tolerance * old.abs()
}

/// The ELBO of one network on one dataset: data in `F`, priors, the batch in use.
pub(crate) struct Objective<F: Real> {
    net: Net<F>,
    likelihood: Likelihood,
    pub(crate) params: usize,
    prior_mean: Vec<f64>,
    prior_inv_var: Vec<f64>,
    /// Σ over parameters of −ln σ₀ − ½ ln 2π.
    prior_const: f64,
    fixed_noise: f64,
    x: Vec<F>,
    y: Vec<F>,
    rows: usize,
    features: usize,
    batch: Option<Batch<F>>,
    sigma: Vec<f64>,
}

/// Minibatch state: a shuffled order walked `size` rows at a time, and the gathered rows.
struct Batch<F: Real> {
    size: usize,
    order: Vec<usize>,
    pos: usize,
    x: Vec<F>,
    y: Vec<F>,
}

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

impl<F: Real> Objective<F> {
    pub(crate) fn new(
        net: &NetConfig,
        data: DataView<'_>,
        batch_size: Option<usize>,
    ) -> Result<Self, BayesError> {
        let features = net.inputs();
        if data.rows == 0 {
            return Err(BayesError::Data("no training rows".into()));
        }
        if data.inputs.len() != data.rows * features {
            return Err(BayesError::Data(format!(
                "{} input values for {} rows of {} features",
                data.inputs.len(),
                data.rows,
                features
            )));
        }
        if data.targets.len() != data.rows {
            return Err(BayesError::Data(format!(
                "{} targets for {} rows",
                data.targets.len(),
                data.rows
            )));
        }
        let classes = net.outputs();
        for (i, &t) in data.targets.iter().enumerate() {
            let ok = match net.likelihood {
                Likelihood::Bernoulli => t == 0.0 || t == 1.0,
                Likelihood::Categorical => t >= 0.0 && t.fract() == 0.0 && (t as usize) < classes,
                Likelihood::Gaussian { .. } => t.is_finite(),
            };
            if !ok {
                return Err(BayesError::Data(format!(
                    "target of row {i} is {t}, which the {:?} likelihood cannot take",
                    net.likelihood
                )));
            }
        }
        let batch_size = batch_size.filter(|&b| b < data.rows);
        let capacity = batch_size.unwrap_or(data.rows);
        let mut prior_mean = Vec::new();
        let mut prior_inv_var = Vec::new();
        let mut prior_const = 0.0;
        for layer in &net.layers {
            let count = layer.inputs * layer.units + if layer.bias { layer.units } else { 0 };
            match &layer.prior.mean {
                PriorMean::Constant(m) => prior_mean.extend(std::iter::repeat_n(*m, count)),
                PriorMean::Values { weights, biases } => {
                    prior_mean.extend_from_slice(weights);
                    prior_mean.extend_from_slice(biases);
                }
            }
            let s = layer.prior.sigma;
            prior_inv_var.extend(std::iter::repeat_n(1.0 / (s * s), count));
            prior_const += count as f64 * (-s.ln() - HALF_LN_2PI);
        }
        let params = prior_mean.len();
        let fixed_noise = match net.likelihood {
            Likelihood::Gaussian {
                noise: Noise::Fixed(s),
            } => s,
            _ => 1.0,
        };
        Ok(Self {
            net: Net::new(&net.layers, capacity),
            likelihood: net.likelihood,
            params,
            prior_mean,
            prior_inv_var,
            prior_const,
            fixed_noise,
            x: to_feature_major(data.inputs, data.rows, features),
            y: data
                .targets
                .iter()
                .map(|&t| F::from_f64(f64::from(t)))
                .collect(),
            rows: data.rows,
            features,
            batch: batch_size.map(|size| Batch {
                size,
                order: (0..data.rows).collect(),
                pos: data.rows,
                x: vec![F::ZERO; size * features],
                y: vec![F::ZERO; size],
            }),
            sigma: vec![0.0; params],
        })
    }

    /// Means start at a draw from the prior, N(prior mean, min(σ₀, 1)²): the units differ, and
    /// their weights are as large as the prior expects (see the module docs). The cap keeps a
    /// vague prior from starting every tanh unit saturated.
    fn initial_means(&self, mu: &mut [f64], rng: &mut ChaCha8Rng, normal: &mut Normal) {
        for (i, m) in mu.iter_mut().enumerate() {
            let scale = (1.0 / self.prior_inv_var[i].sqrt()).min(1.0);
            *m = self.prior_mean[i] + scale * normal.sample(rng);
        }
    }

    /// Moves to the next minibatch (no-op for full batch): rows in a shuffled order, reshuffled
    /// after each pass.
    fn next_batch(&mut self, rng: &mut ChaCha8Rng) {
        let Some(b) = &mut self.batch else { return };
        if b.pos + b.size > b.order.len() {
            // Fisher–Yates.
            for i in (1..b.order.len()).rev() {
                let j = rng.random_range(0..=i);
                b.order.swap(i, j);
            }
            b.pos = 0;
        }
        let rows = &b.order[b.pos..b.pos + b.size];
        b.pos += b.size;
        for (bi, &r) in rows.iter().enumerate() {
            for k in 0..self.features {
                b.x[k * b.size + bi] = self.x[k * self.rows + r];
            }
            b.y[bi] = self.y[r];
        }
    }

    /// The ELBO estimate for noise `eps` (`samples × P`) at θ, and its gradient in `grad`.
    pub(crate) fn elbo_and_gradient(
        &mut self,
        theta: &[f64],
        eps: &[f64],
        samples: usize,
        grad: &mut [f64],
    ) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::mem::size_of::<F>() == 4 && std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU supports AVX (checked just above).
            return unsafe { self.elbo_and_gradient_avx(theta, eps, samples, grad) };
        }
        self.elbo_and_gradient_portable(theta, eps, samples, grad)
    }

    /// The same code compiled with AVX enabled, so the `f32` loops run 8 lanes wide.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    unsafe fn elbo_and_gradient_avx(
        &mut self,
        theta: &[f64],
        eps: &[f64],
        samples: usize,
        grad: &mut [f64],
    ) -> f64 {
        self.elbo_and_gradient_inline(theta, eps, samples, grad)
    }

    fn elbo_and_gradient_portable(
        &mut self,
        theta: &[f64],
        eps: &[f64],
        samples: usize,
        grad: &mut [f64],
    ) -> f64 {
        self.elbo_and_gradient_inline(theta, eps, samples, grad)
    }

    #[inline(always)]
    fn elbo_and_gradient_inline(
        &mut self,
        theta: &[f64],
        eps: &[f64],
        samples: usize,
        grad: &mut [f64],
    ) -> f64 {
        let p = self.params;
        let (mu, rest) = theta.split_at(p);
        let rho = &rest[..p];
        let log_noise = rest.get(p).copied();
        let noise = log_noise.map_or(self.fixed_noise, f64::exp);
        for (s, &r) in self.sigma.iter_mut().zip(rho) {
            *s = softplus64(r);
        }
        grad.fill(0.0);
        let (n, scale) = match &self.batch {
            Some(b) => (b.size, self.rows as f64 / b.size as f64),
            None => (self.rows, 1.0),
        };
        let inv_s = 1.0 / samples as f64;
        let mut elbo = 0.0;
        for e in eps.chunks_exact(p).take(samples) {
            let mut log_prior = self.prior_const;
            for i in 0..p {
                let w = mu[i] + self.sigma[i] * e[i];
                self.net.w[i] = F::from_f64(w);
                let d = w - self.prior_mean[i];
                log_prior -= 0.5 * d * d * self.prior_inv_var[i];
            }
            let (x, y) = match &self.batch {
                Some(b) => (&b.x[..], &b.y[..]),
                None => (&self.x[..], &self.y[..]),
            };
            self.net.forward(x, n);
            let ll = self
                .net
                .likelihood(self.likelihood, y, n, F::from_f64(noise));
            self.net.backward(x, n);
            elbo += inv_s * (scale * ll.log_lik + log_prior);
            let (g_mu, g_rest) = grad.split_at_mut(p);
            for i in 0..p {
                let w = mu[i] + self.sigma[i] * e[i];
                let gw = scale * self.net.g[i].to_f64()
                    - (w - self.prior_mean[i]) * self.prior_inv_var[i];
                g_mu[i] += inv_s * gw;
                g_rest[i] += inv_s * gw * e[i] * sigmoid64(rho[i]);
            }
            if log_noise.is_some() {
                // ∂/∂ln s of Σ[−r²/(2s²) − ln s] = Σ r²/s² − n.
                g_rest[p] += inv_s * scale * (ll.sum_sq / (noise * noise) - n as f64);
            }
        }
        // Entropy of the Gaussian approximation: Σ ln σ + P·½·ln(2πe).
        for i in 0..p {
            elbo += self.sigma[i].ln();
            grad[p + i] += sigmoid64(rho[i]) / self.sigma[i];
        }
        elbo + p as f64 * (HALF_LN_2PI + 0.5)
    }

    fn posterior(&self, net: &NetConfig, theta: &[f64]) -> Posterior {
        let p = self.params;
        let layers = net
            .layers
            .iter()
            .zip(&self.net.shapes)
            .map(|(config, s)| {
                let w = s.w_off..s.w_off + s.inputs * s.units;
                let b = if s.bias {
                    s.b_off..s.b_off + s.units
                } else {
                    0..0
                };
                LayerPosterior {
                    inputs: s.inputs,
                    units: s.units,
                    activation: s.activation,
                    bias: s.bias,
                    weight_mu: theta[w.clone()].to_vec(),
                    weight_sigma: theta[p + w.start..p + w.end]
                        .iter()
                        .map(|&r| softplus64(r))
                        .collect(),
                    bias_mu: theta[b.clone()].to_vec(),
                    bias_sigma: theta[p + b.start..p + b.end]
                        .iter()
                        .map(|&r| softplus64(r))
                        .collect(),
                    prior: config.prior.clone(),
                }
            })
            .collect();
        let noise = match net.likelihood {
            Likelihood::Gaussian {
                noise: Noise::Learned { .. },
            } => Some(theta[2 * p].exp()),
            Likelihood::Gaussian {
                noise: Noise::Fixed(s),
            } => Some(s),
            _ => None,
        };
        Posterior {
            layers,
            likelihood: net.likelihood,
            noise,
        }
    }
}

/// ρ for a starting σ (used by tests that start from a given approximation).
#[cfg(test)]
pub(crate) fn rho_for(sigma: f64) -> f64 {
    inverse_softplus(sigma)
}

/// Optimiser state over the flat θ.
enum OptimizerState {
    AdagradWindow {
        learning_rate: f64,
        epsilon: f64,
        window: usize,
        /// `[param][window]` squared gradients.
        squares: Vec<f64>,
        slot: usize,
    },
    Adam {
        learning_rate: f64,
        beta1: f64,
        beta2: f64,
        epsilon: f64,
        m: Vec<f64>,
        v: Vec<f64>,
        t: i32,
    },
}

impl OptimizerState {
    fn new(optimizer: Optimizer, n: usize) -> Self {
        match optimizer {
            Optimizer::AdagradWindow {
                learning_rate,
                window,
                epsilon,
            } => Self::AdagradWindow {
                learning_rate,
                epsilon,
                window,
                squares: vec![0.0; n * window],
                slot: 0,
            },
            Optimizer::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => Self::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
                m: vec![0.0; n],
                v: vec![0.0; n],
                t: 0,
            },
        }
    }

    /// One descent step on the loss gradient `g`.
    fn step(&mut self, theta: &mut [f64], g: &[f64]) {
        match self {
            Self::AdagradWindow {
                learning_rate,
                epsilon,
                window,
                squares,
                slot,
            } => {
                // PyMC's adagrad_window: the squared gradient goes into a ring of `window`
                // slots, and the step divides by sqrt(sum of the ring + epsilon).
                let w = *window;
                for (i, (t, &gi)) in theta.iter_mut().zip(g).enumerate() {
                    let ring = &mut squares[i * w..(i + 1) * w];
                    ring[*slot] = gi * gi;
                    let acc: f64 = ring.iter().sum();
                    *t -= *learning_rate * gi / (acc + *epsilon).sqrt();
                }
                *slot = (*slot + 1) % w;
            }
            Self::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
                m,
                v,
                t,
            } => {
                *t += 1;
                let a = *learning_rate * (1.0 - beta2.powi(*t)).sqrt() / (1.0 - beta1.powi(*t));
                for i in 0..theta.len() {
                    m[i] = *beta1 * m[i] + (1.0 - *beta1) * g[i];
                    v[i] = *beta2 * v[i] + (1.0 - *beta2) * g[i] * g[i];
                    theta[i] -= a * m[i] / (v[i].sqrt() + *epsilon);
                }
            }
        }
    }
}
