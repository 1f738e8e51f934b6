//! The live monitor of one served model: bounded windows of recent traffic, drift against the
//! reference profile, live quality from ground truth, and the state the server reports.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use kiln_data::Table;
use kiln_data::read::format_number;
use serde::{Deserialize, Serialize};

use crate::drift::{DriftConfig, FeatureDrift, Prepared, State};
use crate::error::{MonitorError, Result};
use crate::profile::{Outputs, ReferenceProfile, TaskProfile};
use crate::webhook::{StateChange, Webhook};

/// A window of recent traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WindowSpec {
    /// The last `rows` rows.
    Count {
        /// Rows kept.
        rows: usize,
    },
    /// Rows of the last `seconds`, at most the newest `max_rows` of them.
    Time {
        /// Window length.
        seconds: u64,
        /// Memory bound: older rows beyond it are dropped even when still in the window.
        max_rows: usize,
    },
}

impl WindowSpec {
    /// `last_500`, `last_3600s`: the window's name in JSON and metrics.
    pub fn name(&self) -> String {
        match self {
            Self::Count { rows } => format!("last_{rows}"),
            Self::Time { seconds, .. } => format!("last_{seconds}s"),
        }
    }

    fn max_rows(&self) -> usize {
        match *self {
            Self::Count { rows } => rows.max(1),
            Self::Time { max_rows, .. } => max_rows.max(1),
        }
    }

    fn max_age_ms(&self) -> Option<u64> {
        match *self {
            Self::Count { .. } => None,
            Self::Time { seconds, .. } => Some(seconds.saturating_mul(1000)),
        }
    }
}

/// Monitor settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MonitorConfig {
    /// The windows kept (default: the last 500 rows and the last hour, at most 10 000 rows).
    pub windows: Vec<WindowSpec>,
    /// Drift tests and thresholds.
    pub drift: DriftConfig,
    /// Predictions remembered for feedback; the oldest are forgotten beyond this.
    pub max_pending: usize,
    /// Live accuracy this far (absolute) below the reference makes a WARNING.
    pub accuracy_warning_drop: f64,
    /// Live accuracy this far below the reference makes a CRITICAL.
    pub accuracy_critical_drop: f64,
    /// Live MAE above this multiple of the reference makes a WARNING.
    pub mae_warning_ratio: f64,
    /// Live MAE above this multiple of the reference makes a CRITICAL.
    pub mae_critical_ratio: f64,
    /// Fewer labelled rows in a window are not judged.
    pub min_feedback: usize,
    /// With a webhook, the state is re-evaluated every this many observed rows.
    pub check_every_rows: usize,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            windows: vec![
                WindowSpec::Count { rows: 500 },
                WindowSpec::Time {
                    seconds: 3600,
                    max_rows: 10_000,
                },
            ],
            drift: DriftConfig::default(),
            max_pending: 100_000,
            accuracy_warning_drop: 0.05,
            accuracy_critical_drop: 0.10,
            mae_warning_ratio: 1.25,
            mae_critical_ratio: 1.5,
            min_feedback: 30,
            check_every_rows: 100,
        }
    }
}

/// A true label or value sent back for a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Truth {
    /// A number: a regression target, or a class written as a number.
    Value(f64),
    /// A class label.
    Label(String),
}

/// What [`Monitor::feedback`] matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackSummary {
    /// Ids matched to a remembered prediction.
    pub matched: usize,
    /// Ids unknown (never issued, already answered, or forgotten).
    pub unknown: usize,
}

/// Live quality in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// `accuracy` or `mae`.
    pub metric: String,
    /// The validation figure stored in the model file.
    pub reference: Option<f64>,
    /// The figure on the window's labelled predictions.
    pub live: Option<f64>,
    /// Labelled predictions in the window.
    pub labelled: usize,
    /// `OK`, `WARNING` or `CRITICAL` (see [`MonitorConfig`]).
    pub state: State,
}

