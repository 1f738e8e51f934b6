//! The model registry: named models, numbered versions (from a run's model file, a file, or an
//! MLflow source URI), and aliases (`champion`, `staging`) that move between versions with every
//! move kept in an audit log. `models:/NAME@ALIAS` and `models:/NAME/VERSION` resolve here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Transaction, params};

use crate::clock;
use crate::entity::{AliasChange, ModelVersion, RegisteredModel};
use crate::error::{Result, RunsError};
use crate::runs::run_info_in;
use crate::store::Store;
use crate::validate;

/// The artifact path kiln stores a run's model file at.
pub const MODEL_ARTIFACT: &str = "model.kiln";

/// A `models:/` URI resolved to one version.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    /// The version (with its name, source and digest).
    pub version: ModelVersion,
    /// The alias the URI named, if it named one.
    pub alias: Option<String>,
    /// The model file in the artifact store.
    pub path: PathBuf,
}

/// What a `models:/` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelUri {
    /// `models:/NAME/VERSION`.
    Version {
        /// The registered model.
        name: String,
        /// The version.
        version: i64,
    },
    /// `models:/NAME@ALIAS`.
    Alias {
        /// The registered model.
        name: String,
        /// The alias.
        alias: String,
    },
}

impl ModelUri {
    /// Parses `models:/NAME/VERSION` or `models:/NAME@ALIAS`; `None` when `text` is not a
    /// `models:/` URI at all.
    ///
    /// # Errors
    /// [`RunsError::Invalid`] for a `models:/` URI of another shape.
    pub fn parse(text: &str) -> Option<Result<Self>> {
        let rest = text.strip_prefix("models:/")?;
        let bad = || {
            Err(RunsError::invalid(
                "model uri",
                format!("'{text}': expected models:/NAME/VERSION or models:/NAME@ALIAS"),
            ))
        };
        Some(if let Some((name, alias)) = rest.rsplit_once('@') {
            if name.is_empty() || alias.is_empty() || alias.contains('/') {
                bad()
            } else {
                Ok(Self::Alias {
                    name: name.to_string(),
                    alias: alias.to_string(),
                })
            }
        } else if let Some((name, version)) = rest.rsplit_once('/') {
            match version.parse::<i64>() {
                Ok(v) if v > 0 && !name.is_empty() => Ok(Self::Version {
                    name: name.to_string(),
                    version: v,
                }),
                _ => bad(),
            }
        } else {
            bad()
        })
    }
}

fn check_model_name(name: &str) -> Result<()> {
    validate::name("registered model name", name)?;
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '@' | ':' | '%')) {
        return Err(RunsError::invalid(
            "registered model name",
            format!("'{name}' holds '{c}', which models:/ URIs reserve"),
        ));
    }
    Ok(())
}

fn check_alias(alias: &str) -> Result<()> {
    let ok_chars = !alias.is_empty()
        && alias.len() <= 255
        && alias
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !ok_chars {
        return Err(RunsError::invalid(
            "alias",
            format!(
                "'{}': 1–255 letters, digits, '_' or '-'",
                validate::printable(alias)
            ),
        ));
    }
    let lower = alias.to_ascii_lowercase();
    if lower == "latest" || (lower.starts_with('v') && lower[1..].parse::<u64>().is_ok()) {
        return Err(RunsError::invalid(
            "alias",
            format!("'{alias}' is reserved ('latest' and v<number> name versions)"),
        ));
    }
    Ok(())
}

