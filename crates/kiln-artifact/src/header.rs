use std::collections::BTreeMap;

use kiln_data::Encoder;
use kiln_eval::Metrics;
use kiln_model::NetworkConfig;
use kiln_monitor::ReferenceProfile;
use kiln_spec::Spec;
use kiln_train::{EpochSummary, StopReason, Task, TrainState};
use serde::{Deserialize, Serialize};

/// Whether a file is a finished model or a training checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A trained model, ready for evaluate / predict / serve.
    Model,
    /// A checkpoint that `kiln train --resume` continues from.
    Checkpoint,
}

/// The JSON header of a model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelHeader {
    /// Version of kiln that wrote the file.
    pub kiln_version: String,
    /// Model or checkpoint.
    pub kind: FileKind,
    /// Seconds since the Unix epoch when the file was written.
    pub created_unix: u64,
    /// The spec's name.
    pub name: String,
    /// The spec exactly as written.
    pub spec_toml: String,
    /// The parsed spec.
    pub spec: Spec,
    /// Fitted transforms, applied identically at predict and serve time.
    pub encoder: Encoder,
    /// Network structure (the weights are the `weights` section).
    pub network: NetworkConfig,
    /// Loss/metric family.
    pub task: Task,
    /// Trainable values.
    pub params: usize,
    /// How training went.
    pub training: TrainingRecord,
    /// Which data trained the model.
    pub data: DataRecord,
    /// Evaluation results by split name (`validation`, `test`, `fold_1`, `heldout`, …).
    #[serde(default)]
    pub metrics: BTreeMap<String, Metrics>,
    /// Checkpoints only: where training stands (weights and optimiser moments are sections).
    #[serde(default)]
    pub train_state: Option<TrainState>,
    /// Models only: the reference profile of the validation inputs and predictions that
    /// monitoring compares live traffic with. Absent in files written before monitoring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ReferenceProfile>,
    /// Bayesian models only (`training.method = "advi"`): how the fit went. The variational
    /// parameters are the `posterior` section (JSON) and the ELBO trace the `elbo` section
    /// (f32 little-endian, one value per iteration); such files have no `weights` section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bayes: Option<BayesRecord>,
}

/// How an ADVI fit went, and how predictions sample the posterior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BayesRecord {
    /// Iterations run (fewer than planned when the ELBO converged or the run was stopped).
    pub iterations: usize,
    /// Iterations planned.
    pub planned_iterations: usize,
    /// `completed`, `converged` or `interrupted`.
    pub stop: String,
    /// Seconds spent in the ADVI loop alone.
    pub fit_seconds: f64,
    /// Mean ELBO over the last 1,000 iterations (or all, when fewer).
    pub final_elbo: f64,
    /// Variational weights (each has a mean and a standard deviation).
    pub weights: usize,
    /// Posterior draws per prediction.
    pub predict_samples: usize,
    /// Mass of the central credible interval reported with predictions.
    pub interval: f64,
    /// Seed of the prediction draws (the same seed gives the same predictions).
    pub predict_seed: u64,
}

/// Training history and outcome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Every epoch.
    pub history: Vec<EpochSummary>,
    /// Epoch whose weights the file holds.
    pub best_epoch: usize,
    /// Why training ended.
    pub stop: StopReason,
    /// Total wall seconds.
    pub seconds: f64,
}

/// Provenance of the training data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataRecord {
    /// The spec's data source.
    pub source: String,
    /// Folder relative data paths in the spec are resolved against.
    pub base_dir: String,
    /// SHA-256 over the encoded training rows in order and the split seed.
    pub digest: String,
    /// Seed of the split.
    pub split_seed: u64,
    /// Training rows.
    pub train_rows: usize,
    /// Validation rows.
    pub validation_rows: usize,
    /// Test rows.
    pub test_rows: usize,
}
