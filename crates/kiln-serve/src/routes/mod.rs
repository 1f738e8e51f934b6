//! One router per protocol, each `router() -> Router<Arc<AppState>>`, merged in one place
//! (`crate::http`), which adds the access checks, metrics and logs every route shares.
//!
//! - `mlflow`: MLflow's scoring server (`/ping`, `/health`, `/version`, `/invocations`).
//! - `v2`: KServe v2 / Open Inference Protocol (`/v2`, health, model metadata and readiness,
//!   `/infer`).
//! - `generate`: Triton's generate extension for language models (`/generate`,
//!   `/generate_stream`, Server-Sent Events).
//! - `monitor`: `/metrics` (Prometheus), `/monitor`, `/feedback`.
//! - `admin`: `/admin/*` (reloads).
//! - `openapi`: `/openapi.json`, the document of all of them.
//!
//! Routers never import each other; what several need sits below them (`crate::extract`,
//! `crate::wire`).

pub(crate) mod admin;
pub(crate) mod generate;
pub(crate) mod mlflow;
pub(crate) mod monitor;
pub(crate) mod openapi;
pub(crate) mod v2;
