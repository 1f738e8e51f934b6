//! The epilogue every fit method shares: a [`Fitted`] model in, its held-out metrics,
//! reference profile, header and sections out, written as one model file. This is the only
//! place a [`ModelHeader`] is built (checkpoints included), so every fit method's file records
//! the same things the same way.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use kiln_artifact::{
    BayesRecord, DataRecord, FileKind, ModelFile, ModelHeader, TrainingRecord, sections,
};
use kiln_bayes::{Posterior, PredictiveConfig};
use kiln_data::{Encoded, Encoder, Table, Targets};
use kiln_model::{Network, NetworkConfig, weights};
use kiln_train::{StopReason, Task, TrainState, predict_outputs};

use crate::bayesian::outputs_layout;
use crate::run::{
    Metrics, Prepared, RunEvent, SpecSource, TrainResult, default_device, metrics_for_outputs,
    now_unix,
};
use crate::{Error, Result};

/// The trained parameters a fit method produced.
#[derive(Debug)]
pub(crate) enum FittedModel {
    /// A network trained by gradient descent (table models and language models).
    Network(Network),
    /// A Bayesian network fitted by ADVI: its posterior, the ELBO of every iteration, and the
    /// predictive settings the file records.
    Advi {
        /// The variational posterior.
        posterior: Posterior,
        /// The ELBO trace.
        trace: Vec<f64>,
        /// How predictions are drawn.
        predictive: PredictiveConfig,
        /// Weights in the network (each has a mean and a scale).
        weights: usize,
    },
}

impl FittedModel {
    /// Raw outputs on encoded rows in the deterministic networks' layout (probabilities per
    /// class, or encoded values); an ADVI model gives its predictive means.
    pub(crate) fn outputs(&self, x: &Encoded, task: &Task, device: &Device) -> Result<Vec<f32>> {
        match self {
            Self::Network(network) => Ok(predict_outputs(network, task, x, 512, device)),
            Self::Advi {
                posterior,
                predictive,
                ..
            } => {
                let p = posterior.predict(&x.data, x.rows, predictive)?;
                Ok(outputs_layout(&p, task))
            }
        }
    }

    fn params(&self) -> usize {
        match self {
            Self::Network(network) => network.num_params(),
            Self::Advi { weights, .. } => 2 * weights,
        }
    }

    fn sections(&self) -> Result<Vec<(String, Vec<u8>)>> {
        Ok(match self {
            Self::Network(network) => {
                vec![(sections::WEIGHTS.to_string(), weights::to_bytes(network)?)]
            }
            Self::Advi {
                posterior, trace, ..
            } => vec![
                (
                    sections::POSTERIOR.to_string(),
                    serde_json::to_vec(posterior).map_err(|e| Error::Serialize {
                        what: "the posterior",
                        reason: e.to_string(),
                    })?,
                ),
                (
                    sections::ELBO.to_string(),
                    sections::f32_bytes(trace.iter().map(|&v| v as f32)),
                ),
            ],
        })
    }
}

/// The rows a table model is judged on: the validation rows of the main source (none after
/// cross-validation, which trains the final model on them) and the test split.
#[derive(Debug)]
pub(crate) struct HeldOut<'a> {
    /// The prepared data.
    pub(crate) prepared: &'a Prepared,
    /// The main source, raw (for the reference profile).
    pub(crate) table: &'a Table,
    /// The separate test source, raw, when the spec names one.
    pub(crate) test_table: Option<&'a Table>,
    /// Validation rows of `table`.
    pub(crate) validation: Vec<usize>,
}

