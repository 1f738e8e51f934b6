//! `/api/2.0/mlflow/experiments/*`: create, get (by id, by name), search, rename, delete,
//! restore, tags.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kiln_runs::{ExperimentId, Lifecycle, Store};
use serde_json::{Value, json};

use crate::convert::{self, blocking};
use crate::error::ApiError;
use crate::extract::{Message, required};
use crate::limits;
use crate::paging;
use crate::search;
use crate::wire;

/// The routes.
pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route("/api/2.0/mlflow/experiments/create", post(create))
        .route("/api/2.0/mlflow/experiments/get", get(get_one))
        .route("/api/2.0/mlflow/experiments/get-by-name", get(get_by_name))
        .route(
            "/api/2.0/mlflow/experiments/search",
            post(search).get(search),
        )
        .route("/api/2.0/mlflow/experiments/update", post(rename))
        .route("/api/2.0/mlflow/experiments/delete", post(delete))
        .route("/api/2.0/mlflow/experiments/restore", post(restore))
        .route(
            "/api/2.0/mlflow/experiments/set-experiment-tag",
            post(set_tag),
        )
}

/// An experiment id as the wire sends it (a decimal string).
pub(crate) fn experiment_id(text: Option<&String>) -> Result<ExperimentId, ApiError> {
    let text = required(text, "experiment_id")?;
    text.trim().parse().map_err(|_| {
        ApiError::invalid(format!(
            "experiment_id '{}' is not an experiment id (a decimal number)",
            text.escape_default()
        ))
    })
}

async fn create(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::CreateExperiment>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    if let Some(location) = req.artifact_location.as_deref().filter(|l| !l.is_empty()) {
        // kiln keeps every artifact in its own store; a location elsewhere cannot be honoured.
        return Err(ApiError::invalid(format!(
            "artifact_location '{}': kiln stores artifacts itself; leave it out",
            location.escape_default()
        )));
    }
    let tags = convert::tag_map(&req.tags, "tags")?;
    for (k, v) in &tags {
        limits::experiment_tag(k, v)?;
    }
    let id = blocking(&store, move |s| s.create_experiment(&name, &tags)).await?;
    Ok(Json(json!({ "experiment_id": id.to_string() })))
}

async fn get_one(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ExperimentRef>,
) -> Result<Json<Value>, ApiError> {
    let id = experiment_id(req.experiment_id.as_ref())?;
    let e = blocking(&store, move |s| s.experiment(id)).await?;
    Ok(Json(json!({ "experiment": convert::experiment(&e) })))
}

async fn get_by_name(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ExperimentByName>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.experiment_name.as_ref(), "experiment_name")?.to_string();
    let e = blocking(&store, move |s| s.experiment_by_name(&name)).await?;
    Ok(Json(json!({ "experiment": convert::experiment(&e) })))
}

async fn search(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::SearchExperiments>,
) -> Result<Json<Value>, ApiError> {
    let page_size = limits::page_size(req.max_results, limits::DEFAULT_EXPERIMENTS_PAGE)?;
    let offset = paging::offset(req.page_token.as_deref())?;
    let filter = req.filter.clone().filter(|f| !f.trim().is_empty());
    let order_by = req.order_by.clone();
    let view = convert::view_in(req.view_type);
    let experiments = blocking(&store, move |s| s.experiments(view)).await?;
    let mut matched = search::filter(experiments, filter.as_deref())?;
    // MLflow's default: newest first, then by id.
    search::order(&mut matched, &order_by, |a, b| {
        b.creation_time.cmp(&a.creation_time).then(a.id.cmp(&b.id))
    })?;
    let (page, next) = paging::page(&matched, offset, page_size);
    let mut body = json!({
        "experiments": page.iter().map(convert::experiment).collect::<Vec<_>>()
    });
    if let Some(token) = next {
        body["next_page_token"] = json!(token);
    }
    Ok(Json(body))
}

async fn rename(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::UpdateExperiment>,
) -> Result<Json<Value>, ApiError> {
    let id = experiment_id(req.experiment_id.as_ref())?;
    let new_name = required(req.new_name.as_ref(), "new_name")?.to_string();
    blocking(&store, move |s| s.rename_experiment(id, &new_name)).await?;
    Ok(Json(json!({})))
}

async fn delete(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ExperimentRef>,
) -> Result<Json<Value>, ApiError> {
    let id = experiment_id(req.experiment_id.as_ref())?;
    blocking(&store, move |s| {
        s.set_experiment_lifecycle(id, Lifecycle::Deleted)
    })
    .await?;
    Ok(Json(json!({})))
}

async fn restore(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ExperimentRef>,
) -> Result<Json<Value>, ApiError> {
    let id = experiment_id(req.experiment_id.as_ref())?;
    blocking(&store, move |s| {
        s.set_experiment_lifecycle(id, Lifecycle::Active)
    })
    .await?;
    Ok(Json(json!({})))
}

async fn set_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ExperimentTag>,
) -> Result<Json<Value>, ApiError> {
    let id = experiment_id(req.experiment_id.as_ref())?;
    let key = required(req.key.as_ref(), "key")?.to_string();
    let value = req
        .value
        .clone()
        .ok_or_else(|| ApiError::missing("value"))?;
    limits::experiment_tag(&key, &value)?;
    blocking(&store, move |s| s.set_experiment_tag(id, &key, &value)).await?;
    Ok(Json(json!({})))
}