/// One window's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowStatus {
    /// `last_500`, `last_3600s`.
    pub name: String,
    /// The window's definition.
    pub spec: WindowSpec,
    /// Rows in the window now.
    pub rows: usize,
    /// Worst of the features', the prediction's and the performance's states; CRITICAL on
    /// dataset drift.
    pub state: State,
    /// Whether at least `drift_share` of the input features drifted.
    pub dataset_drift: bool,
    /// Input features that drifted.
    pub drifted_features: usize,
    /// Input features tested (enough rows).
    pub tested_features: usize,
    /// The dataset-drift share threshold.
    pub drift_share: f64,
    /// Per input feature.
    pub features: Vec<FeatureDrift>,
    /// The prediction distribution.
    pub prediction: FeatureDrift,
    /// Live quality from feedback.
    pub performance: Performance,
}

/// The `GET /monitor` answer for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorStatus {
    /// Model name.
    pub model: String,
    /// Model version, when the server serves several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Worst window state.
    pub state: State,
    /// When the status was computed (ms since the Unix epoch).
    pub generated_unix_ms: u64,
    /// Rows observed since the monitor started.
    pub observed_total: u64,
    /// Feedback items matched since the monitor started.
    pub feedback_total: u64,
    /// The validation metric in the model file.
    pub reference_metric: Option<crate::profile::ReferenceMetric>,
    /// One report per window.
    pub windows: Vec<WindowStatus>,
}

impl MonitorStatus {
    /// One Nagios status line: `KILN OK - model moons: …`.
    pub fn nagios_line(&self) -> String {
        let mut problems = Vec::new();
        for w in &self.windows {
            let drifted: Vec<&str> = w
                .features
                .iter()
                .chain(std::iter::once(&w.prediction))
                .filter(|f| f.drifted)
                .map(|f| f.name.as_str())
                .collect();
            if w.dataset_drift {
                problems.push(format!(
                    "{}: dataset drift ({}/{} features)",
                    w.name, w.drifted_features, w.tested_features
                ));
            } else if !drifted.is_empty() {
                problems.push(format!("{}: drift in {}", w.name, drifted.join(", ")));
            }
            if w.performance.state != State::Ok
                && let (Some(live), Some(reference)) = (w.performance.live, w.performance.reference)
            {
                problems.push(format!(
                    "{}: {} {live:.4} vs {reference:.4}",
                    w.name, w.performance.metric
                ));
            }
        }
        let rows: Vec<String> = self
            .windows
            .iter()
            .map(|w| format!("{}={}", w.name, w.rows))
            .collect();
        let detail = if problems.is_empty() {
            "no drift".to_string()
        } else {
            problems.join("; ")
        };
        format!(
            "KILN {} - model {}: {detail} | {}",
            self.state,
            self.model,
            rows.join(" ")
        )
    }
}

struct Row {
    at_ms: u64,
    /// Feature values then the prediction.
    values: Box<[f64]>,
}

struct Window {
    spec: WindowSpec,
    rows: VecDeque<Row>,
    /// (time, score): 1/0 correct for classification, absolute error for regression.
    feedback: VecDeque<(u64, f64)>,
}

impl Window {
    fn evict(&mut self, now_ms: u64) {
        let cap = self.spec.max_rows();
        while self.rows.len() > cap {
            self.rows.pop_front();
        }
        while self.feedback.len() > cap {
            self.feedback.pop_front();
        }
        if let Some(age) = self.spec.max_age_ms() {
            let cutoff = now_ms.saturating_sub(age);
            while self.rows.front().is_some_and(|r| r.at_ms < cutoff) {
                self.rows.pop_front();
            }
            while self.feedback.front().is_some_and(|f| f.0 < cutoff) {
                self.feedback.pop_front();
            }
        }
    }
}

