//! Live monitoring through the HTTP surface: prediction ids in answers, `POST /feedback`,
//! `GET /monitor`, the gauges in `/metrics`, drift under shifted traffic, bounded windows and
//! the state-change webhook.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use axum::http::StatusCode;
use kiln::TrainedModel;
use kiln::data::ColumnData;
use kiln::monitor::{MonitorConfig, WindowSpec};
use kiln_serve::{AppState, MonitorSettings, ServeConfig};
use serde_json::{Value, json};

use crate::util::{fixtures, get, moons_state, post_json, send, state_with};

/// `n` labelled moons rows: (x0, x1) and the label.
fn moons_rows(n: usize, seed: u64) -> (Vec<[f64; 2]>, Vec<f64>) {
    let table = kiln::data::datasets::make_moons(n, 0.2, seed);
    let col = |name: &str| match &table.require(name).unwrap().data {
        ColumnData::Number(v) => v.clone(),
        _ => panic!("moons columns are numbers"),
    };
    let (x0, x1, label) = (col("x0"), col("x1"), col("label"));
    (x0.iter().zip(&x1).map(|(&a, &b)| [a, b]).collect(), label)
}

/// Sends `rows` as `/invocations` requests of `per_request` rows; returns every answered row.
async fn invoke(state: &Arc<AppState>, rows: &[[f64; 2]], per_request: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for chunk in rows.chunks(per_request) {
        let body = json!({"dataframe_split": {"columns": ["x0", "x1"], "data": chunk}});
        let a = send(state, post_json("/invocations", body.to_string())).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        out.extend(a.json()["predictions"].as_array().unwrap().iter().cloned());
    }
    out
}

fn ids_of(answers: &[Value]) -> Vec<u64> {
    answers
        .iter()
        .map(|p| {
            p["prediction_id"]
                .as_u64()
                .unwrap_or_else(|| panic!("no prediction_id in {p}"))
        })
        .collect()
}

