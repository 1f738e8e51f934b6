//! Running a study: workers, the lag that makes it reproducible, pruning, resuming.
//!
//! **Reproducibility.** Trial `k`'s parameters depend only on the seed and on trials
//! `0 … k−L` (their parameters, states and values), for the study's lag `L`: a worker that
//! takes trial `k` first waits until those have finished, and the sampler sees exactly them,
//! never a trial that happened to finish sooner. So with pruning off a study gives the same
//! trials with 1 or 4 workers (the same `L`), and a resumed study equals an uninterrupted
//! one. `L = workers` keeps every worker busy; a larger `L` than workers wastes nothing but
//! information.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::TuneError;
use crate::pruner::Pruner;
use crate::sampler::Sampler;
use crate::space::{Params, Space};
use crate::trial::{Direction, Step, Trial, TrialState};

/// How a study runs.
#[derive(Debug, Clone)]
pub struct StudyConfig {
    /// What is optimised.
    pub direction: Direction,
    /// Trials in the study (numbers `0 … trials−1`).
    pub trials: usize,
    /// Trials evaluated at once.
    pub workers: usize,
    /// `L`: trial `k` sees trials `0 … k−L`.
    pub lag: usize,
    /// No trial starts after this long.
    pub timeout: Option<Duration>,
    /// Times a trial that failed for a passing reason (not a NaN) is run again.
    pub retries: usize,
}

/// A study: what to search and how.
pub struct Study<'a> {
    /// The space.
    pub space: &'a Space,
    /// Chooses parameters.
    pub sampler: &'a dyn Sampler,
    /// Stops trials early.
    pub pruner: Pruner,
    /// Settings.
    pub config: StudyConfig,
    /// Known configurations tried first (trial `i` takes the `i`-th; paths left out are
    /// sampled).
    pub enqueued: Vec<Params>,
}

/// How one evaluation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The objective's value (a NaN or infinity makes the trial `FAILED`, not retried).
    Complete(f64),
    /// The trial stopped because [`TrialRun::report`] said so.
    Pruned,
    /// The evaluation failed; `retry` when running it again may succeed.
    Failed {
        /// Why.
        reason: String,
        /// Worth another attempt.
        retry: bool,
    },
    /// Cancelled (Ctrl-C): the trial is dropped, the study stops, a resume runs it again.
    Interrupted,
}

/// Evaluates trials; called from several threads at once.
pub trait Objective: Sync {
    /// Evaluates `trial.params`, reporting intermediate values through [`TrialRun::report`].
    fn evaluate(&self, trial: &TrialRun<'_>) -> Outcome;
}

/// Hears about trials as they start and end (the runs store records them). An error stops
/// the study: no new trial starts, running ones finish.
pub trait Listener: Sync {
    /// Trial `trial.number` (attempt `attempt`, from 0) starts with its parameters.
    fn started(&self, _trial: &Trial, _attempt: usize) -> Result<(), String> {
        Ok(())
    }
    /// A trial ended (complete, pruned or failed).
    fn finished(&self, _trial: &Trial) -> Result<(), String> {
        Ok(())
    }
}

/// A listener that hears nothing.
pub struct Quiet;
impl Listener for Quiet {}

struct State {
    trials: BTreeMap<usize, Trial>,
    next: usize,
    stop: bool,
    error: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A trial being evaluated.
pub struct TrialRun<'a> {
    /// Its number.
    pub number: usize,
    /// Its parameters.
    pub params: &'a Params,
    /// 0 on the first attempt.
    pub attempt: usize,
    reporter: Reporter,
}

impl TrialRun<'_> {
    /// Records `value` at `step` (an epoch of a fold) and answers whether the trial should
    /// stop now (the pruner's verdict against every trial so far).
    pub fn report(&self, step: Step, value: f64) -> bool {
        self.reporter.report(step, value)
    }

    /// A handle that reports for this trial from anywhere (an epoch callback that must own
    /// what it uses).
    pub fn reporter(&self) -> Reporter {
        self.reporter.clone()
    }

    /// The pruner in use (`None` means reports are only recorded).
    pub fn pruner(&self) -> Pruner {
        self.reporter.pruner
    }
}

/// Reports a trial's intermediate values; cheap to clone.
#[derive(Clone)]
pub struct Reporter {
    number: usize,
    shared: Arc<Shared>,
    pruner: Pruner,
    direction: Direction,
}

impl Reporter {
    /// As [`TrialRun::report`].
    pub fn report(&self, step: Step, value: f64) -> bool {
        let mut st = self.shared.lock();
        let Some(t) = st.trials.get_mut(&self.number) else {
            return false;
        };
        t.intermediate.push((step, value));
        let snapshot = t.clone();
        self.pruner
            .should_prune(self.direction, &snapshot, step, value, &st.trials)
    }
}

