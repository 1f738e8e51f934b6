//! # kiln-bayes
//!
//! Bayesian neural networks fitted by ADVI (automatic differentiation variational inference),
//! with every prediction carrying its uncertainty.
//!
//! - [`config`]: the network ([`NetConfig`]: mean-field Gaussian dense layers, Normal priors,
//!   optionally informed by another model's weights; Bernoulli, categorical or Gaussian
//!   likelihood) and the fit ([`AdviConfig`]: iterations, Monte-Carlo samples, Adam or PyMC's
//!   adagrad-window, minibatch with PyMC's `total_size` scaling, convergence check).
//! - [`fit`]: the ADVI loop; returns the [`Posterior`] and the ELBO trace.
//! - [`Posterior::predict`]: the posterior predictive mean, standard deviation and central
//!   interval of each row.
//!
//! The engine is dedicated rather than built on a tensor library: the networks it fits are
//! small (tens to thousands of weights) and take tens of thousands of steps, so per-operation
//! overhead would dominate. Forward and backward passes are hand-derived, run over
//! feature-major buffers allocated once, and are checked against finite differences.
//!
//! **Layers**, lowest first: `error`, `math` (scalar kernels, the normal sampler) → `config` →
//! `net` (forward and backward passes) → `posterior` → `advi` (the fit, which produces a
//! posterior). No module imports one below it in this list.

mod advi;
pub mod config;
mod error;
mod math;
mod net;
mod posterior;

pub use advi::{AdviStop, DataView, Fit, PROGRESS_EVERY, Progress, fit};
pub use config::{
    Activation, AdviConfig, Convergence, LayerConfig, Likelihood, NetConfig, Noise, Optimizer,
    Prior, PriorMean,
};
pub use error::BayesError;
pub use posterior::{LayerPosterior, Posterior, Predictive, PredictiveConfig};

#[cfg(test)]
mod tests;
