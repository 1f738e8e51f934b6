//! What the store holds, as plain values: experiments, runs and their data, datasets,
//! artifacts, registered models, versions and alias changes. The names and meanings follow
//! MLflow's entities, so the MLflow tracking API is a translation, not a remapping.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::RunsError;

/// An experiment's id (MLflow sends it as a decimal string; `0` is "Default").
pub type ExperimentId = i64;

/// The experiment every run lands in unless another is named.
pub const DEFAULT_EXPERIMENT: ExperimentId = 0;

/// Whether an experiment or run is live or soft-deleted (restorable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    /// Listed and writable.
    Active,
    /// Hidden from default listings, restorable.
    Deleted,
}

impl Lifecycle {
    /// The stored and wire name (`active`, `deleted`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Deleted => "deleted",
        }
    }
}

impl FromStr for Lifecycle {
    type Err = RunsError;
    fn from_str(s: &str) -> Result<Self, RunsError> {
        match s {
            "active" => Ok(Self::Active),
            "deleted" => Ok(Self::Deleted),
            other => Err(RunsError::invalid(
                "lifecycle_stage",
                format!("expected active or deleted, found '{other}'"),
            )),
        }
    }
}

/// A run's status, as MLflow names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunStatus {
    /// Started and (as far as the store knows) alive.
    Running,
    /// Created but not started (MLflow clients may create runs so).
    Scheduled,
    /// Ended normally.
    Finished,
    /// Ended by an error.
    Failed,
    /// Its process died or was stopped without ending it (found by the liveness sweep).
    Killed,
}

impl RunStatus {
    /// The stored and wire name (`RUNNING`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Scheduled => "SCHEDULED",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Killed => "KILLED",
        }
    }

    /// Whether the run has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Finished | Self::Failed | Self::Killed)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = RunsError;
    fn from_str(s: &str) -> Result<Self, RunsError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "RUNNING" => Self::Running,
            "SCHEDULED" => Self::Scheduled,
            "FINISHED" => Self::Finished,
            "FAILED" => Self::Failed,
            "KILLED" => Self::Killed,
            _ => {
                return Err(RunsError::invalid(
                    "status",
                    format!("expected RUNNING, SCHEDULED, FINISHED, FAILED or KILLED, found '{s}'"),
                ));
            }
        })
    }
}

/// A named group of runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Its id.
    pub id: ExperimentId,
    /// Its unique name.
    pub name: String,
    /// Where its runs' artifacts live, as an MLflow URI (`mlflow-artifacts:/ID`).
    pub artifact_location: String,
    /// Live or deleted.
    pub lifecycle: Lifecycle,
    /// Milliseconds since the Unix epoch.
    pub creation_time: i64,
    /// Milliseconds since the Unix epoch.
    pub last_update_time: i64,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

/// A run's identity and state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// 32 lowercase hex digits.
    pub run_id: String,
    /// The experiment it belongs to.
    pub experiment_id: ExperimentId,
    /// A readable name (kiln: the spec's file stem and a counter; MLflow: the client's).
    pub name: String,
    /// Who started it.
    pub user_id: String,
    /// Its status.
    pub status: RunStatus,
    /// Milliseconds since the Unix epoch.
    pub start_time: i64,
    /// Milliseconds since the Unix epoch, once ended.
    pub end_time: Option<i64>,
    /// Live or deleted.
    pub lifecycle: Lifecycle,
    /// The run this one is a child of (a fold of `train --folds`, a trial of a study).
    pub parent_run_id: Option<String>,
}

impl RunInfo {
    /// Where the run's artifacts live, as an MLflow URI; the tracking API serves them there.
    pub fn artifact_uri(&self) -> String {
        format!(
            "mlflow-artifacts:/{}/{}/artifacts",
            self.experiment_id, self.run_id
        )
    }

    /// Seconds from start to end (or to `now_ms` for a live run).
    pub fn duration_seconds(&self, now_ms: i64) -> f64 {
        (self.end_time.unwrap_or(now_ms) - self.start_time).max(0) as f64 / 1000.0
    }
}

