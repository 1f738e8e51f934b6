//! A trained model file, loaded for prediction and evaluation.

use std::io::Write;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use kiln_artifact::{ModelFile, ModelHeader};
use kiln_data::{Cache, FittedOutput, Table, Warning};
use kiln_model::{Network, weights};
use kiln_train::{Task, predict_outputs};
use serde_json::json;

use crate::pipeline::{Metrics, default_device, evaluate_rows, prepare, take_rows, take_targets};
use crate::{Error, Result};

/// Which rows to evaluate on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSelection {
    /// The spec's training split (re-derived with the stored seed).
    Train,
    /// The validation split.
    Validation,
    /// The test split (or the spec's separate test source).
    Test,
    /// Any file with the input and output columns.
    File(PathBuf),
}

impl DataSelection {
    /// `train`, `validation`/`val`, `test`, or a path.
    pub fn parse(s: &str) -> Self {
        match s {
            "train" => Self::Train,
            "validation" | "val" => Self::Validation,
            "test" => Self::Test,
            path => Self::File(PathBuf::from(path)),
        }
    }
}

/// A model file with its network built and weights loaded.
#[derive(Debug)]
pub struct TrainedModel {
    /// The file's header (spec, transforms, metrics, provenance).
    pub header: ModelHeader,
    /// Size of the weights section in bytes.
    pub weights_bytes: usize,
    network: Network,
    device: Device,
}

/// Predictions for a batch of rows.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// The output column.
    pub column: String,
    /// Class names (classification); empty for regression.
    pub classes: Vec<String>,
    /// Rows predicted.
    pub rows: usize,
    /// `rows × classes.len()` probabilities (classification).
    pub probabilities: Vec<f32>,
    /// Predicted values in the output's units (regression).
    pub values: Vec<f64>,
    /// Anything odd found in the input (e.g. unseen categories sent to the unknown bucket).
    pub warnings: Vec<Warning>,
}

impl Predictions {
    /// The predicted label of row `i` (classification).
    pub fn label(&self, i: usize) -> Option<&str> {
        let k = self.classes.len();
        if k == 0 {
            return None;
        }
        let row = &self.probabilities[i * k..(i + 1) * k];
        Some(&self.classes[kiln_eval::argmax(row)])
    }

    /// The class probabilities of row `i`.
    pub fn probabilities_of(&self, i: usize) -> &[f32] {
        let k = self.classes.len();
        &self.probabilities[i * k..(i + 1) * k]
    }

    /// One JSON object per row: `{"label": …, "probabilities": {class: p}}` or
    /// `{"value": …}`.
    pub fn row_json(&self, i: usize) -> serde_json::Value {
        if self.classes.is_empty() {
            json!({ "value": self.values[i] })
        } else {
            let probs: serde_json::Map<String, serde_json::Value> = self
                .classes
                .iter()
                .zip(self.probabilities_of(i))
                .map(|(c, p)| (c.clone(), json!(p)))
                .collect();
            json!({ "label": self.label(i), "probabilities": probs })
        }
    }

    /// Writes JSON lines.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_jsonl(&self, mut w: impl Write) -> std::io::Result<()> {
        for i in 0..self.rows {
            serde_json::to_writer(&mut w, &self.row_json(i))?;
            w.write_all(b"\n")?;
        }
        w.flush()
    }

    /// Writes CSV: `label,p_<class>…` or `value`.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_csv(&self, w: impl Write) -> std::io::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        if self.classes.is_empty() {
            out.write_record(["value"])?;
            for v in &self.values {
                out.write_record([v.to_string()])?;
            }
        } else {
            let mut head = vec!["label".to_string()];
            head.extend(self.classes.iter().map(|c| format!("p_{c}")));
            out.write_record(&head)?;
            for i in 0..self.rows {
                let mut rec = vec![self.label(i).unwrap_or_default().to_string()];
                rec.extend(self.probabilities_of(i).iter().map(|p| p.to_string()));
                out.write_record(&rec)?;
            }
        }
        out.flush()
    }
}

impl TrainedModel {
    /// Loads and checks a model file.
    ///
    /// # Errors
    ///
    /// [`Error::Artifact`] naming what is wrong with the file (foreign, truncated, corrupt,
    /// newer format); [`Error::Invalid`] for a checkpoint; [`Error::Model`] when the weights do
    /// not fit the stored structure.
    pub fn load(path: &Path) -> Result<Self> {
        Self::from_file(ModelFile::read(path)?, path)
    }

