//! Every request and answer body, field for field as MLflow's protos write them in JSON
//! (`PROTOCOL.md`): snake_case names, int64 as JSON numbers (numbers or decimal strings
//! accepted), doubles as numbers with `"NaN"`, `"Infinity"`, `"-Infinity"` for the rest,
//! enums by name, empty lists and unset fields left out. Unknown request fields are ignored,
//! as MLflow's server ignores them.
//!
//! Requests keep every field optional: a missing required field is answered by the handler
//! with MLflow's "missing value for required parameter" (`crate::ApiError::missing`), not by a
//! serde message.

use serde::{Deserialize, Serialize};

/// int64 fields: a JSON number or a decimal string (protobuf's own JSON form, and what a `GET`
/// query gives), `null` for unset.
pub mod int64 {
    use serde::{Deserialize, Deserializer, de::Error};
    use serde_json::Value;

    /// Deserializes an optional int64.
    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{n} is not a 64-bit integer"))),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("`{s}` is not a 64-bit integer"))),
            other => Err(D::Error::custom(format!(
                "expected a 64-bit integer, found {other}"
            ))),
        }
    }
}

/// double fields: a JSON number, or one of protobuf's strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"` (or a decimal string).
pub mod double {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use serde_json::Value;

    /// Parses protobuf's JSON text for a double.
    pub fn parse(s: &str) -> Option<f64> {
        match s {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            // Rust also reads "inf", "nan", "infinity"; protobuf does not, so neither do we.
            _ if s
                .bytes()
                .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
            {
                None
            }
            _ => s.trim().parse().ok(),
        }
    }

    /// Deserializes an optional double.
    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("{n} is not a double"))),
            Value::String(s) => parse(&s)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("`{s}` is not a double"))),
            other => Err(D::Error::custom(format!(
                "expected a double, found {other}"
            ))),
        }
    }

    /// Serializes a double: a number when finite, else protobuf's string.
    #[allow(
        clippy::trivially_copy_pass_by_ref,
        reason = "serde's serialize_with passes a reference"
    )]
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v == f64::INFINITY {
            s.serialize_str("Infinity")
        } else if *v == f64::NEG_INFINITY {
            s.serialize_str("-Infinity")
        } else {
            s.serialize_f64(*v)
        }
    }
}

/// Repeated string fields: a list, or a single string (a `GET` query gives a field sent once
/// as a plain value).
pub mod one_or_many {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    /// Deserializes a list of strings from a list or one string.
    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Option::<OneOrMany>::deserialize(d)? {
            None => Vec::new(),
            Some(OneOrMany::One(s)) => vec![s],
            Some(OneOrMany::Many(v)) => v,
        })
    }
}

/// A key and a value: params, run tags, experiment tags, input tags, model tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// The key.
    #[serde(default)]
    pub key: Option<String>,
    /// The value.
    #[serde(default)]
    pub value: Option<String>,
}

/// A run's status (`RunStatus`), by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Logging.
    Running,
    /// Waiting to start.
    Scheduled,
    /// Ended normally.
    Finished,
    /// Ended with an error.
    Failed,
    /// Stopped from outside.
    Killed,
}

/// Which runs or experiments a search sees (`ViewType`), by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ViewType {
    /// Not deleted (the default).
    #[default]
    ActiveOnly,
    /// Deleted only.
    DeletedOnly,
    /// Both.
    All,
}

// ---- Requests -------------------------------------------------------------------------------

/// `POST /mlflow/experiments/create`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateExperiment {
    /// Unique name.
    pub name: Option<String>,
    /// Ignored beyond validation: kiln stores every artifact itself.
    pub artifact_location: Option<String>,
    /// Experiment tags.
    pub tags: Vec<KeyValue>,
}

/// `GET /mlflow/experiments/get`, `POST /mlflow/experiments/{delete,restore}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExperimentRef {
    /// The experiment's id.
    pub experiment_id: Option<String>,
}

/// `GET /mlflow/experiments/get-by-name`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExperimentByName {
    /// The name.
    pub experiment_name: Option<String>,
}

