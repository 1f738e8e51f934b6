//! MLflow's scoring server: liveness (`/ping`, `/health`), `/version`, and `POST /invocations`
//! (`{"predictions": [...]}`, one object per row, with the request's warnings).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::error::ApiError;
use crate::extract::{QueryTableModel, labelled, read_body};
use crate::state::AppState;
use crate::wire::mlflow::parse_invocation;
use crate::wire::row::answer_rows;

/// The MLflow routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/ping", get(ping))
        .route("/health", get(ping))
        .route("/version", get(version))
        .route("/invocations", post(invocations))
}

async fn ping() -> &'static str {
    "\n"
}

async fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

async fn invocations(
    State(state): State<Arc<AppState>>,
    QueryTableModel { served, table }: QueryTableModel,
    request: Request,
) -> Response {
    let result = async {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = read_body(&state, request.into_body()).await?;
        let rows = parse_invocation(content_type.as_deref(), &body, &table.inputs)?;
        let warnings = rows.warnings.clone();
        let answered = table
            .engine
            .predict(rows, state.config.request_timeout)
            .await?;
        let predictions = answer_rows(&answered.batch, answered.rows, answered.ids.as_deref());
        let mut body = json!({ "predictions": predictions });
        if !warnings.is_empty() {
            body["warnings"] = json!(warnings);
        }
        Ok::<_, ApiError>(axum::Json(body))
    }
    .await;
    labelled(result.into_response(), &served.id.name)
}
