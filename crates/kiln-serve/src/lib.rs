//! # kiln-serve
//!
//! Model files as an HTTP endpoint: MLflow's scoring protocol and KServe v2 / Open Inference
//! Protocol over dynamically batched worker threads.
//!
//! - [`state`]: the served models by name and version ([`AppState`]), settings
//!   ([`ServeConfig`]), hot swap ([`AppState::reload`]), the bearer token check.
//! - [`engine`]: one bounded queue and one worker thread per model; dynamic batching
//!   ([`BatchConfig`]); the [`BatchObserver`] hook monitoring plugs into.
//! - `schema`: request values checked against the model file's fitted inputs, so every
//!   malformed request is a 4xx naming the field.
//! - `mlflow`, `v2`: the two wire formats.
//! - `generator`: one generation thread per language model (no HTTP); `generate`: its routes
//!   (Triton's generate extension, streamed as Server-Sent Events).
//! - `extract`: what every handler takes from a request (the model its path names, the body).
//! - [`http`]: routes and middleware ([`app`]); `guard`: who may reach which route (`Host`
//!   on loopback, cross-site browser requests, the token, the admin routes, form bodies);
//!   [`server`]: the listener, header timeout,
//!   graceful shutdown and signals ([`serve`], [`signals`]).
//! - [`metrics`]: Prometheus text format.
//! - [`monitoring`]: one live [`kiln::monitor::Monitor`] per served model version (drift,
//!   live quality from `POST /feedback`, `GET /monitor`, gauges, webhook).
//!
//! **API boundary:** this is the only crate that knows HTTP and wire formats; it turns requests
//! into [`kiln::data::Table`]s, calls [`kiln::TrainedModel::predict`], and turns each row's
//! [`kiln::Predictions::row_json`] into answers, so fields added to predictions reach clients
//! unchanged. It never prints; it logs through `tracing`.
//!
//! **Layers**, lowest first; a module imports only from lines above it (`module_cycles.py`
//! checks): `error`, `metrics`, `model_id` → `schema`, `monitoring` → `mlflow`, `v2` (wire
//! formats), `engine`, `generator` (workers; no axum) → `state` → `extract`, `guard` →
//! `generate`, `openapi` → `http` → `server`.

pub mod engine;
mod error;
mod extract;
mod generate;
mod generator;
mod guard;
pub mod http;
pub mod metrics;
mod mlflow;
mod model_id;
pub mod monitoring;
mod openapi;
mod schema;
pub mod server;
pub mod state;
mod v2;

pub use engine::{BatchConfig, BatchObserver, PREDICTION_ID};
pub use error::{ApiError, ServeError};
pub use generate::MAX_TOKENS_CAP;
pub use http::{REQUEST_ID, app, app_listening_on};
pub use model_id::ModelId;
pub use monitoring::MonitorSettings;
pub use schema::CheckedRows;
pub use server::{serve, signals};
pub use state::{AdminAccess, AppState, ModelSource, ServeConfig, ServedModel};
