//! Routes, the request middleware (request id, access checks, metrics, logs) and handlers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ServeError};
use crate::extract::{ModelLabel, ModelPath, labelled, path_model, read_body, unknown_model};
use crate::guard::{self, Visitor};
use crate::state::{AppState, ServedModel};
use crate::{generate, mlflow, schema, v2};

/// The response header carrying the request id (taken from the request when it sends one).
pub const REQUEST_ID: &str = "x-request-id";

/// The router with every route and layer, for a listener whose address it does not know
/// (tests through `tower::ServiceExt::oneshot`, or another server in front): `Host` is not
/// checked, and the admin routes answer only with a token. [`crate::serve`] uses
/// [`app_listening_on`].
pub fn app(state: Arc<AppState>) -> Router {
    router(state, None)
}

/// The router for a server listening on `addr`: on a loopback address it refuses requests whose
/// `Host` names another server (DNS rebinding), and [`crate::AdminAccess::Loopback`] can turn
/// the admin routes on without a token.
pub fn app_listening_on(state: Arc<AppState>, addr: SocketAddr) -> Router {
    router(state, Some(addr))
}

/// What the request middleware needs.
#[derive(Clone)]
struct Guarded {
    state: Arc<AppState>,
    listening: Option<SocketAddr>,
}

fn router(state: Arc<AppState>, listening: Option<SocketAddr>) -> Router {
    let v2_model = Router::new()
        .route("/", get(model_metadata))
        .route("/ready", get(model_ready))
        .route("/infer", post(infer))
        .route("/generate", post(generate::generate))
        .route("/generate_stream", post(generate::generate_stream));
    Router::new()
        .route("/ping", get(ping))
        .route("/health", get(ping))
        .route("/version", get(version))
        .route("/invocations", post(invocations))
        .route("/v2", get(server_metadata))
        .route("/v2/health/live", get(live))
        .route("/v2/health/ready", get(ready))
        .nest("/v2/models/{name}", v2_model.clone())
        .nest("/v2/models/{name}/versions/{version}", v2_model)
        .route("/metrics", get(metrics))
        .route("/monitor", get(monitor))
        .route("/feedback", post(feedback))
        .route("/openapi.json", get(openapi))
        .route("/admin/reload", post(reload_all))
        .route("/admin/models/{name}/reload", post(reload))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            Guarded {
                state: Arc::clone(&state),
                listening,
            },
            around_request,
        ))
        .with_state(state)
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A request id: the client's `x-request-id` when it is short printable ASCII, else a new one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    headers
        .get(REQUEST_ID)
        .filter(|v| {
            let b = v.as_bytes();
            !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_graphic())
        })
        .cloned()
        .unwrap_or_else(|| {
            let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            let pid = std::process::id();
            HeaderValue::from_str(&format!("kiln-{pid:x}-{n:08x}"))
                .unwrap_or_else(|_| HeaderValue::from_static("kiln"))
        })
}

/// Request id, access checks ([`guard::check`]), metrics and one log line per request.
async fn around_request(
    State(Guarded { state, listening }): State<Guarded>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let allowed = guard::check(
        &state,
        listening,
        &Visitor {
            method: &method,
            path: request.uri().path(),
            route: Some(route.as_str()).filter(|r| *r != "unmatched"),
            headers: request.headers(),
        },
    );
    let mut response = match allowed {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let model = response
        .extensions()
        .get::<ModelLabel>()
        .map(|m| m.0.clone())
        .unwrap_or_default();
    state.metrics.request(&model, &route, status, elapsed);
    if status == 503 && !model.is_empty() {
        state.metrics.rejected(&model);
    }
    let request_id = id.to_str().unwrap_or_default();
    if status >= 500 {
        tracing::warn!(request_id, %method, route, model, status, micros = elapsed.as_micros() as u64, "request failed");
    } else if status >= 400 {
        tracing::info!(request_id, %method, route, model, status, micros = elapsed.as_micros() as u64, "request refused");
    } else {
        tracing::debug!(request_id, %method, route, model, status, micros = elapsed.as_micros() as u64, "request");
    }
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// Runs checked rows through a model's queue within the request timeout.
async fn predict(
    state: &AppState,
    model: &ServedModel,
    rows: schema::CheckedRows,
) -> Result<Vec<Value>, ApiError> {
    match tokio::time::timeout(state.config.request_timeout, model.engine.predict(rows)).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::overloaded(format!(
            "no answer within {} s; the server is overloaded",
            state.config.request_timeout.as_secs_f64()
        ))),
    }
}

async fn ping() -> &'static str {
    "\n"
}

async fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; see /openapi.json for the routes")
}

#[derive(Debug, Deserialize)]
struct ModelQuery {
    model: Option<String>,
    version: Option<String>,
}

