//! Recording a training run in a runs store ([`kiln_runs`]): what a request asks for with
//! [`TrainRequest::track`], and the [`Recorder`] the pipeline drives.
//!
//! A run records: the effective spec text (artifact `spec.toml`) and its SHA-256, every spec
//! value as a dotted param (`training.epochs`, `layers.1.units`), the data source with a digest
//! over every raw row ([`kiln_data::table_digest`]), the seeds, kiln's version and backend,
//! per-epoch metrics (`train.loss`, `train.accuracy`, `val.loss`, `val.accuracy`, `lr`,
//! `epoch_seconds` at step = epoch; `elbo` per 1,000 ADVI iterations), the final metrics of
//! the saved model (every split's as `SPLIT.NAME`, e.g. `validation.accuracy`, and the test
//! split's also unprefixed, as `accuracy`; step 0), the model file (artifact `model.kiln`), status and duration.
//! Cross-validation folds are child runs.
//!
//! Recording never stops training: a store that cannot be written to turns into one
//! [`RunEvent::TrackingWarning`], and training goes on unrecorded.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use kiln_data::Table;
use kiln_runs::{ActiveRun, Dataset, DatasetInput, Metric, NewRun, RunStatus};
use kiln_spec::Spec;
use kiln_train::{StopReason, TrainEvent};
use sha2::{Digest, Sha256};

use crate::run::{Metrics, RunEvent, Tracking, TrainResult};

/// Tag: SHA-256 of the spec text the run trained on.
pub const SPEC_SHA256_TAG: &str = "kiln.spec_sha256";
/// Tag: the folder the spec's relative paths start from.
pub const SPEC_DIR_TAG: &str = "kiln.spec_dir";
/// Tag: SHA-256 over every raw row of the data source.
pub const DATA_DIGEST_TAG: &str = "kiln.data_digest";
/// Tag: SHA-256 over the trained weight values (see [`crate::weights_digest`]).
pub const WEIGHTS_DIGEST_TAG: &str = "kiln.weights_sha256";
/// Tag: the run this one re-creates (`kiln runs reproduce`).
pub const REPRODUCES_TAG: &str = "kiln.reproduces";
/// Tag: `--epochs` when given (it overrides the spec's epochs without changing its text).
pub const EPOCHS_TAG: &str = "kiln.epochs";
/// Tag: `--folds` when given.
pub const FOLDS_TAG: &str = "kiln.folds";
/// The artifact holding the spec text.
pub const SPEC_ARTIFACT: &str = "spec.toml";

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Every value of a spec as `dotted.path → text`: tables nest with `.`, arrays of tables by
/// index (`layers.1.units`), other arrays as TOML text. Values longer than MLflow's param limit
/// are cut (the full text is the `spec.toml` artifact).
pub fn spec_params(toml_text: &str) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut Vec<(String, String)>) {
        let key = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    walk(&key(k), v, out);
                }
            }
            toml::Value::Array(items)
                if items.iter().all(toml::Value::is_table) && !items.is_empty() =>
            {
                for (i, v) in items.iter().enumerate() {
                    walk(&key(&i.to_string()), v, out);
                }
            }
            toml::Value::String(s) => out.push((prefix.to_string(), s.clone())),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = toml_text.parse::<toml::Table>() {
        walk("", &toml::Value::Table(value), &mut out);
    }
    let limit = kiln_runs::validate::MAX_PARAM_VALUE_LENGTH;
    for (k, v) in &mut out {
        *k = metric_key(k);
        if v.chars().count() > limit {
            *v = v
                .chars()
                .take(limit - 1)
                .chain(std::iter::once('…'))
                .collect();
        }
    }
    out
}

/// A name made fit for a metric or param key: characters the store refuses become `_`.
fn metric_key(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    cleaned
        .replace("..", "_.")
        .trim_start_matches('/')
        .to_string()
}

/// A dataset input for a table: its digest over every raw row, rows and columns.
pub fn table_input(name: &str, source_type: &str, table: &Table, context: &str) -> DatasetInput {
    let schema: Vec<serde_json::Value> = table
        .columns
        .iter()
        .map(|c| serde_json::json!({ "name": c.name, "type": kind_name(&c.data) }))
        .collect();
    DatasetInput {
        dataset: Dataset {
            name: name.to_string(),
            digest: kiln_data::table_digest(table),
            source_type: source_type.to_string(),
            source: name.to_string(),
            schema: Some(serde_json::json!({ "columns": schema }).to_string()),
            profile: Some(
                serde_json::json!({ "rows": table.len(), "columns": table.columns.len() })
                    .to_string(),
            ),
        },
        tags: [("mlflow.data.context".to_string(), context.to_string())].into(),
    }
}

