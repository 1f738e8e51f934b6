//! `/api/2.0/mlflow/registered-models/*` and `/api/2.0/mlflow/model-versions/*`: registered
//! models, versions made from a run's artifacts, aliases.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use kiln_runs::{RunsError, Store};
use serde_json::{Value, json};

use crate::convert::{self, blocking, blocking_mapped};
use crate::error::ApiError;
use crate::extract::{Message, required};
use crate::limits;
use crate::paging;
use crate::search;
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
            delete(delete_model),
        )
        .route(
            "/api/2.0/mlflow/registered-models/alias",
            post(set_alias).get(get_by_alias).delete(delete_alias),
        )
        .route(
            "/api/2.0/mlflow/registered-models/search",
            get(search_models),
        )
        .route(
            "/api/2.0/mlflow/registered-models/rename",
            post(rename_model),
        )
        .route(
            "/api/2.0/mlflow/registered-models/update",
            patch(update_model),
        )
        .route(
            "/api/2.0/mlflow/registered-models/get-latest-versions",
            post(latest_versions).get(latest_versions),
        )
        .route(
            "/api/2.0/mlflow/registered-models/set-tag",
            post(set_model_tag),
        )
        .route(
            "/api/2.0/mlflow/registered-models/delete-tag",
            delete(delete_model_tag),
        )
        .route(
            "/api/2.0/mlflow/model-versions/create",
            post(create_version),
        )
        .route("/api/2.0/mlflow/model-versions/get", get(get_version))
        .route(
            "/api/2.0/mlflow/model-versions/search",
            get(search_versions),
        )
        .route(
            "/api/2.0/mlflow/model-versions/update",
            patch(update_version),
        )
        .route(
            "/api/2.0/mlflow/model-versions/delete",
            delete(delete_version),
        )
        .route(
            "/api/2.0/mlflow/model-versions/set-tag",
            post(set_version_tag),
        )
        .route(
            "/api/2.0/mlflow/model-versions/delete-tag",
            delete(delete_version_tag),
        )
        .route(
            "/api/2.0/mlflow/model-versions/get-download-uri",
            get(download_uri),
        )
}

/// `search_registered_models`' page size when none is given (MLflow's).
const DEFAULT_MODELS_PAGE: i64 = 100;
/// `search_model_versions`' page size when none is given (MLflow's).
const DEFAULT_VERSIONS_PAGE: i64 = 10_000;

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

