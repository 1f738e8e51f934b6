//! What handlers of every protocol take from a request: the served model its path or query
//! names, of the kind the route needs (a table model for `/invocations` and `/infer`, a
//! language model for `/generate`), its body (within the size limit and the request timeout),
//! and the model label on the answer that the request metrics read. Below the routers
//! (`routes::*`), above `state`.
//!
//! The extractors hand a handler only a model it can use: a path or query that names no
//! served model is a 404 listing what is served, and a model of the other kind is a 400 that
//! says which routes it takes (labelled with the model, for the metrics).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::generator::Generator;
use crate::state::{AppState, ModelKind, ServedModel, TableModel};

/// The model a response was about, for metrics (set by handlers on their response).
#[derive(Debug, Clone)]
pub(crate) struct ModelLabel(pub(crate) String);

/// Labels a response with the model it was about, for the request metrics.
pub(crate) fn labelled(mut response: Response, model: &str) -> Response {
    response
        .extensions_mut()
        .insert(ModelLabel(model.to_string()));
    response
}

/// Reads the body within the size limit and the request timeout.
pub(crate) async fn read_body(state: &AppState, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.config.max_body_bytes;
    match tokio::time::timeout(
        state.config.request_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await
    {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            format!(
                "the body was not received within {} s",
                state.config.request_timeout.as_secs_f64()
            ),
        )),
        Ok(Err(e)) => {
            let too_large =
                std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
                    e.source()
                })
                .any(|e| e.to_string().contains("length limit exceeded"));
            Err(if too_large {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "REQUEST_LIMIT_EXCEEDED",
                    format!("the body is larger than the limit of {limit} bytes"),
                )
            } else {
                ApiError::bad_request(format!("cannot read the body: {e}"))
            })
        }
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// The model a `/v2/models/...` route names.
#[derive(Debug, Deserialize)]
struct ModelPath {
    name: String,
    version: Option<String>,
}

/// `?model=NAME&version=V`: the model a route without a model path means.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ModelQuery {
    /// The model; optional when one model is served.
    pub(crate) model: Option<String>,
    /// The version; the latest by default.
    pub(crate) version: Option<String>,
}

/// The served model a `/v2/models/{name}[/versions/{version}]` path names.
pub(crate) struct PathModel(pub(crate) Arc<ServedModel>);

impl FromRequestParts<Arc<AppState>> for PathModel {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let Path(p) = Path::<ModelPath>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        state
            .get(&p.name, p.version.as_deref())
            .map(Self)
            .ok_or_else(|| unknown_model(state, &p.name, p.version.as_deref()).into_response())
    }
}

/// A table model, named by its `/v2/models/...` path.
pub(crate) struct PathTableModel {
    /// The served model.
    pub(crate) served: Arc<ServedModel>,
    /// Its schema and worker.
    pub(crate) table: Arc<TableModel>,
}

impl FromRequestParts<Arc<AppState>> for PathTableModel {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let PathModel(served) = PathModel::from_request_parts(parts, state).await?;
        let table = table_model(&served)
            .map_err(|refused| labelled(refused.into_response(), &served.id.name))?;
        Ok(Self { served, table })
    }
}

/// A table model, named by `?model=` (and `&version=`), or the only model served
/// (`/invocations`).
pub(crate) struct QueryTableModel {
    /// The served model.
    pub(crate) served: Arc<ServedModel>,
    /// Its schema and worker.
    pub(crate) table: Arc<TableModel>,
}

impl FromRequestParts<Arc<AppState>> for QueryTableModel {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let Query(q) = Query::<ModelQuery>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let served = query_model(state, &q).map_err(IntoResponse::into_response)?;
        let table = table_model(&served)
            .map_err(|refused| labelled(refused.into_response(), &served.id.name))?;
        Ok(Self { served, table })
    }
}

/// A language model, named by its `/v2/models/...` path.
pub(crate) struct PathLanguageModel {
    /// The served model.
    pub(crate) served: Arc<ServedModel>,
    /// Its generation thread.
    pub(crate) generator: Arc<Generator>,
}

impl FromRequestParts<Arc<AppState>> for PathLanguageModel {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Response> {
        let PathModel(served) = PathModel::from_request_parts(parts, state).await?;
        match &served.kind {
            ModelKind::Language(generator) => Ok(Self {
                generator: Arc::clone(generator),
                served,
            }),
            ModelKind::Table(_) => {
                let refused = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    format!(
                        "`{}` is not a language model: it predicts from table rows; use /v2/models/{}/infer or /invocations",
                        served.id.name, served.id.name
                    ),
                );
                Err(labelled(refused.into_response(), &served.id.name))
            }
        }
    }
}

/// The table model `served` is, or the refusal `/invocations` and `/infer` give a language
/// model.
fn table_model(served: &ServedModel) -> Result<Arc<TableModel>, ApiError> {
    match &served.kind {
        ModelKind::Table(table) => Ok(Arc::clone(table)),
        ModelKind::Language(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!(
                "`{}` is a character-level language model: it takes no table rows; POST {{\"text_input\": \"…\"}} to /v2/models/{}/generate (or /generate_stream)",
                served.id.name, served.id.name
            ),
        )),
    }
}

/// Which model a route without a model path means: `q.model` (and `q.version`), or the only
/// one served.
pub(crate) fn query_model(state: &AppState, q: &ModelQuery) -> Result<Arc<ServedModel>, ApiError> {
    let name = match &q.model {
        Some(name) => name.clone(),
        None => {
            let ids = state.model_ids();
            let mut names: Vec<String> = ids.into_iter().map(|i| i.name).collect();
            names.dedup();
            match names.as_slice() {
                [one] => one.clone(),
                _ => {
                    return Err(ApiError::field(
                        "model",
                        format!(
                            "several models are served ({names:?}); choose one with ?model=NAME"
                        ),
                    ));
                }
            }
        }
    };
    state
        .get(&name, q.version.as_deref())
        .ok_or_else(|| unknown_model(state, &name, q.version.as_deref()))
}

/// The refusal for a model name (or version) that is not served, listing what is.
pub(crate) fn unknown_model(state: &AppState, name: &str, version: Option<&str>) -> ApiError {
    let versions = state.versions(name);
    if versions.is_empty() {
        let mut names: Vec<String> = state.model_ids().into_iter().map(|i| i.name).collect();
        names.dedup();
        ApiError::not_found(format!("no model named `{name}`; served: {names:?}"))
    } else {
        ApiError::not_found(format!(
            "model `{name}` has no version `{}`; versions: {versions:?}",
            version.unwrap_or_default()
        ))
    }
}
