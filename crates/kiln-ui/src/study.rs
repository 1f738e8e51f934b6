//! A study's section of its run page (`kiln tune`; issue 18): the metric and direction, the
//! best trial, the history (every finished trial's value by number, and the best so far),
//! PED-ANOVA importance, one slice per searched path, parallel coordinates over the paths and
//! the objective, and the trials table. Everything comes from
//! [`kiln_tune::record::study_summary`]; the charts are kiln-chart's.

use kiln_chart::{BarChart, LineChart, ParallelCoordinates, Series};
use kiln_tune::record::StudySummary;
use kiln_tune::{Dimension, Distribution, ParamValue, Trial, TrialState};
use maud::{Markup, PreEscaped, html};

use crate::page::num;

/// How a searched path is drawn on an axis.
enum Scale {
    /// Its numbers as they are.
    Linear,
    /// `log10` of its numbers (a log-scaled range; kiln-chart's axes are linear).
    Log10,
    /// One slot per value, in this order (a choice, or values that are not numbers).
    Categories(Vec<String>),
}

/// A searched path and its scale.
struct Axis {
    path: String,
    scale: Scale,
}

impl Axis {
    fn of(d: &Dimension) -> Self {
        let scale = match &d.distribution {
            Distribution::Float { log: true, .. } | Distribution::Int { log: true, .. } => {
                Scale::Log10
            }
            Distribution::Float { .. } | Distribution::Int { .. } => Scale::Linear,
            Distribution::Choice(values) => {
                Scale::Categories(values.iter().map(ToString::to_string).collect())
            }
        };
        Self {
            path: d.path.clone(),
            scale,
        }
    }

    /// A path the study's spec no longer describes: numbers if every trial's value is one,
    /// categories (sorted) otherwise.
    fn guessed(path: &str, trials: &[(Trial, String)]) -> Self {
        let values: Vec<&ParamValue> = trials
            .iter()
            .filter_map(|(t, _)| t.params.get(path))
            .collect();
        let scale = if values.iter().all(|v| v.as_f64().is_some()) {
            Scale::Linear
        } else {
            let mut names: Vec<String> = values.iter().map(ToString::to_string).collect();
            names.sort();
            names.dedup();
            Scale::Categories(names)
        };
        Self {
            path: path.to_string(),
            scale,
        }
    }

    /// The axis title: `log10(path)` on a log scale.
    fn label(&self) -> String {
        match self.scale {
            Scale::Log10 => format!("log10({})", self.path),
            _ => self.path.clone(),
        }
    }

    /// Where `trial`'s value sits on this axis (a category's index on a categorical one).
    fn position(&self, trial: &Trial) -> Option<f64> {
        let v = trial.params.get(&self.path)?;
        match &self.scale {
            Scale::Linear => v.as_f64(),
            Scale::Log10 => v.as_f64().filter(|x| *x > 0.0).map(f64::log10),
            Scale::Categories(names) => {
                let text = v.to_string();
                names.iter().position(|n| *n == text).map(|i| i as f64)
            }
        }
    }
}

/// The searched paths: the spec's space when it could be read back, else the paths the
/// trials' values name.
fn axes(s: &StudySummary) -> Vec<Axis> {
    if let Some(space) = &s.space {
        return space.dimensions.iter().map(Axis::of).collect();
    }
    let mut paths: Vec<&String> = s.trials.iter().flat_map(|(t, _)| t.params.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|p| Axis::guessed(p, &s.trials))
        .collect()
}

/// Complete trials with a finite value.
fn complete(s: &StudySummary) -> impl Iterator<Item = (&Trial, f64)> {
    s.trials.iter().filter_map(|(t, _)| {
        let v = t.value.filter(|v| v.is_finite())?;
        (t.state == TrialState::Complete).then_some((t, v))
    })
}

/// Points drawn as separate markers: a non-finite point between each pair breaks kiln-chart's
/// line there, so only the markers show.
fn markers_only(points: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for p in points {
        if !out.is_empty() {
            out.push((f64::NAN, f64::NAN));
        }
        out.push(p);
    }
    out
}

