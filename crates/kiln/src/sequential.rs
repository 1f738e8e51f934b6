//! Models in a few lines of Rust, the way Keras' `Sequential` reads.
//!
//! ```no_run
//! use kiln::spec::Activation::Relu;
//! let (train, test) = kiln::datasets::mnist()?;
//! let model = kiln::Sequential::new()
//!     .flatten()
//!     .dense(128, Relu)
//!     .dropout(0.2)
//!     .adam(0.001)
//!     .fit(&train, "label", kiln::Fit::epochs(5))?;
//! println!("{}", model.evaluate(&test)?);
//! # Ok::<(), kiln::Error>(())
//! ```

use std::path::Path;

use kiln_data::{Cache, ColumnData, Table};
use kiln_spec::{
    Activation, DataSpec, FeatureKind, FeatureSpec, LayerSpec, OptimizerSpec, OutputKind,
    OutputSpec, Spec, SplitSpec, TrainingSpec,
};

use crate::pipeline::{TrainRequest, train_tables};
use crate::{Result, TrainedModel};

/// A layer stack under construction. The output head is added by [`Sequential::fit`] from the
/// target column: softmax over its classes, or one linear unit for a numeric target.
#[derive(Debug, Clone, Default)]
pub struct Sequential {
    layers: Vec<LayerSpec>,
    optimizer: OptimizerSpec,
}

/// Training settings for [`Sequential::fit`].
#[derive(Debug, Clone)]
pub struct Fit {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per step (Keras' default 32).
    pub batch_size: usize,
    /// Fraction held out for validation (shuffled, stratified).
    pub validation: f64,
    /// Seed of everything random.
    pub seed: u64,
    /// Force the task; by default a text target, or a numeric one with at most 20 distinct
    /// integer values, is classification and anything else regression.
    pub output: Option<OutputKind>,
}

impl Fit {
    /// `epochs` passes, batch 32, no validation split (as Keras' `fit(x, y, epochs=…)`),
    /// seed 42.
    pub fn epochs(epochs: usize) -> Self {
        Self {
            epochs,
            batch_size: 32,
            validation: 0.0,
            seed: 42,
            output: None,
        }
    }

    /// Sets the batch size.
    #[must_use]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets the validation fraction.
    #[must_use]
    pub fn validation(mut self, fraction: f64) -> Self {
        self.validation = fraction;
        self
    }

    /// Sets the seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl Sequential {
    /// An empty stack trained with Adam (lr 0.001).
    pub fn new() -> Self {
        Self::default()
    }

    fn push(mut self, layer: LayerSpec) -> Self {
        self.layers.push(layer);
        self
    }

    /// Flattens images to vectors.
    #[must_use]
    pub fn flatten(self) -> Self {
        self.push(LayerSpec::Flatten {})
    }

    /// A dense layer.
    #[must_use]
    pub fn dense(self, units: usize, activation: Activation) -> Self {
        self.push(LayerSpec::Dense {
            units,
            activation: Some(activation),
            bias: true,
            bayesian: None,
        })
    }

    /// Dropout of a fraction of activations while training.
    #[must_use]
    pub fn dropout(self, rate: f64) -> Self {
        self.push(LayerSpec::Dropout { rate })
    }

    /// A 3×3-style convolution (`kernel`×`kernel`, valid padding).
    #[must_use]
    pub fn conv2d(self, filters: usize, kernel: usize, activation: Activation) -> Self {
        self.push(LayerSpec::Conv2d {
            filters,
            kernel,
            stride: 1,
            padding: None,
            activation: Some(activation),
        })
    }

    /// Max pooling over `size`×`size` windows.
    #[must_use]
    pub fn max_pool2d(self, size: usize) -> Self {
        self.push(LayerSpec::MaxPool2d { size, stride: None })
    }

    /// Batch normalisation.
    #[must_use]
    pub fn batch_norm(self) -> Self {
        self.push(LayerSpec::BatchNorm {
            momentum: None,
            epsilon: None,
        })
    }

    /// Adam with learning rate `lr` and Keras' other defaults.
    #[must_use]
    pub fn adam(mut self, lr: f64) -> Self {
        self.optimizer = OptimizerSpec::Adam {
            learning_rate: lr,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        };
        self
    }

    /// Plain SGD with learning rate `lr`.
    #[must_use]
    pub fn sgd(mut self, lr: f64) -> Self {
        self.optimizer = OptimizerSpec::Sgd {
            learning_rate: lr,
            momentum: 0.0,
            nesterov: false,
        };
        self
    }

    /// The spec this stack amounts to for `table` and `target` (what `kiln train` would run).
    pub fn to_spec(&self, table: &Table, target: &str, fit: &Fit) -> Spec {
        let inputs = table
            .columns
            .iter()
            .filter(|c| c.name != target)
            .map(|c| {
                let kind = match c.data {
                    ColumnData::Number(_) => FeatureKind::Number,
                    ColumnData::Text(_) => FeatureKind::Category,
                    // Raw bytes are documents (emails), not categories.
                    ColumnData::Bytes(_) => FeatureKind::Text,
                    ColumnData::Image(_) => FeatureKind::Image,
                };
                FeatureSpec::new(c.name.clone(), kind)
            })
            .collect();
        let kind = fit
            .output
            .unwrap_or_else(|| match table.column(target).map(|c| &c.data) {
                Some(ColumnData::Number(v)) => {
                    // Classification when every value is an integer and there are at most 20 of them.
                    let mut distinct = std::collections::BTreeSet::new();
                    let few_integers = v.iter().all(|x| {
                        distinct.insert(*x as i64);
                        x.fract() == 0.0 && distinct.len() <= 20
                    });
                    if few_integers {
                        OutputKind::Category
                    } else {
                        OutputKind::Number
                    }
                }
                _ => OutputKind::Category,
            });
        Spec {
            name: "sequential".to_string(),
            data: DataSpec {
                source: "<in memory>".to_string(),
                test: None,
                format: None,
                generate: None,
                split: SplitSpec {
                    validation: fit.validation,
                    test: 0.0,
                    seed: fit.seed,
                    stratify: kind != OutputKind::Number,
                },
            },
            inputs,
            output: OutputSpec {
                name: target.to_string(),
                kind,
                transform: None,
            },
            layers: self.layers.clone(),
            training: TrainingSpec {
                optimizer: self.optimizer.clone(),
                batch_size: fit.batch_size,
                epochs: fit.epochs,
                seed: fit.seed,
                early_stopping: None,
                lr_schedule: None,
                ..TrainingSpec::default()
            },
            language_model: None,
        }
    }

    /// Trains on `table`, predicting column `target`.
    ///
    /// # Errors
    ///
    /// Shape errors in the stack, data that cannot be encoded, or a training failure.
    pub fn fit(&self, table: &Table, target: &str, fit: Fit) -> Result<TrainedModel> {
        let spec = self.to_spec(table, target, &fit);
        spec.validate()?;
        let request = TrainRequest::new("<in memory>", "<in memory>", Cache::new("."));
        let result = train_tables(
            &spec,
            "",
            Path::new("."),
            table,
            None,
            &request,
            None,
            |_| {},
        )?;
        TrainedModel::from_file(result.file, Path::new("<in memory>"))
    }
}
