//! Classification metrics: accuracy, log loss, per-class precision / recall / F1, their macro and
//! weighted averages, and the confusion matrix, built from true labels and predicted
//! probabilities by [`classification_report`].
//!
//! Definitions follow scikit-learn: the predicted class is the argmax of each row (the first one
//! on ties, like `numpy.argmax`); precision, recall and F1 use `zero_division=0` (a class never
//! predicted has precision 0, a class never present has recall 0); the macro average weighs every
//! class equally, including classes absent from the data; the weighted average weighs each class
//! by its support.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{EvalError, compensated_sum};

/// Probabilities are clipped to `[PROBABILITY_CLIP, 1 - PROBABILITY_CLIP]` before the log loss
/// takes their logarithm, so a confident wrong prediction costs about 34.5 nats instead of
/// infinity.
pub const PROBABILITY_CLIP: f64 = 1e-15;

/// How far from 1 a row of probabilities may sum before [`classification_report`] rejects it.
///
/// Loose enough for an `f32` softmax over a thousand classes, tight enough to catch logits passed
/// instead of probabilities.
pub const PROBABILITY_SUM_TOLERANCE: f64 = 1e-3;

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class name.
    pub class: String,
    /// Of the samples predicted as this class, the fraction that are (0 when none is predicted).
    pub precision: f64,
    /// Of the samples of this class, the fraction predicted as it (0 when none is present).
    pub recall: f64,
    /// Harmonic mean of precision and recall, `2·tp / (2·tp + fp + fn)` (0 when that is 0/0).
    pub f1: f64,
    /// Number of samples whose true label is this class.
    pub support: u64,
}

/// Precision, recall and F1 averaged over classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AverageMetrics {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F1 (the average of the per-class F1s, not the F1 of the averages).
    pub f1: f64,
}

/// Everything [`classification_report`] measures on one set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// Class names, in class-index order.
    pub classes: Vec<String>,
    /// Fraction of samples whose argmax is the true class.
    pub accuracy: f64,
    /// Mean negative log-likelihood of the true class (natural log), after clipping each
    /// probability to [`PROBABILITY_CLIP`] and renormalising each row.
    pub log_loss: f64,
    /// One entry per class, in class-index order.
    pub per_class: Vec<ClassMetrics>,
    /// Unweighted mean over all classes.
    pub macro_avg: AverageMetrics,
    /// Mean over classes weighted by support.
    pub weighted_avg: AverageMetrics,
    /// `confusion[true][predicted]`: rows are true classes, columns predicted classes.
    pub confusion: Vec<Vec<u64>>,
    /// Number of samples.
    pub count: usize,
    /// ROC and precision–recall per class and a reliability curve (absent in model files
    /// written before kiln recorded them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curves: Option<crate::curves::Curves>,
}

/// Index of the largest value in `row`, the first one on ties (like `numpy.argmax`).
///
/// NaN values are never selected, unless every value is NaN (then 0).
///
/// # Panics
///
/// If `row` is empty.
#[must_use]
pub fn argmax(row: &[f32]) -> usize {
    assert!(!row.is_empty(), "argmax of an empty row");
    let mut best = 0;
    for (i, &value) in row.iter().enumerate().skip(1) {
        // Comparisons with NaN are false, so a NaN is never taken over a number; the second
        // clause lets a number replace a NaN that happened to come first.
        if value > row[best] || (row[best].is_nan() && !value.is_nan()) {
            best = i;
        }
    }
    best
}

