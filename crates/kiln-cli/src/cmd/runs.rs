//! `kiln runs list|show|compare|reproduce|delete`: the runs store from the command line.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use kiln::runs::{Lifecycle, Run, RunQuery, RunStatus, Store, ViewType};
use kiln::tracking::{
    DATA_DIGEST_TAG, EPOCHS_TAG, FOLDS_TAG, REPRODUCES_TAG, SPEC_ARTIFACT, SPEC_DIR_TAG,
    WEIGHTS_DIGEST_TAG,
};
use kiln::{Tracking, TrainRequest};
use serde_json::json;

use crate::flags::{ReproduceArgs, RunsCommand, RunsListArgs};
use crate::render::{Mode, emit};

pub(crate) fn run(command: &RunsCommand, json: bool) -> anyhow::Result<ExitCode> {
    let store = super::store()?;
    match command {
        RunsCommand::List(args) => list(&store, args, json),
        RunsCommand::Show { run } => show(&store, run, json),
        RunsCommand::Compare { runs } => compare(&store, runs, json),
        RunsCommand::Reproduce(args) => reproduce(&store, args, json),
        RunsCommand::Delete { run } => {
            let info = store.resolve_run(run)?;
            store.set_run_lifecycle(&info.run_id, Lifecycle::Deleted)?;
            if json {
                emit(&json!({"deleted": info.run_id}));
            } else {
                println!("Deleted run {} ({})", info.run_id, info.name);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `2026-12-04 13:05:09` (UTC) from milliseconds since the Unix epoch.
pub(crate) fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The first `n` characters of `s` (tags come from any MLflow client, so not always ASCII).
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(at, _)| &s[..at])
}

fn short(id: &str) -> &str {
    prefix(id, 8)
}

fn duration(run: &Run) -> String {
    let now = kiln::runs::clock::now_ms();
    crate::report::duration(run.info.duration_seconds(now))
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else if v != 0.0 && (v.abs() >= 1e6 || v.abs() < 1e-3) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}

/// Prints rows as aligned columns.
fn table(header: &[String], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(header));
    for row in rows {
        println!("{}", line(row));
    }
}

fn list(store: &Store, args: &RunsListArgs, json: bool) -> anyhow::Result<ExitCode> {
    let experiment_ids = match &args.experiment {
        Some(name) => vec![store.experiment_by_name(name)?.id],
        None => Vec::new(),
    };
    let page = store.search_runs(&RunQuery {
        experiment_ids,
        filter: args.filter.clone(),
        order_by: args.order_by.clone(),
        max_results: args.max.clamp(1, kiln::runs::MAX_RESULTS_LIMIT),
        view: if args.all {
            ViewType::All
        } else {
            ViewType::ActiveOnly
        },
        ..RunQuery::default()
    })?;
    if json {
        emit(&json!({ "runs": page.runs, "more": page.next_page_token.is_some() }));
        return Ok(ExitCode::SUCCESS);
    }
    if page.runs.is_empty() {
        println!(
            "No runs{}.",
            if args.filter.is_some() {
                " match"
            } else {
                " yet"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    // Columns: the metrics the filter or order names, else each run's headline figures.
    let mut wanted: Vec<String> = Vec::new();
    for text in args.filter.iter().chain(&args.order_by) {
        for word in text.split(|c: char| c.is_whitespace() || "()=<>!,".contains(c)) {
            if let Some(key) = word.strip_prefix("metrics.") {
                let key = key.trim_matches('`').trim_matches('"').to_string();
                if !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
        }
    }
    if wanted.is_empty() {
        for key in ["accuracy", "mae", "bits_per_char"] {
            if page.runs.iter().any(|r| r.data.metric(key).is_some()) {
                wanted.push(key.to_string());
            }
        }
    }
    let mut header: Vec<String> = ["RUN", "NAME", "STATUS", "STARTED (UTC)", "TIME"]
        .map(String::from)
        .to_vec();
    header.extend(wanted.iter().cloned());
    let rows: Vec<Vec<String>> = page
        .runs
        .iter()
        .map(|r| {
            let mut row = vec![
                short(&r.info.run_id).to_string(),
                r.info.name.clone(),
                r.info.status.to_string(),
                utc(r.info.start_time),
                duration(r),
            ];
            row.extend(
                wanted
                    .iter()
                    .map(|k| r.data.metric(k).map_or_else(|| "-".to_string(), number)),
            );
            row
        })
        .collect();
    table(&header, &rows);
    if page.next_page_token.is_some() {
        println!("(more runs: raise --max)");
    }
    Ok(ExitCode::SUCCESS)
}

fn show(store: &Store, given: &str, json: bool) -> anyhow::Result<ExitCode> {
    let info = store.resolve_run(given)?;
    let run = store.run(&info.run_id)?;
    let history = store.metric_histories(&info.run_id)?;
    let artifacts = store.list_artifacts(&info.run_id, None)?;
    let children = store.child_runs(&info.run_id)?;
    let study = kiln::tune::study_summary(store, &run)?;
    if json {
        emit(&json!({
            "run": run,
            "history": history,
            "artifacts": artifacts,
            "children": children,
            "study": study.as_ref().map(study_json),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let i = &run.info;
    println!("Run {} ({})", i.run_id, i.name);
    println!(
        "  status {}, started {} UTC, took {}, experiment {}, user {}",
        i.status,
        utc(i.start_time),
        duration(&run),
        store
            .experiment(i.experiment_id)
            .map_or_else(|_| i.experiment_id.to_string(), |e| e.name),
        i.user_id
    );
    if let Some(parent) = &i.parent_run_id {
        println!("  child of {parent}");
    }
    for input in &run.inputs {
        let d = &input.dataset;
        println!(
            "  data: {} ({}, {}) sha256 {}",
            d.name,
            d.source_type,
            input
                .tags
                .get("mlflow.data.context")
                .map_or("input", String::as_str),
            d.digest
        );
    }
    if !run.data.params.is_empty() {
        println!("\nParams:");
        for (k, v) in &run.data.params {
            println!("  {k} = {v}");
        }
    }
    let finals: Vec<_> = run
        .data
        .metrics
        .iter()
        .filter(|m| history.get(&m.key).is_none_or(|h| h.len() <= 1))
        .collect();
    if !finals.is_empty() {
        println!("\nMetrics:");
        for m in finals {
            println!("  {} = {}", m.key, number(m.point.value));
        }
    }
    let curves: Vec<(&String, &Vec<kiln::runs::MetricPoint>)> =
        history.iter().filter(|(_, h)| h.len() > 1).collect();
    if !curves.is_empty() {
        println!("\nPer step:");
        let steps: BTreeSet<i64> = curves
            .iter()
            .flat_map(|(_, h)| h.iter().map(|p| p.step))
            .collect();
        let mut header = vec!["step".to_string()];
        header.extend(curves.iter().map(|(k, _)| (*k).clone()));
        let rows: Vec<Vec<String>> = steps
            .iter()
            .map(|s| {
                let mut row = vec![s.to_string()];
                row.extend(curves.iter().map(|(_, h)| {
                    h.iter()
                        .rev()
                        .find(|p| p.step == *s)
                        .map_or_else(|| "-".to_string(), |p| number(p.value))
                }));
                row
            })
            .collect();
        table(&header, &rows);
    }
    println!("\nTags:");
    for (k, v) in &run.data.tags {
        println!("  {k} = {v}");
    }
    if !artifacts.is_empty() {
        println!("\nArtifacts:");
        for a in &artifacts {
            match a.size {
                Some(size) => println!("  {} ({})", a.path, crate::report::bytes(size)),
                None => println!("  {}/", a.path),
            }
        }
    }
    if let Some(study) = &study {
        print_study(study);
    } else if !children.is_empty() {
        println!("\nChild runs:");
        for c in &children {
            println!("  {} {} {}", short(&c.run_id), c.name, c.status);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn study_json(s: &kiln::tune::StudySummary) -> serde_json::Value {
    json!({
        "metric": s.metric,
        "direction": s.direction.as_str(),
        "planned": s.planned,
        "trials": s.trials.iter().map(|(t, id)| json!({
            "number": t.number, "state": t.state.as_str(), "value": t.value,
            "params": t.params, "run_id": id,
        })).collect::<Vec<_>>(),
        "best": s.best.as_ref().map(|(t, id)| super::tune::best_json(t, Some(id))),
        "importance": s.importance.as_deref().map(super::tune::importance_json),
    })
}

/// A study's trials (a table: number, state, value, each searched path, run), its best trial
/// and the parameters' importance.
fn print_study(s: &kiln::tune::StudySummary) {
    println!(
        "\nStudy: {} {} over {} of {} trials",
        s.direction.as_str(),
        s.metric,
        s.trials.len(),
        s.planned
    );
    let paths: BTreeSet<&String> = s.trials.iter().flat_map(|(t, _)| t.params.keys()).collect();
    let mut header = vec![
        "trial".to_string(),
        "state".to_string(),
        "value".to_string(),
    ];
    header.extend(paths.iter().map(|p| (*p).clone()));
    header.push("run".to_string());
    let rows: Vec<Vec<String>> = s
        .trials
        .iter()
        .map(|(t, id)| {
            let mut row = vec![
                t.number.to_string(),
                t.state.as_str().to_string(),
                t.value.map_or_else(|| "-".to_string(), number),
            ];
            row.extend(paths.iter().map(|p| {
                t.params
                    .get(*p)
                    .map_or_else(|| "-".to_string(), |v| v.to_string())
            }));
            row.push(short(id).to_string());
            row
        })
        .collect();
    table(&header, &rows);
    if let Some((t, id)) = &s.best {
        println!(
            "\nBest: trial {} ({}) {} = {}",
            t.number,
            short(id),
            s.metric,
            t.value.map_or_else(|| "-".to_string(), number)
        );
    }
    if let Some(imp) = &s.importance {
        println!("\nImportance (PED-ANOVA):");
        super::tune::print_importance(imp);
    }
}

fn compare(store: &Store, given: &[String], json: bool) -> anyhow::Result<ExitCode> {
    let runs: Vec<Run> = given
        .iter()
        .map(|g| Ok(store.run(&store.resolve_run(g)?.run_id)?))
        .collect::<anyhow::Result<_>>()?;
    let keys =
        |f: &dyn Fn(&Run) -> Vec<String>| -> BTreeSet<String> { runs.iter().flat_map(f).collect() };
    let param_keys = keys(&|r| r.data.params.keys().cloned().collect());
    let metric_keys = keys(&|r| r.data.metrics.iter().map(|m| m.key.clone()).collect());
    let params: BTreeMap<&String, Vec<Option<&String>>> = param_keys
        .iter()
        .map(|k| (k, runs.iter().map(|r| r.data.params.get(k)).collect()))
        .collect();
    let differing: Vec<_> = params
        .iter()
        .filter(|(_, vs)| vs.iter().any(|v| *v != vs[0]))
        .collect();
    if json {
        emit(&json!({
            "runs": runs.iter().map(|r| &r.info.run_id).collect::<Vec<_>>(),
            "params_differing": differing.iter().map(|(k, vs)| (k.to_string(), vs.to_vec())).collect::<BTreeMap<_, _>>(),
            "metrics": metric_keys.iter().map(|k| (k.clone(), runs.iter().map(|r| r.data.metric(k)).collect::<Vec<_>>())).collect::<BTreeMap<_, _>>(),
            "data_digests": runs.iter().map(|r| r.data.tags.get(DATA_DIGEST_TAG)).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let mut header = vec![String::new()];
    header.extend(
        runs.iter()
            .map(|r| format!("{} {}", short(&r.info.run_id), r.info.name)),
    );
    println!(
        "Params: {} differ, {} the same",
        differing.len(),
        params.len() - differing.len()
    );
    if !differing.is_empty() {
        let rows: Vec<Vec<String>> = differing
            .iter()
            .map(|(k, vs)| {
                let mut row = vec![(**k).clone()];
                row.extend(
                    vs.iter()
                        .map(|v| v.map_or_else(|| "-".to_string(), Clone::clone)),
                );
                row
            })
            .collect();
        table(&header, &rows);
    }
    println!("\nMetrics:");
    let rows: Vec<Vec<String>> = metric_keys
        .iter()
        .map(|k| {
            let values: Vec<Option<f64>> = runs.iter().map(|r| r.data.metric(k)).collect();
            let differs = values
                .iter()
                .any(|v| v.map(f64::to_bits) != values[0].map(f64::to_bits));
            let mut row = vec![format!("{}{k}", if differs { "* " } else { "  " })];
            row.extend(
                values
                    .iter()
                    .map(|v| v.map_or_else(|| "-".to_string(), number)),
            );
            row
        })
        .collect();
    table(&header, &rows);
    println!("\nData:");
    let rows: Vec<Vec<String>> = [DATA_DIGEST_TAG, "kiln.spec_sha256", WEIGHTS_DIGEST_TAG]
        .iter()
        .map(|tag| {
            let mut row = vec![(*tag).to_string()];
            row.extend(runs.iter().map(|r| {
                r.data
                    .tags
                    .get(*tag)
                    .map_or_else(|| "-".to_string(), |d| prefix(d, 12).to_string())
            }));
            row
        })
        .collect();
    table(&header, &rows);
    Ok(ExitCode::SUCCESS)
}

fn reproduce(
    store: &std::sync::Arc<Store>,
    args: &ReproduceArgs,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let info = store.resolve_run(&args.run)?;
    let original = store.run(&info.run_id)?;
    if original.info.status != RunStatus::Finished {
        anyhow::bail!(
            "run {} is {}; only a finished run can be reproduced",
            info.run_id,
            original.info.status
        );
    }
    let tag = |name: &str| original.data.tags.get(name).cloned();
    if tag("kiln.command").as_deref() != Some("train") {
        anyhow::bail!(
            "run {} is not a `kiln train` run; there is nothing to re-train",
            info.run_id
        );
    }
    let (_, mut spec_file) = store
        .artifact(&info.run_id, SPEC_ARTIFACT)
        .with_context(|| format!("run {} has no recorded spec", info.run_id))?;
    let mut spec_text = String::new();
    spec_file.read_to_string(&mut spec_text)?;
    let base = tag(SPEC_DIR_TAG).unwrap_or_else(|| ".".to_string());
    let spec_path = tag("kiln.spec_path").unwrap_or_else(|| "spec.toml".to_string());
    let temp = tempfile::tempdir()?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| temp.path().join("reproduced.kiln"));
    let mut request = TrainRequest::new(&spec_path, &output, super::cache()?);
    request.spec_text = Some((spec_text, base.into()));
    request.checkpoint = false;
    request.epochs = tag(EPOCHS_TAG).and_then(|e| e.parse().ok());
    request.folds = tag(FOLDS_TAG).and_then(|k| k.parse().ok());
    request.tracking = super::tracking(&args.track).map(|mut t| {
        t.tags
            .insert(REPRODUCES_TAG.to_string(), info.run_id.clone());
        t.run_name = t
            .run_name
            .or_else(|| Some(format!("{}-reproduced", info.name)));
        t
    });
    if request.tracking.is_none() && !args.track.no_track {
        // The store opened above; the data digest is compared through it.
        request.tracking = Some(Tracking::new(std::sync::Arc::clone(store)));
    }
    let mode = Mode::from_flags(json, true);
    let result = super::train::train(request, mode)?;
    let new_weights = kiln::weights_digest(&result.file)?;
    let new_data = match store
        .search_runs(&RunQuery {
            filter: Some(format!("tags.`{REPRODUCES_TAG}` = '{}'", info.run_id)),
            max_results: 1,
            ..RunQuery::default()
        })?
        .runs
        .first()
    {
        Some(r) => r.data.tags.get(DATA_DIGEST_TAG).cloned(),
        None => None,
    };
    let old_weights = tag(WEIGHTS_DIGEST_TAG);
    let old_data = tag(DATA_DIGEST_TAG);
    let same_weights = old_weights.as_deref() == Some(new_weights.as_str());
    let same_data = new_data.is_none() || new_data == old_data;
    if json {
        emit(&json!({
            "run": info.run_id,
            "weights": {"recorded": old_weights, "reproduced": new_weights, "identical": same_weights},
            "data": {"recorded": old_data, "reproduced": new_data, "identical": same_data},
        }));
    } else {
        println!("Reproducing run {} ({}):", info.run_id, info.name);
        println!(
            "  data digest    {} {}",
            if same_data { "same" } else { "DIFFERS" },
            match (&old_data, &new_data) {
                (Some(o), Some(n)) if o != n =>
                    format!("(recorded {}, now {})", prefix(o, 12), prefix(n, 12)),
                (Some(o), _) => o.clone(),
                _ => "(not recorded)".to_string(),
            }
        );
        println!(
            "  weights        {} {}",
            if same_weights {
                "bit-identical"
            } else {
                "DIFFER"
            },
            match &old_weights {
                Some(o) if o != &new_weights => format!(
                    "(recorded {}, now {})",
                    prefix(o, 12),
                    prefix(&new_weights, 12)
                ),
                Some(o) => o.clone(),
                None => "(not recorded)".to_string(),
            }
        );
    }
    Ok(if same_weights && same_data {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
