//! # kiln-explain
//!
//! Why a model answers what it answers. The algorithms here know nothing of networks, model
//! files or tables: a model is a function they may call (a score over permuted rows, the
//! outputs and input gradients at a batch of points), so the same code explains kiln's
//! networks, the analytic functions of the tests, and whatever comes later. `kiln::explain`
//! wires them to model files.
//!
//! - [`quadrature`]: Gauss–Legendre nodes and weights on `[0, 1]` (Captum's default rule for
//!   integrated gradients) and the Riemann rules.
//! - [`attribution`]: integrated gradients (Sundararajan et al. 2017) with the completeness
//!   check `Σ attributions = F(x) − F(baseline)` and steps raised until it holds; gradient ×
//!   input; both summed per input feature over the columns it encodes to.
//! - [`importance`]: permutation importance per input feature (Breiman 2001; scikit-learn's
//!   `permutation_importance`): the score's drop when one feature's values are shuffled
//!   across rows, over seeded repeats.
//!
//! - [`tcav`]: concept activation vectors (closed-form ridge), directional derivatives, the
//!   sign-count and magnitude scores, and Welch's test of a concept's runs against
//!   random-vs-random runs with a Bonferroni correction.
//!
//! **Layers**, lowest first; a module imports only from the lines above it: `error` →
//! `quadrature` → `attribution`, `importance`, `tcav`.

pub mod attribution;
mod error;
pub mod importance;
pub mod quadrature;
pub mod tcav;

pub use error::ExplainError;

/// The crate's result type.
pub type Result<T, E = ExplainError> = std::result::Result<T, E>;