/// `POST /mlflow/experiments/update`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UpdateExperiment {
    /// The experiment's id.
    pub experiment_id: Option<String>,
    /// Its new name.
    pub new_name: Option<String>,
}

/// `POST /mlflow/experiments/set-experiment-tag`, `…/delete-experiment-tag`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExperimentTag {
    /// The experiment's id.
    pub experiment_id: Option<String>,
    /// Tag key.
    pub key: Option<String>,
    /// Tag value (absent when deleting).
    pub value: Option<String>,
}

/// `POST|GET /mlflow/experiments/search`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchExperiments {
    /// Page size.
    #[serde(deserialize_with = "int64::optional")]
    pub max_results: Option<i64>,
    /// The previous answer's `next_page_token`.
    pub page_token: Option<String>,
    /// MLflow's search grammar over `name`, `tags.*`, `creation_time`, `last_update_time`.
    pub filter: Option<String>,
    /// `name ASC`, `creation_time DESC`, …
    #[serde(deserialize_with = "one_or_many::strings")]
    pub order_by: Vec<String>,
    /// Active, deleted or both.
    pub view_type: Option<ViewType>,
}

/// `POST /mlflow/runs/create`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateRun {
    /// The experiment (`"0"`, the default experiment, when absent).
    pub experiment_id: Option<String>,
    /// Who runs it (deprecated in favour of the `mlflow.user` tag; kept).
    pub user_id: Option<String>,
    /// Display name.
    pub run_name: Option<String>,
    /// Milliseconds since the epoch.
    #[serde(deserialize_with = "int64::optional")]
    pub start_time: Option<i64>,
    /// Run tags.
    pub tags: Vec<KeyValue>,
}

/// Every request naming one run: `run_id`, or the deprecated `run_uuid` (the client sends
/// both).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunRef {
    /// The run's id.
    pub run_id: Option<String>,
    /// The same, under its old name.
    pub run_uuid: Option<String>,
}

impl RunRef {
    /// The id the request names, `run_id` first.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.run_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.run_uuid.as_deref().filter(|s| !s.is_empty()))
    }
}

/// `POST /mlflow/runs/update`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UpdateRun {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
    /// New status.
    pub status: Option<RunStatus>,
    /// Milliseconds since the epoch.
    #[serde(deserialize_with = "int64::optional")]
    pub end_time: Option<i64>,
    /// New display name.
    pub run_name: Option<String>,
}

/// `POST /mlflow/runs/log-parameter`, `/mlflow/runs/set-tag`, `/mlflow/runs/delete-tag`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunKeyValue {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
    /// Param or tag key.
    pub key: Option<String>,
    /// Its value (absent when deleting a tag).
    pub value: Option<String>,
}

/// One metric value in a request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MetricIn {
    /// Metric name.
    pub key: Option<String>,
    /// The value; NaN and ±Inf allowed.
    #[serde(deserialize_with = "double::optional")]
    pub value: Option<f64>,
    /// Milliseconds since the epoch.
    #[serde(deserialize_with = "int64::optional")]
    pub timestamp: Option<i64>,
    /// Training step (0 when absent).
    #[serde(deserialize_with = "int64::optional")]
    pub step: Option<i64>,
}

/// `POST /mlflow/runs/log-metric`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LogMetric {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
    /// The value.
    #[serde(flatten)]
    pub metric: MetricIn,
}

/// `POST /mlflow/runs/log-batch`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LogBatch {
    /// The run.
    pub run_id: Option<String>,
    /// Metric values (at most 1000).
    pub metrics: Vec<MetricIn>,
    /// Params (at most 100).
    pub params: Vec<KeyValue>,
    /// Tags (at most 100).
    pub tags: Vec<KeyValue>,
}

/// A dataset as logged (`Dataset`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Dataset {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Digest (hash) of its contents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `http`, `local`, `hugging_face`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    /// JSON text describing the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// JSON text of the schema.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// JSON text of the profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// A dataset with the tags of one use of it (`DatasetInput`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DatasetInput {
    /// Input tags (`mlflow.data.context` = `training`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<KeyValue>,
    /// The dataset.
    pub dataset: Option<Dataset>,
}

