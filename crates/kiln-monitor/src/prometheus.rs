//! Prometheus text exposition of monitor statuses (`GET /metrics`).

use std::fmt::Write;

use crate::monitor::MonitorStatus;

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(String, f64)>,
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Renders the gauges of every model's status in the Prometheus text format (0.0.4):
/// `kiln_monitor_state`, `kiln_monitor_window_state`, `kiln_monitor_window_rows`,
/// `kiln_monitor_dataset_drift`, `kiln_monitor_drift_statistic`,
/// `kiln_monitor_drift_threshold`, `kiln_monitor_feature_drifted`,
/// `kiln_monitor_live_metric`, `kiln_monitor_reference_metric`, `kiln_monitor_labelled_rows`,
/// and the counters `kiln_monitor_observed_rows_total`, `kiln_monitor_feedback_total`.
/// States are 0 OK, 1 WARNING, 2 CRITICAL.
pub fn render_prometheus(statuses: &[MonitorStatus]) -> String {
    let fam = |name, help, kind| Family {
        name,
        help,
        kind,
        samples: Vec::new(),
    };
    let mut state = fam(
        "kiln_monitor_state",
        "Model monitoring state (0 OK, 1 WARNING, 2 CRITICAL).",
        "gauge",
    );
    let mut observed = fam(
        "kiln_monitor_observed_rows_total",
        "Rows observed by the monitor.",
        "counter",
    );
    let mut feedback = fam(
        "kiln_monitor_feedback_total",
        "Feedback items matched to predictions.",
        "counter",
    );
    let mut reference = fam(
        "kiln_monitor_reference_metric",
        "Validation metric stored in the model file.",
        "gauge",
    );
    let mut wstate = fam(
        "kiln_monitor_window_state",
        "Window state (0 OK, 1 WARNING, 2 CRITICAL).",
        "gauge",
    );
    let mut wrows = fam("kiln_monitor_window_rows", "Rows in the window.", "gauge");
    let mut dataset = fam(
        "kiln_monitor_dataset_drift",
        "1 when at least the drift share of features drifted.",
        "gauge",
    );
    let mut stat = fam(
        "kiln_monitor_drift_statistic",
        "Drift statistic of the deciding test (p-value for ks, chisquare, z).",
        "gauge",
    );
    let mut thr = fam(
        "kiln_monitor_drift_threshold",
        "Threshold of the deciding test, corrected for multiple tests.",
        "gauge",
    );
    let mut drifted = fam(
        "kiln_monitor_feature_drifted",
        "1 when the feature drifted in the window.",
        "gauge",
    );
    let mut live = fam(
        "kiln_monitor_live_metric",
        "Metric on labelled predictions in the window.",
        "gauge",
    );
    let mut labelled = fam(
        "kiln_monitor_labelled_rows",
        "Labelled predictions in the window.",
        "gauge",
    );
    for s in statuses {
        let mut base: Vec<(&str, &str)> = vec![("model", s.model.as_str())];
        if let Some(v) = &s.version {
            base.push(("version", v.as_str()));
        }
        let with = |extra: &[(&str, &str)]| {
            let mut all = base.clone();
            all.extend_from_slice(extra);
            labels(&all)
        };
        state
            .samples
            .push((with(&[]), f64::from(s.state.exit_code())));
        observed.samples.push((with(&[]), s.observed_total as f64));
        feedback.samples.push((with(&[]), s.feedback_total as f64));
        if let Some(r) = &s.reference_metric {
            reference
                .samples
                .push((with(&[("metric", &r.name)]), r.value));
        }
        for w in &s.windows {
            let wl = with(&[("window", &w.name)]);
            wstate
                .samples
                .push((wl.clone(), f64::from(w.state.exit_code())));
            wrows.samples.push((wl.clone(), w.rows as f64));
            dataset
                .samples
                .push((wl.clone(), f64::from(u8::from(w.dataset_drift))));
            for f in w.features.iter().chain(std::iter::once(&w.prediction)) {
                let method = serde_json::to_value(f.method)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let fl = with(&[
                    ("window", &w.name),
                    ("feature", &f.name),
                    ("method", &method),
                ]);
                if let Some(v) = f.statistic {
                    stat.samples.push((fl.clone(), v));
                }
                thr.samples.push((fl.clone(), f.threshold));
                drifted.samples.push((fl, f64::from(u8::from(f.drifted))));
            }
            let pl = with(&[("window", &w.name), ("metric", &w.performance.metric)]);
            if let Some(v) = w.performance.live {
                live.samples.push((pl.clone(), v));
            }
            labelled.samples.push((pl, w.performance.labelled as f64));
        }
    }
    let mut out = String::new();
    for f in [
        state, observed, feedback, reference, wstate, wrows, dataset, stat, thr, drifted, live,
        labelled,
    ] {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for (l, v) in f.samples {
            let _ = writeln!(out, "{}{l} {}", f.name, fmt_value(v));
        }
    }
    out
}

fn fmt_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}
