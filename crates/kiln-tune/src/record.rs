//! A study in the runs store ([`kiln_runs`]): the study is a run, each trial a child run
//! whose tags say its number, values, state and result. The tag that marks a trial finished
//! ([`TRIAL_STATE_TAG`]) is written in the same transaction as its result, so a trial is
//! either recorded whole or not at all, and a resumed study reads back exactly the trials
//! that finished.

use std::collections::BTreeMap;

use std::sync::{Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use kiln_runs::{Metric, NewRun, RunInfo, RunStatus, Store, WholeRun};

use crate::space::{ParamValue, Params, Space};
use crate::study::Listener;
use crate::trial::{Direction, Step, Trial, TrialState};

/// A trial's values as a TOML inline table (`{ "layers.1.units" = 64, … }`): every value
/// exact (reals as their shortest round-trip form), types kept.
pub fn params_text(params: &Params) -> String {
    let body: Vec<String> = params
        .iter()
        .map(|(p, v)| format!("{} = {}", toml::Value::String(p.clone()), v.to_toml()))
        .collect();
    format!("{{ {} }}", body.join(", "))
}

/// Reads [`params_text`] back.
pub fn params_from_text(text: &str) -> Option<Params> {
    let table = format!("p = {text}").parse::<toml::Table>().ok()?;
    let inline = table.get("p")?.as_table()?;
    inline
        .iter()
        .map(|(k, v)| Some((k.clone(), ParamValue::from_toml(v)?)))
        .collect()
}

/// The artifact of a study's run holding the spec it searched.
pub const SPEC_ARTIFACT: &str = "spec.toml";

/// Tag on a study's run: the study's name.
pub const STUDY_NAME_TAG: &str = "kiln.study.name";
/// Tag on a trial's run: its number in the study.
pub const TRIAL_TAG: &str = "kiln.trial";
/// Tag on a trial's run: `COMPLETE`, `PRUNED` or `FAILED`, set when the trial ends.
pub const TRIAL_STATE_TAG: &str = "kiln.trial.state";
/// Tag on a trial's run: the objective's value (exact, as JSON).
pub const TRIAL_VALUE_TAG: &str = "kiln.trial.value";
/// Tag on a trial's run: the trial's values, as JSON (exact types).
pub const TRIAL_PARAMS_TAG: &str = "kiln.trial.params";
/// Tag on a trial's run: why it failed.
pub const TRIAL_ERROR_TAG: &str = "kiln.trial.error";
/// Metric on a trial's run: what it reported to the pruner, at step `fold · 1,000,000 +
/// epoch`.
pub const INTERMEDIATE_METRIC: &str = "tune.intermediate";
/// Metric on a study's run: the best value after each trial (step = trial number).
pub const BEST_METRIC: &str = "tune.best";

/// Steps of one fold in [`INTERMEDIATE_METRIC`].
pub const STEP_GROUP: i64 = 1_000_000;

/// Reads a trial back from its run; `None` for a run that did not finish its trial.
fn trial_from_run(store: &Store, run: &kiln_runs::Run) -> Option<Trial> {
    let tags = &run.data.tags;
    let number: usize = tags.get(TRIAL_TAG)?.parse().ok()?;
    let state = TrialState::parse(tags.get(TRIAL_STATE_TAG)?)?;
    let params = params_from_text(tags.get(TRIAL_PARAMS_TAG)?)?;
    let value: Option<f64> = tags
        .get(TRIAL_VALUE_TAG)
        .and_then(|v| v.parse::<f64>().ok());
    let intermediate = store
        .metric_history(&run.info.run_id, INTERMEDIATE_METRIC)
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            (
                Step {
                    group: (p.step / STEP_GROUP) as u32,
                    index: (p.step % STEP_GROUP) as u32,
                },
                p.value,
            )
        })
        .collect();
    Some(Trial {
        number,
        params,
        state,
        value,
        intermediate,
    })
}

/// Every finished trial of a study, by number, with its run id (the first run that finished
/// each number).
pub fn study_trials(store: &Store, study_run_id: &str) -> kiln_runs::Result<Vec<(Trial, String)>> {
    let children = store.child_runs(study_run_id)?;
    let mut out: BTreeMap<usize, (Trial, String)> = BTreeMap::new();
    for info in children {
        let run = store.run(&info.run_id)?;
        if let Some(t) = trial_from_run(store, &run) {
            out.entry(t.number).or_insert((t, info.run_id));
        }
    }
    Ok(out.into_values().collect())
}

