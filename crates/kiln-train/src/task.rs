//! Losses and metrics for each kind of output.

use burn::tensor::{Int, Tensor, activation};
use serde::{Deserialize, Serialize};

/// What the head predicts, which fixes the loss and the reported metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Task {
    /// Softmax over `classes` outputs, cross-entropy loss, accuracy.
    Classification {
        /// Number of classes.
        classes: usize,
    },
    /// One sigmoid output, binary cross-entropy, accuracy.
    Binary,
    /// One linear output, mean squared error on the (possibly standardised) target, MAE
    /// reported in the target's own units (`scale` undoes the standardisation).
    Regression {
        /// Standard deviation the targets were divided by (1 when not standardised).
        scale: f64,
    },
}

impl Task {
    /// Width of the output head.
    pub fn head_units(&self) -> usize {
        match self {
            Self::Classification { classes } => *classes,
            Self::Binary | Self::Regression { .. } => 1,
        }
    }

    /// The metric reported beside the loss: `accuracy` or `mae`.
    pub fn metric_name(&self) -> &'static str {
        match self {
            Self::Regression { .. } => "mae",
            _ => "accuracy",
        }
    }

    /// Whether a larger metric is better.
    pub fn metric_higher_is_better(&self) -> bool {
        !matches!(self, Self::Regression { .. })
    }

    /// Mean loss of a batch.
    ///
    /// # Shapes
    ///
    /// - `outputs`: `[batch, head_units]`
    /// - targets: `[batch]` classes or values
    pub fn loss(&self, outputs: Tensor<2>, targets: &Targets) -> Tensor<1> {
        match (self, targets) {
            (Self::Classification { .. }, Targets::Classes(y)) => {
                let log_p = activation::log_softmax(outputs, 1);
                let picked = log_p.gather(1, y.clone().unsqueeze_dim(1));
                picked.mean().neg()
            }
            (Self::Binary, Targets::Classes(y)) => {
                let z = outputs.squeeze_dim::<1>(1);
                let y = y.clone().float();
                // Numerically stable BCE with logits: max(z,0) − z·y + log(1 + e^−|z|).
                let loss = z.clone().clamp_min(0.0) - z.clone() * y
                    + z.abs().neg().exp().add_scalar(1.0).log();
                loss.mean()
            }
            (Self::Regression { .. }, Targets::Values(y)) => {
                let z = outputs.squeeze_dim::<1>(1);
                (z - y.clone()).square().mean()
            }
            // The trainer builds targets from the same task.
            _ => panic!("targets do not match the task {self:?}"),
        }
    }

    /// Turns head outputs into per-row predictions: class probabilities (`k` per row) for
    /// classification (`[1-p, p]` for binary), the value for regression.
    pub fn predictions(&self, outputs: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Classification { .. } => activation::softmax(outputs, 1),
            Self::Binary => {
                let p = activation::sigmoid(outputs);
                Tensor::cat(vec![p.clone().neg().add_scalar(1.0), p], 1)
            }
            Self::Regression { .. } => outputs,
        }
    }
}

/// A batch's targets on the device.
#[derive(Debug, Clone)]
pub enum Targets {
    /// Class indices.
    Classes(Tensor<1, Int>),
    /// Values.
    Values(Tensor<1>),
}