/// Builds a [`ClassificationReport`] from true class indices and predicted probabilities.
///
/// `probs` is row-major, `y_true.len() × classes.len()`: row `i` holds sample `i`'s probability
/// for each class, in the order of `classes`. Binary tasks pass two columns.
///
/// The log loss clips each probability to `[1e-15, 1 - 1e-15]` and renormalises the row, like
/// scikit-learn's `log_loss` up to 1.4 (1.5 and later clip to machine epsilon and do not
/// renormalise; the two agree unless a true class gets a probability below 1e-15).
///
/// # Errors
///
/// [`EvalError::TooFewClasses`] for fewer than two classes, [`EvalError::Empty`] for no samples,
/// [`EvalError::ProbabilityCount`] when `probs` has the wrong length,
/// [`EvalError::InvalidProbability`] for a NaN, infinite, negative or above-1 value,
/// [`EvalError::ProbabilitySum`] for a row that does not sum to 1 within
/// [`PROBABILITY_SUM_TOLERANCE`], and [`EvalError::LabelOutOfRange`] for a label that is not a
/// class index.
pub fn classification_report(
    y_true: &[usize],
    probs: &[f32],
    classes: &[String],
) -> Result<ClassificationReport, EvalError> {
    let k = classes.len();
    if k < 2 {
        return Err(EvalError::TooFewClasses { found: k });
    }
    let n = y_true.len();
    if n == 0 {
        return Err(EvalError::Empty);
    }
    let expected = n.saturating_mul(k);
    if probs.len() != expected {
        return Err(EvalError::ProbabilityCount {
            samples: n,
            classes: k,
            expected,
            found: probs.len(),
        });
    }

    let mut confusion = vec![vec![0_u64; k]; k];
    let mut losses = Vec::with_capacity(n);
    for (sample, (&label, row)) in y_true.iter().zip(probs.chunks_exact(k)).enumerate() {
        check_row(sample, row)?;
        if label >= k {
            return Err(EvalError::LabelOutOfRange {
                sample,
                label,
                classes: k,
            });
        }
        confusion[label][argmax(row)] += 1;
        losses.push(sample_log_loss(row, label));
    }

    let count_f = n as f64;
    let diagonal: u64 = (0..k).map(|c| confusion[c][c]).sum();
    let accuracy = diagonal as f64 / count_f;
    let log_loss = compensated_sum(losses) / count_f;

    let per_class: Vec<ClassMetrics> = classes
        .iter()
        .enumerate()
        .map(|(c, class)| {
            let tp = confusion[c][c];
            let support: u64 = confusion[c].iter().sum();
            let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
            ClassMetrics {
                class: class.clone(),
                precision: ratio(tp, predicted),
                recall: ratio(tp, support),
                // 2·tp / (2·tp + fp + fn), and 2·tp + fp + fn = predicted + support.
                f1: ratio(2 * tp, predicted + support),
                support,
            }
        })
        .collect();

    let k_f = k as f64;
    let macro_avg = AverageMetrics {
        precision: compensated_sum(per_class.iter().map(|m| m.precision)) / k_f,
        recall: compensated_sum(per_class.iter().map(|m| m.recall)) / k_f,
        f1: compensated_sum(per_class.iter().map(|m| m.f1)) / k_f,
    };
    let weighted = |metric: fn(&ClassMetrics) -> f64| {
        compensated_sum(per_class.iter().map(|m| metric(m) * m.support as f64)) / count_f
    };
    let weighted_avg = AverageMetrics {
        precision: weighted(|m| m.precision),
        recall: weighted(|m| m.recall),
        f1: weighted(|m| m.f1),
    };

    Ok(ClassificationReport {
        classes: classes.to_vec(),
        accuracy,
        log_loss,
        per_class,
        macro_avg,
        weighted_avg,
        confusion,
        count: n,
        curves: Some(crate::curves::curves(
            y_true,
            &probs.chunks_exact(k).map(argmax).collect::<Vec<_>>(),
            probs,
            classes,
        )),
    })
}

/// Rejects NaN, infinite and out-of-range probabilities and rows that do not sum to 1.
fn check_row(sample: usize, row: &[f32]) -> Result<(), EvalError> {
    for (class, &value) in row.iter().enumerate() {
        // An f32 softmax can round a certain prediction a hair above 1; the clip absorbs it.
        let in_range = (0.0..=1.0 + PROBABILITY_SUM_TOLERANCE).contains(&f64::from(value));
        if !in_range {
            return Err(EvalError::InvalidProbability {
                sample,
                class,
                value,
            });
        }
    }
    let sum = compensated_sum(row.iter().map(|&p| f64::from(p)));
    if (sum - 1.0).abs() > PROBABILITY_SUM_TOLERANCE {
        return Err(EvalError::ProbabilitySum {
            sample,
            sum,
            tolerance: PROBABILITY_SUM_TOLERANCE,
        });
    }
    Ok(())
}

