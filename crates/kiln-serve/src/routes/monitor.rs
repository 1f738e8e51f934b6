//! Monitoring: `GET /metrics` (Prometheus text, with the monitoring gauges), `GET /monitor`
//! (each monitored model version's status) and `POST /feedback` (ground truth for earlier
//! predictions, by prediction id).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{ModelQuery, labelled, query_model, unknown_model};
use crate::state::{AppState, ServedModel};

/// The monitoring routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/monitor", get(monitor))
        .route("/feedback", post(feedback))
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        metrics_text(&state),
    )
        .into_response()
}

/// The `/metrics` text: request, batch and queue figures, then the monitors'.
pub(crate) fn metrics_text(state: &AppState) -> String {
    let mut text = state.metrics.render(&state.queue_depths());
    let statuses = state.monitor_statuses();
    if !statuses.is_empty() {
        text.push_str(&kiln::monitor::render_prometheus(&statuses));
    }
    text
}

/// `GET /monitor[?model=NAME[&version=V]]`: the monitoring status of every monitored model
/// version (`{"models": [...]}`, what `kiln monitor check` reads).
async fn monitor(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ModelQuery>,
) -> Result<axum::Json<kiln::monitor::MonitorIndex>, ApiError> {
    if let Some(name) = &q.model
        && state.get(name, q.version.as_deref()).is_none()
    {
        return Err(unknown_model(&state, name, q.version.as_deref()));
    }
    let st = Arc::clone(&state);
    // Drift statistics over full windows take a while: off the async runtime.
    let models = tokio::task::spawn_blocking(move || st.monitor_statuses())
        .await
        .map_err(|e| ApiError::internal(format!("the monitor task failed: {e}")))?
        .into_iter()
        .filter(|s| q.model.as_ref().is_none_or(|n| *n == s.model))
        .filter(|s| {
            q.version
                .as_ref()
                .is_none_or(|v| s.version.as_ref() == Some(v))
        })
        .collect();
    Ok(axum::Json(kiln::monitor::MonitorIndex { models }))
}

/// The body of `POST /feedback`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackBody {
    /// The model; optional when one model is served.
    model: Option<String>,
    /// The version; by default every version of the model (ids are unique server-wide).
    version: Option<String>,
    /// `prediction_id`s from earlier answers.
    ids: Vec<u64>,
    /// The true label or value of each.
    #[serde(alias = "labels", alias = "values")]
    truths: Vec<kiln::monitor::Truth>,
}

/// `POST /feedback {"model", "ids", "truths"}`: ground truth for earlier predictions; answers
/// how many ids matched a remembered prediction.
async fn feedback(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let result = feedback_inner(&state, &body).await;
    match result {
        Ok((name, answer)) => labelled(axum::Json(answer).into_response(), &name),
        Err(e) => e.into_response(),
    }
}

async fn feedback_inner(state: &Arc<AppState>, body: &[u8]) -> Result<(String, Value), ApiError> {
    let body: FeedbackBody = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "expected {{\"model\": NAME, \"ids\": [prediction_id, …], \"truths\": [label or value, …]}}: {e}"
        ))
    })?;
    if body.ids.len() != body.truths.len() {
        return Err(ApiError::field(
            "truths",
            format!(
                "expected one truth per id ({} ids), found {}",
                body.ids.len(),
                body.truths.len()
            ),
        ));
    }
    if body.ids.is_empty() {
        return Err(ApiError::field(
            "ids",
            "expected at least one prediction id, found none",
        ));
    }
    let query = ModelQuery {
        model: body.model.clone(),
        version: body.version.clone(),
    };
    let latest = query_model(state, &query)?;
    let name = latest.id.name.clone();
    let monitors: Vec<Arc<ServedModel>> = match &body.version {
        Some(_) => vec![latest],
        None => state
            .served()
            .into_iter()
            .filter(|m| m.id.name == name)
            .collect(),
    };
    let monitors: Vec<_> = monitors
        .iter()
        .filter_map(|m| m.monitor().cloned())
        .collect();
    if monitors.is_empty() {
        return Err(ApiError::field(
            "model",
            format!(
                "model `{name}` is not monitored (started with --no-monitor, or its file has no reference profile)"
            ),
        ));
    }
    let mut matched = 0;
    for m in &monitors {
        let summary = m.feedback(&body.ids, &body.truths).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_PARAMETER_VALUE",
                format!("field `truths`: {e}"),
            )
        })?;
        matched += summary.matched;
    }
    Ok((
        name,
        json!({ "matched": matched, "unknown": body.ids.len() - matched }),
    ))
}
