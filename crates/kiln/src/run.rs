//! What a training run is made of, shared by every fit method (`fit::network`, `fit::advi`,
//! `fit::language`): the request, the events a caller sees, the result, the prepared data, the
//! table prologue's `TableRun`, and the helpers that split data and score outputs. Below every
//! fit method and the epilogue: it imports none of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{SystemTime, UNIX_EPOCH};

use burn::tensor::Device;
use kiln_artifact::ModelFile;
use kiln_data::{Cache, Encoded, Encoder, FittedOutput, Split, Table, Targets, Warning};
pub use kiln_eval::{LanguageModelReport, Metrics};
use kiln_model::{Network, NetworkConfig};
use kiln_spec::{LayerSpec, Spec};
use kiln_train::{EpochObserver, StopReason, Task, TrainEvent, predict_outputs};

use crate::{Error, Result};

/// The compute device kiln uses: the `flex` CPU backend (or CUDA with the `cuda` feature and
/// `KILN_DEVICE=cuda`).
pub fn default_device() -> Device {
    #[cfg(feature = "cuda")]
    if std::env::var("KILN_DEVICE").as_deref() == Ok("cuda") {
        return Device::cuda(0);
    }
    Device::flex()
}

/// Progress of a [`train_spec`] run.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// Data read, split and encoded.
    Prepared {
        /// Rows in each split.
        train_rows: usize,
        /// Validation rows.
        validation_rows: usize,
        /// Test rows.
        test_rows: usize,
        /// Per-row input shape.
        input_shape: &'a [usize],
        /// Anything odd found while encoding.
        warnings: &'a [Warning],
        /// What fitting decided that a user should see (a text input's vocabulary and the
        /// sequence length `length = "auto"` chose).
        notes: &'a [String],
    },
    /// A cross-validation fold starts (1-based).
    Fold {
        /// Fold number.
        fold: usize,
        /// Fold count.
        folds: usize,
    },
    /// A cross-validation fold finished.
    FoldDone {
        /// Fold number.
        fold: usize,
        /// Its validation metrics.
        metrics: &'a Metrics,
    },
    /// A training event.
    Train(TrainEvent<'a>),
    /// ADVI progress (Bayesian specs), every 1,000 iterations and at the end.
    Advi {
        /// Iterations done.
        iteration: usize,
        /// Iterations planned.
        iterations: usize,
        /// Mean ELBO since the last report.
        elbo: f64,
    },
    /// A checkpoint was written.
    Checkpoint(&'a Path),
    /// A split was evaluated.
    Evaluated {
        /// `validation`, `test`, …
        split: &'a str,
        /// The figures.
        metrics: &'a Metrics,
    },
    /// The model file was written.
    Saved(&'a Path),
    /// The run is recorded in the runs store under this id (see [`TrainRequest::track`]).
    Tracked {
        /// The run's id.
        run_id: &'a str,
    },
    /// Recording the run failed (an unwritable store); training goes on unrecorded.
    TrackingWarning(&'a str),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// The spec file.
    pub spec_path: PathBuf,
    /// Where the model file goes; the checkpoint is written beside it as `<output>.ckpt`.
    pub output: PathBuf,
    /// Dataset cache.
    pub cache: Cache,
    /// Set to stop early (Ctrl-C): the best weights so far are saved.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Continue from `<output>.ckpt`.
    pub resume: bool,
    /// Overrides the spec's epochs.
    pub epochs: Option<usize>,
    /// K-fold cross-validation before the final fit.
    pub folds: Option<usize>,
    /// Write a checkpoint after each epoch.
    pub checkpoint: bool,
    /// Sees every epoch's figures and may stop the run (gradient-trained models; ADVI has no
    /// epochs and stops only through `cancel`).
    pub observer: Option<EpochObserver>,
    /// Changes to the spec, applied to its text before it is read (`training.epochs=5`);
    /// the model file stores the changed text.
    pub overrides: Vec<kiln_spec::Override>,
    /// Record the run in a runs store (see [`TrainRequest::track`]); `None` records nothing.
    pub tracking: Option<Tracking>,
    /// Train on this spec text instead of reading `spec_path`, with relative paths taken from
    /// the given folder (`kiln runs reproduce` re-runs a recorded spec so).
    pub spec_text: Option<(String, PathBuf)>,
    /// The tables the spec's `data` section names, already read (a tuning study reads them
    /// once for all its trials); read from `data` when `None`.
    pub tables: Option<Arc<(Table, Option<Table>)>>,
}

impl TrainRequest {
    /// A request with defaults: checkpoints on, no resume, no folds.
    pub fn new(spec_path: impl Into<PathBuf>, output: impl Into<PathBuf>, cache: Cache) -> Self {
        Self {
            spec_path: spec_path.into(),
            output: output.into(),
            cache,
            cancel: None,
            resume: false,
            epochs: None,
            folds: None,
            checkpoint: true,
            observer: None,
            overrides: Vec::new(),
            tracking: None,
            spec_text: None,
            tables: None,
        }
    }

    /// Records the run in a runs store: spec, data digest, params, per-epoch and final
    /// metrics, the model file (see [`crate::tracking`]).
    #[must_use]
    pub fn track(mut self, tracking: Tracking) -> Self {
        self.tracking = Some(tracking);
        self
    }

    /// The checkpoint path.
    pub fn checkpoint_path(&self) -> PathBuf {
        let mut p = self.output.clone().into_os_string();
        p.push(".ckpt");
        PathBuf::from(p)
    }
}

/// Where and how a run is recorded.
#[derive(Debug, Clone)]
pub struct Tracking {
    /// The store.
    pub store: Arc<kiln_runs::Store>,
    /// The experiment's name; "Default" when `None`.
    pub experiment: Option<String>,
    /// The run's name; the spec file's stem when `None`.
    pub run_name: Option<String>,
    /// Extra tags (`kiln.reproduces`, ...).
    pub tags: BTreeMap<String, String>,
    /// The run this one belongs to (a tuning trial's study).
    pub parent_run_id: Option<String>,
}

impl Tracking {
    /// Records into `store`, in the Default experiment.
    pub fn new(store: Arc<kiln_runs::Store>) -> Self {
        Self {
            store,
            experiment: None,
            run_name: None,
            tags: BTreeMap::new(),
            parent_run_id: None,
        }
    }
}

/// What [`train_spec`] produced.
#[derive(Debug)]
pub struct TrainResult {
    /// The model file as written.
    pub file: ModelFile,
    /// Metrics by split (`validation`, `test`, `cv_mean`, `fold_N`).
    pub metrics: BTreeMap<String, Metrics>,
    /// Why training ended.
    pub stop: StopReason,
}

/// Data read, split and encoded for one spec.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Fitted on the training rows only.
    pub encoder: Encoder,
    /// Every row of the main source, encoded.
    pub inputs: Arc<Encoded>,
    /// Their targets.
    pub targets: Arc<Targets>,
    /// Row indices of each split within the main source.
    pub split: Split,
    /// Separate test source, encoded, when the spec names one.
    pub test: Option<(Arc<Encoded>, Arc<Targets>)>,
    /// Warnings from encoding.
    pub warnings: Vec<Warning>,
    /// Class index per row (classification), used for stratified folds.
    pub strata: Option<Vec<usize>>,
    /// Digest of the training rows and split seed.
    pub digest: String,
}

impl Prepared {
    /// Inputs and targets of the test rows.
    pub fn test_data(&self) -> (Arc<Encoded>, Arc<Targets>) {
        match &self.test {
            Some((x, y)) => (x.clone(), y.clone()),
            None => (
                Arc::new(self.inputs.take(&self.split.test)),
                Arc::new(self.targets.take(&self.split.test)),
            ),
        }
    }

    /// Number of test rows.
    pub fn test_rows(&self) -> usize {
        self.test
            .as_ref()
            .map_or(self.split.test.len(), |(x, _)| x.rows)
    }
}

pub(crate) fn load_tables(
    spec: &Spec,
    base_dir: &Path,
    cache: &Cache,
) -> Result<(Table, Option<Table>)> {
    let data = &spec.data;
    let main = kiln_data::load_source(
        &data.source,
        base_dir,
        data.format.as_deref(),
        cache,
        data.generate.as_ref(),
    )?;
    let test = match &data.test {
        Some(test) => Some(kiln_data::load_source(
            test,
            base_dir,
            data.format.as_deref(),
            cache,
            data.generate.as_ref(),
        )?),
        None => None,
    };
    Ok((main, test))
}

pub(crate) fn split_for(spec: &Spec, table: &Table) -> Result<(Split, Option<Vec<usize>>)> {
    let s = &spec.data.split;
    let strata = if s.stratify {
        kiln_data::strata_for(table, spec.check()?.output())?
    } else {
        None
    };
    let test_fraction = if spec.data.test.is_some() {
        0.0
    } else {
        s.test
    };
    let split = kiln_data::split_indices(
        table.len(),
        strata.as_deref(),
        s.validation,
        test_fraction,
        s.seed,
    )?;
    Ok((split, strata))
}

/// Reads, splits and encodes the data of `spec`. With `encoder` given (a trained model's),
/// it is used as is; otherwise one is fitted on the training rows.
///
/// # Errors
///
/// Data that cannot be read, encoded, or split.
pub fn prepare(
    spec: &Spec,
    base_dir: &Path,
    cache: &Cache,
    encoder: Option<&Encoder>,
) -> Result<Prepared> {
    let (table, test_table) = load_tables(spec, base_dir, cache)?;
    prepare_tables(spec, &table, test_table.as_ref(), encoder)
}

/// As [`prepare`], for tables already in memory.
///
/// # Errors
///
/// Data that cannot be encoded or split.
pub fn prepare_tables(
    spec: &Spec,
    table: &Table,
    test_table: Option<&Table>,
    encoder: Option<&Encoder>,
) -> Result<Prepared> {
    let (split, strata) = split_for(spec, table)?;
    let encoder = match encoder {
        Some(e) => e.clone(),
        None => {
            let settings = spec.check()?;
            Encoder::fit_rows(table, &split.train, settings.inputs(), settings.output())?
        }
    };
    let (inputs, mut warnings) = encoder.encode_inputs(table)?;
    let targets = encoder.encode_targets(table)?;
    let test = match test_table {
        Some(t) => {
            let (x, w) = encoder.encode_inputs(t)?;
            warnings.extend(w);
            Some((Arc::new(x), Arc::new(encoder.encode_targets(t)?)))
        }
        None => None,
    };
    let digest = kiln_data::data_digest(&inputs, &targets, &split.train, spec.data.split.seed);
    Ok(Prepared {
        encoder,
        inputs: Arc::new(inputs),
        targets: Arc::new(targets),
        split,
        test,
        warnings,
        strata,
        digest,
    })
}

pub(crate) fn task_for(encoder: &Encoder) -> Task {
    match &encoder.output {
        FittedOutput::Category { classes, .. } => Task::Classification {
            classes: classes.len(),
        },
        FittedOutput::Binary { .. } => Task::Binary,
        FittedOutput::Number { std, .. } => Task::Regression { scale: *std },
    }
}

/// Metrics of `network` on the given rows, in the output's own units.
///
/// # Errors
///
/// [`Error::Eval`] on degenerate inputs (e.g. no rows).
pub(crate) fn evaluate_rows(
    network: &Network,
    encoder: &Encoder,
    task: &Task,
    inputs: &Encoded,
    targets: &Targets,
    device: &Device,
) -> Result<Metrics> {
    let out = predict_outputs(network, task, inputs, 512, device);
    metrics_for_outputs(encoder, out, targets)
}

/// Metrics of model outputs (`rows × classes` probabilities, or encoded values) against
/// `targets`, in the output's own units.
///
/// # Errors
///
/// [`Error::Eval`] on degenerate inputs (e.g. no rows).
pub(crate) fn metrics_for_outputs(
    encoder: &Encoder,
    out: Vec<f32>,
    targets: &Targets,
) -> Result<Metrics> {
    match (&encoder.output, targets) {
        (FittedOutput::Category { classes, .. }, Targets::Classes(y)) => {
            let y: Vec<usize> = y.iter().map(|&c| c as usize).collect();
            Ok(Metrics::Classification(kiln_eval::classification_report(
                &y,
                &normalise_rows(out, classes.len()),
                classes,
            )?))
        }
        (FittedOutput::Binary { classes, .. }, Targets::Classes(y)) => {
            let y: Vec<usize> = y.iter().map(|&c| c as usize).collect();
            Ok(Metrics::Classification(kiln_eval::classification_report(
                &y,
                &out,
                classes.as_slice(),
            )?))
        }
        (FittedOutput::Number { .. }, Targets::Values(y)) => {
            let truth: Vec<f64> = y.iter().map(|&v| encoder.decode_value(v)).collect();
            let pred: Vec<f64> = out.iter().map(|&v| encoder.decode_value(v)).collect();
            Ok(Metrics::Regression(kiln_eval::regression_report(
                &truth, &pred,
            )?))
        }
        _ => Err(Error::TargetsMismatch),
    }
}

/// Softmax outputs in f32 can sum to 1 ± 1e-6; renormalise so the report's checks see exact
/// probability rows.
fn normalise_rows(mut p: Vec<f32>, k: usize) -> Vec<f32> {
    for row in p.chunks_mut(k) {
        let s: f32 = row.iter().sum();
        if s > 0.0 {
            row.iter_mut().for_each(|v| *v /= s);
        }
    }
    p
}

pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A spec as read: the parsed form, the text it came from (stored in the model file, and
/// compared by `--resume`), and the folder its relative paths start from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpecSource<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) toml: &'a str,
    pub(crate) base_dir: &'a Path,
}

/// The spec's layers with every embedding's vocabulary size left out set to `ids`, the number
/// of token ids the data holds (`source` says where they come from, for the error). An explicit
/// size smaller than that is refused: the data would index past the table.
///
/// # Errors
///
/// [`Error::VocabularyTooSmall`] naming the layer when its `vocab` is too small.
pub(crate) fn resolve_embeddings(
    layers: &[LayerSpec],
    ids: usize,
    source: &str,
) -> Result<Vec<LayerSpec>> {
    layers
        .iter()
        .enumerate()
        .map(|(i, layer)| match layer {
            LayerSpec::Embedding {
                vocab,
                dim,
                mask_zero,
                init,
            } => {
                let size = match vocab {
                    Some(v) if *v < ids => {
                        return Err(Error::VocabularyTooSmall {
                            layer: i,
                            vocab: *v,
                            ids_from: source.to_string(),
                        });
                    }
                    Some(v) => *v,
                    None => ids,
                };
                Ok(LayerSpec::Embedding {
                    vocab: Some(size),
                    dim: *dim,
                    mask_zero: *mask_zero,
                    init: *init,
                })
            }
            other => Ok(other.clone()),
        })
        .collect()
}

/// A table spec's prologue, shared by the fit methods that learn from a table (the network
/// trainer and ADVI): its data prepared, the network the spec describes for those inputs, and
/// what the head predicts.
#[derive(Debug)]
pub(crate) struct TableRun<'a> {
    pub(crate) source: SpecSource<'a>,
    pub(crate) prepared: &'a Prepared,
    pub(crate) table: &'a Table,
    pub(crate) test_table: Option<&'a Table>,
    pub(crate) network: NetworkConfig,
    pub(crate) task: Task,
}
