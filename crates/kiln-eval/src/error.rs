//! [`EvalError`]: what the report builders reject, with the position and the values a user needs
//! to find the bad input.

/// Why a report could not be built.
///
/// Indices (`sample`, `class`, `index`) are zero-based positions in the slices that were passed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// There were no samples at all.
    #[error("no samples to evaluate, expected at least one")]
    Empty,

    /// A classification report needs at least two classes.
    #[error("expected at least 2 classes, found {found}")]
    TooFewClasses {
        /// How many class names were passed.
        found: usize,
    },

    /// The probability slice is not `samples × classes` long.
    #[error(
        "expected {expected} probabilities ({samples} samples × {classes} classes), found {found}"
    )]
    ProbabilityCount {
        /// Number of true labels.
        samples: usize,
        /// Number of classes.
        classes: usize,
        /// `samples × classes`.
        expected: usize,
        /// Length of the probability slice.
        found: usize,
    },

    /// `y_pred` and `y_true` differ in length.
    #[error("expected {expected} predictions (one per true value), found {found}")]
    PredictionCount {
        /// Length of `y_true`.
        expected: usize,
        /// Length of `y_pred`.
        found: usize,
    },

    /// A true label is not a valid class index.
    #[error(
        "label {label} of sample {sample} is out of range, expected a class index below {classes}"
    )]
    LabelOutOfRange {
        /// Position of the sample.
        sample: usize,
        /// The label found.
        label: usize,
        /// Number of classes.
        classes: usize,
    },

    /// A probability is NaN, infinite, negative or above 1.
    #[error(
        "probability of class {class} for sample {sample} is {value}, expected a number in [0, 1]"
    )]
    InvalidProbability {
        /// Position of the sample.
        sample: usize,
        /// Class (column) of the value.
        class: usize,
        /// The value found.
        value: f32,
    },

    /// A row of probabilities does not sum to 1 (were logits passed instead of probabilities?).
    #[error("probabilities of sample {sample} sum to {sum:.6}, expected 1 (within {tolerance})")]
    ProbabilitySum {
        /// Position of the sample.
        sample: usize,
        /// The row's sum.
        sum: f64,
        /// The accepted distance from 1.
        tolerance: f64,
    },

    /// A regression target or prediction is NaN or infinite.
    #[error("{which} value {index} is {value}, expected a finite number")]
    NonFiniteValue {
        /// `"y_true"` or `"y_pred"`.
        which: &'static str,
        /// Position of the value.
        index: usize,
        /// The value found.
        value: f64,
    },
}
