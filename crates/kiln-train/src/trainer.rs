//! The epoch loop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use kiln_data::{BatchConfig, Batcher, Encoded, Targets};
use kiln_model::{Network, NetworkConfig, weights};
use kiln_spec::TrainingSpec;
use serde::{Deserialize, Serialize};

use crate::schedule::{BestTracker, Plateau, learning_rate};
use crate::task::{self, Task};
use crate::{Optimizer, OptimizerState, TrainError};

/// The encoded rows and which of them train and validate.
#[derive(Debug, Clone)]
pub struct TrainData {
    /// Encoded inputs of every row.
    pub inputs: Arc<Encoded>,
    /// Encoded targets of every row.
    pub targets: Arc<Targets>,
    /// Rows to train on.
    pub train: Vec<usize>,
    /// Rows to validate on after each epoch (may be empty).
    pub validation: Vec<usize>,
}

/// Switches that are not part of the spec.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Set from another thread (a Ctrl-C handler) to stop after the current step; the best
    /// weights so far are kept.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Continue from a checkpoint instead of starting afresh.
    pub resume: Option<TrainState>,
    /// Overrides the spec's epoch count.
    pub epochs: Option<usize>,
    /// Sees every finished epoch's figures and may stop the run (a tuning trial that is not
    /// promising, a runs store recording the curve).
    pub observer: Option<EpochObserver>,
}

/// What an [`EpochObserver`] wants after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Go on training.
    Continue,
    /// Stop now: the epoch just finished is the last, and the run ends as
    /// [`StopReason::Stopped`] (its best weights are kept, as for early stopping).
    Stop,
}

/// A function called after every epoch (after validation and the checkpoint) with the epoch's
/// figures; it answers whether training goes on. Cheap to clone: clones share the function.
#[derive(Clone)]
pub struct EpochObserver(Arc<dyn Fn(&EpochSummary) -> Control + Send + Sync>);

impl EpochObserver {
    /// Wraps `f`.
    pub fn new(f: impl Fn(&EpochSummary) -> Control + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Asks the observer about `epoch`.
    pub fn observe(&self, epoch: &EpochSummary) -> Control {
        (self.0)(epoch)
    }
}

impl std::fmt::Debug for EpochObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EpochObserver(..)")
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's steps.
    pub loss: f64,
    /// Training accuracy or MAE over the epoch (as the weights moved).
    pub metric: f64,
    /// Validation loss, when there are validation rows.
    pub val_loss: Option<f64>,
    /// Validation accuracy or MAE.
    pub val_metric: Option<f64>,
    /// Learning rate used.
    pub lr: f64,
    /// Wall seconds of the training part of the epoch (data pipeline included, validation
    /// excluded).
    pub seconds: f64,
    /// Wall seconds of validation.
    pub val_seconds: f64,
    /// Number of steps.
    pub steps: usize,
}

/// Why training ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Ran every epoch.
    Completed,
    /// Early stopping triggered.
    EarlyStopped,
    /// Cancelled (Ctrl-C).
    Interrupted,
    /// An [`EpochObserver`] asked to stop (e.g. a tuning trial was pruned).
    Stopped,
}

/// Everything needed to continue training exactly where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs completed.
    pub epochs_done: usize,
    /// Current weights (burnpack).
    #[serde(skip)]
    pub weights: Vec<u8>,
    /// Best weights so far (burnpack).
    #[serde(skip)]
    pub best_weights: Vec<u8>,
    /// Optimiser moments.
    #[serde(skip)]
    pub optimizer: OptimizerState,
    /// Steps the optimiser took (kept in the header; the moments travel as a section).
    pub optimizer_step: u64,
    /// Early-stopping state.
    pub tracker: BestTracker,
    /// Reduce-on-plateau state.
    pub plateau: Plateau,
    /// Epochs so far.
    pub history: Vec<EpochSummary>,
}

