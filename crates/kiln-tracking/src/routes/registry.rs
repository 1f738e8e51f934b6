//! `/api/2.0/mlflow/registered-models/*` and `/api/2.0/mlflow/model-versions/*`: registered
//! models, versions made from a run's artifacts, aliases.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use kiln_runs::{RunsError, Store};
use serde_json::{Value, json};

use crate::convert::{self, blocking, blocking_mapped};
use crate::error::ApiError;
use crate::extract::{Message, required};
use crate::wire;

/// The routes.
pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route(
            "/api/2.0/mlflow/registered-models/create",
            post(create_model),
        )
        .route("/api/2.0/mlflow/registered-models/get", get(get_model))
        .route(
            "/api/2.0/mlflow/registered-models/delete",
            axum::routing::delete(delete_model),
        )
        .route(
            "/api/2.0/mlflow/registered-models/alias",
            post(set_alias).get(get_by_alias).delete(delete_alias),
        )
        .route(
            "/api/2.0/mlflow/model-versions/create",
            post(create_version),
        )
        .route("/api/2.0/mlflow/model-versions/get", get(get_version))
        .route(
            "/api/2.0/mlflow/model-versions/get-download-uri",
            get(download_uri),
        )
}

fn version_number(text: Option<&String>) -> Result<i64, ApiError> {
    let text = required(text, "version")?;
    text.trim().parse().ok().filter(|v| *v > 0).ok_or_else(|| {
        ApiError::invalid(format!(
            "version '{}' is not a version number",
            text.escape_default()
        ))
    })
}

/// A registered model with its newest version, as answered.
fn model_answer(s: &Store, name: &str) -> Result<wire::RegisteredModel, RunsError> {
    let model = s.registered_model(name)?;
    let latest = model
        .latest_version
        .map(|v| s.model_version(name, v))
        .transpose()?;
    Ok(convert::registered_model(&model, latest.as_ref()))
}

async fn create_model(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::CreateRegisteredModel>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let tags = convert::tag_map(&req.tags, "tags")?;
    let description = req.description.clone().unwrap_or_default();
    let model = blocking(&store, move |s| {
        s.create_registered_model(&name, &description, &tags)?;
        model_answer(s, &name)
    })
    .await?;
    Ok(Json(json!({ "registered_model": model })))
}

async fn get_model(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RegisteredModelRef>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let model = blocking(&store, move |s| model_answer(s, &name)).await?;
    Ok(Json(json!({ "registered_model": model })))
}

async fn delete_model(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RegisteredModelRef>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    blocking(&store, move |s| s.delete_registered_model(&name)).await?;
    Ok(Json(json!({})))
}

async fn create_version(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::CreateModelVersion>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let source = required(req.source.as_ref(), "source")?.to_string();
    let run_id = req.run_id.clone().filter(|r| !r.is_empty());
    let description = req.description.clone().unwrap_or_default();
    let tags = convert::tag_map(&req.tags, "tags")?;
    let version = blocking(&store, move |s| {
        s.create_model_version(&name, &source, run_id.as_deref(), &description, &tags)
    })
    .await?;
    Ok(Json(
        json!({ "model_version": convert::model_version(&version) }),
    ))
}

async fn get_version(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ModelVersionRef>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let version = version_number(req.version.as_ref())?;
    let v = blocking(&store, move |s| s.model_version(&name, version)).await?;
    Ok(Json(json!({ "model_version": convert::model_version(&v) })))
}

async fn download_uri(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ModelVersionRef>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let version = version_number(req.version.as_ref())?;
    let v = blocking(&store, move |s| s.model_version(&name, version)).await?;
    Ok(Json(json!({ "artifact_uri": v.source })))
}

fn alias_fields(req: &wire::Alias) -> Result<(String, String), ApiError> {
    Ok((
        required(req.name.as_ref(), "name")?.to_string(),
        required(req.alias.as_ref(), "alias")?.to_string(),
    ))
}

/// MLflow answers an alias that is not set with 400 `INVALID_PARAMETER_VALUE`, not 404; a
/// client may match on it.
fn alias_error(e: RunsError) -> ApiError {
    match e {
        RunsError::NotFound { kind: "alias", .. } => ApiError::invalid(e.to_string()),
        other => convert::from_store(other),
    }
}

async fn set_alias(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::Alias>,
) -> Result<Json<Value>, ApiError> {
    let (name, alias) = alias_fields(&req)?;
    let version = version_number(req.version.as_ref())?;
    blocking(&store, move |s| s.set_alias(&name, &alias, version)).await?;
    Ok(Json(json!({})))
}

async fn get_by_alias(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::Alias>,
) -> Result<Json<Value>, ApiError> {
    let (name, alias) = alias_fields(&req)?;
    let v = blocking_mapped(
        &store,
        move |s| s.version_by_alias(&name, &alias),
        alias_error,
    )
    .await?;
    Ok(Json(json!({ "model_version": convert::model_version(&v) })))
}

async fn delete_alias(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::Alias>,
) -> Result<Json<Value>, ApiError> {
    let (name, alias) = alias_fields(&req)?;
    blocking_mapped(&store, move |s| s.delete_alias(&name, &alias), alias_error).await?;
    Ok(Json(json!({})))
}
