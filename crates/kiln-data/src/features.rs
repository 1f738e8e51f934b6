//! Fitted feature transforms: checked inputs (`kiln_spec::settings::Input`) → fitted encoders →
//! `f32` network inputs.
//!
//! [`Encoder::fit`] learns everything a transform needs (means, vocabularies, class lists, fill
//! values) from the training rows only. The fitted [`Encoder`] is serialisable and is stored in
//! the model file, so serving encodes exactly as training did.

use std::collections::{BTreeMap, HashMap};

use kiln_spec::options::{self, DiscreteMissing, ImageTransform, NumberMissing, OutputTransform};
use kiln_spec::settings::{ImageInput, Input, NumberInput, Output};
use kiln_spec::types::OutputKind;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::read::format_number;
use crate::table::{Column, ColumnData, Table};
use crate::text::{FittedText, TextEncoding, fit_text};
pub use crate::warning::Warning;

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

/// The fitted output feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FittedOutput {
    /// Multi-class: the class list, sorted (numerically when every class is a number).
    Category {
        /// Column name.
        name: String,
        /// Class names; a target's class index is its position here.
        classes: Vec<String>,
    },
    /// Two classes: `classes[0]` is encoded 0, `classes[1]` is encoded 1.
    Binary {
        /// Column name.
        name: String,
        /// `[negative, positive]`.
        classes: [String; 2],
    },
    /// Regression; targets are `(y - mean) / std` (`0`/`1` when not standardised).
    Number {
        /// Column name.
        name: String,
        /// Training mean (0 when not standardised).
        mean: f64,
        /// Training standard deviation (1 when not standardised).
        std: f64,
    },
}

impl FittedOutput {
    /// The column this output reads.
    pub fn name(&self) -> &str {
        match self {
            Self::Category { name, .. } | Self::Binary { name, .. } | Self::Number { name, .. } => {
                name
            }
        }
    }
}

/// Encoded inputs: `rows` rows of `row_shape` values each, row-major in `data`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Encoded {
    /// `rows * row_shape.iter().product()` values.
    pub data: Vec<f32>,
    /// Number of rows.
    pub rows: usize,
    /// Shape of one row: `[d]` for tabular inputs, `[channels, height, width]` for an image.
    pub row_shape: Vec<usize>,
}

impl Encoded {
    /// Values per row.
    pub fn row_len(&self) -> usize {
        self.row_shape.iter().product()
    }

    /// The values of row `i`.
    ///
    /// # Panics
    /// If `i >= rows`.
    pub fn row(&self, i: usize) -> &[f32] {
        let d = self.row_len();
        &self.data[i * d..(i + 1) * d]
    }
}

/// Encoded targets, one per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// Class indices (category and binary outputs).
    Classes(Vec<i64>),
    /// Regression values, standardised when the output says so.
    Values(Vec<f32>),
}

