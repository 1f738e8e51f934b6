//! The live page of a running `kiln serve`: traffic, latency and batch sizes from its
//! Prometheus `/metrics`, drift per feature and live accuracy from its `/monitor`. The page is
//! drawn on the server and redrawn every 2 s by a few lines of script that fetch the fragment
//! again, so the numbers come from the serving server's own endpoints, read the same way
//! whether the UI runs inside it (`kiln serve --ui`) or beside it (`kiln ui --live URL`).

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_chart::BarChart;
use kiln_monitor::{MonitorIndex, MonitorStatus};
use maud::{Markup, PreEscaped, html};

use crate::page::num;

/// What a serving server reports at one moment.
#[derive(Debug, Clone, Default)]
pub struct LiveSnapshot {
    /// Its `/metrics` text (Prometheus exposition format).
    pub metrics: String,
    /// Its `/monitor` statuses (empty when nothing is monitored).
    pub monitor: Vec<MonitorStatus>,
}

/// Reads the snapshot of the server the UI runs in.
pub type LocalSnapshot = Arc<dyn Fn() -> LiveSnapshot + Send + Sync>;

/// A server the live page watches.
#[derive(Clone)]
pub enum LiveTarget {
    /// The server this UI is mounted in.
    Local(LocalSnapshot),
    /// Another `kiln serve`, by its base URL (given on the command line, never by a request).
    Remote {
        /// `http://HOST:PORT`.
        url: String,
        /// Its bearer token, if it needs one.
        token: Option<String>,
    },
}

impl std::fmt::Debug for LiveTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Local(_) => f.write_str("Local"),
            Self::Remote { url, .. } => write!(f, "Remote({url})"),
        }
    }
}

impl LiveTarget {
    /// What the page calls it.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Local(_) => "this server".into(),
            Self::Remote { url, .. } => url.clone(),
        }
    }

    /// Its snapshot now (blocking: a remote one is two HTTP requests, 2 s timeout each).
    pub(crate) fn snapshot(&self) -> Result<LiveSnapshot, String> {
        match self {
            Self::Local(f) => Ok(f()),
            Self::Remote { url, token } => {
                let agent = ureq::Agent::config_builder()
                    .timeout_global(Some(std::time::Duration::from_secs(2)))
                    .http_status_as_error(true)
                    .build()
                    .new_agent();
                let get = |path: &str| {
                    let mut req = agent.get(format!("{}{path}", url.trim_end_matches('/')));
                    if let Some(t) = token {
                        req = req.header("Authorization", format!("Bearer {t}"));
                    }
                    req.call()
                        .map_err(|e| format!("{url}{path}: {e}"))?
                        .body_mut()
                        .read_to_string()
                        .map_err(|e| format!("{url}{path}: {e}"))
                };
                let metrics = get("/metrics")?;
                let monitor = serde_json::from_str::<MonitorIndex>(&get("/monitor")?)
                    .map(|m| m.models)
                    .unwrap_or_default();
                Ok(LiveSnapshot { metrics, monitor })
            }
        }
    }
}

/// One sample of the exposition text: name, labels, value.
fn samples(text: &str) -> impl Iterator<Item = (&str, BTreeMap<&str, &str>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| {
            let (head, value) = line.rsplit_once(' ')?;
            let value: f64 = value.trim().parse().ok()?;
            let (name, labels) = match head.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (head, ""),
            };
            let labels = labels
                .split("\",")
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    Some((k.trim(), v.trim().trim_matches('"')))
                })
                .collect();
            Some((name, labels, value))
        })
}

/// The sum of every sample of a counter or gauge.
fn total(text: &str, metric: &str) -> f64 {
    samples(text)
        .filter(|(n, _, _)| *n == metric)
        .map(|(_, _, v)| v)
        .sum::<f64>()
        // An empty sum is -0.0; the page shows 0.
        + 0.0
}

