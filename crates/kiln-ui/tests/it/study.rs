//! A study's run page: a Branin study recorded by kiln-tune's `recording` (with a pruned
//! and a failed trial, and a choice whose value is markup), read back from the HTML against
//! what the store says.

use std::sync::Arc;

use axum::http::StatusCode;
use kiln_runs::{NewRun, Store};
use kiln_tune::benchmarks::branin;
use kiln_tune::record::{STUDY_NAME_TAG, recording, study_summary, study_trials};
use kiln_tune::{
    Direction, Objective, Outcome, ParamValue, Pruner, Space, Step, Study, StudyConfig, TpeSampler,
    TrialRun, TrialState, optimize,
};
use kiln_ui::Ui;

use super::{Fixture, get};

const PATHS: [&str; 3] = ["x1", "x2", "shape"];
const PRUNED: usize = 7;
const FAILED: usize = 5;

struct Branin;

impl Objective for Branin {
    fn evaluate(&self, trial: &TrialRun<'_>) -> Outcome {
        let x = |p: &str| trial.params[p].as_f64().unwrap();
        if trial.number == FAILED {
            return Outcome::Failed {
                reason: "diverged".into(),
                retry: false,
            };
        }
        if trial.number == PRUNED {
            trial.report(Step { group: 0, index: 0 }, 400.0);
            return Outcome::Pruned;
        }
        let penalty = match &trial.params["shape"] {
            ParamValue::Str(s) if s == "<b>" => 0.0,
            _ => 1.0,
        };
        Outcome::Complete(branin(x("x1"), x("x2")) + penalty)
    }
}

/// A finished 24-trial study in a fresh store; the fixture's one id is the study's run.
fn study_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("runs")).unwrap());
    let spec = format!(
        "{}\n[tune]\ntrials = 24\n[tune.space]\n\
         x1 = {{ uniform = [-5.0, 10.0] }}\n\
         x2 = {{ uniform = [0.0, 15.0] }}\n\
         shape = {{ choice = [\"<b>\", \"plain\"] }}\n",
        kiln_spec::examples::example("moons-mlp").unwrap()
    );
    let parsed = kiln_spec::parse_spec(&spec, "spec.toml").unwrap();
    let space = Space::from_spec(&parsed.tune.unwrap().space).unwrap();
    let tag = |k: &str, v: &str| (k.to_string(), v.to_string());
    let run = store
        .create_run(&NewRun {
            name: Some("branin-study".into()),
            tags: [
                tag(STUDY_NAME_TAG, "branin-study"),
                tag("kiln.tune.metric", "branin"),
                tag("kiln.tune.direction", "minimize"),
                tag("kiln.tune.trials", "24"),
            ]
            .into(),
            ..NewRun::default()
        })
        .unwrap();
    store
        .put_artifact(&run.run_id, "spec.toml", &mut spec.as_bytes())
        .unwrap();
    let tpe = TpeSampler::new(3, Direction::Minimize);
    let study = Study {
        space: &space,
        sampler: &tpe,
        pruner: Pruner::None,
        config: StudyConfig {
            direction: Direction::Minimize,
            trials: 24,
            workers: 1,
            lag: 1,
            timeout: None,
            retries: 0,
        },
        enqueued: Vec::new(),
    };
    recording(&store, &run, |listener| {
        optimize(&study, &Branin, listener, Vec::new(), None)
    })
    .unwrap()
    .unwrap();
    let router = kiln_ui::router(Arc::new(Ui {
        store: Arc::clone(&store),
        live: Vec::new(),
    }));
    Fixture {
        _dir: dir,
        store,
        ids: vec![run.run_id],
        router,
    }
}

