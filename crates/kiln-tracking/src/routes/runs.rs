//! `/api/2.0/mlflow/runs/*` and `/api/2.0/mlflow/metrics/get-history`: create, get, update,
//! delete, restore, log params / metrics / batches / tags / inputs, search, metric history.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kiln_runs::{
    DEFAULT_EXPERIMENT, Dataset, DatasetInput, Lifecycle, Metric, MetricPoint, NewRun, RunQuery,
    Store,
};
use serde_json::{Value, json};

use crate::convert::{self, blocking};
use crate::error::ApiError;
use crate::extract::{Message, required};
use crate::limits;
use crate::paging;
use crate::wire;

/// The routes.
pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route("/api/2.0/mlflow/runs/create", post(create))
        .route("/api/2.0/mlflow/runs/get", get(get_one))
        .route("/api/2.0/mlflow/runs/update", post(update))
        .route("/api/2.0/mlflow/runs/delete", post(delete))
        .route("/api/2.0/mlflow/runs/restore", post(restore))
        .route("/api/2.0/mlflow/runs/log-parameter", post(log_param))
        .route("/api/2.0/mlflow/runs/log-metric", post(log_metric))
        .route("/api/2.0/mlflow/runs/log-batch", post(log_batch))
        .route("/api/2.0/mlflow/runs/set-tag", post(set_tag))
        .route("/api/2.0/mlflow/runs/delete-tag", post(delete_tag))
        .route("/api/2.0/mlflow/runs/log-inputs", post(log_inputs))
        .route("/api/2.0/mlflow/runs/search", post(search))
        .route("/api/2.0/mlflow/metrics/get-history", get(metric_history))
}

fn run_id(run: &wire::RunRef) -> Result<String, ApiError> {
    run.id()
        .map(str::to_string)
        .ok_or_else(|| ApiError::missing("run_id"))
}

fn empty() -> Json<Value> {
    Json(json!({}))
}

async fn create(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::CreateRun>,
) -> Result<Json<Value>, ApiError> {
    let experiment_id = match req.experiment_id.as_ref().filter(|s| !s.is_empty()) {
        Some(_) => crate::routes::experiments::experiment_id(req.experiment_id.as_ref())?,
        None => DEFAULT_EXPERIMENT,
    };
    let new = NewRun {
        experiment_id,
        name: req.run_name.clone().filter(|n| !n.is_empty()),
        user_id: req.user_id.clone().filter(|u| !u.is_empty()),
        start_time: req.start_time,
        parent_run_id: None,
        tags: convert::tag_map(&req.tags, "tags")?,
        owner: None,
    };
    let run = blocking(&store, move |s| {
        let info = s.create_run(&new)?;
        s.run(&info.run_id)
    })
    .await?;
    Ok(Json(json!({ "run": convert::run(&run) })))
}

async fn get_one(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RunRef>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req)?;
    let run = blocking(&store, move |s| s.run(&id)).await?;
    Ok(Json(json!({ "run": convert::run(&run) })))
}

async fn update(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::UpdateRun>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req.run)?;
    let status = req.status.map(convert::status_in);
    let end_time = req.end_time;
    let name = req.run_name.clone().filter(|n| !n.is_empty());
    let info = blocking(&store, move |s| {
        s.update_run(&id, status, end_time, name.as_deref())
    })
    .await?;
    Ok(Json(json!({ "run_info": convert::run_info(&info) })))
}

async fn delete(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RunRef>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req)?;
    blocking(&store, move |s| {
        s.set_run_lifecycle(&id, Lifecycle::Deleted)
    })
    .await?;
    Ok(empty())
}

async fn restore(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RunRef>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req)?;
    blocking(&store, move |s| s.set_run_lifecycle(&id, Lifecycle::Active)).await?;
    Ok(empty())
}

async fn log_param(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RunKeyValue>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req.run)?;
    let key = required(req.key.as_ref(), "key")?.to_string();
    let value = req
        .value
        .clone()
        .ok_or_else(|| ApiError::missing("value"))?;
    blocking(&store, move |s| s.log_batch(&id, &[], &[(key, value)], &[])).await?;
    Ok(empty())
}

/// A metric of a request, checked: key, value and timestamp given; step 0 when absent.
fn metric(m: &wire::MetricIn, field: &str) -> Result<Metric, ApiError> {
    let key = m
        .key
        .clone()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::missing(&format!("{field}key")))?;
    let value = m
        .value
        .ok_or_else(|| ApiError::missing(&format!("{field}value")))?;
    let timestamp = m
        .timestamp
        .ok_or_else(|| ApiError::missing(&format!("{field}timestamp")))?;
    Ok(Metric {
        key,
        point: MetricPoint {
            value,
            timestamp,
            step: m.step.unwrap_or(0),
        },
    })
}

async fn log_metric(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::LogMetric>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req.run)?;
    let m = metric(&req.metric, "")?;
    blocking(&store, move |s| s.log_batch(&id, &[m], &[], &[])).await?;
    Ok(empty())
}