/// `POST /mlflow/runs/log-inputs`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LogInputs {
    /// The run.
    pub run_id: Option<String>,
    /// Datasets.
    pub datasets: Vec<DatasetInput>,
}

/// `POST /mlflow/runs/search`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchRuns {
    /// Experiments to search.
    pub experiment_ids: Vec<String>,
    /// MLflow's search grammar (`metrics.x > 1 and tags.t = 'v'`).
    pub filter: Option<String>,
    /// Active, deleted or both.
    pub run_view_type: Option<ViewType>,
    /// Page size (1000 when absent, at most 50000).
    #[serde(deserialize_with = "int64::optional")]
    pub max_results: Option<i64>,
    /// `metrics.x DESC`, `params.p`, `attributes.start_time ASC`, …
    pub order_by: Vec<String>,
    /// The previous answer's `next_page_token`.
    pub page_token: Option<String>,
}

/// `GET /mlflow/metrics/get-history`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GetMetricHistory {
    /// The run.
    #[serde(flatten)]
    pub run: RunRef,
    /// Metric name.
    pub metric_key: Option<String>,
    /// Page size (all when absent).
    #[serde(deserialize_with = "int64::optional")]
    pub max_results: Option<i64>,
    /// The previous answer's `next_page_token`.
    pub page_token: Option<String>,
}

/// `POST /mlflow/registered-models/create`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateRegisteredModel {
    /// Unique name.
    pub name: Option<String>,
    /// Model tags.
    pub tags: Vec<KeyValue>,
    /// Free text.
    pub description: Option<String>,
}

/// `GET /mlflow/registered-models/get`, `DELETE /mlflow/registered-models/delete`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModelRef {
    /// The registered model's name.
    pub name: Option<String>,
}

/// `GET /mlflow/registered-models/search`, `GET /mlflow/model-versions/search`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchRegistry {
    /// `name = 'm'`, `run_id = '…'`, `tags.k = 'v'`, …
    pub filter: Option<String>,
    /// Page size.
    #[serde(deserialize_with = "int64::optional")]
    pub max_results: Option<i64>,
    /// `name ASC`, `version_number DESC`, …
    #[serde(deserialize_with = "one_or_many::strings")]
    pub order_by: Vec<String>,
    /// The previous answer's `next_page_token`.
    pub page_token: Option<String>,
}

/// `POST /mlflow/registered-models/rename`, `PATCH /mlflow/registered-models/update`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UpdateRegisteredModel {
    /// The registered model.
    pub name: Option<String>,
    /// Its new name (rename).
    pub new_name: Option<String>,
    /// Its new description (update).
    pub description: Option<String>,
}

/// `PATCH /mlflow/model-versions/update`, `DELETE /mlflow/model-versions/delete`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UpdateModelVersion {
    /// The registered model.
    pub name: Option<String>,
    /// The version number, as a string.
    pub version: Option<String>,
    /// Its new description.
    pub description: Option<String>,
}

/// Registry tags: `registered-models/set-tag|delete-tag`, `model-versions/set-tag|delete-tag`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegistryTag {
    /// The registered model.
    pub name: Option<String>,
    /// The version (model-version tags only).
    pub version: Option<String>,
    /// Tag key.
    pub key: Option<String>,
    /// Tag value (setting only).
    pub value: Option<String>,
}

/// `POST|GET /mlflow/registered-models/get-latest-versions`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LatestVersions {
    /// The registered model.
    pub name: Option<String>,
    /// Stages to answer for (deprecated; all when empty).
    #[serde(deserialize_with = "one_or_many::strings")]
    pub stages: Vec<String>,
}

