//! Runs: create, read, end, delete; log metrics, params, tags and dataset inputs.
//!
//! Invariants kept here for every writer (kiln's own runs and the MLflow API alike):
//! parameters are written once (the same value again is accepted, another is refused); a
//! metric keeps its whole history and `latest_metrics` holds the point with the largest
//! (step, timestamp); NaN and ±infinity are stored as such; a deleted run takes no writes.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::clock;
use crate::entity::{
    Dataset, DatasetInput, ExperimentId, Lifecycle, Metric, MetricPoint, Run, RunData, RunInfo,
    RunStatus,
};
use crate::error::{Result, RunsError};
use crate::liveness::{HEARTBEAT_STALE, Owner};
use crate::store::Store;
use crate::validate;

/// The tag MLflow keeps a run's name in.
pub const RUN_NAME_TAG: &str = "mlflow.runName";
/// The tag MLflow keeps a child run's parent in.
pub const PARENT_RUN_TAG: &str = "mlflow.parentRunId";
/// The tag MLflow keeps the user in.
pub const USER_TAG: &str = "mlflow.user";

/// What a new run starts with.
#[derive(Debug, Clone, Default)]
pub struct NewRun {
    /// Its experiment ([`crate::DEFAULT_EXPERIMENT`] unless chosen).
    pub experiment_id: ExperimentId,
    /// Its name; `run-` and the id's first 8 digits when `None` (or the `mlflow.runName` tag).
    pub name: Option<String>,
    /// Who starts it; the current user when `None`.
    pub user_id: Option<String>,
    /// Milliseconds since the Unix epoch; now when `None`.
    pub start_time: Option<i64>,
    /// The parent run (a fold, a trial); also read from the `mlflow.parentRunId` tag.
    pub parent_run_id: Option<String>,
    /// Tags to set at once.
    pub tags: BTreeMap<String, String>,
    /// The process that owns it, for the liveness sweep; `None` for runs made through the API.
    pub owner: Option<Owner>,
}

/// A run recorded whole after the fact ([`Store::log_runs`]).
#[derive(Debug, Clone)]
pub struct WholeRun {
    /// What it starts with.
    pub new: NewRun,
    /// How it ended.
    pub status: RunStatus,
    /// Its metrics.
    pub metrics: Vec<Metric>,
    /// Its params.
    pub params: Vec<(String, String)>,
    /// Its tags (besides `new`'s).
    pub tags: Vec<(String, String)>,
}

/// A new run id: 32 random lowercase hex digits, as MLflow's.
fn new_run_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub(crate) const RUN_COLUMNS: &str = "run_id, experiment_id, name, user_id, status, start_time, \
     end_time, lifecycle_stage, parent_run_id";

pub(crate) fn run_info_from_row(r: &Row<'_>) -> rusqlite::Result<RunInfo> {
    let status: String = r.get(4)?;
    let lifecycle: String = r.get(7)?;
    Ok(RunInfo {
        run_id: r.get(0)?,
        experiment_id: r.get(1)?,
        name: r.get(2)?,
        user_id: r.get(3)?,
        status: status.parse().unwrap_or(RunStatus::Failed),
        start_time: r.get(5)?,
        end_time: r.get(6)?,
        lifecycle: lifecycle.parse().unwrap_or(Lifecycle::Active),
        parent_run_id: r.get(8)?,
    })
}

pub(crate) fn run_info_in(tx: &Transaction<'_>, run_id: &str) -> Result<RunInfo> {
    validate::run_id(run_id)?;
    tx.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"))?
        .query_row([run_id], run_info_from_row)
        .optional()?
        .ok_or_else(|| RunsError::not_found("run", format!("'{run_id}'")))
}

/// A run that may take writes: it exists and is not deleted.
fn writable(tx: &Transaction<'_>, run_id: &str, action: &'static str) -> Result<RunInfo> {
    let info = run_info_in(tx, run_id)?;
    if info.lifecycle == Lifecycle::Deleted {
        return Err(RunsError::RunNotActive {
            run_id: run_id.to_string(),
            state: "deleted".to_string(),
            action,
        });
    }
    Ok(info)
}

