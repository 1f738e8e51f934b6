//! Cheap metrics for the training loop: one-shot [`accuracy`] and [`mean_absolute_error`] over a
//! batch, and [`RunningAccuracy`] / [`RunningMeanAbsoluteError`] that accumulate over the batches
//! of an epoch without keeping them.
//!
//! These skip [`classification_report`](crate::classification_report)'s validation: their
//! inputs come from kiln's own network, so a wrong length is a bug and panics.

use crate::classification::argmax;

/// Fraction of rows of `probs` (row-major, `y_true.len() × k`) whose argmax is the true label.
///
/// Returns NaN for no samples: there is no accuracy of nothing.
///
/// # Panics
///
/// If `k` is 0 or `probs.len() != y_true.len() * k`.
#[must_use]
pub fn accuracy(y_true: &[usize], probs: &[f32], k: usize) -> f64 {
    let correct = count_correct(y_true, probs, k);
    correct as f64 / y_true.len() as f64
}

/// Mean of `|y_true - y_pred|`, for `f32` or `f64` values.
///
/// Returns NaN for no samples.
///
/// # Panics
///
/// If the slices differ in length.
#[must_use]
pub fn mean_absolute_error<T: Copy + Into<f64>>(y_true: &[T], y_pred: &[T]) -> f64 {
    sum_absolute_error(y_true, y_pred) / y_true.len() as f64
}

/// Accuracy accumulated batch by batch.
///
/// ```
/// let mut acc = kiln_eval::RunningAccuracy::default();
/// acc.update(&[0, 1], &[0.9, 0.1, 0.8, 0.2], 2); // one right, one wrong
/// acc.update(&[1], &[0.3, 0.7], 2); // right
/// assert_eq!(acc.value(), Some(2.0 / 3.0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunningAccuracy {
    correct: u64,
    count: u64,
}

impl RunningAccuracy {
    /// Adds a batch: `probs` is row-major, `y_true.len() × k`.
    ///
    /// # Panics
    ///
    /// If `k` is 0 or `probs.len() != y_true.len() * k`.
    pub fn update(&mut self, y_true: &[usize], probs: &[f32], k: usize) {
        self.correct += count_correct(y_true, probs, k);
        self.count += y_true.len() as u64;
    }

    /// Samples whose argmax was the true label so far.
    #[must_use]
    pub fn correct(&self) -> u64 {
        self.correct
    }

    /// Samples seen so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Accuracy so far, `None` before any sample.
    #[must_use]
    pub fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.correct as f64 / self.count as f64)
    }
}

/// Mean absolute error accumulated batch by batch.
///
/// ```
/// let mut mae = kiln_eval::RunningMeanAbsoluteError::default();
/// mae.update(&[1.0_f32, 2.0], &[1.5, 2.0]); // errors 0.5, 0
/// mae.update(&[0.0_f32], &[-1.0]); // error 1
/// assert_eq!(mae.value(), Some(0.5));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RunningMeanAbsoluteError {
    sum: f64,
    count: u64,
}

impl RunningMeanAbsoluteError {
    /// Adds a batch of targets and predictions (`f32` or `f64`).
    ///
    /// # Panics
    ///
    /// If the slices differ in length.
    pub fn update<T: Copy + Into<f64>>(&mut self, y_true: &[T], y_pred: &[T]) {
        self.sum += sum_absolute_error(y_true, y_pred);
        self.count += y_true.len() as u64;
    }

    /// Samples seen so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean absolute error so far, `None` before any sample.
    #[must_use]
    pub fn value(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

fn count_correct(y_true: &[usize], probs: &[f32], k: usize) -> u64 {
    assert!(k > 0, "accuracy needs at least one class");
    assert_eq!(
        probs.len(),
        y_true.len() * k,
        "expected {} probabilities ({} samples × {k} classes)",
        y_true.len() * k,
        y_true.len()
    );
    let hits = y_true
        .iter()
        .zip(probs.chunks_exact(k))
        .filter(|&(&label, row)| argmax(row) == label)
        .count();
    hits as u64
}

fn sum_absolute_error<T: Copy + Into<f64>>(y_true: &[T], y_pred: &[T]) -> f64 {
    assert_eq!(
        y_true.len(),
        y_pred.len(),
        "expected as many predictions as targets"
    );
    crate::compensated_sum(
        y_true
            .iter()
            .zip(y_pred)
            .map(|(&y, &p)| (y.into() - p.into()).abs()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_hand_computed() {
        // argmax rows: [1, 0, 2, 2]; labels [1, 0, 1, 2] → 3 of 4 right.
        let probs = [0.2, 0.7, 0.1, 0.6, 0.3, 0.1, 0.1, 0.2, 0.7, 0.0, 0.0, 1.0];
        assert_eq!(accuracy(&[1, 0, 1, 2], &probs, 3), 0.75);
        assert!(accuracy(&[], &[], 3).is_nan());
    }

    #[test]
    fn mean_absolute_error_hand_computed() {
        // |1 - 2| + |-1 - 1| + |0.5 - 0.5| = 3, over 3 → 1.
        assert_eq!(
            mean_absolute_error(&[1.0, -1.0, 0.5], &[2.0, 1.0, 0.5]),
            1.0
        );
        assert_eq!(mean_absolute_error(&[1.0_f32], &[0.25]), 0.75);
    }

    #[test]
    fn running_matches_one_shot() {
        let y = [0, 1, 1, 0, 1];
        let probs = [0.9, 0.1, 0.4, 0.6, 0.7, 0.3, 0.2, 0.8, 0.1, 0.9];
        let mut acc = RunningAccuracy::default();
        assert_eq!(acc.value(), None);
        acc.update(&y[..2], &probs[..4], 2);
        acc.update(&y[2..], &probs[4..], 2);
        assert_eq!((acc.correct(), acc.count()), (3, 5));
        assert_eq!(acc.value(), Some(accuracy(&y, &probs, 2)));

        let t = [1.0, 2.0, 3.0, 4.0];
        let p = [1.5, 1.0, 3.0, 6.0];
        let mut mae = RunningMeanAbsoluteError::default();
        mae.update(&t[..1], &p[..1]);
        mae.update(&t[1..], &p[1..]);
        assert_eq!(mae.count(), 4);
        assert_eq!(mae.value(), Some(mean_absolute_error(&t, &p)));
    }

    #[test]
    #[should_panic(expected = "expected 4 probabilities (2 samples × 2 classes)")]
    fn accuracy_panics_on_wrong_length() {
        let _ = accuracy(&[0, 1], &[0.5, 0.5, 1.0], 2);
    }
}
