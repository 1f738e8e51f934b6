//! Studies end to end: samplers against known optima, reproducibility across workers and
//! resumes, retries, pruning, the grid, importance.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use kiln_spec::DimensionSpec;
use kiln_tune::benchmarks::{BRANIN_MIN, HARTMANN6_MIN, branin, hartmann6};
use kiln_tune::{
    Direction, GridSampler, Objective, Outcome, ParamValue, Params, Pruner, Quiet, RandomSampler,
    Sampler, Space, Step, Study, StudyConfig, TpeSampler, Trial, TrialRun, TrialState, best,
    importance, optimize,
};

fn space(text: &str) -> Space {
    let t: BTreeMap<String, DimensionSpec> = toml::from_str(text).unwrap();
    Space::from_spec(&t).unwrap()
}

fn f(p: &Params, k: &str) -> f64 {
    p[k].as_f64().unwrap()
}

struct Fn<F>(F);
impl<F: std::ops::Fn(&TrialRun<'_>) -> Outcome + Sync> Objective for Fn<F> {
    fn evaluate(&self, trial: &TrialRun<'_>) -> Outcome {
        (self.0)(trial)
    }
}

fn config(trials: usize, workers: usize, lag: usize) -> StudyConfig {
    StudyConfig {
        direction: Direction::Minimize,
        trials,
        workers,
        lag,
        timeout: None,
        retries: 1,
    }
}

fn run(space: &Space, sampler: &dyn Sampler, cfg: StudyConfig, obj: &dyn Objective) -> Vec<Trial> {
    let study = Study {
        space,
        sampler,
        pruner: Pruner::None,
        config: cfg,
        enqueued: Vec::new(),
    };
    optimize(&study, obj, &Quiet, Vec::new(), None).unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

const BRANIN: &str = r#""x1" = { uniform = [-5.0, 10.0] }
"x2" = { uniform = [0.0, 15.0] }"#;

fn branin_gap(sampler: &dyn Sampler, trials: usize) -> f64 {
    let s = space(BRANIN);
    let obj =
        Fn(|t: &TrialRun<'_>| Outcome::Complete(branin(f(t.params, "x1"), f(t.params, "x2"))));
    let trials = run(&s, sampler, config(trials, 1, 1), &obj);
    best(&trials, Direction::Minimize).unwrap().value.unwrap() - BRANIN_MIN
}

#[test]
fn tpe_finds_branins_minimum_and_beats_random() {
    let seeds = 0..10u64;
    let tpe: Vec<f64> = seeds
        .clone()
        .map(|s| branin_gap(&TpeSampler::new(s, Direction::Minimize), 100))
        .collect();
    let mut mv = TpeSampler::new(0, Direction::Minimize);
    mv.multivariate = true;
    let tpe_mv: Vec<f64> = seeds
        .clone()
        .map(|s| {
            branin_gap(
                &TpeSampler {
                    seed: s,
                    ..mv.clone()
                },
                100,
            )
        })
        .collect();
    let random: Vec<f64> = seeds
        .map(|s| branin_gap(&RandomSampler { seed: s }, 100))
        .collect();
    let (t, m, r) = (median(tpe), median(tpe_mv), median(random));
    // Branin's range is ≈ 0.4 … 308; 100 TPE trials land within a few tenths of the minimum.
    assert!(t < 0.5 && m < 0.5, "TPE gap {t}, multivariate {m}");
    assert!(t < r && m < r, "TPE {t} / {m} vs random {r}");
}

#[test]
fn tpe_beats_random_on_hartmann6() {
    let text: String = (0..6)
        .map(|i| format!("\"x{i}\" = {{ uniform = [0.0, 1.0] }}\n"))
        .collect();
    let s = space(&text);
    let obj = Fn(|t: &TrialRun<'_>| {
        let x: [f64; 6] = std::array::from_fn(|i| f(t.params, &format!("x{i}")));
        Outcome::Complete(hartmann6(&x))
    });
    let gap = |sampler: &dyn Sampler| {
        let trials = run(&s, sampler, config(100, 1, 1), &obj);
        best(&trials, Direction::Minimize).unwrap().value.unwrap() - HARTMANN6_MIN
    };
    let tpe = median(
        (0..8)
            .map(|s| gap(&TpeSampler::new(s, Direction::Minimize)))
            .collect(),
    );
    let mut mv = TpeSampler::new(0, Direction::Minimize);
    mv.multivariate = true;
    let tpe_mv = median(
        (0..8)
            .map(|s| {
                gap(&TpeSampler {
                    seed: s,
                    ..mv.clone()
                })
            })
            .collect(),
    );
    let random = median((0..8).map(|s| gap(&RandomSampler { seed: s })).collect());
    assert!(
        tpe < random && tpe_mv < random,
        "TPE {tpe} / {tpe_mv} vs random {random}"
    );
}

/// An objective whose evaluation time varies with the trial, so workers finish out of order.
fn jittery() -> impl Objective {
    Fn(|t: &TrialRun<'_>| {
        std::thread::sleep(Duration::from_millis((t.number * 7 % 5) as u64));
        Outcome::Complete(branin(f(t.params, "x1"), f(t.params, "x2")))
    })
}

