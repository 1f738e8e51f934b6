//! `kiln explain`: permutation importance finds the column a model uses and gives ≈ 0 to one
//! it cannot use; integrated gradients add up to the output's change on every row; TCAV finds
//! the planted concepts (with the right sign) and not one on a column the model never sees;
//! clear errors for a class, a layer or a column the model or data lack, a filter that does not
//! parse, a concept with too few rows, an unknown method.

use crate::util::Dir;

/// 1,500 rows: `y` is "yes" when `signal + 0.8·[color = red] > 0.2`; `noise` (an input) and
/// `batch` (not an input) are independent of everything (a deterministic generator, so the
/// file is the same every time).
fn planted_csv() -> String {
    let mut state: u64 = 42;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 11) as f64) / ((1u64 << 53) as f64) * 2.0 - 1.0
    };
    let mut csv = String::from("signal,noise,color,y,batch\n");
    for _ in 0..1500 {
        let (signal, noise, c, batch) = (uniform(), uniform(), uniform(), uniform());
        let color = if c < -0.33 {
            "red"
        } else if c < 0.33 {
            "green"
        } else {
            "blue"
        };
        let red = if color == "red" { 0.8 } else { 0.0 };
        let y = if signal + red > 0.2 { "yes" } else { "no" };
        csv.push_str(&format!("{signal:.5},{noise:.5},{color},{y},{batch:.5}\n"));
    }
    csv
}

const SPEC: &str = r#"
name = "planted"
[data]
source = "planted.csv"
[data.split]
test = 0.3
validation = 0.1
[[input]]
name = "signal"
type = "number"
[[input]]
name = "noise"
type = "number"
[[input]]
name = "color"
type = "category"
[output]
name = "y"
type = "category"
[[layers]]
type = "dense"
units = 16
activation = "tanh"
[training]
batch_size = 32
epochs = 40
seed = 1
[training.optimizer]
type = "adam"
learning_rate = 0.01
"#;

fn trained(dir: &Dir) {
    dir.write("planted.csv", planted_csv());
    dir.write("planted.toml", SPEC);
    dir.kiln(&[
        "train",
        "planted.toml",
        "-o",
        "planted.kiln",
        "--quiet",
        "--no-track",
    ])
    .success();
}

