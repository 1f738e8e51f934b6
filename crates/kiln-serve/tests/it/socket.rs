//! Over a real socket: graceful shutdown drains in-flight requests, slow headers are cut off.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln_serve::{AppState, BatchConfig, ModelSource, ServeConfig};
use serde_json::json;

use crate::util::{Gate, assert_same_predictions, fixtures, wait_queue};

/// A minimal HTTP/1.1 client: one request per connection, `Host` naming `addr`, a JSON body;
/// returns status and body.
pub(crate) fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = addr.to_string();
    http_with(
        addr,
        method,
        path,
        &[("host", &host), ("content-type", "application/json")],
        body,
    )
}

/// As [`http`], with exactly the headers given (plus `content-length` and `connection`).
pub(crate) fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(
        stream,
        "{head}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A running server: its address, state, stop switch and thread.
pub(crate) type Running = (
    SocketAddr,
    Arc<AppState>,
    tokio::sync::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
);

fn start(config: ServeConfig, gate: Option<Arc<Gate>>) -> Running {
    start_serving(config, &fixtures().moons, gate)
}

/// Serves `model` as `moons` on 127.0.0.1 (a free port) with `config`.
pub(crate) fn start_serving(
    config: ServeConfig,
    model: &std::path::Path,
    gate: Option<Arc<Gate>>,
) -> Running {
    let state = AppState::load(
        config,
        &[ModelSource {
            path: model.to_path_buf(),
            name: Some("moons".into()),
            version: None,
        }],
        gate.map(|g| g as Arc<dyn kiln_serve::BatchObserver>),
    )
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let st = Arc::clone(&state);
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            kiln_serve::serve(listener, st, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    (addr, state, stop, server)
}

#[test]
fn shutdown_drains_in_flight_requests_and_refuses_new_ones() {
    let gate = Arc::new(Gate::default());
    let config = ServeConfig {
        batch: BatchConfig {
            max_batch_rows: 1,
            ..BatchConfig::default()
        },
        ..ServeConfig::default()
    };
    let (addr, state, stop, server) = start(config, Some(Arc::clone(&gate)));
    let body = json!({"instances": [[0.1, 0.5]]}).to_string();
    let (status, first) = http(addr, "POST", "/invocations", &body);
    assert_eq!(status, 200, "{first}");
    gate.wait_batches(1);
    // This request is in flight (queued behind the held worker) when shutdown begins.
    let b = body.clone();
    let in_flight = std::thread::spawn(move || http(addr, "POST", "/invocations", &b));
    wait_queue(&state, "moons", 1);
    stop.send(()).unwrap();
    // The listener closes: new connections are refused.
    let start = Instant::now();
    loop {
        if TcpStream::connect(addr).is_err() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still accepting");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(state.is_draining());
    assert!(
        !server.is_finished(),
        "the server quit with a request in flight"
    );
    gate.open();
    let (status, answer) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{answer}");
    let predictions = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text).unwrap()["predictions"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert_same_predictions(&predictions(&answer), &predictions(&first));
    server.join().unwrap();
}

#[test]
fn a_client_that_trickles_its_headers_is_cut_off() {
    let config = ServeConfig {
        header_timeout: Duration::from_millis(300),
        ..ServeConfig::default()
    };
    let (addr, _state, stop, server) = start(config, None);
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(stream, "GET /ping HTTP/1.1\r\nhost: {addr}\r\n").unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    // The server closes the connection (possibly after a 408) instead of waiting forever.
    let _ = stream.read_to_end(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "connection held for {:?}",
        started.elapsed()
    );
    // A normal client is still served.
    assert_eq!(http(addr, "GET", "/ping", "").0, 200);
    stop.send(()).unwrap();
    server.join().unwrap();
}
