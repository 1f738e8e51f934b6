//! The fitted approximation and the posterior predictive: draw weights, run the network, and
//! summarise the draws per row (mean, standard deviation, central interval).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::{Activation, LayerConfig, Likelihood, Prior};
use crate::error::{BayesError, invalid};
use crate::math::{Normal, Real};
use crate::net::{Net, to_feature_major};

/// q(w) of one layer: independent normals N(μ, σ²) per weight and bias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerPosterior {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub units: usize,
    /// Activation (ignored on the last layer).
    pub activation: Activation,
    /// Whether the layer has biases.
    pub bias: bool,
    /// `[input][unit]` weight means.
    pub weight_mu: Vec<f64>,
    /// `[input][unit]` weight standard deviations.
    pub weight_sigma: Vec<f64>,
    /// Bias means (empty without biases).
    pub bias_mu: Vec<f64>,
    /// Bias standard deviations.
    pub bias_sigma: Vec<f64>,
    /// The prior it was fitted under.
    pub prior: Prior,
}

/// The fitted mean-field approximation of a network's posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Posterior {
    /// Layers, input first.
    pub layers: Vec<LayerPosterior>,
    /// The likelihood the network was fitted with.
    pub likelihood: Likelihood,
    /// Gaussian noise standard deviation (fixed or fitted), in output units.
    pub noise: Option<f64>,
}

/// Settings of the posterior predictive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PredictiveConfig {
    /// Weight draws per row (default 100).
    pub samples: usize,
    /// Seed of the draws (the same seed gives the same predictions).
    pub seed: u64,
    /// Probability mass of the central interval (default 0.94, ArviZ's `hdi_prob`).
    pub interval: f64,
}

impl Default for PredictiveConfig {
    fn default() -> Self {
        Self {
            samples: 100,
            seed: 0,
            interval: 0.94,
        }
    }
}

/// Per-row summaries of the posterior predictive, `rows × outputs` each.
///
/// `outputs` is 1 for a Bernoulli likelihood (the probability of the positive class), the
/// class count for a categorical one (class probabilities), and 1 for a Gaussian one (the
/// value, with the observation noise included in `std`, `lower` and `upper`).
#[derive(Debug, Clone, PartialEq)]
pub struct Predictive {
    /// Values per row.
    pub outputs: usize,
    /// Mean over the draws.
    pub mean: Vec<f64>,
    /// Standard deviation over the draws.
    pub std: Vec<f64>,
    /// Lower end of the central interval.
    pub lower: Vec<f64>,
    /// Upper end of the central interval.
    pub upper: Vec<f64>,
}

/// Rows predicted at once (bounds the memory of the draws).
const CHUNK: usize = 4096;

