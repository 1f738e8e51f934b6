//! Threshold curves of a classifier: ROC and precision–recall per class (one class against the
//! rest), their areas, and a reliability (calibration) curve.
//!
//! Definitions follow scikit-learn (`roc_curve(drop_intermediate=False)`, `roc_auc_score`,
//! `precision_recall_curve`, `average_precision_score`, `calibration_curve(strategy="uniform")`)
//! and the integration tests compare against its numbers (`tests/reference/metrics_reference.py`).
//! [`Curves`] keeps at most [`MAX_CURVE_POINTS`] points of each curve, as a model file stores
//! them for the run page; the areas are computed on the full curves first.

use serde::{Deserialize, Serialize};

use crate::compensated_sum;

/// Points kept of each stored curve (the areas use every point).
pub const MAX_CURVE_POINTS: usize = 201;

/// Bins of the stored reliability curve.
pub const CALIBRATION_BINS: usize = 10;

/// A ROC curve: false- and true-positive rates at each distinct score threshold, highest
/// threshold first, starting at (0, 0) for a threshold above every score.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// False-positive rate of each point.
    pub fpr: Vec<f64>,
    /// True-positive rate of each point.
    pub tpr: Vec<f64>,
    /// The score at or above which a sample counts as positive (`inf` for the first point).
    pub thresholds: Vec<f64>,
}

/// Sorted (score, positive) pairs grouped by distinct score: cumulative true and false
/// positives at each threshold, highest first.
fn cumulative(positive: &[bool], scores: &[f64]) -> Vec<(f64, u64, u64)> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut out: Vec<(f64, u64, u64)> = Vec::new();
    let (mut tp, mut fp) = (0_u64, 0_u64);
    for (i, &s) in order.iter().enumerate() {
        if positive[s] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_score = order
            .get(i + 1)
            .is_none_or(|&next| scores[next] != scores[s]);
        if last_of_score {
            out.push((scores[s], tp, fp));
        }
    }
    out
}

/// The ROC curve of `scores` for the samples marked `positive`; `None` unless both positives
/// and negatives are present (scikit-learn's curve is then undefined: NaN rates).
///
/// # Panics
///
/// If the slices differ in length.
#[must_use]
pub fn roc_curve(positive: &[bool], scores: &[f64]) -> Option<RocCurve> {
    assert_eq!(positive.len(), scores.len(), "one score per sample");
    let p = positive.iter().filter(|&&b| b).count() as f64;
    let n = positive.len() as f64 - p;
    if p == 0.0 || n == 0.0 {
        return None;
    }
    let mut curve = RocCurve {
        fpr: vec![0.0],
        tpr: vec![0.0],
        thresholds: vec![f64::INFINITY],
    };
    for (score, tp, fp) in cumulative(positive, scores) {
        curve.fpr.push(fp as f64 / n);
        curve.tpr.push(tp as f64 / p);
        curve.thresholds.push(score);
    }
    Some(curve)
}

/// Area under a curve by the trapezoidal rule (x need not be increasing in steps of one).
fn trapezoid(x: &[f64], y: &[f64]) -> f64 {
    compensated_sum(
        x.windows(2)
            .zip(y.windows(2))
            .map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0),
    )
}

/// Area under the ROC curve (scikit-learn's `roc_auc_score` for two classes).
#[must_use]
pub fn roc_auc(curve: &RocCurve) -> f64 {
    trapezoid(&curve.fpr, &curve.tpr)
}

/// A precision–recall curve in scikit-learn's order: thresholds increasing, so recall
/// decreasing, ending at (recall 0, precision 1).
#[derive(Debug, Clone, PartialEq)]
pub struct PrCurve {
    /// Precision of each point.
    pub precision: Vec<f64>,
    /// Recall of each point.
    pub recall: Vec<f64>,
}

