//! # kiln-spec
//!
//! The model spec: one TOML file that declares where the data comes from, which columns are
//! inputs and which is the output, the layer stack, and how to train. This crate parses it,
//! reports every mistake with `file:line:column`, and checks the layer shapes before any data is
//! read or any weight is allocated.
//!
//! - [`types`]: the spec's data types ([`Spec`], [`LayerSpec`], [`TrainingSpec`], …).
//! - [`parse`]: TOML text → [`Spec`], with located errors ([`SpecError`]).
//! - [`shapes`]: shape inference through the layer stack.
//! - [`examples`]: the commented example specs behind `kiln init --example NAME`.
//! - [`overrides`]: changing a spec's text by dotted path (`kiln train --set`, tuning trials).

mod check;
pub mod examples;
pub mod overrides;
pub mod parse;
pub mod shapes;
pub mod types;

pub use overrides::{Override, OverrideError, apply_overrides};
pub use parse::{SpecError, parse_spec, parse_spec_file};
pub use shapes::{LayerShape, infer_shapes};
pub use types::*;