impl Posterior {
    /// The layer configuration (with priors) the approximation belongs to.
    pub fn layer_configs(&self) -> Vec<LayerConfig> {
        self.layers
            .iter()
            .map(|l| LayerConfig {
                inputs: l.inputs,
                units: l.units,
                activation: l.activation,
                bias: l.bias,
                prior: l.prior.clone(),
            })
            .collect()
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// Posterior predictive summaries of `rows` rows (`inputs`, row-major).
    ///
    /// # Errors
    ///
    /// [`BayesError::Data`] when `inputs` does not hold `rows` rows of the network's width;
    /// [`BayesError::Invalid`] for 0 samples or an interval mass outside (0, 1).
    pub fn predict(
        &self,
        inputs: &[f32],
        rows: usize,
        config: &PredictiveConfig,
    ) -> Result<Predictive, BayesError> {
        if config.samples == 0 {
            return Err(invalid("samples", "0 posterior draws", "an integer ≥ 1"));
        }
        if !(config.interval > 0.0 && config.interval < 1.0) {
            return Err(invalid(
                "interval",
                format!("interval mass {}", config.interval),
                "a number in (0, 1)",
            ));
        }
        let d = self.inputs();
        if inputs.len() != rows * d {
            return Err(BayesError::Data(format!(
                "{} input values for {rows} rows of {d} features",
                inputs.len()
            )));
        }
        let outputs = match self.likelihood {
            Likelihood::Categorical => self.layers.last().map_or(0, |l| l.units),
            _ => 1,
        };
        let s = config.samples;
        // The same draws for every chunk: weights are drawn once, up front.
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut normal = Normal::default();
        let params: usize = self
            .layers
            .iter()
            .map(|l| l.weight_mu.len() + l.bias_mu.len())
            .sum();
        let mut draws = vec![0.0f32; s * params];
        for draw in draws.chunks_exact_mut(params) {
            let mut i = 0;
            for l in &self.layers {
                for (m, sd) in l
                    .weight_mu
                    .iter()
                    .zip(&l.weight_sigma)
                    .chain(l.bias_mu.iter().zip(&l.bias_sigma))
                {
                    draw[i] = (m + sd * normal.sample(&mut rng)) as f32;
                    i += 1;
                }
            }
        }
        // One standard-normal noise draw per weight draw, shared by every row: each row's
        // values are still draws from its predictive, and a row's answer does not depend on
        // which rows share its call (a server batches requests together).
        let noise_draws: Vec<f64> = match self.noise {
            Some(_) => (0..s).map(|_| normal.sample(&mut rng)).collect(),
            None => Vec::new(),
        };
        let noise = self.noise.unwrap_or(0.0);

        let mut out = Predictive {
            outputs,
            mean: Vec::with_capacity(rows * outputs),
            std: Vec::with_capacity(rows * outputs),
            lower: Vec::with_capacity(rows * outputs),
            upper: Vec::with_capacity(rows * outputs),
        };
        let mut net = Net::<f32>::new(&self.layer_configs(), CHUNK.min(rows.max(1)));
        let mut values = vec![0.0f64; s * CHUNK.min(rows.max(1)) * outputs];
        let mut column = vec![0.0f64; s];
        let lo_q = (1.0 - config.interval) / 2.0;
        for start in (0..rows).step_by(CHUNK) {
            let n = CHUNK.min(rows - start);
            let x = to_feature_major::<f32>(&inputs[start * d..(start + n) * d], n, d);
            // values: [draw][row][output]
            for (k, draw) in draws.chunks_exact(params).enumerate() {
                net.w.copy_from_slice(draw);
                net.forward(&x, n);
                let z = net.output(n);
                let v = &mut values[k * n * outputs..(k + 1) * n * outputs];
                for i in 0..n {
                    match self.likelihood {
                        Likelihood::Bernoulli => v[i] = Real::sigmoid(f64::from(z[i])),
                        Likelihood::Categorical => {
                            let m = (0..outputs)
                                .map(|c| f64::from(z[c * n + i]))
                                .fold(f64::NEG_INFINITY, f64::max);
                            let mut total = 0.0;
                            for c in 0..outputs {
                                let e = (f64::from(z[c * n + i]) - m).exp();
                                v[i * outputs + c] = e;
                                total += e;
                            }
                            for c in 0..outputs {
                                v[i * outputs + c] /= total;
                            }
                        }
                        Likelihood::Gaussian { .. } => {
                            v[i] = f64::from(z[i]) + noise * noise_draws[k];
                        }
                    }
                }
            }
            for i in 0..n {
                for c in 0..outputs {
                    for (k, slot) in column.iter_mut().enumerate() {
                        *slot = values[k * n * outputs + i * outputs + c];
                    }
                    let mean = column.iter().sum::<f64>() / s as f64;
                    let var =
                        column.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / s as f64;
                    column.sort_by(f64::total_cmp);
                    out.mean.push(mean);
                    out.std.push(var.sqrt());
                    out.lower.push(quantile(&column, lo_q));
                    out.upper.push(quantile(&column, 1.0 - lo_q));
                }
            }
        }
        Ok(out)
    }
}

/// NumPy's default (linear) quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.03, 0.5, 0.97]) = [1.09, 2.5, 3.91]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.03) - 1.09).abs() < 1e-12);
        assert!((quantile(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile(&v, 0.97) - 3.91).abs() < 1e-12);
    }
}
