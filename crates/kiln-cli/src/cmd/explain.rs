//! `kiln explain importance|attributions MODEL …`: permutation importance per input feature,
//! and attributions of rows (integrated gradients, gradient × input).

use std::process::ExitCode;

use anyhow::{Context, bail};
use kiln::explain::{self, Method};
use kiln::explaining::attribution::Completeness;
use kiln::explaining::quadrature::Rule;
use kiln::{DataSelection, TrainedModel};
use serde_json::json;

use crate::flags::{ExplainAttributionsArgs, ExplainCommand, ExplainImportanceArgs};
use crate::render::emit;

pub(crate) fn run(command: &ExplainCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        ExplainCommand::Importance(args) => importance(args, json),
        ExplainCommand::Attributions(args) => attributions(args, json),
    }
}

fn describe(selection: &DataSelection) -> String {
    match selection {
        DataSelection::File(path) => path.display().to_string(),
        DataSelection::Train => "the train split".to_string(),
        DataSelection::Validation => "the validation split".to_string(),
        DataSelection::Test => "the test split".to_string(),
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
        describe(&selection),
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
        describe(&selection),
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
