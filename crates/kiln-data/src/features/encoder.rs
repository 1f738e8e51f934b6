//! The [`Encoder`]: every fitted input and the fitted output of a model. It fits each input
//! by its kind's file and encodes each by the same, in the [`InputLayout`] the inputs call
//! for.

use kiln_spec::options;
use kiln_spec::settings::{Input, Output};
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::features::cells::feature_err;
use crate::features::encoded::{Encoded, Slots, Targets};
use crate::features::input::FittedInput;
use crate::features::layout::{InputLayout, image_not_alone, sequence_not_alone};
use crate::features::output::FittedOutput;
use crate::features::text::{TextEncoding, fit_text};
use crate::features::{binary, category, image, number};
use crate::table::{Column, Table};
use crate::warning::Warning;

/// All fitted inputs and the fitted output of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Inputs in the order the network sees them.
    pub inputs: Vec<FittedInput>,
    /// The output.
    pub output: FittedOutput,
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
            fitted.push(fit_input(input, inputs.len(), column, rows)?);
        }
        let column = table.require(&output.name)?;
        let output = FittedOutput::fit(output, column, rows)?;
        Ok(Self {
            inputs: fitted,
            output,
        })
    }

    /// How the inputs form one encoded row.
    pub fn layout(&self) -> InputLayout {
        InputLayout::of(&self.inputs)
    }

    /// Shape of one encoded row: `[d]` (sum of the input widths) for tabular inputs,
    /// `[channels, height, width]` for an image, `[length]` for a token sequence.
    pub fn input_shape(&self) -> Vec<usize> {
        self.layout().shape()
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
        match self.layout() {
            InputLayout::Sequence { ids, .. } => Some(ids),
            InputLayout::Tabular { .. } | InputLayout::Image { .. } => None,
        }
    }

    /// Width of the network's output: the number of classes for a category output, 1 for binary
    /// and number outputs.
    pub fn output_size(&self) -> usize {
        self.output.size()
    }

    /// The class names of a classification output (index = class index), `None` for regression.
    pub fn class_names(&self) -> Option<&[String]> {
        self.output.class_names()
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
        let layout = self.layout();
        let row_shape = layout.shape();
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
            let mut slots = Slots::new(&mut data, d, offset);
            encode_input(input, layout, column, &mut slots, &mut warnings)?;
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
        self.output.encode(table)
    }

    /// Turns a network output of a regression model back into the target's units.
    pub fn decode_value(&self, value: f32) -> f64 {
        self.output.decode_value(value)
    }

    /// Class index per row of `table` for stratified splits; `None` for regression or when the
    /// output column is absent. Missing values and classes not seen in training get the index
    /// `classes.len()`, so that they form a stratum of their own.
    pub fn strata(&self, table: &Table) -> Option<Vec<usize>> {
        self.output.strata(table)
    }
}

/// Fits one input, one of `count`, by its kind. An image or a token sequence must be the only
/// input: it needs a layout of its own.
fn fit_input(input: &Input, count: usize, column: &Column, rows: &[usize]) -> Result<FittedInput> {
    match input {
        Input::Number(spec) => number::fit(spec, column, rows),
        Input::Binary(spec) => binary::fit(spec, column, rows),
        Input::Category(spec) => category::fit(spec, column, rows),
        Input::Image(spec) => {
            if count > 1 {
                return Err(image_not_alone(&spec.name));
            }
            image::fit(spec, column)
        }
        Input::Text(spec) => {
            if spec.encoding == options::TextEncoding::Sequence && count > 1 {
                return Err(sequence_not_alone(&spec.name));
            }
            Ok(FittedInput::Text {
                name: spec.name.clone(),
                text: fit_text(spec, column, rows)?,
            })
        }
    }
}

/// Encodes one input into its slots by its kind, in the model's `layout`.
fn encode_input(
    input: &FittedInput,
    layout: InputLayout,
    column: &Column,
    slots: &mut Slots<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    match input {
        FittedInput::Number {
            transform, fill, ..
        } => number::encode(transform, *fill, column, slots),
        FittedInput::Binary {
            positive,
            negative,
            fill,
            ..
        } => binary::encode(positive, negative, fill.as_deref(), column, slots),
        FittedInput::Category {
            vocabulary, fill, ..
        } => category::encode(vocabulary, fill.as_deref(), column, slots, warnings),
        FittedInput::Image {
            name,
            height,
            width,
            channels,
            scale,
        } => match layout {
            InputLayout::Image { .. } => {
                let (out, _, _) = slots.parts();
                image::encode((*height, *width, *channels), *scale, column, out)
            }
            InputLayout::Tabular { .. } | InputLayout::Sequence { .. } => {
                Err(image_not_alone(name))
            }
        },
        FittedInput::Text { name, text } => match (layout, text.encoding) {
            (InputLayout::Tabular { .. }, TextEncoding::Sequence { .. }) => {
                Err(sequence_not_alone(name))
            }
            _ => {
                let (out, stride, offset) = slots.parts();
                text.encode_column(column, out, stride, offset, warnings)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::NumberTransform;
    use crate::table::{ColumnData, ImageData};
    use kiln_spec::options::{ImageTransform, NumberMissing, OutputTransform};
    use kiln_spec::settings::{ImageInput, NumberInput};
    use kiln_spec::types::{FeatureKind, OutputKind};

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

        // The layout is the image's; an encoder that puts an image among other inputs (which
        // fitting refuses; say, a hand-edited model file) is refused at encode time too,
        // instead of writing the pixels over the other inputs' slots.
        assert_eq!(
            enc.layout(),
            InputLayout::Image {
                channels: 3,
                height: 1,
                width: 2
            }
        );
        let mut mixed = enc.clone();
        mixed.inputs.push(FittedInput::Number {
            name: "label".into(),
            transform: NumberTransform::None,
            fill: None,
        });
        assert_eq!(mixed.layout(), InputLayout::Tabular { width: 7 });
        let err = mixed.encode_inputs(&t).unwrap_err();
        assert_eq!(
            err.to_string(),
            "feature `image`: an image input must be the only input of a model"
        );
    }

    #[test]
    fn a_token_sequence_has_a_layout_of_its_own() {
        let t = Table::new(vec![
            Column::text("review", text(&["a b b", "c a", "b"])),
            Column::text("label", text(&["x", "y", "x"])),
        ])
        .unwrap();
        let review = kiln_spec::settings::TextInput {
            encoding: options::TextEncoding::Sequence,
            length: kiln_spec::types::SequenceLength::Fixed(2),
            ..kiln_spec::settings::TextInput::new("review", options::Tokenizer::Word)
        };
        let enc = Encoder::fit(
            &t,
            &[Input::Text(review)],
            &output("label", OutputKind::Category),
        )
        .unwrap();
        // Vocabulary b, a, c + padding + out-of-vocabulary.
        assert_eq!(enc.layout(), InputLayout::Sequence { length: 2, ids: 5 });
        assert_eq!(enc.input_shape(), vec![2]);
        assert_eq!(enc.token_id_count(), Some(5));
        assert_eq!(
            enc.encode_inputs(&t).unwrap().0.data,
            [3., 2., 4., 3., 2., 0.]
        );

        let mut mixed = enc.clone();
        mixed.inputs.push(FittedInput::Number {
            name: "n".into(),
            transform: NumberTransform::None,
            fill: None,
        });
        assert_eq!(mixed.token_id_count(), None);
        let err = mixed.encode_inputs(&t).unwrap_err();
        assert!(err.to_string().contains("must be the only input"), "{err}");
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