/// Runs `study` to its end (or to Ctrl-C, or its timeout) and returns every finished trial
/// in number order. `previous` are trials already finished (a resumed study): their numbers
/// are not run again, and samplers see them as if just run.
///
/// # Errors
///
/// A listener's error (the study stops; trials finished so far were recorded by it), or an
/// enqueued configuration outside the space.
pub fn optimize(
    study: &Study<'_>,
    objective: &dyn Objective,
    listener: &dyn Listener,
    previous: Vec<Trial>,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<Trial>, TuneError> {
    for (index, p) in study.enqueued.iter().enumerate() {
        study
            .space
            .check_params(p)
            .map_err(|reason| TuneError::Enqueued { index, reason })?;
    }
    let lag = study.config.lag.max(1);
    let done: BTreeSet<usize> = previous
        .iter()
        .filter(|t| t.state.is_finished())
        .map(|t| t.number)
        .collect();
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            trials: previous
                .into_iter()
                .filter(|t| t.state.is_finished())
                .map(|t| (t.number, t))
                .collect(),
            next: 0,
            stop: false,
            error: None,
        }),
        wake: Condvar::new(),
    });
    let deadline = study.config.timeout.map(|t| Instant::now() + t);
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let worker = || {
        loop {
            let mut st = shared.lock();
            let k = loop {
                if st.next >= study.config.trials {
                    return;
                }
                let k = st.next;
                st.next += 1;
                if !done.contains(&k) {
                    break k;
                }
            };
            if st.stop || cancelled() || deadline.is_some_and(|d| Instant::now() >= d) {
                st.stop = true;
                shared.wake.notify_all();
                return;
            }
            // Wait for trials 0 … k−L.
            while !st.stop
                && k >= lag
                && (0..=k - lag).any(|j| !st.trials.get(&j).is_some_and(|t| t.state.is_finished()))
            {
                st = shared
                    .wake
                    .wait(st)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if st.stop {
                return;
            }
            // Suggest under the lock: the sampler reads the trials in place (a few
            // milliseconds at most), with no copy of the history per trial.
            let fixed = study.enqueued.get(k).cloned().unwrap_or_default();
            let history: Vec<&Trial> = st
                .trials
                .values()
                .filter(|t| t.number + lag <= k && t.state.is_finished())
                .collect();
            let params = study.sampler.suggest(study.space, &history, k, &fixed);
            drop(history);
            drop(st);
            let mut attempt = 0;
            loop {
                let mut st = shared.lock();
                st.trials.insert(k, Trial::running(k, params.clone()));
                let started = st.trials[&k].clone();
                drop(st);
                if let Err(e) = listener.started(&started, attempt) {
                    let mut st = shared.lock();
                    st.trials.remove(&k);
                    st.error.get_or_insert(e);
                    st.stop = true;
                    shared.wake.notify_all();
                    return;
                }
                let run = TrialRun {
                    number: k,
                    params: &params,
                    attempt,
                    reporter: Reporter {
                        number: k,
                        shared: Arc::clone(&shared),
                        pruner: study.pruner,
                        direction: study.config.direction,
                    },
                };
                let outcome = objective.evaluate(&run);
                let mut st = shared.lock();
                if outcome == Outcome::Interrupted {
                    st.trials.remove(&k);
                    st.stop = true;
                    shared.wake.notify_all();
                    return;
                }
                if let Outcome::Failed { retry: true, .. } = outcome
                    && attempt < study.config.retries
                    && !st.stop
                    && !cancelled()
                {
                    attempt += 1;
                    continue;
                }
                let t = st.trials.get_mut(&k).expect("inserted above");
                match outcome {
                    Outcome::Complete(v) if v.is_finite() => {
                        t.state = TrialState::Complete;
                        t.value = Some(v);
                    }
                    Outcome::Pruned => {
                        t.state = TrialState::Pruned;
                        t.value = t.intermediate.last().map(|(_, v)| *v);
                    }
                    _ => t.state = TrialState::Failed,
                }
                let finished = t.clone();
                drop(st);
                let result = listener.finished(&finished);
                let mut st = shared.lock();
                if let Err(e) = result {
                    st.error.get_or_insert(e);
                    st.stop = true;
                }
                shared.wake.notify_all();
                break;
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 0..study.config.workers.max(1) {
            s.spawn(worker);
        }
    });
    let st = std::mem::replace(
        &mut *shared.lock(),
        State {
            trials: BTreeMap::new(),
            next: 0,
            stop: true,
            error: None,
        },
    );
    if let Some(e) = st.error {
        return Err(TuneError::Objective(e));
    }
    Ok(st
        .trials
        .into_values()
        .filter(|t| t.state.is_finished())
        .collect())
}
