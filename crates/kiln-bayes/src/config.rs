//! What to fit: the network's layers with their priors, the likelihood, and the ADVI settings.
//!
//! Unchecked settings become usable only through [`NetConfig::check`] and
//! [`AdviConfig::check`], which name the offending field.

use serde::{Deserialize, Serialize};

use crate::error::{BayesError, invalid};

/// Activation after a hidden layer. The last layer's is ignored: the likelihood applies its
/// own link (logistic, softmax or identity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// tanh(x)
    Tanh,
    /// max(0, x)
    Relu,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// x
    Linear,
}

/// The prior mean of a layer's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorMean {
    /// The same mean for every weight and bias (usually 0).
    Constant(f64),
    /// One mean per weight and bias (an informed prior, e.g. another model's weights).
    /// `weights` is laid out `[input][unit]`, `inputs × units` values.
    Values {
        /// `inputs × units` weight means.
        weights: Vec<f64>,
        /// `units` bias means (empty when the layer has no bias).
        biases: Vec<f64>,
    },
}

/// Normal(mean, sigma) prior over a layer's weights and biases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// Prior mean(s).
    pub mean: PriorMean,
    /// Prior standard deviation, > 0.
    pub sigma: f64,
}

impl Default for Prior {
    /// The seed's N(0, 1).
    fn default() -> Self {
        Self {
            mean: PriorMean::Constant(0.0),
            sigma: 1.0,
        }
    }
}

/// One mean-field Gaussian dense layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerConfig {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub units: usize,
    /// Activation (ignored for the last layer).
    pub activation: Activation,
    /// Whether the layer has (Bayesian) biases.
    pub bias: bool,
    /// Prior over the weights and biases.
    pub prior: Prior,
}

/// Observation noise of a Gaussian likelihood.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Noise {
    /// Known noise standard deviation (in the network's output units).
    Fixed(f64),
    /// Noise standard deviation fitted as a point estimate (flat prior on its logarithm),
    /// starting from `initial`.
    Learned {
        /// Starting value.
        initial: f64,
    },
}

/// The likelihood of the observed targets given the last layer's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    /// Binary targets (0/1); the single output is a logit.
    Bernoulli,
    /// Class indices; the outputs are logits of a softmax.
    Categorical,
    /// Real targets; the single output is the mean of a normal.
    Gaussian {
        /// The noise standard deviation.
        noise: Noise,
    },
}

/// A Bayesian network: layers (the last one is the output layer) and a likelihood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Dense layers, input first.
    pub layers: Vec<LayerConfig>,
    /// How targets are generated from the last layer.
    pub likelihood: Likelihood,
}

impl NetConfig {
    /// Checks widths, priors and the likelihood against the last layer.
    ///
    /// # Errors
    ///
    /// [`BayesError::Invalid`] naming `layers[i].…`; [`BayesError::PriorShape`] for an
    /// informed prior of the wrong size.
    pub fn check(&self) -> Result<(), BayesError> {
        let Some(last) = self.layers.last() else {
            return Err(invalid(
                "layers",
                "the network has no layers",
                "at least the output layer",
            ));
        };
        for (i, layer) in self.layers.iter().enumerate() {
            if layer.inputs == 0 || layer.units == 0 {
                return Err(invalid(
                    format!("layers[{i}]"),
                    format!("{} inputs × {} units", layer.inputs, layer.units),
                    "widths ≥ 1",
                ));
            }
            if i > 0 && self.layers[i - 1].units != layer.inputs {
                return Err(invalid(
                    format!("layers[{i}].inputs"),
                    format!(
                        "{} inputs but the layer before has {} units",
                        layer.inputs,
                        self.layers[i - 1].units
                    ),
                    "matching widths",
                ));
            }
            let sigma = layer.prior.sigma;
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(invalid(
                    format!("layers[{i}].bayesian.prior_sigma"),
                    format!("prior standard deviation {sigma} is not positive"),
                    "a finite number > 0",
                ));
            }
            match &layer.prior.mean {
                PriorMean::Constant(m) if !m.is_finite() => {
                    return Err(invalid(
                        format!("layers[{i}].bayesian.prior_mean"),
                        format!("prior mean {m} is not finite"),
                        "a finite number",
                    ));
                }
                PriorMean::Constant(_) => {}
                PriorMean::Values { weights, biases } => {
                    let shape = format!("{} inputs × {} units", layer.inputs, layer.units);
                    if weights.len() != layer.inputs * layer.units {
                        return Err(BayesError::PriorShape {
                            layer: i,
                            what: "weights",
                            expected: layer.inputs * layer.units,
                            found: weights.len(),
                            shape,
                        });
                    }
                    let want = if layer.bias { layer.units } else { 0 };
                    if biases.len() != want {
                        return Err(BayesError::PriorShape {
                            layer: i,
                            what: "biases",
                            expected: want,
                            found: biases.len(),
                            shape,
                        });
                    }
                }
            }
        }
        match self.likelihood {
            Likelihood::Bernoulli | Likelihood::Gaussian { .. } if last.units != 1 => Err(invalid(
                "layers[last].units",
                format!("{} outputs for a single-output likelihood", last.units),
                "1",
            )),
            Likelihood::Categorical if last.units < 2 => Err(invalid(
                "layers[last].units",
                format!("{} outputs for a categorical likelihood", last.units),
                "one per class, ≥ 2",
            )),
            Likelihood::Gaussian {
                noise: Noise::Fixed(s) | Noise::Learned { initial: s },
            } if !(s.is_finite() && s > 0.0) => Err(invalid(
                "training.advi.noise",
                format!("noise standard deviation {s} is not positive"),
                "a finite number > 0",
            )),
            _ => Ok(()),
        }
    }

    /// Number of variational weights and biases (each has a mean and a scale).
    pub fn weight_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.inputs * l.units + if l.bias { l.units } else { 0 })
            .sum()
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.units)
    }
}

