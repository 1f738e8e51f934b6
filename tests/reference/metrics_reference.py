#!/usr/bin/env python3
"""Golden values for kiln-eval's metrics, computed with scikit-learn.

Writes crates/kiln-eval/tests/fixtures/sklearn_metrics.json: the input arrays AND sklearn's
results, so the Rust test (crates/kiln-eval/tests/it/main.rs) reads both from one file and never
re-types an array. Re-run after changing a case:

    python3 -m venv tests/reference/.venv
    tests/reference/.venv/bin/pip install scikit-learn numpy
    tests/reference/.venv/bin/python tests/reference/metrics_reference.py

Probabilities are integer weights over 64, so every value is exact in f32 and f64 and every row
sums to exactly 1. That keeps the comparison about the metric, not about rounding: kiln receives
f32 probabilities, and it clips to [1e-15, 1 - 1e-15] and renormalises (sklearn <= 1.4), while
sklearn >= 1.5 clips to machine epsilon and does not renormalise. On these rows (true-class
probability >= 1/64, rows summing to 1) the two agree far below the 1e-9 test tolerance.
"""

import json
import platform
from pathlib import Path

import numpy as np
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_curve,
    precision_recall_fscore_support,
    r2_score,
    roc_auc_score,
    roc_curve,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "kiln-eval" / "tests" / "fixtures" / "sklearn_metrics.json"

CLASSIFICATION = [
    {
        # Class 2 ("bird") occurs in y_true but is never the argmax: its precision hits
        # zero_division. Sample 4 is a tie between classes 0 and 1 (24/64 each): argmax takes
        # the first, like numpy.
        "name": "three_class_empty_predicted",
        "classes": ["cat", "dog", "bird"],
        "y_true": [0, 0, 1, 1, 2, 2, 0, 1, 2, 0],
        "weights": [
            [40, 16, 8],
            [20, 36, 8],
            [8, 48, 8],
            [30, 26, 8],
            [24, 24, 16],
            [10, 40, 14],
            [60, 2, 2],
            [4, 58, 2],
            [33, 1, 30],
            [50, 10, 4],
        ],
    },
    {
        "name": "binary",
        "classes": ["negative", "positive"],
        "y_true": [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1],
        "weights": [
            [56, 8],
            [12, 52],
            [40, 24],
            [30, 34],
            [1, 63],
            [63, 1],
            [20, 44],
            [32, 32],
            [8, 56],
            [48, 16],
            [2, 62],
            [36, 28],
        ],
    },
    {
        # Class 3 ("d") is absent from both y_true and the predictions: precision, recall and
        # F1 are all 0 by zero_division, and it still counts in the macro average.
        "name": "four_class_absent_class",
        "classes": ["a", "b", "c", "d"],
        "y_true": [0, 1, 2, 0, 1, 2, 2],
        "weights": [
            [40, 10, 10, 4],
            [10, 40, 10, 4],
            [10, 10, 40, 4],
            [10, 40, 10, 4],
            [40, 10, 10, 4],
            [10, 10, 40, 4],
            [30, 10, 20, 4],
        ],
    },
]

REGRESSION = [
    {
        "name": "regression",
        "y_true": [3.0, -0.5, 2.0, 7.0, 4.25, 0.0, -1.75, 10.5],
        "y_pred": [2.5, 0.0, 2.0, 8.0, 3.5, 0.5, -2.0, 9.0],
    },
    {
        # Constant y_true with imperfect predictions: sklearn defines R^2 as 0.0.
        "name": "constant_target",
        "y_true": [2.5, 2.5, 2.5, 2.5],
        "y_pred": [2.0, 3.0, 2.5, 2.25],
    },
    {
        # Constant y_true predicted perfectly: sklearn defines R^2 as 1.0.
        "name": "constant_target_perfect",
        "y_true": [-1.25, -1.25, -1.25],
        "y_pred": [-1.25, -1.25, -1.25],
    },
]


def one_vs_rest(positive, scores):
    """ROC and precision-recall of one class against the rest (None where undefined)."""
    out = {"roc": None, "roc_auc": None, "pr": None, "average_precision": None}
    if positive.any() and not positive.all():
        fpr, tpr, _ = roc_curve(positive, scores, drop_intermediate=False)
        out["roc"] = {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
        out["roc_auc"] = float(roc_auc_score(positive, scores))
    if positive.any():
        precision, recall, _ = precision_recall_curve(positive, scores, drop_intermediate=False)
        out["pr"] = {"precision": precision.tolist(), "recall": recall.tolist()}
        out["average_precision"] = float(average_precision_score(positive, scores))
    return out


def curves(y_true, probs, k):
    """kiln's Curves: the positive class for two classes, else every class against the rest;
    calibration of the positive class's probability (two classes) or top-label (more)."""
    if k == 2:
        per_class = [one_vs_rest(y_true == 1, probs[:, 1])]
        cal_true, cal_prob = y_true == 1, probs[:, 1]
    else:
        per_class = [one_vs_rest(y_true == c, probs[:, c]) for c in range(k)]
        cal_true, cal_prob = probs.argmax(axis=1) == y_true, probs.max(axis=1)
    frac, mean = calibration_curve(cal_true, cal_prob, n_bins=10, strategy="uniform")
    aucs = [c["roc_auc"] for c in per_class if c["roc_auc"] is not None]
    out = {
        "per_class": per_class,
        "calibration": {"fraction_positive": frac.tolist(), "mean_predicted": mean.tolist()},
        "roc_auc_mean": float(np.mean(aucs)) if aucs else None,
    }
    if k > 2 and all(c["roc_auc"] is not None for c in per_class):
        # Every class occurs: the mean is sklearn's one-vs-rest macro AUC.
        out["roc_auc_ovr_macro"] = float(roc_auc_score(y_true, probs, multi_class="ovr"))
    return out


def classification_case(case):
    weights = np.asarray(case["weights"], dtype=np.int64)
    assert (weights.sum(axis=1) == 64).all(), case["name"]
    # f32 first: these are exactly the values kiln will see.
    probs = (weights / 64.0).astype(np.float32).astype(np.float64)
    y_true = np.asarray(case["y_true"])
    k = len(case["classes"])
    labels = list(range(k))
    y_pred = probs.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )

    def averaged(average):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        return {"precision": float(p), "recall": float(r), "f1": float(f)}

    return {
        "name": case["name"],
        "classes": case["classes"],
        "y_true": case["y_true"],
        "probs": probs.tolist(),
        "expected": {
            "y_pred": y_pred.tolist(),
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "log_loss": float(log_loss(y_true, probs, labels=labels)),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "support": support.tolist(),
            "macro_avg": averaged("macro"),
            "weighted_avg": averaged("weighted"),
            "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
            "curves": curves(y_true, probs, k),
        },
    }


def regression_case(case):
    y_true = np.asarray(case["y_true"], dtype=np.float64)
    y_pred = np.asarray(case["y_pred"], dtype=np.float64)
    mse = mean_squared_error(y_true, y_pred)
    return {
        "name": case["name"],
        "y_true": case["y_true"],
        "y_pred": case["y_pred"],
        "expected": {
            "mae": float(mean_absolute_error(y_true, y_pred)),
            "mse": float(mse),
            "rmse": float(np.sqrt(mse)),
            "r2": float(r2_score(y_true, y_pred)),
        },
    }


def main():
    golden = {
        "generator": "tests/reference/metrics_reference.py",
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "classification": [classification_case(c) for c in CLASSIFICATION],
        "regression": [regression_case(c) for c in REGRESSION],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
