//! `kiln serve --tracking`: MLflow's tracking API merged behind the server's own guard. The
//! API's behaviour is kiln-tracking's (its tests and the real client in `tests/tracking/`);
//! here, only that the server's access rules hold for it too.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kiln_serve::{AppState, ServeConfig};

use crate::util::{fixtures, send, send_on, state_with};

const TOKEN: &str = "tracking-test-token";

fn state(token: Option<&str>) -> (tempfile::TempDir, Arc<AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(kiln_runs::Store::open(dir.path()).unwrap());
    let config = ServeConfig {
        token: token.map(String::from),
        tracking: Some(store),
        ..ServeConfig::default()
    };
    (dir, state_with(config, &[("moons", &fixtures().moons)]))
}

fn create_experiment(host: &str, token: Option<&str>, extra: &[(&str, &str)]) -> Request<Body> {
    let mut r = Request::post("/api/2.0/mlflow/experiments/create")
        .header("host", host)
        .header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    r.body(Body::from(r#"{"name": "e"}"#)).unwrap()
}

#[tokio::test]
async fn the_tracking_api_answers_beside_the_models_and_is_off_by_default() {
    let (_dir, on) = state(None);
    let answer = send(&on, create_experiment("127.0.0.1:8080", None, &[])).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert!(answer.json()["experiment_id"].is_string());
    // The models still answer.
    let ping = send(&on, Request::get("/ping").body(Body::empty()).unwrap()).await;
    assert_eq!(ping.status, StatusCode::OK);

    let off = state_with(ServeConfig::default(), &[("moons", &fixtures().moons)]);
    let answer = send(&off, create_experiment("127.0.0.1:8080", None, &[])).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text());
}

#[tokio::test]
async fn the_token_host_check_and_cross_site_refusal_cover_the_tracking_routes() {
    let (_dir, guarded) = state(Some(TOKEN));
    let no_token = send(&guarded, create_experiment("127.0.0.1:8080", None, &[])).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    let read = send(
        &guarded,
        Request::get("/api/2.0/mlflow/experiments/search?max_results=10")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        read.status,
        StatusCode::UNAUTHORIZED,
        "reads need the token too"
    );
    let artifact = send(
        &guarded,
        Request::put("/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/f")
            .body(Body::from("bytes"))
            .unwrap(),
    )
    .await;
    assert_eq!(artifact.status, StatusCode::UNAUTHORIZED);
    let with_token = send(
        &guarded,
        create_experiment("127.0.0.1:8080", Some(TOKEN), &[]),
    )
    .await;
    assert_eq!(with_token.status, StatusCode::OK, "{}", with_token.text());

    let (_dir, open) = state(None);
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1.
    let rebound = send_on(
        &open,
        "127.0.0.1:8080",
        create_experiment("evil.example:8080", None, &[]),
    )
    .await;
    assert_eq!(rebound.status, StatusCode::FORBIDDEN);
    // A cross-site browser write.
    let cross = send_on(
        &open,
        "127.0.0.1:8080",
        create_experiment("127.0.0.1:8080", None, &[("sec-fetch-site", "cross-site")]),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let same = send_on(
        &open,
        "127.0.0.1:8080",
        create_experiment("127.0.0.1:8080", None, &[]),
    )
    .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text());
}
