//! `kiln tracking [--host] [--port] [--token-file]`: the runs store over MLflow's tracking
//! REST API, for the `mlflow` client (`MLFLOW_TRACKING_URI=http://HOST:PORT`). The server is
//! `kiln serve`'s, with no model: the same access guard (token, `Host` on loopback, no
//! cross-site writes), logs, metrics, graceful shutdown.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use kiln_serve::{AppState, ServeConfig};
use serde_json::json;

use crate::flags::TrackingArgs;
use crate::render::emit;

pub(crate) fn run(args: &TrackingArgs, json: bool) -> anyhow::Result<ExitCode> {
    super::serve::init_logs(crate::flags::LogFormat::Text);
    let store = super::store()?;
    let root = store.root().to_path_buf();
    let token = super::read_token(args.token_file.as_deref())?;
    let config = ServeConfig {
        token,
        monitor: None,
        tracking: Some(store),
        // Artifacts are uploaded through this server: allow model-sized bodies.
        max_body_bytes: 1 << 30,
        request_timeout: std::time::Duration::from_secs(600),
        ..ServeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kiln-tracking")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let addr: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(&(args.host.as_str(), args.port))
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| anyhow::anyhow!("cannot resolve --host {}", args.host))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("cannot read the bound address")?;
        let state = AppState::load(config, &[], None)?;
        if json {
            emit(&json!({"listening": format!("http://{local}"), "store": root}));
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
