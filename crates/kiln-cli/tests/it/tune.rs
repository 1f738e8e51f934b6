//! `kiln tune`: a study on moons recorded in the store, reproducible across workers and
//! resumes, pruning, the best model written, bad spaces refused before any trial.

use serde_json::Value;

use crate::util::Dir;

const TUNE: &str = r#"
[tune]
metric = "validation.accuracy"
trials = 8
startup_trials = 4
[tune.space]
"training.optimizer.learning_rate" = { log_uniform = [1e-3, 1e-1] }
"layers.0.units" = { int = [2, 32], log = true }
"training.batch_size" = { choice = [16, 32, 64] }
"#;

/// Writes `moons.toml` (the example, 12 epochs, early stopping off) with `tune` appended.
fn spec(dir: &Dir, tune: &str) {
    dir.kiln(&[
        "init",
        "--example",
        "moons-mlp",
        "-o",
        "moons.toml",
        "--force",
    ])
    .success();
    let text = String::from_utf8(dir.read("moons.toml")).unwrap();
    let start = text.find("[training.early_stopping]").unwrap();
    let end = text[start..].find("\n\n").map_or(text.len(), |i| start + i);
    let text = format!("{}{}", &text[..start], &text[end..]).replace("epochs = 100", "epochs = 12");
    dir.write("moons.toml", format!("{text}{tune}"));
}

/// Runs `kiln --json tune ARGS` and returns its trial events by number and its done event.
fn tune(dir: &Dir, args: &[&str]) -> (Vec<Value>, Value) {
    let mut all = vec!["--json", "tune", "moons.toml"];
    all.extend_from_slice(args);
    let run = dir.kiln(&all);
    run.success();
    let events = run.json_lines();
    let mut trials: Vec<Value> = events
        .iter()
        .filter(|e| e["event"] == "trial")
        .cloned()
        .collect();
    trials.sort_by_key(|t| t["number"].as_u64());
    let done = events
        .iter()
        .find(|e| e["event"] == "done")
        .cloned()
        .expect("a done event");
    (trials, done)
}