/// One metric value at one step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    /// The value; NaN and ±infinity are kept as such.
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The step (kiln: the epoch; 0 for a final figure).
    pub step: i64,
}

/// A named metric value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Its name (`validation.accuracy`, `loss`).
    pub key: String,
    /// The value, time and step.
    #[serde(flatten)]
    pub point: MetricPoint,
}

impl Metric {
    /// A metric at `step`, logged now.
    pub fn now(key: impl Into<String>, value: f64, step: i64) -> Self {
        Self {
            key: key.into(),
            point: MetricPoint {
                value,
                timestamp: crate::clock::now_ms(),
                step,
            },
        }
    }
}

/// A run's logged values: each metric's latest value, params and tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunData {
    /// The latest value of each metric (largest step, then timestamp, as MLflow picks).
    pub metrics: Vec<Metric>,
    /// Parameters (written once).
    pub params: BTreeMap<String, String>,
    /// Tags (overwritable).
    pub tags: BTreeMap<String, String>,
}

impl RunData {
    /// A metric's latest value.
    pub fn metric(&self, key: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.key == key)
            .map(|m| m.point.value)
    }
}

/// A dataset a run used: what it is and a digest of its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Its name.
    pub name: String,
    /// A digest of its content (kiln: SHA-256 over every raw row).
    pub digest: String,
    /// What kind of source (`local`, `builtin`, `http`, ...).
    pub source_type: String,
    /// Where it came from (a path, a URL, a JSON description).
    pub source: String,
    /// Its schema as JSON text, if known.
    pub schema: Option<String>,
    /// A profile (row count, ...) as JSON text, if known.
    pub profile: Option<String>,
}

/// A dataset and how the run used it (tags such as `mlflow.data.context = training`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetInput {
    /// The dataset.
    pub dataset: Dataset,
    /// The input's tags.
    pub tags: BTreeMap<String, String>,
}

/// A run: identity, data and inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Identity and state.
    pub info: RunInfo,
    /// Metrics, params, tags.
    pub data: RunData,
    /// Datasets used.
    pub inputs: Vec<DatasetInput>,
}

/// One entry of an artifact listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactEntry {
    /// The path relative to the run's artifact root.
    pub path: String,
    /// Whether it is a folder (a prefix of other artifacts).
    pub is_dir: bool,
    /// Its size in bytes (files only).
    pub size: Option<u64>,
    /// SHA-256 of its bytes, hex (files only).
    pub digest: Option<String>,
}

/// A named model in the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    /// Its unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Milliseconds since the Unix epoch.
    pub creation_time: i64,
    /// Milliseconds since the Unix epoch.
    pub last_update_time: i64,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Alias → version.
    pub aliases: BTreeMap<String, i64>,
    /// The highest version number, if any.
    pub latest_version: Option<i64>,
}

/// One version of a registered model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// The registered model's name.
    pub name: String,
    /// 1, 2, ...
    pub version: i64,
    /// Where it came from, as given (`runs:/RUN/model.kiln`, a file path, an MLflow URI).
    pub source: String,
    /// The run it came from, if any.
    pub run_id: Option<String>,
    /// SHA-256 of the model file in the artifact store, when the store holds it (kiln models).
    pub digest: Option<String>,
    /// Free text.
    pub description: String,
    /// Who registered it.
    pub user_id: String,
    /// Milliseconds since the Unix epoch.
    pub creation_time: i64,
    /// Milliseconds since the Unix epoch.
    pub last_update_time: i64,
    /// MLflow's (deprecated) stage: `None`, `Staging`, `Production`, `Archived`.
    pub stage: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// The aliases that point at it.
    pub aliases: Vec<String>,
}

/// One entry of the alias audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasChange {
    /// The registered model.
    pub name: String,
    /// The alias.
    pub alias: String,
    /// The version it pointed at before, if any.
    pub old_version: Option<i64>,
    /// The version it points at now; `None` when it was deleted.
    pub new_version: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub time: i64,
    /// Who moved it.
    pub user_id: String,
}
