//! [`ModelId`]: the name and version a model is served under, known to every layer of the
//! server (workers, monitors, state, routes), so it sits below all of them.

/// Which model a batch ran on, or a request reached: its served name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelId {
    /// Served name.
    pub name: String,
    /// Served version.
    pub version: String,
}
