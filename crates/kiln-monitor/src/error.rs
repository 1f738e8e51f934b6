//! Errors of the monitoring library.

/// What went wrong while profiling or monitoring.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// Rows or outputs that do not fit the profile (missing column, wrong kind, bad label).
    #[error("{0}")]
    Input(String),
    /// Invalid monitor settings.
    #[error("invalid monitor settings: {0}")]
    Config(String),
    /// The HTML report could not be drawn.
    #[error("cannot draw the report: {0}")]
    Report(String),
}

/// Result alias of this crate.
pub type Result<T, E = MonitorError> = std::result::Result<T, E>;
