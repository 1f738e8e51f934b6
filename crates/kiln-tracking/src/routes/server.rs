//! What a client asks the server about itself: MLflow 3's
//! `/api/3.0/mlflow/server-info` (multipart transfers off, so the client streams artifacts
//! through the proxied routes), and the one logged-model call a plain flow makes
//! (`logged-models/search`: kiln has no logged models, so the answer is empty); and, for a
//! standalone server only, `/health` and `/version`.

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Json, Router};
use kiln_runs::Store;
use serde_json::{Value, json};

/// The routes under MLflow's prefixes.
pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route("/api/3.0/mlflow/server-info", get(server_info))
        .route(
            "/api/2.0/mlflow/logged-models/search",
            post(no_logged_models),
        )
}

/// `/health` and `/version`, for a server that serves only tracking (`kiln serve` has its own).
pub(crate) fn liveness() -> Router<Arc<Store>> {
    Router::new()
        .route("/health", get(health))
        .route("/version", get(version))
}

async fn health() -> &'static str {
    "OK"
}

async fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

async fn server_info() -> Json<Value> {
    Json(json!({
        "store_type": "kiln",
        "workspaces_enabled": false,
        "trace_archival_enabled": false,
        "multipart_uploads_enabled": false,
        "multipart_downloads_enabled": false,
        "presigned_upload_run_id_supported": false,
        "presigned_upload_model_id_supported": false,
        "features_enabled": {},
    }))
}

async fn no_logged_models() -> Json<Value> {
    Json(json!({}))
}
