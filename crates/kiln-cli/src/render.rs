//! Draws a training run's [`RunEvent`]s: Keras-style progress bars on a terminal, one line per
//! epoch otherwise, or one JSON object per line with `--json`.
//!
//! Progress goes to stderr so that stdout carries only results (or, with `--json`, only JSON).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kiln::RunEvent;
use kiln::train::{EpochSummary, StopReason, TrainEvent};
use serde_json::{Value, json};

use crate::report;

/// Shortest interval between two redraws of a progress bar.
const REDRAW: Duration = Duration::from_millis(50);

/// How a run is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One JSON object per event on stdout (no per-step events).
    Json,
    /// Nothing; the command prints its summary line.
    Quiet,
    /// A progress bar per epoch (stderr is a terminal).
    Bar,
    /// One line per epoch (stderr is a file or a pipe).
    Lines,
}

impl Mode {
    /// The mode the flags ask for, the bar only when stderr is a terminal.
    pub(crate) fn from_flags(json: bool, quiet: bool) -> Self {
        if json {
            Self::Json
        } else if quiet {
            Self::Quiet
        } else if std::io::stderr().is_terminal() {
            Self::Bar
        } else {
            Self::Lines
        }
    }

    /// Whether text meant for people is shown.
    pub(crate) fn is_human(self) -> bool {
        matches!(self, Self::Bar | Self::Lines)
    }
}

/// Writes one JSON value as a line on stdout. A closed pipe is not an error worth a message.
pub(crate) fn emit(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
}

/// The state of the display between events.
#[derive(Debug)]
pub(crate) struct TrainView {
    mode: Mode,
    epochs: usize,
    metric: &'static str,
    last_epoch: usize,
    bar: Option<ProgressBar>,
    last_draw: Instant,
}

impl TrainView {
    /// A display in `mode`.
    pub(crate) fn new(mode: Mode) -> Self {
        Self {
            mode,
            epochs: 0,
            metric: "accuracy",
            last_epoch: 0,
            bar: None,
            last_draw: Instant::now(),
        }
    }

