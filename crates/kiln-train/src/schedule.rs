//! Learning-rate schedules and early stopping, both decided once per epoch.

use kiln_spec::{EarlyStoppingSpec, LrScheduleSpec};
use serde::{Deserialize, Serialize};

/// The learning rate for `epoch` (0-based) under `schedule`, given the plateau state.
pub fn learning_rate(
    base: f64,
    schedule: Option<&LrScheduleSpec>,
    epoch: usize,
    epochs: usize,
    plateau: &Plateau,
) -> f64 {
    match schedule {
        None => base,
        Some(LrScheduleSpec::Step { step_size, gamma }) => {
            base * gamma.powi((epoch / (*step_size).max(1)) as i32)
        }
        Some(LrScheduleSpec::Exponential { gamma }) => base * gamma.powi(epoch as i32),
        Some(LrScheduleSpec::Cosine { min_lr }) => {
            // PyTorch's CosineAnnealingLR with T_max = epochs: the last epoch still learns.
            let progress = epoch as f64 / epochs.max(1) as f64;
            min_lr + 0.5 * (base - min_lr) * (1.0 + (std::f64::consts::PI * progress).cos())
        }
        Some(LrScheduleSpec::ReduceOnPlateau { min_lr, .. }) => {
            plateau.lr.unwrap_or(base).max(*min_lr)
        }
    }
}

/// State of a reduce-on-plateau schedule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plateau {
    /// The current reduced rate, once reduced.
    pub lr: Option<f64>,
    /// Best validation loss seen.
    pub best: Option<f64>,
    /// Epochs since the best.
    pub wait: usize,
}

impl Plateau {
    /// Records an epoch's validation loss; reduces the rate after `patience` epochs without
    /// improvement.
    pub fn observe(&mut self, schedule: Option<&LrScheduleSpec>, base: f64, val_loss: f64) {
        let Some(LrScheduleSpec::ReduceOnPlateau {
            factor, patience, ..
        }) = schedule
        else {
            return;
        };
        if self.best.is_none_or(|b| val_loss < b) {
            self.best = Some(val_loss);
            self.wait = 0;
        } else {
            self.wait += 1;
            if self.wait >= *patience {
                self.lr = Some(self.lr.unwrap_or(base) * factor);
                self.wait = 0;
            }
        }
    }
}

/// Tracks the monitored metric for early stopping and for restoring the best weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestTracker {
    /// Metric name, e.g. `val_loss`.
    pub monitor: String,
    /// Whether larger is better for this metric.
    pub maximize: bool,
    /// Smallest change that counts as an improvement.
    pub min_delta: f64,
    /// Epochs without improvement before stopping (`None`: never stop early).
    pub patience: Option<usize>,
    /// Best value so far.
    pub best: Option<f64>,
    /// 1-based epoch of the best value.
    pub best_epoch: usize,
    /// Epochs since the best.
    pub wait: usize,
}

impl BestTracker {
    /// A tracker for `spec`, or for `default_monitor` when the spec has no early stopping (the
    /// best epoch is still tracked so the best weights can be restored).
    pub fn new(spec: Option<&EarlyStoppingSpec>, default_monitor: &str) -> Self {
        let monitor = spec.map_or(default_monitor.to_string(), |s| s.monitor.clone());
        let maximize = monitor.ends_with("accuracy");
        Self {
            monitor,
            maximize,
            min_delta: spec.map_or(0.0, |s| s.min_delta),
            patience: spec.map(|s| s.patience),
            best: None,
            best_epoch: 0,
            wait: 0,
        }
    }

    /// Records `value` for 1-based `epoch`. Returns `(improved, stop)`.
    pub fn observe(&mut self, epoch: usize, value: f64) -> (bool, bool) {
        let improved = match self.best {
            None => value.is_finite(),
            Some(best) if self.maximize => value > best + self.min_delta,
            Some(best) => value < best - self.min_delta,
        };
        if improved {
            self.best = Some(value);
            self.best_epoch = epoch;
            self.wait = 0;
        } else {
            self.wait += 1;
        }
        let stop = self.patience.is_some_and(|p| self.wait >= p);
        (improved, stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_schedule_decays_every_step_size_epochs() {
        let s = LrScheduleSpec::Step {
            step_size: 2,
            gamma: 0.5,
        };
        let p = Plateau::default();
        let lrs: Vec<f64> = (0..5)
            .map(|e| learning_rate(1.0, Some(&s), e, 5, &p))
            .collect();
        assert_eq!(lrs, vec![1.0, 1.0, 0.5, 0.5, 0.25]);
    }

    #[test]
    fn cosine_goes_from_base_to_min() {
        let s = LrScheduleSpec::Cosine { min_lr: 0.1 };
        let p = Plateau::default();
        assert!((learning_rate(1.0, Some(&s), 0, 10, &p) - 1.0).abs() < 1e-12);
        assert!((learning_rate(1.0, Some(&s), 5, 10, &p) - 0.55).abs() < 1e-12);
        // 0.1 + 0.45·(1 + cos(0.9π)) = 0.1 + 0.45·0.0489435 = 0.122025
        assert!((learning_rate(1.0, Some(&s), 9, 10, &p) - 0.122_024_58).abs() < 1e-6);
    }

    #[test]
    fn plateau_reduces_after_patience() {
        let s = LrScheduleSpec::ReduceOnPlateau {
            factor: 0.1,
            patience: 2,
            min_lr: 0.0,
        };
        let mut p = Plateau::default();
        for loss in [1.0, 0.9, 0.95, 0.96] {
            p.observe(Some(&s), 1.0, loss);
        }
        assert_eq!(learning_rate(1.0, Some(&s), 4, 10, &p), 0.1);
    }

    #[test]
    fn early_stopping_waits_patience_epochs() {
        let spec = EarlyStoppingSpec {
            monitor: "val_loss".into(),
            patience: 2,
            min_delta: 0.0,
            restore_best: true,
        };
        let mut t = BestTracker::new(Some(&spec), "val_loss");
        assert_eq!(t.observe(1, 1.0), (true, false));
        assert_eq!(t.observe(2, 0.5), (true, false));
        assert_eq!(t.observe(3, 0.6), (false, false));
        assert_eq!(t.observe(4, 0.7), (false, true));
        assert_eq!(t.best_epoch, 2);
    }
}