impl Targets {
    /// Number of targets.
    pub fn len(&self) -> usize {
        match self {
            Self::Classes(v) => v.len(),
            Self::Values(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// All fitted inputs and the fitted output of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Inputs in the order the network sees them.
    pub inputs: Vec<FittedInput>,
    /// The output.
    pub output: FittedOutput,
}

fn feature_err(feature: &str, message: impl Into<String>) -> DataError {
    DataError::Feature {
        feature: feature.to_string(),
        message: message.into(),
    }
}

fn wrong_type(column: &Column, expected: &str) -> DataError {
    DataError::WrongType {
        column: column.name.clone(),
        expected: expected.to_string(),
        found: column.data.kind_name().to_string(),
    }
}

fn first_missing(column: &Column, rows: &[usize]) -> Option<usize> {
    rows.iter().copied().find(|&r| column.data.is_missing(r))
}

/// Text view of a number or text cell; `None` when missing.
fn cell_text(data: &ColumnData, row: usize) -> Option<String> {
    match data {
        ColumnData::Number(v) => (!v[row].is_nan()).then(|| format_number(v[row])),
        ColumnData::Text(v) => v[row].clone(),
        ColumnData::Bytes(v) => v[row]
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        ColumnData::Image(_) => None,
    }
}

/// Sorted distinct values: numerically when all parse as numbers, else lexicographically.
fn sorted_distinct(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut set: Vec<String> = values
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let numeric: Option<Vec<f64>> = set.iter().map(|s| s.trim().parse::<f64>().ok()).collect();
    if let Some(nums) = numeric {
        let mut pairs: Vec<(f64, String)> = nums.into_iter().zip(set).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        set = pairs.into_iter().map(|p| p.1).collect();
    }
    set
}

fn most_frequent<'a>(values: impl IntoIterator<Item = &'a String>) -> Option<String> {
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    // BTreeMap order makes ties go to the smallest value.
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|&(_, c)| c == best)
        .map(|(v, _)| v.clone())
}

/// The text of a category or binary input's `fill` value.
fn json_fill_text(name: &str, fill: Option<&serde_json::Value>) -> Result<String> {
    match fill {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => Ok(format_number(n.as_f64().unwrap_or(f64::NAN))),
        Some(serde_json::Value::Bool(b)) => Ok(b.to_string()),
        _ => Err(feature_err(
            name,
            format!(
                "`missing = \"{}\"` needs a `fill` value",
                DiscreteMissing::Constant
            ),
        )),
    }
}

fn fit_number(spec: &NumberInput, column: &Column, rows: &[usize]) -> Result<FittedInput> {
    let ColumnData::Number(values) = &column.data else {
        return Err(wrong_type(column, "number"));
    };
    let present: Vec<f64> = rows
        .iter()
        .map(|&r| values[r])
        .filter(|v| !v.is_nan())
        .collect();
    let fill = match spec.missing {
        NumberMissing::Error => {
            if let Some(row) = first_missing(column, rows) {
                return Err(DataError::Missing {
                    column: column.name.clone(),
                    row,
                });
            }
            None
        }
        NumberMissing::Mean => Some(mean(&present)),
        NumberMissing::Median => Some(median(&present)),
        NumberMissing::Mode => {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for v in &present {
                *counts.entry(v.to_bits()).or_default() += 1;
            }
            let best = counts.values().copied().max().unwrap_or(0);
            present
                .iter()
                .copied()
                .filter(|v| counts[&v.to_bits()] == best)
                .min_by(f64::total_cmp)
        }
        NumberMissing::Constant => match &spec.fill {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .map(Some)
        .ok_or_else(|| {
            feature_err(
                &spec.name,
                format!(
                    "`missing = \"{}\"` needs a numeric `fill` value",
                    NumberMissing::Constant
                ),
            )
        })?,
    };
    if present.is_empty() && spec.missing != NumberMissing::Constant {
        return Err(feature_err(&spec.name, "no values in the training rows"));
    }
    let filled: Vec<f64> = rows
        .iter()
        .map(|&r| {
            let v = values[r];
            if v.is_nan() { fill.unwrap_or(v) } else { v }
        })
        .collect();
    let transform = match spec.transform {
        options::NumberTransform::Standardize => {
            let m = mean(&filled);
            NumberTransform::Standardize {
                mean: m,
                std: nonzero(std(&filled, m)),
            }
        }
        options::NumberTransform::MinMax => NumberTransform::MinMax {
            min: filled.iter().copied().fold(f64::INFINITY, f64::min),
            max: filled.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        },
        options::NumberTransform::None => NumberTransform::None,
    };
    Ok(FittedInput::Number {
        name: spec.name.clone(),
        transform,
        fill,
    })
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

fn std(v: &[f64], mean: f64) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    }
}

fn nonzero(s: f64) -> f64 {
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Distinct training values of a text or number column, plus the fill for its policy.
fn fit_levels(
    name: &str,
    missing: DiscreteMissing,
    fill: Option<&serde_json::Value>,
    column: &Column,
    rows: &[usize],
) -> Result<(Vec<String>, Option<String>)> {
    if matches!(column.data, ColumnData::Image(_)) {
        return Err(wrong_type(column, "number or text"));
    }
    let present: Vec<String> = rows
        .iter()
        .filter_map(|&r| cell_text(&column.data, r))
        .collect();
    let fill = match missing {
        DiscreteMissing::Error => {
            if let Some(row) = first_missing(column, rows) {
                return Err(DataError::Missing {
                    column: column.name.clone(),
                    row,
                });
            }
            None
        }
        DiscreteMissing::Mode => most_frequent(&present),
        DiscreteMissing::Constant => Some(json_fill_text(name, fill)?),
    };
    Ok((sorted_distinct(present), fill))
}

/// Words that mean "yes" / "no" in a binary column, lowercase.
const TRUTHY: [&str; 5] = ["1", "true", "yes", "y", "t"];
const FALSY: [&str; 5] = ["0", "false", "no", "n", "f"];

/// Orders two values as `[negative, positive]`: a recognised false/true pair, else sorted.
fn binary_pair(feature: &str, mut levels: Vec<String>) -> Result<[String; 2]> {
    let is = |s: &str, words: &[&str]| words.contains(&s.trim().to_ascii_lowercase().as_str());
    match levels.len() {
        2 => {
            if is(&levels[0], &TRUTHY) && is(&levels[1], &FALSY) {
                levels.swap(0, 1);
            }
            let [a, b]: [String; 2] = levels.try_into().expect("two levels");
            Ok([a, b])
        }
        // One value seen in training: complete a recognisable pair, else there is nothing to learn.
        1 => {
            let v = levels.pop().expect("one level");
            let lower = v.trim().to_ascii_lowercase();
            if let Some(i) = TRUTHY.iter().position(|t| *t == lower) {
                Ok([FALSY[i].to_string(), v])
            } else if let Some(i) = FALSY.iter().position(|f| *f == lower) {
                Ok([v, TRUTHY[i].to_string()])
            } else {
                Err(feature_err(
                    feature,
                    format!("a binary feature needs two values, the training rows only have `{v}`"),
                ))
            }
        }
        0 => Err(feature_err(feature, "no values in the training rows")),
        n => Err(feature_err(
            feature,
            format!(
                "a binary feature needs two values, found {n}: {}; use type = \"category\"",
                levels
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn fit_image(spec: &ImageInput, column: &Column) -> Result<FittedInput> {
    let ColumnData::Image(img) = &column.data else {
        return Err(wrong_type(column, "image"));
    };
    let scale = match spec.transform {
        ImageTransform::Scale => 1.0 / 255.0,
        ImageTransform::None => 1.0,
    };
    Ok(FittedInput::Image {
        name: spec.name.clone(),
        height: img.height,
        width: img.width,
        channels: img.channels,
        scale,
    })
}

fn fit_output(spec: &Output, column: &Column, rows: &[usize]) -> Result<FittedOutput> {
    let missing = |row| DataError::Missing {
        column: column.name.clone(),
        row,
    };
    match spec.kind {
        OutputKind::Number => {
            let ColumnData::Number(values) = &column.data else {
                return Err(wrong_type(column, "number"));
            };
            if let Some(row) = first_missing(column, rows) {
                return Err(missing(row));
            }
            let (mean, std) = match spec.transform {
                OutputTransform::None => (0.0, 1.0),
                OutputTransform::Standardize => {
                    let v: Vec<f64> = rows.iter().map(|&r| values[r]).collect();
                    let m = self::mean(&v);
                    (m, nonzero(self::std(&v, m)))
                }
            };
            Ok(FittedOutput::Number {
                name: spec.name.clone(),
                mean,
                std,
            })
        }
        OutputKind::Category | OutputKind::Binary => {
            if matches!(column.data, ColumnData::Image(_)) {
                return Err(wrong_type(column, "number or text"));
            }
            if let Some(row) = first_missing(column, rows) {
                return Err(missing(row));
            }
            let classes = sorted_distinct(rows.iter().filter_map(|&r| cell_text(&column.data, r)));
            if spec.kind == OutputKind::Binary {
                Ok(FittedOutput::Binary {
                    name: spec.name.clone(),
                    classes: binary_pair(&spec.name, classes)?,
                })
            } else {
                if classes.len() < 2 {
                    return Err(feature_err(
                        &spec.name,
                        format!(
                            "a category output needs at least two classes, found {}",
                            classes.len()
                        ),
                    ));
                }
                Ok(FittedOutput::Category {
                    name: spec.name.clone(),
                    classes,
                })
            }
        }
    }
}

/// Class index per row of `table` for a classification output, computed from the whole column
/// (sorted distinct values): what a stratified split needs before any encoder is fitted.
/// `None` for a regression output.
///
/// # Errors
/// [`DataError::UnknownColumn`], [`DataError::WrongType`] or [`DataError::Missing`].
pub fn strata_for(table: &Table, output: &Output) -> Result<Option<Vec<usize>>> {
    if output.kind == OutputKind::Number {
        return Ok(None);
    }
    let column = table.require(&output.name)?;
    let rows: Vec<usize> = (0..table.len()).collect();
    let fitted = fit_output(output, column, &rows)?;
    let encoder = Encoder {
        inputs: Vec::new(),
        output: fitted,
    };
    Ok(encoder.strata(table))
}

impl Encoder {
    /// Fits every input and the output on `train` (the training rows only).
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`] for a column not in `train`, [`DataError::WrongType`] for a
    /// column of the wrong kind, [`DataError::Missing`] for a missing value under the `error`
    /// policy, [`DataError::Feature`] for a `fill` value of the wrong type or for an image input
    /// mixed with other inputs.
    pub fn fit(train: &Table, inputs: &[Input], output: &Output) -> Result<Self> {
        let rows: Vec<usize> = (0..train.len()).collect();
        Self::fit_rows(train, &rows, inputs, output)
    }

    /// Like [`Encoder::fit`], on the rows `rows` of `table`, so that errors name rows of the
    /// whole table.
    ///
    /// # Errors
    /// As [`Encoder::fit`].
    pub fn fit_rows(
        table: &Table,
        rows: &[usize],
        inputs: &[Input],
        output: &Output,
    ) -> Result<Self> {
        if inputs.is_empty() {
            return Err(feature_err(&output.name, "the model has no input features"));
        }
        let mut fitted = Vec::with_capacity(inputs.len());
        for input in inputs {
            let column = table.require(input.name())?;
            fitted.push(match input {
                Input::Number(spec) => fit_number(spec, column, rows)?,
                Input::Category(spec) => {
                    let (vocabulary, fill) =
                        fit_levels(&spec.name, spec.missing, spec.fill.as_ref(), column, rows)?;
                    FittedInput::Category {
                        name: spec.name.clone(),
                        vocabulary,
                        fill,
                    }
                }
                Input::Binary(spec) => {
                    let (levels, fill) =
                        fit_levels(&spec.name, spec.missing, spec.fill.as_ref(), column, rows)?;
                    let [negative, positive] = binary_pair(&spec.name, levels)?;
                    FittedInput::Binary {
                        name: spec.name.clone(),
                        positive,
                        negative,
                        fill,
                    }
                }
                Input::Image(spec) => {
                    if inputs.len() > 1 {
                        return Err(feature_err(
                            &spec.name,
                            "an image input must be the only input of a model",
                        ));
                    }
                    fit_image(spec, column)?
                }
                Input::Text(spec) => {
                    if spec.encoding == options::TextEncoding::Sequence && inputs.len() > 1 {
                        return Err(feature_err(
                            &spec.name,
                            format!(
                                "a text input with encoding = \"{}\" must be the only input of a model",
                                options::TextEncoding::Sequence
                            ),
                        ));
                    }
                    FittedInput::Text {
                        name: spec.name.clone(),
                        text: fit_text(spec, column, rows)?,
                    }
                }
            });
        }
        let column = table.require(&output.name)?;
        let output = fit_output(output, column, rows)?;
        Ok(Self {
            inputs: fitted,
            output,
        })
    }

    /// Shape of one encoded row: `[d]` (sum of the input widths) for tabular inputs,
    /// `[channels, height, width]` for an image.
    pub fn input_shape(&self) -> Vec<usize> {
        match self.inputs.as_slice() {
            [
                FittedInput::Image {
                    height,
                    width,
                    channels,
                    ..
                },
            ] => vec![*channels, *height, *width],
            inputs => vec![inputs.iter().map(FittedInput::width).sum()],
        }
    }

    /// Refuses to encode `rows` rows when the dense `f32` matrix would need more than `budget`
    /// bytes (`None`: no limit known), naming the widest input and what to change.
    ///
    /// # Errors
    /// [`DataError::TooLarge`] with the estimate.
    pub fn check_memory(&self, rows: usize, budget: Option<u64>) -> Result<()> {
        let width: usize = self.inputs.iter().map(FittedInput::width).sum();
        let bytes = (rows as u64).saturating_mul(width as u64).saturating_mul(4);
        let Some(budget) = budget.filter(|&b| bytes > b) else {
            return Ok(());
        };
        let widest = self
            .inputs
            .iter()
            .max_by_key(|i| i.width())
            .expect("an encoder has inputs");
        let advice = match widest {
            FittedInput::Text { text, .. } => match text.encoding {
                TextEncoding::MultiHot => format!(
                    "input `{}` is a multi-hot vector over a {}-token vocabulary: lower max_tokens (or raise min_frequency), or use encoding = \"{}\"",
                    widest.name(),
                    text.vocabulary.len(),
                    options::TextEncoding::Sequence
                ),
                TextEncoding::Sequence { length, .. } => format!(
                    "input `{}` is a sequence of {length} tokens: lower length",
                    widest.name()
                ),
            },
            other => format!(
                "the widest input is `{}` ({} values)",
                other.name(),
                other.width()
            ),
        };
        Err(DataError::TooLarge {
            rows,
            width,
            bytes,
            budget,
            advice,
        })
    }

    /// One line per text input saying what fitting decided (vocabulary, coverage, encoding, and
    /// the sequence length chosen by `length = "auto"`), for the training report.
    pub fn notes(&self) -> Vec<String> {
        self.inputs
            .iter()
            .filter_map(|i| match i {
                FittedInput::Text { name, text } => {
                    Some(format!("input `{name}`: {}", text.describe()))
                }
                _ => None,
            })
            .collect()
    }

    /// For a model whose input is a text sequence: how many distinct token ids it can hold
    /// (vocabulary + padding + out-of-vocabulary), the input size an embedding layer needs.
    pub fn token_id_count(&self) -> Option<usize> {
        match self.inputs.as_slice() {
            [FittedInput::Text { text, .. }]
                if matches!(text.encoding, TextEncoding::Sequence { .. }) =>
            {
                Some(text.vocabulary.id_count())
            }
            _ => None,
        }
    }

    /// Width of the network's output: the number of classes for a category output, 1 for binary
    /// and number outputs.
    pub fn output_size(&self) -> usize {
        match &self.output {
            FittedOutput::Category { classes, .. } => classes.len(),
            FittedOutput::Binary { .. } | FittedOutput::Number { .. } => 1,
        }
    }

    /// The class names of a classification output (index = class index), `None` for regression.
    pub fn class_names(&self) -> Option<&[String]> {
        match &self.output {
            FittedOutput::Category { classes, .. } => Some(classes),
            FittedOutput::Binary { classes, .. } => Some(classes),
            FittedOutput::Number { .. } => None,
        }
    }

    /// Encodes every row of `table`. Categories not seen in training go to the unknown bucket
    /// and are reported as one [`Warning`] per column with the number of rows concerned.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`] for a missing input column, [`DataError::WrongType`],
    /// [`DataError::Missing`] for a missing value without a fill, [`DataError::Feature`] for a
    /// binary value that is neither of the two, or an image of another size.
    pub fn encode_inputs(&self, table: &Table) -> Result<(Encoded, Vec<Warning>)> {
        let rows = table.len();
        let row_shape = self.input_shape();
        let d: usize = row_shape.iter().product();
        self.check_memory(
            rows,
            crate::memory::budget((rows as u64).saturating_mul(d as u64).saturating_mul(4)),
        )?;
        let mut data = vec![0f32; rows * d];
        let mut warnings = Vec::new();
        let mut offset = 0;
        for input in &self.inputs {
            let column = table.require(input.name())?;
            let missing = |row| DataError::Missing {
                column: column.name.clone(),
                row,
            };
            match input {
                FittedInput::Number {
                    transform, fill, ..
                } => {
                    let ColumnData::Number(values) = &column.data else {
                        return Err(wrong_type(column, "number"));
                    };
                    for (r, &v) in values.iter().enumerate() {
                        let v = if v.is_nan() {
                            fill.ok_or_else(|| missing(r))?
                        } else {
                            v
                        };
                        data[r * d + offset] = transform.apply(v) as f32;
                    }
                }
                FittedInput::Binary {
                    positive,
                    negative,
                    fill,
                    ..
                } => {
                    if matches!(column.data, ColumnData::Image(_)) {
                        return Err(wrong_type(column, "number or text"));
                    }
                    for r in 0..rows {
                        let v = match cell_text(&column.data, r) {
                            Some(v) => v,
                            None => fill.clone().ok_or_else(|| missing(r))?,
                        };
                        let same = |a: &str| a.trim().eq_ignore_ascii_case(v.trim());
                        data[r * d + offset] = if same(positive) {
                            1.0
                        } else if same(negative) {
                            0.0
                        } else {
                            return Err(feature_err(
                                &column.name,
                                format!(
                                    "row {r}: value `{v}` is neither `{positive}` nor `{negative}`"
                                ),
                            ));
                        };
                    }
                }
                FittedInput::Category {
                    vocabulary, fill, ..
                } => {
                    if matches!(column.data, ColumnData::Image(_)) {
                        return Err(wrong_type(column, "number or text"));
                    }
                    let index: HashMap<&str, usize> = vocabulary
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v.as_str(), i))
                        .collect();
                    let mut unknown = 0usize;
                    let mut example = None;
                    for r in 0..rows {
                        let v = match cell_text(&column.data, r) {
                            Some(v) => v,
                            None => fill.clone().ok_or_else(|| missing(r))?,
                        };
                        let slot = index.get(v.as_str()).copied().unwrap_or_else(|| {
                            unknown += 1;
                            example.get_or_insert(v);
                            vocabulary.len()
                        });
                        data[r * d + offset + slot] = 1.0;
                    }
                    if unknown > 0 {
                        warnings.push(Warning {
                            column: column.name.clone(),
                            message: format!(
                                "{unknown} row{} with categories not seen in training (e.g. `{}`) went to the unknown bucket",
                                if unknown == 1 { "" } else { "s" },
                                example.unwrap_or_default()
                            ),
                        });
                    }
                }
                FittedInput::Image {
                    height,
                    width,
                    channels,
                    scale,
                    ..
                } => {
                    let ColumnData::Image(img) = &column.data else {
                        return Err(wrong_type(column, "image"));
                    };
                    if (img.height, img.width, img.channels) != (*height, *width, *channels) {
                        return Err(feature_err(
                            &column.name,
                            format!(
                                "expected {height}×{width}×{channels} images, found {}×{}×{}",
                                img.height, img.width, img.channels
                            ),
                        ));
                    }
                    encode_images_chw(&img.pixels, *height * *width, *channels, *scale, &mut data);
                }
                FittedInput::Text { text, .. } => {
                    text.encode_column(column, &mut data, d, offset, &mut warnings)?;
                }
            }
            offset += input.width();
        }
        Ok((
            Encoded {
                data,
                rows,
                row_shape,
            },
            warnings,
        ))
    }

    /// Encodes the output column of `table`: class indices, or (standardised) values.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`], [`DataError::WrongType`], [`DataError::Missing`], or
    /// [`DataError::Feature`] for a class not seen in training.
    pub fn encode_targets(&self, table: &Table) -> Result<Targets> {
        let column = table.require(self.output.name())?;
        let missing = |row| DataError::Missing {
            column: column.name.clone(),
            row,
        };
        match &self.output {
            FittedOutput::Number { mean, std, .. } => {
                let ColumnData::Number(values) = &column.data else {
                    return Err(wrong_type(column, "number"));
                };
                values
                    .iter()
                    .enumerate()
                    .map(|(r, &v)| {
                        if v.is_nan() {
                            Err(missing(r))
                        } else {
                            Ok(((v - mean) / std) as f32)
                        }
                    })
                    .collect::<Result<_>>()
                    .map(Targets::Values)
            }
            FittedOutput::Category { .. } | FittedOutput::Binary { .. } => {
                let classes = self.class_names().expect("classification output");
                if matches!(column.data, ColumnData::Image(_)) {
                    return Err(wrong_type(column, "number or text"));
                }
                let index = class_index(classes);
                (0..table.len())
                    .map(|r| {
                        let v = cell_text(&column.data, r).ok_or_else(|| missing(r))?;
                        lookup_class(&index, &v)
                            .map(|i| i as i64)
                            .ok_or_else(|| {
                                feature_err(
                                    &column.name,
                                    format!(
                                        "row {r}: class `{v}` was not seen in training; known classes: {}",
                                        classes.join(", ")
                                    ),
                                )
                            })
                    })
                    .collect::<Result<_>>()
                    .map(Targets::Classes)
            }
        }
    }

    /// Turns a network output of a regression model back into the target's units.
    pub fn decode_value(&self, value: f32) -> f64 {
        match &self.output {
            FittedOutput::Number { mean, std, .. } => f64::from(value) * std + mean,
            _ => f64::from(value),
        }
    }

    /// Class index per row of `table` for stratified splits; `None` for regression or when the
    /// output column is absent. Missing values and classes not seen in training get the index
    /// `classes.len()`, so that they form a stratum of their own.
    pub fn strata(&self, table: &Table) -> Option<Vec<usize>> {
        let classes = self.class_names()?;
        let column = table.column(self.output.name())?;
        let index = class_index(classes);
        Some(
            (0..table.len())
                .map(|r| {
                    cell_text(&column.data, r)
                        .and_then(|v| lookup_class(&index, &v))
                        .unwrap_or(classes.len())
                })
                .collect(),
        )
    }
}

fn class_index(classes: &[String]) -> HashMap<String, usize> {
    classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.trim().to_ascii_lowercase(), i))
        .collect()
}

fn lookup_class(index: &HashMap<String, usize>, v: &str) -> Option<usize> {
    index.get(&v.trim().to_ascii_lowercase()).copied()
}

/// Writes `[n, hw, c]` bytes as `[n, c, hw]` floats times `scale` into `out`.
fn encode_images_chw(pixels: &[u8], hw: usize, c: usize, scale: f32, out: &mut [f32]) {
    if c == 1 {
        for (o, &p) in out.iter_mut().zip(pixels) {
            *o = f32::from(p) * scale;
        }
        return;
    }
    let size = hw * c;
    for (src, dst) in pixels.chunks_exact(size).zip(out.chunks_exact_mut(size)) {
        for (i, px) in src.chunks_exact(c).enumerate() {
            for (ch, &p) in px.iter().enumerate() {
                dst[ch * hw + i] = f32::from(p) * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::ImageData;
    use kiln_spec::types::FeatureKind;

    fn feature(name: &str, kind: FeatureKind) -> Input {
        Input::new(name, kind)
    }

    fn output(name: &str, kind: OutputKind) -> Output {
        Output::new(name, kind)
    }

    fn text(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some((*s).to_string())).collect()
    }

    fn table() -> Table {
        Table::new(vec![
            Column::number("x", vec![1.0, 2.0, 3.0, 6.0]),
            Column::text("colour", text(&["red", "blue", "red", "green"])),
            Column::text("flag", text(&["yes", "no", "no", "yes"])),
            Column::number("y", vec![10.0, 20.0, 30.0, 40.0]),
            Column::text("label", text(&["b", "a", "b", "c"])),
        ])
        .unwrap()
    }

    #[test]
    fn standardize_and_minmax_by_hand() {
        let t = table();
        let f = feature("x", FeatureKind::Number);
        let enc = Encoder::fit(&t, &[f], &output("y", OutputKind::Number)).unwrap();
        // mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
        let std = 3.5f64.sqrt();
        assert_eq!(
            enc.inputs[0],
            FittedInput::Number {
                name: "x".into(),
                transform: NumberTransform::Standardize { mean: 3.0, std },
                fill: None
            }
        );
        let (e, w) = enc.encode_inputs(&t).unwrap();
        assert!(w.is_empty());
        assert_eq!(e.row_shape, vec![1]);
        for (got, x) in e.data.iter().zip([1.0, 2.0, 3.0, 6.0]) {
            assert!((f64::from(*got) - (x - 3.0) / std).abs() < 1e-6);
        }
        let f = Input::Number(NumberInput {
            transform: options::NumberTransform::MinMax,
            ..NumberInput::new("x")
        });
        let enc = Encoder::fit(&t, &[f], &output("y", OutputKind::Number)).unwrap();
        let (e, _) = enc.encode_inputs(&t).unwrap();
        assert_eq!(e.data, vec![0.0, 0.2, 0.4, 1.0]);
    }

    #[test]
    fn regression_targets_standardize_and_decode() {
        let t = table();
        let mut o = output("y", OutputKind::Number);
        o.transform = OutputTransform::Standardize;
        let enc = Encoder::fit(&t, &[feature("x", FeatureKind::Number)], &o).unwrap();
        let Targets::Values(v) = enc.encode_targets(&t).unwrap() else {
            panic!()
        };
        // mean 25, std sqrt(125).
        assert!((f64::from(v[0]) - (-15.0 / 125f64.sqrt())).abs() < 1e-6);
        assert!((enc.decode_value(v[3]) - 40.0).abs() < 1e-4);
        assert!(enc.strata(&t).is_none());
        assert!(enc.class_names().is_none());
    }

    #[test]
    fn unknown_category_goes_to_unknown_bucket_with_warning() {
        let t = table();
        let enc = Encoder::fit(
            &t.take(&[0, 1]),
            &[feature("colour", FeatureKind::Category)],
            &output("label", OutputKind::Category),
        )
        .unwrap();
        assert_eq!(enc.input_shape(), vec![3]);
        let (e, w) = enc.encode_inputs(&t).unwrap();
        // vocabulary [blue, red] + unknown.
        assert_eq!(e.data, vec![0., 1., 0., 1., 0., 0., 0., 1., 0., 0., 0., 1.]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].column, "colour");
        assert!(w[0].message.starts_with("1 row "), "{}", w[0].message);
        assert!(w[0].message.contains("`green`"));
    }

    #[test]
    fn missing_value_error_names_row_and_column() {
        let t = Table::new(vec![
            Column::number("x", vec![1.0, f64::NAN, 3.0]),
            Column::number("y", vec![0.0, 1.0, 0.0]),
        ])
        .unwrap();
        let err = Encoder::fit(
            &t,
            &[feature("x", FeatureKind::Number)],
            &output("y", OutputKind::Number),
        )
        .unwrap_err();
        assert!(matches!(&err, DataError::Missing { column, row: 1 } if column == "x"));
        assert!(
            err.to_string()
                .starts_with("missing value in column `x` at row 1; set `missing = ")
        );

        let f = Input::Number(NumberInput {
            missing: NumberMissing::Mean,
            transform: options::NumberTransform::None,
            ..NumberInput::new("x")
        });
        let enc = Encoder::fit(&t, &[f], &output("y", OutputKind::Number)).unwrap();
        assert_eq!(enc.encode_inputs(&t).unwrap().0.data, vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn unknown_column_and_wrong_type() {
        let t = table();
        let err = Encoder::fit(
            &t,
            &[feature("nope", FeatureKind::Number)],
            &output("y", OutputKind::Number),
        )
        .unwrap_err();
        assert!(matches!(err, DataError::UnknownColumn { ref name, .. } if name == "nope"));
        assert!(
            err.to_string()
                .contains("available: x, colour, flag, y, label")
        );
        let err = Encoder::fit(
            &t,
            &[feature("colour", FeatureKind::Number)],
            &output("y", OutputKind::Number),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "column `colour`: expected number, found text"
        );
    }

    #[test]
    fn binary_inputs_and_classes() {
        let t = table();
        let enc = Encoder::fit(
            &t,
            &[
                feature("flag", FeatureKind::Binary),
                feature("x", FeatureKind::Number),
            ],
            &output("label", OutputKind::Category),
        )
        .unwrap();
        let (e, _) = enc.encode_inputs(&t).unwrap();
        assert_eq!(e.row_shape, vec![2]);
        assert_eq!(
            e.data.iter().step_by(2).copied().collect::<Vec<_>>(),
            vec![1., 0., 0., 1.]
        );
        assert_eq!(enc.class_names().unwrap(), ["a", "b", "c"]);
        assert_eq!(enc.output_size(), 3);
        assert_eq!(
            enc.encode_targets(&t).unwrap(),
            Targets::Classes(vec![1, 0, 1, 2])
        );
        assert_eq!(enc.strata(&t), Some(vec![1, 0, 1, 2]));
        // Numeric classes sort numerically and render without decimals.
        let n = Table::new(vec![
            Column::number("x", vec![0.0; 4]),
            Column::number("d", vec![10.0, 2.0, 9.0, 2.0]),
        ])
        .unwrap();
        let enc = Encoder::fit(
            &n,
            &[feature("x", FeatureKind::Number)],
            &output("d", OutputKind::Category),
        )
        .unwrap();
        assert_eq!(enc.class_names().unwrap(), ["2", "9", "10"]);
        // Binary output 0/1 numbers.
        let b = Table::new(vec![
            Column::number("x", vec![0.0; 3]),
            Column::number("s", vec![1.0, 0.0, 1.0]),
        ])
        .unwrap();
        let enc = Encoder::fit(
            &b,
            &[feature("x", FeatureKind::Number)],
            &output("s", OutputKind::Binary),
        )
        .unwrap();
        assert_eq!(enc.class_names().unwrap(), ["0", "1"]);
        assert_eq!(
            enc.encode_targets(&b).unwrap(),
            Targets::Classes(vec![1, 0, 1])
        );
    }

    #[test]
    fn images_are_channel_first_and_scaled() {
        // Two 1×2 RGB images.
        let img = ImageData {
            height: 1,
            width: 2,
            channels: 3,
            pixels: vec![1, 2, 3, 4, 5, 6, 255, 0, 0, 0, 0, 255],
        };
        let t = Table::new(vec![
            Column {
                name: "image".into(),
                data: ColumnData::Image(img),
            },
            Column::number("label", vec![0.0, 1.0]),
        ])
        .unwrap();
        let f = Input::Image(ImageInput {
            transform: ImageTransform::None,
            ..ImageInput::new("image")
        });
        let enc = Encoder::fit(&t, &[f], &output("label", OutputKind::Binary)).unwrap();
        assert_eq!(enc.input_shape(), vec![3, 1, 2]);
        let (e, _) = enc.encode_inputs(&t).unwrap();
        assert_eq!(
            e.data,
            vec![1., 4., 2., 5., 3., 6., 255., 0., 0., 0., 0., 255.]
        );
        let err = Encoder::fit(
            &t,
            &[
                feature("image", FeatureKind::Image),
                feature("label", FeatureKind::Number),
            ],
            &output("label", OutputKind::Binary),
        )
        .unwrap_err();
        assert!(err.to_string().contains("only input"), "{err}");
    }

    #[test]
    fn encoder_serde_round_trip() {
        let t = table();
        let enc = Encoder::fit(
            &t,
            &[
                feature("x", FeatureKind::Number),
                feature("colour", FeatureKind::Category),
                feature("flag", FeatureKind::Binary),
            ],
            &output("label", OutputKind::Category),
        )
        .unwrap();
        let json = serde_json::to_string(&enc).unwrap();
        let back: Encoder = serde_json::from_str(&json).unwrap();
        assert_eq!(back, enc);
        assert_eq!(enc.input_shape(), vec![1 + 4 + 1]);
    }
}
