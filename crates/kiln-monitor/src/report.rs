//! Offline drift of a batch against a reference profile, and its self-contained HTML report
//! (per-feature overlaid distributions drawn as inline SVG, plus the numbers).

use std::fmt::Write;
use std::sync::Arc;

use kiln_data::Table;

use crate::drift::{DriftConfig, FeatureDrift, State};
use crate::error::{MonitorError, Result};
use crate::monitor::{Monitor, MonitorConfig, MonitorStatus, WindowSpec};
use crate::profile::{Distribution, FeatureProfile, Outputs, ReferenceProfile};

/// Drift of a whole batch (one window holding every row) against `profile`.
///
/// # Errors
/// [`MonitorError::Input`] for an empty batch, missing or mistyped columns, or outputs that do
/// not match.
pub fn batch_status(
    model: &str,
    profile: &ReferenceProfile,
    table: &Table,
    outputs: Outputs<'_>,
    drift: DriftConfig,
) -> Result<MonitorStatus> {
    if table.is_empty() {
        return Err(MonitorError::Input("the batch has no rows".into()));
    }
    let config = MonitorConfig {
        windows: vec![WindowSpec::Count { rows: table.len() }],
        drift,
        max_pending: 0,
        ..MonitorConfig::default()
    };
    let mut monitor = Monitor::new(model, Arc::new(profile.clone()), config)?;
    monitor.observe_at(table, outputs, 0)?;
    Ok(monitor.status_at(0))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn state_class(s: State) -> &'static str {
    match s {
        State::Ok => "ok",
        State::Warning => "warning",
        State::Critical => "critical",
    }
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        format!("{v:.4}")
    } else {
        format!("{v:.3e}")
    }
}

