//! The served models (name → version → model) and the server's shared state, with hot swap.
//!
//! A served model is a table model (rows in, predictions out, through its batching worker) or
//! a language model (a prompt in, characters out, through its generation thread), never both:
//! each has only the worker its kind needs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kiln::TrainedModel;
use kiln::data::{FittedInput, FittedOutput};
use sha2::{Digest, Sha256};

use crate::engine::{BatchConfig, BatchObserver, Engine};
use crate::error::ServeError;
use crate::generator::Generator;
use crate::metrics::Metrics;
use crate::model_id::ModelId;
use crate::monitoring::{ModelMonitor, MonitorSettings};

/// A model file to serve, with an optional name and version (by default the spec's name and
/// versions `1`, `2`, … in the order files of that name are given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSource {
    /// The model file.
    pub path: PathBuf,
    /// Served name; the spec's `name` by default.
    pub name: Option<String>,
    /// Served version.
    pub version: Option<String>,
}

impl ModelSource {
    /// Parses `[NAME[:VERSION]=]PATH`.
    pub fn parse(arg: &str) -> Self {
        match arg.split_once('=') {
            Some((id, path)) if !id.is_empty() && !id.contains(['/', '\\']) => {
                let (name, version) = match id.split_once(':') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (id.to_string(), None),
                };
                Self {
                    path: PathBuf::from(path),
                    name: Some(name),
                    version,
                }
            }
            _ => Self {
                path: PathBuf::from(arg),
                name: None,
                version: None,
            },
        }
    }
}

/// Who may use the `/admin/*` routes (reload a model, reload every model).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AdminAccess {
    /// Whoever holds the bearer token; off when no token is set.
    #[default]
    Token,
    /// Also without a token, when the server listens on a loopback address (`kiln serve
    /// --admin-loopback`); off on any other address. Every local process can then reload.
    Loopback,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Dynamic batching and queue bounds.
    pub batch: BatchConfig,
    /// Bearer token required on every route except health checks; it also opens the admin
    /// routes. `None`: the other routes are open, the admin routes off (see [`AdminAccess`]).
    pub token: Option<String>,
    /// Who may use the admin routes.
    pub admin: AdminAccess,
    /// Folders a reload may read model files from, besides the files the server was started
    /// with (resolved through symbolic links; a link that leads out is refused).
    pub model_roots: Vec<PathBuf>,
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Longest a request may take to send its body and get its answer.
    pub request_timeout: Duration,
    /// Longest a client may take to send its request headers.
    pub header_timeout: Duration,
    /// Longest a graceful shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
    /// Live monitoring of every model whose file holds a reference profile; `None` = off.
    pub monitor: Option<MonitorSettings>,
    /// Also answer MLflow's tracking REST API over this runs store (`kiln serve --tracking`,
    /// `kiln tracking`), behind the same access guard; `None` = off.
    pub tracking: Option<Arc<kiln_runs::Store>>,
    /// Also serve the web UI under `/ui/` (`kiln serve --ui`, `kiln ui`), behind the same
    /// guard; `None` = off.
    pub ui: Option<UiSettings>,
}

/// What the web UI reads.
#[derive(Debug, Clone)]
pub struct UiSettings {
    /// The runs store of its runs, run and registry pages.
    pub store: Arc<kiln_runs::Store>,
    /// Other servers its live page watches (by base URL, from the command line).
    pub remote_live: Vec<kiln_ui::LiveTarget>,
    /// Whether its live page watches this server too (on when it serves models).
    pub local_live: bool,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            batch: BatchConfig::default(),
            token: None,
            admin: AdminAccess::Token,
            model_roots: Vec::new(),
            max_body_bytes: 16 << 20,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(30),
            monitor: Some(MonitorSettings::default()),
            tracking: None,
            ui: None,
        }
    }
}

/// One served model version.
#[derive(Debug)]
pub struct ServedModel {
    /// Name and version.
    pub id: ModelId,
    /// The file it was loaded from (reloaded on swap).
    pub path: PathBuf,
    /// The fitted output: a table model's target, or a language model's characters as classes.
    pub output: FittedOutput,
    /// Trainable parameters.
    pub params: usize,
    /// The metrics stored in the file, by split.
    pub metrics: BTreeMap<String, kiln::Metrics>,
    /// What the model is, with the one worker that runs it.
    pub(crate) kind: ModelKind,
}

