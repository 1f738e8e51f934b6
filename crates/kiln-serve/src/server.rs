//! The HTTP/1.1 listener: header-read timeout, graceful shutdown and signals.
//!
//! `axum::serve` does not expose hyper's header-read timeout, so connections are served with
//! hyper directly: a client that trickles its headers (slowloris) is cut off after
//! [`crate::ServeConfig::header_timeout`]. On shutdown the listener closes, readiness turns
//! false, idle keep-alive connections close, and in-flight requests finish (up to
//! [`crate::ServeConfig::drain_timeout`]).

use std::future::Future;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::error::ServeError;
use crate::http::app_listening_on;
use crate::state::{AdminAccess, AppState};

/// Serves `state` on `listener` until `shutdown` completes, then drains.
///
/// On a non-loopback address without a token it logs a warning: every model answers whoever
/// can reach the address, and the admin routes stay off.
///
/// # Errors
///
/// The listener's address cannot be read; otherwise none: a failed `accept` is logged and
/// retried.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let addr = listener.local_addr().map_err(|source| ServeError::Io {
        context: "cannot read the listening address".into(),
        source,
    })?;
    warn_if_exposed(&state, addr);
    let router = app_listening_on(Arc::clone(&state), addr);
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(state.config.header_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    // With a webhook, states are re-evaluated on a timer too (each monitor's own thread runs
    // the checks its traffic makes due): time windows age out without traffic, and a model
    // that stops receiving requests must still report its state change.
    let poller = state
        .config
        .monitor
        .as_ref()
        .filter(|m| m.webhook.is_some())
        .map(|m| {
            let st = Arc::clone(&state);
            let every = m.poll_interval.max(std::time::Duration::from_millis(100));
            tokio::spawn(async move {
                let mut timer = tokio::time::interval(every);
                timer.tick().await;
                loop {
                    timer.tick().await;
                    let s = Arc::clone(&st);
                    let _ = tokio::task::spawn_blocking(move || s.poll_monitors()).await;
                }
            })
        });
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                let connection = builder.serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(e) = watched.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if let Some(poller) = poller {
        poller.abort();
    }
    state.start_draining();
    tracing::info!("shutting down: draining in-flight requests");
    match tokio::time::timeout(state.config.drain_timeout, graceful.shutdown()).await {
        Ok(()) => tracing::info!("drained; bye"),
        Err(_) => tracing::warn!(
            "drain timeout of {} s reached; closing the remaining connections",
            state.config.drain_timeout.as_secs_f64()
        ),
    }
    Ok(())
}

/// The warnings a listener's address calls for.
fn warn_if_exposed(state: &AppState, addr: std::net::SocketAddr) {
    if addr.ip().is_loopback() || state.has_token() {
        return;
    }
    tracing::warn!(
        %addr,
        "listening on an address reachable from the network without a token: every model \
         answers anyone who can reach it; the admin routes are off"
    );
    if state.config.admin == AdminAccess::Loopback {
        tracing::warn!(
            %addr,
            "admin routes without a token were asked for loopback only, and this address is \
             not loopback: they are off"
        );
    }
}

/// Completes on SIGTERM or SIGINT; on SIGHUP reloads every model from its file and keeps
/// waiting.
///
/// # Errors
///
/// When the signal handlers cannot be installed.
pub fn signals(state: Arc<AppState>) -> Result<impl Future<Output = ()> + Send, ServeError> {
    use tokio::signal::unix::{SignalKind, signal};
    let io = |source| ServeError::Io {
        context: "cannot install a signal handler".into(),
        source,
    };
    let mut term = signal(SignalKind::terminate()).map_err(io)?;
    let mut int = signal(SignalKind::interrupt()).map_err(io)?;
    let mut hup = signal(SignalKind::hangup()).map_err(io)?;
    Ok(async move {
        loop {
            tokio::select! {
                _ = term.recv() => { tracing::info!("SIGTERM received"); break; }
                _ = int.recv() => { tracing::info!("SIGINT received"); break; }
                _ = hup.recv() => {
                    tracing::info!("SIGHUP received: reloading the model files");
                    let st = Arc::clone(&state);
                    match tokio::task::spawn_blocking(move || st.reload_all()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "reload failed; the old models keep serving"),
                        Err(e) => tracing::error!(error = %e, "reload task failed"),
                    }
                }
            }
        }
    })
}
