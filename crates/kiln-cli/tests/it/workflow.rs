//! The paths a user takes when things go right.

use crate::util::{COLORS_CSV, Dir, colors_spec};

#[test]
fn moons_init_train_evaluate_predict_inspect() {
    let dir = Dir::new();
    let init = dir.kiln(&["init", "--example", "moons-mlp"]);
    init.success();
    assert!(
        init.stdout.contains("source = \"moons\""),
        "{}",
        init.stdout
    );
    dir.write("moons.toml", &init.stdout);

    let train = dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "moons.kiln",
        "--epochs",
        "3",
        "--json",
    ]);
    train.success();
    let events = train.json_lines();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    // The run is recorded in the test's own store (`KILN_TRACKING_URI`, see util.rs) first.
    assert_eq!(names[..2], ["tracked", "prepared"], "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert!(!names.contains(&"step"), "step events in JSON: {names:?}");
    let epochs: Vec<_> = events.iter().filter(|e| e["event"] == "epoch").collect();
    assert_eq!(epochs.len(), 3);
    for (i, e) in epochs.iter().enumerate() {
        assert_eq!(e["epoch"], i + 1);
        assert_eq!(e["epochs"], 3);
        assert!(e["seconds"].as_f64().unwrap() >= 0.0, "{e}");
        for key in [
            "loss",
            "accuracy",
            "val_loss",
            "val_accuracy",
            "lr",
            "steps",
        ] {
            assert!(e.get(key).is_some(), "epoch event lacks {key}: {e}");
        }
    }
    let test = events
        .iter()
        .find(|e| e["event"] == "evaluated" && e["split"] == "test")
        .expect("a test evaluation event");
    assert!(
        test["metrics"]["accuracy"].as_f64().unwrap() > 0.5,
        "{test}"
    );
    assert_eq!(events.last().unwrap()["stop"], "completed");
    assert!(dir.path("moons.kiln").is_file());

    let eval = dir.kiln(&["evaluate", "moons.kiln", "--json"]);
    eval.success();
    let accuracy = eval.json()["metrics"]["accuracy"]
        .as_f64()
        .expect("accuracy");
    assert!((0.5..=1.0).contains(&accuracy), "{accuracy}");
    let text = dir.kiln(&["evaluate", "moons.kiln", "--data", "validation"]);
    text.success();
    assert!(text.stdout.contains("accuracy"), "{}", text.stdout);

    dir.write("points.csv", "x0,x1\n0.5,0.2\n-1,0.5\n1.5,-0.4\n2,0.1\n");
    dir.kiln(&["predict", "moons.kiln", "points.csv", "-o", "out.csv"])
        .success();
    let out = String::from_utf8(dir.read("out.csv")).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("label,p_0,p_1"));
    assert_eq!(lines.count(), 4, "{out}");
    let jsonl = dir.kiln(&["predict", "moons.kiln", "points.csv"]);
    jsonl.success();
    let rows = jsonl.json_lines();
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter().all(|r| r["label"] == "0" || r["label"] == "1"),
        "{rows:?}"
    );

    let inspect = dir.kiln(&["inspect", "moons.kiln"]);
    inspect.success();
    for needle in [
        "moons-mlp",
        "x0  number  standardize mean=",
        "head dense 2",
        "Total params: ",
        "3 epochs",
        "test",
        "split seed",
        "[[input]]",
    ] {
        assert!(
            inspect.stdout.contains(needle),
            "inspect lacks {needle:?}:\n{}",
            inspect.stdout
        );
    }
    let json = dir.kiln(&["inspect", "moons.kiln", "--json"]);
    json.success();
    let v = json.json();
    assert!(v["total_params"].as_u64().unwrap() > 0);
    assert_eq!(v["total_params"], v["header"]["params"]);
    assert_eq!(v["header"]["name"], "moons-mlp");
}

#[test]
fn train_prints_one_line_per_epoch_and_the_test_metrics_when_not_a_terminal() {
    let dir = Dir::new();
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    // No -o: the model goes beside the spec.
    let run = dir.kiln(&["train", "moons.toml", "--epochs", "2"]);
    run.success();
    let epoch_lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("Epoch "))
        .collect();
    assert_eq!(epoch_lines.len(), 2, "{}", run.stderr);
    assert!(
        epoch_lines[1].starts_with("Epoch 2/2: "),
        "{}",
        epoch_lines[1]
    );
    assert!(
        epoch_lines[1].contains("/step - loss: "),
        "{}",
        epoch_lines[1]
    );
    assert!(
        epoch_lines[1].contains(" - val_accuracy: "),
        "{}",
        epoch_lines[1]
    );
    assert!(run.stdout.contains("Test metrics:"), "{}", run.stdout);
    assert!(run.stdout.contains("confusion matrix"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Saved model to moons.kiln"),
        "{}",
        run.stdout
    );
    assert!(dir.path("moons.kiln").is_file());
}