/// A histogram's per-bucket counts (not cumulative), summed over its label sets, by upper
/// bound in increasing order; the last is `+Inf`.
pub(crate) fn buckets(text: &str, metric: &str) -> Vec<(f64, f64)> {
    let name = format!("{metric}_bucket");
    let mut cumulative: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for (n, labels, v) in samples(text) {
        if n != name {
            continue;
        }
        let Some(le) = labels.get("le").and_then(|le| match *le {
            "+Inf" => Some(f64::INFINITY),
            x => x.parse::<f64>().ok(),
        }) else {
            continue;
        };
        // f64 bits order like the values for non-negative numbers.
        cumulative.entry(le.to_bits()).or_insert((le, 0.0)).1 += v;
    }
    let mut previous = 0.0;
    cumulative
        .into_values()
        .map(|(le, c)| {
            let count = (c - previous).max(0.0);
            previous = c;
            (le, count)
        })
        .collect()
}

/// The bucket bound below which a `q` share of the observations fall.
fn quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let n: f64 = buckets.iter().map(|b| b.1).sum();
    if n == 0.0 {
        return None;
    }
    let mut seen = 0.0;
    buckets.iter().find_map(|&(le, c)| {
        seen += c;
        (seen >= q * n).then_some(le)
    })
}

fn bound(le: f64, unit: &str, scale: f64) -> String {
    if le.is_infinite() {
        "more".into()
    } else {
        format!("≤{}{unit}", num(le * scale))
    }
}

/// The live sections of one target (what the script redraws).
pub(crate) fn fragment(target: &LiveTarget) -> Markup {
    let snapshot = match target.snapshot() {
        Ok(s) => s,
        Err(e) => {
            return html! { div.error role="alert" { "cannot read " (target.name()) ": " (e) } };
        }
    };
    let m = &snapshot.metrics;
    let requests = total(m, "kiln_requests_total");
    let errors = total(m, "kiln_errors_total");
    let latency = buckets(m, "kiln_request_duration_seconds");
    let batches = buckets(m, "kiln_batch_size_rows");
    let bars = |title: &str, y: &str, b: &[(f64, f64)], unit: &str, scale: f64| {
        // Empty leading and trailing buckets are left out; the rest keep their order.
        let first = b.iter().position(|x| x.1 > 0.0).unwrap_or(0);
        let last = b.iter().rposition(|x| x.1 > 0.0).map_or(0, |i| i + 1);
        let shown = if first < last { &b[first..last] } else { b };
        BarChart {
            title: title.into(),
            y_label: y.into(),
            categories: shown.iter().map(|x| bound(x.0, unit, scale)).collect(),
            series: vec![("requests".into(), shown.iter().map(|x| x.1).collect())],
            width: 560,
            height: 300,
        }
        .svg()
    };
    html! {
        section #traffic {
            h2 { "Traffic" }
            table {
                tbody {
                    tr { th { "model requests" } td.num data-key="requests" data-value=(requests) { (requests) } }
                    tr { th { "errors (4xx, 5xx)" } td.num data-key="errors" data-value=(errors) { (errors) } }
                    tr { th { "queue depth" } td.num data-key="queue_depth" data-value=(total(m, "kiln_queue_depth")) { (total(m, "kiln_queue_depth")) } }
                    tr { th { "median latency" } td.num data-key="p50" { (quantile(&latency, 0.5).map_or("–".into(), |v| bound(v, " ms", 1000.0))) } }
                    tr { th { "95th percentile latency" } td.num data-key="p95" { (quantile(&latency, 0.95).map_or("–".into(), |v| bound(v, " ms", 1000.0))) } }
                }
            }
        }
        div.charts {
            section #latency { h2 { "Latency" } (PreEscaped(bars("Request latency", "requests", &latency, " ms", 1000.0))) }
            section #batches { h2 { "Batch sizes" } (PreEscaped(bars("Rows per predicted batch", "batches", &batches, "", 1.0))) }
        }
        section #drift {
            h2 { "Drift and live quality" }
            @if snapshot.monitor.is_empty() {
                p.muted { "No model is monitored (start " code { "kiln serve" } " with a model that has a reference profile)." }
            }
            @for status in &snapshot.monitor {
                (monitor(status))
            }
        }
    }
}