/// Watches one model's traffic. Not internally synchronised: the server keeps one per model
/// behind a mutex.
pub struct Monitor {
    model: String,
    version: Option<String>,
    profile: Arc<ReferenceProfile>,
    config: MonitorConfig,
    windows: Vec<Window>,
    pending: HashMap<u64, f64>,
    pending_order: VecDeque<u64>,
    /// The next prediction id; shared between monitors so ids are unique server-wide.
    next_id: Arc<AtomicU64>,
    observed_total: u64,
    feedback_total: u64,
    since_check: usize,
    /// Set by `observe` instead of checking inline (see [`Monitor::with_deferred_checks`]).
    defer_checks: bool,
    check_due: bool,
    last_state: State,
    webhook: Option<Webhook>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("model", &self.model)
            .field("windows", &self.config.windows)
            .field("observed_total", &self.observed_total)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Monitor {
    /// A monitor for the model called `model` with its reference profile.
    ///
    /// # Errors
    /// [`MonitorError::Config`] for no windows or a zero-sized one.
    pub fn new(
        model: impl Into<String>,
        profile: Arc<ReferenceProfile>,
        config: MonitorConfig,
    ) -> Result<Self> {
        if config.windows.is_empty() {
            return Err(MonitorError::Config("at least one window is needed".into()));
        }
        for w in &config.windows {
            let zero = match *w {
                WindowSpec::Count { rows } => rows == 0,
                WindowSpec::Time { seconds, max_rows } => seconds == 0 || max_rows == 0,
            };
            if zero {
                return Err(MonitorError::Config(format!(
                    "window {} is empty: sizes must be positive",
                    w.name()
                )));
            }
        }
        let windows = config
            .windows
            .iter()
            .map(|&spec| Window {
                spec,
                rows: VecDeque::new(),
                feedback: VecDeque::new(),
            })
            .collect();
        Ok(Self {
            model: model.into(),
            version: None,
            profile,
            config,
            windows,
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            next_id: Arc::new(AtomicU64::new(1)),
            observed_total: 0,
            feedback_total: 0,
            since_check: 0,
            defer_checks: false,
            check_due: false,
            last_state: State::Ok,
            webhook: None,
        })
    }

    /// Sends a JSON POST to `webhook` whenever the model's state changes.
    #[must_use]
    pub fn with_webhook(mut self, webhook: Webhook) -> Self {
        self.webhook = Some(webhook);
        self
    }

    /// With a webhook, `observe` no longer re-evaluates the state itself every
    /// `check_every_rows` rows: it marks a check as due ([`Monitor::take_check_due`]) for the
    /// caller to run elsewhere. A server wants this: the statistics take up to a second on
    /// full windows, and its inference thread must not wait for them.
    #[must_use]
    pub fn with_deferred_checks(mut self) -> Self {
        self.defer_checks = true;
        self
    }

    /// Whether `check_every_rows` rows have been observed since the last check (with
    /// [`Monitor::with_deferred_checks`]); clears the mark.
    pub fn take_check_due(&mut self) -> bool {
        std::mem::take(&mut self.check_due)
    }

    /// Reports this version of the model (a server may serve several).
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// Draws prediction ids from `ids` (shared by every monitor of a server, so an id names
    /// one prediction of one model version, and a replaced model's ids are never reused).
    #[must_use]
    pub fn with_id_source(mut self, ids: Arc<AtomicU64>) -> Self {
        self.next_id = ids;
        self
    }

    /// The reference profile.
    pub fn profile(&self) -> &ReferenceProfile {
        &self.profile
    }

    /// The model's name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Records a batch of served rows and the model's outputs on them; returns one prediction
    /// id per row, for [`Monitor::feedback`].
    ///
    /// # Errors
    /// [`MonitorError::Input`] for a missing or mistyped column, or outputs that do not match.
    pub fn observe(&mut self, table: &Table, outputs: Outputs<'_>) -> Result<Vec<u64>> {
        self.observe_at(table, outputs, now_ms())
    }

    /// As [`Monitor::observe`] at the given time (ms since the Unix epoch).
    ///
    /// # Errors
    /// As [`Monitor::observe`].
    pub fn observe_at(
        &mut self,
        table: &Table,
        outputs: Outputs<'_>,
        at_ms: u64,
    ) -> Result<Vec<u64>> {
        let features = self.profile.extract(table)?;
        self.observe_values_at(&features, outputs, at_ms)
    }

    /// As [`Monitor::observe_at`] with the features already extracted
    /// ([`ReferenceProfile::extract`]): `features[f][row]`.
    ///
    /// # Errors
    /// [`MonitorError::Input`] when the shapes do not match the profile or the outputs.
    pub fn observe_values_at(
        &mut self,
        features: &[Vec<f64>],
        outputs: Outputs<'_>,
        at_ms: u64,
    ) -> Result<Vec<u64>> {
        let n = outputs.len();
        if features.len() != self.profile.features.len() || features.iter().any(|f| f.len() != n) {
            return Err(MonitorError::Input(format!(
                "expected {} features of {n} rows",
                self.profile.features.len()
            )));
        }
        match (&self.profile.task, outputs) {
            (TaskProfile::Classification { classes }, Outputs::Classes(c)) => {
                if let Some(bad) = c.iter().find(|&&c| c >= classes.len()) {
                    return Err(MonitorError::Input(format!(
                        "predicted class {bad} but the model has {} classes",
                        classes.len()
                    )));
                }
            }
            (TaskProfile::Regression, Outputs::Values(_)) => {}
            _ => {
                return Err(MonitorError::Input(
                    "the outputs do not match the model's task".into(),
                ));
            }
        }
        let predictions = outputs.as_f64();
        let first_id = self.next_id.fetch_add(n as u64, Ordering::Relaxed);
        let mut ids = Vec::with_capacity(n);
        for (r, &prediction) in predictions.iter().enumerate() {
            let values: Box<[f64]> = features
                .iter()
                .map(|f| f[r])
                .chain(std::iter::once(prediction))
                .collect();
            for w in &mut self.windows {
                w.rows.push_back(Row {
                    at_ms,
                    values: values.clone(),
                });
            }
            let id = first_id + r as u64;
            self.pending.insert(id, prediction);
            self.pending_order.push_back(id);
            ids.push(id);
        }
        while self.pending_order.len() > self.config.max_pending {
            if let Some(old) = self.pending_order.pop_front() {
                self.pending.remove(&old);
            }
        }
        for w in &mut self.windows {
            w.evict(at_ms);
        }
        self.observed_total += n as u64;
        self.since_check += n;
        if self.webhook.is_some()
            && self.config.check_every_rows > 0
            && self.since_check >= self.config.check_every_rows
        {
            self.since_check = 0;
            if self.defer_checks {
                self.check_due = true;
            } else {
                self.poll_at(at_ms);
            }
        }
        Ok(ids)
    }

    /// Records ground truth for earlier predictions.
    ///
    /// # Errors
    /// [`MonitorError::Input`] when `ids` and `truths` differ in length, or a truth does not
    /// fit the task (a label the model does not know, text for a regression).
    pub fn feedback(&mut self, ids: &[u64], truths: &[Truth]) -> Result<FeedbackSummary> {
        self.feedback_at(ids, truths, now_ms())
    }

    /// As [`Monitor::feedback`] at the given time.
    ///
    /// # Errors
    /// As [`Monitor::feedback`].
    pub fn feedback_at(
        &mut self,
        ids: &[u64],
        truths: &[Truth],
        at_ms: u64,
    ) -> Result<FeedbackSummary> {
        if ids.len() != truths.len() {
            return Err(MonitorError::Input(format!(
                "{} ids but {} truths",
                ids.len(),
                truths.len()
            )));
        }
        // Validate everything first so a bad item does not half-apply the batch.
        let truths: Vec<f64> = truths
            .iter()
            .enumerate()
            .map(|(i, t)| {
                self.truth_value(t)
                    .map_err(|e| MonitorError::Input(format!("item {i}: {e}")))
            })
            .collect::<Result<_>>()?;
        let mut summary = FeedbackSummary {
            matched: 0,
            unknown: 0,
        };
        let classification = matches!(self.profile.task, TaskProfile::Classification { .. });
        for (id, truth) in ids.iter().zip(truths) {
            let Some(prediction) = self.pending.remove(id) else {
                summary.unknown += 1;
                continue;
            };
            summary.matched += 1;
            let score = if classification {
                f64::from(u8::from(prediction == truth))
            } else {
                (prediction - truth).abs()
            };
            for w in &mut self.windows {
                w.feedback.push_back((at_ms, score));
            }
        }
        for w in &mut self.windows {
            w.evict(at_ms);
        }
        // Answered ids leave `pending`; drop them from the order queue lazily.
        if self.pending_order.len() > 2 * self.pending.len() + 1024 {
            let pending = &self.pending;
            self.pending_order.retain(|id| pending.contains_key(id));
        }
        self.feedback_total += summary.matched as u64;
        Ok(summary)
    }

    fn truth_value(&self, truth: &Truth) -> std::result::Result<f64, String> {
        match (&self.profile.task, truth) {
            (TaskProfile::Regression, Truth::Value(v)) => Ok(*v),
            (TaskProfile::Regression, Truth::Label(s)) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("expected a number, found {s:?}")),
            (TaskProfile::Classification { classes }, t) => {
                let label = match t {
                    Truth::Label(s) => s.clone(),
                    Truth::Value(v) => format_number(*v),
                };
                classes
                    .iter()
                    .position(|c| *c == label)
                    .map(|i| i as f64)
                    .ok_or_else(|| {
                        format!(
                            "unknown class {label:?} (the model's classes: {})",
                            classes.join(", ")
                        )
                    })
            }
        }
    }

