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
    let mut stream = TcpStream::connect(addr).expect("connect to kiln serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
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