/// What a served model is, with the worker that runs it.
#[derive(Debug, Clone)]
pub(crate) enum ModelKind {
    /// Rows in, predictions out (`/invocations`, `/infer`).
    Table(Arc<TableModel>),
    /// A character-level language model: a prompt in, text out (`/generate`).
    Language(Arc<Generator>),
}

/// A served table model: its request schema, its batching worker and its monitor.
#[derive(Debug)]
pub(crate) struct TableModel {
    /// The fitted inputs (the request schema).
    pub(crate) inputs: Vec<FittedInput>,
    /// The credible-interval mass of a Bayesian model's answers (`None`: not Bayesian).
    pub(crate) interval: Option<f64>,
    pub(crate) engine: Engine,
    pub(crate) monitor: Option<Arc<ModelMonitor>>,
}

impl ServedModel {
    /// Whether the model's traffic is monitored.
    pub fn monitored(&self) -> bool {
        self.monitor().is_some()
    }

    /// Whether this is a character-level language model (served by `/generate`, not by
    /// `/invocations` or `/infer`).
    pub fn is_language_model(&self) -> bool {
        matches!(self.kind, ModelKind::Language(_))
    }

    /// Characters generated by this model version since it was loaded (`0` for table models).
    pub fn generated_chars(&self) -> u64 {
        match &self.kind {
            ModelKind::Language(generator) => generator.generated(),
            ModelKind::Table(_) => 0,
        }
    }

    /// The live monitor of a monitored table model.
    pub(crate) fn monitor(&self) -> Option<&Arc<ModelMonitor>> {
        match &self.kind {
            ModelKind::Table(table) => table.monitor.as_ref(),
            ModelKind::Language(_) => None,
        }
    }

    /// Requests waiting in the model's batching queue (`0` for language models, whose
    /// generation queue is not counted).
    fn queue_depth(&self) -> usize {
        match &self.kind {
            ModelKind::Table(table) => table.engine.queue_depth(),
            ModelKind::Language(_) => 0,
        }
    }
}

/// Everything the handlers share.
pub struct AppState {
    models: RwLock<BTreeMap<String, BTreeMap<String, Arc<ServedModel>>>>,
    /// Settings.
    pub config: ServeConfig,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    observer: Option<Arc<dyn BatchObserver>>,
    /// The prediction id counter shared by every model's monitor.
    prediction_ids: Arc<AtomicU64>,
    draining: AtomicBool,
    token_digest: Option<[u8; 32]>,
    /// The files served by [`AppState::add_model`]: what a reload may name besides the model
    /// roots.
    started: RwLock<Vec<StartedFile>>,
}

/// A file the server was started with, as given and as resolved.
#[derive(Debug)]
struct StartedFile {
    /// Absolute, not resolved: naming the path the server was started with reloads it, as
    /// SIGHUP does, wherever its links now lead.
    given: PathBuf,
    /// Resolved through links, when the file exists.
    resolved: Option<PathBuf>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("models", &self.model_ids())
            .field("config", &self.config.batch)
            .finish_non_exhaustive()
    }
}

/// Orders versions numerically when both are numbers, else as text.
fn version_key(v: &str) -> (u8, u64, String) {
    match v.parse::<u64>() {
        Ok(n) => (0, n, String::new()),
        Err(_) => (1, 0, v.to_string()),
    }
}

impl AppState {
    /// An empty server; add models with [`AppState::add_file`] or [`AppState::add_model`].
    pub fn new(config: ServeConfig, observer: Option<Arc<dyn BatchObserver>>) -> Self {
        let token_digest = config
            .token
            .as_deref()
            .map(|t| Sha256::digest(t.as_bytes()).into());
        Self {
            models: RwLock::new(BTreeMap::new()),
            config,
            metrics: Arc::new(Metrics::default()),
            observer,
            prediction_ids: Arc::new(AtomicU64::new(1)),
            draining: AtomicBool::new(false),
            token_digest,
            started: RwLock::new(Vec::new()),
        }
    }

