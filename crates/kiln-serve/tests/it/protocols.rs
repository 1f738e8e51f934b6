//! MLflow scoring and KServe v2 answers agree with `kiln predict` on the same rows.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kiln_serve::wire::row::row_json;
use serde_json::{Value, json};

use crate::util::{
    assert_same_predictions, fixtures, get, moons_state, post_json, reference, send, state_with,
};

const MOONS_ROWS: [[f64; 2]; 5] = [
    [0.1, 0.5],
    [-1.0, 0.25],
    [2.0, -0.5],
    [0.5, 0.5],
    [1.5, -0.25],
];

fn predictions(answer: &crate::util::Answer) -> Vec<Value> {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["predictions"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_mlflow_layout_gives_kiln_predicts_answer() {
    let f = fixtures();
    let want = reference(&f.moons, &f.moons_rows_csv);
    assert_eq!(want.len(), 5);
    let state = moons_state();
    let records: Vec<Value> = MOONS_ROWS
        .iter()
        .map(|r| json!({"x0": r[0], "x1": r[1]}))
        .collect();
    let bodies = [
        json!({"dataframe_split": {"columns": ["x0", "x1"], "data": MOONS_ROWS}}),
        // Columns in another order, with pandas' index.
        json!({"dataframe_split": {"index": [0, 1, 2, 3, 4], "columns": ["x1", "x0"],
            "data": MOONS_ROWS.iter().map(|r| [r[1], r[0]]).collect::<Vec<_>>()}}),
        json!({"dataframe_records": records}),
        json!({"instances": records}),
        json!({"inputs": {"x0": MOONS_ROWS.iter().map(|r| r[0]).collect::<Vec<_>>(),
                          "x1": MOONS_ROWS.iter().map(|r| r[1]).collect::<Vec<_>>()}}),
        json!({"instances": MOONS_ROWS}),
        json!({"inputs": MOONS_ROWS, "params": {}}),
    ];
    for body in bodies {
        let answer = send(&state, post_json("/invocations", body.to_string())).await;
        assert_same_predictions(&predictions(&answer), &want);
    }
    let csv = std::fs::read(&f.moons_rows_csv).unwrap();
    let answer = send(
        &state,
        Request::post("/invocations")
            .header("content-type", "text/csv; charset=utf-8")
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_same_predictions(&predictions(&answer), &want);
}

#[tokio::test]
async fn categories_binaries_fills_and_regression_match_kiln_predict() {
    let f = fixtures();
    let want = reference(&f.mixed, &f.mixed_rows_csv);
    assert!(want[0]["value"].is_number(), "{want:?}");
    let state = state_with(Default::default(), &[("mixed", &f.mixed)]);
    let body = json!({"dataframe_records": [
        {"size": 1.5, "color": "red", "fresh": "yes"},
        {"size": null, "color": "blue", "fresh": "no"},
        {"size": 4, "color": "purple", "fresh": "YES"},
        {"size": 0, "color": "green", "fresh": "no"},
    ]});
    let answer = send(&state, post_json("/invocations", body.to_string())).await;
    assert_same_predictions(&predictions(&answer), &want);
    // The unseen category is reported, naming the column.
    let warnings = answer.json()["warnings"].to_string();
    assert!(
        warnings.contains("color") && warnings.contains("purple"),
        "{warnings}"
    );

    let csv = std::fs::read(&f.mixed_rows_csv).unwrap();
    let answer = send(
        &state,
        Request::post("/invocations")
            .header("content-type", "text/csv")
            .body(Body::from(csv))
            .unwrap(),
    )
    .await;
    assert_same_predictions(&predictions(&answer), &want);
}

#[tokio::test]
async fn images_are_accepted_flat_or_nested() {
    let f = fixtures();
    let model = kiln::TrainedModel::load(&f.image).unwrap();
    let img: Vec<u8> = (0..16).map(|p| if p < 6 { 220 } else { 10 }).collect();
    let table = kiln::data::Table::new(vec![kiln::data::Column {
        name: "image".into(),
        data: kiln::data::ColumnData::Image(kiln::data::ImageData {
            height: 4,
            width: 4,
            channels: 1,
            pixels: img.clone(),
        }),
    }])
    .unwrap();
    let want = vec![row_json(&model.predict(&table).unwrap(), 0)];
    let state = state_with(Default::default(), &[("digits", &f.image)]);
    let nested: Vec<Vec<u8>> = img.chunks(4).map(<[u8]>::to_vec).collect();
    for body in [
        json!({"instances": [img]}),
        json!({"instances": [nested]}),
        json!({"dataframe_records": [{"image": img}]}),
    ] {
        let answer = send(&state, post_json("/invocations", body.to_string())).await;
        assert_same_predictions(&predictions(&answer), &want);
    }
    let v2 = json!({"inputs": [{"name": "image", "shape": [1, 4, 4, 1], "datatype": "UINT8", "data": img}]});
    let answer = send(&state, post_json("/v2/models/digits/infer", v2.to_string())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let out = answer.json();
    let label = out["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "label")
        .unwrap();
    assert_eq!(label["data"][0], want[0]["label"]);
}

#[tokio::test]
async fn kserve_v2_json_and_binary_tensors_agree_with_kiln_predict() {
    let f = fixtures();
    let want = reference(&f.moons, &f.moons_rows_csv);
    let state = moons_state();
    let x0: Vec<f64> = MOONS_ROWS.iter().map(|r| r[0]).collect();
    let x1: Vec<f64> = MOONS_ROWS.iter().map(|r| r[1]).collect();
    let request = json!({"id": "req-7", "inputs": [
        {"name": "x0", "shape": [5, 1], "datatype": "FP64", "data": x0},
        {"name": "x1", "shape": [5], "datatype": "FP32", "data": x1},
    ]});
    let answer = send(
        &state,
        post_json("/v2/models/moons/infer", request.to_string()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let out = answer.json();
    assert_eq!(out["id"], "req-7");
    assert_eq!(out["model_name"], "moons");
    assert_eq!(out["model_version"], "1");
    let outputs = out["outputs"].as_array().unwrap();
    let label = outputs.iter().find(|o| o["name"] == "label").unwrap();
    let probs = outputs
        .iter()
        .find(|o| o["name"] == "probabilities")
        .unwrap();
    assert_eq!(label["datatype"], "BYTES");
    assert_eq!(probs["shape"], json!([5, 2]));
    let keys: Vec<&str> = probs["parameters"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for (i, w) in want.iter().enumerate() {
        assert_eq!(label["data"][i], w["label"]);
        for (j, k) in keys.iter().enumerate() {
            let got = probs["data"][i * keys.len() + j].as_f64().unwrap();
            let expect = w["probabilities"][k].as_f64().unwrap();
            // f32 probabilities travel through f64 JSON; x1 was sent as FP32.
            assert!((got - expect).abs() < 1e-5, "{got} vs {expect}");
        }
    }

    // The same rows as binary tensors, binary outputs (what tritonclient sends by default).
    let header = json!({"inputs": [
        {"name": "x0", "shape": [5, 1], "datatype": "FP64", "parameters": {"binary_data_size": 40}},
        {"name": "x1", "shape": [5, 1], "datatype": "FP64", "parameters": {"binary_data_size": 40}},
    ], "parameters": {"binary_data_output": true}})
    .to_string();
    let mut body = header.clone().into_bytes();
    for col in [&x0, &x1] {
        for v in col.iter() {
            body.extend_from_slice(&v.to_le_bytes());
        }
    }
    let answer = send(
        &state,
        Request::post("/v2/models/moons/versions/1/infer")
            .header("content-type", "application/octet-stream")
            .header("inference-header-content-length", header.len())
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let json_len: usize = answer.headers["inference-header-content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let meta: Value = serde_json::from_slice(&answer.body[..json_len]).unwrap();
    let mut binary = &answer.body[json_len..];
    for o in meta["outputs"].as_array().unwrap() {
        let size = o["parameters"]["binary_data_size"].as_u64().unwrap() as usize;
        let (mine, rest) = binary.split_at(size);
        binary = rest;
        if o["name"] == "probabilities" {
            let p: Vec<f32> = mine
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            for (i, w) in want.iter().enumerate() {
                for (j, k) in keys.iter().enumerate() {
                    let expect = w["probabilities"][k].as_f64().unwrap() as f32;
                    assert_eq!(p[i * 2 + j], expect);
                }
            }
        } else if o["name"] == "prediction_id" {
            assert_eq!(o["datatype"], "INT64");
            let ids: Vec<i64> = mine
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert_eq!(ids.len(), want.len());
            assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
        } else {
            assert_eq!(o["name"], "label");
            // BYTES: 4-byte length, then the label.
            let mut labels = Vec::new();
            let mut rest = mine;
            while !rest.is_empty() {
                let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
                labels.push(String::from_utf8(rest[4..4 + n].to_vec()).unwrap());
                rest = &rest[4 + n..];
            }
            let expect: Vec<String> = want
                .iter()
                .map(|w| w["label"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(labels, expect);
        }
    }
    assert!(binary.is_empty());

    // Asking for one output gives only that one.
    let request = json!({"inputs": [
        {"name": "x0", "shape": [1], "datatype": "FP64", "data": [0.1]},
        {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]},
    ], "outputs": [{"name": "label"}]});
    let answer = send(
        &state,
        post_json("/v2/models/moons/infer", request.to_string()),
    )
    .await;
    let outputs = answer.json()["outputs"].as_array().unwrap().clone();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0]["data"][0], want[0]["label"]);
}

#[tokio::test]
async fn health_metadata_version_openapi_and_request_ids() {
    let f = fixtures();
    let state = state_with(
        Default::default(),
        &[
            ("moons", &f.moons),
            ("moons", &f.moons_other),
            ("mixed", &f.mixed),
        ],
    );
    for path in [
        "/ping",
        "/health",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/moons/ready",
        "/v2/models/moons/versions/2/ready",
        "/version",
        "/v2",
    ] {
        let a = send(&state, get(path)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.text());
    }
    let meta = send(&state, get("/v2/models/moons")).await.json();
    assert_eq!(meta["versions"], json!(["1", "2"]));
    assert_eq!(
        meta["parameters"]["version"], "2",
        "the latest version answers by default"
    );
    assert_eq!(meta["inputs"][0]["name"], "x0");
    assert_eq!(meta["outputs"][1]["shape"], json!([-1, 2]));
    let mixed = send(&state, get("/v2/models/mixed/versions/1"))
        .await
        .json();
    assert_eq!(mixed["inputs"].as_array().unwrap().len(), 3);
    assert_eq!(mixed["outputs"][0]["name"], "value");
    assert_eq!(
        send(&state, get("/v2/models/nope")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&state, get("/v2/models/moons/versions/9"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Versions answer differently (different weights) and `/invocations` picks by query.
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    let v1 = send(
        &state,
        post_json("/invocations?model=moons&version=1", body.clone()),
    )
    .await
    .json();
    let v2 = send(
        &state,
        post_json("/invocations?model=moons&version=2", body.clone()),
    )
    .await
    .json();
    let want1 = reference(&f.moons, &f.moons_rows_csv);
    let want2 = reference(&f.moons_other, &f.moons_rows_csv);
    assert_same_predictions(v1["predictions"].as_array().unwrap(), &want1[..1]);
    assert_same_predictions(v2["predictions"].as_array().unwrap(), &want2[..1]);
    // Several models and no choice: a 400 naming `model`.
    let a = send(&state, post_json("/invocations", body)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["field"], "model");

    let doc = send(&state, get("/openapi.json")).await.json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/v2/models/mixed/infer"].is_object());
    let row = &doc["components"]["schemas"]["mixed_v1_row"];
    assert_eq!(row["required"], json!(["size", "color", "fresh"]));
    assert_eq!(
        row["properties"]["fresh"]["enum"].as_array().unwrap().len(),
        2
    );

    // Request ids: echoed when sent, generated otherwise.
    let a = send(
        &state,
        Request::get("/ping")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.headers["x-request-id"], "abc-123");
    let a = send(&state, get("/ping")).await;
    let b = send(&state, get("/ping")).await;
    assert_ne!(a.headers["x-request-id"], b.headers["x-request-id"]);

    let metrics = send(&state, get("/metrics")).await.text();
    for needle in [
        "kiln_requests_total{model=\"moons\",route=\"/invocations\",status=\"200\"} 2",
        "kiln_request_duration_seconds_count{model=\"moons\"}",
        "kiln_batch_size_rows_bucket{model=\"moons\",le=\"1\"}",
        "kiln_queue_depth{model=\"moons\"} 0",
        "kiln_errors_total{model=\"\",status=\"404\"} 2",
    ] {
        assert!(metrics.contains(needle), "{needle} not in\n{metrics}");
    }
    // The 400 for "several models, none chosen" is not counted against `moons`.
    assert!(
        !metrics
            .contains("kiln_requests_total{model=\"moons\",route=\"/invocations\",status=\"400\"}"),
        "{metrics}"
    );
}