#[test]
fn quiet_train_prints_only_the_summary_line() {
    let dir = Dir::new();
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    let run = dir.kiln(&["train", "moons.toml", "-o", "m.kiln", "--epochs", "1", "-q"]);
    run.success();
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("Saved model to m.kiln (test accuracy "),
        "{}",
        run.stdout
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn resume_continues_from_the_checkpoint() {
    let dir = Dir::new();
    dir.trained_moons();
    assert!(
        dir.path("moons.kiln.ckpt").is_file(),
        "no checkpoint written"
    );
    let run = dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "moons.kiln",
        "--resume",
        "--epochs",
        "5",
        "--json",
    ]);
    run.success();
    let epochs: Vec<u64> = run
        .json_lines()
        .iter()
        .filter(|e| e["event"] == "epoch")
        .map(|e| e["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(epochs, [4, 5]);
}

#[test]
fn cross_validation_reports_each_fold() {
    let dir = Dir::new();
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    let run = dir.kiln(&[
        "train",
        "moons.toml",
        "--folds",
        "3",
        "--epochs",
        "1",
        "--json",
        "--no-checkpoint",
    ]);
    run.success();
    let events = run.json_lines();
    let folds = events.iter().filter(|e| e["event"] == "fold").count();
    let done = events.iter().filter(|e| e["event"] == "fold_done").count();
    assert_eq!((folds, done), (3, 3));
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "evaluated" && e["split"] == "cv_mean")
    );
    assert!(
        !dir.path("moons.kiln.ckpt").exists(),
        "--no-checkpoint wrote one"
    );
}

#[test]
fn unseen_category_at_predict_time_goes_to_the_unknown_bucket() {
    let dir = Dir::new();
    dir.write("colors.csv", COLORS_CSV);
    dir.write("colors.toml", colors_spec("colors.csv"));
    dir.kiln(&["train", "colors.toml", "-q"]).success();
    dir.write("new.csv", "x,color\n1,purple\n2,red\n");
    let run = dir.kiln(&["predict", "colors.kiln", "new.csv", "--format", "csv"]);
    run.success();
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    assert!(run.stderr.starts_with("warning: "), "{}", run.stderr);
    assert!(run.stderr.contains("purple"), "{}", run.stderr);
    assert!(run.stderr.contains("unknown bucket"), "{}", run.stderr);

    let inspect = dir.kiln(&["inspect", "colors.kiln"]);
    inspect.success();
    assert!(
        inspect
            .stdout
            .contains("color  category  3 values + unknown bucket"),
        "{}",
        inspect.stdout
    );
}

#[test]
fn evaluate_on_a_file() {
    let dir = Dir::new();
    dir.write("colors.csv", COLORS_CSV);
    dir.write("colors.toml", colors_spec("colors.csv"));
    dir.kiln(&["train", "colors.toml", "-q"]).success();
    let run = dir.kiln(&["evaluate", "colors.kiln", "--data", "colors.csv", "--json"]);
    run.success();
    assert_eq!(run.json()["metrics"]["count"], 10);
}

#[test]
fn init_lists_and_writes_examples() {
    let dir = Dir::new();
    let list = dir.kiln(&["init", "--list"]);
    list.success();
    assert!(
        list.stdout.lines().any(|l| l == "moons-mlp"),
        "{}",
        list.stdout
    );
    let json = dir.kiln(&["init", "--list", "--json"]);
    json.success();
    assert!(
        json.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "mnist-mlp")
    );

    dir.kiln(&["init", "-e", "boston", "-o", "b.toml"])
        .success();
    assert!(
        String::from_utf8(dir.read("b.toml"))
            .unwrap()
            .contains("medv")
    );
    dir.kiln(&["init", "-e", "boston", "-o", "b.toml"])
        .fails_with(&["b.toml already exists", "--force"]);
    dir.kiln(&["init", "-e", "boston", "-o", "b.toml", "--force"])
        .success();
}

