//! # kiln-serve
//!
//! Model files as an HTTP endpoint: MLflow's scoring protocol and KServe v2 / Open Inference
//! Protocol over dynamically batched worker threads.
//!
//! **Layers**, lowest first; a module imports only from lines above it (`module_cycles.py`
//! checks):
//!
//! 1. Shared nouns: `error` (start-up, worker and HTTP errors), [`metrics`] (Prometheus
//!    text), `model_id`.
//! 2. What requests and answers are: `schema` (request values checked against the model
//!    file's fitted inputs, so every malformed request is a 4xx naming the field); [`wire`]
//!    (every wire format: MLflow bodies, KServe v2 tensors, Triton's generate request, and
//!    [`wire::row`], a predicted row as JSON); [`monitoring`] (one live
//!    [`kiln::monitor::Monitor`] per served table model version: drift, live quality from
//!    `POST /feedback`, `GET /monitor`, gauges, webhook).
//! 3. Workers, no axum and no wire format: [`engine`] (one bounded queue and one batching
//!    worker thread per table model, [`BatchConfig`], the [`BatchObserver`] hook);
//!    `generator` (one generation thread per language model).
//! 4. [`state`]: the served models by name and version ([`AppState`]); a served model is a
//!    table model *or* a language model, each with only its own worker; settings
//!    ([`ServeConfig`]), hot swap ([`AppState::reload`]), the bearer token check; then
//!    [`follow`]: serving `models:/NAME@ALIAS`, swapping when the alias moves.
//! 5. Request extractors: `extract` (the model a path or query names, of the kind the route
//!    needs; the body; the model label for metrics); `guard` (who may reach which route:
//!    `Host` on loopback, cross-site browser requests, the token, the admin routes, form
//!    bodies).
//! 6. `routes`: one router per protocol (`mlflow`, `v2`, `generate`, `monitor`, `admin`,
//!    `openapi`), none importing another.
//! 7. [`http`]: the one place the routers are merged, with the shared middleware ([`app`]).
//! 8. [`server`]: the listener, header timeout, graceful shutdown and signals ([`serve`],
//!    [`signals`]).
//!
//! **API boundary:** this is the only crate that knows HTTP and wire formats; it turns requests
//! into [`kiln::data::Table`]s, calls [`kiln::TrainedModel::predict`], and renders each row
//! with [`wire::row::row_json`]. It never prints; it logs through `tracing`.

pub mod engine;
mod error;
mod extract;
pub mod follow;
mod generator;
mod guard;
pub mod http;
pub mod metrics;
mod model_id;
pub mod monitoring;
mod routes;
mod schema;
pub mod server;
pub mod state;
pub mod wire;

pub use engine::{BatchConfig, BatchObserver};
pub use error::{ApiError, ServeError};
pub use http::{REQUEST_ID, app, app_listening_on};
pub use model_id::ModelId;
pub use monitoring::MonitorSettings;
pub use schema::CheckedRows;
pub use server::{serve, signals};
pub use state::{AdminAccess, AppState, ModelSource, ServeConfig, ServedModel, UiSettings};
pub use wire::generate::MAX_TOKENS_CAP;
pub use wire::row::PREDICTION_ID;