fn monitor(s: &MonitorStatus) -> Markup {
    html! {
        h3 { (s.model) @if let Some(v) = &s.version { " " span.muted { (v) } } " · " span class=(format!("state-{}", s.state)) { (s.state.to_string()) } }
        p.muted { (s.observed_total) " rows observed, " (s.feedback_total) " with feedback" }
        @for w in &s.windows {
            h4 { "Window " (w.name) " · " (w.rows) " rows · " (w.drifted_features) " of " (w.tested_features) " features drifted" }
            table.drift data-window=(w.name) {
                thead { tr { th { "feature" } th { "state" } th { "test" } th.num { "statistic" } th.num { "threshold" } th.num { "rows" } } }
                tbody {
                    @for f in w.features.iter().chain(std::iter::once(&w.prediction)) {
                        tr data-feature=(f.name) {
                            td { (f.name) }
                            td class=(format!("state-{}", f.state)) { (f.state.to_string()) }
                            td { (serde_json::to_value(f.method).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()) }
                            td.num data-value=[f.statistic] { (f.statistic.map_or("–".into(), num)) }
                            td.num { (num(f.threshold)) }
                            td.num { (f.rows) }
                        }
                    }
                }
            }
            p {
                "Live " (w.performance.metric) ": "
                span data-key="live_metric" data-value=[w.performance.live] { (w.performance.live.map_or("– (no feedback yet)".into(), num)) }
                " on " (w.performance.labelled) " labelled rows; reference "
                (w.performance.reference.map_or("–".into(), num))
            }
        }
    }
}

/// The script that redraws `#live` from `/ui/live/fragment?target=N` every 2 s.
pub(crate) const SCRIPT: &str = r#"
(function () {
  var live = document.getElementById('live');
  if (!live) return;
  var url = '/ui/live/fragment?target=' + encodeURIComponent(live.dataset.target);
  function tick() {
    fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      live.innerHTML = html;
      live.dataset.updated = String(Date.now());
    }).catch(function (e) {
      live.dataset.error = String(e);
    }).finally(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 2000);
})();
"#;

/// The body of `/ui/live`.
pub(crate) fn page(targets: &[LiveTarget], chosen: usize) -> Markup {
    html! {
        h1 { "Live" }
        @if targets.is_empty() {
            p { "No server to watch. Start one with " code { "kiln serve MODEL --ui" } " (its page is its own " code { "/ui/live" } "), or give " code { "kiln ui --live http://HOST:PORT" } "." }
        } @else {
            @if targets.len() > 1 {
                p { @for (i, t) in targets.iter().enumerate() { a href=(format!("/ui/live?target={i}")) { (t.name()) } " " } }
            }
            @if let Some(t) = targets.get(chosen) {
                p.muted { "Watching " (t.name()) "; redrawn every 2 s." }
                div #live data-target=(chosen) { (fragment(t)) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE kiln_requests_total counter\n\
        kiln_requests_total{model=\"m\",route=\"/invocations\",status=\"200\"} 7\n\
        kiln_requests_total{model=\"m\",route=\"/v2/models/{name}/infer\",status=\"200\"} 3\n\
        kiln_request_duration_seconds_bucket{model=\"m\",le=\"0.001\"} 2\n\
        kiln_request_duration_seconds_bucket{model=\"m\",le=\"0.01\"} 9\n\
        kiln_request_duration_seconds_bucket{model=\"m\",le=\"+Inf\"} 10\n";

    #[test]
    fn counters_and_buckets_from_exposition_text() {
        assert_eq!(total(TEXT, "kiln_requests_total"), 10.0);
        assert!(total(TEXT, "kiln_errors_total").is_sign_positive());
        let b = buckets(TEXT, "kiln_request_duration_seconds");
        assert_eq!(b, [(0.001, 2.0), (0.01, 7.0), (f64::INFINITY, 1.0)]);
        assert_eq!(quantile(&b, 0.5), Some(0.01));
        assert_eq!(quantile(&b, 0.1), Some(0.001));
    }
}
