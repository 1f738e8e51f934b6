//! Hyper-parameter search over a spec (`kiln tune`): the spec's `[tune]` section says what to
//! optimise and over which spec paths; every trial is a training run (a child of the study's
//! run in the runs store), trained with the trial's values applied as overrides.
//!
//! **One process owns a study.** The study's run records this process as its owner; trials
//! run on worker threads of the same process and write to the store through it, so workers
//! never contend for the database file. `kill -9` loses at most the running trials: a trial's
//! result is recorded (tags `kiln.trial.state`, `kiln.trial.value`, `kiln.trial.params`) when
//! it ends, and a resumed study reads the finished trials back and runs the rest. Trial `k`'s
//! values depend only on the seed and trials `0 … k−L` ([`kiln_tune::study`]), so with
//! pruning off a resumed study equals an uninterrupted one, whatever the workers.
//!
//! What a trial reports to the pruner at each epoch: the validation figure the study
//! optimises when the epoch log has it (`validation.accuracy`, `validation.mae`, and the same
//! under `cv_mean.` within each fold), otherwise the validation loss (negated when the study
//! maximises). Folds are pruning groups: fold 2 of a trial is compared with fold 2 of others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiln_data::Cache;
use kiln_runs::{ActiveRun, Metric, NewRun, RunStatus, Store};
use kiln_spec::{OutputKind, Override, Spec, TuneSpec};
use kiln_train::{Control, EpochObserver, StopReason, TrainEvent};
use kiln_tune::{
    Direction, GridSampler, Listener, Objective, Outcome, ParamValue, Params, Pruner,
    RandomSampler, Sampler, Space, Step, Study, StudyConfig, TpeSampler, Trial, TrialRun,
    TrialState,
};

use crate::pipeline::train_spec;
use crate::run::{RunEvent, Tracking, TrainRequest};
use crate::{Error, Result};

pub use kiln_tune::record::{
    BEST_METRIC, INTERMEDIATE_METRIC, STUDY_NAME_TAG, StudySummary, TRIAL_ERROR_TAG,
    TRIAL_PARAMS_TAG, TRIAL_STATE_TAG, TRIAL_TAG, TRIAL_VALUE_TAG, find_study, study_summary,
    study_trials,
};

/// What to tune.
#[derive(Debug, Clone)]
pub struct TuneRequest {
    /// The spec file (with a `[tune]` section).
    pub spec_path: PathBuf,
    /// Dataset cache.
    pub cache: Cache,
    /// The runs store the study lives in.
    pub store: Arc<Store>,
    /// The experiment ("Default" when `None`).
    pub experiment: Option<String>,
    /// The study's name; the spec file's stem when `None`.
    pub study: Option<String>,
    /// Trials evaluated at once.
    pub workers: usize,
    /// `L`: trial `k` sees trials `0 … k−L`; `workers` when `None` (a resumed study keeps
    /// its own).
    pub lag: Option<usize>,
    /// Overrides `tune.trials`.
    pub trials: Option<usize>,
    /// No trial starts after this long.
    pub timeout: Option<Duration>,
    /// Continue the latest study of this name.
    pub resume: bool,
    /// Configurations tried first (trial `i` takes the `i`-th).
    pub enqueue: Vec<Params>,
    /// Cross-validation folds per trial (the metric is then `cv_mean.…`).
    pub folds: Option<usize>,
    /// Changes to the spec before tuning (`--set`).
    pub overrides: Vec<Override>,
    /// Set to stop (Ctrl-C): running trials stop, the study can be resumed.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Times a trial failing for a passing reason (an I/O error) is run again.
    pub retries: usize,
}

impl TuneRequest {
    /// A request with defaults: one worker, no resume.
    pub fn new(spec_path: impl Into<PathBuf>, cache: Cache, store: Arc<Store>) -> Self {
        Self {
            spec_path: spec_path.into(),
            cache,
            store,
            experiment: None,
            study: None,
            workers: 1,
            lag: None,
            trials: None,
            timeout: None,
            resume: false,
            enqueue: Vec::new(),
            folds: None,
            overrides: Vec::new(),
            cancel: None,
            retries: 1,
        }
    }
}