fn kind_name(data: &kiln_data::ColumnData) -> &'static str {
    match data {
        kiln_data::ColumnData::Number(_) => "number",
        kiln_data::ColumnData::Text(_) => "text",
        kiln_data::ColumnData::Bytes(_) => "bytes",
        kiln_data::ColumnData::Image(_) => "image",
    }
}

/// The experiment a run goes in: the one `tracking` names (created when missing), else
/// "Default".
fn experiment_id(tracking: &Tracking) -> kiln_runs::Result<kiln_runs::ExperimentId> {
    match &tracking.experiment {
        Some(name) => tracking.store.experiment_id_for(name),
        None => Ok(kiln_runs::DEFAULT_EXPERIMENT),
    }
}

/// The backend this build trains on.
fn backend() -> &'static str {
    #[cfg(feature = "cuda")]
    if std::env::var("KILN_DEVICE").as_deref() == Ok("cuda") {
        return "cuda";
    }
    "flex"
}

/// What the recorder knows before training starts.
pub(crate) struct RunStart<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) toml: &'a str,
    pub(crate) spec_path: &'a Path,
    pub(crate) base_dir: &'a Path,
    pub(crate) inputs: Vec<DatasetInput>,
    pub(crate) command: &'static str,
    /// `--epochs` and `--folds` as given (not part of the spec text).
    pub(crate) epochs: Option<usize>,
    pub(crate) folds: Option<usize>,
}

/// Records one run from the pipeline's events.
pub(crate) struct Recorder {
    run: Option<ActiveRun>,
    fold: Option<ActiveRun>,
    metric: &'static str,
    warned: bool,
    warnings: Vec<String>,
}

impl Recorder {
    /// Starts the run; on a store error, a recorder that records nothing and warns once.
    pub(crate) fn start(tracking: &Tracking, start: &RunStart<'_>) -> Self {
        let mut recorder = Self {
            run: None,
            fold: None,
            metric: "accuracy",
            warned: false,
            warnings: Vec::new(),
        };
        match Self::begin(tracking, start) {
            Ok(run) => recorder.run = Some(run),
            Err(e) => recorder.warn(&e),
        }
        recorder
    }

