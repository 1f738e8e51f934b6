//! Dynamic batching, the bounded queue, and hot swap under traffic.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kiln_serve::{AppState, BatchConfig, ModelSource, ServeConfig};
use serde_json::{Value, json};

use crate::util::{
    Gate, assert_same_predictions, close, fixtures, get, metric, post_json, reference, send,
    wait_queue,
};

fn rows() -> Vec<[f64; 2]> {
    (0..20)
        .map(|i| [f64::from(i) * 0.15 - 1.0, (f64::from(i) * 0.7).sin()])
        .collect()
}

/// Fires one single-row request per row at once and returns the answers in row order.
async fn fire(state: &Arc<AppState>, rows: &[[f64; 2]]) -> Vec<Value> {
    let tasks: Vec<_> = rows
        .iter()
        .map(|r| {
            let state = Arc::clone(state);
            let body = json!({"instances": [r]}).to_string();
            tokio::spawn(async move { send(&state, post_json("/invocations", body)).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
        out.push(a.json()["predictions"][0].clone());
    }
    out
}

fn batched_state(batch: BatchConfig) -> Arc<AppState> {
    batched_state_with(ServeConfig {
        batch,
        ..ServeConfig::default()
    })
}

fn batched_state_with(config: ServeConfig) -> Arc<AppState> {
    AppState::load(
        config,
        &[ModelSource {
            path: fixtures().moons.clone(),
            name: Some("moons".into()),
            version: None,
        }],
        None,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_are_batched_and_each_gets_its_own_rows() {
    let f = fixtures();
    let rows = rows();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    let mut text = String::from("x0,x1\n");
    for r in &rows {
        text.push_str(&format!("{},{}\n", r[0], r[1]));
    }
    std::fs::write(&csv, text).unwrap();
    let want = reference(&f.moons, &csv);

    let state = batched_state(BatchConfig {
        max_batch_rows: 64,
        max_delay: Duration::from_millis(50),
        queue_capacity: 1024,
    });
    let got = fire(&state, &rows).await;
    assert_same_predictions(&got, &want);
    let m = send(&state, get("/metrics")).await.text();
    let batches = metric(&m, "kiln_batch_size_rows_count{model=\"moons\"}");
    let batched_rows = metric(&m, "kiln_batch_size_rows_sum{model=\"moons\"}");
    assert_eq!(batched_rows, 20.0);
    assert!(
        batches < 20.0,
        "{batches} batches for 20 requests: no batching"
    );

    // max_batch_rows = 1 turns batching off: one batch per request, same answers.
    let state = batched_state(BatchConfig {
        max_batch_rows: 1,
        max_delay: Duration::from_millis(50),
        queue_capacity: 1024,
    });
    let got = fire(&state, &rows).await;
    assert_same_predictions(&got, &want);
    let m = send(&state, get("/metrics")).await.text();
    assert_eq!(
        metric(&m, "kiln_batch_size_rows_count{model=\"moons\"}"),
        20.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_with_retry_after_and_recovers() {
    let gate = Arc::new(Gate::default());
    let state = AppState::load(
        ServeConfig {
            batch: BatchConfig {
                max_batch_rows: 1,
                max_delay: Duration::ZERO,
                queue_capacity: 1,
            },
            ..ServeConfig::default()
        },
        &[ModelSource {
            path: fixtures().moons.clone(),
            name: Some("moons".into()),
            version: None,
        }],
        Some(gate.clone()),
    )
    .unwrap();
    let body = || json!({"instances": [[0.1, 0.5]]}).to_string();
    // The first request is answered, then the worker is held by the gate.
    let a = send(&state, post_json("/invocations", body())).await;
    assert_eq!(a.status, StatusCode::OK);
    gate.wait_batches(1);
    // The second waits in the queue (capacity 1) ...
    let st = Arc::clone(&state);
    let b = tokio::spawn(async move { send(&st, post_json("/invocations", body())).await });
    wait_queue(&state, "moons", 1);
    // ... so the third is turned away at once.
    let c = send(&state, post_json("/invocations", body())).await;
    assert_eq!(c.status, StatusCode::SERVICE_UNAVAILABLE, "{}", c.text());
    assert_eq!(c.headers["retry-after"], "1");
    assert!(
        c.json()["message"]
            .as_str()
            .unwrap()
            .contains("queue is full")
    );
    let v2 = json!({"inputs": [
        {"name": "x0", "shape": [1], "datatype": "FP64", "data": [0.1]},
        {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]}]});
    let c = send(&state, post_json("/v2/models/moons/infer", v2.to_string())).await;
    assert_eq!(c.status, StatusCode::SERVICE_UNAVAILABLE);
    gate.open();
    assert_eq!(b.await.unwrap().status, StatusCode::OK);
    assert_eq!(
        send(&state, post_json("/invocations", body())).await.status,
        StatusCode::OK
    );
    let m = send(&state, get("/metrics")).await.text();
    assert_eq!(
        metric(&m, "kiln_queue_rejected_total{model=\"moons\"}"),
        2.0
    );
}

/// The admin token of the hot-swap tests.
const TOKEN: &str = "swap-token";

/// A server with the admin token, allowed to reload any file of the fixtures' folder.
fn admin_state() -> Arc<AppState> {
    batched_state_with(ServeConfig {
        token: Some(TOKEN.into()),
        model_roots: vec![fixtures().moons.parent().unwrap().to_path_buf()],
        ..ServeConfig::default()
    })
}

/// `POST path` with a JSON body and the admin token.
fn with_token(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(body.into())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_swap_under_traffic_fails_no_request() {
    let f = fixtures();
    let want_a = reference(&f.moons, &f.moons_rows_csv);
    let want_b = reference(&f.moons_other, &f.moons_rows_csv);
    assert_ne!(want_a, want_b, "the two fixture models must differ");
    let state = admin_state();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            let (a, b) = (Value::from(want_a.clone()), Value::from(want_b.clone()));
            tokio::spawn(async move {
                let body = json!({"dataframe_split": {"columns": ["x0", "x1"],
                    "data": [[0.1, 0.5], [-1.0, 0.25], [2.0, -0.5], [0.5, 0.5], [1.5, -0.25]]}})
                .to_string();
                let mut n = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let answer = send(&state, with_token("/invocations", body.clone())).await;
                    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
                    let p = answer.json()["predictions"].clone();
                    // Every answer comes wholly from one model or the other.
                    assert!(close(&p, &a) || close(&p, &b), "mixed answer {p:?}");
                    n += 1;
                }
                n
            })
        })
        .collect();
    // Swapped through the admin route with the token, as an operator would.
    let paths = [&f.moons_other, &f.moons, &f.moons_other];
    for path in paths {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let a = send(
            &state,
            with_token(
                "/admin/models/moons/reload",
                json!({ "path": path }).to_string(),
            ),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::SeqCst);
    let mut total = 0;
    for c in clients {
        total += c.await.unwrap();
    }
    assert!(total > 8, "only {total} requests ran during the swaps");
    // The last swap is what answers now.
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    let now = send(&state, with_token("/invocations", body)).await.json();
    assert_same_predictions(now["predictions"].as_array().unwrap(), &want_b[..1]);
    let metrics = Request::get("/metrics")
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let m = send(&state, metrics).await.text();
    assert_eq!(metric(&m, "kiln_model_swaps_total{model=\"moons\"}"), 3.0);
    assert!(!m.contains("status=\"5"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_route_swaps_a_model_and_a_bad_file_keeps_the_old_one() {
    let f = fixtures();
    let state = admin_state();
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    let bad = f.moons.parent().unwrap().join("bad.kiln");
    std::fs::write(&bad, b"not a model").unwrap();
    let a = send(
        &state,
        with_token(
            "/admin/models/moons/reload",
            json!({"path": bad}).to_string(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
    assert_eq!(
        a.json()["message"],
        format!("cannot load model {}: not a kiln model file", bad.display())
    );
    let now = send(&state, with_token("/invocations", body.clone()))
        .await
        .json();
    assert_same_predictions(
        now["predictions"].as_array().unwrap(),
        &reference(&f.moons, &f.moons_rows_csv)[..1],
    );
    let a = send(
        &state,
        with_token(
            "/admin/models/moons/reload",
            json!({"path": f.moons_other}).to_string(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["version"], "1");
    let now = send(&state, with_token("/invocations", body.clone()))
        .await
        .json();
    assert_same_predictions(
        now["predictions"].as_array().unwrap(),
        &reference(&f.moons_other, &f.moons_rows_csv)[..1],
    );
    // Reload-all re-reads each model's current file.
    let a = send(&state, with_token("/admin/reload", "")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["reloaded"][0]["name"], "moons");
    let a = send(&state, with_token("/admin/models/nope/reload", "")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}