/// The study's settings, settled from `[tune]`, the request and (resuming) the stored study.
#[derive(Debug, Clone)]
pub struct StudySettings {
    /// The run metric optimised (`validation.accuracy`).
    pub metric: String,
    /// Its direction.
    pub direction: Direction,
    /// Trials in the study.
    pub trials: usize,
    /// `tpe`, `random` or `grid`.
    pub sampler: String,
    /// TPE over all paths jointly.
    pub multivariate: bool,
    /// Random trials before TPE models.
    pub startup_trials: usize,
    /// The pruner.
    pub pruner: Pruner,
    /// The seed.
    pub seed: u64,
    /// `L`.
    pub lag: usize,
}

/// Progress of a study.
#[derive(Debug)]
pub enum TuneEvent<'a> {
    /// The study is ready: its run, settings, and trials already done (resumed).
    Started {
        /// The study's run id.
        study_run_id: &'a str,
        /// The study's name.
        name: &'a str,
        /// Settings.
        settings: &'a StudySettings,
        /// Trials finished before (a resumed study).
        resumed: usize,
    },
    /// A trial ended.
    TrialFinished {
        /// The trial.
        trial: &'a Trial,
        /// Its run, when recorded.
        run_id: Option<&'a str>,
        /// Wall seconds it took.
        seconds: f64,
        /// The best trial so far.
        best: Option<&'a Trial>,
        /// Why it failed, when it did.
        error: Option<&'a str>,
    },
    /// Something to tell the user that does not stop the study.
    Warning(&'a str),
}

/// A finished study.
#[derive(Debug, Clone)]
pub struct TuneOutcome {
    /// The study's run id.
    pub study_run_id: String,
    /// The study's name.
    pub name: String,
    /// Settings.
    pub settings: StudySettings,
    /// The space searched.
    pub space: Space,
    /// Every finished trial, by number, with its run id.
    pub trials: Vec<(Trial, Option<String>)>,
    /// The best complete trial and its run id.
    pub best: Option<(Trial, Option<String>)>,
    /// Parameter importance (PED-ANOVA), when there are enough trials.
    pub importance: Option<Vec<(String, f64)>>,
    /// Whether the study stopped before its last trial (Ctrl-C or timeout).
    pub stopped_early: bool,
}

/// The default metric of a spec: the task's headline figure on the validation split (or
/// the cross-validation mean).
fn default_metric(spec: &Spec, folds: bool) -> String {
    let name = if spec.language_model.is_some() {
        "bits_per_char"
    } else {
        match spec.output.kind {
            OutputKind::Category | OutputKind::Binary => "accuracy",
            OutputKind::Number => "mae",
        }
    };
    format!("{}.{name}", if folds { "cv_mean" } else { "validation" })
}

/// Losses and errors are minimised, everything else maximised.
fn default_direction(metric: &str) -> Direction {
    let name = metric.rsplit('.').next().unwrap_or(metric);
    let lower = [
        "loss",
        "log_loss",
        "mae",
        "rmse",
        "mse",
        "bits_per_char",
        "cross_entropy",
    ];
    if lower.contains(&name) || name.contains("loss") || name.contains("error") {
        Direction::Minimize
    } else {
        Direction::Maximize
    }
}

fn setting(key: &str, reason: impl Into<String>) -> Error {
    Error::Tune(kiln_tune::TuneError::Setting {
        key: key.to_string(),
        reason: reason.into(),
    })
}

