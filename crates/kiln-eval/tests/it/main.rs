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

/// ROC, precision–recall, their areas and the reliability bins against scikit-learn's
/// `roc_curve`, `precision_recall_curve` (both with `drop_intermediate=False`),
/// `roc_auc_score`, `average_precision_score` and `calibration_curve` on the same rows.
#[test]
fn curves_match_sklearn() {
    use kiln_eval::curves::{
        average_precision, calibration_curve, precision_recall_curve, roc_auc, roc_curve,
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sklearn_metrics.json"
    );
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let close = |case: &str, what: &str, kiln: &[f64], sk: &[f64]| {
        assert_eq!(kiln.len(), sk.len(), "{case}: {what}: {kiln:?} vs {sk:?}");
        for (a, b) in kiln.iter().zip(sk) {
            assert!(
                (a - b).abs() <= TOLERANCE,
                "{case}: {what}: {kiln:?} vs {sk:?}"
            );
        }
    };
    let mut checked = 0;
    for case in golden["classification"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let classes: Vec<String> = serde_json::from_value(case["classes"].clone()).unwrap();
        let y: Vec<usize> = serde_json::from_value(case["y_true"].clone()).unwrap();
        let rows: Vec<Vec<f64>> = serde_json::from_value(case["probs"].clone()).unwrap();
        let k = classes.len();
        let e = &case["expected"]["curves"];
        let probs: Vec<f32> = rows.iter().flatten().map(|&p| p as f32).collect();
        let report = classification_report(&y, &probs, &classes).unwrap();
        let curves = report.curves.as_ref().expect("curves");
        let positive_classes: Vec<usize> = if k == 2 { vec![1] } else { (0..k).collect() };
        assert_eq!(curves.per_class.len(), positive_classes.len());
        for ((&c, expected), stored) in positive_classes
            .iter()
            .zip(e["per_class"].as_array().unwrap())
            .zip(&curves.per_class)
        {
            let positive: Vec<bool> = y.iter().map(|&t| t == c).collect();
            let scores: Vec<f64> = rows.iter().map(|r| r[c]).collect();
            let what = format!("class {}", classes[c]);
            match (roc_curve(&positive, &scores), expected["roc"].is_null()) {
                (Some(roc), false) => {
                    close(name, &what, &roc.fpr, &floats(&expected["roc"]["fpr"]));
                    close(name, &what, &roc.tpr, &floats(&expected["roc"]["tpr"]));
                    let auc = expected["roc_auc"].as_f64().unwrap();
                    check(name, &what, roc_auc(&roc), auc);
                    check(name, &what, stored.roc_auc.unwrap(), auc);
                    checked += 1;
                }
                (None, true) => assert!(stored.roc_auc.is_none() && stored.roc.is_empty()),
                (kiln, _) => panic!(
                    "{name}: {what}: kiln ROC {kiln:?}, sklearn {}",
                    expected["roc"]
                ),
            }
            match (
                precision_recall_curve(&positive, &scores),
                expected["pr"].is_null(),
            ) {
                (Some(pr), false) => {
                    close(
                        name,
                        &what,
                        &pr.precision,
                        &floats(&expected["pr"]["precision"]),
                    );
                    close(name, &what, &pr.recall, &floats(&expected["pr"]["recall"]));
                    let ap = expected["average_precision"].as_f64().unwrap();
                    check(name, &what, average_precision(&pr), ap);
                    check(name, &what, stored.average_precision.unwrap(), ap);
                }
                (None, true) => assert!(stored.average_precision.is_none()),
                (kiln, _) => panic!(
                    "{name}: {what}: kiln PR {kiln:?}, sklearn {}",
                    expected["pr"]
                ),
            }
        }
        if let Some(macro_auc) = e["roc_auc_ovr_macro"].as_f64() {
            check(
                name,
                "one-vs-rest macro AUC",
                curves.roc_auc().unwrap(),
                macro_auc,
            );
        }
        // Reliability bins, as stored in the report and as the public function computes them.
        let (cal_true, cal_prob): (Vec<bool>, Vec<f64>) = if k == 2 {
            rows.iter().zip(&y).map(|(r, &t)| (t == 1, r[1])).unzip()
        } else {
            rows.iter()
                .zip(&y)
                .map(|(r, &t)| {
                    let top = argmax(&r.iter().map(|&p| p as f32).collect::<Vec<_>>());
                    (top == t, r[top])
                })
                .unzip()
        };
        for bins in [
            calibration_curve(&cal_true, &cal_prob, 10),
            curves.calibration.clone(),
        ] {
            let frac: Vec<f64> = bins.iter().map(|b| b.fraction_positive).collect();
            let mean: Vec<f64> = bins.iter().map(|b| b.mean_predicted).collect();
            close(
                name,
                "calibration",
                &frac,
                &floats(&e["calibration"]["fraction_positive"]),
            );
            close(
                name,
                "calibration",
                &mean,
                &floats(&e["calibration"]["mean_predicted"]),
            );
        }
    }
    assert!(checked >= 7, "only {checked} ROC curves compared");
}