/// What a fit method hands to [`finish`].
#[derive(Debug)]
pub(crate) struct Fitted<'a> {
    /// The trained parameters.
    pub(crate) model: FittedModel,
    /// The fitted transforms (a language model's holds its vocabulary as the output classes).
    pub(crate) encoder: Encoder,
    /// The network's structure, as the file records it.
    pub(crate) network: NetworkConfig,
    /// What the head predicts.
    pub(crate) task: Task,
    /// History, best epoch and why the run ended (the seconds are set by [`finish`]).
    pub(crate) training: TrainingRecord,
    /// Where the data came from and how it was split.
    pub(crate) data: DataRecord,
    /// Metrics the fit method computed itself (cross-validation folds, a language model's
    /// held-out bits per character).
    pub(crate) metrics: BTreeMap<String, Metrics>,
    /// A Bayesian fit's record.
    pub(crate) bayes: Option<BayesRecord>,
    /// A table model's held-out rows, evaluated and profiled by [`finish`]; `None` for
    /// language models.
    pub(crate) held_out: Option<HeldOut<'a>>,
}

/// The record of how `prepared`'s rows were split, as every table model's file stores it.
pub(crate) fn table_data_record(source: &SpecSource<'_>, prepared: &Prepared) -> DataRecord {
    DataRecord {
        source: source.spec.data.source.clone(),
        base_dir: source.base_dir.display().to_string(),
        digest: prepared.digest.clone(),
        split_seed: source.spec.data.split.seed,
        train_rows: prepared.split.train.len(),
        validation_rows: prepared.split.validation.len(),
        test_rows: prepared.test_rows(),
    }
}

/// The one constructor of a [`ModelHeader`].
#[allow(clippy::too_many_arguments)]
fn header(
    source: &SpecSource<'_>,
    kind: FileKind,
    encoder: &Encoder,
    network: &NetworkConfig,
    task: Task,
    params: usize,
    training: TrainingRecord,
    data: DataRecord,
) -> ModelHeader {
    ModelHeader {
        kiln_version: env!("CARGO_PKG_VERSION").to_string(),
        kind,
        created_unix: now_unix(),
        name: source.spec.name.clone(),
        spec_toml: source.toml.to_string(),
        spec: source.spec.clone(),
        encoder: encoder.clone(),
        network: network.clone(),
        task,
        params,
        training,
        data,
        metrics: BTreeMap::new(),
        train_state: None,
        profile: None,
        bayes: None,
    }
}