/// A study read back from the store: its settings, trials, best and importance.
#[derive(Debug, Clone)]
pub struct StudySummary {
    /// The metric optimised.
    pub metric: String,
    /// Its direction.
    pub direction: Direction,
    /// Trials planned.
    pub planned: usize,
    /// Finished trials with their run ids.
    pub trials: Vec<(Trial, String)>,
    /// The best complete trial.
    pub best: Option<(Trial, String)>,
    /// The space, when the study's spec could be read back.
    pub space: Option<Space>,
    /// PED-ANOVA importance, when there are enough trials.
    pub importance: Option<Vec<(String, f64)>>,
}

/// The study whose run is `run`, or `None` when `run` is not a study.
///
/// # Errors
/// On a store error.
pub fn study_summary(
    store: &Store,
    run: &kiln_runs::Run,
) -> kiln_runs::Result<Option<StudySummary>> {
    let tags = &run.data.tags;
    if !tags.contains_key(STUDY_NAME_TAG) {
        return Ok(None);
    }
    let metric = tags.get("kiln.tune.metric").cloned().unwrap_or_default();
    let direction = tags
        .get("kiln.tune.direction")
        .and_then(|d| Direction::parse(d))
        .unwrap_or(Direction::Maximize);
    let planned = tags
        .get("kiln.tune.trials")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let trials = study_trials(store, &run.info.run_id)?;
    let plain: Vec<Trial> = trials.iter().map(|(t, _)| t.clone()).collect();
    let best = crate::trial::best(&plain, direction)
        .and_then(|b| trials.iter().find(|(t, _)| t.number == b.number).cloned());
    let space = store
        .artifact(&run.info.run_id, SPEC_ARTIFACT)
        .ok()
        .and_then(|(_, mut f)| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut f, &mut text).ok()?;
            let spec = kiln_spec::parse_spec(&text, "spec.toml").ok()?;
            Space::from_spec(&spec.tune?.space).ok()
        });
    let importance = space
        .as_ref()
        .and_then(|s| crate::importance::ped_anova(s, &plain, direction));
    Ok(Some(StudySummary {
        metric,
        direction,
        planned,
        trials,
        best,
        space,
        importance,
    }))
}

/// A finished trial's tags (number, values, value, error, state) and intermediate values.
fn trial_record(trial: &Trial, error: Option<&str>) -> (Vec<(String, String)>, Vec<Metric>) {
    let mut tags = vec![
        (TRIAL_TAG.to_string(), trial.number.to_string()),
        (TRIAL_PARAMS_TAG.to_string(), params_text(&trial.params)),
    ];
    if let Some(v) = trial.value {
        tags.push((TRIAL_VALUE_TAG.to_string(), v.to_string()));
    }
    if let Some(e) = error {
        tags.push((TRIAL_ERROR_TAG.to_string(), e.chars().take(4000).collect()));
    }
    tags.push((
        TRIAL_STATE_TAG.to_string(),
        trial.state.as_str().to_string(),
    ));
    let metrics = trial
        .intermediate
        .iter()
        .map(|(s, v)| {
            Metric::now(
                INTERMEDIATE_METRIC,
                *v,
                i64::from(s.group) * STEP_GROUP + i64::from(s.index),
            )
        })
        .collect();
    (tags, metrics)
}

/// A finished trial as a new child run of `study`, recorded whole.
fn trial_run(study: &RunInfo, trial: &Trial, error: Option<&str>) -> WholeRun {
    let (tags, metrics) = trial_record(trial, error);
    WholeRun {
        new: NewRun {
            experiment_id: study.experiment_id,
            name: Some(format!("{}-trial-{}", study.name, trial.number)),
            parent_run_id: Some(study.run_id.clone()),
            ..NewRun::default()
        },
        status: if trial.state == TrialState::Failed {
            RunStatus::Failed
        } else {
            RunStatus::Finished
        },
        metrics,
        params: Vec::new(),
        tags,
    }
}