/// The precision–recall curve of `scores`; `None` without any positive sample.
///
/// # Panics
///
/// If the slices differ in length.
#[must_use]
pub fn precision_recall_curve(positive: &[bool], scores: &[f64]) -> Option<PrCurve> {
    assert_eq!(positive.len(), scores.len(), "one score per sample");
    let p = positive.iter().filter(|&&b| b).count() as f64;
    if p == 0.0 {
        return None;
    }
    let points = cumulative(positive, scores);
    let mut precision: Vec<f64> = points
        .iter()
        .rev()
        .map(|&(_, tp, fp)| tp as f64 / (tp + fp) as f64)
        .collect();
    let mut recall: Vec<f64> = points
        .iter()
        .rev()
        .map(|&(_, tp, _)| tp as f64 / p)
        .collect();
    precision.push(1.0);
    recall.push(0.0);
    Some(PrCurve { precision, recall })
}

/// Average precision, `Σ (Rₙ − Rₙ₋₁) Pₙ` over thresholds (scikit-learn's
/// `average_precision_score`: a step sum, not the trapezoid).
#[must_use]
pub fn average_precision(curve: &PrCurve) -> f64 {
    compensated_sum(
        curve
            .recall
            .windows(2)
            .zip(&curve.precision)
            .map(|(r, &p)| (r[0] - r[1]) * p),
    )
}

/// One bin of a reliability curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    /// Mean predicted probability of the samples in the bin.
    pub mean_predicted: f64,
    /// Fraction of them that are positive (or, top-label, correct).
    pub fraction_positive: f64,
    /// Samples in the bin.
    pub count: u64,
}

/// A reliability curve over `bins` equal-width bins of [0, 1]; empty bins are left out
/// (scikit-learn's `calibration_curve(strategy="uniform")`: a probability on an inner edge
/// falls in the lower bin).
///
/// # Panics
///
/// If the slices differ in length or `bins` is 0.
#[must_use]
pub fn calibration_curve(positive: &[bool], probs: &[f64], bins: usize) -> Vec<CalibrationBin> {
    assert_eq!(positive.len(), probs.len(), "one probability per sample");
    assert!(bins > 0, "at least one bin");
    let mut sums = vec![(0.0_f64, 0_u64, 0_u64); bins];
    for (&b, &p) in positive.iter().zip(probs) {
        // The number of inner edges i/bins strictly below p (numpy's searchsorted, left).
        let bin = (1..bins)
            .take_while(|&i| (i as f64 / bins as f64) < p)
            .count();
        let s = &mut sums[bin];
        s.0 += p;
        s.1 += u64::from(b);
        s.2 += 1;
    }
    sums.into_iter()
        .filter(|s| s.2 > 0)
        .map(|(sum, pos, count)| CalibrationBin {
            mean_predicted: sum / count as f64,
            fraction_positive: pos as f64 / count as f64,
            count,
        })
        .collect()
}

/// Curves of one class against the rest, thinned for storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassCurves {
    /// The class name.
    pub class: String,
    /// ROC points `(false-positive rate, true-positive rate)`; empty when the class has no
    /// positive or no negative sample.
    pub roc: Vec<(f64, f64)>,
    /// Area under the full ROC curve (`None` when it is undefined).
    pub roc_auc: Option<f64>,
    /// Precision–recall points `(recall, precision)`; empty without positives.
    pub pr: Vec<(f64, f64)>,
    /// Average precision of the full curve (`None` without positives).
    pub average_precision: Option<f64>,
}

/// What the run page draws for a classifier: per-class ROC and precision–recall, and a
/// reliability curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curves {
    /// Two classes: the second (positive) class only; more: every class against the rest.
    pub per_class: Vec<ClassCurves>,
    /// Two classes: of the positive class's probability; more: top-label (the highest
    /// probability against whether the prediction is right).
    pub calibration: Vec<CalibrationBin>,
}

impl Curves {
    /// The mean ROC AUC over the classes where it is defined (for two classes, the positive
    /// class's; for more, scikit-learn's one-vs-rest macro average when every class occurs).
    #[must_use]
    pub fn roc_auc(&self) -> Option<f64> {
        let aucs: Vec<f64> = self.per_class.iter().filter_map(|c| c.roc_auc).collect();
        (!aucs.is_empty()).then(|| compensated_sum(aucs.iter().copied()) / aucs.len() as f64)
    }
}

