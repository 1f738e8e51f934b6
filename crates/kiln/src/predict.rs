//! A trained model file, loaded for prediction and evaluation.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use kiln_artifact::{ModelFile, ModelHeader};
use kiln_bayes::{Posterior, Predictive, PredictiveConfig};
use kiln_data::{Cache, Encoded, FittedOutput, Table, Warning};
use kiln_model::{Network, weights};
use kiln_train::{Task, predict_outputs};

use crate::bayesian;
use crate::run::{
    Metrics, Prepared, default_device, load_tables, metrics_for_outputs, prepare_tables,
};
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

    /// How messages name the rows: `the test split`, or the file's path.
    pub fn describe(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Train => "the train split".to_string(),
            Self::Validation => "the validation split".to_string(),
            Self::Test => "the test split".to_string(),
        }
    }
}

/// A model file with its network built and weights loaded.
#[derive(Debug)]
pub struct TrainedModel {
    /// The file's header (spec, transforms, metrics, provenance).
    pub header: ModelHeader,
    /// Size of the weights section in bytes (the posterior section for Bayesian models).
    pub weights_bytes: usize,
    engine: Engine,
    device: Device,
}

/// What computes the outputs: a trained network, or a posterior to sample.
#[derive(Debug)]
enum Engine {
    Network(Network),
    Bayes {
        posterior: Box<Posterior>,
        elbo: Vec<f32>,
    },
}

/// Posterior predictive uncertainty of each prediction (Bayesian models only).
///
/// The layout follows [`Predictions`]: `rows × classes` for classification (of each class
/// probability), `rows` for regression (in the output's units, observation noise included).
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    /// Standard deviation over the posterior draws.
    pub std: Vec<f64>,
    /// Lower end of the central credible interval.
    pub lower: Vec<f64>,
    /// Upper end of the central credible interval.
    pub upper: Vec<f64>,
    /// Probability mass of the interval (0.94 by default, ArviZ's `hdi_prob`).
    pub mass: f64,
    /// Posterior draws behind each figure.
    pub samples: usize,
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
    /// Posterior predictive std and credible interval (Bayesian models); `None` otherwise.
    pub uncertainty: Option<Uncertainty>,
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

    /// The uncertainty of row `i` as one number (Bayesian models): the predictive std of the
    /// value (regression) or of the predicted class's probability (classification).
    pub fn uncertainty_of(&self, i: usize) -> Option<f64> {
        let u = self.uncertainty.as_ref()?;
        let k = self.classes.len();
        if k == 0 {
            return u.std.get(i).copied();
        }
        let row = self.probabilities_of(i);
        u.std.get(i * k + kiln_eval::argmax(row)).copied()
    }

    /// The `n` rows with the largest [`Predictions::uncertainty_of`], most uncertain first
    /// (what to label next). Empty for models without uncertainty.
    pub fn most_uncertain(&self, n: usize) -> Vec<usize> {
        if self.uncertainty.is_none() {
            return Vec::new();
        }
        let mut rows: Vec<usize> = (0..self.rows).collect();
        let u = |i: usize| self.uncertainty_of(i).unwrap_or(0.0);
        rows.sort_by(|&a, &b| u(b).total_cmp(&u(a)).then(a.cmp(&b)));
        rows.truncate(n);
        rows
    }
}

