//! [`Warning`]: a problem that did not stop the work, reported back to the caller (library
//! crates never print). Below every module that encodes data, so each can report one.

use serde::{Deserialize, Serialize};

/// Something worth telling the user that did not stop encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The column concerned.
    pub column: String,
    /// What happened, e.g. `3 rows have categories not seen in training (sent to the unknown bucket)`.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column `{}`: {}", self.column, self.message)
    }
}
