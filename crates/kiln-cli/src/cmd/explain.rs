//! `kiln explain importance|attributions MODEL …`: permutation importance per input feature,
//! and attributions of rows (integrated gradients, gradient × input).

use std::process::ExitCode;

use anyhow::{Context, bail};
use kiln::explain::{self, Method};
use kiln::explaining::attribution::Completeness;
use kiln::explaining::quadrature::Rule;
use kiln::{DataSelection, TrainedModel};
use serde_json::json;

use crate::flags::{
    ExplainAttributionsArgs, ExplainCommand, ExplainImportanceArgs, ExplainTcavArgs,
};
use crate::render::emit;

pub(crate) fn run(command: &ExplainCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        ExplainCommand::Importance(args) => importance(args, json),
        ExplainCommand::Attributions(args) => attributions(args, json),
        ExplainCommand::Tcav(args) => tcav(args, json),
    }
}

fn importance(args: &ExplainImportanceArgs, json: bool) -> anyhow::Result<ExitCode> {
    let model = TrainedModel::load(&args.model)?;
    let selection = DataSelection::parse(&args.data);
    let (x, y, warning) = model.selection_data(&selection, &super::cache()?)?;
    if let Some(w) = &warning {
        eprintln!("warning: {w}");
    }
    let report = explain::importance(&model, &x, &y, args.repeats as usize, args.seed)?;
    let mut order: Vec<usize> = (0..report.features.len()).collect();
    order.sort_by(|&a, &b| report.features[b].mean.total_cmp(&report.features[a].mean));
    if json {
        emit(&json!({
            "model": args.model,
            "data": args.data,
            "metric": report.score.metric,
            "higher_is_better": report.score.higher_is_better,
            "baseline": report.score.value,
            "rows": report.rows,
            "repeats": report.repeats,
            "seed": report.seed,
            "features": report.features.iter().map(|f| json!({
                "feature": f.feature, "mean": f.mean, "std": f.std, "drops": f.drops,
            })).collect::<Vec<_>>(),
            "warning": warning,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let change = if report.score.higher_is_better {
        "drop"
    } else {
        "rise"
    };
    println!(
        "{}: permutation importance on {} ({} rows): {} {:.4} as is; its {change} when a feature is shuffled, mean ± std of {} shuffles (seed {})",
        model.header.name,
        selection.describe(),
        report.rows,
        report.score.metric,
        report.score.value,
        report.repeats,
        report.seed,
    );
    let longest = report
        .features
        .iter()
        .map(|f| f.feature.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    let top = report
        .features
        .iter()
        .map(|f| f.mean)
        .fold(0.0f64, f64::max);
    for &i in &order {
        let f = &report.features[i];
        let bar = if top > 0.0 && f.mean > 0.0 {
            "█".repeat(((f.mean / top) * 30.0).round() as usize)
        } else {
            String::new()
        };
        println!(
            "  {:<longest$}  {:+.4} ± {:.4}  {bar}",
            f.feature, f.mean, f.std
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn attributions(args: &ExplainAttributionsArgs, json: bool) -> anyhow::Result<ExitCode> {
    let model = TrainedModel::load(&args.model)?;
    let method = match args.method.as_str() {
        "integrated-gradients" | "ig" => Method::IntegratedGradients {
            rule: Rule::parse(&args.rule).with_context(|| {
                format!(
                    "--rule {}: expected gausslegendre, riemann_trapezoid or riemann_middle",
                    args.rule
                )
            })?,
            check: Completeness {
                start_steps: args.steps as usize,
                tolerance: args.tolerance,
                ..Completeness::default()
            },
        },
        "gradient-x-input" | "input-x-gradient" => Method::GradientXInput,
        other => bail!("--method {other}: expected integrated-gradients or gradient-x-input"),
    };
    let selection = DataSelection::parse(&args.data);
    let inputs = match &selection {
        DataSelection::File(path) => {
            let table = kiln::data::read_table(path, None)?;
            model.header.encoder.encode_inputs(&table)?.0
        }
        split => {
            let (x, _, warning) = model.selection_data(split, &super::cache()?)?;
            if let Some(w) = &warning {
                eprintln!("warning: {w}");
            }
            x
        }
    };
    let rows: Vec<usize> = (0..inputs.rows.min(args.rows as usize)).collect();
    let report = explain::attributions(&model, &inputs.take(&rows), method, args.class.as_deref())?;
    if json {
        emit(&json!({
            "model": args.model,
            "data": args.data,
            "method": report.method,
            "rule": report.rule,
            "features": report.features.iter().map(|(n, w)| json!({"feature": n, "width": w})).collect::<Vec<_>>(),
            "rows": report.rows.iter().enumerate().map(|(i, r)| json!({
                "row": i,
                "target": r.target,
                "column": r.column,
                "negated": r.negated,
                "output": r.output,
                "baseline_output": r.baseline_output,
                "steps": r.steps,
                "delta": r.delta,
                "complete": r.complete,
                "features": r.features.iter().map(|(n, v)| json!({"feature": n, "attribution": v})).collect::<Vec<_>>(),
                "values": r.values,
                "input": r.input,
            })).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: {} of {} row(s) of {}{}",
        model.header.name,
        report.method,
        report.rows.len(),
        selection.describe(),
        report
            .rule
            .map(|r| format!(" ({r}, baseline: all zeros after encoding)"))
            .unwrap_or_default(),
    );
    let incomplete = report
        .rows
        .iter()
        .filter(|r| r.complete == Some(false))
        .count();
    for (i, r) in report.rows.iter().enumerate() {
        let ig = match (r.baseline_output, r.steps, r.delta) {
            (Some(b), Some(s), Some(d)) => format!(
                ", baseline {b:.4}; {s} steps, Σ attributions − change = {d:+.2e}{}",
                if r.complete == Some(false) {
                    " (NOT within the tolerance)"
                } else {
                    ""
                }
            ),
            _ => String::new(),
        };
        println!("row {i}: {} output {:.4}{ig}", r.target, r.output);
        let mut order: Vec<usize> = (0..r.features.len()).collect();
        order.sort_by(|&a, &b| r.features[b].1.abs().total_cmp(&r.features[a].1.abs()));
        for &j in order.iter().take(10) {
            println!("  {:<24} {:+.4}", r.features[j].0, r.features[j].1);
        }
        if order.len() > 10 {
            println!("  … {} more (--json lists them all)", order.len() - 10);
        }
    }
    if incomplete > 0 {
        eprintln!(
            "warning: {incomplete} row(s) did not add up within the tolerance at the most steps tried (3,200)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn tcav(args: &ExplainTcavArgs, json: bool) -> anyhow::Result<ExitCode> {
    let model = TrainedModel::load(&args.model)?;
    let concepts = args
        .concepts
        .iter()
        .map(|c| {
            let (name, filter) = c
                .split_once('=')
                .filter(|(n, f)| !n.trim().is_empty() && !f.trim().is_empty())
                .with_context(|| {
                    format!(
                        "--concept {c}: expected NAME=FILTER, e.g. \"high-income=income >= 100000\""
                    )
                })?;
            Ok(explain::ConceptSpec {
                name: name.trim().to_string(),
                filter: filter.trim().to_string(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        bail!("--alpha {}: expected a level between 0 and 1", args.alpha);
    }
    let request = explain::TcavRequest {
        class: args.class.clone(),
        layers: args.layers.clone(),
        concepts,
        settings: kiln::explaining::tcav::Settings {
            runs: args.runs as usize,
            random_size: args.random_size as usize,
            alpha: args.alpha,
            seed: args.seed,
            ..kiln::explaining::tcav::Settings::default()
        },
        max_inputs: args.max_inputs as usize,
    };
    let report = explain::tcav(&model, &super::cache()?, &request)?;
    if let Some(w) = &report.warning {
        eprintln!("warning: {w}");
    }
    let level = report.settings.alpha / report.tests as f64;
    // Beside each concept on a model input: that input's permutation importance on the test
    // split (a concept on an input the model ignores can still get a consistent CAV).
    let wanted: Vec<&String> = report
        .rows
        .iter()
        .flat_map(|r| &r.columns)
        .filter(|c| {
            model
                .header
                .encoder
                .inputs
                .iter()
                .any(|i| i.name() == c.as_str())
        })
        .collect();
    let importance: Vec<(String, f64, f64)> = if wanted.is_empty() {
        Vec::new()
    } else {
        let (x, y, _) = model.selection_data(&DataSelection::Test, &super::cache()?)?;
        explain::importance(&model, &x, &y, 5, report.settings.seed)?
            .features
            .into_iter()
            .filter(|f| wanted.contains(&&f.feature))
            .map(|f| (f.feature, f.mean, f.std))
            .collect()
    };
    let importance_of = |columns: &[String]| -> Vec<serde_json::Value> {
        importance
            .iter()
            .filter(|(f, _, _)| columns.contains(f))
            .map(|(f, m, s)| json!({"input": f, "mean": m, "std": s}))
            .collect()
    };
    if json {
        emit(&json!({
            "model": args.model,
            "class": report.class,
            "inputs": report.inputs,
            "random_pool": report.random_pool,
            "runs": report.settings.runs,
            "random_size": report.settings.random_size,
            "seed": report.settings.seed,
            "alpha": report.settings.alpha,
            "tests": report.tests,
            "level": level,
            "results": report.rows.iter().map(|r| json!({
                "concept": r.concept,
                "layer": r.layer.1,
                "layer_index": r.layer.0,
                "examples": r.examples,
                "columns": r.columns,
                "input_importance": importance_of(&r.columns),
                "cav_accuracy": r.result.mean_cav_accuracy(),
                "sign_count": r.result.mean_sign_count(),
                "sign_count_std": r.result.sign_count_std(),
                "magnitude": r.result.mean_magnitude(),
                "random_sign_count": r.result.random_mean_sign_count(),
                "t": r.result.t,
                "p": r.result.p,
                "significant": r.result.significant,
                "mean_sensitivity": r.result.mean_sensitivity(),
                "random_mean_sensitivity": r.result.random_mean_sensitivity(),
                "p_sensitivity": r.result.p_sensitivity,
                "runs": r.result.scores.iter().map(|s| json!({"sign_count": s.sign_count, "magnitude": s.magnitude})).collect::<Vec<_>>(),
                "random_runs": r.result.random_scores.iter().map(|s| s.sign_count).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}: TCAV for class `{}` over {} test rows of it; {} runs per concept against random sets of {} training rows (seed {}); significant at p < {:.2e} ({} / {} tests, Bonferroni)",
        model.header.name,
        report.class,
        report.inputs,
        report.settings.runs,
        report.settings.random_size,
        report.settings.seed,
        level,
        report.settings.alpha,
        report.tests,
    );
    for r in &report.rows {
        let verdict = if r.result.significant {
            format!(
                "TCAV {:.3} ± {:.3} (magnitude {:.3}) vs random {:.3}, p = {:.2e}: significant; mean sensitivity {:+.3} vs random {:+.3} (p = {:.2e})",
                r.result.mean_sign_count(),
                r.result.sign_count_std(),
                r.result.mean_magnitude(),
                r.result.random_mean_sign_count(),
                r.result.p,
                r.result.mean_sensitivity(),
                r.result.random_mean_sensitivity(),
                r.result.p_sensitivity,
            )
        } else {
            format!("not significant (p = {:.2e})", r.result.p)
        };
        let beside: Vec<String> = importance
            .iter()
            .filter(|(f, _, _)| r.columns.contains(f))
            .map(|(f, m, s)| format!("{f} {m:+.4} ± {s:.4}"))
            .collect();
        println!(
            "  {} at {} (layer {}, {} examples, CAV accuracy {:.2}): {verdict}{}",
            r.concept,
            r.layer.1,
            r.layer.0,
            r.examples,
            r.result.mean_cav_accuracy(),
            if beside.is_empty() {
                String::new()
            } else {
                format!("; permutation importance {}", beside.join(", "))
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}