    /// Loads every source, naming and versioning them.
    ///
    /// # Errors
    ///
    /// A file that cannot be loaded, or two models with the same name and version.
    pub fn load(
        config: ServeConfig,
        sources: &[ModelSource],
        observer: Option<Arc<dyn BatchObserver>>,
    ) -> Result<Arc<Self>, ServeError> {
        let state = Self::new(config, observer);
        for source in sources {
            state.add_file(source)?;
        }
        Ok(Arc::new(state))
    }

    /// Loads one file and serves it.
    ///
    /// # Errors
    ///
    /// As [`AppState::load`].
    pub fn add_file(&self, source: &ModelSource) -> Result<ModelId, ServeError> {
        let model = load_model(&source.path)?;
        self.add_model(
            model,
            &source.path,
            source.name.clone(),
            source.version.clone(),
        )
    }

    /// Serves an already loaded model.
    ///
    /// # Errors
    ///
    /// Another model already has this name and version, or the worker cannot start.
    pub fn add_model(
        &self,
        model: TrainedModel,
        path: &Path,
        name: Option<String>,
        version: Option<String>,
    ) -> Result<ModelId, ServeError> {
        let name = name.unwrap_or_else(|| model.header.name.clone());
        let mut models = self.models.write().unwrap_or_else(|e| e.into_inner());
        let versions = models.entry(name.clone()).or_default();
        let version = version.unwrap_or_else(|| (versions.len() + 1).to_string());
        if versions.contains_key(&version) {
            return Err(ServeError::Duplicate { name, version });
        }
        let id = ModelId {
            name: name.clone(),
            version: version.clone(),
        };
        let served = self.start(model, path, id.clone())?;
        versions.insert(version, Arc::new(served));
        if let Ok(given) = std::path::absolute(path) {
            self.started
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push(StartedFile {
                    resolved: given.canonicalize().ok(),
                    given,
                });
        }
        tracing::info!(model = %id.name, version = %id.version, path = %path.display(), "serving");
        Ok(id)
    }

    fn start(
        &self,
        model: TrainedModel,
        path: &Path,
        id: ModelId,
    ) -> Result<ServedModel, ServeError> {
        let output = model.header.encoder.output.clone();
        let params = model.header.params;
        let metrics = model.header.metrics.clone();
        let kind = if model.header.spec.language_model.is_some() {
            ModelKind::Language(Arc::new(Generator::start(
                &model,
                path,
                &id,
                self.config.batch.queue_capacity,
                self.config.request_timeout,
                Arc::clone(&self.metrics),
            )?))
        } else {
            ModelKind::Table(Arc::new(self.start_table(model, &id)?))
        };
        Ok(ServedModel {
            id,
            path: path.to_path_buf(),
            output,
            params,
            metrics,
            kind,
        })
    }

    /// Starts a table model's monitor and batching worker.
    fn start_table(&self, model: TrainedModel, id: &ModelId) -> Result<TableModel, ServeError> {
        let inputs = model.header.encoder.inputs.clone();
        let interval = model.header.bayes.as_ref().map(|b| b.interval);
        let monitor = match &self.config.monitor {
            Some(settings) => ModelMonitor::start(settings, &self.prediction_ids, id, &model)?,
            None => None,
        };
        let engine = Engine::start(
            model,
            id.clone(),
            self.config.batch,
            Arc::clone(&self.metrics),
            monitor.clone(),
            self.observer.clone(),
        )?;
        Ok(TableModel {
            inputs,
            interval,
            engine,
            monitor,
        })
    }

    /// The model `name` at `version`, or its latest version.
    pub fn get(&self, name: &str, version: Option<&str>) -> Option<Arc<ServedModel>> {
        let models = self.models.read().unwrap_or_else(|e| e.into_inner());
        let versions = models.get(name)?;
        match version {
            Some(v) => versions.get(v).cloned(),
            None => versions
                .values()
                .max_by_key(|m| version_key(&m.id.version))
                .cloned(),
        }
    }

    /// Every served model version, ordered by name then version.
    pub fn served(&self) -> Vec<Arc<ServedModel>> {
        let models = self.models.read().unwrap_or_else(|e| e.into_inner());
        models
            .values()
            .flat_map(|v| {
                let mut v: Vec<Arc<ServedModel>> = v.values().cloned().collect();
                v.sort_by_key(|m| version_key(&m.id.version));
                v
            })
            .collect()
    }

