//! Regressions for issue 14 ("close the server's admin surface"), each named after what an
//! outside user could do with default flags: reload without a token, read the first bytes of
//! any file through the reload route's error, swap in any model file on disk, reach the server
//! through a rebound DNS name, or post a form from another site. Through the router, then over
//! a real socket.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kiln_serve::{AdminAccess, AppState, ServeConfig};
use serde_json::json;

use crate::socket::{http, http_with, start_serving};
use crate::util::{
    Answer, assert_same_predictions, fixtures, moons_state, reference, send, send_on, state_with,
};

const TOKEN: &str = "admin-test-token";
/// The address the router tests pretend to listen on.
const LOOPBACK: &str = "127.0.0.1:8080";
/// What a file holds that no answer may show any piece of.
const SECRET: &str = "zq7-qxjv-wfmh-kpzd";

/// A folder with copies of the two moons models: the model root reloads may read from.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&fixtures().moons, dir.path().join("moons.kiln")).unwrap();
        std::fs::copy(&fixtures().moons_other, dir.path().join("moons-other.kiln")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self, token: Option<&str>, admin: AdminAccess) -> ServeConfig {
        ServeConfig {
            token: token.map(String::from),
            admin,
            model_roots: vec![self.dir.path().to_path_buf()],
            ..ServeConfig::default()
        }
    }

    /// A server with `config` serving the root's `moons.kiln` as `moons`.
    fn state(&self, config: ServeConfig) -> Arc<AppState> {
        state_with(config, &[("moons", &self.path("moons.kiln"))])
    }
}

/// `POST /admin/models/moons/reload` as a local client sends it: its own `Host`, JSON.
fn reload(path: Option<&Path>, token: Option<&str>) -> Request<Body> {
    let body = path.map_or_else(String::new, |p| json!({ "path": p }).to_string());
    admin_post("/admin/models/moons/reload", token, body)
}

fn admin_post(route: &str, token: Option<&str>, body: String) -> Request<Body> {
    let mut r = Request::post(route)
        .header("host", LOOPBACK)
        .header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::from(body)).unwrap()
}

/// Asserts `state` answers like the model file `want`.
async fn serves(state: &Arc<AppState>, want: &Path, token: Option<&str>) {
    let mut r = Request::post("/invocations").header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let request = r
        .body(Body::from(json!({"instances": [[0.1, 0.5]]}).to_string()))
        .unwrap();
    let a = send(state, request).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_same_predictions(
        a.json()["predictions"].as_array().unwrap(),
        &reference(want, &fixtures().moons_rows_csv)[..1],
    );
}

fn message(a: &Answer) -> String {
    a.json()["message"].as_str().unwrap().to_string()
}

/// Asserts `text` holds no four consecutive characters of [`SECRET`].
fn assert_no_piece_of_the_secret(text: &str) {
    for piece in SECRET.as_bytes().windows(4) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(!text.contains(piece), "`{piece}` of the file in {text}");
    }
    assert!(!text.contains("private"), "{text}");
}