/// The part of `html` from the element with id `id` to the next `</section>` (the end of a
/// section without sections inside).
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let from = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[from..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_study_page_shows_every_trial_the_best_and_the_charts() {
    let f = study_fixture();
    let id = &f.ids[0];
    let trials = study_trials(&f.store, id).unwrap();
    assert_eq!(trials.len(), 24);
    let (status, html) = get(&f, &format!("/ui/runs/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let study = section(&html, "study");
    assert!(study.contains("data-key=\"metric\">branin<"));
    assert!(study.contains("data-key=\"direction\">minimize<"));

    // Every trial: a row with its state and its exact value, and a link to its run.
    let table = section(&html, "study-trials");
    for (t, run_id) in &trials {
        let state = t.state.as_str();
        let row_start = table
            .find(&format!(
                "<tr data-trial=\"{}\" data-state=\"{state}\"",
                t.number
            ))
            .unwrap_or_else(|| panic!("no row for trial {}", t.number));
        let row = &table[row_start..];
        let row = &row[..row.find("</tr>").unwrap()];
        if let Some(v) = t.value {
            assert!(row.contains(&format!("data-value=\"{v}\"")), "{row}");
        }
        assert!(
            row.contains(&format!("href=\"/ui/runs/{run_id}\"")),
            "{row}"
        );
    }
    let state_of = |k: usize| trials.iter().find(|(t, _)| t.number == k).unwrap().0.state;
    assert_eq!(state_of(PRUNED), TrialState::Pruned);
    assert_eq!(state_of(FAILED), TrialState::Failed);
    // The failed trial has no value: the history lists it by name.
    assert!(section(&html, "study-without-value").contains("trial 5 (FAILED)"));

    // The best trial, worked out here from the rows' states and values.
    let best = trials
        .iter()
        .filter(|(t, _)| t.state == TrialState::Complete)
        .min_by(|a, b| a.0.value.unwrap().total_cmp(&b.0.value.unwrap()))
        .unwrap();
    let n = best.0.number;
    assert!(study.contains(&format!("data-key=\"best\" data-value=\"{n}\"")));
    assert!(table.contains(&format!(
        "<tr data-trial=\"{n}\" data-state=\"COMPLETE\" data-run-id=\"{}\" class=\"best\"",
        best.1
    )));
    assert_eq!(table.matches("class=\"best\"").count(), 1);

    // History: the complete trials as markers, the best-so-far line, the pruned trial.
    let history = section(&html, "study-history");
    for name in ["complete", "best so far", "pruned"] {
        assert!(history.contains(&format!("data-name=\"{name}\"")), "{name}");
    }
    let complete = trials
        .iter()
        .filter(|(t, _)| t.state == TrialState::Complete)
        .count();
    let complete_series = history.split("data-name=\"complete\"").nth(1).unwrap();
    let complete_series = &complete_series[..complete_series.find("</g>").unwrap()];
    assert_eq!(complete_series.matches("<circle").count(), complete);
    assert_eq!(complete_series.matches("<polyline").count(), 0);

    // Importance: one bar per searched path, labelled with it.
    let summary = study_summary(&f.store, &f.store.run(id).unwrap())
        .unwrap()
        .unwrap();
    let importance = summary.importance.expect("enough trials for importance");
    let bars = section(&html, "study-importance");
    let bars_drawn = bars
        .split("<rect ")
        .skip(1)
        .filter(|r| r.split('>').next().unwrap().contains("data-value="))
        .count();
    assert_eq!(bars_drawn, PATHS.len());
    for (path, _) in &importance {
        assert!(bars.contains(&format!(">{path}</text>")), "{path}");
    }
    let mut paths: Vec<&str> = importance.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["shape", "x1", "x2"]);

    // Slices: one chart per path, the choice's values as its categories.
    let slices = section(&html, "study-slices");
    for path in PATHS {
        assert!(
            slices.contains(&format!("<figure data-path=\"{path}\"")),
            "{path}"
        );
    }
    // Parallel coordinates: one polyline per complete trial.
    let parallel = section(&html, "study-parallel");
    assert_eq!(parallel.matches("<polyline").count(), complete);

    // The choice `<b>` is text everywhere: in the table, the slice's categories, the note.
    let from_study = &html[html.find("id=\"study\"").unwrap()..];
    assert!(!from_study.contains("<b>"), "unescaped choice value");
    assert!(table.contains("<td data-key=\"shape\">&lt;b&gt;</td>"));
    assert!(slices.contains(">&lt;b&gt;</text>"));
}

#[test]
fn a_study_report_is_offline_and_links_nowhere() {
    let f = study_fixture();
    let html = kiln_ui::run_report(&f.store, &f.ids[0]).unwrap();
    assert!(html.contains("id=\"study-trials\"") && html.contains("id=\"study-parallel\""));
    assert_eq!(html.matches("<tr data-trial=").count(), 24);
    assert!(!html.contains("href"), "a link in the offline report");
    assert!(!html.contains("<script"));
}
