//! `kiln monitor report MODEL DATA [-o FILE]` and `kiln monitor check --url URL --model NAME`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use kiln::TrainedModel;
use kiln::monitor::{DriftConfig, Method, MonitorIndex, MonitorStatus, State};

use crate::flags::{MonitorCheckArgs, MonitorCommand, MonitorReportArgs};
use crate::render::emit;

pub(crate) fn run(command: &MonitorCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        MonitorCommand::Report(args) => report(args, json),
        MonitorCommand::Check(args) => Ok(check(args)),
    }
}

fn report(args: &MonitorReportArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mut drift = DriftConfig::default();
    if let Some(m) = &args.method {
        drift.method = Some(Method::parse(m).with_context(|| {
            format!("unknown test `{m}`; use ks, wasserstein, psi, chisquare, z or jensenshannon")
        })?);
    }
    if let Some(alpha) = args.alpha {
        anyhow::ensure!(
            alpha > 0.0 && alpha < 1.0,
            "--alpha must be between 0 and 1, found {alpha}"
        );
        drift.alpha = alpha;
    }
    let model = TrainedModel::load(&args.model)?;
    let profile = model.header.profile.as_ref().with_context(|| {
        format!(
            "{} has no reference profile (it was trained before monitoring existed); retrain it to monitor it",
            args.model.display()
        )
    })?;
    let table = kiln::data::read_table(&args.data, None)?;
    let predictions = model
        .predict(&table)
        .with_context(|| format!("cannot predict the rows of {}", args.data.display()))?;
    let outputs = kiln::monitor_outputs(&predictions);
    let status = kiln::monitor::batch_status(
        &model.header.name,
        profile,
        &table,
        outputs.as_outputs(),
        drift,
    )
    .with_context(|| format!("cannot compare {} with the reference", args.data.display()))?;
    let html = kiln::monitor::render_html(
        profile,
        &status,
        &table,
        outputs.as_outputs(),
        &args.data.display().to_string(),
    )?;
    write_atomically(&args.output, html.as_bytes())?;
    if json {
        emit(&serde_json::to_value(&status)?);
    } else {
        print_summary(&status, &args.output);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(status: &MonitorStatus, output: &Path) {
    println!("{}", status.nagios_line());
    if let Some(w) = status.windows.first() {
        println!(
            "{:<24} {:<13} {:>12} {:>12}  state",
            "feature", "test", "statistic", "threshold"
        );
        for f in w.features.iter().chain(std::iter::once(&w.prediction)) {
            let method = serde_json::to_value(f.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let stat = f.statistic.map_or("-".to_string(), |s| format!("{s:.4e}"));
            println!(
                "{:<24} {:<13} {:>12} {:>12.4e}  {}",
                f.name, method, stat, f.threshold, f.state
            );
        }
    }
    println!("Wrote {}", output.display());
}

pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Nagios exit code for UNKNOWN.
const UNKNOWN: u8 = 3;

fn check(args: &MonitorCheckArgs) -> ExitCode {
    match fetch_status(args) {
        Ok(status) => {
            println!("{}", status.nagios_line());
            ExitCode::from(match status.state {
                State::Ok => 0,
                State::Warning => 1,
                State::Critical => 2,
            })
        }
        Err(reason) => {
            println!("KILN UNKNOWN - model {}: {reason}", args.model);
            ExitCode::from(UNKNOWN)
        }
    }
}

fn fetch_status(args: &MonitorCheckArgs) -> Result<MonitorStatus, String> {
    let url = format!("{}/monitor", args.url.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(args.timeout.max(1))))
        .build()
        .into();
    let body = agent
        .get(&url)
        .call()
        .map_err(|e| format!("cannot get {url}: {e}"))?
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("cannot read the answer of {url}: {e}"))?;
    let index: MonitorIndex = serde_json::from_str(&body)
        .map_err(|e| format!("{url} did not answer monitor JSON: {e}"))?;
    let names: Vec<String> = index.models.iter().map(|m| m.model.clone()).collect();
    let (name, version) = match args.model.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (args.model.as_str(), None),
    };
    // The server lists versions oldest first: the last match is the latest.
    index
        .models
        .into_iter()
        .rfind(|m| m.model == name && version.is_none_or(|v| m.version.as_deref() == Some(v)))
        .ok_or_else(|| {
            format!(
                "the server monitors no model `{}` (it monitors: {})",
                args.model,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )
        })
}
