//! # kiln-runs
//!
//! The runs store and model registry: every training and evaluation run recorded (spec, data
//! digest, seed, params, per-epoch metrics, the model file), comparable and re-creatable;
//! registered models with versions and aliases. One folder per store: an embedded SQLite
//! database (`runs.db`, WAL) and a content-addressed artifact folder beside it. The entities
//! are MLflow's, so the MLflow tracking API (crate `kiln-tracking`) is a thin translation.
//!
//! ```
//! use std::sync::Arc;
//! use kiln_runs::{ActiveRun, Metric, NewRun, RunQuery, RunStatus, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Arc::new(Store::open(dir.path())?);
//! let run = ActiveRun::start(Arc::clone(&store), NewRun::default())?;
//! run.log_params(&[("training.epochs".into(), "5".into())])?;
//! run.log_metrics(&[Metric::now("accuracy", 0.981, 0)])?;
//! run.end(RunStatus::Finished)?;
//!
//! let page = store.search_runs(&RunQuery {
//!     filter: Some("metrics.accuracy > 0.98 and params.training.epochs = '5'".into()),
//!     ..RunQuery::default()
//! })?;
//! assert_eq!(page.runs.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Layers**, lowest first; a module imports only from lines above it (`module_cycles.py`
//! checks):
//!
//! 1. Nouns: [`error`] ([`RunsError`]), [`clock`] (time, user, host, process start),
//!    [`entity`] (experiments, runs, metrics, datasets, artifacts, registry entries),
//!    [`validate`] (MLflow's key and value limits; artifact paths that cannot escape).
//! 2. [`schema`]: the migrations, in order; later features append theirs.
//! 3. [`store`]: [`Store`] (open, pool, one `BEGIN IMMEDIATE` transaction per write).
//! 4. What the store does, each an `impl Store` block on its own noun: [`liveness`] (dead
//!    owners → `KILLED`, heartbeats), [`experiments`], [`runs`], [`artifacts`]
//!    (content-addressed blobs), [`registry`] (models, versions, aliases, `models:/` URIs).
//! 5. [`search`]: filters in kiln's one expression syntax ([`kiln_query`]) compiled to SQL,
//!    ordering and paging.
//! 6. [`tracker`]: [`ActiveRun`], a run this process is doing (owner, heartbeat, ended once).
//!
//! **Invariants.** Parameters are written once. A `RUNNING` run whose owner process is gone is
//! marked `KILLED` by [`Store::sweep_dead_runs`], never left running. A write is one
//! transaction: a crash leaves it whole or absent, and a blob is renamed into place only when
//! complete. Concurrent writers wait for each other (up to [`BUSY_TIMEOUT`]) rather than fail
//! with `database is locked`. No artifact name reaches the file system: blobs are named by
//! digest.

pub mod artifacts;
pub mod clock;
pub mod entity;
pub mod error;
pub mod experiments;
pub mod liveness;
pub mod registry;
pub mod runs;
pub mod schema;
pub mod search;
pub mod store;
pub mod tracker;
pub mod validate;

pub use artifacts::Blob;
pub use entity::{
    AliasChange, ArtifactEntry, DEFAULT_EXPERIMENT, Dataset, DatasetInput, Experiment,
    ExperimentId, Lifecycle, Metric, MetricPoint, ModelVersion, RegisteredModel, Run, RunData,
    RunInfo, RunStatus,
};
pub use error::{Result, RunsError};
pub use experiments::ViewType;
pub use liveness::{HEARTBEAT_INTERVAL, HEARTBEAT_STALE, Owner};
pub use registry::{MODEL_ARTIFACT, ModelUri, ResolvedModel};
pub use runs::{NewRun, PARENT_RUN_TAG, RUN_NAME_TAG, USER_TAG, WholeRun};
pub use search::{MAX_RESULTS_LIMIT, RunPage, RunQuery};
pub use store::{BUSY_TIMEOUT, Store, TRACKING_URI_ENV, default_root, root_from_uri};
pub use tracker::ActiveRun;