async fn search_models(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::SearchRegistry>,
) -> Result<Json<Value>, ApiError> {
    let size = limits::page_size(req.max_results, DEFAULT_MODELS_PAGE)?;
    let offset = paging::offset(req.page_token.as_deref())?;
    let models = blocking(&store, |s| s.registered_models()).await?;
    let filter = req.filter.as_deref().filter(|f| !f.trim().is_empty());
    let mut matched = search::filter(models, filter)?;
    search::order(&mut matched, &req.order_by, |a, b| a.name.cmp(&b.name))?;
    let (page, next) = paging::page(&matched, offset, size);
    let names: Vec<String> = page.iter().map(|m| m.name.clone()).collect();
    let answers = blocking(&store, move |s| {
        names
            .iter()
            .map(|n| model_answer(s, n))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let mut body = json!({ "registered_models": answers });
    if let Some(token) = next {
        body["next_page_token"] = json!(token);
    }
    Ok(Json(body))
}

async fn rename_model(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::UpdateRegisteredModel>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let new_name = required(req.new_name.as_ref(), "new_name")?.to_string();
    let model = blocking(&store, move |s| {
        s.rename_registered_model(&name, &new_name)?;
        model_answer(s, &new_name)
    })
    .await?;
    Ok(Json(json!({ "registered_model": model })))
}

async fn update_model(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::UpdateRegisteredModel>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let description = req.description.clone().unwrap_or_default();
    let model = blocking(&store, move |s| {
        s.update_registered_model(&name, &description)?;
        model_answer(s, &name)
    })
    .await?;
    Ok(Json(json!({ "registered_model": model })))
}

async fn latest_versions(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::LatestVersions>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let versions = blocking(&store, move |s| s.model_versions(&name)).await?;
    // The newest version in each stage asked for (every stage when none is).
    let mut latest: Vec<&kiln_runs::ModelVersion> = Vec::new();
    for v in &versions {
        let wanted = req.stages.is_empty()
            || req
                .stages
                .iter()
                .any(|st| st.eq_ignore_ascii_case(&v.stage));
        if !wanted {
            continue;
        }
        match latest.iter_mut().find(|l| l.stage == v.stage) {
            Some(l) if l.version < v.version => *l = v,
            Some(_) => {}
            None => latest.push(v),
        }
    }
    let answers: Vec<_> = latest.into_iter().map(convert::model_version).collect();
    Ok(Json(json!({ "model_versions": answers })))
}

async fn set_model_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RegistryTag>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let key = required(req.key.as_ref(), "key")?.to_string();
    let value = req
        .value
        .clone()
        .ok_or_else(|| ApiError::missing("value"))?;
    blocking(&store, move |s| {
        s.set_registered_model_tag(&name, &key, Some(&value))
    })
    .await?;
    Ok(Json(json!({})))
}

async fn delete_model_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RegistryTag>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let key = required(req.key.as_ref(), "key")?.to_string();
    blocking(&store, move |s| {
        s.set_registered_model_tag(&name, &key, None)
    })
    .await?;
    Ok(Json(json!({})))
}

async fn search_versions(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::SearchRegistry>,
) -> Result<Json<Value>, ApiError> {
    let size = limits::page_size(req.max_results, DEFAULT_VERSIONS_PAGE)?;
    let offset = paging::offset(req.page_token.as_deref())?;
    let versions = blocking(&store, |s| s.all_model_versions()).await?;
    let filter = req.filter.as_deref().filter(|f| !f.trim().is_empty());
    let mut matched = search::filter(versions, filter)?;
    search::order(&mut matched, &req.order_by, |a, b| {
        a.name.cmp(&b.name).then(b.version.cmp(&a.version))
    })?;
    let (page, next) = paging::page(&matched, offset, size);
    let mut body = json!({
        "model_versions": page.iter().map(convert::model_version).collect::<Vec<_>>()
    });
    if let Some(token) = next {
        body["next_page_token"] = json!(token);
    }
    Ok(Json(body))
}

async fn update_version(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::UpdateModelVersion>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let version = version_number(req.version.as_ref())?;
    let description = req.description.clone();
    let v = blocking(&store, move |s| {
        s.update_model_version(&name, version, description.as_deref(), None)
    })
    .await?;
    Ok(Json(json!({ "model_version": convert::model_version(&v) })))
}

async fn delete_version(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::UpdateModelVersion>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let version = version_number(req.version.as_ref())?;
    blocking(&store, move |s| s.delete_model_version(&name, version)).await?;
    Ok(Json(json!({})))
}

async fn set_version_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RegistryTag>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let version = version_number(req.version.as_ref())?;
    let key = required(req.key.as_ref(), "key")?.to_string();
    let value = req
        .value
        .clone()
        .ok_or_else(|| ApiError::missing("value"))?;
    blocking(&store, move |s| {
        s.set_model_version_tag(&name, version, &key, Some(&value))
    })
    .await?;
    Ok(Json(json!({})))
}

async fn delete_version_tag(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::RegistryTag>,
) -> Result<Json<Value>, ApiError> {
    let name = required(req.name.as_ref(), "name")?.to_string();
    let version = version_number(req.version.as_ref())?;
    let key = required(req.key.as_ref(), "key")?.to_string();
    blocking(&store, move |s| {
        s.set_model_version_tag(&name, version, &key, None)
    })
    .await?;
    Ok(Json(json!({})))
}