fn strip(trials: &[Trial]) -> Vec<(usize, Params, Option<f64>)> {
    trials
        .iter()
        .map(|t| (t.number, t.params.clone(), t.value))
        .collect()
}

#[test]
fn one_worker_and_four_give_the_same_trials_at_the_same_lag() {
    let s = space(BRANIN);
    let mut tpe = TpeSampler::new(7, Direction::Minimize);
    tpe.startup_trials = 5;
    let one = run(&s, &tpe, config(40, 1, 4), &jittery());
    let four = run(&s, &tpe, config(40, 4, 4), &jittery());
    assert_eq!(one.len(), 40);
    assert_eq!(strip(&one), strip(&four));
    // A different lag is a different (equally valid) study.
    let lag1 = run(&s, &tpe, config(40, 1, 1), &jittery());
    assert_ne!(strip(&one), strip(&lag1));
}

#[test]
fn a_resumed_study_equals_an_uninterrupted_one() {
    let s = space(BRANIN);
    let tpe = TpeSampler::new(3, Direction::Minimize);
    let whole = run(&s, &tpe, config(30, 2, 2), &jittery());
    // Ctrl-C during trial 17: it and anything after are dropped.
    let stop = AtomicBool::new(false);
    let interrupted = Fn(|t: &TrialRun<'_>| {
        if t.number == 17 {
            stop.store(true, Ordering::SeqCst);
            return Outcome::Interrupted;
        }
        jittery().evaluate(t)
    });
    let study = Study {
        space: &s,
        sampler: &tpe,
        pruner: Pruner::None,
        config: config(30, 2, 2),
        enqueued: Vec::new(),
    };
    let first = optimize(&study, &interrupted, &Quiet, Vec::new(), Some(&stop)).unwrap();
    assert!(
        first.len() < 30 && first.iter().all(|t| t.number != 17),
        "{}",
        first.len()
    );
    let resumed = optimize(&study, &jittery(), &Quiet, first, None).unwrap();
    assert_eq!(strip(&resumed), strip(&whole));
}

#[test]
fn failures_retry_when_worth_it_and_nan_fails_at_once() {
    let s = space(BRANIN);
    let attempts = Mutex::new(BTreeMap::<usize, usize>::new());
    let obj = Fn(|t: &TrialRun<'_>| {
        *attempts.lock().unwrap().entry(t.number).or_default() += 1;
        match t.number {
            1 if t.attempt == 0 => Outcome::Failed {
                reason: "disk full".into(),
                retry: true,
            },
            2 => Outcome::Complete(f64::NAN),
            3 => Outcome::Failed {
                reason: "always".into(),
                retry: true,
            },
            _ => Outcome::Complete(1.0),
        }
    });
    let trials = run(&s, &RandomSampler { seed: 1 }, config(5, 1, 1), &obj);
    let states: Vec<TrialState> = trials.iter().map(|t| t.state).collect();
    use TrialState::*;
    assert_eq!(states, vec![Complete, Complete, Failed, Failed, Complete]);
    let a = attempts.lock().unwrap();
    assert_eq!((a[&1], a[&2], a[&3]), (2, 1, 2)); // retries = 1
}