#[tokio::test]
async fn unauthenticated_reload_is_refused() {
    let root = Root::new();
    let other = root.path("moons-other.kiln");
    let moons = root.path("moons.kiln");
    // Default flags (no token): the admin routes are off wherever the server listens, even
    // for a file in the model root.
    let state = root.state(root.config(None, AdminAccess::Token));
    for listening in [None, Some(LOOPBACK), Some("0.0.0.0:8080")] {
        for request in [
            reload(Some(&other), None),
            reload(None, None),
            admin_post("/admin/reload", None, String::new()),
        ] {
            let a = match listening {
                None => send(&state, request).await,
                Some(addr) => send_on(&state, addr, request).await,
            };
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{listening:?}: {}",
                a.text()
            );
            assert!(message(&a).contains("admin routes are off"), "{}", a.text());
        }
    }
    serves(&state, &moons, None).await;
    // Loopback admin without a token: off when the listener is not loopback, or unknown.
    let state = root.state(root.config(None, AdminAccess::Loopback));
    let a = send(&state, reload(Some(&other), None)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = send_on(&state, "0.0.0.0:8080", reload(Some(&other), None)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    serves(&state, &moons, None).await;
    // With a token: the token, and only the right one.
    let state = root.state(root.config(Some(TOKEN), AdminAccess::Token));
    for token in [None, Some("wrong"), Some("admin-test-toke")] {
        let a = send_on(&state, LOOPBACK, reload(Some(&other), token)).await;
        assert_eq!(
            a.status,
            StatusCode::UNAUTHORIZED,
            "{token:?}: {}",
            a.text()
        );
    }
    serves(&state, &moons, Some(TOKEN)).await;
    let a = send_on(&state, LOOPBACK, reload(Some(&other), Some(TOKEN))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    serves(&state, &other, Some(TOKEN)).await;
}

#[tokio::test]
async fn reload_with_loopback_admin_works_without_a_token_on_loopback_only() {
    let root = Root::new();
    let other = root.path("moons-other.kiln");
    let state = root.state(root.config(None, AdminAccess::Loopback));
    let a = send_on(&state, LOOPBACK, reload(Some(&other), None)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    serves(&state, &other, None).await;
    let a = send_on(
        &state,
        LOOPBACK,
        admin_post("/admin/reload", None, String::new()),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

#[tokio::test]
async fn reload_outside_the_model_root_is_refused() {
    let root = Root::new();
    let moons = root.path("moons.kiln");
    // A real model file outside the root (the fixtures' folder), reached several ways.
    let outside = fixtures().moons_other.clone();
    let outside_dir = outside.parent().unwrap();
    std::os::unix::fs::symlink(&outside, root.path("link-out.kiln")).unwrap();
    std::os::unix::fs::symlink(outside_dir, root.path("dir-out")).unwrap();
    let dotdot = root
        .path("..")
        .join(outside_dir.file_name().unwrap())
        .join(outside.file_name().unwrap());
    assert!(dotdot.exists(), "both temp folders share a parent");
    let state = root.state(root.config(Some(TOKEN), AdminAccess::Token));
    let cases: Vec<PathBuf> = vec![
        "/etc/passwd".into(),
        "/etc/shadow".into(),
        "/nonexistent-kiln-folder/model.kiln".into(),
        outside.clone(),
        root.path("link-out.kiln"),
        root.path("dir-out").join(outside.file_name().unwrap()),
        dotdot,
        root.path("absent.kiln"),
        root.dir.path().to_path_buf(),
    ];
    let mut messages = Vec::new();
    for path in &cases {
        let a = send_on(&state, LOOPBACK, reload(Some(path), Some(TOKEN))).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path:?}: {}", a.text());
        assert_eq!(a.json()["error_code"], "PERMISSION_DENIED");
        messages.push(message(&a).replace(&path.display().to_string(), "PATH"));
        assert!(!a.text().contains("root:"), "{}", a.text());
    }
    // The same words whether the path exists, is readable, or is a model file: nothing to
    // learn about the disk.
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:#?}");
    serves(&state, &moons, Some(TOKEN)).await;

    // Inside the root, through a link that stays inside, and the file served at start: loaded.
    std::os::unix::fs::symlink(root.path("moons-other.kiln"), root.path("link-in.kiln")).unwrap();
    let a = send_on(
        &state,
        LOOPBACK,
        reload(Some(&root.path("link-in.kiln")), Some(TOKEN)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    serves(&state, &root.path("moons-other.kiln"), Some(TOKEN)).await;
    let a = send_on(&state, LOOPBACK, reload(Some(&moons), Some(TOKEN))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    serves(&state, &moons, Some(TOKEN)).await;
}

#[tokio::test]
async fn without_a_model_root_only_the_files_served_at_start_can_be_reloaded() {
    let root = Root::new();
    let config = ServeConfig {
        token: Some(TOKEN.into()),
        ..ServeConfig::default()
    };
    let state = root.state(config);
    // Its neighbour is outside: no root was declared.
    let a = send_on(
        &state,
        LOOPBACK,
        reload(Some(&root.path("moons-other.kiln")), Some(TOKEN)),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    let a = send_on(
        &state,
        LOOPBACK,
        reload(Some(&root.path("moons.kiln")), Some(TOKEN)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

#[tokio::test]
async fn no_file_bytes_in_any_answer() {
    let root = Root::new();
    let secret = root.path("secret.kiln");
    std::fs::write(&secret, format!("{SECRET}\nmore private lines\n")).unwrap();
    let short = root.path("short.kiln");
    std::fs::write(&short, &SECRET[..5]).unwrap();
    let state = root.state(root.config(Some(TOKEN), AdminAccess::Token));
    for path in [&secret, &short] {
        let a = send_on(&state, LOOPBACK, reload(Some(path), Some(TOKEN))).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
        assert_eq!(
            message(&a),
            format!(
                "cannot load model {}: not a kiln model file",
                path.display()
            )
        );
        assert_no_piece_of_the_secret(&a.text());
        assert_no_piece_of_the_secret(&format!("{:?}", a.headers));
    }
    // Nor in the metrics.
    let metrics = Request::get("/metrics")
        .header("host", LOOPBACK)
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let m = send_on(&state, LOOPBACK, metrics).await;
    assert_eq!(m.status, StatusCode::OK);
    assert_no_piece_of_the_secret(&m.text());
    serves(&state, &root.path("moons.kiln"), Some(TOKEN)).await;
}

/// A request with `host` (none when `None`).
fn with_host(method: &str, path: &str, host: Option<&str>) -> Request<Body> {
    let mut r = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json");
    if let Some(h) = host {
        r = r.header("host", h);
    }
    let body = if method == "POST" {
        json!({"instances": [[0.1, 0.5]]}).to_string()
    } else {
        String::new()
    };
    r.body(Body::from(body)).unwrap()
}

#[tokio::test]
async fn a_foreign_host_is_refused_on_loopback() {
    let state = moons_state();
    let routes = [
        ("GET", "/ping"),
        ("GET", "/metrics"),
        ("GET", "/v2/models/moons"),
        ("POST", "/invocations"),
    ];
    // A page that rebound its own name to 127.0.0.1 sends its own name.
    for host in [
        Some("evil.example:8080"),
        Some("localhost.evil.example:8080"),
        Some("127.0.0.1:9999"),
        Some("10.1.2.3:8080"),
        None,
    ] {
        for (method, path) in routes {
            let a = send_on(&state, LOOPBACK, with_host(method, path, host)).await;
            assert_eq!(
                a.status,
                StatusCode::FORBIDDEN,
                "{host:?} {path}: {}",
                a.text()
            );
            assert!(message(&a).contains("Host"), "{}", a.text());
        }
    }
    for host in [
        "127.0.0.1:8080",
        "localhost:8080",
        "LOCALHOST:8080",
        "[::1]:8080",
    ] {
        for (method, path) in routes {
            let a = send_on(&state, LOOPBACK, with_host(method, path, Some(host))).await;
            assert_eq!(a.status, StatusCode::OK, "{host} {path}: {}", a.text());
        }
    }
    // On IPv6 loopback, the same names.
    let a = send_on(
        &state,
        "[::1]:8080",
        with_host("GET", "/metrics", Some("[::1]:8080")),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = send_on(
        &state,
        "[::1]:8080",
        with_host("GET", "/metrics", Some("evil.example:8080")),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    // A server on a network address has no list of its names; it is not checked there.
    let a = send_on(
        &state,
        "0.0.0.0:8080",
        with_host("GET", "/metrics", Some("kiln.internal:8080")),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let root = Root::new();
    let moons = root.path("moons.kiln");
    let other = root.path("moons-other.kiln");
    // The most open admin setting: loopback admin without a token.
    let state = root.state(root.config(None, AdminAccess::Loopback));
    let as_json = json!({ "path": other }).to_string();
    let as_form = format!("path={}", other.display());
    let feedback = json!({"ids": [1], "truths": [1]}).to_string();
    let invocation = json!({"instances": [[0.1, 0.5]]}).to_string();
    let evil: &[(&str, &str)] = &[
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    let null_origin: &[(&str, &str)] = &[("origin", "null")];
    let evil_origin: &[(&str, &str)] = &[("origin", "http://evil.example")];
    let same_site: &[(&str, &str)] = &[("sec-fetch-site", "same-site")];
    let no_origin: &[(&str, &str)] = &[];
    let (as_json, as_form) = (as_json.as_str(), as_form.as_str());
    let (feedback, invocation) = (feedback.as_str(), invocation.as_str());
    let reload_route = "/admin/models/moons/reload";
    let form = "application/x-www-form-urlencoded";
    let (forbidden, unsupported) = (StatusCode::FORBIDDEN, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let cases = [
        // What a browser sends for a form or a fetch on another site.
        (reload_route, form, evil, as_form, forbidden),
        (reload_route, "text/plain", null_origin, as_json, forbidden),
        (
            reload_route,
            "application/json",
            evil_origin,
            as_json,
            forbidden,
        ),
        (
            reload_route,
            "application/json",
            same_site,
            as_json,
            forbidden,
        ),
        ("/feedback", "text/plain", evil, feedback, forbidden),
        ("/invocations", "text/plain", evil, invocation, forbidden),
        (
            "/v2/models/moons/infer",
            "text/plain",
            evil,
            invocation,
            forbidden,
        ),
        // A browser that sends no Origin: a form's content types cannot change state.
        (reload_route, form, no_origin, as_form, unsupported),
        (
            reload_route,
            "multipart/form-data; boundary=x",
            no_origin,
            as_form,
            unsupported,
        ),
        (reload_route, "text/plain", no_origin, as_json, unsupported),
        ("/admin/reload", "text/plain", no_origin, "", unsupported),
        ("/feedback", "text/plain", no_origin, feedback, unsupported),
    ];
    for (route, content_type, headers, body, status) in cases {
        let mut r = Request::post(route)
            .header("host", LOOPBACK)
            .header("content-type", content_type);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let a = send_on(
            &state,
            LOOPBACK,
            r.body(Body::from(body.to_string())).unwrap(),
        )
        .await;
        assert_eq!(
            a.status,
            status,
            "{route} {content_type} {headers:?}: {}",
            a.text()
        );
    }
    serves(&state, &moons, None).await;
    // The same reload from a local client (its own Host and Origin, JSON) works.
    let r = Request::post(reload_route)
        .header("host", LOOPBACK)
        .header("origin", format!("http://{LOOPBACK}"))
        .header("content-type", "application/json")
        .body(Body::from(as_json.to_string()))
        .unwrap();
    let a = send_on(&state, LOOPBACK, r).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    serves(&state, &other, None).await;
}

#[tokio::test]
async fn prediction_clients_pass_the_checks() {
    let state = moons_state();
    let invocation = json!({"instances": [[0.1, 0.5]]}).to_string();
    let v2 = json!({"inputs": [
        {"name": "x0", "shape": [1], "datatype": "FP64", "data": [0.1]},
        {"name": "x1", "shape": [1], "datatype": "FP64", "data": [0.5]}]})
    .to_string();
    // Python requests (json=), tritonclient (no content type), curl -d (a form's type), each
    // naming the server as it was given.
    let clients: [(&str, &str, Option<&str>, &str); 4] = [
        (
            "/invocations",
            "127.0.0.1:8080",
            Some("application/json"),
            invocation.as_str(),
        ),
        (
            "/v2/models/moons/infer",
            "localhost:8080",
            None,
            v2.as_str(),
        ),
        (
            "/v2/models/moons/infer",
            "127.0.0.1:8080",
            Some("application/x-www-form-urlencoded"),
            v2.as_str(),
        ),
        (
            "/invocations",
            "localhost:8080",
            Some("text/csv"),
            "x0,x1\n0.1,0.5\n",
        ),
    ];
    for (route, host, content_type, body) in clients {
        let mut r = Request::post(route)
            .header("host", host)
            .header("user-agent", "python-requests/2.32")
            .header("accept", "*/*");
        if let Some(c) = content_type {
            r = r.header("content-type", c);
        }
        let a = send_on(
            &state,
            LOOPBACK,
            r.body(Body::from(body.to_string())).unwrap(),
        )
        .await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{route} {content_type:?}: {}",
            a.text()
        );
    }
}

// Over a real socket.

/// The `Host` a local client of the server at `addr` sends.
fn local(addr: std::net::SocketAddr) -> String {
    addr.to_string()
}

/// Asserts an `/invocations` answer is the model file `want`'s.
fn assert_predicts_like(answer: &str, want: &Path) {
    let got: serde_json::Value = serde_json::from_str(answer).unwrap();
    assert_same_predictions(
        got["predictions"].as_array().unwrap(),
        &reference(want, &fixtures().moons_rows_csv)[..1],
    );
}

/// Asserts the server at `addr` (no token) answers like the model file `want`.
fn socket_serves(addr: std::net::SocketAddr, want: &Path) {
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    let (status, answer) = http(addr, "POST", "/invocations", &body);
    assert_eq!(status, 200, "{answer}");
    assert_predicts_like(&answer, want);
}

#[test]
fn over_a_socket_unauthenticated_reload_is_refused() {
    let root = Root::new();
    let body = json!({ "path": root.path("moons-other.kiln") }).to_string();
    let (addr, _state, stop, server) = start_serving(
        root.config(None, AdminAccess::Token),
        &root.path("moons.kiln"),
        None,
    );
    let (status, answer) = http(addr, "POST", "/admin/models/moons/reload", &body);
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("admin routes are off"), "{answer}");
    let (status, answer) = http(addr, "POST", "/admin/reload", "");
    assert_eq!(status, 403, "{answer}");
    stop.send(()).unwrap();
    server.join().unwrap();

    // With a token: refused without it, done with it (and the swap is served).
    let (addr, _state, stop, server) = start_serving(
        root.config(Some(TOKEN), AdminAccess::Token),
        &root.path("moons.kiln"),
        None,
    );
    let host = local(addr);
    let auth = format!("Bearer {TOKEN}");
    let json = ("content-type", "application/json");
    let (status, answer) = http(addr, "POST", "/admin/models/moons/reload", &body);
    assert_eq!(status, 401, "{answer}");
    let with_token = [
        ("host", host.as_str()),
        json,
        ("authorization", auth.as_str()),
    ];
    let (status, answer) = http_with(
        addr,
        "POST",
        "/admin/models/moons/reload",
        &with_token,
        &body,
    );
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = http_with(
        addr,
        "POST",
        "/invocations",
        &with_token,
        &json!({"instances": [[0.1, 0.5]]}).to_string(),
    );
    assert_eq!(status, 200, "{answer}");
    assert_predicts_like(&answer, &root.path("moons-other.kiln"));
    stop.send(()).unwrap();
    server.join().unwrap();
}

#[test]
fn over_a_socket_reload_outside_the_model_root_is_refused_and_no_file_bytes_come_back() {
    let root = Root::new();
    std::fs::write(root.path("secret.kiln"), format!("{SECRET}\n")).unwrap();
    std::os::unix::fs::symlink(&fixtures().moons_other, root.path("link-out.kiln")).unwrap();
    let (addr, _state, stop, server) = start_serving(
        root.config(Some(TOKEN), AdminAccess::Token),
        &root.path("moons.kiln"),
        None,
    );
    let host = local(addr);
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/json"),
        ("authorization", auth.as_str()),
    ];
    let reload = |path: &Path| {
        http_with(
            addr,
            "POST",
            "/admin/models/moons/reload",
            &headers,
            &json!({ "path": path }).to_string(),
        )
    };
    for path in [
        Path::new("/etc/passwd"),
        Path::new("/nonexistent-kiln-folder/x.kiln"),
        &root.path("link-out.kiln"),
        &fixtures().moons_other,
    ] {
        let (status, answer) = reload(path);
        assert_eq!(status, 403, "{path:?}: {answer}");
        assert!(!answer.contains("root:"), "{answer}");
    }
    let (status, answer) = reload(&root.path("secret.kiln"));
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("not a kiln model file"), "{answer}");
    assert_no_piece_of_the_secret(&answer);
    stop.send(()).unwrap();
    server.join().unwrap();
}

#[test]
fn over_a_socket_a_foreign_host_is_refused_on_loopback() {
    let (addr, _state, stop, server) =
        start_serving(ServeConfig::default(), &fixtures().moons, None);
    let host = local(addr);
    let json = ("content-type", "application/json");
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    for foreign in [
        "evil.example:8080",
        &format!("evil.example:{}", addr.port()),
    ] {
        let (status, answer) = http_with(
            addr,
            "POST",
            "/invocations",
            &[("host", foreign), json],
            &body,
        );
        assert_eq!(status, 403, "{answer}");
        let (status, _) = http_with(addr, "GET", "/metrics", &[("host", foreign)], "");
        assert_eq!(status, 403);
    }
    let localhost = format!("localhost:{}", addr.port());
    for name in [host.as_str(), localhost.as_str()] {
        let (status, answer) =
            http_with(addr, "POST", "/invocations", &[("host", name), json], &body);
        assert_eq!(status, 200, "{name}: {answer}");
    }
    stop.send(()).unwrap();
    server.join().unwrap();
}

#[test]
fn over_a_socket_a_cross_site_form_post_is_refused() {
    let root = Root::new();
    let (addr, _state, stop, server) = start_serving(
        root.config(None, AdminAccess::Loopback),
        &root.path("moons.kiln"),
        None,
    );
    let host = local(addr);
    let form = format!("path={}", root.path("moons-other.kiln").display());
    let as_json = json!({ "path": root.path("moons-other.kiln") }).to_string();
    let route = "/admin/models/moons/reload";
    // A form on another site, as a browser posts it.
    let (status, answer) = http_with(
        addr,
        "POST",
        route,
        &[
            ("host", host.as_str()),
            ("content-type", "application/x-www-form-urlencoded"),
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        &form,
    );
    assert_eq!(status, 403, "{answer}");
    // The same form from a browser that sends no Origin.
    let (status, answer) = http_with(
        addr,
        "POST",
        route,
        &[("host", host.as_str()), ("content-type", "text/plain")],
        &as_json,
    );
    assert_eq!(status, 415, "{answer}");
    socket_serves(addr, &root.path("moons.kiln"));
    // A local client's JSON reload is done.
    let (status, answer) = http(addr, "POST", route, &as_json);
    assert_eq!(status, 200, "{answer}");
    socket_serves(addr, &root.path("moons-other.kiln"));
    stop.send(()).unwrap();
    server.join().unwrap();
}