/// Reads metric value columns `value, is_nan` back into an `f64` (NaN where flagged).
pub(crate) fn metric_value(value: Option<f64>, is_nan: bool) -> f64 {
    if is_nan {
        f64::NAN
    } else {
        value.unwrap_or(f64::NAN)
    }
}

/// The data and inputs of runs (one, or a search page at once: four queries per 500 runs
/// instead of four per run). Keeps `infos`' order.
pub(crate) fn runs_in(tx: &Transaction<'_>, infos: Vec<RunInfo>) -> Result<Vec<Run>> {
    let mut runs: Vec<Run> = infos
        .into_iter()
        .map(|info| Run {
            info,
            data: RunData::default(),
            inputs: Vec::new(),
        })
        .collect();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in runs.iter().enumerate() {
        at.insert(r.info.run_id.clone(), i);
    }
    let ids: Vec<String> = runs.iter().map(|r| r.info.run_id.clone()).collect();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let args = rusqlite::params_from_iter(chunk.iter());
        let mut stmt = tx.prepare(&format!(
            "SELECT run_id, key, value, is_nan, timestamp, step FROM latest_metrics
             WHERE run_id IN ({marks}) ORDER BY run_id, key"
        ))?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            runs[at[&id]].data.metrics.push(Metric {
                key: r.get(1)?,
                point: MetricPoint {
                    value: metric_value(r.get(2)?, r.get(3)?),
                    timestamp: r.get(4)?,
                    step: r.get(5)?,
                },
            });
        }
        for (table, is_params) in [("params", true), ("tags", false)] {
            let mut stmt = tx.prepare(&format!(
                "SELECT run_id, key, value FROM {table} WHERE run_id IN ({marks})"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk.iter()))?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let data = &mut runs[at[&id]].data;
                let map = if is_params {
                    &mut data.params
                } else {
                    &mut data.tags
                };
                map.insert(r.get(1)?, r.get(2)?);
            }
        }
        let mut stmt = tx.prepare(&format!(
            "SELECT i.run_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile, i.tags
             FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id
             WHERE i.run_id IN ({marks}) ORDER BY i.run_id, d.dataset_id"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(chunk.iter()))?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let tags: String = r.get(7)?;
            runs[at[&id]].inputs.push(DatasetInput {
                dataset: Dataset {
                    name: r.get(1)?,
                    digest: r.get(2)?,
                    source_type: r.get(3)?,
                    source: r.get(4)?,
                    schema: r.get(5)?,
                    profile: r.get(6)?,
                },
                tags: serde_json::from_str(&tags).unwrap_or_default(),
            });
        }
    }
    Ok(runs)
}

fn insert_metrics(tx: &Transaction<'_>, run_id: &str, metrics: &[Metric]) -> Result<()> {
    let mut all = tx.prepare_cached(
        "INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut latest = tx.prepare_cached(
        "INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (run_id, key) DO UPDATE SET
             step = excluded.step, timestamp = excluded.timestamp,
             value = excluded.value, is_nan = excluded.is_nan
         WHERE (excluded.step, excluded.timestamp) >= (latest_metrics.step, latest_metrics.timestamp)",
    )?;
    for m in metrics {
        let p = m.point;
        let (value, is_nan) = if p.value.is_nan() {
            (None, true)
        } else {
            (Some(p.value), false)
        };
        all.execute(params![run_id, m.key, p.step, p.timestamp, value, is_nan])?;
        latest.execute(params![run_id, m.key, p.step, p.timestamp, value, is_nan])?;
    }
    Ok(())
}

fn insert_params(tx: &Transaction<'_>, run_id: &str, params: &[(String, String)]) -> Result<()> {
    let mut get = tx.prepare_cached("SELECT value FROM params WHERE run_id = ?1 AND key = ?2")?;
    let mut put =
        tx.prepare_cached("INSERT INTO params (run_id, key, value) VALUES (?1, ?2, ?3)")?;
    for (key, value) in params {
        let old: Option<String> = get
            .query_row(params![run_id, key], |r| r.get(0))
            .optional()?;
        match old {
            Some(old) if &old == value => {}
            Some(old) => {
                return Err(RunsError::ParamChanged {
                    run_id: run_id.to_string(),
                    key: key.clone(),
                    old,
                    new: value.clone(),
                });
            }
            None => {
                put.execute(params![run_id, key, value])?;
            }
        }
    }
    Ok(())
}

