//! The one place the protocol routers (`crate::routes`) are merged, with the request
//! middleware every route shares: request id, access checks (`crate::guard`), metrics, logs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::extract::ModelLabel;
use crate::guard::{self, Visitor};
use crate::routes::{admin, generate, mlflow, monitor, openapi, v2};
use crate::state::AppState;

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
    let mut app = Router::new()
        .merge(mlflow::router())
        .merge(v2::router())
        .merge(generate::router())
        .merge(monitor::router())
        .merge(openapi::router())
        .merge(admin::router())
        .with_state(Arc::clone(&state));
    // MLflow's tracking API sits behind the same guard as every other route: the token, the
    // `Host` check and the refusal of cross-site writes apply to it too.
    if let Some(store) = &state.config.tracking {
        app = app.merge(kiln_tracking::router(Arc::clone(store)));
    }
    if let Some(ui) = &state.config.ui {
        app = app
            .merge(kiln_ui::router(Arc::new(ui_for(&state, ui))))
            .route(
                "/ui/login",
                axum::routing::get(ui_login).with_state(Arc::clone(&state)),
            );
    }
    app.fallback(not_found)
        .layer(middleware::from_fn_with_state(
            Guarded {
                state: Arc::clone(&state),
                listening,
            },
            around_request,
        ))
}

/// The UI of this server: its live page reads this server's own metrics and monitor (through
/// a weak handle, so the router does not keep the state alive) before any remote server's.
fn ui_for(state: &Arc<AppState>, settings: &crate::state::UiSettings) -> kiln_ui::Ui {
    let mut live = Vec::new();
    if settings.local_live {
        let weak = Arc::downgrade(state);
        live.push(kiln_ui::LiveTarget::Local(Arc::new(move || {
            weak.upgrade()
                .map(|st| kiln_ui::LiveSnapshot {
                    metrics: crate::routes::monitor::metrics_text(&st),
                    monitor: st.monitor_statuses(),
                })
                .unwrap_or_default()
        })));
    }
    live.extend(settings.remote_live.iter().cloned());
    kiln_ui::Ui {
        store: Arc::clone(&settings.store),
        live,
    }
}

#[derive(serde::Deserialize)]
struct Login {
    #[serde(default)]
    token: String,
}

/// `GET /ui/login?token=T`: with the server's token, sets the UI's session cookie (the token's
/// SHA-256, `HttpOnly`, `SameSite=Strict`, only for `/ui`) and goes to the runs page.
async fn ui_login(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    axum::extract::Query(login): axum::extract::Query<Login>,
) -> Response {
    use sha2::Digest as _;
    let header = format!("Bearer {}", login.token);
    if !state.authorized(Some(header.as_bytes())) {
        return ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "wrong token: open the address `kiln ui` printed",
        )
        .into_response();
    }
    let digest = hex::encode(sha2::Sha256::digest(login.token.as_bytes()));
    let cookie = format!(
        "{}={digest}; Path=/ui; HttpOnly; SameSite=Strict",
        crate::guard::SESSION_COOKIE
    );
    let mut response = axum::response::Redirect::to("/ui/runs").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response
            .headers_mut()
            .insert(axum::http::header::SET_COOKIE, value);
    }
    response
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

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; see /openapi.json for the routes")
}