/// The study's section: what was optimised, the best trial, the charts and the trials
/// table. `links` is false in an offline report.
pub(crate) fn section(s: &StudySummary, links: bool) -> Markup {
    let axes = axes(s);
    let count = |state: TrialState| s.trials.iter().filter(|(t, _)| t.state == state).count();
    html! {
        section #study {
            h2 { "Study" }
            dl #study-summary {
                dt { "metric" } dd data-key="metric" { (s.metric) }
                dt { "direction" } dd data-key="direction" { (s.direction.as_str()) }
                dt { "trials" } dd data-key="trials" data-value=(s.trials.len()) {
                    (s.trials.len()) " finished of " (s.planned) " planned: "
                    (count(TrialState::Complete)) " complete, "
                    (count(TrialState::Pruned)) " pruned, "
                    (count(TrialState::Failed)) " failed"
                }
                dt { "best" }
                @if let Some((best, run_id)) = &s.best {
                    dd data-key="best" data-value=(best.number) {
                        "trial " (best.number) ": " (s.metric) " = "
                        span data-value=[best.value] { (best.value.map_or_else(String::new, num)) }
                        " " (run_link(run_id, links))
                    }
                } @else {
                    dd data-key="best" { span.muted { "no complete trial yet" } }
                }
            }
            (history(s))
            (importance(s))
            (slices(s, &axes))
            (parallel(s, &axes))
            (trials(s, &axes, links))
        }
    }
}

fn run_link(run_id: &str, links: bool) -> Markup {
    let short = &run_id[..run_id.len().min(12)];
    html! {
        @if links { a href=(format!("/ui/runs/{run_id}")) { code { (short) } } }
        @else { code { (short) } }
    }
}

fn chart(svg: String) -> PreEscaped<String> {
    PreEscaped(svg)
}

/// Every finished trial's value by number (complete and pruned as markers), and the best
/// value after each trial.
fn history(s: &StudySummary) -> Markup {
    let mut best: Option<f64> = None;
    let mut best_line = Vec::new();
    for (t, _) in &s.trials {
        if let (TrialState::Complete, Some(v)) = (t.state, t.value.filter(|v| v.is_finite()))
            && best.is_none_or(|b| s.direction.better(v, b))
        {
            best = Some(v);
        }
        if let Some(b) = best {
            best_line.push((t.number as f64, b));
        }
    }
    let of_state = |state: TrialState| {
        markers_only(
            s.trials
                .iter()
                .filter(|(t, _)| t.state == state)
                .filter_map(|(t, _)| Some((t.number as f64, t.value?))),
        )
    };
    let mut series = vec![
        Series::new("complete", of_state(TrialState::Complete)),
        Series::new("best so far", best_line),
    ];
    let pruned = of_state(TrialState::Pruned);
    if !pruned.is_empty() {
        series.push(Series::new("pruned", pruned));
    }
    let without_value: Vec<&Trial> = s
        .trials
        .iter()
        .map(|(t, _)| t)
        .filter(|t| t.state != TrialState::Complete && t.value.is_none_or(|v| !v.is_finite()))
        .collect();
    html! {
        section #study-history {
            h3 { "History" }
            figure {
                (chart(LineChart {
                    title: format!("{} by trial", s.metric),
                    x_label: "trial".into(),
                    y_label: s.metric.clone(),
                    series,
                    markers: true,
                    ..LineChart::default()
                }.svg()))
            }
            @if !without_value.is_empty() {
                p.muted #study-without-value {
                    "Without a value: "
                    @for (i, t) in without_value.iter().enumerate() {
                        @if i > 0 { ", " }
                        "trial " (t.number) " (" (t.state.as_str()) ")"
                    }
                }
            }
        }
    }
}

