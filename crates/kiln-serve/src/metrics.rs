//! Prometheus metrics, rendered in the text exposition format (version 0.0.4).
//!
//! A handful of counters and histograms behind one mutex: at the request rates one process
//! serves, a lock per request costs nanoseconds, and hand-rendering keeps the format exact
//! without a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets in seconds (100 µs … 10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
];
/// Batch-size buckets in rows.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&mut self.counts) {
            if v <= *b {
                *c += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    batch: BTreeMap<String, Histogram>,
    queue_wait: BTreeMap<String, Histogram>,
    rejected: BTreeMap<String, u64>,
    swaps: BTreeMap<String, u64>,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// One answered request: `model` is empty for requests not aimed at a model.
    pub fn request(&self, model: &str, route: &str, status: u16, elapsed: Duration) {
        self.with(|m| {
            *m.requests
                .entry((model.to_string(), route.to_string(), status))
                .or_default() += 1;
            if !model.is_empty() {
                m.latency
                    .entry(model.to_string())
                    .or_insert_with(|| Histogram::new(LATENCY_BUCKETS))
                    .observe(elapsed.as_secs_f64());
            }
        });
    }

    /// One batch of `rows` rows predicted.
    pub fn batch(&self, model: &str, rows: usize) {
        self.with(|m| {
            m.batch
                .entry(model.to_string())
                .or_insert_with(|| Histogram::new(BATCH_BUCKETS))
                .observe(rows as f64);
        });
    }

    /// Time a request waited in the queue.
    pub fn queue_wait(&self, model: &str, waited: Duration) {
        self.with(|m| {
            m.queue_wait
                .entry(model.to_string())
                .or_insert_with(|| Histogram::new(LATENCY_BUCKETS))
                .observe(waited.as_secs_f64());
        });
    }

    /// A request turned away because the queue was full.
    pub fn rejected(&self, model: &str) {
        self.with(|m| *m.rejected.entry(model.to_string()).or_default() += 1);
    }

    /// A model was swapped for a new file.
    pub fn swapped(&self, model: &str) {
        self.with(|m| *m.swaps.entry(model.to_string()).or_default() += 1);
    }

    /// The text exposition format; `queues` are the current queue depths by model.
    pub fn render(&self, queues: &[(String, usize)]) -> String {
        let mut out = String::new();
        self.with(|m| {
            out.push_str("# HELP kiln_requests_total HTTP requests answered, by model, route and status.\n# TYPE kiln_requests_total counter\n");
            for ((model, route, status), n) in &m.requests {
                let _ = writeln!(
                    out,
                    "kiln_requests_total{{model=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    label(model),
                    label(route)
                );
            }
            out.push_str("# HELP kiln_errors_total Requests answered with a 4xx or 5xx status, by model and status.\n# TYPE kiln_errors_total counter\n");
            let mut errors: BTreeMap<(&str, u16), u64> = BTreeMap::new();
            for ((model, _, status), n) in &m.requests {
                if *status >= 400 {
                    *errors.entry((model, *status)).or_default() += n;
                }
            }
            for ((model, status), n) in errors {
                let _ = writeln!(
                    out,
                    "kiln_errors_total{{model=\"{}\",status=\"{status}\"}} {n}",
                    label(model)
                );
            }
            out.push_str("# HELP kiln_request_duration_seconds Time from request to answer for model requests.\n# TYPE kiln_request_duration_seconds histogram\n");
            for (model, h) in &m.latency {
                h.render(
                    &mut out,
                    "kiln_request_duration_seconds",
                    &format!("model=\"{}\"", label(model)),
                );
            }
            out.push_str("# HELP kiln_batch_size_rows Rows per predicted batch.\n# TYPE kiln_batch_size_rows histogram\n");
            for (model, h) in &m.batch {
                h.render(
                    &mut out,
                    "kiln_batch_size_rows",
                    &format!("model=\"{}\"", label(model)),
                );
            }
            out.push_str("# HELP kiln_queue_wait_seconds Time a request waited for its batch.\n# TYPE kiln_queue_wait_seconds histogram\n");
            for (model, h) in &m.queue_wait {
                h.render(
                    &mut out,
                    "kiln_queue_wait_seconds",
                    &format!("model=\"{}\"", label(model)),
                );
            }
            out.push_str("# HELP kiln_queue_rejected_total Requests answered 503 because the queue was full.\n# TYPE kiln_queue_rejected_total counter\n");
            for (model, n) in &m.rejected {
                let _ = writeln!(out, "kiln_queue_rejected_total{{model=\"{}\"}} {n}", label(model));
            }
            out.push_str("# HELP kiln_model_swaps_total Hot swaps of a model's file.\n# TYPE kiln_model_swaps_total counter\n");
            for (model, n) in &m.swaps {
                let _ = writeln!(out, "kiln_model_swaps_total{{model=\"{}\"}} {n}", label(model));
            }
        });
        out.push_str(
            "# HELP kiln_queue_depth Requests waiting for a worker.\n# TYPE kiln_queue_depth gauge\n",
        );
        for (model, depth) in queues {
            let _ = writeln!(
                out,
                "kiln_queue_depth{{model=\"{}\"}} {depth}",
                label(model)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = Histogram::new(BATCH_BUCKETS);
        for v in [1.0, 3.0, 3.0, 100.0, 1000.0] {
            h.observe(v);
        }
        let mut out = String::new();
        h.render(&mut out, "x", "m=\"a\"");
        assert!(out.contains("x_bucket{m=\"a\",le=\"1\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{m=\"a\",le=\"4\"} 3\n"), "{out}");
        assert!(out.contains("x_bucket{m=\"a\",le=\"128\"} 4\n"), "{out}");
        assert!(out.contains("x_bucket{m=\"a\",le=\"+Inf\"} 5\n"), "{out}");
        assert!(out.contains("x_sum{m=\"a\"} 1107\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
