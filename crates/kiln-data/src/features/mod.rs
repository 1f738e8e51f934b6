//! Fitted feature transforms: a spec's checked inputs (`kiln_spec::settings::Input`) → a fitted
//! [`Encoder`] → `f32` network inputs.
//!
//! [`Encoder::fit_rows`] learns everything a transform needs (means, vocabularies, class lists,
//! fill values) from the training rows only. The fitted [`Encoder`] is serialisable and is
//! stored in the model file, so serving encodes exactly as training did.
//!
//! # One file per kind of input
//!
//! `number`, `binary`, `category`, `image` and [`text`] each hold one kind's two halves:
//! `fit`, from the kind's settings and a column's training rows to its [`FittedInput`], and
//! `encode`, from that back to numbers for every row of a column. The encode contract: an
//! input of width `w` writes its `w` values per row into its slots (`encoded.rs`), at its
//! offset in the row and nowhere else, fails with the row it cannot encode, and reports what it
//! replaced or skipped as [`Warning`]s. `encoder.rs` dispatches to the kinds; `input.rs` and
//! `output.rs` are the fitted data the model file stores.
//!
//! # The input layout
//!
//! [`InputLayout`] (`layout.rs`) is how the inputs form one row: `Tabular` (feature vectors side
//! by side), `Image` (the only input, `[channels, height, width]`) or `Sequence` (the only input,
//! token ids). Fitting refuses an image or a token sequence next to other inputs; encoding
//! matches on the layout, so neither is ever written over another input's slots.
//!
//! **Layers**, lowest first; a module imports only from the lines above it: `cells`, `encoded`
//! → `levels`, `text` → `input` → `number`, `binary`, `category`, `image` → `output`, `layout`
//! → `encoder`.

mod binary;
mod category;
mod cells;
mod encoded;
mod encoder;
mod image;
mod input;
mod layout;
mod levels;
mod number;
mod output;
pub mod text;

pub use crate::warning::Warning;
pub use encoded::{Encoded, Targets};
pub use encoder::Encoder;
pub use input::{FittedInput, NumberTransform};
pub use layout::InputLayout;
pub use output::{FittedOutput, strata_for};