#[test]
fn datasets_list_without_network() {
    let dir = Dir::new();
    let run = dir.kiln(&["datasets", "list", "--json"]);
    run.success();
    let list = run.json();
    let moons = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "moons")
        .expect("moons is listed");
    assert_eq!(moons["generated"], true);
    let mnist = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "mnist")
        .unwrap();
    assert_eq!(mnist["cached"], false, "the test cache is empty");

    let text = dir.kiln(&["datasets", "list"]);
    text.success();
    assert!(text.stdout.starts_with("NAME"), "{}", text.stdout);
    let fetch = dir.kiln(&["datasets", "fetch", "moons"]);
    fetch.success();
    assert!(
        fetch.stdout.contains("nothing to fetch"),
        "{}",
        fetch.stdout
    );
}

#[test]
fn help_lists_every_command() {
    let run = Dir::new().kiln(&["--help"]);
    run.success();
    for command in [
        "quickstart",
        "datasets",
        "init",
        "train",
        "evaluate",
        "predict",
        "inspect",
    ] {
        assert!(
            run.stdout.contains(command),
            "--help lacks {command}:\n{}",
            run.stdout
        );
    }
}

/// Ctrl-C stops training after the current step, saves the best weights so far and exits 130.
#[cfg(unix)]
#[test]
fn interrupt_saves_the_model_and_exits_130() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = Dir::new();
    dir.write(
        "long.toml",
        r#"name = "long"
[data]
source = "moons"
[data.generate]
samples = 4000
noise = 0.2
[data.split]
test = 0.1
validation = 0.1
[[input]]
name = "x0"
type = "number"
[[input]]
name = "x1"
type = "number"
[output]
name = "label"
type = "category"
[[layers]]
type = "dense"
units = 16
activation = "relu"
[training]
epochs = 100000
"#,
    );
    let mut child = dir
        .command(&["train", "long.toml", "-o", "long.kiln", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kiln");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut lines = Vec::new();
    // Wait until training is under way, then press Ctrl-C once.
    while stdout.read_line(&mut line).unwrap() > 0 {
        let is_epoch = line.contains(r#""event":"epoch""#);
        lines.push(std::mem::take(&mut line));
        if is_epoch {
            break;
        }
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let done: serde_json::Value =
        serde_json::from_str(rest.lines().last().expect("a done event")).unwrap();
    assert_eq!(done["event"], "done");
    assert_eq!(done["stop"], "interrupted");
    assert!(dir.path("long.kiln").is_file());
    dir.kiln(&["evaluate", "long.kiln"]).success();
}

/// The model file committed at `crates/kiln/tests/fixtures/model-9330d85` (written by kiln at
/// commit 9330d85) still passes `inspect` with the same report and `predict` writes the same
/// bytes it wrote then.
#[test]
fn a_model_file_from_an_earlier_kiln_inspects_and_predicts_as_it_did() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kiln/tests/fixtures/model-9330d85");
    let read = |name: &str| std::fs::read(fixture.join(name)).expect("fixture file");
    let w = Dir::new();
    w.write("model.kiln", read("model.kiln"));
    w.write("rows.csv", read("rows.csv"));
    let inspect = w.kiln(&["inspect", "model.kiln"]);
    inspect.success();
    assert_eq!(
        inspect.stdout,
        String::from_utf8(read("inspect.txt")).expect("utf-8"),
        "`kiln inspect` reports the old file differently"
    );
    let predict = w.kiln(&["predict", "model.kiln", "rows.csv"]);
    predict.success();
    assert_eq!(
        predict.stdout.as_bytes(),
        read("predictions.jsonl"),
        "`kiln predict` writes other bytes for the old file"
    );
}

/// `kiln train --set PATH=VALUE` changes the spec without editing it; the model file records
/// the changed spec, and a bad override is a clear error with exit code 1, not a panic.
#[test]
fn train_set_overrides_spec_settings() {
    let dir = Dir::new();
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "m.kiln",
        "--quiet",
        "--set",
        "training.epochs=2",
        "--set",
        "layers[0].units=4",
    ])
    .success();
    let inspect = dir.kiln(&["inspect", "m.kiln"]);
    inspect.success();
    assert!(inspect.stdout.contains("2 epochs"), "{}", inspect.stdout);
    assert!(
        inspect.stdout.contains("dense 4 tanh"),
        "{}",
        inspect.stdout
    );
    assert!(inspect.stdout.contains("epochs = 2"), "{}", inspect.stdout);
    dir.kiln(&["train", "moons.toml", "--set", "layers[7].units=4"])
        .fails_with(&["override `layers[7].units`", "layers has 2 entries"]);
    dir.kiln(&["train", "moons.toml", "--set", "epochs"])
        .fails_with(&["expected PATH=VALUE"]);
}