/// Evaluates the held-out rows, builds the reference profile, assembles the model file and
/// writes it to `output` (when given), then reports [`RunEvent::Saved`].
///
/// # Errors
///
/// Evaluation, profiling, serialising or writing the file failed.
pub(crate) fn finish(
    source: &SpecSource<'_>,
    fitted: Fitted<'_>,
    started: Instant,
    output: Option<&Path>,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<TrainResult> {
    let Fitted {
        model,
        encoder,
        network,
        task,
        mut training,
        data,
        mut metrics,
        bayes,
        held_out,
    } = fitted;
    let device = default_device();
    let mut profile = None;
    if let Some(held) = &held_out {
        let prepared = held.prepared;
        let mut evaluate = |split: &str, x: &Encoded, y: &Targets| -> Result<()> {
            let out = model.outputs(x, &task, &device)?;
            let m = metrics_for_outputs(&encoder, out, y)?;
            on_event(RunEvent::Evaluated { split, metrics: &m });
            metrics.insert(split.to_string(), m);
            Ok(())
        };
        if !held.validation.is_empty() {
            let x = prepared.inputs.take(&held.validation);
            let y = prepared.targets.take(&held.validation);
            evaluate("validation", &x, &y)?;
        }
        if prepared.test_rows() > 0 {
            let (x, y) = prepared.test_data();
            evaluate("test", &x, &y)?;
        }
        // The monitoring reference: the held-out rows and the model's outputs on them.
        profile = crate::monitoring::training_profile(
            prepared,
            held.table,
            held.test_table,
            &held.validation,
            &metrics,
            |x| model.outputs(x, &task, &device),
        )?;
    }
    training.seconds = started.elapsed().as_secs_f64();
    let stop = training.stop;
    let mut header = header(
        source,
        FileKind::Model,
        &encoder,
        &network,
        task,
        model.params(),
        training,
        data,
    );
    header.profile = profile;
    header.bayes = bayes;
    header.metrics = metrics.clone();
    let file = ModelFile {
        header,
        sections: model.sections()?,
    };
    if let Some(output) = output {
        file.write(output)?;
        on_event(RunEvent::Saved(output));
    }
    Ok(TrainResult {
        file,
        metrics,
        stop,
    })
}

/// The checkpoint of a network's training after an epoch: everything `--resume` needs.
pub(crate) fn checkpoint(
    source: &SpecSource<'_>,
    encoder: &Encoder,
    network: &NetworkConfig,
    task: Task,
    data: DataRecord,
    state: &TrainState,
) -> ModelFile {
    let mut header = header(
        source,
        FileKind::Checkpoint,
        encoder,
        network,
        task,
        0,
        TrainingRecord {
            history: state.history.clone(),
            best_epoch: state.tracker.best_epoch,
            stop: StopReason::Interrupted,
            seconds: 0.0,
        },
        data,
    );
    header.train_state = Some(state.clone());
    ModelFile {
        header,
        sections: vec![
            (sections::WEIGHTS.to_string(), state.weights.clone()),
            (
                sections::BEST_WEIGHTS.to_string(),
                state.best_weights.clone(),
            ),
            (sections::OPTIMIZER.to_string(), state.optimizer.to_bytes()),
        ],
    }
}

/// The training state of the checkpoint at `path`, checked against the spec being resumed.
///
/// # Errors
///
/// [`Error::Checkpoint`] when the file is not a checkpoint, was written for another spec, or
/// lacks part of the state; reading errors as they come.
pub(crate) fn load_checkpoint(path: &Path, spec_toml: &str) -> Result<TrainState> {
    use crate::error::CheckpointProblem as P;
    let fail = |problem| Error::Checkpoint {
        path: path.to_path_buf(),
        problem,
    };
    let file = ModelFile::read(path)?;
    if file.header.kind != FileKind::Checkpoint {
        return Err(fail(P::FinishedModel));
    }
    if file.header.spec_toml != spec_toml {
        return Err(fail(P::OtherSpec));
    }
    let mut state = file
        .header
        .train_state
        .clone()
        .ok_or_else(|| fail(P::NoState))?;
    state.weights = file.require_section(sections::WEIGHTS, path)?.to_vec();
    state.best_weights = file.require_section(sections::BEST_WEIGHTS, path)?.to_vec();
    state.optimizer = kiln_train::OptimizerState::from_bytes(
        file.require_section(sections::OPTIMIZER, path)?,
        state.optimizer_step,
    )
    .ok_or_else(|| fail(P::CorruptOptimizer))?;
    Ok(state)
}

/// SHA-256 (hex) over a model file's trained values: every weight tensor's f32s
/// (little-endian, in the network's order) for networks and language models, the `posterior`
/// section for Bayesian models. Unlike the file's bytes (burnpack stores random parameter
/// ids), equal digests mean equal weights: what `kiln runs reproduce` compares.
///
/// # Errors
/// When the file holds neither section, or its weights do not decode.
pub fn weights_digest(file: &ModelFile) -> Result<String> {
    use sha2::{Digest, Sha256};
    if let Some(posterior) = file.section(sections::POSTERIOR) {
        return Ok(hex::encode(Sha256::digest(posterior)));
    }
    let bytes = file.require_section(sections::WEIGHTS, Path::new("model file"))?;
    let network = weights::from_bytes(&file.header.network, bytes, &crate::run::default_device())?;
    let mut hash = Sha256::new();
    for tensor in weights::values(&network) {
        for v in tensor {
            hash.update(v.to_le_bytes());
        }
    }
    Ok(hex::encode(hash.finalize()))
}
