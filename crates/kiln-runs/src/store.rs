//! [`Store`]: one folder holding the SQLite database (`runs.db`, WAL mode) and the
//! content-addressed artifacts (`artifacts/`). Many processes and threads may use one store at
//! once: every write is one `BEGIN IMMEDIATE` transaction (so a writer never fails upgrading a
//! read lock), and a writer waits up to [`BUSY_TIMEOUT`] for another, instead of failing with
//! `database is locked`.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::error::{Result, RunsError};
use crate::schema;

/// How long a write waits for other writers before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

/// The environment variable naming the store folder (as `--tracking-uri` does).
pub const TRACKING_URI_ENV: &str = "KILN_TRACKING_URI";

/// The database file's name inside the store folder.
pub const DATABASE_FILE: &str = "runs.db";

/// Idle connections kept for reuse.
const POOL_SIZE: usize = 16;

/// Size of the write-ahead log past which a write truncates it (see `Store::write`).
const TRUNCATE_BYTES: u64 = 64 << 20;

/// A runs store: the database and the artifact folder beside it.
pub struct Store {
    root: PathBuf,
    database: PathBuf,
    wal: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// One writer at a time in this process: the others wait here, not in SQLite's busy loop
    /// (where each attempt takes a read mark in the log and keeps it from restarting).
    writer: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

/// The store folder a URI names: a path, or a `file:` URI (`file:///home/me/runs`).
///
/// # Errors
/// [`RunsError::Invalid`] for other schemes (a remote server is reached with MLflow's client,
/// not through a store path).
pub fn root_from_uri(uri: &str) -> Result<PathBuf> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(RunsError::invalid(
            "tracking uri",
            "empty; give a folder path",
        ));
    }
    if let Some(path) = uri.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some(path) = uri.strip_prefix("file:") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(RunsError::invalid(
            "tracking uri",
            format!(
                "'{scheme}://' is not a store kiln can open; give a folder path (or file:///folder)"
            ),
        ));
    }
    Ok(PathBuf::from(uri))
}

/// The store folder used when none is given: `$KILN_TRACKING_URI`, else the user's data folder
/// + `kiln/runs` (e.g. `~/.local/share/kiln/runs`).
///
/// # Errors
/// When the variable is not a usable URI, or there is no home folder.
pub fn default_root() -> Result<PathBuf> {
    if let Some(uri) = std::env::var_os(TRACKING_URI_ENV).filter(|v| !v.is_empty()) {
        return root_from_uri(&uri.to_string_lossy());
    }
    directories::ProjectDirs::from("", "", "kiln")
        .map(|d| d.data_dir().join("runs"))
        .ok_or_else(|| {
            RunsError::invalid(
                "tracking uri",
                format!("no user data folder; set {TRACKING_URI_ENV} to a writable folder"),
            )
        })
}

impl Store {
    /// Opens (creating when missing) the store in folder `root`, bringing its schema up to
    /// date.
    ///
    /// # Errors
    /// When the folder cannot be created, the database cannot be opened, or it is from a newer
    /// kiln.
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(root.join("artifacts")).map_err(|source| RunsError::Open {
            path: root.clone(),
            source,
        })?;
        let store = Self {
            database: root.join(DATABASE_FILE),
            wal: root.join(format!("{DATABASE_FILE}-wal")),
            root,
            idle: Mutex::new(Vec::new()),
            writer: Mutex::new(()),
        };
        let mut conn = store.connect()?;
        schema::migrate(&mut conn, &store.database)?;
        store.give_back(conn);
        Ok(store)
    }

    /// Opens the store [`default_root`] names.
    ///
    /// # Errors
    /// As [`Store::open`] and [`default_root`].
    pub fn open_default() -> Result<Self> {
        Self::open(default_root()?)
    }

    /// The store folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The database file.
    pub fn database_path(&self) -> &Path {
        &self.database
    }

    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.database,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL: readers never block the writer nor each other; NORMAL sync keeps every
        // committed transaction across a crashed process (only power loss may drop the last few,
        // never corrupting the file).
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(RunsError::invalid(
                "store",
                format!(
                    "{} cannot use write-ahead logging (journal mode '{mode}'); put the store on a local disk",
                    self.database.display()
                ),
            ));
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // LIKE as kiln's one expression syntax defines it (case-sensitive; ILIKE folds case),
        // not SQLite's ASCII-case-insensitive built-in.
        conn.create_scalar_function(
            "kiln_like",
            3,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            |ctx| {
                let pattern: String = ctx.get(0)?;
                let text: Option<String> = ctx.get(1)?;
                let fold: bool = ctx.get(2)?;
                Ok(text.is_some_and(|t| kiln_query::like(&pattern, &t, fold)))
            },
        )?;
        Ok(conn)
    }

    /// A connection from the pool (or a new one), returned to the pool when dropped.
    pub(crate) fn conn(&self) -> Result<Pooled<'_>> {
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match reused {
            Some(conn) => conn,
            None => self.connect()?,
        };
        Ok(Pooled {
            store: self,
            conn: Some(conn),
        })
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < POOL_SIZE
        {
            idle.push(conn);
        }
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`), committed when `f` succeeds.
    ///
    ///
    /// When the write-ahead log has grown past [`TRUNCATE_BYTES`], it is also checkpointed
    /// and truncated (`wal_checkpoint(TRUNCATE)`). SQLite's automatic checkpoint copies the log
    /// into the database but starts the log over only when no connection holds a read mark in
    /// it, and under steady concurrent writers one always does (a writer retrying
    /// `BEGIN IMMEDIATE` takes one each time): the log then grows without bound (1.3 GB after
    /// 32 processes × 1,000 batches, 2 GB into the tracking benchmark) and every commit slows.
    /// A checkpoint another connection is running makes SQLite answer busy at once rather
    /// than wait, so the truncation is retried a few times, then left to the next commit.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let _one_writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        if std::fs::metadata(&self.wal).is_ok_and(|m| m.len() > TRUNCATE_BYTES) {
            // The commit above stands whatever happens here: an I/O error shows again on the
            // next write, which reports it.
            conn.busy_timeout(Duration::from_secs(2))?;
            for _ in 0..50 {
                let busy: rusqlite::Result<i64> =
                    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0));
                if !matches!(busy, Ok(1)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            conn.busy_timeout(BUSY_TIMEOUT)?;
        }
        Ok(value)
    }

    /// Runs `f` in one read transaction (a consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }
}

/// A pooled connection.
pub(crate) struct Pooled<'a> {
    store: &'a Store,
    conn: Option<Connection>,
}

impl Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A connection left inside a transaction (a panic mid-write) is not reused.
            if conn.is_autocommit() {
                self.store.give_back(conn);
            }
        }
    }
}