/// Stochastic optimiser of the variational parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Optimizer {
    /// PyMC's default for `pm.fit`: Adagrad over a window of the last `window` squared
    /// gradients, `θ ← θ − lr·g / sqrt(Σ_window g² + epsilon)`.
    AdagradWindow {
        /// Step size (PyMC: 0.001).
        learning_rate: f64,
        /// Squared gradients remembered (PyMC: 10).
        window: usize,
        /// Added under the square root (PyMC: 0.1).
        epsilon: f64,
    },
    /// Adam with bias correction.
    Adam {
        /// Step size.
        learning_rate: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
        /// Denominator constant.
        epsilon: f64,
    },
}

impl Default for Optimizer {
    /// PyMC's `adagrad_window()` defaults.
    fn default() -> Self {
        Self::AdagradWindow {
            learning_rate: 0.001,
            window: 10,
            epsilon: 0.1,
        }
    }
}

/// Stop when the ELBO settles: every `window` iterations, the mean ELBO of the last window is
/// compared with that of the window before; a relative change below `tolerance` stops.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Iterations per window.
    pub window: usize,
    /// Relative change that counts as settled.
    pub tolerance: f64,
}

/// The default [`AdviConfig::init_sigma`].
pub const DEFAULT_INIT_SIGMA: f64 = 0.1;

/// ADVI settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdviConfig {
    /// Optimisation steps.
    pub iterations: usize,
    /// Monte-Carlo samples of the weights per step (PyMC's `obj_n_mc`, default 1).
    pub samples: usize,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Rows per step; `None` uses every training row (full batch). With a batch, the
    /// log-likelihood is scaled by rows / batch (PyMC's `total_size`).
    pub batch_size: Option<usize>,
    /// Early stop when the ELBO settles.
    pub convergence: Option<Convergence>,
    /// The posterior standard deviation every weight starts at (PyMC's `start_sigma`; PyMC's
    /// default is softplus(0) ≈ 0.69). Default 0.1: see the `advi` module's docs for why.
    pub init_sigma: f64,
    /// Seed of the initial means, the weight noise and the batch order.
    pub seed: u64,
}

impl Default for AdviConfig {
    fn default() -> Self {
        Self {
            iterations: 50_000,
            samples: 1,
            optimizer: Optimizer::default(),
            batch_size: None,
            convergence: None,
            init_sigma: DEFAULT_INIT_SIGMA,
            seed: 42,
        }
    }
}

impl AdviConfig {
    /// Checks counts and rates, naming fields as a spec's `[training.advi]` table does.
    ///
    /// # Errors
    ///
    /// [`BayesError::Invalid`] naming the field.
    pub fn check(&self) -> Result<(), BayesError> {
        let field = |f: &str| format!("training.advi.{f}");
        if self.iterations == 0 {
            return Err(invalid(
                field("iterations"),
                "0 iterations",
                "an integer ≥ 1",
            ));
        }
        if self.samples == 0 {
            return Err(invalid(
                field("samples"),
                "0 Monte-Carlo samples per step",
                "an integer ≥ 1",
            ));
        }
        if self.batch_size == Some(0) {
            return Err(invalid(
                field("batch_size"),
                "batch of 0 rows",
                "an integer ≥ 1",
            ));
        }
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(invalid(
                    field(name),
                    format!("{v} is not positive"),
                    "a finite number > 0",
                ))
            }
        };
        positive("init_sigma", self.init_sigma)?;
        match self.optimizer {
            Optimizer::AdagradWindow {
                learning_rate,
                window,
                epsilon,
            } => {
                positive("optimizer.learning_rate", learning_rate)?;
                positive("optimizer.epsilon", epsilon)?;
                if window == 0 {
                    return Err(invalid(
                        field("optimizer.window"),
                        "a window of 0 gradients",
                        "an integer ≥ 1",
                    ));
                }
            }
            Optimizer::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => {
                positive("optimizer.learning_rate", learning_rate)?;
                positive("optimizer.epsilon", epsilon)?;
                for (name, b) in [("optimizer.beta1", beta1), ("optimizer.beta2", beta2)] {
                    if !(0.0..1.0).contains(&b) {
                        return Err(invalid(
                            field(name),
                            format!("{b} is outside [0, 1)"),
                            "a number in [0, 1)",
                        ));
                    }
                }
            }
        }
        if let Some(c) = self.convergence {
            if c.window == 0 {
                return Err(invalid(
                    field("convergence.window"),
                    "a window of 0 iterations",
                    "an integer ≥ 1",
                ));
            }
            positive("convergence.tolerance", c.tolerance)?;
        }
        Ok(())
    }
}