fn monitored_state(windows: Vec<WindowSpec>) -> Arc<AppState> {
    let config = ServeConfig {
        monitor: Some(MonitorSettings {
            config: MonitorConfig {
                windows,
                ..MonitorConfig::default()
            },
            ..MonitorSettings::default()
        }),
        ..ServeConfig::default()
    };
    state_with(config, &[("moons", &fixtures().moons)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_gives_the_offline_accuracy_of_the_same_rows() {
    let state = monitored_state(vec![WindowSpec::Count { rows: 1000 }]);
    let (rows, labels) = moons_rows(300, 5);
    let answers = invoke(&state, &rows, 7).await;
    let ids = ids_of(&answers);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), rows.len(), "prediction ids are unique");

    // Labels sent back as the class names the model answers with, in two batches, one of
    // them with an id the server never issued.
    let truths: Vec<String> = labels.iter().map(|l| format!("{l}")).collect();
    let a = send(
        &state,
        post_json(
            "/feedback",
            json!({"model": "moons", "ids": ids[..100], "truths": truths[..100]}).to_string(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json(), json!({"matched": 100, "unknown": 0}));
    let mut rest_ids = ids[100..].to_vec();
    let mut rest_truths: Vec<Value> = labels[100..].iter().map(|&l| json!(l)).collect();
    rest_ids.push(u64::MAX);
    rest_truths.push(json!(0));
    let a = send(
        &state,
        post_json(
            "/feedback",
            json!({"ids": rest_ids, "labels": rest_truths}).to_string(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json(), json!({"matched": 200, "unknown": 1}));

    let model = TrainedModel::load(&fixtures().moons).unwrap();
    let table = kiln::data::datasets::make_moons(300, 0.2, 5);
    let kiln::Metrics::Classification(offline) = model.evaluate(&table).unwrap() else {
        panic!("classification")
    };
    let status = send(&state, get("/monitor")).await.json();
    let window = &status["models"][0]["windows"][0];
    assert_eq!(status["models"][0]["model"], "moons");
    assert_eq!(status["models"][0]["version"], "1");
    assert_eq!(window["rows"], 300);
    assert_eq!(window["performance"]["labelled"], 300);
    let live = window["performance"]["live"].as_f64().unwrap();
    assert!(
        (live - offline.accuracy).abs() < 1e-12,
        "live {live} vs offline {}",
        offline.accuracy
    );
    #[allow(clippy::print_stderr)] // the test reports the figure it measured
    {
        eprintln!("live accuracy {live:.4} = offline {:.4}", offline.accuracy);
    }

    // The gauges.
    let metrics = send(&state, get("/metrics")).await.text();
    assert!(
        metrics.contains(&format!(
            "kiln_monitor_live_metric{{model=\"moons\",version=\"1\",window=\"last_1000\",metric=\"accuracy\"}} {live}"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("kiln_monitor_observed_rows_total{model=\"moons\",version=\"1\"} 300")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shifted_traffic_drifts_and_same_traffic_does_not() {
    let state = monitored_state(vec![WindowSpec::Count { rows: 400 }]);
    let (rows, _) = moons_rows(400, 21);
    invoke(&state, &rows, 20).await;
    let status = send(&state, get("/monitor?model=moons")).await.json();
    assert_eq!(status["models"][0]["state"], "OK", "{status}");

    // x0 moved by one reference standard deviation (~0.87 for moons).
    let shifted: Vec<[f64; 2]> = rows.iter().map(|r| [r[0] + 0.9, r[1]]).collect();
    invoke(&state, &shifted, 20).await;
    let status = send(&state, get("/monitor?model=moons")).await.json();
    let window = &status["models"][0]["windows"][0];
    assert_ne!(status["models"][0]["state"], "OK", "{status}");
    let x0 = window["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "x0")
        .unwrap();
    assert_eq!(x0["drifted"], true, "{x0}");
    assert_eq!(
        window["rows"], 400,
        "the window holds its size, not the stream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_answers_carry_integer_prediction_ids() {
    let state = moons_state();
    let body = json!({
        "inputs": [
            {"name": "x0", "datatype": "FP64", "shape": [2], "data": [0.1, 1.5]},
            {"name": "x1", "datatype": "FP64", "shape": [2], "data": [0.5, -0.3]},
        ]
    });
    let a = send(
        &state,
        post_json("/v2/models/moons/infer", body.to_string()),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let out = a.json();
    let ids = out["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "prediction_id")
        .unwrap_or_else(|| panic!("no prediction_id output in {out}"));
    assert_eq!(ids["datatype"], "INT64");
    assert_eq!(ids["shape"], json!([2]));
    let (a0, a1) = (
        ids["data"][0].as_u64().unwrap(),
        ids["data"][1].as_u64().unwrap(),
    );
    assert_eq!(a1, a0 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_feedback_is_a_4xx_naming_the_field() {
    let state = moons_state();
    let answers = invoke(&state, &[[0.1, 0.5]], 1).await;
    let id = ids_of(&answers)[0];
    let cases = [
        (json!({"ids": [id], "truths": []}), 400, "truths"),
        (json!({"ids": [], "truths": []}), 400, "ids"),
        (json!({"ids": [id], "truths": ["7"]}), 422, "unknown class"),
        (
            json!({"model": "nope", "ids": [id], "truths": ["1"]}),
            404,
            "nope",
        ),
        (
            json!({"ids": [id], "truths": ["1"], "extra": 1}),
            400,
            "extra",
        ),
        (json!({"ids": ["a"], "truths": ["1"]}), 400, "ids"),
    ];
    for (body, status, needle) in cases {
        let a = send(&state, post_json("/feedback", body.to_string())).await;
        assert_eq!(a.status.as_u16(), status, "{body}: {}", a.text());
        assert!(a.text().contains(needle), "{body}: {}", a.text());
    }
    // The bad items applied nothing: the id still takes its truth.
    let a = send(
        &state,
        post_json("/feedback", json!({"ids": [id], "truths": [1]}).to_string()),
    )
    .await;
    assert_eq!(a.json()["matched"], 1, "{}", a.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_off_answers_without_ids() {
    let config = ServeConfig {
        monitor: None,
        ..ServeConfig::default()
    };
    let state = state_with(config, &[("moons", &fixtures().moons)]);
    let answers = invoke(&state, &[[0.1, 0.5]], 1).await;
    assert!(answers[0].get("prediction_id").is_none(), "{}", answers[0]);
    let a = send(
        &state,
        post_json("/feedback", json!({"ids": [1], "truths": [1]}).to_string()),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    assert!(a.text().contains("not monitored"), "{}", a.text());
    assert_eq!(
        send(&state, get("/monitor")).await.json(),
        json!({"models": []})
    );
    assert!(
        !send(&state, get("/metrics"))
            .await
            .text()
            .contains("kiln_monitor_")
    );
}

/// A one-connection-at-a-time HTTP sink: sends each request body it receives down a channel.
fn webhook_sink() -> (String, mpsc::Receiver<Value>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n");
                if let Ok(v) = serde_json::from_slice(&body) {
                    let _ = tx.send(v);
                }
            }
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_change_is_posted_to_the_webhook() {
    let (url, received) = webhook_sink();
    let config = ServeConfig {
        monitor: Some(MonitorSettings {
            config: MonitorConfig {
                windows: vec![WindowSpec::Count { rows: 200 }],
                check_every_rows: 50,
                ..MonitorConfig::default()
            },
            webhook: Some(url),
            ..MonitorSettings::default()
        }),
        ..ServeConfig::default()
    };
    let state = state_with(config, &[("moons", &fixtures().moons)]);
    let (rows, _) = moons_rows(200, 3);
    let shifted: Vec<[f64; 2]> = rows.iter().map(|r| [r[0] + 1.5, r[1] - 1.0]).collect();
    invoke(&state, &shifted, 25).await;
    let change = received
        .recv_timeout(Duration::from_secs(20))
        .expect("the webhook receives the state change");
    assert_eq!(change["model"], "moons");
    assert_eq!(change["version"], "1");
    assert_eq!(change["previous"], "OK");
    assert_ne!(change["state"], "OK");
    assert!(
        change["summary"].as_str().unwrap().starts_with("KILN "),
        "{change}"
    );
}
