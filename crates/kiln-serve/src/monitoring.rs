//! Live monitoring of served models: one [`Monitor`] per served model version, fed by the
//! worker after every batch, answering `GET /monitor`, `POST /feedback` and the monitoring
//! gauges of `GET /metrics`.
//!
//! A model is monitored when monitoring is on ([`ServeConfig::monitor`]) and its file holds a
//! reference profile (every model `kiln train` writes does). Prediction ids come from one
//! counter shared by the server's monitors, so an id names exactly one prediction of one model
//! version: after a hot swap the new version starts a fresh monitor (its reference profile may
//! differ) and feedback for the old version's ids is reported as unknown, never misattributed.
//!
//! Cost on the serving path: the worker extracts the monitored features of each batch and
//! appends them to the windows under the model's mutex before it answers (the ids must be in
//! the answers). Drift statistics are computed only when a status is asked for (`/monitor`,
//! `/metrics`, the webhook poller), and never under that mutex: the windows' values are
//! copied out under it (about a millisecond for 10,000 rows) and the tests run on the copy
//! (up to a second: exact KS p-values on full windows), so a scrape never holds up a
//! prediction. With a webhook, the state check due every `check_every_rows` observed rows is
//! handed to the monitor's own thread for the same reason.
//!
//! [`ServeConfig::monitor`]: crate::ServeConfig::monitor

use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kiln::data::Table;
use kiln::monitor::{FeedbackSummary, Monitor, MonitorConfig, MonitorStatus, Truth, Webhook};
use kiln::{Predictions, TrainedModel};

use crate::error::ServeError;
use crate::model_id::ModelId;

/// Monitoring settings of a server.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSettings {
    /// Windows, drift tests and thresholds.
    pub config: MonitorConfig,
    /// A URL that receives a JSON POST whenever a model's state changes.
    pub webhook: Option<String>,
    /// Timeout of one webhook POST.
    pub webhook_timeout: Duration,
    /// With a webhook, states are also re-evaluated this often without traffic (time windows
    /// age out).
    pub poll_interval: Duration,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            config: MonitorConfig::default(),
            webhook: None,
            webhook_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_secs(30),
        }
    }
}

/// The live monitor of one served model version.
#[derive(Debug)]
pub(crate) struct ModelMonitor {
    monitor: Mutex<Monitor>,
    /// Held while a poll computes a status and notes it, so that two polls cannot note their
    /// states out of order; the worker never takes it.
    polling: Mutex<()>,
    /// With a webhook: wakes this monitor's check thread when observed rows make a state
    /// check due. The thread ends when this monitor is dropped (the sender goes with it).
    checks: Option<SyncSender<()>>,
}

impl ModelMonitor {
    /// A monitor for `model` served as `id`, or `None` when its file has no reference
    /// profile.
    pub(crate) fn start(
        settings: &MonitorSettings,
        ids: &Arc<AtomicU64>,
        id: &ModelId,
        model: &TrainedModel,
    ) -> Result<Option<Arc<Self>>, ServeError> {
        let Some(profile) = &model.header.profile else {
            tracing::info!(model = %id.name, version = %id.version, "not monitored: the model file has no reference profile");
            return Ok(None);
        };
        let mut monitor = Monitor::new(
            id.name.clone(),
            Arc::new(profile.clone()),
            settings.config.clone(),
        )
        .map_err(|e| ServeError::Config(format!("monitoring: {e}")))?
        .with_version(id.version.clone())
        .with_id_source(Arc::clone(ids));
        // With a webhook, due checks go to this monitor's own thread; one pending wake-up is
        // enough, as a check reads every row observed before it.
        let (checks, wakeups) = match &settings.webhook {
            Some(url) => {
                monitor = monitor
                    .with_webhook(Webhook::new(url.clone(), settings.webhook_timeout))
                    .with_deferred_checks();
                let (tx, rx) = sync_channel::<()>(1);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let this = Arc::new(Self {
            monitor: Mutex::new(monitor),
            polling: Mutex::new(()),
            checks,
        });
        if let Some(rx) = wakeups {
            let weak = Arc::downgrade(&this);
            std::thread::Builder::new()
                .name(format!("kiln-monitor-{}", id.name))
                .spawn(move || {
                    while rx.recv().is_ok() {
                        let Some(monitor) = weak.upgrade() else { break };
                        monitor.poll();
                    }
                })
                .map_err(ServeError::Thread)?;
        }
        Ok(Some(this))
    }

    fn lock(&self) -> MutexGuard<'_, Monitor> {
        self.monitor.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a predicted batch; the prediction id of each row, or `None` when the batch
    /// could not be recorded (logged; the predictions are still answered).
    pub(crate) fn observe(
        &self,
        id: &ModelId,
        rows: &Table,
        predictions: &Predictions,
    ) -> Option<Vec<u64>> {
        let outputs = kiln::monitor_outputs(predictions);
        let mut monitor = self.lock();
        let observed = monitor.observe(rows, outputs.as_outputs());
        if monitor.take_check_due()
            && let Some(checks) = &self.checks
        {
            // Full means a check is already waiting to run.
            let _ = checks.try_send(());
        }
        drop(monitor);
        match observed {
            Ok(ids) => Some(ids),
            Err(e) => {
                tracing::warn!(model = %id.name, version = %id.version, error = %e, "monitor could not record a batch");
                None
            }
        }
    }

    /// The current status, computed outside the monitor's mutex.
    pub(crate) fn status(&self) -> MonitorStatus {
        let input = self.lock().status_input();
        input.compute()
    }

    /// Re-evaluates the state and notifies the webhook of a change; the statistics run
    /// outside the monitor's mutex.
    pub(crate) fn poll(&self) {
        let _one_at_a_time = self.polling.lock().unwrap_or_else(|e| e.into_inner());
        let status = self.status();
        self.lock().note_state(&status);
    }

    /// Ground truth for earlier predictions.
    pub(crate) fn feedback(
        &self,
        ids: &[u64],
        truths: &[Truth],
    ) -> kiln::monitor::Result<FeedbackSummary> {
        self.lock().feedback(ids, truths)
    }
}
