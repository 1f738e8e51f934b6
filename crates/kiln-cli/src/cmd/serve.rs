//! `kiln serve MODEL... [--host] [--port] [--max-batch] [--max-delay-us] [--token-file]
//! [--admin-loopback] [--model-root DIR]`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use kiln::monitor::{Method, MonitorConfig, WindowSpec};
use kiln_serve::{AdminAccess, AppState, BatchConfig, ModelSource, MonitorSettings, ServeConfig};
use serde_json::json;

use crate::flags::{LogFormat, ServeArgs};
use crate::render::emit;

pub(crate) fn run(args: &ServeArgs, json: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    init_logs(args.log);
    let mut sources: Vec<ModelSource> = args.models.iter().map(|m| ModelSource::parse(m)).collect();
    if let Some(name) = &args.name {
        anyhow::ensure!(
            sources.len() == 1,
            "--name names a single model; give several models names as NAME=PATH"
        );
        sources[0].name = Some(name.clone());
    }
    let followed = resolve_registry_sources(&mut sources)?;
    anyhow::ensure!(args.max_batch >= 1, "--max-batch must be at least 1");
    anyhow::ensure!(args.queue >= 1, "--queue must be at least 1");
    let token = super::read_token(args.token_file.as_deref())?;
    for root in &args.model_root {
        anyhow::ensure!(
            root.is_dir(),
            "--model-root {} is not a folder",
            root.display()
        );
    }
    // One handle on the runs store for the tracking API and the UI.
    let store = if args.tracking || args.ui {
        Some(super::store()?)
    } else {
        None
    };
    let config = ServeConfig {
        batch: BatchConfig {
            max_batch_rows: args.max_batch,
            max_delay: Duration::from_micros(args.max_delay_us),
            queue_capacity: args.queue,
        },
        token,
        admin: if args.admin_loopback {
            AdminAccess::Loopback
        } else {
            AdminAccess::Token
        },
        model_roots: args.model_root.clone(),
        max_body_bytes: args.max_body,
        request_timeout: Duration::from_secs(args.timeout.max(1)),
        monitor: monitor_settings(args)?,
        tracking: store.clone().filter(|_| args.tracking),
        ui: store
            .filter(|_| args.ui)
            .map(|store| kiln_serve::UiSettings {
                store,
                remote_live: Vec::new(),
                local_live: true,
            }),
        ..ServeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kiln-http")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let addr: SocketAddr = format!("{}:{}", args.host, args.port)
            .parse()
            .or_else(|_| {
                std::net::ToSocketAddrs::to_socket_addrs(&(args.host.as_str(), args.port))
                    .ok()
                    .and_then(|mut a| a.next())
                    .ok_or(())
            })
            .map_err(|()| anyhow::anyhow!("cannot resolve --host {}", args.host))?;
        anyhow::ensure!(
            !args.admin_loopback || addr.ip().is_loopback(),
            "--admin-loopback turns the admin routes on for a loopback --host only, and {} is not \
             loopback; use --token-file instead",
            addr.ip()
        );
        // Bind first so a busy port fails before the models load.
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let local = listener.local_addr().context("cannot read the bound address")?;
        let state = tokio::task::spawn_blocking(move || AppState::load(config, &sources, None))
            .await
            .context("the model loading task failed")??;
        if let Some((store, follows)) = followed {
            for (uri, name, path) in follows {
                kiln_serve::follow::follow_alias(Arc::clone(&state), Arc::clone(&store), uri, name, path)
                    .context("cannot start the alias follower")?;
            }
        }
        let ids = state.model_ids();
        if json {
            emit(&json!({
                "listening": format!("http://{local}"),
                "models": ids.iter().map(|i| json!({"name": i.name, "version": i.version})).collect::<Vec<_>>(),
                "startup_seconds": started.elapsed().as_secs_f64(),
            }));
        } else {
            for id in &ids {
                eprintln!("serving `{}` version {}", id.name, id.version);
            }
            eprintln!(
                "listening on http://{local} (ready in {:.0} ms; Ctrl-C or SIGTERM drains and stops, SIGHUP reloads the files)",
                started.elapsed().as_secs_f64() * 1e3
            );
            if args.ui {
                eprintln!("web UI on http://{local}/ui/ (live page: http://{local}/ui/live)");
            }
            // Without a token, kiln_serve::serve logs the warning for a network address.
            if !local.ip().is_loopback() && args.token_file.is_some() {
                eprintln!("note: {local} is reachable from the network; every route but the health probes needs the token");
            }
        }
        let shutdown = kiln_serve::signals(Arc::clone(&state))?;
        kiln_serve::serve(listener, state, shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Models named by the registry (`models:/NAME@ALIAS`, `models:/NAME/VERSION`) become their
/// files in the runs store; served under NAME (unless `NAME=` was given) and version ALIAS or
/// VERSION. Returns the store and, for each alias, what to follow.
#[allow(clippy::type_complexity)]
fn resolve_registry_sources(
    sources: &mut [ModelSource],
) -> anyhow::Result<
    Option<(
        Arc<kiln::runs::Store>,
        Vec<(kiln::runs::ModelUri, String, std::path::PathBuf)>,
    )>,
> {
    let mut store = None;
    let mut follows = Vec::new();
    for source in sources.iter_mut() {
        let text = source.path.to_string_lossy().into_owned();
        let Some(uri) = kiln::runs::ModelUri::parse(&text) else {
            continue;
        };
        let uri = uri?;
        if store.is_none() {
            store = Some(super::store()?);
        }
        let store = store.as_ref().expect("opened above");
        let resolved = store
            .resolve_model_uri(&uri)
            .with_context(|| format!("cannot serve {text}"))?;
        let name = source
            .name
            .clone()
            .unwrap_or_else(|| resolved.version.name.clone());
        source.path = resolved.path.clone();
        source.name = Some(name.clone());
        if source.version.is_none() {
            source.version = Some(match &uri {
                kiln::runs::ModelUri::Alias { alias, .. } => alias.clone(),
                kiln::runs::ModelUri::Version { version, .. } => version.to_string(),
            });
        }
        if matches!(uri, kiln::runs::ModelUri::Alias { .. }) {
            follows.push((uri, name, resolved.path));
        }
    }
    Ok(store.map(|s| (s, follows)))
}

/// The monitoring settings from `--monitor-config` and the flags (which win), or `None` with
/// `--no-monitor`.
fn monitor_settings(args: &ServeArgs) -> anyhow::Result<Option<MonitorSettings>> {
    if args.no_monitor {
        return Ok(None);
    }
    let mut config = match &args.monitor_config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the monitor config {}", path.display()))?;
            let parsed: Result<MonitorConfig, String> =
                if path.extension().is_some_and(|e| e == "json") {
                    serde_json::from_str(&text).map_err(|e| e.to_string())
                } else {
                    toml::from_str(&text).map_err(|e| e.to_string())
                };
            parsed.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => MonitorConfig::default(),
    };
    let windows_given = !args.monitor_window.is_empty();
    if windows_given || args.monitor_config.is_none() {
        let mut windows: Vec<WindowSpec> = if windows_given {
            args.monitor_window.clone()
        } else {
            vec![500]
        }
        .into_iter()
        .map(|rows| {
            anyhow::ensure!(rows > 0, "--monitor-window must be at least 1 row");
            Ok(WindowSpec::Count { rows })
        })
        .collect::<anyhow::Result<_>>()?;
        if args.monitor_window_seconds > 0 {
            windows.push(WindowSpec::Time {
                seconds: args.monitor_window_seconds,
                max_rows: 10_000,
            });
        }
        config.windows = windows;
    }
    if let Some(m) = &args.drift_method {
        config.drift.method = Some(Method::parse(m).with_context(|| {
            format!("unknown --drift-method `{m}`; use ks, wasserstein, psi, chisquare, z or jensenshannon")
        })?);
    }
    if let Some(alpha) = args.drift_alpha {
        anyhow::ensure!(
            alpha > 0.0 && alpha < 1.0,
            "--drift-alpha must be between 0 and 1, found {alpha}"
        );
        config.drift.alpha = alpha;
    }
    if let Some(share) = args.drift_share {
        anyhow::ensure!(
            share > 0.0 && share <= 1.0,
            "--drift-share must be in (0, 1], found {share}"
        );
        config.drift.drift_share = share;
    }
    if let Some(url) = &args.webhook {
        anyhow::ensure!(
            url.starts_with("http://") || url.starts_with("https://"),
            "--webhook must be an http:// or https:// URL, found `{url}`"
        );
    }
    Ok(Some(MonitorSettings {
        config,
        webhook: args.webhook.clone(),
        ..MonitorSettings::default()
    }))
}

pub(crate) fn init_logs(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("KILN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let _ = builder.try_init();
        }
        LogFormat::Json => {
            let _ = builder.json().try_init();
        }
    }
}
