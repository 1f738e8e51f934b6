//! A store in a temp folder, its router, and requests sent through `oneshot`.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use kiln_runs::Store;
use serde_json::{Value, json};
use tower::ServiceExt;

pub(crate) struct Server {
    pub(crate) store: Arc<Store>,
    router: Router,
    pub(crate) dir: tempfile::TempDir,
}

impl Server {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("store")).unwrap());
        Self {
            router: kiln_tracking::router(Arc::clone(&store)),
            store,
            dir,
        }
    }

    /// Sends raw bytes; the URI goes out exactly as written.
    pub(crate) async fn raw(
        &self,
        method: Method,
        uri: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    /// Sends a JSON body (`POST`, `DELETE`) and reads a JSON answer.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Value,
    ) -> (StatusCode, Value) {
        let (status, bytes) = self
            .raw(method, path, serde_json::to_vec(&body).unwrap())
            .await;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{path}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, json)
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, &format!("/api/2.0/mlflow/{path}"), body)
            .await
    }

    /// A `GET` with query parameters, as the client sends a `GET`'s fields.
    pub(crate) async fn get(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let uri = format!("/api/2.0/mlflow/{path}?{}", q.join("&"));
        let (status, bytes) = self.raw(Method::GET, &uri, Vec::new()).await;
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// A new experiment and a run in it: (experiment id, run id).
    pub(crate) async fn run(&self) -> (String, String) {
        let name = format!("e-{}", rand_name());
        let (status, created) = self
            .post("experiments/create", json!({ "name": name }))
            .await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let exp = created["experiment_id"].as_str().unwrap().to_string();
        let (status, run) = self
            .post(
                "runs/create",
                json!({"experiment_id": exp, "start_time": 1_700_000_000_000_i64}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{run}");
        (
            exp,
            run["run"]["info"]["run_id"].as_str().unwrap().to_string(),
        )
    }
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Percent-encodes a query value.
pub(crate) fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Asserts an MLflow error answer.
#[track_caller]
pub(crate) fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error_code"], code, "{}", answer.1);
    assert!(
        answer.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.1
    );
}
