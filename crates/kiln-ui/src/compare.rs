//! Runs side by side: what differs in their params and final metrics, their curves overlaid,
//! and parallel coordinates over the numeric params and metrics.

use std::collections::{BTreeMap, BTreeSet};

use kiln_chart::{LineChart, ParallelCoordinates, Series};
use kiln_runs::{MetricPoint, Run, Store};
use maud::{Markup, PreEscaped, html};

use crate::error::Result;
use crate::page::num;
use crate::run_page::curve_group;

/// Runs compared at most.
pub(crate) const MAX_RUNS: usize = 20;

/// One compared run.
pub(crate) struct Compared {
    run: Run,
    histories: BTreeMap<String, Vec<MetricPoint>>,
}

/// Reads the runs named (ids or unique prefixes).
pub(crate) fn load(store: &Store, ids: &[String]) -> Result<Vec<Compared>> {
    let mut out = Vec::new();
    for id in ids.iter().take(MAX_RUNS) {
        let info = store.resolve_run(id)?;
        out.push(Compared {
            histories: store.metric_histories(&info.run_id)?,
            run: store.run(&info.run_id)?,
        });
    }
    Ok(out)
}

/// A run's label in legends: its name and the id's first 8 digits.
fn label(run: &Run) -> String {
    let id: String = run.info.run_id.chars().take(8).collect();
    format!("{} ({id})", run.info.name)
}

/// The body of `/ui/compare`.
pub(crate) fn body(runs: &[Compared]) -> Markup {
    if runs.len() < 2 {
        return html! {
            h1 { "Compare" }
            p { "Pick two or more runs on the " a href="/ui/runs" { "runs page" } " and press “Compare selected”." }
        };
    }
    let params: BTreeSet<&str> = runs
        .iter()
        .flat_map(|c| c.run.data.params.keys().map(String::as_str))
        .collect();
    let metrics: BTreeSet<&str> = runs
        .iter()
        .flat_map(|c| c.run.data.metrics.iter().map(|m| m.key.as_str()))
        .collect();
    let param_of = |c: &Compared, k: &str| c.run.data.params.get(k).cloned();
    let differs = |k: &str| {
        let first = param_of(&runs[0], k);
        runs.iter().any(|c| param_of(c, k) != first)
    };
    html! {
        h1 { "Compare " (runs.len()) " runs" }
        h2 { "Params" }
        div.scroll {
            table #param-diff {
                thead { tr { th { "param" } @for c in runs { th data-run=(c.run.info.run_id) { a href=(format!("/ui/runs/{}", c.run.info.run_id)) { (label(&c.run)) } } } } }
                tbody {
                    @for k in &params {
                        tr data-key=(k) class=[differs(k).then_some("differs")] {
                            th { (k) }
                            @for c in runs { td data-run=(c.run.info.run_id) { (param_of(c, k).unwrap_or_default()) } }
                        }
                    }
                }
            }
        }
        h2 { "Metrics" }
        div.scroll {
            table #metric-diff {
                thead { tr { th { "metric" } @for c in runs { th.num data-run=(c.run.info.run_id) { (label(&c.run)) } } } }
                tbody {
                    @for k in &metrics {
                        tr data-key=(k) {
                            th { (k) }
                            @for c in runs {
                                @match c.run.data.metric(k) {
                                    Some(v) => td.num data-run=(c.run.info.run_id) data-value=(v) { (num(v)) },
                                    None => td.num data-run=(c.run.info.run_id) {},
                                }
                            }
                        }
                    }
                }
            }
        }
        (overlay(runs))
        (parallel(runs, &params, &metrics))
    }
}

/// One chart per metric group that some run has more than one step of, a series per run.
fn overlay(runs: &[Compared]) -> Markup {
    let mut groups: BTreeMap<String, Vec<Series>> = BTreeMap::new();
    for c in runs {
        for (key, points) in &c.histories {
            if points.len() < 2 {
                continue;
            }
            let (group, split) = curve_group(key);
            let name = if split == key {
                label(&c.run)
            } else {
                format!("{} {split}", label(&c.run))
            };
            groups
                .entry(group.to_string())
                .or_default()
                .push(Series::new(
                    name,
                    points.iter().map(|p| (p.step as f64, p.value)).collect(),
                ));
        }
    }
    html! {
        @if !groups.is_empty() {
            section #overlay {
                h2 { "Curves" }
                div.charts {
                    @for (group, series) in groups {
                        figure data-metric=(group) {
                            (PreEscaped(LineChart {
                                title: group.clone(),
                                x_label: "step".into(),
                                y_label: group.clone(),
                                series,
                                width: 560,
                                height: 320,
                                ..LineChart::default()
                            }.svg()))
                        }
                    }
                }
            }
        }
    }
}

/// Parallel coordinates over the params that are numbers in every run and differ, and the
/// unprefixed metrics.
fn parallel(runs: &[Compared], params: &BTreeSet<&str>, metrics: &BTreeSet<&str>) -> Markup {
    let numeric_param = |k: &str| {
        let values: Vec<Option<f64>> = runs
            .iter()
            .map(|c| {
                c.run
                    .data
                    .params
                    .get(k)
                    .and_then(|v| v.trim().parse::<f64>().ok())
            })
            .collect();
        let all = values.iter().all(Option::is_some);
        let first = values[0];
        (all && values.iter().any(|v| *v != first)).then_some(values)
    };
    let mut axes = Vec::new();
    let mut columns: Vec<Vec<Option<f64>>> = Vec::new();
    for k in params {
        if let Some(values) = numeric_param(k) {
            axes.push(format!("params.{k}"));
            columns.push(values);
        }
    }
    for k in metrics.iter().filter(|k| !k.contains('.')).take(8) {
        axes.push(format!("metrics.{k}"));
        columns.push(runs.iter().map(|c| c.run.data.metric(k)).collect());
    }
    if axes.len() < 2 {
        return html! {};
    }
    let lines = runs
        .iter()
        .enumerate()
        .map(|(i, c)| (label(&c.run), columns.iter().map(|col| col[i]).collect()))
        .collect();
    html! {
        section #parallel {
            h2 { "Parallel coordinates" }
            (PreEscaped(ParallelCoordinates {
                title: "Params and metrics".into(),
                axes,
                lines,
                width: (160 * columns.len() as u32).clamp(480, 1300),
                height: 380,
            }.svg()))
        }
    }
}
