//! KServe v2 / Open Inference Protocol: server metadata (`/v2`), health, and per model
//! (`/v2/models/{name}[/versions/{version}]`) its metadata, readiness and `POST …/infer`
//! (JSON or the binary tensor data extension).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{PathModel, PathTableModel, labelled, read_body};
use crate::schema;
use crate::state::{AppState, ModelKind};
use crate::wire::row::{PREDICTION_ID, answer_rows};
use crate::wire::v2;

/// The KServe v2 routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    let model = Router::new()
        .route("/", get(model_metadata))
        .route("/ready", get(model_ready))
        .route("/infer", post(infer));
    Router::new()
        .route("/v2", get(server_metadata))
        .route("/v2/health/live", get(live))
        .route("/v2/health/ready", get(ready))
        .nest("/v2/models/{name}", model.clone())
        .nest("/v2/models/{name}/versions/{version}", model)
}

async fn infer(
    State(state): State<Arc<AppState>>,
    PathTableModel { served, table }: PathTableModel,
    request: Request,
) -> Response {
    let result = async {
        let header_length = request
            .headers()
            .get(v2::HEADER_LENGTH)
            .map(|v| v.to_str().unwrap_or("?").to_string());
        let body = read_body(&state, request.into_body()).await?;
        let mut parsed = v2::parse_infer(&body, header_length.as_deref(), &table.inputs)?;
        let warnings = std::mem::take(&mut parsed.rows.warnings);
        let rows = parsed.rows.clone();
        let answered = table
            .engine
            .predict(rows, state.config.request_timeout)
            .await?;
        let predictions = answer_rows(&answered.batch, answered.rows, answered.ids.as_deref());
        let answer = v2::respond(
            &parsed,
            &served.id.name,
            &served.id.version,
            &predictions,
            &warnings,
        )?;
        Ok::<_, ApiError>(match answer.binary {
            None => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                answer.json,
            )
                .into_response(),
            Some(binary) => {
                let length = answer.json.len();
                let mut bytes = answer.json;
                bytes.extend_from_slice(&binary);
                let mut response = (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    )],
                    bytes,
                )
                    .into_response();
                response
                    .headers_mut()
                    .insert(v2::HEADER_LENGTH, HeaderValue::from(length));
                response
            }
        })
    }
    .await;
    labelled(result.into_response(), &served.id.name)
}

async fn server_metadata() -> axum::Json<Value> {
    axum::Json(json!({
        "name": "kiln",
        "version": env!("CARGO_PKG_VERSION"),
        "extensions": ["binary_tensor_data"],
    }))
}

async fn live() -> axum::Json<Value> {
    axum::Json(json!({ "live": true }))
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let ready = !state.is_draining() && !state.model_ids().is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(json!({ "ready": ready }))).into_response()
}

/// A model's inputs and outputs as tensors. A language model takes no tensors: its inputs are
/// empty, its outputs those of its stored output (the characters as classes).
async fn model_metadata(
    State(state): State<Arc<AppState>>,
    PathModel(model): PathModel,
) -> axum::Json<Value> {
    let (inputs, interval) = match &model.kind {
        ModelKind::Table(table) => (table.inputs.as_slice(), table.interval),
        ModelKind::Language(_) => (&[][..], None),
    };
    let inputs: Vec<Value> = inputs
        .iter()
        .map(|i| {
            json!({
                "name": i.name(),
                "datatype": v2::datatype_of(i),
                "shape": v2::shape_of(i),
                "parameters": { "expects": schema::expected(i) },
            })
        })
        .collect();
    let mut outputs = v2::output_metadata(&model.output, interval);
    if model.monitored()
        && let Value::Array(list) = &mut outputs
    {
        // A monitored model's answers carry one id per row, for `POST /feedback`.
        list.push(json!({"name": PREDICTION_ID, "datatype": "INT64", "shape": [-1]}));
    }
    axum::Json(json!({
        "name": model.id.name,
        "versions": state.versions(&model.id.name),
        "platform": "kiln",
        "inputs": inputs,
        "outputs": outputs,
        "parameters": {
            "version": model.id.version,
            "output": model.output.name(),
            "params": model.params,
            "metrics": model.metrics,
        },
    }))
}

async fn model_ready(
    State(state): State<Arc<AppState>>,
    PathModel(model): PathModel,
) -> axum::Json<Value> {
    axum::Json(json!({
        "name": model.id.name,
        "version": model.id.version,
        "ready": !state.is_draining(),
    }))
}
