//! The figures of one evaluated split, whichever kind of model produced them: what a model
//! file's header stores per split (`validation`, `test`, `cv_mean`, `fold_N`, `heldout`).

use serde::{Deserialize, Serialize};

use crate::{ClassificationReport, RegressionReport};

/// Evaluation results of one split.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Metrics {
    /// Classification: accuracy, per-class P/R/F1, confusion matrix, log loss.
    Classification(ClassificationReport),
    /// Regression: MAE, RMSE, R².
    Regression(RegressionReport),
    /// Character-level language model: held-out bits per character.
    LanguageModel(LanguageModelReport),
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Classification(r) => r.fmt(f),
            Self::Regression(r) => r.fmt(f),
            Self::LanguageModel(r) => r.fmt(f),
        }
    }
}

impl Metrics {
    /// The headline figure: accuracy, MAE or bits per character.
    pub fn headline(&self) -> (&'static str, f64) {
        match self {
            Self::Classification(r) => ("accuracy", r.accuracy),
            Self::Regression(r) => ("mae", r.mae),
            Self::LanguageModel(r) => ("bits_per_char", r.bits_per_char),
        }
    }

    /// Every single-number figure, by name (`accuracy`, `f1_macro`, `rmse`, ...), as a runs
    /// store records them. Per-class figures are named `precision.CLASS` etc.; the confusion
    /// matrix and counts of rows are left out.
    pub fn scalars(&self) -> Vec<(String, f64)> {
        let named = |pairs: &[(&str, f64)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect::<Vec<_>>()
        };
        match self {
            Self::Classification(r) => {
                let mut out = named(&[
                    ("accuracy", r.accuracy),
                    ("log_loss", r.log_loss),
                    ("precision_macro", r.macro_avg.precision),
                    ("recall_macro", r.macro_avg.recall),
                    ("f1_macro", r.macro_avg.f1),
                    ("precision_weighted", r.weighted_avg.precision),
                    ("recall_weighted", r.weighted_avg.recall),
                    ("f1_weighted", r.weighted_avg.f1),
                ]);
                if let Some(auc) = r.curves.as_ref().and_then(crate::Curves::roc_auc) {
                    out.push(("roc_auc".to_string(), auc));
                }
                for (class, m) in r.classes.iter().zip(&r.per_class) {
                    out.push((format!("precision.{class}"), m.precision));
                    out.push((format!("recall.{class}"), m.recall));
                    out.push((format!("f1.{class}"), m.f1));
                }
                out
            }
            Self::Regression(r) => {
                let mut out = named(&[("mae", r.mae), ("rmse", r.rmse), ("mse", r.mse)]);
                if let Some(r2) = r.r2 {
                    out.push(("r2".to_string(), r2));
                }
                out
            }
            Self::LanguageModel(r) => named(&[
                ("bits_per_char", r.bits_per_char),
                ("cross_entropy", r.cross_entropy),
                ("accuracy", r.accuracy),
                ("unigram_bits_per_char", r.unigram_bits_per_char),
            ]),
        }
    }
}

/// Held-out figures of a language model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageModelReport {
    /// Mean cross-entropy of the held-out characters in bits: the headline figure.
    pub bits_per_char: f64,
    /// The same in nats.
    pub cross_entropy: f64,
    /// Next-character accuracy on the held-out tail.
    pub accuracy: f64,
    /// Held-out characters scored.
    pub chars: usize,
    /// Bits per character of the training text's character frequencies (add-one smoothed) on
    /// the held-out tail: what a model that ignores context scores.
    pub unigram_bits_per_char: f64,
}

impl std::fmt::Display for LanguageModelReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bits/char {:.4} on {} held-out characters (unigram baseline {:.4}); next-character accuracy {:.4}",
            self.bits_per_char, self.chars, self.unigram_bits_per_char, self.accuracy
        )
    }
}
