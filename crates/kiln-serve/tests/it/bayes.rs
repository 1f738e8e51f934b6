//! A Bayesian (ADVI) model served: every answer row carries the predictive standard deviation
//! and the central credible interval, equal to `TrainedModel::predict` on the same rows —
//! whichever rows share a batch, since the posterior draws are seeded from the model file —
//! in MLflow answers and KServe v2 tensors, and v2 metadata lists the extra outputs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::StatusCode;
use kiln::data::Cache;
use kiln::{TrainRequest, TrainedModel};
use kiln_serve::{AppState, BatchConfig, MonitorSettings, ServeConfig};
use serde_json::{Value, json};

use crate::util::{
    assert_same_predictions, fixtures, get, metric, post_json, reference, send, state_with,
};

/// Model files and request rows shared by the tests.
struct Bayes {
    _dir: tempfile::TempDir,
    /// bnn-moons (`x0`, `x1` → `label`), a short fit.
    moons: PathBuf,
    /// Bayesian linear regression with a learned noise level (`x` → `y`).
    line: PathBuf,
    /// Moons rows as CSV.
    moons_csv: PathBuf,
    /// Regression rows as CSV.
    line_csv: PathBuf,
}

const MOONS_ROWS: [[f64; 2]; 6] = [
    [0.1, 0.5],
    [-1.0, 0.25],
    [2.0, -0.5],
    [0.5, 0.5],
    [1.5, -0.25],
    [0.0, 0.0],
];

const LINE_ROWS: [f64; 4] = [0.0, 2.5, 5.0, 12.0];

const LINE_SPEC: &str = r#"
name = "line"
[data]
source = "line.csv"
[data.split]
test = 0.2
validation = 0.0
[[input]]
name = "x"
type = "number"
[output]
name = "y"
type = "number"
transform = "standardize"
[training]
method = "advi"
[training.advi]
iterations = 3000
[training.advi.optimizer]
type = "adam"
learning_rate = 0.02
"#;

fn bayes() -> &'static Bayes {
    static B: OnceLock<Bayes> = OnceLock::new();
    B.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A short fit is enough: the tests compare the server with the library, not accuracy.
        let moons_spec = kiln::spec::examples::example("bnn-moons")
            .unwrap()
            .replace("iterations = 50_000", "iterations = 3000");
        let mut csv = String::from("x,y\n");
        for i in 0..100 {
            let x = f64::from(i) / 10.0;
            csv.push_str(&format!("{x},{}\n", 2.0 + 0.5 * x + 0.3 * (x * 7.0).sin()));
        }
        std::fs::write(d.join("line.csv"), csv).unwrap();
        let train = |name: &str, spec: &str| {
            let spec_path = d.join(format!("{name}.toml"));
            std::fs::write(&spec_path, spec).unwrap();
            let out = d.join(format!("{name}.kiln"));
            let mut request = TrainRequest::new(&spec_path, &out, Cache::new(d.join("cache")));
            request.checkpoint = false;
            kiln::train_spec(&request, |_| {}).expect("train a Bayesian fixture");
            out
        };
        let moons = train("bnn", &moons_spec);
        let line = train("line", LINE_SPEC);
        let moons_csv = d.join("moons-rows.csv");
        let mut text = String::from("x0,x1\n");
        for r in MOONS_ROWS {
            text.push_str(&format!("{},{}\n", r[0], r[1]));
        }
        std::fs::write(&moons_csv, text).unwrap();
        let line_csv = d.join("line-rows.csv");
        let mut text = String::from("x\n");
        for x in LINE_ROWS {
            text.push_str(&format!("{x}\n"));
        }
        std::fs::write(&line_csv, text).unwrap();
        Bayes {
            _dir: dir,
            moons,
            line,
            moons_csv,
            line_csv,
        }
    })
}

/// `predict`'s rows carry the uncertainty fields (so the comparisons below compare them).
fn assert_uncertain(rows: &[Value], classes: bool) {
    for row in rows {
        assert_eq!(row["interval_mass"], 0.94, "{row}");
        if classes {
            assert!(row["std"]["1"].as_f64().unwrap() > 0.0, "{row}");
            assert_eq!(row["interval"]["1"].as_array().unwrap().len(), 2, "{row}");
        } else {
            assert!(row["std"].as_f64().unwrap() > 0.0, "{row}");
            assert_eq!(row["interval"].as_array().unwrap().len(), 2, "{row}");
        }
    }
}