/// `POST /mlflow/model-versions/create`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CreateModelVersion {
    /// The registered model.
    pub name: Option<String>,
    /// Where the files are: `mlflow-artifacts:/…`, `runs:/RUN/path`, …
    pub source: Option<String>,
    /// The run that produced it.
    pub run_id: Option<String>,
    /// Version tags.
    pub tags: Vec<KeyValue>,
    /// Link to the run elsewhere.
    pub run_link: Option<String>,
    /// Free text.
    pub description: Option<String>,
}

/// `GET /mlflow/model-versions/get`, `…/get-download-uri`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ModelVersionRef {
    /// The registered model.
    pub name: Option<String>,
    /// The version number, as a string.
    pub version: Option<String>,
}

/// `POST|GET|DELETE /mlflow/registered-models/alias`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Alias {
    /// The registered model.
    pub name: Option<String>,
    /// Alias name.
    pub alias: Option<String>,
    /// The version it points at (setting only).
    pub version: Option<String>,
}

/// `GET /mlflow-artifacts/artifacts?path=`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListArtifacts {
    /// `<experiment_id>/<run_id>/artifacts[/dir]`.
    pub path: Option<String>,
}

// ---- Answers --------------------------------------------------------------------------------

/// A key and value as answered (both always present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
}

/// An experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    /// Its id (`"0"` is the default experiment).
    pub experiment_id: String,
    /// Unique name.
    pub name: String,
    /// `mlflow-artifacts:/<id>`.
    pub artifact_location: String,
    /// `active` or `deleted`.
    pub lifecycle_stage: String,
    /// Milliseconds since the epoch.
    pub last_update_time: i64,
    /// Milliseconds since the epoch.
    pub creation_time: i64,
    /// Experiment tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// A run's metadata (`RunInfo`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunInfo {
    /// The id (32 hex digits).
    pub run_id: String,
    /// The same, under its deprecated name.
    pub run_uuid: String,
    /// Display name.
    pub run_name: String,
    /// Its experiment.
    pub experiment_id: String,
    /// Who ran it.
    pub user_id: String,
    /// Status.
    pub status: RunStatus,
    /// Milliseconds since the epoch.
    pub start_time: i64,
    /// Milliseconds since the epoch, once ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`.
    pub artifact_uri: String,
    /// `active` or `deleted`.
    pub lifecycle_stage: String,
}

/// One metric value as answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    /// Metric name.
    pub key: String,
    /// The value (`"NaN"`, `"Infinity"`, `"-Infinity"` for the non-finite ones).
    #[serde(serialize_with = "double::serialize")]
    pub value: f64,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// Training step.
    pub step: i64,
}

/// What a run logged (`RunData`): the latest value of each metric, params, tags.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunData {
    /// Latest value per metric key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// Params.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Tag>,
    /// Run tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// A dataset input as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetInputOut {
    /// Input tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// The dataset.
    pub dataset: Dataset,
}

/// A run's inputs (`RunInputs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunInputs {
    /// Datasets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dataset_inputs: Vec<DatasetInputOut>,
}

/// A run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// Metadata.
    pub info: RunInfo,
    /// Metrics, params, tags.
    pub data: RunData,
    /// Datasets.
    pub inputs: RunInputs,
}

/// One entry of an artifact listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// The name, relative to the listed folder.
    pub path: String,
    /// A folder?
    pub is_dir: bool,
    /// Size in bytes (files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_size: Option<i64>,
}

/// A model version (`ModelVersion`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelVersion {
    /// The registered model.
    pub name: String,
    /// The version number, as a string.
    pub version: String,
    /// Milliseconds since the epoch.
    pub creation_timestamp: i64,
    /// Milliseconds since the epoch.
    pub last_updated_timestamp: i64,
    /// Always `"None"`: stages are deprecated; aliases replace them.
    pub current_stage: String,
    /// Free text.
    pub description: String,
    /// Where the files are.
    pub source: String,
    /// The run that produced it (empty when none).
    pub run_id: String,
    /// Always `READY`: kiln registers synchronously.
    pub status: String,
    /// Link to the run elsewhere.
    pub run_link: String,
    /// Version tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// The aliases pointing at this version.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// An alias and the version it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasOut {
    /// Alias name.
    pub alias: String,
    /// Version number, as a string.
    pub version: String,
}

