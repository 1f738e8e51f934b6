//! # kiln-eval
//!
//! Evaluation metrics for kiln models, in plain Rust: no Burn, no tensors, only slices of labels,
//! probabilities and values. The definitions follow scikit-learn's, and the integration tests
//! compare against golden values that `tests/reference/metrics_reference.py` computed with it.
//!
//! - [`classification`]: [`classification_report`] → [`ClassificationReport`] (accuracy, log
//!   loss, per-class precision / recall / F1, macro and weighted averages, confusion matrix).
//! - [`curves`]: ROC and precision–recall per class with their areas, and reliability bins
//!   ([`Curves`], part of every [`ClassificationReport`]).
//! - [`regression`]: [`regression_report`] → [`RegressionReport`] (MAE, MSE, RMSE, R²).
//! - [`running`]: cheap metrics for the training loop, batch by batch ([`RunningAccuracy`],
//!   [`RunningMeanAbsoluteError`]), beside the one-shot [`accuracy`] and
//!   [`mean_absolute_error`].
//! - [`metrics`]: [`Metrics`], one split's figures of any model kind (classification,
//!   regression, language model: [`LanguageModelReport`]), as model files store them.
//! - [`error`]: [`EvalError`], what the report builders reject.
//!
//! **Layers**, lowest first: `error`, `running`, `curves` (needs the predicted classes from its
//! caller), `classification` and `regression`, `metrics`.
//!
//! Both reports implement [`Display`](std::fmt::Display) (a readable table, like
//! scikit-learn's `classification_report`) and `Serialize`/`Deserialize` (for `--json`).
//!
//! ```
//! use kiln_eval::classification_report;
//!
//! let classes = vec!["no".to_string(), "yes".to_string()];
//! // Two samples, two classes, row-major probabilities.
//! let probs = [0.9_f32, 0.1, 0.25, 0.75];
//! let report = classification_report(&[0, 1], &probs, &classes)?;
//! assert_eq!(report.accuracy, 1.0);
//! assert_eq!(report.confusion, vec![vec![1, 0], vec![0, 1]]);
//! # Ok::<(), kiln_eval::EvalError>(())
//! ```

pub mod classification;
pub mod curves;
pub mod error;
pub mod metrics;
pub mod regression;
pub mod running;

pub use classification::{
    AverageMetrics, ClassMetrics, ClassificationReport, PROBABILITY_CLIP,
    PROBABILITY_SUM_TOLERANCE, argmax, classification_report,
};
pub use curves::{CalibrationBin, ClassCurves, Curves};
pub use error::EvalError;
pub use metrics::{LanguageModelReport, Metrics};
pub use regression::{MAX_RESIDUALS, RegressionReport, regression_report};
pub use running::{RunningAccuracy, RunningMeanAbsoluteError, accuracy, mean_absolute_error};

/// Sums with Neumaier's compensation, so that means over millions of samples keep the digits a
/// naive running sum loses.
pub(crate) fn compensated_sum(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut sum = 0.0_f64;
    let mut compensation = 0.0_f64;
    for value in values {
        let total = sum + value;
        if sum.abs() >= value.abs() {
            compensation += (sum - total) + value;
        } else {
            compensation += (value - total) + sum;
        }
        sum = total;
    }
    sum + compensation
}

#[cfg(test)]
mod tests {
    use super::compensated_sum;

    #[test]
    fn compensated_sum_keeps_small_terms() {
        // 1 + 1e-16 + ... (ten times) - 1: naively every 1e-16 is lost against 1.0.
        let mut values = vec![1.0];
        values.extend(std::iter::repeat_n(1e-16, 10));
        values.push(-1.0);
        let sum = compensated_sum(values);
        assert!((sum - 1e-15).abs() < 1e-30, "{sum}");
    }
}