/// Progress, reported as it happens.
#[derive(Debug)]
pub enum TrainEvent<'a> {
    /// Training starts.
    Start {
        /// Epochs to run (including those already done when resuming).
        epochs: usize,
        /// First epoch to run (1-based).
        first_epoch: usize,
        /// Steps per epoch.
        steps: usize,
        /// Training rows.
        train_rows: usize,
        /// Validation rows.
        val_rows: usize,
        /// Trainable values.
        params: usize,
        /// `accuracy` or `mae`.
        metric: &'static str,
    },
    /// An epoch starts.
    EpochStart {
        /// 1-based epoch.
        epoch: usize,
    },
    /// A step finished.
    Step {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based step.
        step: usize,
        /// Steps in the epoch.
        steps: usize,
        /// Running mean loss of the epoch.
        loss: f64,
        /// Running metric of the epoch.
        metric: f64,
        /// Seconds since the epoch started.
        elapsed: f64,
    },
    /// An epoch finished (after validation).
    Epoch(&'a EpochSummary),
    /// A checkpoint is ready to be written.
    Checkpoint(&'a TrainState),
    /// Training ended.
    End {
        /// Why.
        reason: StopReason,
        /// Epoch whose weights are returned.
        best_epoch: usize,
    },
}

/// The result of [`train`].
#[derive(Debug)]
pub struct TrainOutcome {
    /// The trained network (best epoch's weights), on the non-autodiff device.
    pub network: Network,
    /// Every epoch's figures.
    pub history: Vec<EpochSummary>,
    /// 1-based epoch whose weights `network` holds.
    pub best_epoch: usize,
    /// Why training ended.
    pub stop: StopReason,
}

fn flush_denormals() {
    // Weights whose gradients vanish drive Adam's moments into subnormal floats, which are
    // ~100× slower on x86; flushing them to zero changes nothing a model can notice.
    #[cfg(target_arch = "x86_64")]
    #[allow(deprecated)]
    // SAFETY: only sets the FTZ and DAZ bits of this thread's MXCSR register.
    unsafe {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        _mm_setcsr(_mm_getcsr() | 0x8040);
    }
}

fn batch_tensors(
    batch: kiln_data::Batch,
    row_len: usize,
    device: &Device,
) -> (Tensor<2>, task::Targets) {
    let x = Tensor::<2>::from_data(TensorData::new(batch.x, [batch.rows, row_len]), device);
    let y = match batch.y {
        Targets::Classes(c) => task::Targets::Classes(Tensor::<1, Int>::from_data(
            TensorData::new(c, [batch.rows]),
            device,
        )),
        Targets::Values(v) => task::Targets::Values(Tensor::<1>::from_data(
            TensorData::new(v, [batch.rows]),
            device,
        )),
    };
    (x, y)
}

/// Sum of the metric over a batch: correct predictions, or absolute errors in target units.
fn metric_sum(task: &Task, outputs: Tensor<2>, y: &Targets) -> f64 {
    let out: Vec<f32> = outputs.into_data().try_into_vec().unwrap_or_default();
    match (task, y) {
        (Task::Classification { classes }, Targets::Classes(c)) => c
            .iter()
            .zip(out.chunks(*classes))
            .filter(|(t, row)| kiln_eval::argmax(row) as i64 == **t)
            .count() as f64,
        (Task::Binary, Targets::Classes(c)) => c
            .iter()
            .zip(&out)
            .filter(|(t, z)| i64::from(**z > 0.0) == **t)
            .count() as f64,
        (Task::Regression { scale }, Targets::Values(v)) => v
            .iter()
            .zip(&out)
            .map(|(t, z)| f64::from((t - z).abs()) * scale)
            .sum(),
        _ => 0.0,
    }
}

/// Mean loss and metric of `network` over `rows`, without gradients.
pub fn evaluate_loss(
    network: &Network,
    task: &Task,
    inputs: &Arc<Encoded>,
    targets: &Arc<Targets>,
    rows: &[usize],
    batch_size: usize,
    device: &Device,
) -> (f64, f64) {
    let row_len = inputs.row_len();
    let (mut loss, mut metric, mut n) = (0.0, 0.0, 0usize);
    let batcher = Batcher::new(
        inputs.clone(),
        targets.clone(),
        rows,
        &BatchConfig::eval(batch_size.max(256)),
        0,
    );
    for batch in batcher {
        let rows = batch.rows;
        let y_host = batch.y.clone();
        let (x, y) = batch_tensors(batch, row_len, device);
        let out = network.forward_flat(x);
        let l: f32 = task.loss(out.clone(), &y).into_scalar();
        loss += f64::from(l) * rows as f64;
        metric += metric_sum(task, out, &y_host);
        n += rows;
    }
    let n = n.max(1) as f64;
    (loss / n, metric / n)
}

/// Predictions for `rows`: `k` class probabilities per row, or one value (still in the
/// encoded target scale) per row.
pub fn predict_outputs(
    network: &Network,
    task: &Task,
    inputs: &Encoded,
    batch_size: usize,
    device: &Device,
) -> Vec<f32> {
    let row_len = inputs.row_len();
    let mut out = Vec::with_capacity(inputs.rows * task.head_units().max(2));
    for start in (0..inputs.rows).step_by(batch_size.max(1)) {
        let end = (start + batch_size).min(inputs.rows);
        let x = Tensor::<2>::from_data(
            TensorData::new(
                inputs.data[start * row_len..end * row_len].to_vec(),
                [end - start, row_len],
            ),
            device,
        );
        let p = task.predictions(network.forward_flat(x));
        out.extend(p.into_data().try_into_vec::<f32>().unwrap_or_default());
    }
    out
}

fn snapshot(network: &Network) -> Result<Vec<u8>, TrainError> {
    Ok(weights::to_bytes(network)?)
}

/// Trains a network.
///
/// `device` is the plain compute device (e.g. `Device::flex()`); training runs on its
/// autodiff wrapper and the returned network lives on `device` itself.
///
/// The same `config`, data, spec and seed give bit-identical weights on the same machine:
/// initialisation is seeded with `spec.seed`, each epoch's batch order and dropout masks are
/// seeded from `spec.seed` and the epoch number (so a resumed run continues identically).
///
/// # Errors
///
/// [`TrainError::NonFinite`] when the loss becomes NaN/Inf (naming epoch and step),
/// [`TrainError::EmptyTrainingSet`], [`TrainError::Resume`] for a checkpoint of another network.
pub fn train(
    config: &NetworkConfig,
    task: Task,
    spec: &TrainingSpec,
    data: &TrainData,
    device: &Device,
    options: TrainOptions,
    mut on_event: impl FnMut(TrainEvent<'_>),
) -> Result<TrainOutcome, TrainError> {
    flush_denormals();
    if data.train.is_empty() {
        return Err(TrainError::EmptyTrainingSet);
    }
    let ad = device.clone().autodiff();
    let epochs = options.epochs.unwrap_or(spec.epochs);
    let base_lr = spec.optimizer.learning_rate();
    let default_monitor = if data.validation.is_empty() {
        "loss"
    } else {
        "val_loss"
    };
    let restore_best = spec.early_stopping.as_ref().is_none_or(|e| e.restore_best);

    let (
        mut network,
        mut optimizer,
        mut tracker,
        mut plateau,
        mut history,
        mut best_weights,
        first,
    ) = match options.resume {
        Some(state) => {
            let net = weights::from_bytes(config, &state.weights, &ad)
                .map_err(|e| TrainError::Resume(e.to_string()))?;
            let mut opt_state = state.optimizer;
            opt_state.step = state.optimizer_step;
            (
                net,
                Optimizer::with_state(spec.optimizer.clone(), opt_state),
                state.tracker,
                state.plateau,
                state.history,
                Some(state.best_weights),
                state.epochs_done,
            )
        }
        None => (
            config.init(&ad, spec.seed)?,
            Optimizer::new(spec.optimizer.clone()),
            BestTracker::new(spec.early_stopping.as_ref(), default_monitor),
            Plateau::default(),
            Vec::new(),
            None,
            0,
        ),
    };
    if best_weights.as_ref().is_some_and(Vec::is_empty) {
        best_weights = None;
    }

    let row_len = data.inputs.row_len();
    let steps = data.train.len().div_ceil(spec.batch_size);
    on_event(TrainEvent::Start {
        epochs,
        first_epoch: first + 1,
        steps,
        train_rows: data.train.len(),
        val_rows: data.validation.len(),
        params: network.num_params(),
        metric: task.metric_name(),
    });

    let cancelled = || {
        options
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    };
    let mut stop = StopReason::Completed;
    let batch_config = BatchConfig::train(spec.batch_size, spec.seed);
    for epoch in first..epochs {
        if cancelled() {
            stop = StopReason::Interrupted;
            break;
        }
        on_event(TrainEvent::EpochStart { epoch: epoch + 1 });
        // Dropout masks are seeded per epoch and step: a resumed run draws the same masks as
        // an uninterrupted one.
        let epoch_seed = spec.seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let lr = learning_rate(base_lr, spec.lr_schedule.as_ref(), epoch, epochs, &plateau);
        let started = Instant::now();
        let batcher = Batcher::new(
            data.inputs.clone(),
            data.targets.clone(),
            &data.train,
            &batch_config,
            epoch as u64,
        );
        let (mut loss_sum, mut metric_total, mut seen) = (0.0f64, 0.0f64, 0usize);
        let mut interrupted = false;
        for (i, batch) in batcher.enumerate() {
            let rows = batch.rows;
            let y_host = batch.y.clone();
            let (x, y) = batch_tensors(batch, row_len, &ad);
            let out = network.forward_train(x, epoch_seed.wrapping_add(i as u64));
            let loss = task.loss(out.clone(), &y);
            let value: f32 = loss.clone().into_scalar();
            if !value.is_finite() {
                return Err(TrainError::NonFinite {
                    epoch: epoch + 1,
                    step: i + 1,
                    value: value.to_string(),
                });
            }
            metric_total += metric_sum(&task, out.inner(), &y_host);
            let grads = GradientsParams::from_grads(loss.backward(), &network);
            network = optimizer.step(lr, network, grads);
            loss_sum += f64::from(value) * rows as f64;
            seen += rows;
            on_event(TrainEvent::Step {
                epoch: epoch + 1,
                step: i + 1,
                steps,
                loss: loss_sum / seen as f64,
                metric: metric_total / seen as f64,
                elapsed: started.elapsed().as_secs_f64(),
            });
            if cancelled() {
                interrupted = true;
                break;
            }
        }
        if interrupted {
            // A partial epoch is not a finished one: its weights are not a candidate for "best".
            stop = StopReason::Interrupted;
            break;
        }
        let seconds = started.elapsed().as_secs_f64();
        let val_started = Instant::now();
        let (val_loss, val_metric) = if data.validation.is_empty() {
            (None, None)
        } else {
            let (l, m) = evaluate_loss(
                &network.valid(),
                &task,
                &data.inputs,
                &data.targets,
                &data.validation,
                spec.batch_size,
                device,
            );
            (Some(l), Some(m))
        };
        let summary = EpochSummary {
            epoch: epoch + 1,
            loss: loss_sum / seen.max(1) as f64,
            metric: metric_total / seen.max(1) as f64,
            val_loss,
            val_metric,
            lr,
            seconds,
            val_seconds: val_started.elapsed().as_secs_f64(),
            steps,
        };
        let monitored = monitored_value(&tracker.monitor, &summary);
        let (improved, should_stop) = tracker.observe(epoch + 1, monitored);
        if improved || best_weights.is_none() {
            best_weights = Some(snapshot(&network)?);
        }
        if let Some(v) = val_loss {
            plateau.observe(spec.lr_schedule.as_ref(), base_lr, v);
        }
        history.push(summary);
        on_event(TrainEvent::Epoch(history.last().expect("just pushed")));
        let state = TrainState {
            epochs_done: epoch + 1,
            weights: snapshot(&network)?,
            best_weights: best_weights.clone().unwrap_or_default(),
            optimizer: optimizer.state().clone(),
            optimizer_step: optimizer.state().step,
            tracker: tracker.clone(),
            plateau: plateau.clone(),
            history: history.clone(),
        };
        on_event(TrainEvent::Checkpoint(&state));
        if should_stop {
            stop = StopReason::EarlyStopped;
            break;
        }
        let asked = options
            .observer
            .as_ref()
            .map(|o| o.observe(history.last().expect("just pushed")));
        if asked == Some(Control::Stop) {
            stop = StopReason::Stopped;
            break;
        }
    }

    let final_network = match (&best_weights, restore_best) {
        (Some(bytes), true) => weights::from_bytes(config, bytes, device)?,
        _ => network.valid(),
    };
    let best_epoch = if restore_best && tracker.best_epoch > 0 {
        tracker.best_epoch
    } else {
        history.len()
    };
    on_event(TrainEvent::End {
        reason: stop,
        best_epoch,
    });
    Ok(TrainOutcome {
        network: final_network,
        history,
        best_epoch,
        stop,
    })
}

fn monitored_value(monitor: &str, s: &EpochSummary) -> f64 {
    match monitor {
        "loss" => s.loss,
        "accuracy" | "mae" => s.metric,
        "val_accuracy" | "val_mae" => s.val_metric.unwrap_or(s.metric),
        _ => s.val_loss.unwrap_or(s.loss),
    }
}
