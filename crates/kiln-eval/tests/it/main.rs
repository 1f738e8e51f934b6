//! kiln-eval against scikit-learn.
//!
//! `tests/fixtures/sklearn_metrics.json` holds both the inputs and scikit-learn's results; it is
//! written by `tests/reference/metrics_reference.py` at the repository root (re-run it after
//! changing a case; it records the scikit-learn and numpy versions it used).

use std::collections::BTreeMap;

use kiln_eval::{argmax, classification_report, regression_report};
use serde::Deserialize;

const TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Golden {
    versions: BTreeMap<String, String>,
    classification: Vec<ClassificationCase>,
    regression: Vec<RegressionCase>,
}

#[derive(Deserialize)]
struct ClassificationCase {
    name: String,
    classes: Vec<String>,
    y_true: Vec<usize>,
    /// One row per sample; every value is exactly representable in f32.
    probs: Vec<Vec<f64>>,
    expected: ClassificationExpected,
}

#[derive(Deserialize)]
struct ClassificationExpected {
    y_pred: Vec<usize>,
    accuracy: f64,
    log_loss: f64,
    precision: Vec<f64>,
    recall: Vec<f64>,
    f1: Vec<f64>,
    support: Vec<u64>,
    macro_avg: Averages,
    weighted_avg: Averages,
    confusion: Vec<Vec<u64>>,
}

#[derive(Deserialize)]
struct Averages {
    precision: f64,
    recall: f64,
    f1: f64,
}

#[derive(Deserialize)]
struct RegressionCase {
    name: String,
    y_true: Vec<f64>,
    y_pred: Vec<f64>,
    expected: RegressionExpected,
}

#[derive(Deserialize)]
struct RegressionExpected {
    mae: f64,
    mse: f64,
    rmse: f64,
    r2: f64,
}

fn golden() -> Golden {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sklearn_metrics.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {path}: {e}"))
}

#[track_caller]
fn check(case: &str, what: &str, kiln: f64, sklearn: f64) {
    assert!(
        (kiln - sklearn).abs() <= TOLERANCE,
        "{case}: {what}: kiln {kiln} vs scikit-learn {sklearn}"
    );
}

#[test]
fn golden_file_records_versions() {
    let golden = golden();
    for tool in ["scikit-learn", "numpy"] {
        assert!(golden.versions.contains_key(tool), "no {tool} version");
    }
    assert!(golden.classification.len() >= 2 && !golden.regression.is_empty());
}

#[test]
fn classification_matches_sklearn() {
    for case in golden().classification {
        let name = case.name.as_str();
        let k = case.classes.len();
        let probs: Vec<f32> = case
            .probs
            .iter()
            .flatten()
            .map(|&p| {
                // The script writes f32 values, so this cast is exact; checked below.
                let p32 = p as f32;
                assert_eq!(f64::from(p32), p, "{name}: {p} is not an f32");
                p32
            })
            .collect();
        let report = classification_report(&case.y_true, &probs, &case.classes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let e = &case.expected;

        let y_pred: Vec<usize> = probs.chunks_exact(k).map(argmax).collect();
        assert_eq!(y_pred, e.y_pred, "{name}: argmax");
        assert_eq!(report.confusion, e.confusion, "{name}: confusion matrix");
        assert_eq!(report.count, case.y_true.len());
        assert_eq!(report.classes, case.classes);
        check(name, "accuracy", report.accuracy, e.accuracy);
        check(name, "log loss", report.log_loss, e.log_loss);
        for (c, m) in report.per_class.iter().enumerate() {
            assert_eq!(m.class, case.classes[c]);
            assert_eq!(m.support, e.support[c], "{name}: support of {}", m.class);
            check(
                name,
                &format!("precision of {}", m.class),
                m.precision,
                e.precision[c],
            );
            check(
                name,
                &format!("recall of {}", m.class),
                m.recall,
                e.recall[c],
            );
            check(name, &format!("f1 of {}", m.class), m.f1, e.f1[c]);
        }
        for (label, kiln, sklearn) in [
            ("macro", report.macro_avg, &e.macro_avg),
            ("weighted", report.weighted_avg, &e.weighted_avg),
        ] {
            check(
                name,
                &format!("{label} precision"),
                kiln.precision,
                sklearn.precision,
            );
            check(
                name,
                &format!("{label} recall"),
                kiln.recall,
                sklearn.recall,
            );
            check(name, &format!("{label} f1"), kiln.f1, sklearn.f1);
        }
        check(
            name,
            "running accuracy",
            kiln_eval::accuracy(&case.y_true, &probs, k),
            e.accuracy,
        );
    }
}

#[test]
fn regression_matches_sklearn() {
    for case in golden().regression {
        let name = case.name.as_str();
        let report =
            regression_report(&case.y_true, &case.y_pred).unwrap_or_else(|e| panic!("{name}: {e}"));
        let e = &case.expected;
        assert_eq!(report.count, case.y_true.len());
        check(name, "mae", report.mae, e.mae);
        check(name, "mse", report.mse, e.mse);
        check(name, "rmse", report.rmse, e.rmse);
        check(name, "r2", report.r2.expect("two or more samples"), e.r2);
        check(
            name,
            "running mae",
            kiln_eval::mean_absolute_error(&case.y_true, &case.y_pred),
            e.mae,
        );
    }
}

#[test]
fn report_json_round_trips() {
    let case = &golden().classification[0];
    let probs: Vec<f32> = case.probs.iter().flatten().map(|&p| p as f32).collect();
    let report = classification_report(&case.y_true, &probs, &case.classes).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["confusion"],
        serde_json::json!(case.expected.confusion)
    );
    assert_eq!(json["macro_avg"]["precision"], report.macro_avg.precision);
    let back: kiln_eval::ClassificationReport = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
}
