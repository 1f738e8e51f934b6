//! Text generation (Triton's generate extension): the same text as the library, a stream whose
//! chunks concatenate to the non-streamed answer, streaming before the end, a disconnect that
//! stops the generation, and the refusals.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use http_body_util::BodyExt;
use kiln::lm::{GenerateOptions, LanguageModel};
use kiln_serve::{AppState, ServeConfig};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::util::{fixtures, get, post_json, send, state_with};

const LM_SPEC: &str = r#"name = "tiny-lm"
[data]
source = "corpus.txt"
[language_model]
sequence_length = 8
[output]
name = "next_char"
type = "category"
[[layers]]
type = "embedding"
dim = 4
[[layers]]
type = "lstm"
units = 16
[training]
batch_size = 32
epochs = 1
"#;

/// A character-level LSTM trained one epoch on a short repeated text (a second or two).
fn lm() -> &'static Path {
    static LM: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = LM.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("corpus.txt"),
            "to be or not to be, that is the question.\n".repeat(40),
        )
        .unwrap();
        std::fs::write(d.join("lm.toml"), LM_SPEC).unwrap();
        let request = kiln::TrainRequest::new(
            d.join("lm.toml"),
            d.join("lm.kiln"),
            kiln::data::Cache::new(d.join("cache")),
        );
        kiln::train_spec(&request, |_| {}).expect("train the language model");
        let path = d.join("lm.kiln");
        (dir, path)
    });
    path
}

fn lm_state() -> Arc<AppState> {
    state_with(
        ServeConfig::default(),
        &[("lm", lm()), ("moons", &fixtures().moons)],
    )
}

fn library_text(prompt: &str, length: usize, temperature: f64, seed: u64) -> String {
    let model = LanguageModel::load(lm()).unwrap();
    let options = GenerateOptions {
        length,
        temperature,
        seed,
    };
    model.generate(prompt, &options).unwrap().collect()
}

/// The `data:` payloads of a Server-Sent Events body.
fn events(body: &str) -> Vec<Value> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let data = e
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap_or_else(|| panic!("an event without data: {e:?}"));
            serde_json::from_str(data).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn generate_equals_the_library_and_the_stream_concatenates_to_it() {
    let state = lm_state();
    let request = json!({
        "text_input": "to be",
        "parameters": {"max_tokens": 40, "temperature": 0.8, "seed": 5},
    })
    .to_string();
    let want = library_text("to be", 40, 0.8, 5);
    assert_eq!(want.chars().count(), 40);

    let a = send(&state, post_json("/v2/models/lm/generate", request.clone())).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let body = a.json();
    assert_eq!(body["model_name"], "lm");
    assert_eq!(body["model_version"], "1");
    assert_eq!(body["text_output"], want.as_str());
    // The versioned route, and a second call with the same seed: the same text.
    let b = send(
        &state,
        post_json("/v2/models/lm/versions/1/generate", request.clone()),
    )
    .await;
    assert_eq!(b.json()["text_output"], want.as_str());
    // Another seed gives other text (40 characters from a 1-epoch model cannot all agree).
    let other = send(
        &state,
        post_json(
            "/v2/models/lm/generate",
            json!({"text_input": "to be", "parameters": {"max_tokens": 40, "temperature": 0.8, "seed": 6}}).to_string(),
        ),
    )
    .await;
    assert_eq!(
        other.json()["text_output"],
        library_text("to be", 40, 0.8, 6).as_str()
    );
    assert_ne!(other.json()["text_output"], want.as_str());

    let s = send(&state, post_json("/v2/models/lm/generate_stream", request)).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text());
    assert_eq!(s.headers["content-type"], "text/event-stream");
    let events = events(&s.text());
    assert_eq!(events.len(), 40, "one event per character");
    let mut streamed = String::new();
    for e in &events {
        assert_eq!(e["model_name"], "lm");
        assert_eq!(e["model_version"], "1");
        let chunk = e["text_output"].as_str().unwrap();
        assert_eq!(chunk.chars().count(), 1, "{e}");
        streamed.push_str(chunk);
    }
    assert_eq!(streamed, want);

    // Defaults are `kiln generate`'s: 400 characters, temperature 1, seed 0.
    let d = send(
        &state,
        post_json("/v2/models/lm/generate", r#"{"text_input": "to"}"#),
    )
    .await;
    assert_eq!(
        d.json()["text_output"],
        library_text("to", 400, 1.0, 0).as_str()
    );
}