impl TrainedModel {
    /// Loads and checks a model file.
    ///
    /// # Errors
    ///
    /// [`Error::Artifact`] naming what is wrong with the file (foreign, truncated, corrupt,
    /// newer format); [`Error::IsCheckpoint`] for a checkpoint; [`Error::Model`] when the weights do
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
            return Err(Error::IsCheckpoint {
                origin: path.display().to_string(),
            });
        }
        let device = default_device();
        if file.header.bayes.is_some() {
            let posterior = bayesian::load_posterior(&file, path)?;
            let elbo = bayesian::elbo_trace(&file);
            return Ok(Self {
                weights_bytes: file
                    .section(kiln_artifact::sections::POSTERIOR)
                    .map_or(0, <[u8]>::len),
                header: file.header,
                engine: Engine::Bayes {
                    posterior: Box::new(posterior),
                    elbo,
                },
                device,
            });
        }
        let bytes = file.require_section(kiln_artifact::sections::WEIGHTS, path)?;
        let network = weights::from_bytes(&file.header.network, bytes, &device)?;
        Ok(Self {
            weights_bytes: bytes.len(),
            header: file.header,
            engine: Engine::Network(network),
            device,
        })
    }

    /// Metrics of the model on encoded rows (what [`TrainedModel::evaluate`] computes after
    /// encoding).
    pub(crate) fn evaluate_encoded(
        &self,
        inputs: &Encoded,
        targets: &kiln_data::Targets,
    ) -> Result<Metrics> {
        self.require_table_model()?;
        let (out, _) = self.outputs(inputs)?;
        metrics_for_outputs(&self.header.encoder, out, targets)
    }

    /// The network's weights as a safetensors file (see
    /// [`kiln_model::weights::to_safetensors`]): for PyTorch and other frameworks.
    ///
    /// # Errors
    /// [`Error::Model`] for a Bayesian model (a posterior over weights, not one set).
    pub fn weights_safetensors(&self) -> Result<Vec<u8>> {
        match &self.engine {
            Engine::Network(network) => Ok(weights::to_safetensors(network)?),
            Engine::Bayes { .. } => Err(kiln_model::ModelError::Weights(
                "a Bayesian (ADVI) model holds a posterior over weights, not one set of weights"
                    .to_string(),
            )
            .into()),
        }
    }

    /// The device the model computes on.
    pub(crate) fn device(&self) -> &Device {
        &self.device
    }

    /// Whether the model is Bayesian (its predictions carry an [`Uncertainty`]).
    pub fn is_bayesian(&self) -> bool {
        matches!(self.engine, Engine::Bayes { .. })
    }

    /// The posterior of a Bayesian model.
    pub fn posterior(&self) -> Option<&Posterior> {
        match &self.engine {
            Engine::Bayes { posterior, .. } => Some(posterior),
            Engine::Network(_) => None,
        }
    }

    /// The ELBO of every ADVI iteration (empty for other models).
    pub fn elbo_trace(&self) -> &[f32] {
        match &self.engine {
            Engine::Bayes { elbo, .. } => elbo,
            Engine::Network(_) => &[],
        }
    }

    /// The posterior predictive of already-encoded rows (Bayesian models), with the stored
    /// number of draws, seed and interval mass.
    ///
    /// # Errors
    ///
    /// [`Error::NotBayesian`] for a model that is not Bayesian; [`Error::Bayes`] when the rows do
    /// not have the network's width.
    pub fn posterior_predictive(&self, inputs: &Encoded) -> Result<Predictive> {
        match &self.engine {
            Engine::Bayes { posterior, .. } => self.predictive(posterior, inputs),
            Engine::Network(_) => Err(Error::NotBayesian),
        }
    }

    /// The posterior predictive of encoded rows, with the stored sampling settings.
    fn predictive(&self, posterior: &Posterior, inputs: &Encoded) -> Result<Predictive> {
        let record = self.header.bayes.as_ref();
        let config = PredictiveConfig {
            samples: record.map_or(100, |r| r.predict_samples),
            seed: record.map_or(0, |r| r.predict_seed),
            interval: record.map_or(0.94, |r| r.interval),
        };
        Ok(posterior.predict(&inputs.data, inputs.rows, &config)?)
    }

    /// Outputs in the network layout (probabilities or encoded values), with the posterior
    /// predictive for Bayesian models.
    fn outputs(&self, inputs: &Encoded) -> Result<(Vec<f32>, Option<Predictive>)> {
        match &self.engine {
            Engine::Network(network) => Ok((
                predict_outputs(network, &self.task(), inputs, 512, &self.device),
                None,
            )),
            Engine::Bayes { posterior, .. } => {
                let p = self.predictive(posterior, inputs)?;
                Ok((bayesian::outputs_layout(&p, &self.task()), Some(p)))
            }
        }
    }

    /// Language models have no table inputs: they are used through [`crate::lm`].
    fn require_table_model(&self) -> Result<()> {
        match &self.header.spec.language_model {
            Some(_) => Err(Error::IsLanguageModel {
                name: self.header.name.clone(),
            }),
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
        let (out, predictive) = self.outputs(&inputs)?;
        let uncertainty = predictive.map(|p| self.uncertainty(p));
        let column = encoder.output.name().to_string();
        Ok(match &encoder.output {
            FittedOutput::Category { classes, .. } => Predictions {
                column,
                classes: classes.clone(),
                rows: inputs.rows,
                probabilities: out,
                values: Vec::new(),
                warnings,
                uncertainty,
            },
            FittedOutput::Binary { classes, .. } => Predictions {
                column,
                classes: classes.to_vec(),
                rows: inputs.rows,
                probabilities: out,
                values: Vec::new(),
                warnings,
                uncertainty,
            },
            FittedOutput::Number { .. } => Predictions {
                column,
                classes: Vec::new(),
                rows: inputs.rows,
                values: out.iter().map(|&v| encoder.decode_value(v)).collect(),
                probabilities: Vec::new(),
                warnings,
                uncertainty,
            },
        })
    }

    /// The posterior predictive in [`Predictions`]' layout and the output's units.
    fn uncertainty(&self, p: Predictive) -> Uncertainty {
        let record = self.header.bayes.as_ref();
        let samples = record.map_or(100, |r| r.predict_samples);
        let mass = record.map_or(0.94, |r| r.interval);
        match &self.header.encoder.output {
            // The engine reports P(positive); the negative class mirrors it.
            FittedOutput::Binary { .. } => {
                let mut u = Uncertainty {
                    std: Vec::with_capacity(2 * p.std.len()),
                    lower: Vec::with_capacity(2 * p.std.len()),
                    upper: Vec::with_capacity(2 * p.std.len()),
                    mass,
                    samples,
                };
                for i in 0..p.std.len() {
                    u.std.extend([p.std[i], p.std[i]]);
                    u.lower.extend([1.0 - p.upper[i], p.lower[i]]);
                    u.upper.extend([1.0 - p.lower[i], p.upper[i]]);
                }
                u
            }
            FittedOutput::Category { .. } => Uncertainty {
                std: p.std,
                lower: p.lower,
                upper: p.upper,
                mass,
                samples,
            },
            FittedOutput::Number { std, .. } => {
                let encoder = &self.header.encoder;
                Uncertainty {
                    std: p.std.iter().map(|s| s * std).collect(),
                    lower: p
                        .lower
                        .iter()
                        .map(|&v| encoder.decode_value(v as f32))
                        .collect(),
                    upper: p
                        .upper
                        .iter()
                        .map(|&v| encoder.decode_value(v as f32))
                        .collect(),
                    mass,
                    samples,
                }
            }
        }
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
        let (out, _) = self.outputs(&inputs)?;
        metrics_for_outputs(encoder, out, &targets)
    }

    /// The model's own data source, read again and split and encoded as in training (the
    /// stored spec, seed and transforms): the source table and the prepared rows, with a
    /// warning when the training rows no longer hash to the stored digest.
    ///
    /// # Errors
    ///
    /// Data that cannot be read or encoded.
    pub(crate) fn source_data(&self, cache: &Cache) -> Result<(Table, Prepared, Option<String>)> {
        let spec = &self.header.spec;
        let base = PathBuf::from(&self.header.data.base_dir);
        let (table, test_table) = load_tables(spec, &base, cache)?;
        let prepared = prepare_tables(
            spec,
            &table,
            test_table.as_ref(),
            Some(&self.header.encoder),
        )?;
        let warning = (prepared.digest != self.header.data.digest).then(|| {
            format!(
                "the training data no longer matches the model file's digest ({} ≠ {}): the source changed since training, so these splits may not be the ones used",
                &prepared.digest[..12.min(prepared.digest.len())],
                &self.header.data.digest[..12.min(self.header.data.digest.len())]
            )
        });
        Ok((table, prepared, warning))
    }

    /// The encoded rows and targets of one of the spec's splits (re-derived from the stored
    /// spec and seed) or of a file, with a warning when the training rows no longer hash to
    /// the stored digest.
    ///
    /// # Errors
    ///
    /// Data that cannot be read, or an empty selection.
    pub fn selection_data(
        &self,
        which: &DataSelection,
        cache: &Cache,
    ) -> Result<(Encoded, kiln_data::Targets, Option<String>)> {
        self.require_table_model()?;
        if let DataSelection::File(path) = which {
            let table = kiln_data::read_table(path, None)?;
            let (x, _) = self.header.encoder.encode_inputs(&table)?;
            let y = self.header.encoder.encode_targets(&table)?;
            return Ok((x, y, None));
        }
        let (_, prepared, warning) = self.source_data(cache)?;
        let (x, y) = match which {
            DataSelection::Test => {
                let (x, y) = prepared.test_data();
                ((*x).clone(), (*y).clone())
            }
            DataSelection::Train => (
                prepared.inputs.take(&prepared.split.train),
                prepared.targets.take(&prepared.split.train),
            ),
            DataSelection::Validation => (
                prepared.inputs.take(&prepared.split.validation),
                prepared.targets.take(&prepared.split.validation),
            ),
            DataSelection::File(_) => unreachable!("handled above"),
        };
        if x.rows == 0 {
            return Err(Error::EmptySplit {
                split: format!("{which:?}"),
            });
        }
        Ok((x, y, warning))
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
        if let DataSelection::File(path) = which {
            let table = kiln_data::read_table(path, None)?;
            return Ok((self.evaluate(&table)?, None));
        }
        let (x, y, warning) = self.selection_data(which, cache)?;
        let (out, _) = self.outputs(&x)?;
        let m = metrics_for_outputs(&self.header.encoder, out, &y)?;
        Ok((m, warning))
    }

    /// The network, for callers that need raw outputs (`None` for Bayesian models, whose
    /// weights are a [`TrainedModel::posterior`]).
    pub fn network(&self) -> Option<&Network> {
        match &self.engine {
            Engine::Network(n) => Some(n),
            Engine::Bayes { .. } => None,
        }
    }
}

/// The monitor's view of predictions: the predicted class index per row, or the predicted
/// values.
pub fn monitor_outputs(predictions: &Predictions) -> kiln_monitor::OwnedOutputs {
    if predictions.classes.is_empty() {
        kiln_monitor::OwnedOutputs::Values(predictions.values.clone())
    } else {
        kiln_monitor::OwnedOutputs::Classes(kiln_monitor::argmax_rows(
            &predictions.probabilities,
            predictions.classes.len(),
        ))
    }
}
