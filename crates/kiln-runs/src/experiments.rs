//! Experiments: named groups of runs. Id 0 is "Default", made with the store.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, params};

use crate::clock;
use crate::entity::{Experiment, ExperimentId, Lifecycle};
use crate::error::{Result, RunsError};
use crate::store::Store;
use crate::validate;

/// Which experiments or runs a listing shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ViewType {
    /// Only live ones (the default everywhere).
    #[default]
    ActiveOnly,
    /// Only soft-deleted ones.
    DeletedOnly,
    /// Both.
    All,
}

impl ViewType {
    /// The SQL condition on a `lifecycle_stage` column.
    pub(crate) fn condition(self, column: &str) -> String {
        match self {
            Self::ActiveOnly => format!("{column} = 'active'"),
            Self::DeletedOnly => format!("{column} = 'deleted'"),
            Self::All => "1 = 1".to_string(),
        }
    }
}

fn experiment_row(tx: &Transaction<'_>, id: ExperimentId) -> Result<Option<Experiment>> {
    let row = tx
        .query_row(
            "SELECT name, lifecycle_stage, creation_time, last_update_time
             FROM experiments WHERE experiment_id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((name, lifecycle, creation_time, last_update_time)) = row else {
        return Ok(None);
    };
    let mut stmt =
        tx.prepare_cached("SELECT key, value FROM experiment_tags WHERE experiment_id = ?1")?;
    let tags = stmt
        .query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    Ok(Some(Experiment {
        id,
        name,
        artifact_location: format!("mlflow-artifacts:/{id}"),
        lifecycle: lifecycle.parse()?,
        creation_time,
        last_update_time,
        tags,
    }))
}

impl Store {
    /// Creates an experiment.
    ///
    /// # Errors
    /// [`RunsError::AlreadyExists`] when the name is taken (by a deleted one too);
    /// [`RunsError::Invalid`] for a bad name or tag.
    pub fn create_experiment(
        &self,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<ExperimentId> {
        validate::name("experiment name", name)?;
        for (k, v) in tags {
            validate::key("tag key", k)?;
            validate::value("tag value", k, v, validate::MAX_TAG_VALUE_LENGTH)?;
        }
        self.write(|tx| {
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(RunsError::AlreadyExists {
                    kind: "experiment",
                    name: format!("'{name}'"),
                });
            }
            let now = clock::now_ms();
            tx.execute(
                "INSERT INTO experiments (name, creation_time, last_update_time) VALUES (?1, ?2, ?2)",
                params![name, now],
            )?;
            let id = tx.last_insert_rowid();
            for (k, v) in tags {
                tx.execute(
                    "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)",
                    params![id, k, v],
                )?;
            }
            Ok(id)
        })
    }

    /// An experiment by id.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] when there is none.
    pub fn experiment(&self, id: ExperimentId) -> Result<Experiment> {
        self.read(|tx| experiment_row(tx, id))?
            .ok_or_else(|| RunsError::not_found("experiment", format!("with id {id}")))
    }

    /// An experiment by name.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] when there is none.
    pub fn experiment_by_name(&self, name: &str) -> Result<Experiment> {
        self.read(|tx| {
            let id: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            match id {
                Some(id) => experiment_row(tx, id),
                None => Ok(None),
            }
        })?
        .ok_or_else(|| RunsError::not_found("experiment", format!("named '{name}'")))
    }

    /// The id of the experiment called `name`, creating it when missing (kiln's
    /// `--experiment NAME`). A deleted one is refused rather than silently written to.
    ///
    /// # Errors
    /// As [`Store::create_experiment`]; [`RunsError::RunNotActive`]-like refusal for a deleted
    /// experiment is [`RunsError::Invalid`].
    pub fn experiment_id_for(&self, name: &str) -> Result<ExperimentId> {
        match self.experiment_by_name(name) {
            Ok(e) if e.lifecycle == Lifecycle::Deleted => Err(RunsError::invalid(
                "experiment",
                format!("'{name}' is deleted; restore it or choose another name"),
            )),
            Ok(e) => Ok(e.id),
            Err(RunsError::NotFound { .. }) => {
                match self.create_experiment(name, &BTreeMap::new()) {
                    // Another process created it between the two calls.
                    Err(RunsError::AlreadyExists { .. }) => Ok(self.experiment_by_name(name)?.id),
                    other => other,
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Every experiment in `view`, by id.
    ///
    /// # Errors
    /// On a database error.
    pub fn experiments(&self, view: ViewType) -> Result<Vec<Experiment>> {
        self.read(|tx| {
            let ids: Vec<i64> = tx
                .prepare(&format!(
                    "SELECT experiment_id FROM experiments WHERE {} ORDER BY experiment_id",
                    view.condition("lifecycle_stage")
                ))?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(e) = experiment_row(tx, id)? {
                    out.push(e);
                }
            }
            Ok(out)
        })
    }

    /// Renames an experiment.
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::AlreadyExists`], [`RunsError::Invalid`].
    pub fn rename_experiment(&self, id: ExperimentId, new_name: &str) -> Result<()> {
        validate::name("experiment name", new_name)?;
        self.write(|tx| {
            if experiment_row(tx, id)?.is_none() {
                return Err(RunsError::not_found("experiment", format!("with id {id}")));
            }
            let taken: Option<i64> = tx
                .query_row(
                    "SELECT experiment_id FROM experiments WHERE name = ?1 AND experiment_id != ?2",
                    params![new_name, id],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(RunsError::AlreadyExists {
                    kind: "experiment",
                    name: format!("'{new_name}'"),
                });
            }
            tx.execute(
                "UPDATE experiments SET name = ?2, last_update_time = ?3 WHERE experiment_id = ?1",
                params![id, new_name, clock::now_ms()],
            )?;
            Ok(())
        })
    }

    /// Soft-deletes (`Deleted`) or restores (`Active`) an experiment and its runs, as MLflow does.
    ///
    /// # Errors
    /// [`RunsError::NotFound`]; deleting "Default" (id 0) is [`RunsError::Invalid`].
    pub fn set_experiment_lifecycle(&self, id: ExperimentId, to: Lifecycle) -> Result<()> {
        if id == crate::entity::DEFAULT_EXPERIMENT && to == Lifecycle::Deleted {
            return Err(RunsError::invalid(
                "experiment_id",
                "the Default experiment (id 0) cannot be deleted",
            ));
        }
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE experiments SET lifecycle_stage = ?2, last_update_time = ?3 WHERE experiment_id = ?1",
                params![id, to.as_str(), clock::now_ms()],
            )?;
            if n == 0 {
                return Err(RunsError::not_found("experiment", format!("with id {id}")));
            }
            tx.execute(
                "UPDATE runs SET lifecycle_stage = ?2 WHERE experiment_id = ?1",
                params![id, to.as_str()],
            )?;
            Ok(())
        })
    }

    /// Sets (or overwrites) an experiment tag.
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::Invalid`].
    pub fn set_experiment_tag(&self, id: ExperimentId, key: &str, value: &str) -> Result<()> {
        validate::key("tag key", key)?;
        validate::value("tag value", key, value, validate::MAX_TAG_VALUE_LENGTH)?;
        self.write(|tx| {
            if experiment_row(tx, id)?.is_none() {
                return Err(RunsError::not_found("experiment", format!("with id {id}")));
            }
            tx.execute(
                "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                params![id, key, value],
            )?;
            Ok(())
        })
    }
}
