//! `kiln serve` as a process: answers equal `kiln predict`, SIGHUP swaps the model file,
//! SIGTERM drains and exits 0, bad flags and files fail before binding.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::util::Dir;

pub(crate) fn post(addr: &str, path: &str, body: &str) -> (u16, String) {
    post_as(addr, path, "application/json", body.as_bytes())
}

/// `POST path` with a body of any content type; the status and the body of the answer.
pub(crate) fn post_as(addr: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    post_with(addr, path, &[("content-type", content_type)], body)
}

/// `POST path` with more headers, as a local client (`Host` naming `addr`) unless they name
/// another host; the status and the body of the answer.
pub(crate) fn post_with(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to kiln serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        head.push_str(&format!("host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(
        stream,
        "{head}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn signal(child: &Child, name: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} failed");
}

/// Sends SIGTERM, waits, and returns the server's log (stderr); asserts a clean exit.
pub(crate) fn stop(mut child: Child) -> String {
    signal(&child, "TERM");
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");
    log
}

/// Starts `kiln --json serve ARGS --port 0` and returns the child and its address.
pub(crate) fn serve(dir: &Dir, args: &[&str]) -> (Child, String) {
    let mut all = vec!["--json", "serve", "--port", "0"];
    all.extend_from_slice(args);
    let mut child = dir
        .command(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("no start line ({e}): {line:?}"));
    let url = started["listening"].as_str().unwrap();
    (child, url.trim_start_matches("http://").to_string())
}

fn predict_jsonl(dir: &Dir, model: &str) -> Vec<serde_json::Value> {
    dir.kiln(&["predict", model, "rows.csv"])
        .success()
        .json_lines()
}

/// The answered rows without the `prediction_id` monitoring adds (checked present).
fn predictions(answer: &str) -> Vec<serde_json::Value> {
    let got: serde_json::Value = serde_json::from_str(answer).unwrap();
    got["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let mut row = row.clone();
            let fields = row.as_object_mut().unwrap();
            assert!(
                fields.remove("prediction_id").is_some_and(|id| id.is_u64()),
                "no prediction_id in {answer}"
            );
            row
        })
        .collect()
}

#[test]
fn serve_answers_like_predict_swaps_on_sighup_and_drains_on_sigterm() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.write("rows.csv", "x0,x1\n0.1,0.5\n-1.0,0.25\n2.0,-0.5\n");
    let want = predict_jsonl(&dir, "moons.kiln");
    let (mut child, addr) = serve(&dir, &["moons.kiln", "--name", "moons"]);
    let body = r#"{"dataframe_split": {"columns": ["x0", "x1"], "data": [[0.1, 0.5], [-1.0, 0.25], [2.0, -0.5]]}}"#;
    let (status, answer) = post(&addr, "/invocations", body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(predictions(&answer), want);

    // Retrain (one epoch: other weights) into the served path, then SIGHUP.
    dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "moons2.kiln",
        "--epochs",
        "1",
        "--quiet",
    ])
    .success();
    let want2 = predict_jsonl(&dir, "moons2.kiln");
    assert_ne!(want, want2);
    std::fs::rename(dir.path("moons2.kiln"), dir.path("moons.kiln")).unwrap();
    signal(&child, "HUP");
    let mut swapped = false;
    for _ in 0..200 {
        let (status, answer) = post(&addr, "/invocations", body);
        assert_eq!(status, 200, "{answer}");
        if predictions(&answer) == want2 {
            swapped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(swapped, "SIGHUP did not swap the model");

    signal(&child, "TERM");
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "exit {status:?}\n{log}");
    assert!(log.contains("drained"), "{log}");
    assert!(
        log.contains("model swapped") || log.contains("models reloaded"),
        "{log}"
    );
}

#[test]
fn serve_refuses_bad_models_and_flags() {
    let dir = Dir::new();
    dir.write("junk.kiln", "not a model");
    dir.kiln(&["serve", "junk.kiln", "--port", "0"])
        .fails_with(&["junk.kiln"]);
    dir.kiln(&["serve", "missing.kiln", "--port", "0"])
        .fails_with(&["missing.kiln"]);
    dir.trained_moons();
    dir.kiln(&["serve", "moons.kiln", "--port", "0", "--max-batch", "0"])
        .fails_with(&["--max-batch"]);
    dir.write("empty-token", "\n");
    dir.kiln(&[
        "serve",
        "moons.kiln",
        "--port",
        "0",
        "--token-file",
        "empty-token",
    ])
    .fails_with(&["empty"]);
    dir.kiln(&["serve", "a:1=moons.kiln", "a:1=moons.kiln", "--port", "0"])
        .fails_with(&["two models are served as `a`"]);
}

