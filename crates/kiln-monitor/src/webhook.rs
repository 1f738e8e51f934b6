//! Optional webhook: a JSON POST to a URL whenever a model's state changes, sent from a
//! background thread so serving never waits on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::drift::State;

/// The JSON body POSTed to the webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateChange {
    /// Model name.
    pub model: String,
    /// Model version, when the server serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// State before.
    pub previous: State,
    /// State now.
    pub state: State,
    /// When it changed (ms since the Unix epoch).
    pub at_unix_ms: u64,
    /// The Nagios status line.
    pub summary: String,
}

/// Counters of a webhook's deliveries.
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// POSTs answered with a 2xx status.
    pub delivered: AtomicU64,
    /// POSTs that failed (connection error, timeout, non-2xx).
    pub failed: AtomicU64,
}

/// A webhook with its delivery thread. Dropping it lets the thread finish what is queued and
/// exit.
#[derive(Debug)]
pub struct Webhook {
    sender: mpsc::Sender<StateChange>,
    stats: Arc<WebhookStats>,
}

impl Webhook {
    /// Starts the delivery thread for `url` (`http://` or `https://`); each POST times out
    /// after `timeout`.
    pub fn new(url: impl Into<String>, timeout: Duration) -> Self {
        let url = url.into();
        let (sender, receiver) = mpsc::channel::<StateChange>();
        let stats = Arc::new(WebhookStats::default());
        let counters = stats.clone();
        thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .build()
                .into();
            for change in receiver {
                let body = serde_json::to_string(&change).unwrap_or_default();
                let ok = agent
                    .post(&url)
                    .header("content-type", "application/json")
                    .send(body.as_bytes())
                    .is_ok();
                let counter = if ok {
                    &counters.delivered
                } else {
                    &counters.failed
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        Self { sender, stats }
    }

    /// Queues a notification.
    pub fn notify(&self, change: StateChange) {
        // The thread only ends when the sender is dropped, so sending cannot fail while
        // `self` lives.
        let _ = self.sender.send(change);
    }

    /// Delivery counters.
    pub fn stats(&self) -> Arc<WebhookStats> {
        self.stats.clone()
    }
}
