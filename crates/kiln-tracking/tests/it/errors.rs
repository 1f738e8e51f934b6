//! MLflow's error codes and statuses for what the client relies on.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::util::{Server, assert_error};

#[tokio::test]
async fn unknown_run_is_resource_does_not_exist() {
    let s = Server::new();
    let missing = "0".repeat(32);
    assert_error(
        &s.get("runs/get", &[("run_id", &missing)]).await,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_error(
        &s.post(
            "runs/log-parameter",
            json!({"run_id": missing, "key": "k", "value": "v"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
    );
    // Not even shaped like a run id: still "no such run", never a 500.
    assert_error(
        &s.get("runs/get", &[("run_id", "'; drop table runs; --")])
            .await,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
    );
}

#[tokio::test]
async fn unknown_experiment_is_resource_does_not_exist() {
    let s = Server::new();
    assert_error(
        &s.get("experiments/get", &[("experiment_id", "987654")])
            .await,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_error(
        &s.get("experiments/get-by-name", &[("experiment_name", "nope")])
            .await,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_error(
        &s.get("experiments/get", &[("experiment_id", "abc")]).await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
}

#[tokio::test]
async fn an_existing_experiment_name_is_resource_already_exists() {
    let s = Server::new();
    let (status, _) = s.post("experiments/create", json!({"name": "twice"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &s.post("experiments/create", json!({"name": "twice"})).await,
        StatusCode::BAD_REQUEST,
        "RESOURCE_ALREADY_EXISTS",
    );
}

#[tokio::test]
async fn a_changed_param_is_invalid_and_the_first_value_stays() {
    let s = Server::new();
    let (_, run) = s.run().await;
    let log = |v: &str| json!({"run_id": run, "key": "lr", "value": v});
    assert_eq!(
        s.post("runs/log-parameter", log("0.1")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        s.post("runs/log-parameter", log("0.1")).await.0,
        StatusCode::OK
    );
    assert_error(
        &s.post("runs/log-parameter", log("0.2")).await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    let (_, got) = s.get("runs/get", &[("run_id", &run)]).await;
    assert_eq!(
        got["run"]["data"]["params"],
        json!([{"key": "lr", "value": "0.1"}])
    );
}

#[tokio::test]
async fn missing_fields_and_bad_bodies() {
    let s = Server::new();
    assert_error(
        &s.post(
            "runs/log-metric",
            json!({"key": "k", "value": 1, "timestamp": 1}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    assert_error(
        &s.post("experiments/create", json!({})).await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    let (status, body) = s
        .raw(
            Method::POST,
            "/api/2.0/mlflow/runs/create",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error_code"], "BAD_REQUEST");
    assert_error(
        &s.post(
            "runs/update",
            json!({"run_id": "0".repeat(32), "status": "DONE"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
}

#[tokio::test]
async fn unknown_endpoints_are_endpoint_not_found() {
    let s = Server::new();
    assert_error(
        &s.call(Method::POST, "/api/2.0/mlflow/logged-models", json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
    );
    assert_error(
        &s.call(Method::GET, "/api/3.0/mlflow/traces/abc", json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
    );
}

#[tokio::test]
async fn aliases_follow_mlflow() {
    let s = Server::new();
    let (_, run) = s.run().await;
    assert_eq!(
        s.post("registered-models/create", json!({"name": "m"}))
            .await
            .0,
        StatusCode::OK
    );
    assert_error(
        &s.post("registered-models/create", json!({"name": "m"}))
            .await,
        StatusCode::BAD_REQUEST,
        "RESOURCE_ALREADY_EXISTS",
    );
    for _ in 0..2 {
        let (status, v) = s
            .post(
                "model-versions/create",
                json!({"name": "m", "source": format!("runs:/{run}/model"), "run_id": run}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["model_version"]["status"], "READY");
    }
    let set = |v: &str| json!({"name": "m", "alias": "champion", "version": v});
    assert_eq!(
        s.post("registered-models/alias", set("1")).await.0,
        StatusCode::OK
    );
    let (_, got) = s
        .get(
            "registered-models/alias",
            &[("name", "m"), ("alias", "champion")],
        )
        .await;
    assert_eq!(got["model_version"]["version"], "1");
    assert_eq!(
        s.post("registered-models/alias", set("2")).await.0,
        StatusCode::OK
    );
    let (_, model) = s.get("registered-models/get", &[("name", "m")]).await;
    assert_eq!(
        model["registered_model"]["aliases"],
        json!([{"alias": "champion", "version": "2"}])
    );
    assert_eq!(
        model["registered_model"]["latest_versions"][0]["version"],
        "2"
    );
    let (status, _) = s
        .call(
            Method::DELETE,
            "/api/2.0/mlflow/registered-models/alias",
            json!({"name": "m", "alias": "champion"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // MLflow answers a missing alias with 400, not 404.
    assert_error(
        &s.get(
            "registered-models/alias",
            &[("name", "m"), ("alias", "champion")],
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    assert_error(
        &s.post("registered-models/alias", set("9")).await,
        StatusCode::NOT_FOUND,
        "RESOURCE_DOES_NOT_EXIST",
    );
    assert_error(
        &s.post(
            "registered-models/alias",
            json!({"name": "m", "alias": "latest", "version": "1"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
    assert_error(
        &s.get("model-versions/get", &[("name", "m"), ("version", "x")])
            .await,
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER_VALUE",
    );
}

/// `kiln serve` merges the router into its own, which has `/health`, `/version` and a
/// fallback: no route may overlap, and MLflow paths still answer in MLflow's shape.
#[tokio::test]
async fn the_router_merges_into_a_server_with_its_own_routes() {
    use axum::routing::get;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(kiln_runs::Store::open(dir.path()).unwrap());
    let app = axum::Router::new()
        .route("/health", get(|| async { "serve" }))
        .route("/version", get(|| async { "serve" }))
        .route("/ping", get(|| async { "serve" }))
        .merge(kiln_tracking::router(store))
        .fallback(|| async { (StatusCode::NOT_FOUND, "serve's own 404") });
    let call = |uri: &'static str| {
        let app = app.clone();
        async move {
            let response = app
                .oneshot(
                    axum::http::Request::get(uri)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = response.status();
            let body = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    assert_eq!(call("/health").await.1, "serve");
    assert_eq!(call("/elsewhere").await.1, "serve's own 404");
    let (status, body) = call("/api/2.0/mlflow/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("ENDPOINT_NOT_FOUND"), "{body}");
    let (status, body) = call("/api/2.0/mlflow/experiments/get?experiment_id=0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"Default\""), "{body}");
}

#[tokio::test]
async fn the_standalone_server_answers_everything() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(kiln_runs::Store::open(dir.path()).unwrap());
    let app = kiln_tracking::standalone(store);
    for (uri, want) in [
        ("/health", StatusCode::OK),
        ("/version", StatusCode::OK),
        ("/nope", StatusCode::NOT_FOUND),
    ] {
        let response = app
            .clone()
            .oneshot(
                axum::http::Request::get(uri)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), want, "{uri}");
    }
}

#[tokio::test]
async fn a_method_a_route_does_not_take_answers_in_mlflows_shape() {
    let s = Server::new();
    let (exp, run) = s.run().await;
    assert_error(
        &s.call(
            Method::DELETE,
            &format!("/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/x"),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
    );
    assert_error(
        &s.call(Method::GET, "/api/2.0/mlflow/runs/create", json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "ENDPOINT_NOT_FOUND",
    );
}

/// The client asks `/api/3.0/mlflow/server-info` before moving artifacts: multipart must read
/// as off, so it streams through the proxied routes; `logged-models/search` (asked by
/// `download_artifacts(run_id=…)`) finds nothing.
#[tokio::test]
async fn server_info_turns_multipart_off_and_there_are_no_logged_models() {
    let s = Server::new();
    let (status, info) = s
        .call(Method::GET, "/api/3.0/mlflow/server-info", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["multipart_uploads_enabled"], false);
    assert_eq!(info["multipart_downloads_enabled"], false);
    let (status, found) = s
        .post(
            "logged-models/search",
            json!({"experiment_ids": ["0"], "filter": "name = 'x'"}),
        )
        .await;
    assert_eq!((status, found), (StatusCode::OK, json!({})));
}
