//! # kiln-tracking
//!
//! The MLflow tracking REST API over kiln's runs store ([`kiln_runs::Store`]): the pinned
//! MLflow client (`mlflow-skinny`, see `tests/tracking/`) logs experiments, runs, params,
//! metrics, tags, datasets and artifacts to kiln, searches runs and uses the model registry,
//! unchanged. What the client sends and what kiln answers is in `PROTOCOL.md`.
//!
//! [`router`] has every route with the store applied, so `kiln serve` can merge it behind its
//! own access guard and `kiln tracking` can serve it alone.
//!
//! **Layers**, lowest first; a module imports only from lines above it:
//!
//! 1. Shared nouns: [`error`] ([`ApiError`], MLflow's error codes and statuses), [`limits`]
//!    (MLflow's per-request limits), `paging` (page tokens for what kiln pages itself).
//! 2. What requests and answers are: [`wire`] (every body, field for field), `artifact_path`
//!    (an artifact request's path, decoded and checked), `extract` (a request's fields from
//!    its query or JSON body).
//! 3. `convert`: store entities as wire messages, store errors as error codes, store calls off
//!    the async runtime; `experiment_search` (experiment filters over the store's list).
//! 4. `routes`: one router per family (`experiments`, `runs`, `registry`, `artifacts`,
//!    `server`), none importing another except the experiment-id parser.
//! 5. [`router`]: the one place they are merged.
//!
//! **API boundary:** this crate knows HTTP and MLflow's wire format; the store knows neither.
//! It never prints; it logs through `tracing`.

mod artifact_path;
mod convert;
pub mod error;
mod experiment_search;
mod extract;
pub mod limits;
mod paging;
mod routes;
pub mod wire;

use std::sync::Arc;

use axum::Router;
use kiln_runs::Store;

pub use error::{ApiError, ErrorCode};

/// Every MLflow tracking route, with `store` applied. Unknown paths answer 404
/// `ENDPOINT_NOT_FOUND`, which the client understands as "not supported here".
pub fn router(store: Arc<Store>) -> Router {
    Router::new()
        .merge(routes::experiments::router())
        .merge(routes::runs::router())
        .merge(routes::registry::router())
        .merge(routes::artifacts::router())
        .merge(routes::server::router())
        .fallback(not_found)
        .with_state(store)
}

async fn not_found() -> ApiError {
    ApiError::new(
        ErrorCode::EndpointNotFound,
        "kiln does not serve this MLflow endpoint; PROTOCOL.md lists the ones it does",
    )
}
