//! Between the store and the wire: [`kiln_runs`] entities as MLflow's JSON messages, the
//! store's errors as MLflow's error codes, and [`blocking`], which runs a store call (SQLite
//! and files, both blocking) off the async runtime.

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_runs::{RunsError, Store};

use crate::error::ApiError;
use crate::wire;

/// Runs `f` on tokio's blocking pool and turns a store error into an answer.
pub(crate) async fn blocking<T, F>(store: &Arc<Store>, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, RunsError> + Send + 'static,
{
    blocking_mapped(store, f, from_store).await
}

/// [`blocking`], with the route's own answer for store errors.
pub(crate) async fn blocking_mapped<T, F>(
    store: &Arc<Store>,
    f: F,
    map: fn(RunsError) -> ApiError,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, RunsError> + Send + 'static,
{
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| ApiError::internal(format!("a store call panicked: {e}")))?
        .map_err(map)
}

/// The answer for a store error: MLflow's code for the same refusal. Failures of the store
/// itself (database, files) are logged in full and answered without file paths.
pub(crate) fn from_store(e: RunsError) -> ApiError {
    match &e {
        RunsError::NotFound { .. } => ApiError::not_found(e.to_string()),
        RunsError::AlreadyExists { .. } => ApiError::already_exists(e.to_string()),
        // The store's own files are wrong (a blob replaced by a link, a bad digest): not the
        // client's doing, and the message names store paths.
        RunsError::Invalid {
            field: "artifact store" | "digest",
            ..
        } => {
            tracing::error!(error = %e, "runs store is damaged");
            ApiError::internal("the runs store failed; the server log has the cause")
        }
        RunsError::ParamChanged { .. }
        | RunsError::Invalid { .. }
        | RunsError::Query { .. }
        | RunsError::RunNotActive { .. } => ApiError::invalid(e.to_string()),
        _ if e.is_locked() => {
            tracing::warn!(error = %e, "runs store busy");
            ApiError::new(
                crate::ErrorCode::TemporarilyUnavailable,
                "the runs store is busy with other writers; retry",
            )
        }
        _ => {
            tracing::error!(error = %e, "runs store failed");
            ApiError::internal("the runs store failed; the server log has the cause")
        }
    }
}

/// Tags as answered, by key.
pub(crate) fn tags(map: &BTreeMap<String, String>) -> Vec<wire::Tag> {
    map.iter()
        .map(|(key, value)| wire::Tag {
            key: key.clone(),
            value: value.clone(),
        })
        .collect()
}

/// An experiment.
pub(crate) fn experiment(e: &kiln_runs::Experiment) -> wire::Experiment {
    wire::Experiment {
        experiment_id: e.id.to_string(),
        name: e.name.clone(),
        artifact_location: e.artifact_location.clone(),
        lifecycle_stage: e.lifecycle.as_str().to_string(),
        last_update_time: e.last_update_time,
        creation_time: e.creation_time,
        tags: tags(&e.tags),
    }
}

/// A run status, store to wire.
pub(crate) fn status_out(s: kiln_runs::RunStatus) -> wire::RunStatus {
    match s {
        kiln_runs::RunStatus::Running => wire::RunStatus::Running,
        kiln_runs::RunStatus::Scheduled => wire::RunStatus::Scheduled,
        kiln_runs::RunStatus::Finished => wire::RunStatus::Finished,
        kiln_runs::RunStatus::Failed => wire::RunStatus::Failed,
        kiln_runs::RunStatus::Killed => wire::RunStatus::Killed,
    }
}

/// A run status, wire to store.
pub(crate) fn status_in(s: wire::RunStatus) -> kiln_runs::RunStatus {
    match s {
        wire::RunStatus::Running => kiln_runs::RunStatus::Running,
        wire::RunStatus::Scheduled => kiln_runs::RunStatus::Scheduled,
        wire::RunStatus::Finished => kiln_runs::RunStatus::Finished,
        wire::RunStatus::Failed => kiln_runs::RunStatus::Failed,
        wire::RunStatus::Killed => kiln_runs::RunStatus::Killed,
    }
}

/// A view type, wire to store.
pub(crate) fn view_in(v: Option<wire::ViewType>) -> kiln_runs::ViewType {
    match v.unwrap_or_default() {
        wire::ViewType::ActiveOnly => kiln_runs::ViewType::ActiveOnly,
        wire::ViewType::DeletedOnly => kiln_runs::ViewType::DeletedOnly,
        wire::ViewType::All => kiln_runs::ViewType::All,
    }
}

/// A run's metadata.
pub(crate) fn run_info(info: &kiln_runs::RunInfo) -> wire::RunInfo {
    wire::RunInfo {
        run_id: info.run_id.clone(),
        run_uuid: info.run_id.clone(),
        run_name: info.name.clone(),
        experiment_id: info.experiment_id.to_string(),
        user_id: info.user_id.clone(),
        status: status_out(info.status),
        start_time: info.start_time,
        end_time: info.end_time,
        artifact_uri: info.artifact_uri(),
        lifecycle_stage: info.lifecycle.as_str().to_string(),
    }
}

/// A metric value.
pub(crate) fn metric(key: &str, p: &kiln_runs::MetricPoint) -> wire::Metric {
    wire::Metric {
        key: key.to_string(),
        value: p.value,
        timestamp: p.timestamp,
        step: p.step,
    }
}

/// A run with its data and inputs.
pub(crate) fn run(r: &kiln_runs::Run) -> wire::Run {
    wire::Run {
        info: run_info(&r.info),
        data: wire::RunData {
            metrics: r
                .data
                .metrics
                .iter()
                .map(|m| metric(&m.key, &m.point))
                .collect(),
            params: tags(&r.data.params),
            tags: tags(&r.data.tags),
        },
        inputs: wire::RunInputs {
            dataset_inputs: r
                .inputs
                .iter()
                .map(|i| wire::DatasetInputOut {
                    tags: tags(&i.tags),
                    dataset: wire::Dataset {
                        name: Some(i.dataset.name.clone()),
                        digest: Some(i.dataset.digest.clone()),
                        source_type: Some(i.dataset.source_type.clone()),
                        source: Some(i.dataset.source.clone()),
                        schema: i.dataset.schema.clone(),
                        profile: i.dataset.profile.clone(),
                    },
                })
                .collect(),
        },
    }
}

/// A model version.
pub(crate) fn model_version(v: &kiln_runs::ModelVersion) -> wire::ModelVersion {
    wire::ModelVersion {
        name: v.name.clone(),
        version: v.version.to_string(),
        creation_timestamp: v.creation_time,
        last_updated_timestamp: v.last_update_time,
        current_stage: v.stage.clone(),
        description: v.description.clone(),
        source: v.source.clone(),
        run_id: v.run_id.clone().unwrap_or_default(),
        status: "READY".to_string(),
        run_link: String::new(),
        tags: tags(&v.tags),
        aliases: v.aliases.clone(),
    }
}

/// A registered model, with its newest version when it has one.
pub(crate) fn registered_model(
    m: &kiln_runs::RegisteredModel,
    latest: Option<&kiln_runs::ModelVersion>,
) -> wire::RegisteredModel {
    wire::RegisteredModel {
        name: m.name.clone(),
        creation_timestamp: m.creation_time,
        last_updated_timestamp: m.last_update_time,
        description: Some(m.description.clone()).filter(|d| !d.is_empty()),
        latest_versions: latest.map(model_version).into_iter().collect(),
        tags: tags(&m.tags),
        aliases: m
            .aliases
            .iter()
            .map(|(alias, version)| wire::AliasOut {
                alias: alias.clone(),
                version: version.to_string(),
            })
            .collect(),
    }
}

/// Request tags as a map; a tag without a key is refused, one without a value is empty.
pub(crate) fn tag_map(
    tags: &[wire::KeyValue],
    field: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    tags.iter()
        .map(|t| {
            let key = t
                .key
                .clone()
                .ok_or_else(|| ApiError::missing(&format!("{field}.key")))?;
            Ok((key, t.value.clone().unwrap_or_default()))
        })
        .collect()
}

/// Request key/values as pairs, keeping their order (params and tags of `log-batch`).
pub(crate) fn pairs(
    items: &[wire::KeyValue],
    field: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let key = t
                .key
                .clone()
                .ok_or_else(|| ApiError::missing(&format!("{field}[{i}].key")))?;
            let value = t
                .value
                .clone()
                .ok_or_else(|| ApiError::missing(&format!("{field}[{i}].value")))?;
            Ok((key, value))
        })
        .collect()
}