/// Answer rows without the prediction ids a monitored server adds.
fn without_ids(mut rows: Vec<Value>) -> Vec<Value> {
    for row in &mut rows {
        row.as_object_mut()
            .unwrap()
            .remove(kiln_serve::PREDICTION_ID);
    }
    rows
}

fn predictions(answer: &crate::util::Answer) -> Vec<Value> {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["predictions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn mlflow_answers_carry_the_same_std_and_interval_as_predict() {
    let b = bayes();
    let want = reference(&b.moons, &b.moons_csv);
    assert_uncertain(&want, true);
    let state = state_with(ServeConfig::default(), &[("bnn", &b.moons)]);
    let body = json!({"dataframe_split": {"columns": ["x0", "x1"], "data": MOONS_ROWS}});
    let answer = send(&state, post_json("/invocations", body.to_string())).await;
    assert_same_predictions(&predictions(&answer), &want);
    // The same draws every time: a second request gets the same numbers (and new ids).
    let again = send(&state, post_json("/invocations", body.to_string())).await;
    assert_eq!(
        without_ids(predictions(&again)),
        without_ids(predictions(&answer))
    );
    // A row alone gets the answer it got among the others.
    let body = json!({"instances": [MOONS_ROWS[3]]});
    let answer = send(&state, post_json("/invocations", body.to_string())).await;
    assert_same_predictions(&predictions(&answer), &want[3..4]);

    let want = reference(&b.line, &b.line_csv);
    assert_uncertain(&want, false);
    let state = state_with(ServeConfig::default(), &[("line", &b.line)]);
    let body =
        json!({"dataframe_records": LINE_ROWS.iter().map(|x| json!({"x": x})).collect::<Vec<_>>()});
    let answer = send(&state, post_json("/invocations", body.to_string())).await;
    assert_same_predictions(&predictions(&answer), &want);
    let body = json!({"instances": [{"x": LINE_ROWS[2]}]});
    let answer = send(&state, post_json("/invocations", body.to_string())).await;
    assert_same_predictions(&predictions(&answer), &want[2..3]);
}

/// Single-row requests fired at once are batched together by the worker; each still gets
/// exactly `predict`'s answer for its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batched_requests_get_their_own_rows_uncertainty() {
    let b = bayes();
    for (model, csv, rows) in [
        (&b.moons, &b.moons_csv, moons_bodies()),
        (&b.line, &b.line_csv, line_bodies()),
    ] {
        let want = reference(model, csv);
        let state = AppState::load(
            ServeConfig {
                batch: BatchConfig {
                    max_batch_rows: 64,
                    max_delay: Duration::from_millis(50),
                    queue_capacity: 1024,
                },
                ..ServeConfig::default()
            },
            &[kiln_serve::ModelSource {
                path: model.clone(),
                name: Some("m".into()),
                version: None,
            }],
            None,
        )
        .unwrap();
        let tasks: Vec<_> = rows
            .into_iter()
            .map(|body| {
                let state = Arc::clone(&state);
                tokio::spawn(async move { send(&state, post_json("/invocations", body)).await })
            })
            .collect();
        let mut got = Vec::new();
        for t in tasks {
            got.push(predictions(&t.await.unwrap())[0].clone());
        }
        assert_same_predictions(&got, &want);
        let m = send(&state, get("/metrics")).await.text();
        let batches = metric(&m, "kiln_batch_size_rows_count{model=\"m\"}");
        assert!(
            batches < want.len() as f64,
            "{batches} batches for {} requests: no batching",
            want.len()
        );
    }
}

fn moons_bodies() -> Vec<String> {
    MOONS_ROWS
        .iter()
        .map(|r| json!({"instances": [r]}).to_string())
        .collect()
}

fn line_bodies() -> Vec<String> {
    LINE_ROWS
        .iter()
        .map(|x| json!({"instances": [{"x": x}]}).to_string())
        .collect()
}

fn output<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("no output `{name}` in {answer}"))
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// f32 tensors hold the library's f64 numbers rounded to f32.
fn assert_f32_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-6 * (1.0 + w.abs()), "{g} vs {w}");
    }
}