fn insert_tags(tx: &Transaction<'_>, run_id: &str, tags: &[(String, String)]) -> Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
    )?;
    for (key, value) in tags {
        put.execute(params![run_id, key, value])?;
        // The name and parent live in columns too, so listings and search need no tag join.
        if key == RUN_NAME_TAG {
            tx.execute(
                "UPDATE runs SET name = ?2 WHERE run_id = ?1",
                params![run_id, value],
            )?;
        }
    }
    Ok(())
}

fn check_batch(
    metrics: &[Metric],
    params: &[(String, String)],
    tags: &[(String, String)],
) -> Result<()> {
    for m in metrics {
        validate::key("metric key", &m.key)?;
    }
    let mut seen = BTreeMap::new();
    for (k, v) in params {
        validate::key("param key", k)?;
        validate::value("param value", k, v, validate::MAX_PARAM_VALUE_LENGTH)?;
        if let Some(old) = seen.insert(k.as_str(), v.as_str())
            && old != v
        {
            return Err(RunsError::invalid(
                "params",
                format!("'{k}' is given twice in one batch with different values"),
            ));
        }
    }
    for (k, v) in tags {
        validate::key("tag key", k)?;
        validate::value("tag value", k, v, validate::MAX_TAG_VALUE_LENGTH)?;
    }
    Ok(())
}

/// A new run's row, worked out (and validated) before its write transaction begins.
struct NewRow {
    run_id: String,
    name: String,
    user: String,
    start: i64,
    parent: Option<String>,
    tags: Vec<(String, String)>,
}

impl NewRow {
    fn of(new: &NewRun) -> Result<Self> {
        let mut tags: Vec<(String, String)> = new
            .tags
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        check_batch(&[], &[], &tags)?;
        let parent = new
            .parent_run_id
            .clone()
            .or_else(|| new.tags.get(PARENT_RUN_TAG).cloned());
        let run_id = new_run_id();
        let name = new
            .name
            .clone()
            .or_else(|| new.tags.get(RUN_NAME_TAG).cloned())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("run-{}", &run_id[..8]));
        validate::name("run name", &name)?;
        let user = new.user_id.clone().unwrap_or_else(clock::current_user);
        let start = new.start_time.unwrap_or_else(clock::now_ms);
        if !new.tags.contains_key(RUN_NAME_TAG) {
            tags.push((RUN_NAME_TAG.to_string(), name.clone()));
        }
        if let Some(p) = &parent
            && !new.tags.contains_key(PARENT_RUN_TAG)
        {
            tags.push((PARENT_RUN_TAG.to_string(), p.clone()));
        }
        Ok(Self {
            run_id,
            name,
            user,
            start,
            parent,
            tags,
        })
    }

    /// Inserts the row and its tags, status `RUNNING`, after checking that its experiment is
    /// active and its parent exists.
    fn insert(&self, tx: &Transaction<'_>, new: &NewRun) -> Result<()> {
        let lifecycle: Option<String> = tx
            .query_row(
                "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?1",
                [new.experiment_id],
                |r| r.get(0),
            )
            .optional()?;
        match lifecycle.as_deref() {
            Some("active") => {}
            Some(_) => {
                return Err(RunsError::invalid(
                    "experiment_id",
                    format!("experiment {} is deleted", new.experiment_id),
                ));
            }
            None => {
                return Err(RunsError::not_found(
                    "experiment",
                    format!("with id {}", new.experiment_id),
                ));
            }
        }
        if let Some(p) = &self.parent {
            run_info_in(tx, p)?;
        }
        let owner = new.owner.as_ref();
        tx.execute(
            "INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time,
                 parent_run_id, pid, host, process_start, heartbeat)
             VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                self.run_id,
                new.experiment_id,
                self.name,
                self.user,
                self.start,
                self.parent,
                owner.map(|o| i64::from(o.pid)),
                owner.map(|o| o.host.clone()),
                owner.and_then(|o| o.process_start.clone()),
                clock::now_ms(),
            ],
        )?;
        insert_tags(tx, &self.run_id, &self.tags)
    }
}

