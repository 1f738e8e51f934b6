//! Model monitoring for kiln: the reference profile stored in the model file, drift statistics
//! that match scipy and Evidently, bounded live windows with ground-truth feedback, the status
//! behind `GET /monitor`, Prometheus gauges, a state-change webhook and the offline HTML report.
//!
//! Map:
//! - [`stats`]: PSI, Kolmogorov–Smirnov, (normalised) Wasserstein, chi-square, Jensen–Shannon,
//!   z-test — checked against scipy in `tests/reference/`.
//! - [`profile`]: [`ReferenceProfile`], built at training time from validation rows and the
//!   model's predictions on them.
//! - [`drift`]: test choice, thresholds and multiple-testing correction ([`DriftConfig`]).
//! - [`monitor`]: the live [`Monitor`] a server keeps per model.
//! - [`prometheus`], [`webhook`], [`report`]: the surfaces.
//!
//! This crate knows no HTTP server and no network model: the server converts requests to
//! [`kiln_data::Table`]s and [`Outputs`] and serves [`MonitorStatus`] as JSON.

pub mod drift;
pub mod error;
pub mod monitor;
pub mod profile;
pub mod prometheus;
pub mod report;
pub mod stats;
pub mod webhook;

pub use drift::{Correction, DriftConfig, FeatureDrift, Method, State};
pub use error::{MonitorError, Result};
pub use monitor::{
    FeedbackSummary, Monitor, MonitorConfig, MonitorIndex, MonitorStatus, Performance, StatusInput,
    Truth, WindowSpec, WindowStatus,
};
pub use profile::{
    Distribution, FeatureProfile, FeatureSource, Outputs, OwnedOutputs, ProfileConfig,
    ReferenceMetric, ReferenceProfile, TaskProfile, argmax_rows,
};
pub use prometheus::render_prometheus;
pub use report::{batch_status, render_html};
pub use webhook::{StateChange, Webhook};