    fn begin(tracking: &Tracking, start: &RunStart<'_>) -> kiln_runs::Result<ActiveRun> {
        let store = &tracking.store;
        let experiment_id = experiment_id(tracking)?;
        let name = tracking.run_name.clone().unwrap_or_else(|| {
            start
                .spec_path
                .file_stem()
                .map_or_else(|| "run".to_string(), |s| s.to_string_lossy().into_owned())
        });
        let spec_sha = hex::encode(Sha256::digest(start.toml.as_bytes()));
        let mut tags: BTreeMap<String, String> = [
            (SPEC_SHA256_TAG, spec_sha),
            (SPEC_DIR_TAG, start.base_dir.display().to_string()),
            ("kiln.spec_path", start.spec_path.display().to_string()),
            ("kiln.version", env!("CARGO_PKG_VERSION").to_string()),
            ("kiln.backend", backend().to_string()),
            ("kiln.command", start.command.to_string()),
            ("kiln.seed", start.spec.training.seed.to_string()),
            ("kiln.split_seed", start.spec.data.split.seed.to_string()),
            ("kiln.data_source", start.spec.data.source.clone()),
            ("mlflow.source.name", start.spec_path.display().to_string()),
            ("mlflow.source.type", "LOCAL".to_string()),
            (kiln_runs::USER_TAG, kiln_runs::clock::current_user()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(first) = start.inputs.first() {
            tags.insert(DATA_DIGEST_TAG.to_string(), first.dataset.digest.clone());
        }
        if let Some(e) = start.epochs {
            tags.insert(EPOCHS_TAG.to_string(), e.to_string());
        }
        if let Some(k) = start.folds {
            tags.insert(FOLDS_TAG.to_string(), k.to_string());
        }
        tags.extend(tracking.tags.clone());
        let run = ActiveRun::start(
            Arc::clone(store),
            NewRun {
                experiment_id,
                name: Some(name),
                tags,
                parent_run_id: tracking.parent_run_id.clone(),
                ..NewRun::default()
            },
        )?;
        run.log_params(&spec_params(start.toml))?;
        run.log_artifact_bytes(SPEC_ARTIFACT, start.toml.as_bytes())?;
        run.log_inputs(&start.inputs)?;
        Ok(run)
    }

    /// The run's id, when it is being recorded.
    pub(crate) fn run_id(&self) -> Option<&str> {
        self.run.as_ref().map(ActiveRun::id)
    }

    /// Warnings not yet handed to the caller.
    pub(crate) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn warn(&mut self, e: &kiln_runs::RunsError) {
        if !self.warned {
            self.warned = true;
            self.warnings.push(format!(
                "this run is not recorded in the runs store ({e}); training goes on (pass --no-track to skip recording)"
            ));
        }
        // After a failure the rest of the run is not recorded: a half-recorded run would claim
        // metrics it does not have. The run itself is ended as FAILED when dropped.
        self.fold = None;
    }

    fn target(&self) -> Option<&ActiveRun> {
        self.fold.as_ref().or(self.run.as_ref())
    }

    fn log(&mut self, metrics: Vec<Metric>) {
        if metrics.is_empty() {
            return;
        }
        let result = match self.target() {
            Some(run) => run.log_metrics(&metrics),
            None => return,
        };
        if let Err(e) = result {
            self.warn(&e);
        }
    }

    /// Records what an event tells.
    pub(crate) fn on_event(&mut self, event: &RunEvent<'_>) {
        if self.run.is_none() {
            return;
        }
        match event {
            RunEvent::Train(TrainEvent::Start { metric, .. }) => self.metric = metric,
            RunEvent::Train(TrainEvent::Epoch(e)) => {
                let step = e.epoch as i64;
                let mut m = vec![
                    Metric::now("train.loss", e.loss, step),
                    Metric::now(format!("train.{}", self.metric), e.metric, step),
                    Metric::now("lr", e.lr, step),
                    Metric::now("epoch_seconds", e.seconds, step),
                ];
                if let Some(v) = e.val_loss {
                    m.push(Metric::now("val.loss", v, step));
                }
                if let Some(v) = e.val_metric {
                    m.push(Metric::now(format!("val.{}", self.metric), v, step));
                }
                self.log(m);
            }
            RunEvent::Advi {
                iteration, elbo, ..
            } => self.log(vec![Metric::now("elbo", *elbo, *iteration as i64)]),
            RunEvent::Fold { fold, folds } => {
                let parent = self.run.as_ref().expect("checked above");
                let child = ActiveRun::start(
                    Arc::clone(parent.store()),
                    NewRun {
                        experiment_id: parent.info().experiment_id,
                        name: Some(format!("{}-fold-{fold}-of-{folds}", parent.info().name)),
                        parent_run_id: Some(parent.id().to_string()),
                        ..NewRun::default()
                    },
                );
                match child {
                    Ok(child) => self.fold = Some(child),
                    Err(e) => self.warn(&e),
                }
            }
            RunEvent::FoldDone { fold, metrics } => {
                let m = split_metrics("validation", metrics, false, 0);
                self.log(m);
                if let Some(child) = self.fold.take()
                    && let Err(e) = child.end(RunStatus::Finished)
                {
                    self.warn(&e);
                }
                let parent = split_metrics(&format!("fold_{fold}"), metrics, false, 0);
                self.fold = None;
                self.log(parent);
            }
            _ => {}
        }
    }

    /// Ends the run: final metrics, the model file and weights digest, status.
    pub(crate) fn finish(
        mut self,
        result: &crate::Result<TrainResult>,
        model: Option<&Path>,
    ) -> Vec<String> {
        // A fold left open by an error fails with the run.
        self.fold = None;
        let Some(run) = self.run.take() else {
            return self.warnings;
        };
        let outcome = match result {
            Ok(result) => (|| -> kiln_runs::Result<()> {
                let mut metrics = Vec::new();
                for (split, m) in &result.metrics {
                    metrics.extend(split_metrics(split, m, split == "test", 0));
                }
                // A model without a test split still gets unprefixed headline figures.
                if !result.metrics.contains_key("test")
                    && let Some(m) = ["validation", "heldout"]
                        .iter()
                        .find_map(|s| result.metrics.get(*s))
                {
                    metrics.extend(
                        split_metrics("", m, true, 0)
                            .into_iter()
                            .filter(|x| !x.key.contains('.')),
                    );
                }
                metrics.push(Metric::now(
                    "training_seconds",
                    result.file.header.training.seconds,
                    0,
                ));
                run.log_metrics(&metrics)?;
                let mut tags = vec![("kiln.stop".to_string(), stop_name(result.stop))];
                if let Ok(digest) = crate::model_file::weights_digest(&result.file) {
                    tags.push((WEIGHTS_DIGEST_TAG.to_string(), digest));
                }
                if let Some(path) = model {
                    tags.push(("kiln.output".to_string(), path.display().to_string()));
                    run.set_tags(&tags)?;
                    run.log_artifact_file(kiln_runs::MODEL_ARTIFACT, path)?;
                } else {
                    run.set_tags(&tags)?;
                }
                Ok(())
            })(),
            Err(e) => {
                let message: String = e.to_string().chars().take(4000).collect();
                run.set_tags(&[("kiln.error".to_string(), message)])
            }
        };
        let status = match result {
            Ok(r) if r.stop == StopReason::Interrupted => RunStatus::Killed,
            Ok(_) => RunStatus::Finished,
            Err(_) => RunStatus::Failed,
        };
        if let Err(e) = outcome {
            self.warn(&e);
            drop(run.end(RunStatus::Failed));
        } else if let Err(e) = run.end(status) {
            self.warn(&e);
        }
        self.warnings
    }
}

fn stop_name(stop: StopReason) -> String {
    serde_json::to_value(stop)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{stop:?}"))
}

/// A split's figures as metrics: `SPLIT.NAME`, and also `NAME` when `unprefixed`.
fn split_metrics(split: &str, metrics: &Metrics, unprefixed: bool, step: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    for (name, value) in metrics.scalars() {
        let name = metric_key(&name);
        if !split.is_empty() {
            out.push(Metric::now(
                format!("{}.{name}", metric_key(split)),
                value,
                step,
            ));
        }
        if unprefixed {
            out.push(Metric::now(name, value, step));
        }
    }
    out
}

/// Records `kiln evaluate` as a run: the model file (its SHA-256 and weights digest), the data
/// evaluated (name and digest) and the metrics; returns the run's id.
///
/// # Errors
/// On a store error, or when the model file cannot be read for its digest.
pub fn record_evaluation(
    tracking: &Tracking,
    model_path: &Path,
    data: &str,
    data_digest: &str,
    metrics: &Metrics,
) -> kiln_runs::Result<String> {
    let store = &tracking.store;
    let experiment_id = experiment_id(tracking)?;
    let bytes = std::fs::read(model_path).map_err(|source| kiln_runs::RunsError::Io {
        action: "reading",
        path: model_path.to_path_buf(),
        source,
    })?;
    let mut tags: BTreeMap<String, String> = [
        ("kiln.command", "evaluate".to_string()),
        ("kiln.model_path", model_path.display().to_string()),
        ("kiln.model_sha256", hex::encode(Sha256::digest(&bytes))),
        ("kiln.version", env!("CARGO_PKG_VERSION").to_string()),
        ("kiln.backend", backend().to_string()),
        (DATA_DIGEST_TAG, data_digest.to_string()),
        (kiln_runs::USER_TAG, kiln_runs::clock::current_user()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Ok(file) = kiln_artifact::ModelFile::from_bytes(&bytes, model_path)
        && let Ok(digest) = crate::model_file::weights_digest(&file)
    {
        tags.insert(WEIGHTS_DIGEST_TAG.to_string(), digest);
    }
    tags.extend(tracking.tags.clone());
    let name = tracking.run_name.clone().unwrap_or_else(|| {
        format!(
            "evaluate-{}",
            model_path
                .file_stem()
                .map_or_else(|| "model".into(), |s| s.to_string_lossy())
        )
    });
    let run = ActiveRun::start(
        Arc::clone(store),
        NewRun {
            experiment_id,
            name: Some(name),
            tags,
            ..NewRun::default()
        },
    )?;
    run.log_params(&[
        ("model".to_string(), model_path.display().to_string()),
        ("data".to_string(), data.to_string()),
    ])?;
    run.log_inputs(&[DatasetInput {
        dataset: Dataset {
            name: data.to_string(),
            digest: data_digest.to_string(),
            source_type: "local".to_string(),
            source: data.to_string(),
            schema: None,
            profile: None,
        },
        tags: [("mlflow.data.context".to_string(), "evaluation".to_string())].into(),
    }])?;
    run.log_metrics(&split_metrics("", metrics, true, 0))?;
    let id = run.id().to_string();
    run.end(RunStatus::Finished)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_values_become_dotted_params() {
        let params: BTreeMap<String, String> = spec_params(
            r#"
[data]
source = "moons"
[[layers]]
type = "dense"
units = 16
[[layers]]
type = "dense"
units = 2
[training]
epochs = 5
optimizer = { type = "adam", learning_rate = 0.01 }
sizes = [1, 2]
"#,
        )
        .into_iter()
        .collect();
        assert_eq!(params["data.source"], "moons");
        assert_eq!(params["layers.1.units"], "2");
        assert_eq!(params["training.epochs"], "5");
        assert_eq!(params["training.optimizer.learning_rate"], "0.01");
        assert_eq!(params["training.sizes"], "[1, 2]");
    }

    #[test]
    fn class_names_become_valid_metric_keys() {
        assert_eq!(metric_key("f1.<other>"), "f1._other_");
        assert_eq!(metric_key("a..b"), "a_.b");
        kiln_runs::Metric::now(metric_key("precision.é/ü"), 1.0, 0);
    }
}