impl Store {
    /// Creates a run (status `RUNNING`).
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for an unknown or deleted experiment or parent;
    /// [`RunsError::Invalid`] for bad tags.
    pub fn create_run(&self, new: &NewRun) -> Result<RunInfo> {
        let row = NewRow::of(new)?;
        self.write(|tx| {
            row.insert(tx, new)?;
            run_info_in(tx, &row.run_id)
        })
    }

    /// Records runs whole after the fact, all in one transaction: each created, its
    /// `metrics`, `params` and `tags` logged, and ended with its `status` (end time now when
    /// the status is terminal). For runs that happened elsewhere, such as tuning trials whose
    /// objective keeps no run of its own: one commit for all of them instead of the three per
    /// run that [`Store::create_run`], [`Store::log_batch`] and [`Store::update_run`] take.
    ///
    /// # Errors
    /// As [`Store::create_run`] and [`Store::log_batch`]; nothing is written on an error.
    pub fn log_runs(&self, runs: &[WholeRun]) -> Result<Vec<RunInfo>> {
        let rows = runs
            .iter()
            .map(|run| {
                check_batch(&run.metrics, &run.params, &run.tags)?;
                NewRow::of(&run.new)
            })
            .collect::<Result<Vec<_>>>()?;
        self.write(|tx| {
            let mut infos = Vec::with_capacity(runs.len());
            for (run, row) in runs.iter().zip(&rows) {
                row.insert(tx, &run.new)?;
                insert_params(tx, &row.run_id, &run.params)?;
                insert_metrics(tx, &row.run_id, &run.metrics)?;
                insert_tags(tx, &row.run_id, &run.tags)?;
                let end = run.status.is_terminal().then(clock::now_ms);
                tx.execute(
                    "UPDATE runs SET status = ?2, end_time = ?3 WHERE run_id = ?1",
                    params![row.run_id, run.status.as_str(), end],
                )?;
                infos.push(run_info_in(tx, &row.run_id)?);
            }
            Ok(infos)
        })
    }