    /// Shows one event.
    pub(crate) fn on_event(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Prepared {
                train_rows,
                validation_rows,
                test_rows,
                input_shape,
                warnings,
                notes,
            } => {
                for w in warnings {
                    eprintln!("warning: {w}");
                }
                if self.mode.is_human() {
                    for n in notes {
                        eprintln!("note: {n}");
                    }
                }
                if self.mode == Mode::Json {
                    emit(&json!({
                        "event": "prepared",
                        "train_rows": train_rows,
                        "validation_rows": validation_rows,
                        "test_rows": test_rows,
                        "input_shape": input_shape,
                        "warnings": warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "notes": notes,
                    }));
                } else if self.mode.is_human() {
                    eprintln!(
                        "Data: {} train, {} validation, {} test rows; input shape {input_shape:?}",
                        report::thousands(train_rows),
                        report::thousands(validation_rows),
                        report::thousands(test_rows),
                    );
                }
            }
            RunEvent::Fold { fold, folds } => match self.mode {
                Mode::Json => emit(&json!({"event": "fold", "fold": fold, "folds": folds})),
                Mode::Bar | Mode::Lines => eprintln!("Fold {fold}/{folds}"),
                Mode::Quiet => {}
            },
            RunEvent::FoldDone { fold, metrics } => match self.mode {
                Mode::Json => {
                    emit(&json!({"event": "fold_done", "fold": fold, "metrics": metrics}))
                }
                Mode::Bar | Mode::Lines => {
                    let (name, value) = metrics.headline();
                    eprintln!("Fold {fold}: val_{name}: {value:.4}");
                }
                Mode::Quiet => {}
            },
            RunEvent::Train(event) => self.on_train_event(event),
            RunEvent::Advi {
                iteration,
                iterations,
                elbo,
            } => match self.mode {
                Mode::Json => emit(&json!({
                    "event": "advi",
                    "iteration": iteration,
                    "iterations": iterations,
                    "elbo": elbo,
                })),
                Mode::Bar | Mode::Lines
                    if iteration % (iterations / 10).max(1000) == 0 || iteration == iterations =>
                {
                    eprintln!(
                        "ADVI {}/{}  ELBO {elbo:.2}",
                        report::thousands(iteration),
                        report::thousands(iterations)
                    );
                }
                _ => {}
            },
            RunEvent::Checkpoint(path) => {
                if self.mode == Mode::Json {
                    emit(&json!({"event": "checkpoint", "path": path}));
                }
            }
            RunEvent::Evaluated { split, metrics } => match self.mode {
                Mode::Json => {
                    emit(&json!({"event": "evaluated", "split": split, "metrics": metrics}))
                }
                Mode::Bar | Mode::Lines if split == "cv_mean" => {
                    let (name, value) = metrics.headline();
                    eprintln!("Cross-validation mean: val_{name}: {value:.4}");
                }
                _ => {}
            },
            RunEvent::Saved(path) => {
                if self.mode == Mode::Json {
                    emit(&json!({"event": "saved", "path": path}));
                }
            }
            RunEvent::Tracked { run_id } => match self.mode {
                Mode::Json => emit(&json!({"event": "tracked", "run_id": run_id})),
                Mode::Bar | Mode::Lines => {
                    eprintln!(
                        "Recording run {run_id} (kiln runs show {})",
                        &run_id[..8.min(run_id.len())]
                    );
                }
                Mode::Quiet => {}
            },
            RunEvent::TrackingWarning(message) => eprintln!("warning: {message}"),
        }
    }

    fn on_train_event(&mut self, event: TrainEvent<'_>) {
        match event {
            TrainEvent::Start {
                epochs,
                first_epoch,
                steps,
                train_rows,
                val_rows,
                params,
                metric,
            } => {
                self.epochs = epochs;
                self.metric = metric;
                if self.mode == Mode::Json {
                    emit(&json!({
                        "event": "start",
                        "epochs": epochs,
                        "first_epoch": first_epoch,
                        "steps": steps,
                        "train_rows": train_rows,
                        "validation_rows": val_rows,
                        "params": params,
                        "metric": metric,
                    }));
                } else if self.mode.is_human() {
                    if first_epoch > 1 {
                        eprintln!("Resuming at epoch {first_epoch}/{epochs}");
                    }
                    eprintln!(
                        "Training {} parameters on {} rows, {steps} steps per epoch",
                        report::thousands(params),
                        report::thousands(train_rows),
                    );
                }
            }
            TrainEvent::EpochStart { epoch } => {
                if self.mode == Mode::Bar {
                    eprintln!("Epoch {epoch}/{}", self.epochs);
                }
            }
            TrainEvent::Step {
                step,
                steps,
                loss,
                metric,
                elapsed,
                ..
            } => {
                if self.mode != Mode::Bar {
                    return;
                }
                let bar = self.bar.get_or_insert_with(|| new_bar(steps));
                if step < steps && self.last_draw.elapsed() < REDRAW {
                    return;
                }
                self.last_draw = Instant::now();
                bar.set_position(step as u64);
                bar.set_message(format!(
                    "{} - loss: {loss:.4} - {}: {metric:.4}",
                    timing(elapsed, step),
                    self.metric
                ));
            }
            TrainEvent::Epoch(summary) => {
                self.last_epoch = summary.epoch;
                match self.mode {
                    Mode::Json => emit(&epoch_json(summary, self.epochs, self.metric)),
                    Mode::Bar => {
                        let bar = self.bar.take().unwrap_or_else(|| new_bar(summary.steps));
                        bar.set_position(summary.steps as u64);
                        bar.finish_with_message(epoch_figures(summary, self.metric));
                    }
                    Mode::Lines => eprintln!(
                        "Epoch {}/{}: {}/{} - {}",
                        summary.epoch,
                        self.epochs,
                        summary.steps,
                        summary.steps,
                        epoch_figures(summary, self.metric)
                    ),
                    Mode::Quiet => {}
                }
            }
            TrainEvent::Checkpoint(_) => {}
            TrainEvent::End { reason, best_epoch } => {
                if let Some(bar) = self.bar.take() {
                    bar.abandon();
                }
                if self.mode == Mode::Json {
                    emit(&json!({"event": "end", "stop": reason, "best_epoch": best_epoch}));
                } else if self.mode.is_human() {
                    match reason {
                        StopReason::Completed => {}
                        StopReason::EarlyStopped => eprintln!(
                            "Early stopping after epoch {}: keeping the weights of epoch {best_epoch}",
                            self.last_epoch
                        ),
                        StopReason::Interrupted => eprintln!(
                            "Interrupted: keeping the best weights so far (epoch {best_epoch})"
                        ),
                        StopReason::Stopped => eprintln!(
                            "Stopped after epoch {} by an observer: keeping the weights of epoch {best_epoch}",
                            self.last_epoch
                        ),
                    }
                }
            }
        }
    }
}

