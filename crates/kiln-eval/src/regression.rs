//! Regression metrics: mean absolute error, mean squared error, its root, and R², built from
//! targets and predictions by [`regression_report`].
//!
//! Definitions follow scikit-learn's `mean_absolute_error`, `mean_squared_error` and `r2_score`
//! (with its default `force_finite=True`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{EvalError, compensated_sum};

/// Everything [`regression_report`] measures on one set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionReport {
    /// Mean absolute error, `mean(|y - ŷ|)`.
    pub mae: f64,
    /// Root mean squared error, `sqrt(mse)`, in the target's units.
    pub rmse: f64,
    /// Mean squared error, `mean((y - ŷ)²)`.
    pub mse: f64,
    /// Coefficient of determination, `1 - Σ(y - ŷ)² / Σ(y - ȳ)²`.
    ///
    /// When every `y` is equal the ratio is 0/0 or x/0; like scikit-learn, R² is then 1 for
    /// perfect predictions and 0 otherwise. `None` with fewer than two samples, where
    /// scikit-learn returns NaN (and JSON has no NaN).
    pub r2: Option<f64>,
    /// Number of samples.
    pub count: usize,
    /// `(prediction, true − prediction)` of at most [`MAX_RESIDUALS`] rows spread evenly over
    /// the split, for a residual plot (absent in model files written before kiln kept them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residuals: Option<Vec<(f64, f64)>>,
}

/// Rows kept for [`RegressionReport::residuals`].
pub const MAX_RESIDUALS: usize = 1000;

/// Builds a [`RegressionReport`] from targets and predictions.
///
/// # Errors
///
/// [`EvalError::Empty`] for no samples, [`EvalError::PredictionCount`] when the slices differ in
/// length, [`EvalError::NonFiniteValue`] for a NaN or infinite value in either.
pub fn regression_report(y_true: &[f64], y_pred: &[f64]) -> Result<RegressionReport, EvalError> {
    let n = y_true.len();
    if y_pred.len() != n {
        return Err(EvalError::PredictionCount {
            expected: n,
            found: y_pred.len(),
        });
    }
    if n == 0 {
        return Err(EvalError::Empty);
    }
    for (which, values) in [("y_true", y_true), ("y_pred", y_pred)] {
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(EvalError::NonFiniteValue {
                which,
                index,
                value,
            });
        }
    }

    let count_f = n as f64;
    let pairs = || y_true.iter().zip(y_pred);
    let mae = compensated_sum(pairs().map(|(y, p)| (y - p).abs())) / count_f;
    let residual_sum = compensated_sum(pairs().map(|(y, p)| (y - p).powi(2)));
    let mse = residual_sum / count_f;

    let r2 = (n >= 2).then(|| {
        // Tested explicitly: a constant target's mean can round away from the constant, which
        // would turn "no variance" into a tiny denominator and a huge negative R².
        let constant = y_true.iter().all(|&y| y == y_true[0]);
        let mean = compensated_sum(y_true.iter().copied()) / count_f;
        let total_sum = if constant {
            0.0
        } else {
            compensated_sum(y_true.iter().map(|y| (y - mean).powi(2)))
        };
        if residual_sum == 0.0 {
            1.0
        } else if total_sum == 0.0 {
            0.0
        } else {
            1.0 - residual_sum / total_sum
        }
    });

    Ok(RegressionReport {
        mae,
        rmse: mse.sqrt(),
        mse,
        r2,
        count: n,
        residuals: Some(
            (0..n.min(MAX_RESIDUALS))
                .map(|i| i * n / n.min(MAX_RESIDUALS))
                .map(|i| (y_pred[i], y_true[i] - y_pred[i]))
                .collect(),
        ),
    })
}

/// Fixed decimals for ordinary magnitudes, scientific notation for very large or small ones.
fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    if value != 0.0 && !(1e-4..1e9).contains(&magnitude) {
        format!("{value:.4e}")
    } else {
        format!("{value:.6}")
    }
}

impl fmt::Display for RegressionReport {
    /// A two-column table: metric, value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = [
            ("MAE", format_value(self.mae)),
            ("RMSE", format_value(self.rmse)),
            ("MSE", format_value(self.mse)),
            (
                "R²",
                self.r2
                    .map_or_else(|| "undefined (one sample)".to_string(), format_value),
            ),
            ("samples", self.count.to_string()),
        ];
        let width = rows
            .iter()
            .map(|(_, v)| v.chars().count())
            .chain(["value".len()])
            .max()
            .unwrap_or(0);
        writeln!(f, "{:<8} {:>width$}", "metric", "value")?;
        for (name, value) in rows {
            writeln!(f, "{name:<8} {value:>width$}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed() {
        // y = [3, -0.5, 2, 7], ŷ = [2.5, 0, 2, 8]
        // errors y - ŷ = [0.5, -0.5, 0, -1]
        // mae = (0.5 + 0.5 + 0 + 1)/4 = 0.5
        // mse = (0.25 + 0.25 + 0 + 1)/4 = 0.375, rmse = sqrt(0.375)
        // ȳ = 11.5/4 = 2.875; Σ(y - ȳ)² = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
        // r2 = 1 - 1.5/29.1875 = 0.948608137...
        let r = regression_report(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]).unwrap();
        assert!(close(r.mae, 0.5));
        assert!(close(r.mse, 0.375));
        assert!(close(r.rmse, 0.375_f64.sqrt()));
        assert!(close(r.r2.unwrap(), 1.0 - 1.5 / 29.1875));
        assert_eq!(r.count, 4);
    }

    #[test]
    fn constant_target_follows_sklearn() {
        // 0.1 three times: the mean rounds to 0.10000000000000002, not 0.1.
        let y = [0.1, 0.1, 0.1];
        assert_eq!(regression_report(&y, &y).unwrap().r2, Some(1.0));
        assert_eq!(
            regression_report(&y, &[0.1, 0.2, 0.1]).unwrap().r2,
            Some(0.0)
        );
    }

    #[test]
    fn single_sample_has_no_r2() {
        let r = regression_report(&[1.0], &[3.0]).unwrap();
        assert_eq!(r.r2, None);
        assert!(close(r.mae, 2.0) && close(r.mse, 4.0) && close(r.rmse, 2.0));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(regression_report(&[], &[]), Err(EvalError::Empty));
        assert_eq!(
            regression_report(&[1.0, 2.0], &[1.0]),
            Err(EvalError::PredictionCount {
                expected: 2,
                found: 1
            })
        );
        let err = regression_report(&[1.0, 2.0], &[1.0, f64::NAN]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "y_pred value 1 is NaN, expected a finite number"
        );
    }

    #[test]
    fn display_is_a_small_table() {
        let r = regression_report(&[3.0, -0.5, 2.0, 7.0], &[2.5, 0.0, 2.0, 8.0]).unwrap();
        let expected = "\
metric      value
MAE      0.500000
RMSE     0.612372
MSE      0.375000
R²       0.948608
samples         4
";
        assert_eq!(r.to_string(), expected, "\n{r}");
        let big = regression_report(&[0.0, 2e9], &[1e9, 1e9])
            .unwrap()
            .to_string();
        assert!(big.contains("MSE      1.0000e18"), "{big}");
    }

    #[test]
    fn serde_round_trip() {
        for r in [
            regression_report(&[1.0, 2.0], &[1.5, 2.5]).unwrap(),
            regression_report(&[1.0], &[1.5]).unwrap(),
        ] {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<RegressionReport>(&json).unwrap(), r);
        }
    }
}