#[tokio::test]
async fn kserve_v2_tensors_carry_std_and_interval_per_row() {
    let b = bayes();
    let model = TrainedModel::load(&b.moons).unwrap();
    let table = kiln::data::read_table(&b.moons_csv, None).unwrap();
    let p = model.predict(&table).unwrap();
    let u = p.uncertainty.as_ref().unwrap();
    let n = MOONS_ROWS.len();
    let state = state_with(ServeConfig::default(), &[("bnn", &b.moons)]);
    let x0: Vec<f64> = MOONS_ROWS.iter().map(|r| r[0]).collect();
    let x1: Vec<f64> = MOONS_ROWS.iter().map(|r| r[1]).collect();
    let body = json!({"inputs": [
        {"name": "x0", "shape": [n], "datatype": "FP64", "data": x0},
        {"name": "x1", "shape": [n, 1], "datatype": "FP64", "data": x1},
    ]});
    let answer = send(&state, post_json("/v2/models/bnn/infer", body.to_string())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let out = answer.json();
    let std = output(&out, "std");
    assert_eq!(
        (&std["datatype"], &std["shape"]),
        (&json!("FP32"), &json!([n, 2]))
    );
    assert_eq!(std["parameters"]["keys"], json!(p.classes));
    assert_f32_close(&numbers(&std["data"]), &u.std);
    let interval = output(&out, "interval");
    assert_eq!(
        (&interval["datatype"], &interval["shape"]),
        (&json!("FP32"), &json!([n, 2, 2]))
    );
    let bounds: Vec<f64> = (0..n * 2).flat_map(|j| [u.lower[j], u.upper[j]]).collect();
    assert_f32_close(&numbers(&interval["data"]), &bounds);
    let mass = output(&out, "interval_mass");
    assert_eq!(numbers(&mass["data"]), vec![0.94; n]);
    let probabilities = output(&out, "probabilities");
    let means: Vec<f64> = (0..n)
        .flat_map(|i| p.probabilities_of(i))
        .map(|&x| f64::from(x))
        .collect();
    assert_f32_close(&numbers(&probabilities["data"]), &means);

    // Binary tensor data: the interval comes back as little-endian f32, [row][class][bound].
    let body = json!({
        "inputs": [
            {"name": "x0", "shape": [n], "datatype": "FP64", "data": MOONS_ROWS.iter().map(|r| r[0]).collect::<Vec<_>>()},
            {"name": "x1", "shape": [n], "datatype": "FP64", "data": MOONS_ROWS.iter().map(|r| r[1]).collect::<Vec<_>>()},
        ],
        "outputs": [{"name": "interval", "parameters": {"binary_data": true}}],
    });
    let answer = send(&state, post_json("/v2/models/bnn/infer", body.to_string())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let length: usize = answer.headers["inference-header-content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (head, data) = answer.body.split_at(length);
    let head: Value = serde_json::from_slice(head).unwrap();
    assert_eq!(
        head["outputs"][0]["parameters"]["binary_data_size"],
        n * 2 * 2 * 4
    );
    let got: Vec<f64> = data
        .chunks_exact(4)
        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    assert_f32_close(&got, &bounds);

    // Regression: value, std and interval as FP64 — the library's numbers exactly.
    let want = reference(&b.line, &b.line_csv);
    let state = state_with(ServeConfig::default(), &[("line", &b.line)]);
    let body = json!({"inputs": [{"name": "x", "shape": [LINE_ROWS.len()], "datatype": "FP64", "data": LINE_ROWS}]});
    let answer = send(&state, post_json("/v2/models/line/infer", body.to_string())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let out = answer.json();
    let interval = output(&out, "interval");
    assert_eq!(
        (&interval["datatype"], &interval["shape"]),
        (&json!("FP64"), &json!([LINE_ROWS.len(), 2]))
    );
    for (i, row) in want.iter().enumerate() {
        assert_eq!(output(&out, "value")["data"][i], row["value"]);
        assert_eq!(output(&out, "std")["data"][i], row["std"]);
        assert_eq!(interval["data"][2 * i], row["interval"][0]);
        assert_eq!(interval["data"][2 * i + 1], row["interval"][1]);
    }
}

#[tokio::test]
async fn v2_metadata_lists_the_uncertainty_outputs() {
    let b = bayes();
    let f = fixtures();
    let state = state_with(
        ServeConfig::default(),
        &[("bnn", &b.moons), ("line", &b.line), ("moons", &f.moons)],
    );
    let names = |meta: &Value| -> Vec<String> {
        meta["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect()
    };
    let meta = send(&state, get("/v2/models/bnn")).await.json();
    assert_eq!(
        names(&meta),
        [
            "label",
            "probabilities",
            "std",
            "interval",
            "interval_mass",
            "prediction_id"
        ]
    );
    let interval = output(&meta, "interval");
    assert_eq!(interval["shape"], json!([-1, 2, 2]));
    assert_eq!(interval["parameters"]["interval_mass"], 0.94);
    assert_eq!(output(&meta, "std")["shape"], json!([-1, 2]));
    let meta = send(&state, get("/v2/models/line")).await.json();
    assert_eq!(
        names(&meta),
        ["value", "std", "interval", "interval_mass", "prediction_id"]
    );
    assert_eq!(output(&meta, "interval")["shape"], json!([-1, 2]));
    // A network without a posterior lists only its prediction (and, monitored, the ids).
    let meta = send(&state, get("/v2/models/moons")).await.json();
    assert_eq!(names(&meta), ["label", "probabilities", "prediction_id"]);

    // What metadata lists is what an answer holds.
    for (name, path) in [("bnn", &b.moons_csv), ("line", &b.line_csv)] {
        let meta = send(&state, get(&format!("/v2/models/{name}")))
            .await
            .json();
        let answer = infer_csv_rows(&state, name, path).await;
        let mut listed = names(&meta);
        let mut got = names(&answer);
        listed.sort();
        got.sort();
        assert_eq!(listed, got, "{name}");
    }
}

/// `/v2/models/{name}/infer` on the rows of a CSV file of number columns.
async fn infer_csv_rows(state: &Arc<AppState>, name: &str, csv: &Path) -> Value {
    let table = kiln::data::read_table(csv, None).unwrap();
    let inputs: Vec<Value> = table
        .columns
        .iter()
        .map(|c| {
            let kiln::data::ColumnData::Number(v) = &c.data else {
                panic!("number columns only")
            };
            json!({"name": c.name, "shape": [v.len()], "datatype": "FP64", "data": v})
        })
        .collect();
    let body = json!({ "inputs": inputs });
    let answer = send(
        state,
        post_json(&format!("/v2/models/{name}/infer"), body.to_string()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()
}

/// A Bayesian model's file carries a reference profile built from its predictive means on the
/// held-out rows, so the server monitors it like any other table model: answers carry
/// prediction ids and `/monitor` lists it with the rows it saw. (Before, ADVI training wrote
/// no profile and the server skipped the model.)
#[tokio::test]
async fn a_bayesian_model_carries_a_reference_profile_and_is_monitored_when_served() {
    let b = bayes();
    let model = TrainedModel::load(&b.moons).unwrap();
    let profile = model
        .header
        .profile
        .as_ref()
        .expect("a Bayesian model file has a reference profile");
    assert!(profile.rows >= 100, "{} held-out rows", profile.rows);
    let metric = profile.metric.as_ref().expect("the validation metric");
    assert_eq!(metric.name, "accuracy");
    assert!(metric.value > 0.8, "{}", metric.value);

    let config = ServeConfig {
        monitor: Some(MonitorSettings::default()),
        ..ServeConfig::default()
    };
    let state = state_with(config, &[("bnn", &b.moons)]);
    let body = json!({"dataframe_split": {"columns": ["x0", "x1"], "data": MOONS_ROWS}});
    let answer = send(&state, post_json("/invocations", body.to_string())).await;
    let rows = predictions(&answer);
    assert!(
        rows.iter().all(|r| r["prediction_id"].as_u64().is_some()),
        "{rows:?}"
    );
    let status = send(&state, get("/monitor")).await.json();
    assert_eq!(status["models"][0]["model"], "bnn", "{status}");
    assert_eq!(
        status["models"][0]["windows"][0]["rows"],
        MOONS_ROWS.len(),
        "{status}"
    );
}