#[test]
fn asha_stops_the_slow_learners() {
    // Each trial's curve rises to a plateau set by `q`: high q learns well.
    let s = space(r#""q" = { uniform = [0.0, 1.0] }"#);
    let epochs_run = AtomicUsize::new(0);
    let obj = Fn(|t: &TrialRun<'_>| {
        let q = f(t.params, "q");
        let mut last = 0.0;
        for e in 1..=9u32 {
            epochs_run.fetch_add(1, Ordering::Relaxed);
            last = q * (1.0 - 0.5f64.powi(e as i32));
            if t.report(Step { group: 0, index: e }, last) {
                return Outcome::Pruned;
            }
        }
        Outcome::Complete(last)
    });
    let study = Study {
        space: &s,
        sampler: &RandomSampler { seed: 5 },
        pruner: Pruner::parse("asha").unwrap(),
        config: StudyConfig {
            direction: Direction::Maximize,
            ..config(30, 1, 1)
        },
        enqueued: Vec::new(),
    };
    let trials = optimize(&study, &obj, &Quiet, Vec::new(), None).unwrap();
    let pruned: Vec<&Trial> = trials
        .iter()
        .filter(|t| t.state == TrialState::Pruned)
        .collect();
    assert!(pruned.len() >= 15, "{} pruned", pruned.len());
    assert!(epochs_run.load(Ordering::Relaxed) < 30 * 9 / 2);
    // Every pruned trial was worse than the best complete one; the best q survived.
    let b = best(&trials, Direction::Maximize).unwrap();
    let q_best = trials.iter().map(|t| f(&t.params, "q")).fold(0.0, f64::max);
    assert!((f(&b.params, "q") - q_best).abs() < 1e-12);
    assert!(pruned.iter().all(|t| f(&t.params, "q") < f(&b.params, "q")));
}