/// Reads the spec, its `[tune]` section and space, and checks every searched path against
/// the spec before any trial runs (each path's extreme values applied and the spec read).
///
/// # Errors
///
/// A spec without `[tune]` or with an empty space, a bad setting, a path the spec does not
/// accept (named, with the spec's own message), a metric the splits cannot give.
pub fn plan(request: &TuneRequest) -> Result<(Spec, String, PathBuf, TuneSpec, Space)> {
    let text = std::fs::read_to_string(&request.spec_path).map_err(|source| Error::Io {
        path: request.spec_path.clone(),
        source,
    })?;
    let text = kiln_spec::apply_overrides(&text, &request.overrides)?;
    let name = request.spec_path.display().to_string();
    let spec = kiln_spec::parse_spec(&text, &name)?;
    let Some(tune) = spec.tune.clone() else {
        return Err(setting(
            "space",
            format!(
                "{name} has no [tune] section; add one with the paths to search, e.g.\n  [tune.space]\n  \"training.optimizer.learning_rate\" = {{ log_uniform = [1e-4, 1e-1] }}"
            ),
        ));
    };
    if tune.space.is_empty() {
        return Err(setting(
            "space",
            "[tune.space] is empty: name at least one spec path to search",
        ));
    }
    let space = Space::from_spec(&tune.space).map_err(Error::Tune)?;
    // Each path must be one the spec accepts, at both ends of its range.
    for d in &space.dimensions {
        let probes: Vec<ParamValue> = match &d.distribution {
            kiln_tune::Distribution::Choice(c) => c.clone(),
            other => {
                let n = other.numeric().expect("not a choice");
                vec![other.from_internal(n.low), other.from_internal(n.high)]
            }
        };
        for value in probes {
            let o = Override::new(d.path.clone(), value.to_toml());
            let edited =
                kiln_spec::apply_overrides(&text, std::slice::from_ref(&o)).map_err(|e| {
                    Error::Tune(kiln_tune::TuneError::Dimension {
                        path: d.path.clone(),
                        reason: e.to_string(),
                    })
                })?;
            if let Err(e) = kiln_spec::parse_spec(&edited, &format!("{name} with {o}")) {
                return Err(Error::Tune(kiln_tune::TuneError::Dimension {
                    path: d.path.clone(),
                    reason: format!("the spec does not accept {}: {e}", value.to_toml()),
                }));
            }
        }
    }
    let base = request
        .spec_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    Ok((spec, text, base, tune, space))
}

/// Settles the study's settings.
fn settings(
    spec: &Spec,
    tune: &TuneSpec,
    request: &TuneRequest,
    space: &Space,
) -> Result<StudySettings> {
    let metric = tune
        .metric
        .clone()
        .unwrap_or_else(|| default_metric(spec, request.folds.is_some()));
    let split = metric.split('.').next().unwrap_or_default();
    match split {
        "validation" if spec.data.split.validation <= 0.0 && spec.language_model.is_none() => {
            return Err(setting(
                "metric",
                format!(
                    "`{metric}` needs a validation split: set data.split.validation (e.g. 0.1), or tune with --folds K and metric = \"cv_mean.{}\"",
                    metric.split_once('.').map_or("accuracy", |x| x.1)
                ),
            ));
        }
        "cv_mean" if request.folds.is_none() => {
            return Err(setting(
                "metric",
                format!("`{metric}` is a cross-validation mean: pass --folds K"),
            ));
        }
        _ => {}
    }
    if !metric.contains('.') {
        return Err(setting(
            "metric",
            format!("`{metric}`: expected SPLIT.NAME as runs record it, e.g. validation.accuracy"),
        ));
    }
    let direction = match &tune.direction {
        Some(d) => Direction::parse(d)
            .ok_or_else(|| setting("direction", format!("`{d}`: expected maximize or minimize")))?,
        None => default_direction(&metric),
    };
    let sampler = tune.sampler.clone().unwrap_or_else(|| "tpe".to_string());
    if !["tpe", "random", "grid"].contains(&sampler.as_str()) {
        return Err(setting(
            "sampler",
            format!("`{sampler}`: expected tpe, random or grid"),
        ));
    }
    let pruner_name = tune.pruner.clone().unwrap_or_else(|| "none".to_string());
    let pruner = Pruner::parse(&pruner_name).ok_or_else(|| {
        setting(
            "pruner",
            format!("`{pruner_name}`: expected asha, median or none"),
        )
    })?;
    let mut trials = request.trials.unwrap_or(tune.trials);
    if trials == 0 {
        return Err(setting("trials", "0: expected at least 1"));
    }
    let seed = tune.seed.unwrap_or(spec.training.seed);
    if sampler == "grid" {
        let grid = GridSampler::new(space, seed).map_err(Error::Tune)?;
        trials = trials.min(grid.len());
    }
    Ok(StudySettings {
        metric,
        direction,
        trials,
        sampler,
        multivariate: tune.multivariate,
        startup_trials: tune.startup_trials.unwrap_or(10),
        pruner,
        seed,
        lag: request.lag.unwrap_or(request.workers).max(1),
    })
}

fn sampler_for(settings: &StudySettings, space: &Space) -> Result<Box<dyn Sampler>> {
    Ok(match settings.sampler.as_str() {
        "random" => Box::new(RandomSampler {
            seed: settings.seed,
        }),
        "grid" => Box::new(GridSampler::new(space, settings.seed).map_err(Error::Tune)?),
        _ => Box::new(TpeSampler {
            startup_trials: settings.startup_trials,
            multivariate: settings.multivariate,
            ..TpeSampler::new(settings.seed, settings.direction)
        }),
    })
}