fn model_in(tx: &Transaction<'_>, name: &str) -> Result<RegisteredModel> {
    let row: Option<(String, String, i64, i64)> = tx
        .query_row(
            "SELECT name, description, creation_time, last_update_time FROM registered_models WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (name, description, creation_time, last_update_time) =
        row.ok_or_else(|| RunsError::not_found("registered model", format!("'{name}'")))?;
    let tags = tx
        .prepare_cached("SELECT key, value FROM registered_model_tags WHERE name = ?1")?
        .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let aliases = tx
        .prepare_cached("SELECT alias, version FROM aliases WHERE name = ?1")?
        .query_map([&name], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let latest_version: Option<i64> = tx.query_row(
        "SELECT MAX(version) FROM model_versions WHERE name = ?1",
        [&name],
        |r| r.get(0),
    )?;
    Ok(RegisteredModel {
        name,
        description,
        creation_time,
        last_update_time,
        tags,
        aliases,
        latest_version,
    })
}

fn version_in(tx: &Transaction<'_>, name: &str, version: i64) -> Result<ModelVersion> {
    let row = tx
        .query_row(
            "SELECT source, run_id, digest, description, user_id, stage, creation_time, last_update_time
             FROM model_versions WHERE name = ?1 AND version = ?2",
            params![name, version],
            |r| {
                Ok(ModelVersion {
                    name: name.to_string(),
                    version,
                    source: r.get(0)?,
                    run_id: r.get(1)?,
                    digest: r.get(2)?,
                    description: r.get(3)?,
                    user_id: r.get(4)?,
                    stage: r.get(5)?,
                    creation_time: r.get(6)?,
                    last_update_time: r.get(7)?,
                    tags: BTreeMap::new(),
                    aliases: Vec::new(),
                })
            },
        )
        .optional()?;
    let mut v = row.ok_or_else(|| {
        RunsError::not_found("model version", format!("'{name}' version {version}"))
    })?;
    v.tags = tx
        .prepare_cached(
            "SELECT key, value FROM model_version_tags WHERE name = ?1 AND version = ?2",
        )?
        .query_map(params![name, version], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    v.aliases = tx
        .prepare_cached(
            "SELECT alias FROM aliases WHERE name = ?1 AND version = ?2 ORDER BY alias",
        )?
        .query_map(params![name, version], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// The digest of a run's artifact, when `source` names one this store holds:
/// `runs:/RUN/PATH` or `mlflow-artifacts:/EXP/RUN/artifacts/PATH`.
fn source_digest(
    tx: &Transaction<'_>,
    source: &str,
    run_id: Option<&str>,
) -> Result<Option<(String, String)>> {
    let (run, path) = if let Some(rest) = source.strip_prefix("runs:/") {
        match rest.split_once('/') {
            Some((run, path)) => (run.to_string(), path.to_string()),
            None => return Ok(None),
        }
    } else if let Some(rest) = source.strip_prefix("mlflow-artifacts:/") {
        let parts: Vec<&str> = rest.splitn(4, '/').collect();
        match parts.as_slice() {
            [_, run, "artifacts", path] => ((*run).to_string(), (*path).to_string()),
            _ => return Ok(None),
        }
    } else {
        return Ok(None);
    };
    if run_id.is_some_and(|r| r != run) || validate::run_id(&run).is_err() {
        return Ok(None);
    }
    let Ok(path) = validate::artifact_path(&path) else {
        return Ok(None);
    };
    // A folder source (MLflow's `model/` directory): a kiln model file inside it counts.
    let digest: Option<String> = tx
        .query_row(
            "SELECT digest FROM artifacts WHERE run_id = ?1 AND (path = ?2 OR path = ?3)
             ORDER BY length(path) LIMIT 1",
            params![run, path, format!("{path}/{MODEL_ARTIFACT}")],
            |r| r.get(0),
        )
        .optional()?;
    Ok(digest.map(|d| (run, d)))
}

impl Store {
    /// Creates a registered model.
    ///
    /// # Errors
    /// [`RunsError::AlreadyExists`], [`RunsError::Invalid`].
    pub fn create_registered_model(
        &self,
        name: &str,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<RegisteredModel> {
        check_model_name(name)?;
        for (k, v) in tags {
            validate::key("tag key", k)?;
            validate::value("tag value", k, v, validate::MAX_TAG_VALUE_LENGTH)?;
        }
        self.write(|tx| {
            let now = clock::now_ms();
            let n = tx.execute(
                "INSERT INTO registered_models (name, description, creation_time, last_update_time)
                 VALUES (?1, ?2, ?3, ?3) ON CONFLICT (name) DO NOTHING",
                params![name, description, now],
            )?;
            if n == 0 {
                return Err(RunsError::AlreadyExists {
                    kind: "registered model",
                    name: format!("'{name}'"),
                });
            }
            for (k, v) in tags {
                tx.execute(
                    "INSERT INTO registered_model_tags (name, key, value) VALUES (?1, ?2, ?3)",
                    params![name, k, v],
                )?;
            }
            model_in(tx, name)
        })
    }

    /// A registered model.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.read(|tx| model_in(tx, name))
    }

    /// Every registered model, by name.
    ///
    /// # Errors
    /// On a database error.
    pub fn registered_models(&self) -> Result<Vec<RegisteredModel>> {
        self.read(|tx| {
            let names: Vec<String> = tx
                .prepare_cached("SELECT name FROM registered_models ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            names.iter().map(|n| model_in(tx, n)).collect()
        })
    }

    /// Sets a registered model's description.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn update_registered_model(
        &self,
        name: &str,
        description: &str,
    ) -> Result<RegisteredModel> {
        self.write(|tx| {
            model_in(tx, name)?;
            tx.execute(
                "UPDATE registered_models SET description = ?2, last_update_time = ?3 WHERE name = ?1",
                params![name, description, clock::now_ms()],
            )?;
            model_in(tx, name)
        })
    }

    /// Renames a registered model, its versions, tags, aliases and alias log.
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::AlreadyExists`], [`RunsError::Invalid`].
    pub fn rename_registered_model(&self, name: &str, new_name: &str) -> Result<RegisteredModel> {
        check_model_name(new_name)?;
        self.write(|tx| {
            model_in(tx, name)?;
            if model_in(tx, new_name).is_ok() {
                return Err(RunsError::AlreadyExists {
                    kind: "registered model",
                    name: format!("'{new_name}'"),
                });
            }
            for table in [
                "registered_models",
                "registered_model_tags",
                "model_versions",
                "model_version_tags",
                "aliases",
                "alias_log",
            ] {
                tx.execute(
                    &format!("UPDATE {table} SET name = ?2 WHERE name = ?1"),
                    params![name, new_name],
                )?;
            }
            model_in(tx, new_name)
        })
    }

    /// Deletes a registered model with its versions and aliases (the alias log is kept).
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn delete_registered_model(&self, name: &str) -> Result<()> {
        self.write(|tx| {
            model_in(tx, name)?;
            for table in [
                "registered_models",
                "registered_model_tags",
                "model_versions",
                "model_version_tags",
                "aliases",
            ] {
                tx.execute(&format!("DELETE FROM {table} WHERE name = ?1"), [name])?;
            }
            Ok(())
        })
    }

    /// Sets (`Some`) or deletes (`None`) a registered model's tag.
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::Invalid`].
    pub fn set_registered_model_tag(
        &self,
        name: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        validate::key("tag key", key)?;
        if let Some(v) = value {
            validate::value("tag value", key, v, validate::MAX_TAG_VALUE_LENGTH)?;
        }
        self.write(|tx| {
            model_in(tx, name)?;
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO registered_model_tags (name, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
                    params![name, key, v],
                )?,
                None => tx.execute(
                    "DELETE FROM registered_model_tags WHERE name = ?1 AND key = ?2",
                    params![name, key],
                )?,
            };
            Ok(())
        })
    }

    /// Creates the next version of `name` from `source` (MLflow's `model-versions/create`).
    /// When `source` names a run artifact this store holds (`runs:/RUN/PATH`,
    /// `mlflow-artifacts:/EXP/RUN/artifacts/PATH`), the version records its digest, so kiln can
    /// serve it.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the model or the run; [`RunsError::Invalid`].
    pub fn create_model_version(
        &self,
        name: &str,
        source: &str,
        run_id: Option<&str>,
        description: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<ModelVersion> {
        for (k, v) in tags {
            validate::key("tag key", k)?;
            validate::value("tag value", k, v, validate::MAX_TAG_VALUE_LENGTH)?;
        }
        self.write(|tx| {
            model_in(tx, name)?;
            if let Some(r) = run_id {
                run_info_in(tx, r)?;
            }
            let (run, digest) = match source_digest(tx, source, run_id)? {
                Some((run, digest)) => (Some(run), Some(digest)),
                None => (run_id.map(str::to_string), None),
            };
            insert_version(
                tx,
                name,
                source,
                run.as_deref(),
                digest.as_deref(),
                description,
                tags,
            )
        })
    }

    /// Registers the model file of run `run_id` (its [`MODEL_ARTIFACT`]) as the next version of
    /// `name`, creating the registered model when missing (`kiln models register NAME RUN`).
    ///
    /// # Errors
    /// [`RunsError::NotFound`] when the run has no model file.
    pub fn register_run(&self, name: &str, run_id: &str) -> Result<ModelVersion> {
        check_model_name(name)?;
        self.write(|tx| {
            run_info_in(tx, run_id)?;
            let digest: Option<String> = tx
                .query_row(
                    "SELECT digest FROM artifacts WHERE run_id = ?1 AND path = ?2",
                    params![run_id, MODEL_ARTIFACT],
                    |r| r.get(0),
                )
                .optional()?;
            let digest = digest.ok_or_else(|| {
                RunsError::not_found("model file", format!("'{MODEL_ARTIFACT}' in run {run_id}"))
            })?;
            ensure_model(tx, name)?;
            insert_version(
                tx,
                name,
                &format!("runs:/{run_id}/{MODEL_ARTIFACT}"),
                Some(run_id),
                Some(&digest),
                "",
                &BTreeMap::new(),
            )
        })
    }

    /// Registers a model file (copied into the artifact store) as the next version of `name`,
    /// creating the registered model when missing.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn register_file(&self, name: &str, file: &Path) -> Result<ModelVersion> {
        check_model_name(name)?;
        let mut f = std::fs::File::open(file).map_err(|source| RunsError::Io {
            action: "reading",
            path: file.to_path_buf(),
            source,
        })?;
        let blob = self.put_blob(&mut f)?;
        let source = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        self.write(|tx| {
            ensure_model(tx, name)?;
            insert_version(
                tx,
                name,
                &source.display().to_string(),
                None,
                Some(&blob.digest),
                "",
                &BTreeMap::new(),
            )
        })
    }

    /// One version.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn model_version(&self, name: &str, version: i64) -> Result<ModelVersion> {
        self.read(|tx| version_in(tx, name, version))
    }

    /// Every version of `name`, newest first.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the model.
    pub fn model_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        self.read(|tx| {
            model_in(tx, name)?;
            let versions: Vec<i64> = tx
                .prepare_cached(
                    "SELECT version FROM model_versions WHERE name = ?1 ORDER BY version DESC",
                )?
                .query_map([name], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            versions
                .into_iter()
                .map(|v| version_in(tx, name, v))
                .collect()
        })
    }

    /// Every version of every model (for searches over versions), by name then version.
    ///
    /// # Errors
    /// On a database error.
    pub fn all_model_versions(&self) -> Result<Vec<ModelVersion>> {
        self.read(|tx| {
            let keys: Vec<(String, i64)> = tx
                .prepare_cached("SELECT name, version FROM model_versions ORDER BY name, version")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            keys.into_iter()
                .map(|(n, v)| version_in(tx, &n, v))
                .collect()
        })
    }

    /// Sets a version's description and/or stage.
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn update_model_version(
        &self,
        name: &str,
        version: i64,
        description: Option<&str>,
        stage: Option<&str>,
    ) -> Result<ModelVersion> {
        self.write(|tx| {
            version_in(tx, name, version)?;
            tx.execute(
                "UPDATE model_versions SET description = COALESCE(?3, description),
                     stage = COALESCE(?4, stage), last_update_time = ?5
                 WHERE name = ?1 AND version = ?2",
                params![name, version, description, stage, clock::now_ms()],
            )?;
            version_in(tx, name, version)
        })
    }

    /// Deletes a version and the aliases pointing at it (logged as deleted).
    ///
    /// # Errors
    /// [`RunsError::NotFound`].
    pub fn delete_model_version(&self, name: &str, version: i64) -> Result<()> {
        let user = clock::current_user();
        self.write(|tx| {
            let v = version_in(tx, name, version)?;
            for alias in &v.aliases {
                log_alias(tx, name, alias, Some(version), None, &user)?;
            }
            tx.execute(
                "DELETE FROM aliases WHERE name = ?1 AND version = ?2",
                params![name, version],
            )?;
            tx.execute(
                "DELETE FROM model_version_tags WHERE name = ?1 AND version = ?2",
                params![name, version],
            )?;
            tx.execute(
                "DELETE FROM model_versions WHERE name = ?1 AND version = ?2",
                params![name, version],
            )?;
            Ok(())
        })
    }

    /// Sets (`Some`) or deletes (`None`) a version's tag.
    ///
    /// # Errors
    /// [`RunsError::NotFound`], [`RunsError::Invalid`].
    pub fn set_model_version_tag(
        &self,
        name: &str,
        version: i64,
        key: &str,
        value: Option<&str>,
    ) -> Result<()> {
        validate::key("tag key", key)?;
        if let Some(v) = value {
            validate::value("tag value", key, v, validate::MAX_TAG_VALUE_LENGTH)?;
        }
        self.write(|tx| {
            version_in(tx, name, version)?;
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO model_version_tags (name, version, key, value) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value",
                    params![name, version, key, v],
                )?,
                None => tx.execute(
                    "DELETE FROM model_version_tags WHERE name = ?1 AND version = ?2 AND key = ?3",
                    params![name, version, key],
                )?,
            };
            Ok(())
        })
    }

    /// Points `alias` of `name` at `version` (moving it if it pointed elsewhere), logging who
    /// and when.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the model or version; [`RunsError::Invalid`] for a reserved
    /// or malformed alias.
    pub fn set_alias(&self, name: &str, alias: &str, version: i64) -> Result<()> {
        check_alias(alias)?;
        let user = clock::current_user();
        self.write(|tx| {
            version_in(tx, name, version)?;
            let old: Option<i64> = tx
                .query_row(
                    "SELECT version FROM aliases WHERE name = ?1 AND alias = ?2",
                    params![name, alias],
                    |r| r.get(0),
                )
                .optional()?;
            if old == Some(version) {
                return Ok(());
            }
            tx.execute(
                "INSERT INTO aliases (name, alias, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                params![name, alias, version],
            )?;
            tx.execute(
                "UPDATE registered_models SET last_update_time = ?2 WHERE name = ?1",
                params![name, clock::now_ms()],
            )?;
            log_alias(tx, name, alias, old, Some(version), &user)
        })
    }

    /// Removes an alias.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] when the model has no such alias.
    pub fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        let user = clock::current_user();
        self.write(|tx| {
            let old: Option<i64> = tx
                .query_row(
                    "SELECT version FROM aliases WHERE name = ?1 AND alias = ?2",
                    params![name, alias],
                    |r| r.get(0),
                )
                .optional()?;
            let old = old.ok_or_else(|| {
                RunsError::not_found("alias", format!("'{alias}' of registered model '{name}'"))
            })?;
            tx.execute(
                "DELETE FROM aliases WHERE name = ?1 AND alias = ?2",
                params![name, alias],
            )?;
            log_alias(tx, name, alias, Some(old), None, &user)
        })
    }

    /// The version `alias` points at.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the model or the alias.
    pub fn version_by_alias(&self, name: &str, alias: &str) -> Result<ModelVersion> {
        self.read(|tx| {
            model_in(tx, name)?;
            let version: Option<i64> = tx
                .query_row(
                    "SELECT version FROM aliases WHERE name = ?1 AND alias = ?2",
                    params![name, alias],
                    |r| r.get(0),
                )
                .optional()?;
            let version = version.ok_or_else(|| {
                RunsError::not_found("alias", format!("'{alias}' of registered model '{name}'"))
            })?;
            version_in(tx, name, version)
        })
    }

    /// Every alias move of `name`, oldest first.
    ///
    /// # Errors
    /// On a database error.
    pub fn alias_history(&self, name: &str) -> Result<Vec<AliasChange>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT name, alias, old_version, new_version, time, user_id FROM alias_log
                     WHERE name = ?1 ORDER BY id",
                )?
                .query_map([name], |r| {
                    Ok(AliasChange {
                        name: r.get(0)?,
                        alias: r.get(1)?,
                        old_version: r.get(2)?,
                        new_version: r.get(3)?,
                        time: r.get(4)?,
                        user_id: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?)
        })
    }

    /// Resolves a `models:/` URI to a version whose model file this store holds.
    ///
    /// # Errors
    /// [`RunsError::NotFound`] for the model, version or alias, or when the version has no
    /// kiln model file in this store (an MLflow version of another flavour).
    pub fn resolve_model_uri(&self, uri: &ModelUri) -> Result<ResolvedModel> {
        let (version, alias) = match uri {
            ModelUri::Version { name, version } => (self.model_version(name, *version)?, None),
            ModelUri::Alias { name, alias } => {
                (self.version_by_alias(name, alias)?, Some(alias.clone()))
            }
        };
        let digest = version.digest.clone().ok_or_else(|| {
            RunsError::not_found(
                "model file",
                format!(
                    "for '{}' version {} (its source {} is not a kiln model file in this store)",
                    version.name, version.version, version.source
                ),
            )
        })?;
        let path = self.blob_path(&digest)?;
        Ok(ResolvedModel {
            version,
            alias,
            path,
        })
    }
}

