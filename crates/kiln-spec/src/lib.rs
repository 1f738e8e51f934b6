//! # kiln-spec
//!
//! The model spec: one TOML file that declares where the data comes from, which columns are
//! inputs and which is the output, the layer stack, and how to train. This crate parses it,
//! reports every mistake with `file:line:column`, checks it once into settled [`Settings`], and
//! checks the layer shapes before any data is read or any weight is allocated.
//!
//! - [`types`]: the spec as written ([`Spec`], [`LayerSpec`], [`TrainingSpec`], …): what the
//!   TOML deserialises into, named values still strings, left-out keys still `None`.
//! - [`options`]: every named value (`transform`, `encoding`, `missing`, `tokenizer`, `unit`,
//!   `utf8`, `padding`) as an enum, its spelling and its default in one place ([`Choice`]).
//! - [`settings`]: the checked form [`Spec::check`] returns: one struct per kind of input and
//!   of layer, every default settled. `kiln-data` and `kiln-model` take only this form.
//! - [`parse`]: TOML text → [`Spec`], with located errors ([`SpecError`]).
//! - [`shapes`]: shape inference through the layer stack.
//! - [`examples`]: the commented example specs behind `kiln init --example NAME`.
//! - [`overrides`]: changing a spec's text by dotted path (`kiln train --set`, tuning trials).
//!
//! **Layers**, lowest first; a module imports only from the lines above it (checked in CI by
//! `module_cycles.py`): `types`, `options`, `error` → `check` (the rules) → `settings` →
//! `shapes`, `parse` → `examples`, `overrides`.

mod check;
mod error;
pub mod examples;
pub mod options;
pub mod overrides;
pub mod parse;
pub mod settings;
pub mod shapes;
pub mod types;

pub use options::Choice;
pub use overrides::{Override, OverrideError, apply_overrides};
pub use parse::{SpecError, parse_spec, parse_spec_file};
pub use settings::{Layers, Settings};
pub use shapes::{LayerShape, infer_shapes};
pub use types::*;