#[test]
fn importance_finds_the_used_columns_and_not_the_noise() {
    let dir = Dir::new();
    trained(&dir);
    let report = dir
        .kiln(&[
            "--json",
            "explain",
            "importance",
            "planted.kiln",
            "--repeats",
            "5",
        ])
        .json();
    assert_eq!(report["metric"], "accuracy");
    assert!(report["baseline"].as_f64().unwrap() > 0.95, "{report}");
    let mean = |name: &str| {
        report["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["feature"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report}"))["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(mean("signal") > 0.2, "{report}");
    assert!(mean("color") > 0.05, "{report}");
    assert!(mean("noise").abs() < 0.02, "{report}");
    // The same seed gives the same figures; the text output names every feature.
    let again = dir
        .kiln(&[
            "--json",
            "explain",
            "importance",
            "planted.kiln",
            "--repeats",
            "5",
        ])
        .json();
    assert_eq!(report["features"], again["features"]);
    let text = dir.kiln(&["explain", "importance", "planted.kiln"]);
    text.success();
    for name in ["signal", "noise", "color", "accuracy"] {
        assert!(text.stdout.contains(name), "{}", text.stdout);
    }
}

#[test]
fn integrated_gradients_add_up_on_every_row() {
    let dir = Dir::new();
    trained(&dir);
    let report = dir
        .kiln(&[
            "--json",
            "explain",
            "attributions",
            "planted.kiln",
            "--rows",
            "8",
        ])
        .json();
    assert_eq!(report["method"], "integrated-gradients");
    assert_eq!(report["rule"], "gausslegendre");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    for r in rows {
        assert_eq!(r["complete"], true, "{r}");
        let change = r["output"].as_f64().unwrap() - r["baseline_output"].as_f64().unwrap();
        let total: f64 = r["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["attribution"].as_f64().unwrap())
            .sum();
        assert!((total - change).abs() <= 0.01 * change.abs() + 1e-6, "{r}");
        // color's one-hot columns are summed into one feature.
        assert_eq!(r["features"].as_array().unwrap().len(), 3);
        assert!(["yes", "no"].contains(&r["target"].as_str().unwrap()));
    }
    let gxi = dir
        .kiln(&[
            "--json",
            "explain",
            "attributions",
            "planted.kiln",
            "--method",
            "gradient-x-input",
            "--class",
            "yes",
            "--rows",
            "3",
        ])
        .json();
    assert!(
        gxi["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["target"] == "yes")
    );
    dir.kiln(&[
        "explain",
        "attributions",
        "planted.kiln",
        "--class",
        "maybe",
    ])
    .fails_with(&["no class `maybe`", "yes"]);
    dir.kiln(&[
        "explain",
        "attributions",
        "planted.kiln",
        "--method",
        "shap",
    ])
    .fails_with(&["--method shap", "integrated-gradients"]);
}

#[test]
fn tcav_finds_the_planted_concepts_and_not_an_unseen_column() {
    let dir = Dir::new();
    trained(&dir);
    let report = dir
        .kiln(&[
            "--json",
            "explain",
            "tcav",
            "planted.kiln",
            "--class",
            "yes",
            "--concept",
            "red=color = 'red'",
            "--concept",
            "low=signal < -0.5",
            "--concept",
            "unseen=batch > 0.3",
            "--layer",
            "dense_1",
        ])
        .json();
    assert_eq!(report["tests"], 3);
    let result = |name: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["concept"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report}"))
            .clone()
    };
    let (red, low, unseen) = (result("red"), result("low"), result("unseen"));
    // Red rows push toward "yes", low signal away from it.
    assert_eq!(red["significant"], true, "{red}");
    assert!(red["sign_count"].as_f64().unwrap() > 0.9, "{red}");
    assert_eq!(low["significant"], true, "{low}");
    assert!(low["sign_count"].as_f64().unwrap() < 0.1, "{low}");
    // A column the model never reads, independent of its inputs: not significant.
    assert_eq!(unseen["significant"], false, "{unseen}");
    // Beside a concept on an input: that input's permutation importance.
    assert_eq!(red["input_importance"][0]["input"], "color");
    assert!(red["input_importance"][0]["mean"].as_f64().unwrap() > 0.05);
    assert!(unseen["input_importance"].as_array().unwrap().is_empty());
    // Random vs random is centred on 0.5 (within 3 standard errors of its 50 runs).
    let runs: Vec<f64> = red["random_runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let m = runs.iter().sum::<f64>() / runs.len() as f64;
    let sd = (runs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (runs.len() as f64 - 1.0)).sqrt();
    assert!(
        (m - 0.5).abs() <= 3.0 * sd / (runs.len() as f64).sqrt(),
        "{m} ± {sd}"
    );
    // The text names a verdict, never a bare score for an insignificant concept.
    let text = dir.kiln(&[
        "explain",
        "tcav",
        "planted.kiln",
        "--class",
        "yes",
        "--concept",
        "unseen=batch > 0.3",
    ]);
    text.success();
    assert!(
        text.stdout.contains("unseen at dense_1") && text.stdout.contains("not significant"),
        "{}",
        text.stdout
    );
}

#[test]
fn tcav_refuses_what_it_cannot_test_with_the_reason() {
    let dir = Dir::new();
    trained(&dir);
    let tcav = |extra: &[&str]| {
        let mut args = vec!["explain", "tcav", "planted.kiln"];
        args.extend_from_slice(extra);
        dir.kiln(&args)
    };
    tcav(&["--class", "maybe", "--concept", "r=color = 'red'"])
        .fails_with(&["no class `maybe`", "no, yes"]);
    tcav(&["--class", "yes", "--concept", "r=colour = 'red'"])
        .fails_with(&["no column `colour`", "signal, noise, color, y, batch"]);
    tcav(&["--class", "yes", "--concept", "r=color = = 'red'"]).fails_with(&["concept `r`", "^"]);
    tcav(&[
        "--class",
        "yes",
        "--concept",
        "r=color = 'red'",
        "--layer",
        "dense_7",
    ])
    .fails_with(&["no layer `dense_7`", "0 dense_1"]);
    tcav(&["--class", "yes", "--concept", "tiny=signal > 0.999"])
        .fails_with(&["matches 0 training rows", "at least 10"]);
    tcav(&["--class", "yes", "--concept", "no-equals-sign"]).fails_with(&["NAME=FILTER"]);
}

#[test]
fn tcav_and_attributions_read_a_binary_head() {
    let dir = Dir::new();
    dir.write("planted.csv", planted_csv());
    dir.write(
        "binary.toml",
        SPEC.replace(
            "name = \"y\"\ntype = \"category\"",
            "name = \"y\"\ntype = \"binary\"",
        ),
    );
    dir.kiln(&[
        "train",
        "binary.toml",
        "-o",
        "binary.kiln",
        "--quiet",
        "--no-track",
    ])
    .success();
    let report = dir
        .kiln(&[
            "--json",
            "explain",
            "tcav",
            "binary.kiln",
            "--class",
            "no",
            "--concept",
            "red=color = 'red'",
        ])
        .json();
    let red = &report["results"][0];
    // Red rows push away from "no": the negated logit's derivative is negative along the CAV.
    assert_eq!(red["significant"], true, "{red}");
    assert!(red["sign_count"].as_f64().unwrap() < 0.1, "{red}");
    let ig = dir
        .kiln(&[
            "--json",
            "explain",
            "attributions",
            "binary.kiln",
            "--class",
            "no",
            "--rows",
            "3",
        ])
        .json();
    for r in ig["rows"].as_array().unwrap() {
        assert_eq!(r["target"], "no");
        assert_eq!(r["negated"], true);
        assert_eq!(r["complete"], true, "{r}");
    }
}
