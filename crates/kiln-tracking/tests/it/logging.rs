//! Logging and reading back: batch limits, non-finite values, int64 forms, paging.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::util::{Server, assert_error};

fn metrics(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"key": "m", "value": i as f64, "timestamp": 1000 + i, "step": i}))
        .collect()
}

fn pairs(n: usize, prefix: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"key": format!("{prefix}{i}"), "value": "v"}))
        .collect()
}

#[tokio::test]
async fn batches_over_mlflows_limits_are_refused_whole() {
    let s = Server::new();
    let (_, run) = s.run().await;
    let ok = s
        .post(
            "runs/log-batch",
            json!({"run_id": run, "metrics": metrics(1000)}),
        )
        .await;
    assert_eq!(ok.0, StatusCode::OK, "{}", ok.1);
    for body in [
        json!({"run_id": run, "metrics": metrics(1001)}),
        json!({"run_id": run, "params": pairs(101, "p")}),
        json!({"run_id": run, "tags": pairs(101, "t")}),
        json!({"run_id": run, "metrics": metrics(900), "params": pairs(60, "p"), "tags": pairs(60, "t")}),
        json!({"run_id": run, "params": [{"key": "long", "value": "x".repeat(6001)}]}),
        json!({"run_id": run, "tags": [{"key": "long", "value": "x".repeat(8001)}]}),
        json!({"run_id": run, "params": [{"key": "a/../b", "value": "x"}]}),
    ] {
        assert_error(
            &s.post("runs/log-batch", body).await,
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
        );
    }
    // Over a megabyte of body, whatever it holds.
    let big = json!({"run_id": run, "tags": [{"key": "t", "value": "x".repeat(7000)}], "pad": "y".repeat(1_000_001)});
    assert_error(
        &s.post("runs/log-batch", big).await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    // A batch that fails on its last param logs none of its metrics.
    let mixed = json!({"run_id": run, "metrics": [{"key": "x", "value": 1, "timestamp": 1}],
                       "params": [{"key": "ok", "value": "1"}, {"key": "bad key!", "value": "2"}]});
    assert_error(
        &s.post("runs/log-batch", mixed).await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    let (_, got) = s.get("runs/get", &[("run_id", &run)]).await;
    assert!(got["run"]["data"].get("params").is_none(), "{got}");
    let (_, history) = s
        .get(
            "metrics/get-history",
            &[("run_id", &run), ("metric_key", "x")],
        )
        .await;
    assert_eq!(history["metrics"], json!([]));
}

#[tokio::test]
async fn nan_and_infinities_round_trip_as_protobuf_strings() {
    let s = Server::new();
    let (_, run) = s.run().await;
    for (i, v) in [
        json!("NaN"),
        json!("Infinity"),
        json!("-Infinity"),
        json!(1.5),
    ]
    .iter()
    .enumerate()
    {
        let (status, body) = s
            .post(
                "runs/log-metric",
                json!({"run_id": run, "key": "odd", "value": v, "timestamp": "1700000000000", "step": i.to_string()}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, history) = s
        .get(
            "metrics/get-history",
            &[("run_id", &run), ("metric_key", "odd")],
        )
        .await;
    let values: Vec<&Value> = history["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["value"])
        .collect();
    assert_eq!(
        values,
        [
            &json!("NaN"),
            &json!("Infinity"),
            &json!("-Infinity"),
            &json!(1.5)
        ]
    );
    // int64 fields answer as numbers, whatever form they came in.
    assert_eq!(
        history["metrics"][3]["timestamp"],
        json!(1_700_000_000_000_i64)
    );
    assert_eq!(history["metrics"][3]["step"], json!(3));
    let (_, got) = s.get("runs/get", &[("run_id", &run)]).await;
    assert_eq!(got["run"]["data"]["metrics"][0]["value"], json!(1.5));
    for bad in [json!("inf"), json!("nan"), json!(true), json!([1])] {
        assert_error(
            &s.post(
                "runs/log-metric",
                json!({"run_id": run, "key": "k", "value": bad, "timestamp": 1}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
        );
    }
    assert_error(
        &s.post(
            "runs/log-metric",
            json!({"run_id": run, "key": "k", "value": 1, "timestamp": "soon"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
}

#[tokio::test]
async fn metric_history_pages() {
    let s = Server::new();
    let (_, run) = s.run().await;
    s.post(
        "runs/log-batch",
        json!({"run_id": run, "metrics": metrics(25)}),
    )
    .await;
    let mut steps = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let mut query = vec![
            ("run_id", run.as_str()),
            ("metric_key", "m"),
            ("max_results", "10"),
        ];
        if !token.is_empty() {
            query.push(("page_token", token.as_str()));
        }
        let (status, page) = s.get("metrics/get-history", &query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        steps.extend(
            page["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["step"].as_i64().unwrap()),
        );
        match page.get("next_page_token").and_then(Value::as_str) {
            Some(t) => token = t.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(steps, (0..25).collect::<Vec<i64>>());
    assert_error(
        &s.get(
            "metrics/get-history",
            &[
                ("run_id", &run),
                ("metric_key", "m"),
                ("page_token", "garbage"),
            ],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
}

#[tokio::test]
async fn run_search_pages_and_refuses_bad_sizes() {
    let s = Server::new();
    let (exp, _) = s.run().await;
    for _ in 0..4 {
        s.post("runs/create", json!({"experiment_id": exp})).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"experiment_ids": [exp], "max_results": 2});
        if let Some(t) = &token {
            body["page_token"] = json!(t);
        }
        let (status, page) = s.post("runs/search", body).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["info"]["run_id"].clone()),
        );
        token = page
            .get("next_page_token")
            .and_then(Value::as_str)
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 5);
    seen.sort_by_key(ToString::to_string);
    seen.dedup();
    assert_eq!(seen.len(), 5, "a run on two pages");
    for size in [0, 50_001] {
        assert_error(
            &s.post(
                "runs/search",
                json!({"experiment_ids": [exp], "max_results": size}),
            )
            .await,
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER_VALUE",
        );
    }
    assert_error(
        &s.post("runs/search", json!({"experiment_ids": ["x"]}))
            .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
}

#[tokio::test]
async fn experiment_search_pages() {
    let s = Server::new();
    for i in 0..5 {
        s.post("experiments/create", json!({"name": format!("x{i}")}))
            .await;
    }
    let (_, first) = s
        .post("experiments/search", json!({"max_results": 4}))
        .await;
    // The default experiment and five more: six, four on the first page.
    assert_eq!(first["experiments"].as_array().unwrap().len(), 4);
    let token = first["next_page_token"].as_str().unwrap();
    let (_, second) = s
        .post(
            "experiments/search",
            json!({"max_results": 4, "page_token": token}),
        )
        .await;
    assert_eq!(second["experiments"].as_array().unwrap().len(), 2);
    assert!(second.get("next_page_token").is_none());
}
