//! `kiln serve --ui`: the web UI merged behind the server's guard. The pages themselves are
//! kiln-ui's (its tests, and the browser checks in `tests/ui/`); here, that the token rules
//! hold for them, that `/ui/login` trades the token for a session cookie good for the UI's
//! `GET`s only, and that the live page reads this server's own numbers.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kiln_serve::{AppState, ServeConfig, UiSettings};

use crate::util::{fixtures, send, state_with};

const TOKEN: &str = "ui-test-token";

fn state(token: Option<&str>) -> (tempfile::TempDir, Arc<AppState>) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(kiln_runs::Store::open(dir.path()).unwrap());
    let config = ServeConfig {
        token: token.map(String::from),
        ui: Some(UiSettings {
            store,
            remote_live: Vec::new(),
            local_live: true,
        }),
        ..ServeConfig::default()
    };
    (dir, state_with(config, &[("moons", &fixtures().moons)]))
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_ui_is_off_by_default_and_open_on_loopback_without_a_token() {
    let off = state_with(ServeConfig::default(), &[("moons", &fixtures().moons)]);
    assert_eq!(
        send(&off, get("/ui/runs", None)).await.status,
        StatusCode::NOT_FOUND
    );
    let (_dir, on) = state(None);
    let runs = send(&on, get("/ui/runs", None)).await;
    assert_eq!(runs.status, StatusCode::OK);
    assert!(runs.text().contains("<table id=\"runs\""));
}

#[tokio::test]
async fn login_trades_the_token_for_a_cookie_good_for_ui_reads_only() {
    let (_dir, guarded) = state(Some(TOKEN));
    assert_eq!(
        send(&guarded, get("/ui/runs", None)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = send(&guarded, get("/ui/login?token=nope", None)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(!wrong.headers.contains_key("set-cookie"));

    let login = send(&guarded, get(&format!("/ui/login?token={TOKEN}"), None)).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let set = login.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/ui"),
        "{set}"
    );
    assert!(
        !set.contains(TOKEN),
        "the cookie holds the token's digest, not the token"
    );
    let cookie = set.split(';').next().unwrap();

    assert_eq!(
        send(&guarded, get("/ui/runs", Some(cookie))).await.status,
        StatusCode::OK
    );
    assert_eq!(
        send(&guarded, get("/ui/live", Some(cookie))).await.status,
        StatusCode::OK
    );
    // Outside the UI, or writing, the cookie is not a token.
    assert_eq!(
        send(&guarded, get("/metrics", Some(cookie))).await.status,
        StatusCode::UNAUTHORIZED
    );
    let post = Request::post("/ui/runs")
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&guarded, post).await.status, StatusCode::UNAUTHORIZED);
    // A forged cookie is refused.
    let forged = format!("kiln_session={}", "0".repeat(64));
    assert_eq!(
        send(&guarded, get("/ui/runs", Some(&forged))).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_live_page_counts_this_servers_requests() {
    let (_dir, on) = state(None);
    for _ in 0..3 {
        let predict = Request::post("/invocations")
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"dataframe_split": {"columns": ["x0", "x1"], "data": [[0.1, 0.5]]}}"#,
            ))
            .unwrap();
        let answer = send(&on, predict).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    }
    let live = send(&on, get("/ui/live/fragment?target=0", None)).await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(
        live.text()
            .contains("data-key=\"requests\" data-value=\"3\""),
        "{}",
        live.text()
    );
}
