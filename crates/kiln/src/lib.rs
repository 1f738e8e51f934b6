//! # kiln
//!
//! From raw data to a trained, evaluated model file. This crate strings the stages together:
//!
//! ```text
//! kiln-data (read, split, fit transforms) → kiln-spec (what to build) → kiln-model (network)
//!   → kiln-train (fit) → kiln-artifact (model file) → kiln-eval (metrics) / predict
//! ```
//!
//! - [`train_spec`]: a spec file in, a model file out, with test metrics.
//! - [`TrainedModel`]: load a model file, [`TrainedModel::predict`] and
//!   [`TrainedModel::evaluate`] on new rows with exactly the stored transforms.
//! - [`Sequential`]: the few-lines API for programs, like Keras' `Sequential`.
//! - Bayesian specs (`training.method = "advi"`) are fitted by [`kiln_bayes`]; their
//!   predictions carry an [`Uncertainty`] (posterior predictive std and credible interval).
//! - [`lm`]: character-level language models ([`lm::LanguageModel::generate`] streams text).
//!
//! The library never prints: progress arrives as [`RunEvent`]s through a callback.
//!
//! **Layers**, lowest first; a module imports only from lines above it (`module_cycles.py`
//! checks):
//! 1. `error`;
//! 2. `run`: the request, events, result, prepared data and the helpers every fit method
//!    shares (splitting, scoring outputs; rows are selected by `Encoded::take` and
//!    `Targets::take` in kiln-data);
//! 3. `monitoring` (the reference profile), `bayesian` (reading a posterior), `lm` (the
//!    character vocabulary, corpus windows, loading and sampling a language model);
//! 4. `model_file`: the epilogue. A fit method's `Fitted` in, held-out metrics, profile,
//!    header (its only constructor) and sections out, written as one file; and
//!    [`weights_digest`], equal exactly when the trained values are;
//! 5. `fit::{network, advi, language}`: the fit methods, siblings that never import each
//!    other;
//! 6. [`tracking`]: recording a run in the runs store ([`kiln_runs`]) from the pipeline's
//!    events (what [`TrainRequest::track`] asks for), and an evaluation as a run;
//! 7. `pipeline`: reads a spec (with `--set` overrides), runs the table prologue, names every
//!    fit method and dispatches;
//! 8. `predict` (loading and predicting a model file), then `sequential`;
//! 9. [`tune`]: hyper-parameter studies ([`kiln_tune`]), each trial a tracked `train_spec`
//!    run under the study's run; [`explain`]: permutation importance and attributions of a
//!    loaded model ([`kiln_explain`]).

mod bayesian;
mod error;
pub mod explain;
mod fit;
pub mod lm;
mod model_file;
mod monitoring;
mod pipeline;
mod predict;
mod run;
mod sequential;
pub mod tracking;
pub mod tune;

pub use bayesian::elbo_trace;
pub use error::{AdviProblem, CheckpointProblem, Error, PriorProblem};
pub use kiln_spec::Override;
pub use kiln_train::{Control, EpochObserver, EpochSummary, StopReason};
pub use model_file::weights_digest;
pub use monitoring::profile_for;
pub use pipeline::train_spec;
pub use predict::{DataSelection, Predictions, TrainedModel, Uncertainty, monitor_outputs};
pub use run::{
    Metrics, Prepared, RunEvent, Tracking, TrainRequest, TrainResult, default_device, prepare,
    prepare_tables,
};
pub use sequential::{Fit, Sequential};

pub use kiln_artifact as artifact;
pub use kiln_bayes as bayes;
pub use kiln_data as data;
pub use kiln_eval as eval;
pub use kiln_explain as explaining;
pub use kiln_model as model;
pub use kiln_monitor as monitor;
pub use kiln_runs as runs;
pub use kiln_spec as spec;
pub use kiln_train as train;
pub use kiln_tune as tuning;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Built-in datasets as tables, fetched into the cache on first use.
pub mod datasets {
    use kiln_data::{Cache, Part, Table};

    /// MNIST's 60,000 training and 10,000 test images (`image` 28×28×1, `label` 0–9).
    ///
    /// # Errors
    ///
    /// When the dataset cannot be fetched or read (the message says where to put the files by
    /// hand).
    pub fn mnist() -> crate::Result<(Table, Table)> {
        let cache = Cache::from_env()?;
        Ok((
            kiln_data::load("mnist", Part::Train, &cache, None)?,
            kiln_data::load("mnist", Part::Test, &cache, None)?,
        ))
    }

    /// IMDB's 50,000 movie reviews (`text`, `label` 1 = positive) as 25,000 training and
    /// 25,000 test reviews, like `keras.datasets.imdb` but raw text. The package ships no
    /// official split, so this is the one `kiln train` makes for the `imdb` and `text-cnn`
    /// examples (`test = 0.5`, seed 42, stratified by label): a model trained here is scored on
    /// the same test reviews.
    ///
    /// # Errors
    ///
    /// When the dataset cannot be fetched or read.
    pub fn imdb() -> crate::Result<(Table, Table)> {
        let cache = Cache::from_env()?;
        let all = kiln_data::load("imdb", Part::All, &cache, None)?;
        let label = kiln_spec::settings::Output::new("label", kiln_spec::OutputKind::Category);
        let strata = kiln_data::strata_for(&all, &label)?;
        let split = kiln_data::split_indices(all.len(), strata.as_deref(), 0.0, 0.5, 42)?;
        Ok((all.take(&split.train), all.take(&split.test)))
    }

    /// Any built-in dataset by name, e.g. `boston`, `iris`, `moons`.
    ///
    /// # Errors
    ///
    /// Unknown name, or the dataset cannot be fetched or read.
    pub fn load(name: &str) -> crate::Result<Table> {
        let cache = Cache::from_env()?;
        let (name, part) = kiln_data::parse_source(name);
        Ok(kiln_data::load(name, part, &cache, None)?)
    }
}
