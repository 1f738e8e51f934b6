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
}

/// Result alias of this crate.
pub type Result<T, E = MonitorError> = std::result::Result<T, E>;
