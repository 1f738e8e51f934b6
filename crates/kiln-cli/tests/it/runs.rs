//! `kiln train` recorded as a run; `kiln runs` and `kiln models` over the store.

use serde_json::Value;

use crate::util::Dir;

/// Trains moons for 3 epochs (set in the spec text, so it is a param) and returns the run id.
fn trained(dir: &Dir, extra: &[&str]) -> String {
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    let mut args = vec![
        "--json",
        "train",
        "moons.toml",
        "-o",
        "moons.kiln",
        "--set",
        "training.epochs=3",
    ];
    args.extend_from_slice(extra);
    let run = dir.kiln(&args);
    run.success();
    run.json_lines()
        .iter()
        .find(|e| e["event"] == "tracked")
        .and_then(|e| e["run_id"].as_str())
        .expect("a tracked event")
        .to_string()
}

fn runs(dir: &Dir, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--json", "runs", "list"];
    all.extend_from_slice(args);
    dir.kiln(&all).success().json()["runs"]
        .as_array()
        .expect("runs")
        .clone()
}

#[test]
fn a_training_run_is_recorded_with_params_metrics_data_and_model() {
    let dir = Dir::new();
    let id = trained(&dir, &[]);
    let listed = runs(&dir, &[]);
    assert_eq!(listed.len(), 1);
    let run = &listed[0];
    assert_eq!(run["info"]["run_id"], id.as_str());
    assert_eq!(run["info"]["status"], "FINISHED");
    assert_eq!(run["data"]["params"]["training.epochs"], "3");
    assert_eq!(run["data"]["params"]["data.source"], "moons");
    let tags = &run["data"]["tags"];
    assert_eq!(tags["kiln.backend"], "flex");
    assert_eq!(tags["kiln.data_digest"].as_str().unwrap().len(), 64);
    assert_eq!(run["inputs"][0]["dataset"]["name"], "moons");

    // The final test accuracy matches the model file's.
    let inspect = dir
        .kiln(&["--json", "inspect", "moons.kiln"])
        .success()
        .json();
    let file_accuracy = inspect["header"]["metrics"]["test"]["accuracy"]
        .as_f64()
        .expect("test accuracy");
    let metric = |key: &str| {
        run["data"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .and_then(|m| m["value"].as_f64())
    };
    assert_eq!(metric("accuracy"), Some(file_accuracy));
    assert_eq!(metric("test.accuracy"), Some(file_accuracy));
    // The file's weights are the ones the run recorded.
    let weights = inspect["weights_sha256"].as_str().expect("weights digest");
    assert_eq!(weights.len(), 64);
    assert_eq!(tags["kiln.weights_sha256"], weights);

    // Per-epoch history, and the model file and spec as artifacts.
    let shown = dir
        .kiln(&["--json", "runs", "show", &id[..8]])
        .success()
        .json();
    let val = shown["history"]["val.accuracy"]
        .as_array()
        .expect("history");
    assert_eq!(
        val.iter()
            .map(|p| p["step"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let artifacts: Vec<&str> = shown["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    assert_eq!(artifacts, ["model.kiln", "spec.toml"]);
    let human = dir.kiln(&["runs", "show", &id]).success().stdout.clone();
    assert!(
        human.contains("Per step:") && human.contains("val.accuracy"),
        "{human}"
    );

    // Filters in MLflow's grammar.
    assert_eq!(
        runs(
            &dir,
            &[
                "--filter",
                "metrics.accuracy > 0.5 and params.training.epochs = '3'"
            ]
        )
        .len(),
        1
    );
    assert!(runs(&dir, &["--filter", "params.training.epochs = '4'"]).is_empty());
    dir.kiln(&["runs", "list", "--filter", "params.training.epochs = 3"])
        .fails_with(&["quote the value"]);
}

#[test]
fn reproduce_gives_identical_weights_and_a_changed_row_changes_the_digest() {
    let dir = Dir::new();
    let id = trained(&dir, &[]);
    let again = dir.kiln(&["runs", "reproduce", &id]);
    again.success();
    assert!(again.stdout.contains("bit-identical"), "{}", again.stdout);

    // A CSV whose one row changes between two runs.
    let rows: String = (0..60)
        .map(|i| format!("{},{},{}\n", i % 7, (i * 3) % 11, i % 2))
        .collect();
    dir.write("t.csv", format!("a,b,label\n{rows}"));
    let spec = r#"
[data]
source = "t.csv"
[[input]]
name = "a"
type = "number"
[[input]]
name = "b"
type = "number"
[output]
name = "label"
type = "category"
[[layers]]
type = "dense"
units = 4
activation = "relu"
[training]
epochs = 1
"#;
    dir.write("t.toml", spec);
    dir.kiln(&["train", "t.toml", "-o", "t1.kiln", "--quiet"])
        .success();
    dir.write(
        "t.csv",
        format!("a,b,label\n{}", rows.replacen("0,0,0", "0,0,1", 1)),
    );
    dir.kiln(&["train", "t.toml", "-o", "t2.kiln", "--quiet"])
        .success();
    let digests: Vec<String> = runs(&dir, &["--filter", "params.data.source = 't.csv'"])
        .iter()
        .map(|r| {
            r["data"]["tags"]["kiln.data_digest"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(digests.len(), 2);
    assert_ne!(
        digests[0], digests[1],
        "one changed row must change the data digest"
    );
    let ids: Vec<String> = runs(&dir, &["--filter", "params.data.source = 't.csv'"])
        .iter()
        .map(|r| r["info"]["run_id"].as_str().unwrap().to_string())
        .collect();
    let out = dir
        .kiln(&["runs", "compare", &ids[0], &ids[1]])
        .success()
        .stdout
        .clone();
    assert!(out.contains("kiln.data_digest"), "{out}");
}

#[test]
fn folds_are_child_runs_and_no_track_records_nothing() {
    let dir = Dir::new();
    let parent = trained(&dir, &["--folds", "2"]);
    let shown = dir
        .kiln(&["--json", "runs", "show", &parent])
        .success()
        .json();
    let children = shown["children"].as_array().expect("children");
    assert_eq!(children.len(), 2);
    assert!(children.iter().all(|c| c["status"] == "FINISHED"));
    assert_eq!(runs(&dir, &[]).len(), 3);
    dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "x.kiln",
        "--quiet",
        "--no-track",
    ])
    .success();
    assert_eq!(runs(&dir, &[]).len(), 3);
}

#[test]
fn an_unwritable_store_warns_and_training_goes_on() {
    let dir = Dir::new();
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    let not_a_folder = dir.write("file", "x");
    let out = dir
        .command(&[
            "train",
            "moons.toml",
            "-o",
            "m.kiln",
            "--epochs",
            "1",
            "--quiet",
        ])
        .env("KILN_TRACKING_URI", &not_a_folder)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: this run is not recorded"),
        "{stderr}"
    );
    assert!(dir.path("m.kiln").is_file());
}

#[test]
fn models_register_alias_and_show_history() {
    let dir = Dir::new();
    let id = trained(&dir, &[]);
    dir.kiln(&["models", "register", "moons", &id]).success();
    dir.kiln(&["models", "register", "moons", "moons.kiln"])
        .success();
    dir.kiln(&["models", "alias", "moons", "champion", "1"])
        .success();
    dir.kiln(&["models", "alias", "moons", "champion", "2"])
        .success();
    let shown = dir
        .kiln(&["--json", "models", "show", "moons"])
        .success()
        .json();
    assert_eq!(shown["model"]["aliases"]["champion"], 2);
    assert_eq!(shown["versions"].as_array().unwrap().len(), 2);
    assert_eq!(shown["alias_history"].as_array().unwrap().len(), 2);
    dir.kiln(&["models", "alias", "moons", "latest", "1"])
        .fails_with(&["reserved"]);
    dir.kiln(&["models", "alias", "moons", "champion", "9"])
        .fails_with(&["version 9"]);
}

#[test]
#[allow(clippy::print_stderr)] // reports the lag it measured
fn serving_an_alias_follows_it_with_no_failed_request() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use crate::serve::{post, serve};

    let dir = Dir::new();
    let first = trained(&dir, &[]);
    dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "two.kiln",
        "--epochs",
        "1",
        "--quiet",
    ])
    .success();
    dir.write("rows.csv", "x0,x1\n0.1,0.5\n-1.0,0.25\n2.0,-0.5\n");
    let predict = |model: &str| {
        dir.kiln(&["predict", model, "rows.csv"])
            .success()
            .json_lines()
    };
    let (want1, want2) = (predict("moons.kiln"), predict("two.kiln"));
    assert_ne!(want1, want2);
    dir.kiln(&["models", "register", "moons", &first]).success();
    dir.kiln(&["models", "register", "moons", "two.kiln"])
        .success();
    dir.kiln(&["models", "alias", "moons", "champion", "1"])
        .success();

    let (child, addr) = serve(&dir, &["models:/moons@champion"]);
    let body = r#"{"dataframe_split": {"columns": ["x0", "x1"], "data": [[0.1, 0.5], [-1.0, 0.25], [2.0, -0.5]]}}"#;
    let answered = |answer: &str| -> Vec<Value> {
        serde_json::from_str::<Value>(answer).unwrap()["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let mut row = row.clone();
                row.as_object_mut().unwrap().remove("prediction_id");
                row
            })
            .collect()
    };
    let (status, answer) = post(&addr, "/invocations", body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answered(&answer), want1);

    // Clients keep asking while the alias moves.
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (stop, sent, failed, addr) = (
                Arc::clone(&stop),
                Arc::clone(&sent),
                Arc::clone(&failed),
                addr.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let (status, _) = post(&addr, "/invocations", body);
                    sent.fetch_add(1, Ordering::SeqCst);
                    if status != 200 {
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let moved = std::time::Instant::now();
    dir.kiln(&["models", "alias", "moons", "champion", "2"])
        .success();
    let mut lag = None;
    while moved.elapsed() < std::time::Duration::from_secs(20) {
        let (status, answer) = post(&addr, "/invocations", body);
        assert_eq!(status, 200, "{answer}");
        if answered(&answer) == want2 {
            lag = Some(moved.elapsed());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let lag = lag.expect("the server never followed the alias");
    let sent = sent.load(Ordering::SeqCst);
    eprintln!("alias moved: served after {lag:?}; {sent} requests meanwhile");
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "requests failed during the swap"
    );
    assert!(sent > 20, "only {sent} requests were made around the move");
    // Within the stated lag: the poll interval plus loading the file, with slack for CI.
    assert!(lag < std::time::Duration::from_secs(5), "lag {lag:?}");
    let log = crate::serve::stop(child);
    assert!(log.contains("alias moved"), "{log}");

    // A fixed version is served as itself.
    let (child, addr) = serve(&dir, &["models:/moons/1"]);
    let (status, answer) = post(&addr, "/invocations", body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answered(&answer), want1);
    crate::serve::stop(child);
    dir.kiln(&["serve", "models:/moons@nobody", "--port", "0"])
        .fails_with(&["alias 'nobody'"]);
}