/// Renders the HTML report of [`batch_status`]: `status` must come from this `profile` and
/// `table`, and `predictions` are the batch's outputs.
///
/// # Errors
/// [`MonitorError::Input`] when the table's columns do not fit the profile.
pub fn render_html(
    profile: &ReferenceProfile,
    status: &MonitorStatus,
    table: &Table,
    predictions: Outputs<'_>,
    source: &str,
) -> Result<String> {
    let window = status
        .windows
        .first()
        .ok_or_else(|| MonitorError::Input("the status has no window".into()))?;
    let current = profile.extract(table)?;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>kiln drift report: {model}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}\
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}th{{background:#f4f4f4}}td.l{{text-align:left}}\
.ok{{color:#1a7f37}}.warning{{color:#b58100}}.critical{{color:#c62828}}\
.feature{{display:inline-block;vertical-align:top;margin:1em 1em 0 0}}.badge{{font-weight:bold}}\
</style></head><body><h1>Drift report: {model}</h1>\
<p>Batch <code>{src}</code>: {rows} rows against the reference profile of {refrows} validation rows. \
Overall state: <span class=\"badge {cls}\">{state}</span>. Dataset drift: {dd} ({drifted} of {tested} features drifted; threshold share {share}).</p>",
        model = esc(&status.model),
        src = esc(source),
        rows = window.rows,
        refrows = profile.rows,
        cls = state_class(status.state),
        state = status.state,
        dd = if window.dataset_drift { "yes" } else { "no" },
        drifted = window.drifted_features,
        tested = window.tested_features,
        share = window.drift_share,
    );
    html.push_str("<h2>Summary</h2><table><tr><th>feature</th><th>kind</th><th>test</th><th>statistic</th><th>threshold</th><th>state</th><th>PSI</th><th>missing (ref → now)</th></tr>");
    for f in window
        .features
        .iter()
        .chain(std::iter::once(&window.prediction))
    {
        summary_row(&mut html, f);
    }
    html.push_str("</table>");
    if let (Some(live), Some(reference)) = (window.performance.live, window.performance.reference) {
        let _ = write!(
            html,
            "<p>Live {}: {} vs reference {} ({} labelled rows).</p>",
            esc(&window.performance.metric),
            fmt_num(live),
            fmt_num(reference),
            window.performance.labelled
        );
    }
    html.push_str("<h2>Distributions</h2><p>Blue: reference (validation). Orange: this batch. Shares of rows per bin or category.</p>");
    let pred_values = predictions.as_f64();
    let pairs = profile
        .features
        .iter()
        .zip(current.iter().map(Vec::as_slice))
        .chain(std::iter::once((
            &profile.prediction,
            pred_values.as_slice(),
        )));
    for ((feature, values), drift) in pairs.zip(
        window
            .features
            .iter()
            .chain(std::iter::once(&window.prediction)),
    ) {
        let svg = plot_feature(feature, values);
        let _ = write!(
            html,
            "<div class=\"feature\"><h3>{} <span class=\"{}\">{}</span></h3>{svg}</div>",
            esc(&feature.name),
            state_class(drift.state),
            drift.state
        );
    }
    html.push_str("</body></html>\n");
    Ok(html)
}

fn summary_row(html: &mut String, f: &FeatureDrift) {
    let method = serde_json::to_value(f.method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let stat = f.statistic.map_or("–".to_string(), fmt_num);
    let psi = f
        .statistics
        .get("psi")
        .map_or("–".to_string(), |v| fmt_num(*v));
    let _ = write!(
        html,
        "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{method}{}</td><td>{stat}</td><td>{}</td><td class=\"l {}\">{}</td><td>{psi}</td><td>{:.1}% → {:.1}%</td></tr>",
        esc(&f.name),
        f.kind,
        if f.method.is_p_value() {
            " (p-value)"
        } else {
            ""
        },
        fmt_num(f.threshold),
        state_class(f.state),
        f.state,
        100.0 * f.reference_missing_rate,
        100.0 * f.missing_rate,
    );
}

/// A feature's distribution in the reference and in the batch, as shares.
enum Shares {
    /// Categories (or the few levels of a discrete number), each labelled.
    Categories {
        names: Vec<String>,
        reference: Vec<f64>,
        current: Vec<f64>,
    },
    /// Bins of a numeric feature, `edges` one longer than the shares.
    Bins {
        edges: Vec<f64>,
        reference: Vec<f64>,
        current: Vec<f64>,
    },
}

fn normalised(v: Vec<f64>) -> Vec<f64> {
    let s: f64 = v.iter().sum();
    if s > 0.0 {
        v.iter().map(|x| x / s).collect()
    } else {
        v
    }
}

/// Shares over `names` and a last `<other>` bucket of `reference` and `current` counts; the
/// `<other>` bucket is drawn only when something fell in it, in the reference or the batch
/// (a prediction never does: it is always one of the model's classes).
fn with_other(mut names: Vec<String>, reference: Vec<f64>, current: Vec<f64>) -> Shares {
    let (mut reference, mut current) = (normalised(reference), normalised(current));
    if reference.last() == Some(&0.0) && current.last() == Some(&0.0) {
        reference.pop();
        current.pop();
    } else {
        names.push("<other>".into());
    }
    Shares::Categories {
        names,
        reference,
        current,
    }
}

fn shares(feature: &FeatureProfile, values: &[f64]) -> Shares {
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    match &feature.distribution {
        Distribution::Categorical { categories, counts } => {
            // One bucket per category plus `<other>`, sized from the categories so that a
            // profile with too few counts cannot index out of bounds.
            let buckets = categories.len() + 1;
            let mut reference = counts.clone();
            reference.resize(buckets, 0.0);
            let mut current = vec![0.0; buckets];
            for &v in &present {
                current[(v.max(0.0) as usize).min(buckets - 1)] += 1.0;
            }
            with_other(categories.clone(), reference, current)
        }
        Distribution::Numeric {
            levels: Some(levels),
            ..
        } => {
            // A value outside the reference levels counts as `<other>`, as in the drift test.
            let mut reference: Vec<f64> = levels.iter().map(|l| l.1).collect();
            reference.push(0.0);
            let mut current = vec![0.0; levels.len() + 1];
            for &v in &present {
                current[levels.iter().position(|l| l.0 == v).unwrap_or(levels.len())] += 1.0;
            }
            let names = levels.iter().map(|l| fmt_level(l.0)).collect();
            with_other(names, reference, current)
        }
        Distribution::Numeric { sample, .. } => {
            let lo = sample
                .iter()
                .chain(&present)
                .copied()
                .fold(f64::INFINITY, f64::min);
            let hi = sample
                .iter()
                .chain(&present)
                .copied()
                .fold(f64::NEG_INFINITY, f64::max);
            let bins = 30;
            let (lo, width) = if hi > lo && lo.is_finite() && hi.is_finite() {
                (lo, (hi - lo) / bins as f64)
            } else if lo.is_finite() {
                (lo - 0.5, 1.0 / bins as f64)
            } else {
                (0.0, 1.0 / bins as f64)
            };
            let hist = |v: &[f64]| {
                let mut h = vec![0.0; bins];
                for &x in v {
                    h[(((x - lo) / width).max(0.0) as usize).min(bins - 1)] += 1.0;
                }
                h
            };
            Shares::Bins {
                edges: (0..=bins).map(|i| lo + width * i as f64).collect(),
                reference: normalised(hist(sample)),
                current: normalised(hist(&present)),
            }
        }
    }
}

/// A level of a discrete number: as written when it is whole (`3`, not `3.0000`).
fn fmt_level(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        fmt_num(v)
    }
}

/// The feature's chart: shared axes, ticks and labels with every other kiln chart (kiln-chart).
fn plot_feature(feature: &FeatureProfile, values: &[f64]) -> String {
    let series = |reference: Vec<f64>, current: Vec<f64>| {
        vec![
            ("reference".to_string(), reference),
            ("batch".to_string(), current),
        ]
    };
    match shares(feature, values) {
        Shares::Categories {
            names,
            reference,
            current,
        } => kiln_chart::BarChart {
            title: feature.name.clone(),
            y_label: "share of rows".into(),
            categories: names,
            series: series(reference, current),
            width: 440,
            height: 280,
        }
        .svg(),
        Shares::Bins {
            edges,
            reference,
            current,
        } => kiln_chart::Histogram {
            title: feature.name.clone(),
            x_label: feature.name.clone(),
            y_label: "share of rows".into(),
            edges,
            series: series(reference, current),
            width: 440,
            height: 280,
        }
        .svg(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::FeatureSource;

    fn feature(distribution: Distribution) -> FeatureProfile {
        FeatureProfile {
            name: "f".into(),
            source: FeatureSource::Prediction,
            count: 4,
            missing_rate: 0.0,
            distribution,
        }
    }

    fn categories(shares: Shares) -> (Vec<String>, Vec<f64>, Vec<f64>) {
        match shares {
            Shares::Categories {
                names,
                reference,
                current,
            } => (names, reference, current),
            Shares::Bins { .. } => panic!("expected categories"),
        }
    }

    #[test]
    fn other_bucket_only_when_something_fell_in_it() {
        let classes = feature(Distribution::Categorical {
            categories: vec!["0".into(), "1".into()],
            counts: vec![3.0, 1.0, 0.0],
        });
        let (names, reference, current) = categories(shares(&classes, &[0.0, 1.0]));
        assert_eq!(names, ["0", "1"]);
        assert_eq!((reference, current), (vec![0.75, 0.25], vec![0.5, 0.5]));
        // An unknown category in the batch (index 2 = categories.len()) brings it back.
        let (names, _, current) = categories(shares(&classes, &[0.0, 2.0]));
        assert_eq!(names, ["0", "1", "<other>"]);
        assert_eq!(current, [0.5, 0.0, 0.5]);
    }

    #[test]
    fn malformed_counts_do_not_panic() {
        let short = feature(Distribution::Categorical {
            categories: vec!["a".into(), "b".into()],
            counts: Vec::new(),
        });
        let (names, reference, current) = categories(shares(&short, &[1.0, 7.0, -1.0]));
        assert_eq!(names, ["a", "b", "<other>"]);
        assert_eq!(reference, [0.0, 0.0, 0.0]);
        assert_eq!(current.len(), 3);
    }

    #[test]
    fn levels_count_unseen_values_as_other() {
        let levels = feature(Distribution::Numeric {
            mean: 0.5,
            std: 0.5,
            min: 0.0,
            max: 1.0,
            sample: vec![0.0, 0.0, 1.0, 1.0],
            psi_edges: Vec::new(),
            psi_counts: Vec::new(),
            levels: Some(vec![(0.0, 2.0), (1.0, 2.0)]),
        });
        let (names, _, current) = categories(shares(&levels, &[0.0, 1.0]));
        assert_eq!(names, ["0", "1"]);
        assert_eq!(current, [0.5, 0.5]);
        let (names, _, current) = categories(shares(&levels, &[0.0, 1.0, 2.5, 3.0]));
        assert_eq!(names, ["0", "1", "<other>"]);
        assert_eq!(current, [0.25, 0.25, 0.5]);
    }
}
