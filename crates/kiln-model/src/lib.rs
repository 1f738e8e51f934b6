//! # kiln-model
//!
//! Networks built from a spec's checked layer stack (`kiln_spec::Layers`, every setting settled).
//! A [`Network`] is a Burn [`Module`] holding a
//! `Vec<Layer>`; each [`Layer`] wraps one Burn module (dense, conv2d, pooling, dropout,
//! batch-norm) or a parameter-free step (flatten, activation). The output head, sized for the
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
//! **Layers**, lowest first: `error`, `dropout`, `weights` → `recurrent` (embedding, LSTM/GRU)
//! → `network` (the layer stack). No module imports one below it in this list.

mod dropout;
mod error;
mod network;
pub mod recurrent;
pub mod weights;

pub use dropout::DropoutLayer;
pub use error::ModelError;
pub use network::{
    ActivationLayer, Activations, Conv1dLayer, Conv2dLayer, Dense, Flatten, GlobalPool1d, Layer,
    Network, NetworkConfig,
};

/// Re-exported so that downstream crates name the same Burn.
pub use burn;
