//! The database schema as an ordered list of migrations. A store records how many it has
//! applied (`PRAGMA user_version`); opening applies the rest in one transaction each. Later
//! features add their tables by appending a [`Migration`] here, never by editing one that
//! shipped.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Result, RunsError};

/// One step of the schema.
pub struct Migration {
    /// What it adds, for the log and for readers of this file.
    pub name: &'static str,
    /// The SQL, run as one batch inside a transaction.
    pub sql: &'static str,
}

/// Every migration, oldest first. Version N of a store has applied the first N.
pub const MIGRATIONS: &[Migration] = &[Migration {
    name: "runs, metrics, params, tags, datasets, artifacts, registry",
    sql: r#"
CREATE TABLE experiments (
    experiment_id    INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    lifecycle_stage  TEXT NOT NULL DEFAULT 'active',
    creation_time    INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL
);
CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;
CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(experiment_id),
    name            TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    status          TEXT NOT NULL,
    start_time      INTEGER NOT NULL,
    end_time        INTEGER,
    lifecycle_stage TEXT NOT NULL DEFAULT 'active',
    parent_run_id   TEXT,
    -- Liveness: the process that owns a RUNNING run, so a dead one is found and marked KILLED.
    pid             INTEGER,
    host            TEXT,
    process_start   TEXT,
    heartbeat       INTEGER
) WITHOUT ROWID;
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, run_id);
CREATE INDEX runs_running ON runs (status) WHERE status = 'RUNNING';
CREATE INDEX runs_by_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE TABLE params (
    run_id TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX params_by_key ON params (key, value);
CREATE TABLE tags (
    run_id TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX tags_by_key ON tags (key, value);
-- Every logged point; NaN is stored as a NULL value with is_nan = 1 (SQLite has no NaN).
CREATE TABLE metrics (
    run_id    TEXT NOT NULL,
    key       TEXT NOT NULL,
    step      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL,
    is_nan    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX metrics_by_run ON metrics (run_id, key, step, timestamp);
-- Each run's latest value per key (largest step, then timestamp, then value), for search.
CREATE TABLE latest_metrics (
    run_id    TEXT NOT NULL,
    key       TEXT NOT NULL,
    step      INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value     REAL,
    is_nan    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, value);
CREATE TABLE datasets (
    dataset_id    INTEGER PRIMARY KEY,
    experiment_id INTEGER NOT NULL,
    name          TEXT NOT NULL,
    digest        TEXT NOT NULL,
    source_type   TEXT NOT NULL,
    source        TEXT NOT NULL,
    schema        TEXT,
    profile       TEXT,
    UNIQUE (experiment_id, name, digest)
);
CREATE TABLE run_inputs (
    run_id     TEXT NOT NULL,
    dataset_id INTEGER NOT NULL REFERENCES datasets(dataset_id),
    tags       TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, dataset_id)
) WITHOUT ROWID;
CREATE INDEX run_inputs_by_dataset ON run_inputs (dataset_id);
-- A run's artifact tree: path -> content digest; the bytes live once under artifacts/sha256/.
CREATE TABLE artifacts (
    run_id TEXT NOT NULL,
    path   TEXT NOT NULL,
    digest TEXT NOT NULL,
    size   INTEGER NOT NULL,
    PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
CREATE TABLE registered_models (
    name             TEXT PRIMARY KEY,
    description      TEXT NOT NULL DEFAULT '',
    creation_time    INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE registered_model_tags (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (name, key)
) WITHOUT ROWID;
CREATE TABLE model_versions (
    name             TEXT NOT NULL,
    version          INTEGER NOT NULL,
    source           TEXT NOT NULL,
    run_id           TEXT,
    digest           TEXT,
    description      TEXT NOT NULL DEFAULT '',
    user_id          TEXT NOT NULL,
    stage            TEXT NOT NULL DEFAULT 'None',
    creation_time    INTEGER NOT NULL,
    last_update_time INTEGER NOT NULL,
    PRIMARY KEY (name, version)
) WITHOUT ROWID;
CREATE TABLE model_version_tags (
    name    TEXT NOT NULL,
    version INTEGER NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (name, version, key)
) WITHOUT ROWID;
CREATE TABLE aliases (
    name    TEXT NOT NULL,
    alias   TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, alias)
) WITHOUT ROWID;
-- Every alias move, kept forever (who pointed `champion` at what, when).
CREATE TABLE alias_log (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    alias       TEXT NOT NULL,
    old_version INTEGER,
    new_version INTEGER,
    time        INTEGER NOT NULL,
    user_id     TEXT NOT NULL
);
CREATE INDEX alias_log_by_model ON alias_log (name, alias, id);
INSERT INTO experiments (experiment_id, name, creation_time, last_update_time)
    VALUES (0, 'Default', CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));
"#,
}];

/// Brings the database up to the newest schema. Refuses a store from a newer kiln.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    loop {
        // Each step in its own immediate transaction: two processes opening a new store at
        // once apply each migration exactly once.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if applied > known {
            return Err(RunsError::NewerSchema {
                path: path.to_path_buf(),
                found: applied,
                known,
            });
        }
        if applied == known {
            tx.commit()?;
            return Ok(());
        }
        tx.execute_batch(MIGRATIONS[applied as usize].sql)?;
        tx.pragma_update(None, "user_version", applied + 1)?;
        tx.commit()?;
    }
}