/// A registered model (`RegisteredModel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredModel {
    /// Unique name.
    pub name: String,
    /// Milliseconds since the epoch.
    pub creation_timestamp: i64,
    /// Milliseconds since the epoch.
    pub last_updated_timestamp: i64,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The newest version (MLflow gives the newest per stage; with stages gone, one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub latest_versions: Vec<ModelVersion>,
    /// Model tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Aliases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<AliasOut>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn int64_reads_numbers_and_strings() {
        let m: MetricIn = serde_json::from_value(
            json!({"timestamp": "1700000000000", "step": 1_099_511_627_776_i64}),
        )
        .unwrap();
        assert_eq!(m.timestamp, Some(1_700_000_000_000));
        assert_eq!(m.step, Some(1 << 40));
        assert!(serde_json::from_value::<MetricIn>(json!({"step": 1.5})).is_err());
        assert!(serde_json::from_value::<MetricIn>(json!({"step": "x"})).is_err());
    }

    #[test]
    fn doubles_read_protobuf_strings() {
        for (text, check) in [
            ("NaN", f64::is_nan as fn(f64) -> bool),
            ("Infinity", |v| v == f64::INFINITY),
            ("-Infinity", |v| v == f64::NEG_INFINITY),
            ("1.5", |v| v == 1.5),
        ] {
            let m: MetricIn = serde_json::from_value(json!({ "value": text })).unwrap();
            assert!(check(m.value.unwrap()), "{text}");
        }
        for bad in ["inf", "nan", "infinity", "one"] {
            assert!(
                serde_json::from_value::<MetricIn>(json!({ "value": bad })).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn doubles_write_protobuf_strings() {
        let metric = |value| Metric {
            key: "m".into(),
            value,
            timestamp: 1,
            step: 2,
        };
        let text = |v| serde_json::to_value(metric(v)).unwrap()["value"].clone();
        assert_eq!(text(f64::NAN), json!("NaN"));
        assert_eq!(text(f64::INFINITY), json!("Infinity"));
        assert_eq!(text(f64::NEG_INFINITY), json!("-Infinity"));
        assert_eq!(text(0.25), json!(0.25));
    }

    #[test]
    fn run_ref_prefers_run_id() {
        let r: RunRef = serde_json::from_value(json!({"run_uuid": "b", "run_id": "a"})).unwrap();
        assert_eq!(r.id(), Some("a"));
        let r: RunRef = serde_json::from_value(json!({"run_uuid": "b", "run_id": ""})).unwrap();
        assert_eq!(r.id(), Some("b"));
    }

    #[test]
    fn enums_by_name() {
        let u: UpdateRun =
            serde_json::from_value(json!({"run_id": "a", "status": "KILLED", "end_time": 5}))
                .unwrap();
        assert_eq!(u.status, Some(RunStatus::Killed));
        assert_eq!(u.run.id(), Some("a"));
        let s: SearchRuns = serde_json::from_value(json!({"run_view_type": "ALL"})).unwrap();
        assert_eq!(s.run_view_type, Some(ViewType::All));
        assert!(serde_json::from_value::<UpdateRun>(json!({"status": "DONE"})).is_err());
    }

    #[test]
    fn repeated_fields_from_a_query_may_be_one_value() {
        let one: SearchExperiments =
            serde_json::from_value(json!({"order_by": "name ASC"})).unwrap();
        assert_eq!(one.order_by, ["name ASC"]);
        let many: SearchExperiments =
            serde_json::from_value(json!({"order_by": ["name", "creation_time DESC"]})).unwrap();
        assert_eq!(many.order_by.len(), 2);
        let none: SearchExperiments = serde_json::from_value(json!({})).unwrap();
        assert!(none.order_by.is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let m: LogMetric = serde_json::from_value(
            json!({"run_id": "a", "key": "k", "value": 1, "model_id": "x", "dataset_name": "d"}),
        )
        .unwrap();
        assert_eq!(m.metric.key.as_deref(), Some("k"));
    }
}