/// The settings a study's run records, as tags.
fn settings_tags(s: &StudySettings) -> Vec<(String, String)> {
    [
        ("kiln.tune.metric", s.metric.clone()),
        ("kiln.tune.direction", s.direction.as_str().to_string()),
        ("kiln.tune.trials", s.trials.to_string()),
        ("kiln.tune.sampler", s.sampler.clone()),
        ("kiln.tune.multivariate", s.multivariate.to_string()),
        ("kiln.tune.startup_trials", s.startup_trials.to_string()),
        ("kiln.tune.pruner", s.pruner.name().to_string()),
        ("kiln.tune.seed", s.seed.to_string()),
        ("kiln.tune.lag", s.lag.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// What the store listener and the objective share.
struct Shared<'a> {
    store: Arc<Store>,
    study: &'a ActiveRun,
    settings: &'a StudySettings,
    run_ids: Mutex<BTreeMap<usize, String>>,
    errors: Mutex<BTreeMap<usize, String>>,
    started: Mutex<BTreeMap<usize, Instant>>,
    best: Mutex<Option<Trial>>,
    on_event: &'a (dyn Fn(TuneEvent<'_>) + Sync),
}

struct TrialObjective<'a> {
    shared: &'a Shared<'a>,
    request: &'a TuneRequest,
    text: &'a str,
    base: &'a Path,
    name: &'a str,
    experiment: Option<String>,
    workdir: &'a Path,
    cancel: Arc<AtomicBool>,
    tables: Option<Arc<(kiln_data::Table, Option<kiln_data::Table>)>>,
}

/// Whether a training error is worth another attempt: the data or the disk, not the spec or
/// the numbers.
fn passing(error: &Error) -> bool {
    matches!(error, Error::Io { .. } | Error::Artifact(_))
}

