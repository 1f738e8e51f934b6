//! # kiln-tracking
//!
//! The MLflow tracking REST API over kiln's runs store ([`kiln_runs::Store`]): the pinned
//! MLflow client (`mlflow-skinny`, see `tests/tracking/`) logs experiments, runs, params,
//! metrics, tags, datasets and artifacts to kiln, searches runs and uses the model registry,
//! unchanged. What the client sends and what kiln answers is in `PROTOCOL.md`.
//!
//! [`router`] has every route with the store applied and no fallback, so `kiln serve` can
//! merge it behind its own access guard; [`standalone`] adds the fallback for a server that
//! serves it alone (`kiln tracking`).
//!
//! **Layers**, lowest first; a module imports only from lines above it:
//!
//! 1. Shared nouns: [`error`] ([`ApiError`], MLflow's error codes and statuses), [`limits`]
//!    (MLflow's per-request limits), `paging` (page tokens for what kiln pages itself).
//! 2. What requests and answers are: [`wire`] (every body, field for field), `artifact_path`
//!    (an artifact request's path, decoded and checked), `extract` (a request's fields from
//!    its query or JSON body).
//! 3. `convert`: store entities as wire messages, store errors as error codes, store calls off
//!    the async runtime; `search` (filters and order over the lists the store gives: experiments, registered models, model versions).
//! 4. `routes`: one router per family (`experiments`, `runs`, `registry`, `artifacts`,
//!    `server`), none importing another except the experiment-id parser.
//! 5. [`router`]: the one place they are merged.
//!
//! **API boundary:** this crate knows HTTP and MLflow's wire format; the store knows neither.
//! It never prints; it logs through `tracing`.

mod artifact_path;
mod convert;
pub mod error;
mod extract;
pub mod limits;
mod paging;
mod routes;
mod search;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use kiln_runs::Store;

pub use error::{ApiError, ErrorCode};

/// Every MLflow tracking route, with `store` applied.
///
/// The router has no fallback, so a server with routes of its own (`kiln serve`) can
/// [`Router::merge`] it; instead, any other path under MLflow's prefixes (`/api/2.0/mlflow/`,
/// `/api/2.0/mlflow-artifacts/`, `/api/3.0/mlflow/`) answers 404 `ENDPOINT_NOT_FOUND` in
/// MLflow's shape, which the client reads as "not supported by this server". Paths outside
/// those prefixes are left to the server that merges it; [`standalone`] answers them too.
pub fn router(store: Arc<Store>) -> Router {
    Router::new()
        .merge(routes::experiments::router())
        .merge(routes::runs::router())
        .merge(routes::registry::router())
        .merge(routes::artifacts::router())
        .merge(routes::server::router())
        .route("/api/2.0/mlflow/{*rest}", any(not_found))
        .route("/api/2.0/mlflow-artifacts/{*rest}", any(not_found))
        .route("/api/3.0/mlflow/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_served)
        .with_state(store)
}

/// [`router`] for a server that serves nothing else (`kiln tracking`), with `/health` (`OK`)
/// and `/version` (which `kiln serve` answers itself); every other path answers 404
/// `ENDPOINT_NOT_FOUND` too.
pub fn standalone(store: Arc<Store>) -> Router {
    router(Arc::clone(&store))
        .merge(routes::server::liveness().with_state(store))
        .fallback(not_found)
}

async fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::EndpointNotFound,
        "kiln does not serve this MLflow endpoint; crates/kiln-tracking/PROTOCOL.md lists the ones it does",
    )
}

/// A served path asked with a method it does not take (`DELETE` on an artifact): MLflow's
/// shape, so the client reports it as unsupported rather than as a non-JSON answer.
async fn method_not_served(method: axum::http::Method) -> ApiError {
    ApiError::new(
        ErrorCode::EndpointNotFound,
        format!("kiln does not serve {method} on this MLflow endpoint"),
    )
}
