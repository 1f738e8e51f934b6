//! `kiln tracking [--host] [--port] [--token-file]`: the runs store over MLflow's tracking
//! REST API, for the `mlflow` client (`MLFLOW_TRACKING_URI=http://HOST:PORT`); and `kiln ui`,
//! the same server with the web UI at `/ui/` (as `mlflow ui` also answers the tracking API).
//! The server is `kiln serve`'s, with no model: the same access guard (token, `Host` on
//! loopback, no cross-site writes), logs, metrics, graceful shutdown.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use kiln_serve::{AppState, ServeConfig};
use serde_json::json;

use crate::flags::{TrackingArgs, UiArgs};
use crate::render::emit;

pub(crate) fn run(args: &TrackingArgs, json: bool) -> anyhow::Result<ExitCode> {
    serve_store(
        &args.host,
        args.port,
        args.token_file.as_deref(),
        None,
        json,
    )
}

pub(crate) fn ui(args: &UiArgs, json: bool) -> anyhow::Result<ExitCode> {
    let token = super::read_token(args.token_file.as_deref())?;
    let mut live = Vec::new();
    for url in &args.live {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "--live {url}: expected a server's base URL, such as http://127.0.0.1:8080"
        );
        live.push(kiln_ui::LiveTarget::Remote {
            url: url.trim_end_matches('/').to_string(),
            token: token.clone(),
        });
    }
    serve_store(
        &args.host,
        args.port,
        args.token_file.as_deref(),
        Some(live),
        json,
    )
}

fn serve_store(
    host: &str,
    port: u16,
    token_file: Option<&Path>,
    ui: Option<Vec<kiln_ui::LiveTarget>>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    super::serve::init_logs(crate::flags::LogFormat::Text);
    let store = super::store()?;
    let root = store.root().to_path_buf();
    let token = super::read_token(token_file)?;
    let with_ui = ui.is_some();
    let config = ServeConfig {
        token: token.clone(),
        monitor: None,
        tracking: Some(Arc::clone(&store)),
        ui: ui.map(|remote_live| kiln_serve::UiSettings {
            store,
            remote_live,
            local_live: false,
        }),
        // Artifacts are uploaded through this server: allow model-sized bodies.
        max_body_bytes: 1 << 30,
        request_timeout: std::time::Duration::from_secs(600),
        ..ServeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(if with_ui { "kiln-ui" } else { "kiln-tracking" })
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let addr: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| anyhow::anyhow!("cannot resolve --host {host}"))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("cannot read the bound address")?;
        let state = AppState::load(config, &[], None)?;
        // With a token, the browser opens the login address once (it sets a session cookie).
        let ui_url = match &token {
            Some(t) => format!(
                "http://{local}/ui/login?token={}",
                form_urlencoded::byte_serialize(t.as_bytes()).collect::<String>()
            ),
            None => format!("http://{local}/ui/"),
        };
        if json {
            let mut line = json!({"listening": format!("http://{local}"), "store": root});
            if with_ui {
                line["ui"] = json!(ui_url);
            }
            emit(&line);
        } else if with_ui {
            eprintln!(
                "kiln UI on {ui_url} over the runs store {} (it also answers MLflow's tracking API: MLFLOW_TRACKING_URI=http://{local}; Ctrl-C stops)",
                root.display()
            );
        } else {
            eprintln!(
                "MLflow tracking API on http://{local} over the runs store {} (MLFLOW_TRACKING_URI=http://{local}; Ctrl-C stops)",
                root.display()
            );
        }
        let shutdown = kiln_serve::signals(Arc::clone(&state))?;
        kiln_serve::serve(listener, state, shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