    /// The monitoring status of every monitored model version.
    pub fn monitor_statuses(&self) -> Vec<kiln::monitor::MonitorStatus> {
        self.served()
            .iter()
            .filter_map(|m| m.monitor().map(|mon| mon.status()))
            .collect()
    }

    /// Re-evaluates every monitor's state, notifying the webhook of changes.
    pub fn poll_monitors(&self) {
        for m in self.served() {
            if let Some(mon) = m.monitor() {
                mon.poll();
            }
        }
    }

    /// Every served name and version.
    pub fn model_ids(&self) -> Vec<ModelId> {
        let models = self.models.read().unwrap_or_else(|e| e.into_inner());
        models
            .values()
            .flat_map(|v| v.values().map(|m| m.id.clone()))
            .collect()
    }

    /// The versions of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Vec<String> {
        let models = self.models.read().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<String> = models
            .get(name)
            .map(|v| v.keys().cloned().collect())
            .unwrap_or_default();
        v.sort_by_key(|v| version_key(v));
        v
    }

    /// Queue depth by model name (summed over versions).
    pub fn queue_depths(&self) -> Vec<(String, usize)> {
        let models = self.models.read().unwrap_or_else(|e| e.into_inner());
        models
            .iter()
            .map(|(n, v)| (n.clone(), v.values().map(|m| m.queue_depth()).sum()))
            .collect()
    }

    /// Swaps the latest version of `name` for the file at `path` (by default the file it was
    /// loaded from). Blocking: loads the file. Requests already queued on the old model finish
    /// on it; new requests go to the new one; none fails.
    ///
    /// `path` must be one of the files the server was started with, or resolve (through
    /// links) to a regular file under one of [`ServeConfig::model_roots`].
    ///
    /// # Errors
    ///
    /// An unknown name; [`ServeError::PathNotAllowed`] for any other path, whether or not it
    /// exists; a file that cannot be loaded (the old model keeps serving).
    pub fn reload(&self, name: &str, path: Option<&Path>) -> Result<ModelId, ServeError> {
        let current = self
            .get(name, None)
            .ok_or_else(|| ServeError::UnknownModel(name.to_string()))?;
        let path = match path {
            Some(path) => self.allowed_path(path)?,
            None => current.path.clone(),
        };
        self.swap_file(name, &path)
    }

    /// Swaps the latest version of `name` for the file at `path`, which the caller vouches for
    /// (the registry resolved it: an alias moved). Not reachable from a request: the admin
    /// route goes through [`AppState::reload`]'s path check. As `reload`, no request fails.
    ///
    /// # Errors
    ///
    /// An unknown name; a file that cannot be loaded (the old model keeps serving).
    pub fn swap_file(&self, name: &str, path: &Path) -> Result<ModelId, ServeError> {
        let current = self
            .get(name, None)
            .ok_or_else(|| ServeError::UnknownModel(name.to_string()))?;
        let path = path.to_path_buf();
        let model = load_model(&path)?;
        let served = self.start(model, &path, current.id.clone())?;
        let mut models = self.models.write().unwrap_or_else(|e| e.into_inner());
        models
            .entry(name.to_string())
            .or_default()
            .insert(current.id.version.clone(), Arc::new(served));
        drop(models);
        self.metrics.swapped(name);
        tracing::info!(model = %name, version = %current.id.version, path = %path.display(), "model swapped");
        Ok(current.id.clone())
    }

    /// The file a reload may read for `requested`, or [`ServeError::PathNotAllowed`]: a file
    /// the server was started with (as given, or resolved), or a regular file that resolves to
    /// a place under a model root. The refusal is the same whether or not the path exists.
    fn allowed_path(&self, requested: &Path) -> Result<PathBuf, ServeError> {
        let refused = || ServeError::PathNotAllowed {
            path: requested.to_path_buf(),
        };
        let started = self.started.read().unwrap_or_else(|e| e.into_inner());
        if let Ok(given) = std::path::absolute(requested)
            && started.iter().any(|f| f.given == given)
        {
            return Ok(given);
        }
        let resolved = requested.canonicalize().map_err(|_| refused())?;
        if started
            .iter()
            .any(|f| f.resolved.as_ref() == Some(&resolved))
        {
            return Ok(resolved);
        }
        let under_a_root = self.config.model_roots.iter().any(|root| {
            root.canonicalize()
                .is_ok_and(|root| resolved.starts_with(root))
        });
        // A regular file only: a FIFO or a device under a root would block or never end.
        if under_a_root && std::fs::metadata(&resolved).is_ok_and(|m| m.is_file()) {
            return Ok(resolved);
        }
        Err(refused())
    }

    /// Whether the admin routes answer, for a server listening on `listening` (`None`:
    /// unknown, as for a router used without [`crate::serve`]).
    pub fn admin_enabled(&self, listening: Option<std::net::SocketAddr>) -> bool {
        self.has_token()
            || (self.config.admin == AdminAccess::Loopback
                && listening.is_some_and(|a| a.ip().is_loopback()))
    }

    /// Whether a bearer token is configured.
    pub fn has_token(&self) -> bool {
        self.token_digest.is_some()
    }

    /// Reloads every model from its file (SIGHUP).
    ///
    /// # Errors
    ///
    /// The first file that cannot be loaded; the models before it are swapped, the rest keep
    /// serving their old version.
    pub fn reload_all(&self) -> Result<Vec<ModelId>, ServeError> {
        let models: Vec<Arc<ServedModel>> = {
            let models = self.models.read().unwrap_or_else(|e| e.into_inner());
            models.values().flat_map(|v| v.values().cloned()).collect()
        };
        let mut done = Vec::new();
        for m in models {
            let model = load_model(&m.path)?;
            let served = self.start(model, &m.path, m.id.clone())?;
            self.models
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(m.id.name.clone())
                .or_default()
                .insert(m.id.version.clone(), Arc::new(served));
            self.metrics.swapped(&m.id.name);
            done.push(m.id.clone());
        }
        tracing::info!(models = done.len(), "models reloaded");
        Ok(done)
    }

    /// Whether a graceful shutdown has begun (readiness turns false).
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Marks the server as shutting down.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Whether `header` (an `Authorization` value) carries the token; true when no token is
    /// set. Compares SHA-256 digests in constant time, so neither the token's bytes nor its
    /// length leak through timing.
    pub fn authorized(&self, header: Option<&[u8]>) -> bool {
        use subtle::ConstantTimeEq;
        let Some(expected) = &self.token_digest else {
            return true;
        };
        let Some(sent) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
            return false;
        };
        let sent: [u8; 32] = Sha256::digest(sent).into();
        sent.ct_eq(expected).into()
    }

    /// Whether the UI's session cookie (the token's SHA-256 in hex, set by `/ui/login`) is
    /// this server's; true when no token is set.
    pub fn authorized_cookie(&self, cookie_hex: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        let Some(expected) = &self.token_digest else {
            return true;
        };
        let Some(sent) = cookie_hex.and_then(|h| hex::decode(h).ok()) else {
            return false;
        };
        sent.len() == expected.len() && bool::from(sent.as_slice().ct_eq(expected))
    }
}