#[tokio::test]
async fn the_stream_arrives_before_the_end_and_a_disconnect_stops_it() {
    let state = lm_state();
    let response = kiln_serve::app(Arc::clone(&state))
        .oneshot(post_json(
            "/v2/models/lm/generate_stream",
            r#"{"text_input": "to be", "parameters": {"max_tokens": 5000}}"#,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    let first = String::from_utf8(first.to_vec()).unwrap();
    assert!(first.starts_with("data: {"), "{first:?}");
    let model = state.get("lm", None).unwrap();
    // The generation thread runs at most a small channel ahead of the reader.
    assert!(model.generated_chars() < 100, "{}", model.generated_chars());
    let second = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(second.starts_with(b"data: {"));

    drop(body);
    // The thread notices at its next character and stops.
    let start = Instant::now();
    let mut last = model.generated_chars();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = model.generated_chars();
        if now == last {
            break;
        }
        last = now;
        assert!(start.elapsed() < Duration::from_secs(30), "never stopped");
    }
    assert!(
        last < 100,
        "{last} characters generated for a client that left"
    );
    // The thread is free for the next request.
    let a = send(
        &state,
        post_json(
            "/v2/models/lm/generate",
            r#"{"text_input": "", "parameters": {"max_tokens": 3}}"#,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["text_output"].as_str().unwrap().chars().count(), 3);
}

async fn refused(state: &Arc<AppState>, path: &str, body: &str, status: StatusCode) -> Value {
    let a = send(state, post_json(path, body.to_string())).await;
    assert_eq!(a.status, status, "{path} {body}: {}", a.text());
    assert!(
        a.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{:?}",
        a.headers
    );
    a.json()
}

#[tokio::test]
async fn bad_generate_requests_are_refused_naming_the_field() {
    let state = lm_state();
    for route in ["/v2/models/lm/generate", "/v2/models/lm/generate_stream"] {
        let e = refused(
            &state,
            route,
            r#"{"text_input": "To be?"}"#,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(e["field"], "text_input");
        let m = e["message"].as_str().unwrap();
        assert!(
            m.contains("absent from the model's vocabulary")
                && m.contains("'T' (U+0054)")
                && m.contains("'?'"),
            "{m}"
        );
        for (parameters, field) in [
            (json!({"temperature": 0}), "parameters.temperature"),
            (json!({"temperature": -1.5}), "parameters.temperature"),
            (json!({"temperature": "NaN"}), "parameters.temperature"),
            (json!({"max_tokens": 0}), "parameters.max_tokens"),
            (
                json!({"max_tokens": kiln_serve::MAX_TOKENS_CAP + 1}),
                "parameters.max_tokens",
            ),
            (json!({"top_p": 0.9}), "parameters.top_p"),
        ] {
            let body = json!({"text_input": "to", "parameters": parameters}).to_string();
            let e = refused(&state, route, &body, StatusCode::BAD_REQUEST).await;
            assert_eq!(e["field"], field, "{body}");
        }
        let e = refused(
            &state,
            route,
            r#"{"text_input": "to", "max_tokens": 3}"#,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(e["field"], "max_tokens");
        let e = refused(
            &state,
            route,
            r#"{"parameters": {}}"#,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(e["field"], "text_input");
        refused(&state, route, "not json", StatusCode::BAD_REQUEST).await;
    }
    // Triton's `stream` parameter must agree with the route.
    let e = refused(
        &state,
        "/v2/models/lm/generate",
        r#"{"text_input": "to", "parameters": {"stream": true}}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("generate_stream"),
        "{e}"
    );
    // Generation on a classifier, table routes on a language model, unknown models.
    let e = refused(
        &state,
        "/v2/models/moons/generate",
        r#"{"text_input": "x"}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("not a language model"),
        "{e}"
    );
    let e = refused(
        &state,
        "/invocations?model=lm",
        r#"{"dataframe_records": [{"x": 1}]}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("/v2/models/lm/generate"),
        "{e}"
    );
    let e = refused(
        &state,
        "/v2/models/lm/infer",
        r#"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}"#,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        e["message"].as_str().unwrap().contains("language model"),
        "{e}"
    );
    refused(
        &state,
        "/v2/models/nope/generate",
        r#"{"text_input": ""}"#,
        StatusCode::NOT_FOUND,
    )
    .await;
    refused(
        &state,
        "/v2/models/lm/versions/9/generate_stream",
        r#"{"text_input": ""}"#,
        StatusCode::NOT_FOUND,
    )
    .await;
    // The classifier beside it still answers.
    let ok = send(
        &state,
        post_json(
            "/invocations?model=moons",
            r#"{"dataframe_records": [{"x0": 0.1, "x1": 0.5}]}"#,
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
}

#[tokio::test]
async fn openapi_lists_the_generate_routes() {
    let state = lm_state();
    let doc = send(&state, get("/openapi.json")).await.json();
    for path in [
        "/v2/models/lm/generate",
        "/v2/models/lm/generate_stream",
        "/v2/models/lm/versions/1/generate",
        "/v2/models/lm/versions/1/generate_stream",
    ] {
        assert!(doc["paths"][path]["post"].is_object(), "{path} missing");
    }
    assert!(doc["paths"]["/v2/models/moons/generate"].is_null());
    assert!(doc["components"]["schemas"]["generate_request"].is_object());
}
