//! The liveness sweep: a `RUNNING` run whose process is gone is marked `KILLED`, so no run stays
//! `RUNNING` forever after a crash, `kill -9` or power loss.
//!
//! A run started by kiln records its pid, host and the process's start time (so a reused pid is
//! not mistaken for it). On the same host the sweep asks `/proc`; on another host (a store on a
//! shared disk) it trusts the heartbeat, which a live run refreshes every
//! [`HEARTBEAT_INTERVAL`]: one older than [`HEARTBEAT_STALE`] means dead. Runs created through
//! the MLflow API record no process and are left to their client to end, as MLflow does.

use std::time::Duration;

use rusqlite::params;

use crate::clock;
use crate::error::Result;
use crate::store::Store;

/// How often a live kiln run refreshes its heartbeat.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// A heartbeat older than this marks a run on another host dead.
pub const HEARTBEAT_STALE: Duration = Duration::from_secs(10 * 60);

/// The process that owns a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Its pid.
    pub pid: u32,
    /// Its host name.
    pub host: String,
    /// Its start time in clock ticks since boot, where `/proc` tells.
    pub process_start: Option<String>,
}

impl Owner {
    /// This process.
    pub fn this_process() -> Self {
        let pid = std::process::id();
        Self {
            pid,
            host: clock::host_name(),
            process_start: clock::process_start(pid),
        }
    }

    /// Whether the owner is alive, as far as this host can tell; `None` when it cannot tell
    /// (another host, or no `/proc`).
    pub fn alive_here(&self) -> Option<bool> {
        if self.host != clock::host_name() || !clock::has_proc() {
            return None;
        }
        match (clock::process_start(self.pid), &self.process_start) {
            (None, _) => Some(false),
            (Some(now), Some(then)) => Some(&now == then),
            (Some(_), None) => Some(true),
        }
    }
}

impl Store {
    /// Marks every `RUNNING` run whose process is dead as `KILLED` (ended at its last
    /// heartbeat) and returns their ids. Cheap: it reads only the running runs.
    ///
    /// # Errors
    /// On a database error.
    pub fn sweep_dead_runs(&self) -> Result<Vec<String>> {
        let running: Vec<(String, Owner, i64)> = self.read(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT run_id, pid, host, process_start, heartbeat FROM runs
                 WHERE status = 'RUNNING' AND pid IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Owner {
                        pid: r.get::<_, i64>(1)? as u32,
                        host: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        process_start: r.get(3)?,
                    },
                    r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                ))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })?;
        let now = clock::now_ms();
        let stale = HEARTBEAT_STALE.as_millis() as i64;
        let dead: Vec<(String, i64)> = running
            .into_iter()
            .filter(|(_, owner, heartbeat)| match owner.alive_here() {
                Some(alive) => !alive,
                None => now - heartbeat > stale,
            })
            .map(|(id, _, heartbeat)| (id, heartbeat))
            .collect();
        if dead.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE runs SET status = 'KILLED', end_time = ?2
                 WHERE run_id = ?1 AND status = 'RUNNING'",
            )?;
            for (id, heartbeat) in &dead {
                stmt.execute(params![id, heartbeat])?;
            }
            Ok(())
        })?;
        Ok(dead.into_iter().map(|(id, _)| id).collect())
    }

    /// Refreshes a live run's heartbeat.
    ///
    /// # Errors
    /// On a database error.
    pub fn heartbeat(&self, run_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE runs SET heartbeat = ?2 WHERE run_id = ?1",
                params![run_id, clock::now_ms()],
            )?;
            Ok(())
        })
    }
}