    /// A run with its latest metrics, params, tags and inputs.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn run(&self, run_id: &str) -> Result<Run> {
        self.read(|tx| {
            let info = run_info_in(tx, run_id)?;
            Ok(runs_in(tx, vec![info])?.remove(0))
        })
    }

    /// A run's identity and state.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn run_info(&self, run_id: &str) -> Result<RunInfo> {
        self.read(|tx| run_info_in(tx, run_id))
    }

    /// Finds a run by its full id, a unique prefix of it (at least 4 digits), or its exact
    /// name (the most recent run of that name), as `kiln runs show` takes them.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] when nothing matches; [`RunsError::Invalid`] when a prefix is
    /// ambiguous.
    pub fn resolve_run(&self, given: &str) -> Result<RunInfo> {
        self.read(|tx| {
            if validate::run_id(given).is_ok() {
                return run_info_in(tx, given);
            }
            let is_prefix =
                given.len() >= 4 && given.bytes().all(|b| b.is_ascii_hexdigit()) && given.len() < 32;
            if is_prefix {
                let lower = given.to_ascii_lowercase();
                let ids: Vec<String> = tx
                    .prepare_cached("SELECT run_id FROM runs WHERE run_id >= ?1 AND run_id < ?2 LIMIT 2")?
                    .query_map(params![lower, format!("{lower}g")], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                match ids.as_slice() {
                    [one] => return run_info_in(tx, one),
                    [_, _] => {
                        return Err(RunsError::invalid(
                            "run",
                            format!("'{given}' is the start of several run ids; give more digits"),
                        ));
                    }
                    _ => {}
                }
            }
            tx.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE name = ?1 ORDER BY start_time DESC, run_id LIMIT 1"
            ))?
            .query_row([given], run_info_from_row)
            .optional()?
            .ok_or_else(|| {
                RunsError::not_found("run", format!("'{}' (by id, id prefix or name)", validate::printable(given)))
            })
        })
    }

    /// Sets a run's status, end time and/or name (MLflow's `runs/update`).
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::RunNotActive`] for a deleted run.
    pub fn update_run(
        &self,
        run_id: &str,
        status: Option<RunStatus>,
        end_time: Option<i64>,
        name: Option<&str>,
    ) -> Result<RunInfo> {
        if let Some(n) = name {
            validate::name("run name", n)?;
        }
        self.write(|tx| {
            writable(tx, run_id, "updating")?;
            if let Some(status) = status {
                let end = if status.is_terminal() {
                    Some(end_time.unwrap_or_else(clock::now_ms))
                } else {
                    end_time
                };
                tx.execute(
                    "UPDATE runs SET status = ?2, end_time = COALESCE(?3, end_time) WHERE run_id = ?1",
                    params![run_id, status.as_str(), end],
                )?;
            } else if let Some(end) = end_time {
                tx.execute(
                    "UPDATE runs SET end_time = ?2 WHERE run_id = ?1",
                    params![run_id, end],
                )?;
            }
            if let Some(n) = name {
                insert_tags(tx, run_id, &[(RUN_NAME_TAG.to_string(), n.to_string())])?;
            }
            run_info_in(tx, run_id)
        })
    }

    /// Soft-deletes or restores a run.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn set_run_lifecycle(&self, run_id: &str, to: Lifecycle) -> Result<()> {
        self.write(|tx| {
            run_info_in(tx, run_id)?;
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?2 WHERE run_id = ?1",
                params![run_id, to.as_str()],
            )?;
            Ok(())
        })
    }

    /// Logs metrics, params and tags in one transaction: all or nothing.
    ///
    /// # Errors
    /// [`RunsError::ParamChanged`] when a param had another value; [`RunsError::Invalid`] for
    /// bad keys or over-long values; [`RunsError::NotFound`]; [`RunsError::RunNotActive`].
    pub fn log_batch(
        &self,
        run_id: &str,
        metrics: &[Metric],
        params: &[(String, String)],
        tags: &[(String, String)],
    ) -> Result<()> {
        check_batch(metrics, params, tags)?;
        self.write(|tx| {
            writable(tx, run_id, "logging")?;
            insert_params(tx, run_id, params)?;
            insert_metrics(tx, run_id, metrics)?;
            insert_tags(tx, run_id, tags)?;
            Ok(())
        })
    }

    /// Deletes a run tag.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the run or the tag.
    pub fn delete_tag(&self, run_id: &str, key: &str) -> Result<()> {
        self.write(|tx| {
            writable(tx, run_id, "deleting a tag")?;
            let n = tx.execute(
                "DELETE FROM tags WHERE run_id = ?1 AND key = ?2",
                params![run_id, key],
            )?;
            if n == 0 {
                return Err(RunsError::not_found(
                    "tag",
                    format!("'{}' on run {run_id}", validate::printable(key)),
                ));
            }
            Ok(())
        })
    }

    /// Every point of one metric, by step then timestamp.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the run.
    pub fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<MetricPoint>> {
        self.read(|tx| {
            run_info_in(tx, run_id)?;
            Ok(tx
                .prepare_cached(
                    "SELECT value, is_nan, timestamp, step FROM metrics
                     WHERE run_id = ?1 AND key = ?2 ORDER BY step, timestamp, rowid",
                )?
                .query_map(params![run_id, key], |r| {
                    Ok(MetricPoint {
                        value: metric_value(r.get(0)?, r.get(1)?),
                        timestamp: r.get(2)?,
                        step: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Every metric's history, by key.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the run.
    pub fn metric_histories(&self, run_id: &str) -> Result<BTreeMap<String, Vec<MetricPoint>>> {
        self.read(|tx| {
            run_info_in(tx, run_id)?;
            let mut out: BTreeMap<String, Vec<MetricPoint>> = BTreeMap::new();
            let mut stmt = tx.prepare_cached(
                "SELECT key, value, is_nan, timestamp, step FROM metrics
                 WHERE run_id = ?1 ORDER BY key, step, timestamp, rowid",
            )?;
            let rows = stmt.query_map([run_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    MetricPoint {
                        value: metric_value(r.get(1)?, r.get(2)?),
                        timestamp: r.get(3)?,
                        step: r.get(4)?,
                    },
                ))
            })?;
            for row in rows {
                let (key, point) = row?;
                out.entry(key).or_default().push(point);
            }
            Ok(out)
        })
    }

    /// Records the datasets a run used (the same dataset twice is recorded once, tags updated).
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::RunNotActive`], [`RunsError::Invalid`].
    pub fn log_inputs(&self, run_id: &str, inputs: &[DatasetInput]) -> Result<()> {
        for input in inputs {
            validate::name("dataset name", &input.dataset.name)?;
            if input.dataset.digest.is_empty() {
                return Err(RunsError::invalid("dataset digest", "empty"));
            }
        }
        self.write(|tx| {
            let info = writable(tx, run_id, "logging inputs")?;
            for input in inputs {
                let d = &input.dataset;
                tx.execute(
                    "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, profile)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (experiment_id, name, digest) DO NOTHING",
                    params![info.experiment_id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile],
                )?;
                let id: i64 = tx.query_row(
                    "SELECT dataset_id FROM datasets WHERE experiment_id = ?1 AND name = ?2 AND digest = ?3",
                    params![info.experiment_id, d.name, d.digest],
                    |r| r.get(0),
                )?;
                let tags = serde_json::to_string(&input.tags).unwrap_or_else(|_| "{}".to_string());
                tx.execute(
                    "INSERT INTO run_inputs (run_id, dataset_id, tags) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run_id, dataset_id) DO UPDATE SET tags = excluded.tags",
                    params![run_id, id, tags],
                )?;
            }
            Ok(())
        })
    }

    /// Makes `owner` the owner of `run_id` and sets it `RUNNING` again (no end time): how a
    /// resumed study takes its run back after a crash.
    ///
    /// # Errors
    /// [`RunsError::Owned`] while another live process owns the run (on this host by its pid,
    /// elsewhere by a fresh heartbeat); [`RunsError::NotFound`]; [`RunsError::RunNotActive`]
    /// for a deleted run.
    pub fn take_over_run(&self, run_id: &str, owner: &Owner) -> Result<()> {
        self.write(|tx| {
            writable(tx, run_id, "resuming")?;
            let (status, current, heartbeat): (String, Option<Owner>, i64) = tx.query_row(
                "SELECT status, pid, host, process_start, heartbeat FROM runs WHERE run_id = ?1",
                [run_id],
                |r| {
                    let pid: Option<i64> = r.get(1)?;
                    Ok((
                        r.get(0)?,
                        pid.map(|pid| Owner {
                            pid: pid as u32,
                            host: r
                                .get::<_, Option<String>>(2)
                                .ok()
                                .flatten()
                                .unwrap_or_default(),
                            process_start: r.get(3).ok().flatten(),
                        }),
                        r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    ))
                },
            )?;
            if status == "RUNNING"
                && let Some(current) = current
                && current != *owner
            {
                let stale = clock::now_ms() - heartbeat > HEARTBEAT_STALE.as_millis() as i64;
                let alive = current.alive_here().unwrap_or(!stale);
                if alive {
                    return Err(RunsError::Owned {
                        run_id: run_id.to_string(),
                        pid: current.pid,
                        host: current.host,
                    });
                }
            }
            tx.execute(
                "UPDATE runs SET status = 'RUNNING', end_time = NULL, pid = ?2, host = ?3,
                     process_start = ?4, heartbeat = ?5 WHERE run_id = ?1",
                params![
                    run_id,
                    i64::from(owner.pid),
                    owner.host,
                    owner.process_start,
                    clock::now_ms()
                ],
            )?;
            Ok(())
        })
    }

    /// The runs whose parent is `run_id`, oldest first.
    ///
    /// # Errors
    /// On a database error.
    pub fn child_runs(&self, run_id: &str) -> Result<Vec<RunInfo>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(&format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE parent_run_id = ?1 ORDER BY start_time, run_id"
                ))?
                .query_map([run_id], run_info_from_row)?
                .collect::<Result<Vec<_>, _>>()?)
        })
    }
}