/// What a file holds that no answer or log line may show.
const SECRET: &str = "zq7-qxjv-wfmh-kpzd";

/// Issue 14, as an outside user would try it against `kiln serve` with default flags, and with
/// the flags that open the admin routes.
#[test]
fn serve_keeps_the_admin_routes_closed_and_reads_no_file_for_a_client() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.kiln(&[
        "train",
        "moons.toml",
        "-o",
        "moons2.kiln",
        "--epochs",
        "1",
        "--quiet",
    ])
    .success();
    std::fs::create_dir(dir.path("models")).unwrap();
    std::fs::rename(dir.path("moons2.kiln"), dir.path("models/moons2.kiln")).unwrap();
    dir.write("models/secret.kiln", format!("{SECRET}\n"));
    dir.write("token", "s3cret-admin\n");
    let json = [("content-type", "application/json")];
    let reload =
        |path: &std::path::Path| format!(r#"{{"path": {:?}}}"#, path.display().to_string());

    // Default flags: no token, loopback. The admin routes are off.
    let (child, addr) = serve(&dir, &["moons.kiln", "--name", "moons"]);
    for path in [
        std::path::Path::new("/etc/passwd"),
        &dir.path("models/moons2.kiln"),
    ] {
        let (status, answer) = post_with(
            &addr,
            "/admin/models/moons/reload",
            &json,
            reload(path).as_bytes(),
        );
        assert_eq!(status, 403, "{answer}");
        assert!(answer.contains("admin routes are off"), "{answer}");
    }
    stop(child);

    // With a token and a model root: the token reloads inside the root, nothing outside.
    let (child, addr) = serve(
        &dir,
        &[
            "moons.kiln",
            "--name",
            "moons",
            "--token-file",
            "token",
            "--model-root",
            "models",
        ],
    );
    let (status, answer) = post_with(
        &addr,
        "/admin/models/moons/reload",
        &json,
        reload(&dir.path("models/moons2.kiln")).as_bytes(),
    );
    assert_eq!(status, 401, "{answer}");
    let with_token = [
        ("content-type", "application/json"),
        ("authorization", "Bearer s3cret-admin"),
    ];
    let (status, answer) = post_with(
        &addr,
        "/admin/models/moons/reload",
        &with_token,
        reload(std::path::Path::new("/etc/passwd")).as_bytes(),
    );
    assert_eq!(status, 403, "{answer}");
    assert!(!answer.contains("root:"), "{answer}");
    let (status, answer) = post_with(
        &addr,
        "/admin/models/moons/reload",
        &with_token,
        reload(&dir.path("models/secret.kiln")).as_bytes(),
    );
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer.contains("not a kiln model file") && !answer.contains("zq7"),
        "{answer}"
    );
    let (status, answer) = post_with(
        &addr,
        "/admin/models/moons/reload",
        &with_token,
        reload(&dir.path("models/moons2.kiln")).as_bytes(),
    );
    assert_eq!(status, 200, "{answer}");
    // A foreign Host (DNS rebinding) is refused even with the token.
    let (status, answer) = post_with(
        &addr,
        "/invocations",
        &[
            ("content-type", "application/json"),
            ("authorization", "Bearer s3cret-admin"),
            ("host", "evil.example"),
        ],
        br#"{"instances": [[0.1, 0.5]]}"#,
    );
    assert_eq!(status, 403, "{answer}");
    let log = stop(child);
    assert!(log.contains("model swapped"), "{log}");
    assert!(!log.contains("zq7") && !log.contains("private"), "{log}");
}

#[test]
fn serve_warns_on_a_network_address_without_a_token_and_keeps_admin_off() {
    let dir = Dir::new();
    dir.trained_moons();
    let (child, addr) = serve(
        &dir,
        &["moons.kiln", "--name", "moons", "--host", "0.0.0.0"],
    );
    let local = addr.replace("0.0.0.0", "127.0.0.1");
    let (status, answer) = post_with(
        &local,
        "/admin/reload",
        &[("content-type", "application/json")],
        b"",
    );
    assert_eq!(status, 403, "{answer}");
    let log = stop(child);
    assert!(
        log.contains("WARN")
            && log.contains("without a token")
            && log.contains("admin routes are off"),
        "{log}"
    );
}

#[test]
fn serve_refuses_admin_loopback_off_loopback_and_a_missing_model_root() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.kiln(&[
        "serve",
        "moons.kiln",
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--admin-loopback",
    ])
    .fails_with(&["--admin-loopback", "loopback"]);
    dir.kiln(&[
        "serve",
        "moons.kiln",
        "--port",
        "0",
        "--model-root",
        "absent",
    ])
    .fails_with(&["--model-root", "absent"]);
}
