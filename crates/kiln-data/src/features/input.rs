//! [`FittedInput`]: what fitting learned about one input, by kind; stored in the model file.

use serde::{Deserialize, Serialize};

use crate::features::text::FittedText;

/// How a number input is scaled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NumberTransform {
    /// `(x - mean) / std` (population std; a constant column gets `std = 1`).
    Standardize {
        /// Training mean.
        mean: f64,
        /// Training standard deviation.
        std: f64,
    },
    /// `(x - min) / (max - min)` (a constant column gets a range of 1).
    MinMax {
        /// Training minimum.
        min: f64,
        /// Training maximum.
        max: f64,
    },
    /// Unchanged.
    None,
}

impl NumberTransform {
    /// Applies the transform to one value.
    pub fn apply(&self, x: f64) -> f64 {
        match *self {
            Self::Standardize { mean, std } => (x - mean) / std,
            Self::MinMax { min, max } => {
                let range = if max > min { max - min } else { 1.0 };
                (x - min) / range
            }
            Self::None => x,
        }
    }
}

/// One fitted input feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FittedInput {
    /// A number, scaled; width 1.
    Number {
        /// Column name.
        name: String,
        /// Fitted scaling.
        transform: NumberTransform,
        /// Replaces a missing value; `None` makes a missing value an error.
        fill: Option<f64>,
    },
    /// Two values → 1.0 (`positive`) or 0.0 (`negative`); width 1.
    Binary {
        /// Column name.
        name: String,
        /// The value encoded as 1.
        positive: String,
        /// The value encoded as 0.
        negative: String,
        /// Replaces a missing value; `None` makes a missing value an error.
        #[serde(default)]
        fill: Option<String>,
    },
    /// One-hot over the training vocabulary plus a last "unknown" slot; width
    /// `vocabulary.len() + 1`.
    Category {
        /// Column name.
        name: String,
        /// The values seen in training, sorted.
        vocabulary: Vec<String>,
        /// Replaces a missing value; `None` makes a missing value an error.
        fill: Option<String>,
    },
    /// A fixed-size image, emitted channel-first (`[channels, height, width]`) times `scale`.
    Image {
        /// Column name.
        name: String,
        /// Rows of pixels.
        height: usize,
        /// Pixels per row.
        width: usize,
        /// Channels.
        channels: usize,
        /// Multiplier of each byte (1/255 by default).
        scale: f32,
    },
    /// Text: tokenizer, vocabulary and encoding fitted on the training rows; width
    /// `vocabulary + 1` (multi-hot) or the sequence length (token ids).
    Text {
        /// Column name.
        name: String,
        /// Everything fitted.
        text: FittedText,
    },
}

impl FittedInput {
    /// The column this input reads.
    pub fn name(&self) -> &str {
        match self {
            Self::Number { name, .. }
            | Self::Binary { name, .. }
            | Self::Category { name, .. }
            | Self::Image { name, .. }
            | Self::Text { name, .. } => name,
        }
    }

    /// Number of `f32` values this input contributes per row.
    pub fn width(&self) -> usize {
        match self {
            Self::Number { .. } | Self::Binary { .. } => 1,
            Self::Category { vocabulary, .. } => vocabulary.len() + 1,
            Self::Image {
                height,
                width,
                channels,
                ..
            } => height * width * channels,
            Self::Text { text, .. } => text.width(),
        }
    }
}
