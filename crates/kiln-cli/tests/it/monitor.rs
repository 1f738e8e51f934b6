//! `kiln monitor report` on a trained model, and `kiln monitor check` against a stub server
//! answering the `/monitor` JSON for each state, a wrong answer and a closed port.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use serde_json::Value;

use crate::util::Dir;

/// A one-request HTTP server answering `status` with `body`; returns its base URL.
fn stub(status: &str, body: String) -> (String, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = status.to_string();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
        }
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).unwrap();
        String::from_utf8_lossy(&request)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    });
    (url, handle)
}

/// 300 points far from both moons.
fn shifted_csv() -> String {
    let mut csv = String::from("x0,x1\n");
    for i in 0..300 {
        let x0 = 3.0 + f64::from(i % 17) * 0.1;
        let x1 = -2.0 + f64::from(i % 13) * 0.1;
        csv.push_str(&format!("{x0},{x1}\n"));
    }
    csv
}

#[test]
fn report_then_check_every_state() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.write("shifted.csv", shifted_csv());
    let run = dir.kiln(&[
        "monitor",
        "report",
        "moons.kiln",
        "shifted.csv",
        "-o",
        "drift.html",
        "--json",
    ]);
    run.success();
    let status: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(status["model"], "moons-mlp");
    assert_eq!(status["state"], "CRITICAL", "{status}");
    let window = &status["windows"][0];
    assert_eq!(window["rows"], 300);
    assert_eq!(window["dataset_drift"], true);
    for f in window["features"].as_array().unwrap() {
        assert_eq!(f["drifted"], true, "{f}");
        assert_eq!(f["method"], "ks", "{f}");
    }
    let html = String::from_utf8(dir.read("drift.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("x0") && html.contains("CRITICAL"));

    // The same status served by a stub `kiln serve`, with each state in turn.
    for (state, code) in [("OK", 0), ("WARNING", 1), ("CRITICAL", 2)] {
        let mut s = status.clone();
        s["state"] = Value::from(state);
        let body = serde_json::json!({ "models": [s] }).to_string();
        let (url, server) = stub("200 OK", body);
        let run = dir.kiln(&["monitor", "check", "--url", &url, "--model", "moons-mlp"]);
        assert_eq!(run.code, Some(code), "{state}: {}", run.stdout);
        assert!(
            run.stdout
                .starts_with(&format!("KILN {state} - model moons-mlp: ")),
            "{}",
            run.stdout
        );
        assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
        assert_eq!(server.join().unwrap(), "GET /monitor HTTP/1.1");
    }

    // A model the server does not monitor, a wrong answer, a server error: UNKNOWN.
    let body = serde_json::json!({ "models": [status] }).to_string();
    let (url, server) = stub("200 OK", body);
    let run = dir.kiln(&["monitor", "check", "--url", &url, "--model", "boston"]);
    assert_eq!(run.code, Some(3), "{}", run.stdout);
    assert!(
        run.stdout.contains("monitors no model `boston`"),
        "{}",
        run.stdout
    );
    server.join().unwrap();
    let (url, server) = stub("200 OK", "<html>not json</html>".into());
    let run = dir.kiln(&["monitor", "check", "--url", &url, "--model", "moons-mlp"]);
    assert_eq!(run.code, Some(3), "{}", run.stdout);
    assert!(run.stdout.starts_with("KILN UNKNOWN - "), "{}", run.stdout);
    server.join().unwrap();
    let (url, server) = stub("500 Internal Server Error", "{}".into());
    let run = dir.kiln(&["monitor", "check", "--url", &url, "--model", "moons-mlp"]);
    assert_eq!(run.code, Some(3), "{}", run.stdout);
    server.join().unwrap();
}

#[test]
fn check_of_an_unreachable_server_is_unknown() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = Dir::new();
    let url = format!("http://127.0.0.1:{port}");
    let run = dir.kiln(&[
        "monitor",
        "check",
        "--url",
        &url,
        "--model",
        "m",
        "--timeout",
        "5",
    ]);
    assert_eq!(run.code, Some(3), "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("KILN UNKNOWN - model m: cannot get "),
        "{}",
        run.stdout
    );
}

#[test]
fn report_names_a_missing_column() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.write("bad.csv", "x0,z\n1,2\n");
    let run = dir.kiln(&["monitor", "report", "moons.kiln", "bad.csv"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("x1"), "{}", run.stderr);
}