#[test]
fn the_grid_visits_every_combination_once() {
    let s = space(
        r#""a" = { choice = ["x", "y", "z"] }
"b" = { int = [1, 4] }
"c" = { uniform = [0.0, 1.0], grid = 2 }"#,
    );
    let g = GridSampler::new(&s, 9).unwrap();
    assert_eq!(g.len(), 24);
    let trials = run(
        &s,
        &g,
        config(24, 2, 2),
        &Fn(|_: &TrialRun<'_>| Outcome::Complete(0.0)),
    );
    let mut seen: Vec<String> = trials.iter().map(|t| format!("{:?}", t.params)).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 24);
    let bad = space(r#""c" = { uniform = [0.0, 1.0] }"#);
    assert!(
        GridSampler::new(&bad, 0)
            .unwrap_err()
            .to_string()
            .contains("grid = N")
    );
}

#[test]
fn importance_finds_the_parameter_that_matters() {
    let s = space(
        r#""x" = { uniform = [0.0, 1.0] }
"y" = { uniform = [0.0, 1.0] }
"opt" = { choice = ["a", "b", "c"] }"#,
    );
    let obj = Fn(|t: &TrialRun<'_>| Outcome::Complete((f(t.params, "x") - 0.3).powi(2)));
    let trials = run(&s, &RandomSampler { seed: 2 }, config(200, 1, 1), &obj);
    let imp: BTreeMap<String, f64> = importance::ped_anova(&s, &trials, Direction::Minimize)
        .unwrap()
        .into_iter()
        .collect();
    assert!(imp["x"] > 0.8, "{imp:?}");
    assert!((imp.values().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn conditional_paths_and_enqueued_trials() {
    let s = space(
        r#""opt" = { choice = ["sgd", "adam"] }
"momentum" = { uniform = [0.0, 0.99], when = "opt = 'sgd'" }
"lr" = { log_uniform = [1e-4, 1e-1] }"#,
    );
    let enq: Params = [("opt".to_string(), ParamValue::Str("adam".into()))].into();
    let study = Study {
        space: &s,
        sampler: &TpeSampler {
            startup_trials: 5,
            ..TpeSampler::new(1, Direction::Minimize)
        },
        pruner: Pruner::None,
        config: config(30, 1, 1),
        enqueued: vec![enq],
    };
    let obj = Fn(|t: &TrialRun<'_>| {
        let m = t
            .params
            .get("momentum")
            .and_then(ParamValue::as_f64)
            .unwrap_or(0.0);
        Outcome::Complete((f(t.params, "lr").log10() + 2.0).powi(2) + (m - 0.9).powi(2))
    });
    let trials = optimize(&study, &obj, &Quiet, Vec::new(), None).unwrap();
    assert_eq!(trials[0].params["opt"], ParamValue::Str("adam".into()));
    for t in &trials {
        let sgd = t.params["opt"] == ParamValue::Str("sgd".into());
        assert_eq!(t.params.contains_key("momentum"), sgd, "{:?}", t.params);
    }
    let bad = Study {
        enqueued: vec![[("lr".to_string(), ParamValue::Float(2.0))].into()],
        ..study
    };
    let e = optimize(&bad, &obj, &Quiet, Vec::new(), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("enqueued trial 0") && e.contains("`lr` = 2"),
        "{e}"
    );
}

#[test]
fn a_study_in_the_store_reads_back_and_resumes_to_the_same_trials() {
    use kiln_tune::record::{STUDY_NAME_TAG, recording, study_trials};
    let dir = tempfile::tempdir().unwrap();
    let store = kiln_runs::Store::open(dir.path()).unwrap();
    let study = store
        .create_run(&kiln_runs::NewRun {
            name: Some("branin".into()),
            tags: [(STUDY_NAME_TAG.to_string(), "branin".to_string())].into(),
            ..kiln_runs::NewRun::default()
        })
        .unwrap();
    let s = space(BRANIN);
    let tpe = TpeSampler::new(11, Direction::Minimize);
    let make = |trials| Study {
        space: &s,
        sampler: &tpe,
        pruner: Pruner::None,
        config: config(trials, 2, 2),
        enqueued: Vec::new(),
    };
    let first = recording(&store, &study, |listener| {
        optimize(&make(12), &jittery(), listener, Vec::new(), None)
    })
    .unwrap()
    .unwrap();
    let stored: Vec<Trial> = study_trials(&store, &study.run_id)
        .unwrap()
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(
        stored, first,
        "trials read back exactly (values, types, states)"
    );
    // Continue to 25 trials from what the store holds: the same as 25 in one go.
    let resumed = recording(&store, &study, |listener| {
        optimize(&make(25), &jittery(), listener, stored, None)
    })
    .unwrap()
    .unwrap();
    let whole = run(&s, &tpe, config(25, 2, 2), &jittery());
    assert_eq!(strip(&resumed), strip(&whole));
    assert_eq!(study_trials(&store, &study.run_id).unwrap().len(), 25);
}

#[test]
fn a_store_that_refuses_a_trial_ends_the_study_with_its_error() {
    use kiln_tune::record::recording;
    let (here, there) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let store = kiln_runs::Store::open(here.path()).unwrap();
    // The study's run lives in another store, so this one refuses its child runs.
    let elsewhere = kiln_runs::Store::open(there.path())
        .unwrap()
        .create_run(&kiln_runs::NewRun::default())
        .unwrap();
    let s = space(BRANIN);
    let tpe = TpeSampler::new(3, Direction::Minimize);
    let study = Study {
        space: &s,
        sampler: &tpe,
        pruner: Pruner::None,
        config: config(200, 1, 1),
        enqueued: Vec::new(),
    };
    let mut study_error = String::new();
    let err = recording(&store, &elsewhere, |listener| {
        let out = optimize(&study, &jittery(), listener, Vec::new(), None);
        study_error = out.err().map(|e| e.to_string()).unwrap_or_default();
    })
    .unwrap_err();
    assert!(
        matches!(err, kiln_runs::RunsError::NotFound { .. }),
        "{err:?}"
    );
    // The study itself stopped with the listener's error instead of running its 200 trials.
    assert!(study_error.contains("recording trial"), "{study_error:?}");
    assert!(
        store
            .search_runs(&kiln_runs::RunQuery::default())
            .unwrap()
            .runs
            .is_empty()
    );
}