/// Number, params and value of each trial: what must not depend on workers or resumes.
fn results(trials: &[Value]) -> Vec<(Value, Value, Value, Value)> {
    trials
        .iter()
        .map(|t| {
            (
                t["number"].clone(),
                t["state"].clone(),
                t["params"].clone(),
                t["value"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_study_records_its_trials_and_writes_the_best_model() {
    let dir = Dir::new();
    spec(&dir, TUNE);
    let (trials, done) = tune(&dir, &["--workers", "2", "-o", "best.kiln"]);
    assert_eq!(trials.len(), 8);
    assert_eq!(done["complete"], 8);
    // The best is the highest validation accuracy of the trials.
    let best = trials
        .iter()
        .map(|t| t["value"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(done["best"]["value"].as_f64(), Some(best));
    // Its model and spec are written; the spec has the trial's values.
    let inspect = dir.kiln(&["--json", "inspect", "best.kiln"]);
    inspect.success();
    let best_spec = String::from_utf8(dir.read("best.toml")).unwrap();
    let units = done["best"]["params"]["layers.0.units"].as_i64().unwrap();
    let parsed: toml::Table = best_spec.parse().unwrap();
    assert_eq!(parsed["layers"][0]["units"].as_integer(), Some(units));
    // Every trial is a child run of the study with its result; the study records the best.
    let study_id = done["study_run_id"].as_str().unwrap();
    let show = dir.kiln(&["--json", "runs", "show", study_id]);
    show.success();
    let shown = show.json();
    assert_eq!(shown["children"].as_array().unwrap().len(), 8);
    assert_eq!(shown["study"]["trials"].as_array().unwrap().len(), 8);
    assert_eq!(shown["study"]["best"]["value"].as_f64(), Some(best));
    assert_eq!(shown["run"]["info"]["status"], "FINISHED");
    let text = dir.kiln(&["runs", "show", study_id]);
    text.success();
    assert!(
        text.stdout.contains("Importance (PED-ANOVA)"),
        "{}",
        text.stdout
    );
    // A trial's run is a full training run: its spec has the trial's values.
    let trial_run = trials[3]["run_id"].as_str().unwrap();
    let trial = dir.kiln(&["--json", "runs", "show", trial_run]).json();
    assert_eq!(
        trial["run"]["data"]["params"]["layers.0.units"],
        trials[3]["params"]["layers.0.units"].to_string()
    );
}

#[test]
fn one_worker_and_two_give_the_same_study_and_a_resume_continues_it() {
    let dir = Dir::new();
    spec(&dir, TUNE);
    let (one, _) = tune(&dir, &["--workers", "1", "--lag", "2", "--study", "a"]);
    let (two, _) = tune(&dir, &["--workers", "2", "--lag", "2", "--study", "b"]);
    assert_eq!(results(&one), results(&two));
    // Five trials, then the same study resumed to eight: the same eight trials.
    let (first, _) = tune(&dir, &["--workers", "2", "--study", "c", "--trials", "5"]);
    assert_eq!(first.len(), 5);
    let (rest, done) = tune(&dir, &["--workers", "2", "--study", "c", "--resume"]);
    assert_eq!(rest.len(), 3, "only the missing trials run");
    let mut all = first;
    all.extend(rest);
    assert_eq!(results(&all), results(&two));
    assert_eq!(done["trials"], 8);
}

#[test]
fn asha_prunes_trials_that_learn_slowly() {
    let dir = Dir::new();
    let tune_asha = TUNE
        .replace("trials = 8", "trials = 12\npruner = \"asha\"")
        .replace("[1e-3, 1e-1]", "[1e-5, 1e-1]");
    spec(&dir, &tune_asha);
    // One worker: the pruner sees trials in order, so the verdicts are reproducible.
    let (trials, done) = tune(&dir, &["--workers", "1"]);
    let pruned: Vec<&Value> = trials.iter().filter(|t| t["state"] == "PRUNED").collect();
    assert!(!pruned.is_empty(), "no trial pruned: {trials:?}");
    assert_eq!(done["pruned"].as_u64(), Some(pruned.len() as u64));
    // A pruned trial stopped at a rung (epoch 1, 3 or 9) with fewer epochs than planned.
    for p in pruned {
        let id = p["run_id"].as_str().unwrap();
        let shown = dir.kiln(&["--json", "runs", "show", id]).json();
        let epochs = shown["history"]["tune.intermediate"]
            .as_array()
            .unwrap()
            .len();
        assert!([1, 3, 9].contains(&epochs), "pruned after {epochs} epochs");
        assert_eq!(shown["run"]["data"]["tags"]["kiln.stop"], "stopped");
    }
}

#[test]
fn a_bad_space_is_refused_before_any_trial_runs() {
    let dir = Dir::new();
    spec(
        &dir,
        &TUNE.replace("training.batch_size", "training.batch_sise"),
    );
    dir.kiln(&["tune", "moons.toml"]).fails_with(&[
        "tune.space.\"training.batch_sise\"",
        "unknown key `batch_sise`",
    ]);
    spec(&dir, &TUNE.replace("layers.0.units", "layers.7.units"));
    dir.kiln(&["tune", "moons.toml"])
        .fails_with(&["tune.space.\"layers.7.units\"", "no layers[7]"]);
    spec(&dir, &TUNE.replace("[1e-3, 1e-1]", "[0.1, 0.001]"));
    dir.kiln(&["tune", "moons.toml"]).fails_with(&[
        "tune.space.\"training.optimizer.learning_rate\"",
        "low < high",
    ]);
    spec(
        &dir,
        &TUNE.replace(
            "metric = \"validation.accuracy\"",
            "metric = \"test.accuracy\"\ndirection = \"up\"",
        ),
    );
    dir.kiln(&["tune", "moons.toml"])
        .fails_with(&["tune.direction", "expected maximize or minimize"]);
    spec(&dir, "");
    dir.kiln(&["tune", "moons.toml"])
        .fails_with(&["no [tune] section"]);
    spec(&dir, TUNE);
    dir.kiln(&["tune", "moons.toml", "--resume", "--study", "never"])
        .fails_with(&["no study named `never`"]);
    // Nothing was recorded by the refused studies.
    let runs = dir.kiln(&["--json", "runs", "list"]).json();
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(0));
}

#[test]
fn refit_trains_the_best_spec_on_training_and_validation_rows() {
    let dir = Dir::new();
    spec(&dir, &TUNE.replace("trials = 8", "trials = 3"));
    let (_, done) = tune(&dir, &["-o", "best.kiln", "--refit"]);
    let refit = done["refit_run_id"].as_str().expect("a refit run");
    let best_spec: toml::Table = String::from_utf8(dir.read("best.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        best_spec["data"]["split"]["validation"].as_float(),
        Some(0.0)
    );
    let units = done["best"]["params"]["layers.0.units"].as_i64().unwrap();
    assert_eq!(best_spec["layers"][0]["units"].as_integer(), Some(units));
    let shown = dir.kiln(&["--json", "runs", "show", refit]).json();
    assert_eq!(shown["run"]["info"]["parent_run_id"], done["study_run_id"]);
    assert_eq!(
        shown["run"]["data"]["tags"]["kiln.refit_of"],
        done["best"]["run_id"]
    );
    dir.kiln(&["inspect", "best.kiln"]).success();
    dir.kiln(&["tune", "moons.toml", "--refit"])
        .fails_with(&["--output"]);
}

#[test]
fn a_trials_result_does_not_depend_on_how_many_threads_it_trains_with() {
    let dir = Dir::new();
    spec(
        &dir,
        &TUNE
            .replace("trials = 8", "trials = 4")
            .replace("[2, 32]", "[64, 512]"),
    );
    let with_threads = |threads: &str, study: &str| {
        let run = dir
            .command(&["--json", "tune", "moons.toml", "--study", study])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        let run = crate::util::Run::new(&["tune", study], run);
        run.success();
        let mut trials: Vec<Value> = run
            .json_lines()
            .into_iter()
            .filter(|e| e["event"] == "trial")
            .collect();
        trials.sort_by_key(|t| t["number"].as_u64());
        results(&trials)
    };
    let one = with_threads("1", "one");
    assert_eq!(one.len(), 4);
    assert_eq!(one, with_threads("3", "three"), "1 thread vs 3");
}

#[test]
fn with_folds_asha_prunes_within_a_folds_epochs() {
    let dir = Dir::new();
    let tune_folds = TUNE
        .replace(
            "metric = \"validation.accuracy\"",
            "metric = \"cv_mean.accuracy\"",
        )
        .replace("trials = 8", "trials = 10\npruner = \"asha\"")
        .replace("[1e-3, 1e-1]", "[1e-5, 1e-1]");
    spec(&dir, &tune_folds);
    let (trials, done) = tune(&dir, &["--workers", "1", "--folds", "2"]);
    assert_eq!(done["trials"], 10);
    let pruned: Vec<&Value> = trials.iter().filter(|t| t["state"] == "PRUNED").collect();
    assert!(!pruned.is_empty(), "no trial pruned: {trials:?}");
    for t in &trials {
        let id = t["run_id"].as_str().unwrap();
        let shown = dir.kiln(&["--json", "runs", "show", id]).json();
        // Steps are fold · 1,000,000 + epoch, folds from 1: each fold's epochs count from 1.
        let steps: Vec<i64> = shown["history"]["tune.intermediate"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["step"].as_i64().unwrap())
            .collect();
        let (folds, last) = (
            steps[steps.len() - 1] / 1_000_000,
            steps[steps.len() - 1] % 1_000_000,
        );
        for fold in 1..=folds {
            let epochs: Vec<i64> = steps
                .iter()
                .filter(|s| *s / 1_000_000 == fold)
                .map(|s| s % 1_000_000)
                .collect();
            let whole = fold < folds || t["state"] == "COMPLETE";
            let expected: Vec<i64> = (1..=if whole { 12 } else { last }).collect();
            assert_eq!(
                epochs, expected,
                "trial {} fold {fold}: {steps:?}",
                t["number"]
            );
        }
        let tags = &shown["run"]["data"]["tags"];
        if t["state"] == "PRUNED" {
            // Stopped at a rung of its fold (epoch 1, 3 or 9); no final model was trained.
            assert!([1, 3, 9].contains(&last), "{steps:?}");
            assert_eq!(tags["kiln.stop"], "stopped");
        } else {
            assert_eq!(folds, 2, "a finished trial ran both folds: {steps:?}");
        }
    }
    assert!(
        trials
            .iter()
            .any(|t| t["state"] == "COMPLETE" && t["value"].as_f64().is_some()),
        "{trials:?}"
    );
}