impl Objective for TrialObjective<'_> {
    fn evaluate(&self, trial: &TrialRun<'_>) -> Outcome {
        let k = trial.number;
        self.shared
            .started
            .lock()
            .expect("not poisoned")
            .insert(k, Instant::now());
        let output = self
            .workdir
            .join(format!("trial-{k}-{}.kiln", trial.attempt));
        let mut request =
            TrainRequest::new(&self.request.spec_path, &output, self.request.cache.clone());
        request.spec_text = Some((self.text.to_string(), self.base.to_path_buf()));
        request.overrides = trial
            .params
            .iter()
            .map(|(p, v)| Override::new(p.clone(), v.to_toml()))
            .collect();
        request.checkpoint = false;
        request.tables = self.tables.clone();
        request.folds = self.request.folds;
        request.cancel = Some(Arc::clone(&self.cancel));
        let metric_name = self
            .shared
            .settings
            .metric
            .split_once('.')
            .map_or("", |x| x.1)
            .to_string();
        let maximize = self.shared.settings.direction == Direction::Maximize;
        let fold = Arc::new(AtomicU32::new(0));
        let epoch_metric: Arc<Mutex<Option<&'static str>>> = Arc::new(Mutex::new(None));
        let pruned = Arc::new(AtomicBool::new(false));
        if trial.pruner() != Pruner::None {
            let reporter = trial.reporter();
            let (fold, epoch_metric, pruned) = (
                Arc::clone(&fold),
                Arc::clone(&epoch_metric),
                Arc::clone(&pruned),
            );
            request.observer = Some(EpochObserver::new(move |e| {
                let same = *epoch_metric.lock().expect("not poisoned") == Some(&metric_name);
                let value = if same {
                    e.val_metric
                } else {
                    e.val_loss.map(|l| if maximize { -l } else { l })
                };
                let Some(v) = value.filter(|v| v.is_finite()) else {
                    return Control::Continue;
                };
                let step = Step {
                    group: fold.load(Ordering::Relaxed),
                    index: e.epoch as u32,
                };
                if reporter.report(step, v) {
                    pruned.store(true, Ordering::Relaxed);
                    Control::Stop
                } else {
                    Control::Continue
                }
            }));
        }
        let params_json = kiln_tune::record::params_text(trial.params);
        request.tracking = Some(Tracking {
            experiment: self.experiment.clone(),
            run_name: Some(format!("{}-trial-{k}", self.name)),
            tags: [
                (TRIAL_TAG.to_string(), k.to_string()),
                (TRIAL_PARAMS_TAG.to_string(), params_json),
            ]
            .into(),
            parent_run_id: Some(self.shared.study.id().to_string()),
            ..Tracking::new(Arc::clone(&self.shared.store))
        });
        let mut run_id = None;
        let result = train_spec(&request, |event| match event {
            RunEvent::Fold { fold: f, .. } => fold.store(f as u32, Ordering::Relaxed),
            RunEvent::Train(TrainEvent::Start { metric, .. }) => {
                *epoch_metric.lock().expect("not poisoned") = Some(metric);
            }
            RunEvent::Tracked { run_id: id } => run_id = Some(id.to_string()),
            RunEvent::TrackingWarning(w) => (self.shared.on_event)(TuneEvent::Warning(w)),
            _ => {}
        });
        let _ = std::fs::remove_file(&output);
        if let Some(id) = run_id {
            self.shared
                .run_ids
                .lock()
                .expect("not poisoned")
                .insert(k, id);
        }
        let fail = |reason: String, retry: bool| {
            self.shared
                .errors
                .lock()
                .expect("not poisoned")
                .insert(k, reason.clone());
            Outcome::Failed { reason, retry }
        };
        match result {
            Err(e) => {
                let retry = passing(&e);
                fail(e.to_string(), retry)
            }
            Ok(r) if r.stop == StopReason::Interrupted => Outcome::Interrupted,
            Ok(r) => {
                let (split, name) = self
                    .shared
                    .settings
                    .metric
                    .split_once('.')
                    .unwrap_or_default();
                let value = r
                    .metrics
                    .get(split)
                    .and_then(|m| m.scalars().into_iter().find(|(n, _)| n == name))
                    .map(|(_, v)| v);
                match value {
                    _ if pruned.load(Ordering::Relaxed) => Outcome::Pruned,
                    Some(v) if v.is_finite() => Outcome::Complete(v),
                    Some(v) => fail(format!("{} was {v}", self.shared.settings.metric), false),
                    None => fail(
                        format!(
                            "the run recorded no {} (it recorded: {})",
                            self.shared.settings.metric,
                            r.metrics
                                .iter()
                                .flat_map(|(s, m)| {
                                    m.scalars()
                                        .into_iter()
                                        .take(3)
                                        .map(move |(n, _)| format!("{s}.{n}"))
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        false,
                    ),
                }
            }
        }
    }
}

impl Listener for Shared<'_> {
    fn finished(&self, trial: &Trial) -> std::result::Result<(), String> {
        let k = trial.number;
        let seconds = self
            .started
            .lock()
            .expect("not poisoned")
            .remove(&k)
            .map_or(0.0, |t| t.elapsed().as_secs_f64());
        let run_id = self.run_ids.lock().expect("not poisoned").get(&k).cloned();
        let error = self.errors.lock().expect("not poisoned").remove(&k);
        let record = || {
            kiln_tune::record::record_trial(
                &self.store,
                self.study.info(),
                run_id.as_deref(),
                trial,
                error.as_deref(),
            )
        };
        let id = record().map_err(|e| format!("recording trial {k} in the runs store: {e}"))?;
        let mut best = self.best.lock().expect("not poisoned");
        if trial.state == TrialState::Complete
            && let Some(v) = trial.value
            && best.as_ref().is_none_or(|b| {
                self.settings
                    .direction
                    .better(v, b.value.unwrap_or(f64::NAN))
            })
        {
            *best = Some(trial.clone());
        }
        if let Some(b) = best.as_ref().and_then(|b| b.value) {
            self.study
                .log_metrics(&[Metric::now(BEST_METRIC, b, k as i64)])
                .map_err(|e| format!("recording the study's best value: {e}"))?;
        }
        (self.on_event)(TuneEvent::TrialFinished {
            trial,
            run_id: Some(&id),
            seconds,
            best: best.as_ref(),
            error: error.as_deref(),
        });
        Ok(())
    }
}

/// Runs a study: plans it, creates (or, resuming, takes back) its run, runs the trials on
/// `request.workers` threads and records everything in the store.
///
/// # Errors
///
/// Planning errors ([`plan`]), a store that cannot record the study, a resumed study still
/// owned by a live process, or a resume with no study of that name.
pub fn tune_spec(
    request: &TuneRequest,
    on_event: &(dyn Fn(TuneEvent<'_>) + Sync),
) -> Result<TuneOutcome> {
    let (spec, text, base, tune, space) = plan(request)?;
    let store = Arc::clone(&request.store);
    let name = request.study.clone().unwrap_or_else(|| {
        request
            .spec_path
            .file_stem()
            .map_or_else(|| "study".to_string(), |s| s.to_string_lossy().into_owned())
    });
    let experiment_id = match &request.experiment {
        Some(e) => store.experiment_id_for(e)?,
        None => kiln_runs::DEFAULT_EXPERIMENT,
    };
    let mut settings = settings(&spec, &tune, request, &space)?;
    let (study, previous) = if request.resume {
        let Some(run) = find_study(&store, experiment_id, &name)? else {
            return Err(setting(
                "resume",
                format!(
                    "there is no study named `{name}` to resume; run without --resume to start it"
                ),
            ));
        };
        // The stored study decides what makes it the same study.
        let tags = &run.data.tags;
        let get = |k: &str| tags.get(k).cloned();
        if let Some(stored) = get("kiln.tune.lag").and_then(|v| v.parse().ok()) {
            if request.lag.is_some_and(|l| l != stored) {
                on_event(TuneEvent::Warning(&format!(
                    "the study was started with lag {stored}; it keeps that lag so it stays the same study"
                )));
            }
            settings.lag = stored;
        }
        if let Some(seed) = get("kiln.tune.seed").and_then(|v| v.parse().ok()) {
            settings.seed = seed;
        }
        if let Some(spec_sha) = get(crate::tracking::SPEC_SHA256_TAG) {
            let now = crate::tracking::sha256_hex(text.as_bytes());
            if spec_sha != now {
                return Err(setting(
                    "resume",
                    format!(
                        "{} changed since study `{name}` started; a resumed study must search the same spec (start a new study without --resume)",
                        request.spec_path.display()
                    ),
                ));
            }
        }
        let study = ActiveRun::adopt(Arc::clone(&store), &run.info.run_id)?;
        let previous: Vec<Trial> = study_trials(&store, &run.info.run_id)?
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        (study, previous)
    } else {
        let mut tags: BTreeMap<String, String> = settings_tags(&settings).into_iter().collect();
        tags.insert(STUDY_NAME_TAG.to_string(), name.clone());
        tags.insert(
            crate::tracking::SPEC_SHA256_TAG.to_string(),
            crate::tracking::sha256_hex(text.as_bytes()),
        );
        tags.insert(
            "kiln.spec_path".to_string(),
            request.spec_path.display().to_string(),
        );
        tags.insert(
            crate::tracking::SPEC_DIR_TAG.to_string(),
            base.display().to_string(),
        );
        tags.insert("kiln.command".to_string(), "tune".to_string());
        if let Some(k) = request.folds {
            tags.insert(crate::tracking::FOLDS_TAG.to_string(), k.to_string());
        }
        let study = ActiveRun::start(
            Arc::clone(&store),
            NewRun {
                experiment_id,
                name: Some(name.clone()),
                tags,
                ..NewRun::default()
            },
        )?;
        study.log_artifact_bytes(crate::tracking::SPEC_ARTIFACT, text.as_bytes())?;
        let params: Vec<(String, String)> = space
            .dimensions
            .iter()
            .map(|d| {
                (
                    format!("space.{}", d.path),
                    kiln_tune::space::describe(&d.distribution),
                )
            })
            .collect();
        study.log_params(&params)?;
        (study, Vec::new())
    };
    let resumed = previous.len();
    on_event(TuneEvent::Started {
        study_run_id: study.id(),
        name: &name,
        settings: &settings,
        resumed,
    });
    let sampler = sampler_for(&settings, &space)?;
    // The data are read once for every trial, unless the space searches the data section.
    let tables = if spec.language_model.is_none()
        && !space.dimensions.iter().any(|d| d.path.starts_with("data."))
    {
        Some(Arc::new(crate::run::load_tables(
            &spec,
            &base,
            &request.cache,
        )?))
    } else {
        None
    };
    let workdir = tempfile::Builder::new()
        .prefix("kiln-tune-")
        .tempdir()
        .map_err(|source| Error::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    let shared = Shared {
        store: Arc::clone(&store),
        study: &study,
        settings: &settings,
        run_ids: Mutex::new(BTreeMap::new()),
        errors: Mutex::new(BTreeMap::new()),
        started: Mutex::new(BTreeMap::new()),
        best: Mutex::new(kiln_tune::best(&previous, settings.direction).cloned()),
        on_event,
    };
    let cancel = request
        .cancel
        .clone()
        .unwrap_or_else(|| Arc::new(AtomicBool::new(false)));
    let objective = TrialObjective {
        shared: &shared,
        request,
        text: &text,
        base: &base,
        name: &name,
        experiment: request.experiment.clone(),
        workdir: workdir.path(),
        cancel: Arc::clone(&cancel),
        tables,
    };
    let config = StudyConfig {
        direction: settings.direction,
        trials: settings.trials,
        workers: request.workers.max(1),
        lag: settings.lag,
        timeout: request.timeout,
        retries: request.retries,
    };
    let tune_study = Study {
        space: &space,
        sampler: sampler.as_ref(),
        pruner: settings.pruner,
        config,
        enqueued: request.enqueue.clone(),
    };
    let result = kiln_tune::optimize(&tune_study, &objective, &shared, previous, Some(&cancel));
    let trials = match result {
        Ok(t) => t,
        Err(e) => {
            drop(study.end(RunStatus::Failed));
            return Err(Error::Tune(e));
        }
    };
    let ids = study_trials(&store, study.id())?;
    let with_ids: Vec<(Trial, Option<String>)> = trials
        .iter()
        .map(|t| {
            let id = ids
                .iter()
                .find(|(x, _)| x.number == t.number)
                .map(|(_, id)| id.clone());
            (t.clone(), id)
        })
        .collect();
    let best = kiln_tune::best(&trials, settings.direction)
        .and_then(|b| with_ids.iter().find(|(t, _)| t.number == b.number).cloned());
    let importance = kiln_tune::importance::ped_anova(&space, &trials, settings.direction);
    let stopped_early = trials.len() < settings.trials;
    let mut tags = vec![(
        "kiln.tune.finished_trials".to_string(),
        trials.len().to_string(),
    )];
    if let Some((b, id)) = &best {
        tags.push(("kiln.tune.best_trial".to_string(), b.number.to_string()));
        if let Some(id) = id {
            tags.push(("kiln.tune.best_run".to_string(), id.clone()));
        }
        if let Some(v) = b.value {
            study.log_metrics(&[Metric::now(settings.metric.clone(), v, 0)])?;
        }
    }
    if let Some(imp) = &importance {
        let m: Vec<Metric> = imp
            .iter()
            .map(|(p, v)| Metric::now(format!("importance.{p}"), *v, 0))
            .collect();
        study.log_metrics(&m)?;
    }
    study.set_tags(&tags)?;
    let interrupted = cancel.load(Ordering::Relaxed);
    let study_run_id = study.id().to_string();
    drop(objective);
    drop(shared);
    study.end(if interrupted {
        RunStatus::Killed
    } else {
        RunStatus::Finished
    })?;
    Ok(TuneOutcome {
        study_run_id,
        name,
        settings,
        space,
        trials: with_ids,
        best,
        importance,
        stopped_early: stopped_early || interrupted,
    })
}

/// Writes the best trial's model file to `output` and its spec (the base spec with the
/// trial's values) to `output` with a `.toml` extension, each written whole (temp file, then
/// rename).
///
/// # Errors
/// A store or file error.
pub fn write_best(store: &Store, run_id: &str, output: &Path) -> Result<PathBuf> {
    let copy = |artifact: &str, to: &Path| -> Result<()> {
        let (_, mut file) = store.artifact(run_id, artifact)?;
        let dir = to
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let io = |source| Error::Io {
            path: to.to_path_buf(),
            source,
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::io::copy(&mut file, tmp.as_file_mut()).map_err(io)?;
        tmp.persist(to).map_err(|e| io(e.error))?;
        Ok(())
    };
    copy(kiln_runs::MODEL_ARTIFACT, output)?;
    let spec_path = output.with_extension("toml");
    copy(crate::tracking::SPEC_ARTIFACT, &spec_path)?;
    Ok(spec_path)
}