/// Which model `/invocations` means: `?model=` (and `&version=`), or the only one served.
fn invocation_model(state: &AppState, q: &ModelQuery) -> Result<Arc<ServedModel>, ApiError> {
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

async fn invocations(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ModelQuery>,
    request: Request,
) -> Response {
    let model = match invocation_model(&state, &q) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let name = model.id.name.clone();
    let result = async {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        generate::require_table_model(&model)?;
        let body = read_body(&state, request.into_body()).await?;
        let rows = mlflow::parse_invocation(content_type.as_deref(), &body, &model.inputs)?;
        let warnings = rows.warnings.clone();
        let predictions = predict(&state, &model, rows).await?;
        let mut body = json!({ "predictions": predictions });
        if !warnings.is_empty() {
            body["warnings"] = json!(warnings);
        }
        Ok::<_, ApiError>(axum::Json(body))
    }
    .await;
    labelled(result.into_response(), &name)
}

async fn infer(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ModelPath>,
    request: Request,
) -> Response {
    let model = match path_model(&state, &p) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let result = async {
        generate::require_table_model(&model)?;
        let header_length = request
            .headers()
            .get(v2::HEADER_LENGTH)
            .map(|v| v.to_str().unwrap_or("?").to_string());
        let body = read_body(&state, request.into_body()).await?;
        let mut parsed = v2::parse_infer(&body, header_length.as_deref(), &model.inputs)?;
        let warnings = std::mem::take(&mut parsed.rows.warnings);
        let rows = parsed.rows.clone();
        let predictions = predict(&state, &model, rows).await?;
        let answer = v2::respond(
            &parsed,
            &model.id.name,
            &model.id.version,
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
    labelled(result.into_response(), &model.id.name)
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

async fn model_metadata(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ModelPath>,
) -> Result<axum::Json<Value>, ApiError> {
    let model = path_model(&state, &p)?;
    let inputs: Vec<Value> = model
        .inputs
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
    let mut outputs = v2::output_metadata(&model.output, model.interval);
    if model.monitored()
        && let Value::Array(list) = &mut outputs
    {
        // A monitored model's answers carry one id per row, for `POST /feedback`.
        list.push(json!({"name": crate::PREDICTION_ID, "datatype": "INT64", "shape": [-1]}));
    }
    Ok(axum::Json(json!({
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
    })))
}

async fn model_ready(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ModelPath>,
) -> Result<axum::Json<Value>, ApiError> {
    let model = path_model(&state, &p)?;
    Ok(axum::Json(json!({
        "name": model.id.name,
        "version": model.id.version,
        "ready": !state.is_draining(),
    })))
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        {
            let mut text = state.metrics.render(&state.queue_depths());
            let statuses = state.monitor_statuses();
            if !statuses.is_empty() {
                text.push_str(&kiln::monitor::render_prometheus(&statuses));
            }
            text
        },
    )
        .into_response()
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
    let latest = invocation_model(state, &query)?;
    let name = latest.id.name.clone();
    let monitors: Vec<Arc<ServedModel>> = match &body.version {
        Some(_) => vec![latest],
        None => state
            .served()
            .into_iter()
            .filter(|m| m.id.name == name)
            .collect(),
    };
    let monitors: Vec<_> = monitors.iter().filter_map(|m| m.monitor.clone()).collect();
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

async fn openapi(State(state): State<Arc<AppState>>) -> axum::Json<Value> {
    axum::Json(crate::openapi::document(&state))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReloadBody {
    path: Option<std::path::PathBuf>,
}

async fn reload(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let body: ReloadBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReloadBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("expected {{\"path\": \"…\"}}: {e}")))?
    };
    if state.get(&name, None).is_none() {
        return Err(unknown_model(&state, &name, None));
    }
    let started = Instant::now();
    let st = Arc::clone(&state);
    let id = tokio::task::spawn_blocking(move || st.reload(&name, body.path.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("the reload task failed: {e}")))?
        .map_err(reload_refused)?;
    Ok(axum::Json(json!({
        "name": id.name,
        "version": id.version,
        "seconds": started.elapsed().as_secs_f64(),
    })))
}

async fn reload_all(State(state): State<Arc<AppState>>) -> Result<axum::Json<Value>, ApiError> {
    let st = Arc::clone(&state);
    let ids = tokio::task::spawn_blocking(move || st.reload_all())
        .await
        .map_err(|e| ApiError::internal(format!("the reload task failed: {e}")))?
        .map_err(reload_refused)?;
    Ok(axum::Json(json!({
        "reloaded": ids.iter().map(|i| json!({"name": i.name, "version": i.version})).collect::<Vec<_>>(),
    })))
}

/// The answer to a failed reload. Names the file and what kind of failure it was, never
/// anything read from it: a file that is not a kiln model file is only that, whatever the
/// library's message says.
fn reload_refused(e: ServeError) -> ApiError {
    let answer = match &e {
        ServeError::PathNotAllowed { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", e.to_string())
        }
        ServeError::UnknownModel(_) => ApiError::not_found(e.to_string()),
        ServeError::Load { path, source } => {
            let foreign = matches!(
                &**source,
                kiln::Error::Artifact(a) if matches!(**a, kiln::artifact::ArtifactError::Foreign { .. })
            );
            let message = if foreign {
                format!(
                    "cannot load model {}: not a kiln model file",
                    path.display()
                )
            } else {
                e.to_string()
            };
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_PARAMETER_VALUE",
                message,
            )
        }
        _ => ApiError::internal(e.to_string()),
    };
    tracing::warn!(error = %answer.message, "reload refused; the old models keep serving");
    answer
}