    /// Rows, feedback items and pending predictions held in memory: bounded by the windows'
    /// sizes and `max_pending`, whatever the traffic.
    pub fn held_items(&self) -> usize {
        self.windows
            .iter()
            .map(|w| w.rows.len() + w.feedback.len())
            .sum::<usize>()
            + self.pending.len()
            + self.pending_order.len()
    }

    /// The current report.
    pub fn status(&self) -> MonitorStatus {
        self.status_at(now_ms())
    }

    /// The report at the given time (time windows drop rows older than their length).
    pub fn status_at(&self, at_ms: u64) -> MonitorStatus {
        self.status_input_at(at_ms).compute()
    }

    /// The current windows' values, copied out so that [`StatusInput::compute`] can run the
    /// statistics without this monitor (and whatever lock guards it): copying is linear in the
    /// window rows, the tests sort and, for KS, walk a lattice.
    pub fn status_input(&self) -> StatusInput {
        self.status_input_at(now_ms())
    }

    /// As [`Monitor::status_input`] at the given time.
    pub fn status_input_at(&self, at_ms: u64) -> StatusInput {
        let nf = self.profile.features.len();
        let windows = self
            .windows
            .iter()
            .map(|w| {
                let cutoff = w.spec.max_age_ms().map(|a| at_ms.saturating_sub(a));
                let live = || {
                    w.rows
                        .iter()
                        .filter(move |r| cutoff.is_none_or(|c| r.at_ms >= c))
                };
                WindowInput {
                    spec: w.spec,
                    rows: live().count(),
                    columns: (0..=nf)
                        .map(|j| live().map(|r| r.values[j]).collect())
                        .collect(),
                    scores: w
                        .feedback
                        .iter()
                        .filter(|f| cutoff.is_none_or(|c| f.0 >= c))
                        .map(|f| f.1)
                        .collect(),
                }
            })
            .collect();
        StatusInput {
            model: self.model.clone(),
            version: self.version.clone(),
            profile: Arc::clone(&self.profile),
            config: self.config.clone(),
            at_ms,
            observed_total: self.observed_total,
            feedback_total: self.feedback_total,
            windows,
        }
    }