    /// Builds the model from a model file in memory; `path` is only used in messages.
    ///
    /// # Errors
    ///
    /// As [`TrainedModel::load`].
    pub fn from_file(file: ModelFile, path: &Path) -> Result<Self> {
        if file.header.kind != kiln_artifact::FileKind::Model {
            return Err(Error::Invalid(format!(
                "{}: this is a training checkpoint, not a model; finish training with `kiln train --resume`",
                path.display()
            )));
        }
        let device = default_device();
        let bytes = file.require_section("weights", path)?;
        let network = weights::from_bytes(&file.header.network, bytes, &device)?;
        Ok(Self {
            weights_bytes: bytes.len(),
            header: file.header,
            network,
            device,
        })
    }

    /// Language models have no table inputs: they are used through [`crate::lm`].
    fn require_table_model(&self) -> Result<()> {
        match &self.header.spec.language_model {
            Some(_) => Err(Error::Invalid(format!(
                "`{}` is a character-level language model: use `kiln generate` (or kiln::lm::LanguageModel); its held-out bits per character are in `kiln inspect`",
                self.header.name
            ))),
            None => Ok(()),
        }
    }

    fn task(&self) -> Task {
        self.header.task
    }

    /// Predicts every row of `table`, applying the stored transforms. Extra columns are ignored.
    ///
    /// # Errors
    ///
    /// A missing input column or one of the wrong type, named.
    pub fn predict(&self, table: &Table) -> Result<Predictions> {
        self.require_table_model()?;
        let encoder = &self.header.encoder;
        let (inputs, warnings) = encoder.encode_inputs(table)?;
        let out = predict_outputs(&self.network, &self.task(), &inputs, 512, &self.device);
        let column = encoder.output.name().to_string();
        Ok(match &encoder.output {
            FittedOutput::Category { classes, .. } => Predictions {
                column,
                classes: classes.clone(),
                rows: inputs.rows,
                probabilities: out,
                values: Vec::new(),
                warnings,
            },
            FittedOutput::Binary { classes, .. } => Predictions {
                column,
                classes: classes.to_vec(),
                rows: inputs.rows,
                probabilities: out,
                values: Vec::new(),
                warnings,
            },
            FittedOutput::Number { .. } => Predictions {
                column,
                classes: Vec::new(),
                rows: inputs.rows,
                values: out.iter().map(|&v| encoder.decode_value(v)).collect(),
                probabilities: Vec::new(),
                warnings,
            },
        })
    }

    /// Metrics on `table`, which must hold the output column too.
    ///
    /// # Errors
    ///
    /// Missing columns, or no rows.
    pub fn evaluate(&self, table: &Table) -> Result<Metrics> {
        self.require_table_model()?;
        let encoder = &self.header.encoder;
        let (inputs, _) = encoder.encode_inputs(table)?;
        let targets = encoder.encode_targets(table)?;
        evaluate_rows(
            &self.network,
            encoder,
            &self.task(),
            &inputs,
            &targets,
            &self.device,
        )
    }

    /// Metrics on one of the spec's splits, re-derived from the stored spec and seed, or on a
    /// file. Returns a warning when the training rows no longer hash to the stored digest (the
    /// data changed since training).
    ///
    /// # Errors
    ///
    /// Data that cannot be read, or an empty selection.
    pub fn evaluate_selection(
        &self,
        which: &DataSelection,
        cache: &Cache,
    ) -> Result<(Metrics, Option<String>)> {
        self.require_table_model()?;
        if let DataSelection::File(path) = which {
            let table = kiln_data::read_table(path, None)?;
            return Ok((self.evaluate(&table)?, None));
        }
        let spec = &self.header.spec;
        let base = PathBuf::from(&self.header.data.base_dir);
        let prepared = prepare(spec, &base, cache, Some(&self.header.encoder))?;
        let warning = (prepared.digest != self.header.data.digest).then(|| {
            format!(
                "the training data no longer matches the model file's digest ({} ≠ {}): the source changed since training, so these splits may not be the ones used",
                &prepared.digest[..12.min(prepared.digest.len())],
                &self.header.data.digest[..12.min(self.header.data.digest.len())]
            )
        });
        let (x, y) = match which {
            DataSelection::Test => {
                let (x, y) = prepared.test_data();
                ((*x).clone(), (*y).clone())
            }
            DataSelection::Train => (
                take_rows(&prepared.inputs, &prepared.split.train),
                take_targets(&prepared.targets, &prepared.split.train),
            ),
            DataSelection::Validation => (
                take_rows(&prepared.inputs, &prepared.split.validation),
                take_targets(&prepared.targets, &prepared.split.validation),
            ),
            DataSelection::File(_) => unreachable!("handled above"),
        };
        if x.rows == 0 {
            return Err(Error::Invalid(format!(
                "the {which:?} split of this model's data is empty"
            )));
        }
        let m = evaluate_rows(
            &self.network,
            &self.header.encoder,
            &self.task(),
            &x,
            &y,
            &self.device,
        )?;
        Ok((m, warning))
    }

    /// The network, for callers that need raw outputs.
    pub fn network(&self) -> &Network {
        &self.network
    }
}
