//! # kiln-model
//!
//! Networks built from a spec's checked layer stack (`kiln_spec::Layers`, every setting
//! settled). A [`Network`] is a Burn [`Module`](burn::module::Module) holding a `Vec<Layer>`;
//! each [`Layer`] wraps one Burn module (dense, conv2d, pooling, dropout, batch-norm, embedding,
//! LSTM/GRU) or a parameter-free step (flatten, activation). The output head, sized for the
//! output feature, is appended by [`Network::from_spec`]: a spec lists the body only.
//!
//! Tensors flowing between layers are rank 2 (`[batch, features]`), rank 4
//! (`[batch, channels, height, width]`), or sequences: a list of `[batch, features]` steps for
//! recurrent layers, or one `[batch, time, features]` tensor for `conv1d` and pooling over time,
//! each with an optional padding mask; [`Activations`] carries any of them. Shapes are checked by
//! `kiln_spec::infer_shapes` before construction, so a forward pass on a well-formed batch
//! cannot hit a rank mismatch.
//!
//! Backends are not chosen here: every constructor takes a `&Device`.
//!
//! **One file per layer family**, each holding its modules, how they are built from their
//! settings (`kiln_spec::settings::Layer`) and how they run on [`Activations`]: `dense`,
//! `conv` (conv2d, conv1d), `pool` (2-D, over time, global), `norm` (batch norm), `dropout`,
//! `activation`, `flatten`, `embedding`, `recurrent` (LSTM, GRU). `network` names every family
//! in [`Layer`] and dispatches to them.
//!
//! **Layers**, lowest first; a module imports only from the lines above it (checked in CI by
//! `module_cycles.py`): `error`, `init`, `activations` → `activation`, `dropout`, `flatten` →
//! `dense`, `conv`, `pool`, `norm`, `embedding`, `recurrent` → `network` → `weights`.

mod activation;
mod activations;
mod conv;
mod dense;
mod dropout;
mod embedding;
mod error;
mod flatten;
mod init;
mod network;
mod norm;
mod pool;
pub mod recurrent;
pub mod weights;

pub use activation::ActivationLayer;
pub use activations::{Activations, Sequence, Series};
pub use conv::{Conv1dLayer, Conv2dLayer};
pub use dense::Dense;
pub use dropout::DropoutLayer;
pub use embedding::Embedding;
pub use error::ModelError;
pub use flatten::Flatten;
pub use network::{Layer, Network, NetworkConfig};
pub use pool::GlobalPool1d;

/// Re-exported so that downstream crates name the same Burn.
pub use burn;