    /// Computes the status and, when the state changed since the last poll, notifies the
    /// webhook (if any). The server can call this from a timer.
    pub fn poll(&mut self) -> MonitorStatus {
        self.poll_at(now_ms())
    }

    fn poll_at(&mut self, at_ms: u64) -> MonitorStatus {
        let status = self.status_at(at_ms);
        self.note_state(&status);
        status
    }

    /// Takes `status` (computed from this monitor's [`StatusInput`]) as the current state and,
    /// when it differs from the last one noted, notifies the webhook (if any).
    pub fn note_state(&mut self, status: &MonitorStatus) {
        if status.state != self.last_state {
            if let Some(hook) = &self.webhook {
                hook.notify(StateChange {
                    model: self.model.clone(),
                    version: self.version.clone(),
                    previous: self.last_state,
                    state: status.state,
                    at_unix_ms: status.generated_unix_ms,
                    summary: status.nagios_line(),
                });
            }
            self.last_state = status.state;
        }
    }
}

/// One window's live values, copied out of a [`Monitor`].
struct WindowInput {
    spec: WindowSpec,
    rows: usize,
    /// Per monitored feature, then the prediction: the window's values in arrival order.
    columns: Vec<Vec<f64>>,
    /// Feedback scores: 1/0 correct for classification, absolute error for regression.
    scores: Vec<f64>,
}