fn new_bar(steps: usize) -> ProgressBar {
    let width = steps.to_string().len();
    let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
    let template = format!("{{pos:>{width}}}/{{len}} {{bar:20.green/dim}} {{msg}}");
    // The template is ours and valid; fall back to the default style rather than fail a run.
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("━━─"));
    }
    bar
}

/// `3s 2ms/step`.
fn timing(seconds: f64, steps: usize) -> String {
    format!("{:.0}s {}", seconds, report::per_step(seconds, steps))
}

/// `3s 2ms/step - loss: 0.2950 - accuracy: 0.9143 - val_loss: … - val_accuracy: …`.
fn epoch_figures(s: &EpochSummary, metric: &str) -> String {
    let mut line = format!(
        "{} - loss: {:.4} - {metric}: {:.4}",
        timing(s.seconds, s.steps),
        s.loss,
        s.metric
    );
    if let Some(v) = s.val_loss {
        line.push_str(&format!(" - val_loss: {v:.4}"));
    }
    if let Some(v) = s.val_metric {
        line.push_str(&format!(" - val_{metric}: {v:.4}"));
    }
    line
}

fn epoch_json(s: &EpochSummary, epochs: usize, metric: &str) -> Value {
    let mut v = json!({
        "event": "epoch",
        "epoch": s.epoch,
        "epochs": epochs,
        "loss": s.loss,
        "lr": s.lr,
        "seconds": s.seconds,
        "val_seconds": s.val_seconds,
        "steps": s.steps,
    });
    v[metric] = json!(s.metric);
    if let Some(val_loss) = s.val_loss {
        v["val_loss"] = json!(val_loss);
    }
    if let Some(val_metric) = s.val_metric {
        v[format!("val_{metric}")] = json!(val_metric);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> EpochSummary {
        EpochSummary {
            epoch: 3,
            loss: 0.295,
            metric: 0.9143,
            val_loss: Some(0.1),
            val_metric: Some(0.97),
            lr: 0.001,
            seconds: 3.4,
            val_seconds: 0.2,
            steps: 1688,
        }
    }

    #[test]
    fn epoch_line_reads_like_keras() {
        assert_eq!(
            epoch_figures(&summary(), "accuracy"),
            "3s 2ms/step - loss: 0.2950 - accuracy: 0.9143 - val_loss: 0.1000 - val_accuracy: 0.9700"
        );
    }

    #[test]
    fn epoch_json_names_the_metric() {
        let v = epoch_json(&summary(), 5, "mae");
        assert_eq!(v["event"], "epoch");
        assert_eq!(v["epochs"], 5);
        assert_eq!(v["seconds"], 3.4);
        assert_eq!(v["mae"], 0.9143);
        assert_eq!(v["val_mae"], 0.97);
        assert!(v.get("accuracy").is_none());
    }

    #[test]
    fn epoch_without_validation_has_no_val_fields() {
        let s = EpochSummary {
            val_loss: None,
            val_metric: None,
            ..summary()
        };
        assert!(!epoch_figures(&s, "accuracy").contains("val_"));
        assert!(epoch_json(&s, 5, "accuracy").get("val_loss").is_none());
    }
}