/// Records a finished trial: on its run `run_id` (a training run created for it), or on a
/// new child run of `study` when it has none (a trial that failed before its run began, or
/// an objective that keeps no runs). One transaction: the result and the state tag together
/// (and, for a new run, the run itself). Returns the run's id.
///
/// # Errors
/// On a store error.
pub fn record_trial(
    store: &Store,
    study: &RunInfo,
    run_id: Option<&str>,
    trial: &Trial,
    error: Option<&str>,
) -> kiln_runs::Result<String> {
    match run_id {
        Some(id) => {
            let (tags, metrics) = trial_record(trial, error);
            store.log_batch(id, &metrics, &[], &tags)?;
            Ok(id.to_string())
        }
        None => {
            let mut infos = store.log_runs(&[trial_run(study, trial, error)])?;
            Ok(infos.remove(0).run_id)
        }
    }
}

/// Finds the latest study named `name` in `experiment_id`.
///
/// # Errors
/// On a store error.
pub fn find_study(
    store: &Store,
    experiment_id: kiln_runs::ExperimentId,
    name: &str,
) -> kiln_runs::Result<Option<kiln_runs::Run>> {
    let quoted = name.replace('\'', "''");
    let page = store.search_runs(&kiln_runs::RunQuery {
        experiment_ids: vec![experiment_id],
        filter: Some(format!("tags.\"{STUDY_NAME_TAG}\" = '{quoted}'")),
        order_by: vec!["attributes.start_time DESC".to_string()],
        max_results: 1,
        ..kiln_runs::RunQuery::default()
    })?;
    Ok(page.runs.into_iter().next())
}

/// How long [`recording`]'s writer gathers trials before it commits them.
pub const GROUP_COMMIT_DELAY: Duration = Duration::from_millis(50);
/// The most trials in one of [`recording`]'s commits.
const GROUP_COMMIT_MAX: usize = 256;

/// Records every finished trial of a study whose objective keeps no runs of its own (a
/// function, a benchmark) as a child run of `study`, for as long as `f` runs (give `f` the
/// listener to pass to [`crate::study::optimize`]); returns what `f` returns.
///
/// The trials are written by a thread of their own, in group commits: a transaction holds
/// the trials that finished within [`GROUP_COMMIT_DELAY`] of the first of them (at most 256),
/// like PostgreSQL's `commit_delay`. A study with a cheap objective therefore neither waits for
/// a commit per trial nor shares its cores with one; the price is that the trials finished in
/// the last 50 ms before a `kill -9` may not be in the store, and run again on `--resume` as a
/// running trial would. Every trial is in the store when this returns.
///
/// # Errors
/// The first store error; the study's next trial ends then ([`Listener::finished`] fails).
pub fn recording<T>(
    store: &Store,
    study: &RunInfo,
    f: impl FnOnce(&StoreListener) -> T,
) -> kiln_runs::Result<T> {
    let (send, receive) = mpsc::channel::<Trial>();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> kiln_runs::Result<()> {
            while let Ok(first) = receive.recv() {
                let due = Instant::now() + GROUP_COMMIT_DELAY;
                let mut batch = vec![trial_run(study, &first, None)];
                while batch.len() < GROUP_COMMIT_MAX {
                    let left = due.saturating_duration_since(Instant::now());
                    match receive.recv_timeout(left) {
                        Ok(t) => batch.push(trial_run(study, &t, None)),
                        Err(_) => break,
                    }
                }
                // On an error `receive` is dropped here, so the listener's next send fails.
                store.log_runs(&batch)?;
            }
            Ok(())
        });
        let listener = StoreListener {
            send: Mutex::new(send),
        };
        let out = f(&listener);
        drop(listener);
        match writer.join() {
            Ok(written) => written.map(|()| out),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The listener [`recording`] gives: it hands each finished trial to the writer thread.
pub struct StoreListener {
    send: Mutex<mpsc::Sender<Trial>>,
}

impl Listener for StoreListener {
    fn finished(&self, trial: &Trial) -> Result<(), String> {
        let send = self.send.lock().unwrap_or_else(PoisonError::into_inner);
        send.send(trial.clone()).map_err(|_| {
            format!(
                "recording trial {}: the runs store refused an earlier write (its error ends the study)",
                trial.number
            )
        })
    }
}