fn importance(s: &StudySummary) -> Markup {
    html! {
        section #study-importance {
            h3 { "Importance (PED-ANOVA)" }
            @if let Some(importance) = &s.importance {
                figure {
                    (chart(BarChart {
                        title: "parameter importance".into(),
                        y_label: "importance".into(),
                        categories: importance.iter().map(|(p, _)| p.clone()).collect(),
                        series: vec![("importance".into(), importance.iter().map(|(_, v)| *v).collect())],
                        ..BarChart::default()
                    }.svg()))
                }
            } @else {
                p.muted { "Not available: it needs the study's space and enough complete trials." }
            }
        }
    }
}

/// One small chart per searched path: the objective against the path's value.
fn slices(s: &StudySummary, axes: &[Axis]) -> Markup {
    html! {
        section #study-slices {
            h3 { "Slices" }
            div.charts {
                @for axis in axes {
                    @let points = markers_only(complete(s).filter_map(|(t, v)| Some((axis.position(t)?, v))));
                    figure data-path=(axis.path) {
                        (chart(LineChart {
                            title: axis.path.clone(),
                            x_label: axis.label(),
                            y_label: s.metric.clone(),
                            series: vec![Series::new("complete", points)],
                            points_only: true,
                            x_categories: match &axis.scale {
                                Scale::Categories(names) => names.clone(),
                                _ => Vec::new(),
                            },
                            width: 340,
                            height: 240,
                            ..LineChart::default()
                        }.svg()))
                    }
                }
            }
        }
    }
}

/// The searched paths and the objective side by side, one line per complete trial.
fn parallel(s: &StudySummary, axes: &[Axis]) -> Markup {
    let mut names: Vec<String> = axes.iter().map(Axis::label).collect();
    names.push(s.metric.clone());
    let lines: Vec<(String, Vec<Option<f64>>)> = complete(s)
        .map(|(t, v)| {
            let mut values: Vec<Option<f64>> = axes.iter().map(|a| a.position(t)).collect();
            values.push(Some(v));
            (format!("trial {}", t.number), values)
        })
        .collect();
    let categorical: Vec<&Axis> = axes
        .iter()
        .filter(|a| matches!(a.scale, Scale::Categories(_)))
        .collect();
    html! {
        section #study-parallel {
            h3 { "Parallel coordinates" }
            figure {
                (chart(ParallelCoordinates {
                    title: "complete trials".into(),
                    axes: names,
                    lines,
                    width: 720,
                    height: 340,
                }.svg()))
            }
            @if !categorical.is_empty() {
                p.muted {
                    "Choices are drawn at their index: "
                    @for (i, a) in categorical.iter().enumerate() {
                        @if i > 0 { "; " }
                        code { (a.path) } " "
                        @if let Scale::Categories(names) = &a.scale {
                            @for (k, name) in names.iter().enumerate() {
                                @if k > 0 { ", " }
                                (k) " = " (name)
                            }
                        }
                    }
                }
            }
        }
    }
}

fn trials(s: &StudySummary, axes: &[Axis], links: bool) -> Markup {
    let best = s.best.as_ref().map(|(t, _)| t.number);
    html! {
        section #study-trials {
            h3 { "Trials" }
            div.scroll {
                table #trials {
                    thead {
                        tr {
                            th.num { "trial" } th { "state" } th.num { (s.metric) }
                            @for a in axes { th { (a.path) } }
                            th { "run" }
                        }
                    }
                    tbody {
                        @for (t, run_id) in &s.trials {
                            @let is_best = best == Some(t.number);
                            tr data-trial=(t.number) data-state=(t.state.as_str()) data-run-id=(run_id) class=[is_best.then_some("best")] {
                                td.num { (t.number) @if is_best { " " span.best-mark title="best trial" { "best" } } }
                                td class=(format!("trial-{}", t.state.as_str())) { (t.state.as_str()) }
                                @if let Some(v) = t.value {
                                    td.num data-key="value" data-value=(v) { (num(v)) }
                                } @else {
                                    td.num.muted data-key="value" { "–" }
                                }
                                @for a in axes {
                                    td data-key=(a.path) {
                                        @if let Some(v) = t.params.get(&a.path) { (v) } @else { span.muted { "–" } }
                                    }
                                }
                                td { (run_link(run_id, links)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