async fn log_batch(
    State(store): State<Arc<Store>>,
    Message {
        value: req,
        body_len,
    }: Message<wire::LogBatch>,
) -> Result<Json<Value>, ApiError> {
    let id = required(req.run_id.as_ref(), "run_id")?.to_string();
    limits::batch(
        req.metrics.len(),
        req.params.len(),
        req.tags.len(),
        body_len,
    )?;
    let metrics = req
        .metrics
        .iter()
        .enumerate()
        .map(|(i, m)| metric(m, &format!("metrics[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let params = convert::pairs(&req.params, "params")?;
    let tags = convert::pairs(&req.tags, "tags")?;
    blocking(&store, move |s| s.log_batch(&id, &metrics, &params, &tags)).await?;
    Ok(empty())
}

async fn set_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RunKeyValue>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req.run)?;
    let key = required(req.key.as_ref(), "key")?.to_string();
    let value = req
        .value
        .clone()
        .ok_or_else(|| ApiError::missing("value"))?;
    blocking(&store, move |s| s.log_batch(&id, &[], &[], &[(key, value)])).await?;
    Ok(empty())
}

async fn delete_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RunKeyValue>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req.run)?;
    let key = required(req.key.as_ref(), "key")?.to_string();
    blocking(&store, move |s| s.delete_tag(&id, &key)).await?;
    Ok(empty())
}

/// A dataset input of a request, checked against MLflow's field limits.
fn dataset_input(input: &wire::DatasetInput, i: usize) -> Result<DatasetInput, ApiError> {
    let d = input
        .dataset
        .as_ref()
        .ok_or_else(|| ApiError::missing(&format!("datasets[{i}].dataset")))?;
    let field = |value: &Option<String>, name: &str, limit: usize| -> Result<String, ApiError> {
        let value = value
            .clone()
            .ok_or_else(|| ApiError::missing(&format!("datasets[{i}].dataset.{name}")))?;
        limits::length(&format!("datasets[{i}].dataset.{name}"), &value, limit)?;
        Ok(value)
    };
    let optional = |value: &Option<String>, name: &str, limit: usize| {
        value
            .as_ref()
            .map(|v| {
                limits::length(&format!("datasets[{i}].dataset.{name}"), v, limit)
                    .map(|()| v.clone())
            })
            .transpose()
    };
    let tags = convert::tag_map(&input.tags, &format!("datasets[{i}].tags"))?;
    for (k, v) in &tags {
        limits::length("input tag key", k, limits::MAX_INPUT_TAG_KEY)?;
        limits::length("input tag value", v, limits::MAX_INPUT_TAG_VALUE)?;
    }
    Ok(DatasetInput {
        dataset: Dataset {
            name: field(&d.name, "name", limits::MAX_DATASET_NAME)?,
            digest: field(&d.digest, "digest", limits::MAX_DATASET_DIGEST)?,
            source_type: field(&d.source_type, "source_type", limits::MAX_DATASET_SOURCE)?,
            source: field(&d.source, "source", limits::MAX_DATASET_SOURCE)?,
            schema: optional(&d.schema, "schema", limits::MAX_DATASET_SCHEMA)?,
            profile: optional(&d.profile, "profile", limits::MAX_DATASET_PROFILE)?,
        },
        tags,
    })
}

async fn log_inputs(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::LogInputs>,
) -> Result<Json<Value>, ApiError> {
    let id = required(req.run_id.as_ref(), "run_id")?.to_string();
    let inputs = req
        .datasets
        .iter()
        .enumerate()
        .map(|(i, d)| dataset_input(d, i))
        .collect::<Result<Vec<_>, _>>()?;
    blocking(&store, move |s| s.log_inputs(&id, &inputs)).await?;
    Ok(empty())
}

async fn search(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::SearchRuns>,
) -> Result<Json<Value>, ApiError> {
    let experiment_ids = req
        .experiment_ids
        .iter()
        .map(|id| crate::routes::experiments::experiment_id(Some(id)))
        .collect::<Result<Vec<_>, _>>()?;
    let query = RunQuery {
        experiment_ids,
        filter: req.filter.clone().filter(|f| !f.trim().is_empty()),
        order_by: req.order_by.clone(),
        max_results: limits::page_size(req.max_results, limits::DEFAULT_RUNS_PAGE)?,
        page_token: req.page_token.clone().filter(|t| !t.is_empty()),
        view: convert::view_in(req.run_view_type),
    };
    let page = blocking(&store, move |s| s.search_runs(&query)).await?;
    let mut body = json!({ "runs": page.runs.iter().map(convert::run).collect::<Vec<_>>() });
    if let Some(token) = page.next_page_token {
        body["next_page_token"] = json!(token);
    }
    Ok(Json(body))
}

async fn metric_history(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::GetMetricHistory>,
) -> Result<Json<Value>, ApiError> {
    let id = run_id(&req.run)?;
    let key = required(req.metric_key.as_ref(), "metric_key")?.to_string();
    let offset = paging::offset(req.page_token.as_deref())?;
    let size = match req.max_results {
        None => usize::MAX,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| ApiError::invalid(format!("max_results {n}: expected at least 1")))?,
    };
    let k = key.clone();
    let points = blocking(&store, move |s| s.metric_history(&id, &k)).await?;
    let (page, next) = paging::page(&points, offset, size);
    let mut body = json!({
        "metrics": page.iter().map(|p| convert::metric(&key, p)).collect::<Vec<_>>()
    });
    if let Some(token) = next {
        body["next_page_token"] = json!(token);
    }
    Ok(Json(body))
}