/// What a [`MonitorStatus`] is computed from ([`Monitor::status_input`]).
pub struct StatusInput {
    model: String,
    version: Option<String>,
    profile: Arc<ReferenceProfile>,
    config: MonitorConfig,
    at_ms: u64,
    observed_total: u64,
    feedback_total: u64,
    windows: Vec<WindowInput>,
}

impl std::fmt::Debug for StatusInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusInput")
            .field("model", &self.model)
            .field("at_ms", &self.at_ms)
            .finish_non_exhaustive()
    }
}

impl StatusInput {
    /// Runs the drift tests and the performance check of every window.
    pub fn compute(&self) -> MonitorStatus {
        let windows: Vec<WindowStatus> =
            self.windows.iter().map(|w| self.window_status(w)).collect();
        MonitorStatus {
            model: self.model.clone(),
            version: self.version.clone(),
            state: windows.iter().map(|w| w.state).max().unwrap_or_default(),
            generated_unix_ms: self.at_ms,
            observed_total: self.observed_total,
            feedback_total: self.feedback_total,
            reference_metric: self.profile.metric.clone(),
            windows,
        }
    }

    fn window_status(&self, w: &WindowInput) -> WindowStatus {
        let config = &self.config.drift;
        let mut prepared: Vec<Prepared<'_>> = self
            .profile
            .features
            .iter()
            .chain(std::iter::once(&self.profile.prediction))
            .zip(&w.columns)
            .map(|(f, v)| Prepared::new(f, v, config))
            .collect();
        let p_tests = prepared
            .iter()
            .filter(|p| p.counts_as_p_test(config))
            .count();
        let prediction = prepared
            .pop()
            .map(|p| p.test(config, p_tests))
            .expect("the prediction is always prepared");
        let features: Vec<FeatureDrift> = prepared
            .into_iter()
            .map(|p| p.test(config, p_tests))
            .collect();
        let tested = features.iter().filter(|f| f.statistic.is_some()).count();
        let drifted = features.iter().filter(|f| f.drifted).count();
        let dataset_drift = tested > 0 && drifted as f64 >= config.drift_share * tested as f64;
        let performance = self.performance(&w.scores);
        let mut state = features
            .iter()
            .map(|f| f.state)
            .chain([prediction.state, performance.state])
            .max()
            .unwrap_or_default();
        if dataset_drift {
            state = State::Critical;
        }
        WindowStatus {
            name: w.spec.name(),
            spec: w.spec,
            rows: w.rows,
            state,
            dataset_drift,
            drifted_features: drifted,
            tested_features: tested,
            drift_share: config.drift_share,
            features,
            prediction,
            performance,
        }
    }

    fn performance(&self, scores: &[f64]) -> Performance {
        let classification = matches!(self.profile.task, TaskProfile::Classification { .. });
        let metric = if classification { "accuracy" } else { "mae" };
        let reference = self
            .profile
            .metric
            .as_ref()
            .filter(|m| m.name == metric)
            .map(|m| m.value);
        let live = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
        let c = &self.config;
        let state = match (live, reference) {
            (Some(live), Some(reference)) if scores.len() >= c.min_feedback.max(1) => {
                if classification {
                    if live < reference - c.accuracy_critical_drop {
                        State::Critical
                    } else if live < reference - c.accuracy_warning_drop {
                        State::Warning
                    } else {
                        State::Ok
                    }
                } else if live > reference * c.mae_critical_ratio {
                    State::Critical
                } else if live > reference * c.mae_warning_ratio {
                    State::Warning
                } else {
                    State::Ok
                }
            }
            _ => State::Ok,
        };
        Performance {
            metric: metric.to_string(),
            reference,
            live,
            labelled: scores.len(),
            state,
        }
    }
}

/// The `GET /monitor` answer: one status per served model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorIndex {
    /// Every monitored model's status.
    pub models: Vec<MonitorStatus>,
}