fn ensure_model(tx: &Transaction<'_>, name: &str) -> Result<()> {
    let now = clock::now_ms();
    tx.execute(
        "INSERT INTO registered_models (name, creation_time, last_update_time) VALUES (?1, ?2, ?2)
         ON CONFLICT (name) DO NOTHING",
        params![name, now],
    )?;
    Ok(())
}

fn insert_version(
    tx: &Transaction<'_>,
    name: &str,
    source: &str,
    run_id: Option<&str>,
    digest: Option<&str>,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<ModelVersion> {
    let next: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE name = ?1",
        [name],
        |r| r.get(0),
    )?;
    let now = clock::now_ms();
    tx.execute(
        "INSERT INTO model_versions (name, version, source, run_id, digest, description, user_id,
             creation_time, last_update_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            name,
            next,
            source,
            run_id,
            digest,
            description,
            clock::current_user(),
            now
        ],
    )?;
    for (k, v) in tags {
        tx.execute(
            "INSERT INTO model_version_tags (name, version, key, value) VALUES (?1, ?2, ?3, ?4)",
            params![name, next, k, v],
        )?;
    }
    tx.execute(
        "UPDATE registered_models SET last_update_time = ?2 WHERE name = ?1",
        params![name, now],
    )?;
    version_in(tx, name, next)
}

fn log_alias(
    tx: &Transaction<'_>,
    name: &str,
    alias: &str,
    old: Option<i64>,
    new: Option<i64>,
    user: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO alias_log (name, alias, old_version, new_version, time, user_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, alias, old, new, clock::now_ms(), user],
    )?;
    Ok(())
}
