//! What handlers of every protocol take from a request: the served model its path names, its
//! body (within the size limit and the request timeout), and the model label on the answer that
//! the request metrics read. Below the routers (`http`, `generate`), above `state`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::{AppState, ServedModel};

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
pub(crate) struct ModelPath {
    name: String,
    version: Option<String>,
}

/// The served model a `/v2/models/{name}[/versions/{version}]` path names.
pub(crate) fn path_model(state: &AppState, p: &ModelPath) -> Result<Arc<ServedModel>, ApiError> {
    state
        .get(&p.name, p.version.as_deref())
        .ok_or_else(|| unknown_model(state, &p.name, p.version.as_deref()))
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