fn load_model(path: &Path) -> Result<TrainedModel, ServeError> {
    TrainedModel::load(path).map_err(|e| ServeError::Load {
        path: path.to_path_buf(),
        source: Box::new(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_names_and_versions() {
        assert_eq!(
            ModelSource::parse("m.kiln"),
            ModelSource {
                path: "m.kiln".into(),
                name: None,
                version: None
            }
        );
        assert_eq!(
            ModelSource::parse("digits:3=models/m.kiln"),
            ModelSource {
                path: "models/m.kiln".into(),
                name: Some("digits".into()),
                version: Some("3".into())
            }
        );
        assert_eq!(ModelSource::parse("./a=b.kiln").name, None);
    }

    #[test]
    fn versions_sort_numerically() {
        let mut v = vec!["10", "9", "b", "1"];
        v.sort_by_key(|v| version_key(v));
        assert_eq!(v, ["1", "9", "10", "b"]);
    }

    #[test]
    fn token_is_checked() {
        let config = ServeConfig {
            token: Some("s3cret".into()),
            ..ServeConfig::default()
        };
        let state = AppState::new(config, None);
        assert!(state.authorized(Some(b"Bearer s3cret")));
        assert!(!state.authorized(Some(b"Bearer s3cre")));
        assert!(!state.authorized(Some(b"s3cret")));
        assert!(!state.authorized(None));
        assert!(AppState::new(ServeConfig::default(), None).authorized(None));
    }
}