/// Evenly thinned points, always keeping the first and last.
fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_CURVE_POINTS {
        return points;
    }
    let last = points.len() - 1;
    (0..MAX_CURVE_POINTS)
        .map(|i| points[i * last / (MAX_CURVE_POINTS - 1)])
        .collect()
}

/// The curves of checked probability rows (`y_true.len() × k`, as
/// `classification_report` accepts them), whose argmax is
/// `predicted`.
pub(crate) fn curves(
    y_true: &[usize],
    predicted: &[usize],
    probs: &[f32],
    classes: &[String],
) -> Curves {
    let k = classes.len();
    let rows = || probs.chunks_exact(k);
    let one_class = |c: usize| {
        let positive: Vec<bool> = y_true.iter().map(|&y| y == c).collect();
        let scores: Vec<f64> = rows().map(|r| f64::from(r[c])).collect();
        let roc = roc_curve(&positive, &scores);
        let pr = precision_recall_curve(&positive, &scores);
        ClassCurves {
            class: classes[c].clone(),
            roc_auc: roc.as_ref().map(roc_auc),
            roc: roc.map_or_else(Vec::new, |r| thin(r.fpr.into_iter().zip(r.tpr).collect())),
            average_precision: pr.as_ref().map(average_precision),
            pr: pr.map_or_else(Vec::new, |p| {
                thin(p.recall.into_iter().zip(p.precision).collect())
            }),
        }
    };
    if k == 2 {
        let positive: Vec<bool> = y_true.iter().map(|&y| y == 1).collect();
        let p1: Vec<f64> = rows().map(|r| f64::from(r[1])).collect();
        Curves {
            per_class: vec![one_class(1)],
            calibration: calibration_curve(&positive, &p1, CALIBRATION_BINS),
        }
    } else {
        let correct: Vec<bool> = y_true
            .iter()
            .zip(rows())
            .zip(predicted)
            .map(|((&y, _), &p)| p == y)
            .collect();
        let top: Vec<f64> = rows()
            .zip(predicted)
            .map(|(r, &p)| f64::from(r[p]))
            .collect();
        Curves {
            per_class: (0..k).map(one_class).collect(),
            calibration: calibration_curve(&correct, &top, CALIBRATION_BINS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_four_samples() {
        // Scores 0.8 (+), 0.6 (−), 0.6 (+), 0.2 (−): the tie is one threshold.
        let positive = [true, false, true, false];
        let scores = [0.8, 0.6, 0.6, 0.2];
        let roc = roc_curve(&positive, &scores).unwrap();
        assert_eq!(roc.fpr, [0.0, 0.0, 0.5, 1.0]);
        assert_eq!(roc.tpr, [0.0, 0.5, 1.0, 1.0]);
        // Area: 0.5·(0.5+1)/2 + 0.5·1 = 0.875.
        assert!((roc_auc(&roc) - 0.875).abs() < 1e-15);
        let pr = precision_recall_curve(&positive, &scores).unwrap();
        assert_eq!(pr.recall, [1.0, 1.0, 0.5, 0.0]);
        assert_eq!(pr.precision, [0.5, 2.0 / 3.0, 1.0, 1.0]);
        // AP = 0.5·1 + 0.5·(2/3) = 5/6.
        assert!((average_precision(&pr) - 5.0 / 6.0).abs() < 1e-15);
        assert!(roc_curve(&[true, true], &[0.1, 0.2]).is_none());
    }

    #[test]
    fn calibration_bins_edges_fall_low() {
        let bins = calibration_curve(&[true, false, true], &[0.1, 0.15, 0.95], 10);
        assert_eq!(bins.len(), 3);
        assert_eq!(bins[0].count, 1); // 0.1 sits on the first inner edge: bin 0
        assert_eq!(bins[1].fraction_positive, 0.0);
        assert_eq!(bins[2].mean_predicted, 0.95);
    }

    #[test]
    fn thinning_keeps_ends() {
        let points: Vec<(f64, f64)> = (0..1000).map(|i| (f64::from(i), 0.0)).collect();
        let kept = thin(points);
        assert_eq!(kept.len(), MAX_CURVE_POINTS);
        assert_eq!(kept[0].0, 0.0);
        assert_eq!(kept[MAX_CURVE_POINTS - 1].0, 999.0);
    }
}
