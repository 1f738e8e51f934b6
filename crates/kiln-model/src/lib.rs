//! # kiln-model
//!
//! Networks built from a spec's layer stack. A [`Network`] is a Burn [`Module`] holding a
//! `Vec<Layer>`; each [`Layer`] wraps one Burn module (dense, conv2d, pooling, dropout,
//! batch-norm) or a parameter-free step (flatten, activation). The output head, sized for the
//! output feature, is appended by [`Network::from_spec`]: a spec lists the body only.
//!
//! Tensors flowing between layers are either rank 2 (`[batch, features]`) or rank 4
//! (`[batch, channels, height, width]`); [`Activations`] carries either. Shapes are checked by
//! `kiln_spec::infer_shapes` before construction, so a forward pass on a well-formed batch
//! cannot hit a rank mismatch.
//!
//! Backends are not chosen here: every constructor takes a `&Device`.

mod error;
mod network;
pub mod recurrent;
pub mod weights;

pub use error::ModelError;
pub use network::{
    ActivationLayer, Activations, Conv2dLayer, Dense, DropoutLayer, Flatten, Layer, Network,
    NetworkConfig,
};

/// Re-exported so that downstream crates name the same Burn.
pub use burn;