/// `-ln p(label)` after clipping every probability of the row and renormalising it.
fn sample_log_loss(row: &[f32], label: usize) -> f64 {
    let clip = |p: f32| f64::from(p).clamp(PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP);
    let total = compensated_sum(row.iter().map(|&p| clip(p)));
    -(clip(row[label]) / total).ln()
}

/// `numerator / denominator`, or 0 when the denominator is 0 (scikit-learn's `zero_division=0`).
fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// Above this many classes, or with longer names, the confusion matrix labels its columns by
/// class index so that it stays narrow enough to read.
const MAX_NAMED_COLUMNS: usize = 12;

impl fmt::Display for ClassificationReport {
    /// A table like scikit-learn's `classification_report`, the log loss, then the confusion
    /// matrix (rows = true class, columns = predicted class).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const LAST_LABEL: &str = "weighted avg";
        let name_width = self
            .per_class
            .iter()
            .map(|m| m.class.chars().count())
            .chain([LAST_LABEL.len()])
            .max()
            .unwrap_or(0);
        let w = name_width;

        writeln!(
            f,
            "{:w$} {:>9} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "f1-score", "support"
        )?;
        writeln!(f)?;
        for m in &self.per_class {
            writeln!(
                f,
                "{:>w$} {:>9.4} {:>9.4} {:>9.4} {:>9}",
                m.class, m.precision, m.recall, m.f1, m.support
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "{:>w$} {:>9} {:>9} {:>9.4} {:>9}",
            "accuracy", "", "", self.accuracy, self.count
        )?;
        for (label, avg) in [
            ("macro avg", &self.macro_avg),
            (LAST_LABEL, &self.weighted_avg),
        ] {
            writeln!(
                f,
                "{label:>w$} {:>9.4} {:>9.4} {:>9.4} {:>9}",
                avg.precision, avg.recall, avg.f1, self.count
            )?;
        }
        writeln!(
            f,
            "{:>w$} {:>9} {:>9} {:>9.4} {:>9}",
            "log loss", "", "", self.log_loss, self.count
        )?;
        writeln!(f)?;
        self.fmt_confusion(f)
    }
}

impl ClassificationReport {
    fn fmt_confusion(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.classes.len();
        let named_columns = k <= MAX_NAMED_COLUMNS
            && self
                .classes
                .iter()
                .all(|c| c.chars().count() <= MAX_NAMED_COLUMNS);
        let headers: Vec<String> = if named_columns {
            self.classes.clone()
        } else {
            (0..k).map(|c| c.to_string()).collect()
        };
        let row_labels: Vec<String> = if named_columns {
            self.classes.clone()
        } else {
            // Index right-aligned, name left-aligned: "12 class12", " 3 class3   ".
            let index_width = (k - 1).to_string().len();
            let name_width = self.classes.iter().map(|c| c.chars().count()).max();
            let name_width = name_width.unwrap_or(0);
            self.classes
                .iter()
                .enumerate()
                .map(|(c, name)| format!("{c:>index_width$} {name:<name_width$}"))
                .collect()
        };
        let label_width = row_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0);
        let cell_width = headers
            .iter()
            .map(|h| h.chars().count())
            .chain(self.confusion.iter().flatten().map(|n| n.to_string().len()))
            .max()
            .unwrap_or(1);

