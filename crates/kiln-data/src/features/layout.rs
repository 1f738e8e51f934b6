//! The input layout: how a model's encoded inputs form one row, decided by the kinds of its
//! inputs when the encoder is fitted, and what encoding follows.

use crate::error::DataError;
use crate::features::cells::feature_err;
use crate::features::input::FittedInput;
use crate::features::text::TextEncoding;

/// How a model's inputs form one encoded row.
///
/// Fitting refuses an image or a token sequence next to other inputs, so a fitted encoder has
/// the layout its inputs call for; encoding matches on it, and an image or a token sequence is
/// encoded only in its own layout (never written over another input's slots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputLayout {
    /// Feature vectors side by side: `[width]`, the sum of the inputs' widths (numbers,
    /// binaries, one-hot categories, multi-hot texts).
    Tabular {
        /// Values per row.
        width: usize,
    },
    /// The only input is an image: `[channels, height, width]`.
    Image {
        /// Channels.
        channels: usize,
        /// Rows of pixels.
        height: usize,
        /// Pixels per row.
        width: usize,
    },
    /// The only input is a text as token ids: `[length]`, read by an embedding layer.
    Sequence {
        /// Token ids per row.
        length: usize,
        /// Distinct ids (vocabulary + padding + out-of-vocabulary): the embedding's input size.
        ids: usize,
    },
}

impl InputLayout {
    /// The layout of a model with these fitted inputs.
    pub fn of(inputs: &[FittedInput]) -> Self {
        match inputs {
            [
                FittedInput::Image {
                    height,
                    width,
                    channels,
                    ..
                },
            ] => Self::Image {
                channels: *channels,
                height: *height,
                width: *width,
            },
            [FittedInput::Text { text, .. }] => match text.encoding {
                TextEncoding::Sequence { length, .. } => Self::Sequence {
                    length,
                    ids: text.vocabulary.id_count(),
                },
                TextEncoding::MultiHot => Self::tabular(inputs),
            },
            _ => Self::tabular(inputs),
        }
    }

    fn tabular(inputs: &[FittedInput]) -> Self {
        Self::Tabular {
            width: inputs.iter().map(FittedInput::width).sum(),
        }
    }

    /// Shape of one encoded row.
    pub fn shape(&self) -> Vec<usize> {
        match *self {
            Self::Tabular { width } => vec![width],
            Self::Image {
                channels,
                height,
                width,
            } => vec![channels, height, width],
            Self::Sequence { length, .. } => vec![length],
        }
    }
}

/// An image input among others, at fit or encode time.
pub(crate) fn image_not_alone(name: &str) -> DataError {
    feature_err(name, "an image input must be the only input of a model")
}

/// A token-sequence text input among others, at fit or encode time.
pub(crate) fn sequence_not_alone(name: &str) -> DataError {
    feature_err(
        name,
        format!(
            "a text input with encoding = \"{}\" must be the only input of a model",
            kiln_spec::options::TextEncoding::Sequence
        ),
    )
}
