//! # kiln-train
//!
//! The training loop. [`train`] takes a network configuration, encoded data and a spec's
//! `[training]` section, and returns the trained network with its history. It never prints:
//! progress is reported through a callback receiving [`TrainEvent`]s, which the CLI renders as
//! Keras-style progress bars or JSON lines.
//!
//! - [`optim`]: SGD, Adam and RMSprop as fused per-parameter loops with serialisable state, so
//!   a checkpoint holds the optimiser exactly and `--resume` continues bit for bit.
//! - [`schedule`]: learning-rate schedules and early stopping.
//! - [`task`]: losses and metrics per output kind.
//! - [`trainer`]: the epoch loop, validation, checkpoints, cancellation.

mod error;
pub mod optim;
pub mod schedule;
pub mod task;
mod trainer;

pub use error::TrainError;
pub use optim::{Optimizer, OptimizerState};
pub use task::Task;
pub use trainer::{
    Control, EpochObserver, EpochSummary, StopReason, TrainData, TrainEvent, TrainOptions,
    TrainOutcome, TrainState, evaluate_loss, predict_outputs, train,
};