        writeln!(
            f,
            "confusion matrix (rows = true class, columns = predicted class)"
        )?;
        write!(f, "{:label_width$}", "")?;
        for header in &headers {
            write!(f, "  {header:>cell_width$}")?;
        }
        writeln!(f)?;
        for (label, row) in row_labels.iter().zip(&self.confusion) {
            write!(f, "{label:>label_width$}")?;
            for n in row {
                write!(f, "  {n:>cell_width$}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_string()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn argmax_takes_first_of_ties_and_skips_nan() {
        assert_eq!(argmax(&[0.25, 0.5, 0.5, 0.25]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.1, 0.2]), 2);
        assert_eq!(argmax(&[0.3, f32::NAN, 0.2]), 0);
        assert_eq!(argmax(&[f32::NAN, f32::NAN]), 0);
    }

    #[test]
    fn hand_computed_three_classes() {
        // y_true  = [0, 0, 1, 2, 2]
        // argmax  = [0, 1, 1, 1, 2]
        // confusion (rows true, cols predicted):
        //   [1 1 0]
        //   [0 1 0]
        //   [0 1 1]
        // accuracy = 3/5 = 0.6
        // class 0: tp 1, predicted 1, support 2 → p 1, r 1/2, f1 2/(1+2) = 2/3
        // class 1: tp 1, predicted 3, support 1 → p 1/3, r 1, f1 2/(3+1) = 1/2
        // class 2: tp 1, predicted 1, support 2 → p 1, r 1/2, f1 2/3
        // macro:    p (1 + 1/3 + 1)/3 = 7/9, r (1/2 + 1 + 1/2)/3 = 2/3, f1 (2/3+1/2+2/3)/3 = 11/18
        // weighted: p (2·1 + 1·1/3 + 2·1)/5 = 13/15, r (1 + 1 + 1)/5 = 3/5,
        //           f1 (4/3 + 1/2 + 4/3)/5 = 19/30
        // log loss: true-class probabilities 0.5, 0.25, 0.5, 0.25, 1.0 (1.0 clips to 1 - 1e-15,
        //   the zeros of that row clip to 1e-15, the row renormalises to 1 + 1e-15; -ln of that
        //   is ~1e-15): (ln 2 + ln 4 + ln 2 + ln 4 + 0)/5 = 6 ln 2 / 5
        let probs = [
            0.5, 0.25, 0.25, //
            0.25, 0.5, 0.25, //
            0.25, 0.5, 0.25, //
            0.25, 0.5, 0.25, //
            0.0, 0.0, 1.0,
        ];
        let r = classification_report(&[0, 0, 1, 2, 2], &probs, &names(&["a", "b", "c"])).unwrap();
        assert_eq!(
            r.confusion,
            vec![vec![1, 1, 0], vec![0, 1, 0], vec![0, 1, 1]]
        );
        assert_eq!(r.count, 5);
        assert!(close(r.accuracy, 0.6));
        let expected = [
            (1.0, 0.5, 2.0 / 3.0, 2),
            (1.0 / 3.0, 1.0, 0.5, 1),
            (1.0, 0.5, 2.0 / 3.0, 2),
        ];
        for (m, (p, rc, f1, s)) in r.per_class.iter().zip(expected) {
            assert!(
                close(m.precision, p) && close(m.recall, rc) && close(m.f1, f1),
                "{m:?}"
            );
            assert_eq!(m.support, s);
        }
        assert!(close(r.macro_avg.precision, 7.0 / 9.0));
        assert!(close(r.macro_avg.recall, 2.0 / 3.0));
        assert!(close(r.macro_avg.f1, 11.0 / 18.0));
        assert!(close(r.weighted_avg.precision, 13.0 / 15.0));
        assert!(close(r.weighted_avg.recall, 0.6));
        assert!(close(r.weighted_avg.f1, 19.0 / 30.0));
        assert!(
            close(r.log_loss, 6.0 * std::f64::consts::LN_2 / 5.0),
            "{}",
            r.log_loss
        );
    }

    #[test]
    fn never_predicted_class_has_zero_precision_and_f1() {
        // y_true = [0, 1], both predicted 0: class 1 is never predicted.
        // class 0: tp 1, predicted 2, support 1 → p 1/2, r 1, f1 2/3
        // class 1: tp 0, predicted 0, support 1 → p 0 (zero_division), r 0, f1 0
        let r =
            classification_report(&[0, 1], &[0.75, 0.25, 0.75, 0.25], &names(&["x", "y"])).unwrap();
        assert_eq!(r.per_class[1].precision, 0.0);
        assert_eq!(r.per_class[1].recall, 0.0);
        assert_eq!(r.per_class[1].f1, 0.0);
        assert!(close(r.macro_avg.precision, 0.25));
        assert!(close(r.macro_avg.f1, 1.0 / 3.0));
    }

    #[test]
    fn certain_wrong_prediction_costs_clipped_log() {
        // True class has probability 0 → clipped to 1e-15; the row sums to 1 + 1e-15 after
        // clipping, so the loss is -ln(1e-15 / (1 + 1e-15)) = 15 ln 10 + ln(1 + 1e-15).
        let r = classification_report(&[1], &[1.0, 0.0], &names(&["x", "y"])).unwrap();
        let expected = 15.0 * std::f64::consts::LN_10 + 1e-15_f64.ln_1p();
        assert!((r.log_loss - expected).abs() < 1e-9, "{}", r.log_loss);
    }

    #[test]
    fn renormalises_rows_off_by_rounding() {
        // Row [0.5, 0.5005] sums to 1.0005 (within tolerance): p(true=1) = 0.5005 / 1.0005.
        let r = classification_report(&[1], &[0.5, 0.5005], &names(&["x", "y"])).unwrap();
        let p = f64::from(0.5005_f32) / (0.5 + f64::from(0.5005_f32));
        assert!(close(r.log_loss, -p.ln()));
    }

    #[test]
    fn rejects_bad_input() {
        let two = names(&["x", "y"]);
        assert_eq!(
            classification_report(&[0], &[1.0], &names(&["x"])),
            Err(EvalError::TooFewClasses { found: 1 })
        );
        assert_eq!(classification_report(&[], &[], &two), Err(EvalError::Empty));
        assert_eq!(
            classification_report(&[0, 1], &[0.5, 0.5, 1.0], &two),
            Err(EvalError::ProbabilityCount {
                samples: 2,
                classes: 2,
                expected: 4,
                found: 3
            })
        );
        assert_eq!(
            classification_report(&[0, 2], &[0.5, 0.5, 0.5, 0.5], &two),
            Err(EvalError::LabelOutOfRange {
                sample: 1,
                label: 2,
                classes: 2
            })
        );
        assert!(matches!(
            classification_report(&[0], &[f32::NAN, 1.0], &two),
            Err(EvalError::InvalidProbability {
                sample: 0,
                class: 0,
                ..
            })
        ));
        assert!(matches!(
            classification_report(&[0], &[-0.5, 1.5], &two),
            Err(EvalError::InvalidProbability { class: 0, .. })
        ));
        let err = classification_report(&[0, 0], &[0.5, 0.5, 0.9, 0.3], &two).unwrap_err();
        assert!(matches!(err, EvalError::ProbabilitySum { sample: 1, .. }));
        assert_eq!(
            err.to_string(),
            "probabilities of sample 1 sum to 1.200000, expected 1 (within 0.001)"
        );
    }

    #[test]
    fn display_is_an_aligned_table() {
        let probs = [
            0.5, 0.25, 0.25, //
            0.25, 0.5, 0.25, //
            0.25, 0.5, 0.25, //
            0.25, 0.5, 0.25, //
            0.0, 0.0, 1.0,
        ];
        let r = classification_report(&[0, 0, 1, 2, 2], &probs, &names(&["cat", "dog", "bird"]))
            .unwrap();
        let expected = "
             precision    recall  f1-score   support

         cat    1.0000    0.5000    0.6667         2
         dog    0.3333    1.0000    0.5000         1
        bird    1.0000    0.5000    0.6667         2

    accuracy                        0.6000         5
   macro avg    0.7778    0.6667    0.6111         5
weighted avg    0.8667    0.6000    0.6333         5
    log loss                        0.8318         5

confusion matrix (rows = true class, columns = predicted class)
       cat   dog  bird
 cat     1     1     0
 dog     0     1     0
bird     0     1     1
";
        assert_eq!(format!("\n{r}"), expected, "\n{r}");
    }

    #[test]
    fn display_uses_indices_for_many_classes() {
        let k = 13;
        let classes: Vec<String> = (0..k).map(|c| format!("class{c}")).collect();
        let mut probs = vec![0.0_f32; k * k];
        for c in 0..k {
            probs[c * k + c] = 1.0;
        }
        let y: Vec<usize> = (0..k).collect();
        let text = classification_report(&y, &probs, &classes)
            .unwrap()
            .to_string();
        let matrix = text.split("confusion matrix").nth(1).unwrap();
        let lines: Vec<&str> = matrix.lines().collect();
        assert_eq!(
            lines[1],
            "             0   1   2   3   4   5   6   7   8   9  10  11  12"
        );
        assert_eq!(
            lines[2],
            " 0 class0    1   0   0   0   0   0   0   0   0   0   0   0   0"
        );
        assert_eq!(lines.len(), 2 + k);
    }

    #[test]
    fn serde_round_trip() {
        let r =
            classification_report(&[0, 1], &[0.75, 0.25, 0.5, 0.5], &names(&["x", "y"])).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        let back: ClassificationReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
    }
}
