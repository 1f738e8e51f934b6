//! [`RunsError`]: everything the store refuses or fails at, with the names a user needs.

use std::path::PathBuf;

/// What went wrong in the runs store.
#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    /// The store folder or its database could not be opened or created.
    #[error("cannot open the runs store at {}: {source}", path.display())]
    Open {
        /// The store folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// SQLite failed (a full disk, a corrupt file, a bug in a query).
    #[error("runs store database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// Reading or writing an artifact file failed.
    #[error("artifact store: {action} {}: {source}", path.display())]
    Io {
        /// What the store was doing (`writing`, `reading`, ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The store was written by a newer kiln (its schema version is higher than this build's).
    #[error(
        "the runs store at {} has schema version {found}; this kiln knows up to {known}: upgrade kiln",
        path.display()
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A run, experiment, model, version or alias that does not exist.
    #[error("no {kind} {name}")]
    NotFound {
        /// `run`, `experiment`, `registered model`, ...
        kind: &'static str,
        /// How it was asked for (`'3f2a…'`, `name 'mnist'`).
        name: String,
    },
    /// Something with that name exists already.
    #[error("{kind} {name} already exists")]
    AlreadyExists {
        /// `experiment`, `registered model`, ...
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A parameter was logged again with a different value (parameters are written once).
    #[error(
        "parameter '{key}' of run {run_id} was already logged as '{old}'; it cannot be changed to '{new}' (parameters are written once)"
    )]
    ParamChanged {
        /// The run.
        run_id: String,
        /// The parameter.
        key: String,
        /// The value logged first.
        old: String,
        /// The value refused.
        new: String,
    },
    /// A value the store refuses: an empty or over-long key, a bad artifact path, a bad page
    /// token, a filter naming something runs do not have.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// Which input (`metric key`, `artifact path`, `filter`, `page_token`, ...).
        field: &'static str,
        /// What was expected and what was found.
        message: String,
    },
    /// A filter or order-by clause that does not parse.
    #[error("invalid {field}: {message}")]
    Query {
        /// `filter` or `order_by`.
        field: &'static str,
        /// The parser's message with the caret diagram.
        message: String,
    },
    /// Another live process owns the run (a study being resumed while it still runs).
    #[error(
        "run {run_id} is in progress in process {pid} on {host}; stop it first or wait for it to end"
    )]
    Owned {
        /// The run.
        run_id: String,
        /// The owner's pid.
        pid: u32,
        /// The owner's host.
        host: String,
    },
    /// The run is not active (finished, failed, killed or deleted) and cannot be changed so.
    #[error("run {run_id} is {state}; {action} needs an active run")]
    RunNotActive {
        /// The run.
        run_id: String,
        /// Its lifecycle (`deleted`).
        state: String,
        /// What was refused.
        action: &'static str,
    },
}

impl RunsError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }

    /// Whether SQLite gave up waiting for another writer (`database is locked`/`busy`); the
    /// store waits up to [`crate::BUSY_TIMEOUT`] before this happens.
    pub fn is_locked(&self) -> bool {
        matches!(
            self,
            Self::Database(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

/// The store's result type.
pub type Result<T, E = RunsError> = std::result::Result<T, E>;
