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
//!
//! Text reads the same way as Keras' text-classification tutorial: a text column becomes word
//! ids when the stack starts with an embedding, and a bag of words otherwise.
//!
//! ```no_run
//! let (train, test) = kiln::datasets::imdb()?;
//! let model = kiln::Sequential::new()
//!     .text_vectorization(10_000, 250)
//!     .embedding(16)
//!     .dropout(0.2)
//!     .global_avg_pool1d()
//!     .dropout(0.2)
//!     .adam(0.001)
//!     .fit(&train, "label", kiln::Fit::epochs(10))?;
//! println!("{}", model.evaluate(&test)?);
//! # Ok::<(), kiln::Error>(())
//! ```

use std::path::Path;

use kiln_data::{Cache, ColumnData, Table};
use kiln_spec::{
    Activation, DataSpec, EmbeddingInit, FeatureKind, FeatureSpec, LayerSpec, OptimizerSpec,
    OutputKind, OutputSpec, RecurrentSpec, SequenceLength, Spec, SplitSpec, TrainingSpec,
};

use crate::pipeline::train_tables;
use crate::run::{SpecSource, TrainRequest};
use crate::{Result, TrainedModel};

/// A layer stack under construction. The output head is added by [`Sequential::fit`] from the
/// target column: softmax over its classes, or one linear unit for a numeric target.
#[derive(Debug, Clone, Default)]
pub struct Sequential {
    layers: Vec<LayerSpec>,
    optimizer: OptimizerSpec,
    /// Vocabulary size and tokens per row for text read as word ids.
    text: Option<(usize, SequenceLength)>,
}

/// Mean words per row above which a text column is prose (a bag of words, or word ids under
/// an embedding) rather than a category: categories are a word or two ("setosa", "New York").
const PROSE_WORDS: f64 = 3.0;

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

    /// How text columns become word ids for an [`embedding`](Self::embedding), as Keras'
    /// `TextVectorization(max_tokens, output_sequence_length)`: the `max_tokens` most frequent
    /// words, each row padded or cut to `length` ids. Without it, 20,000 words and the 95th
    /// percentile of the training rows' lengths.
    #[must_use]
    pub fn text_vectorization(mut self, max_tokens: usize, length: usize) -> Self {
        self.text = Some((max_tokens, SequenceLength::Fixed(length)));
        self
    }

    /// Word ids → `dim`-wide vectors (Keras' `Embedding` with `mask_zero=True` and its
    /// uniform initialisation). The vocabulary size is taken from the data, and padding is
    /// masked all the way down: pooling and recurrent layers skip it.
    #[must_use]
    pub fn embedding(self, dim: usize) -> Self {
        self.push(LayerSpec::Embedding {
            vocab: None,
            dim,
            mask_zero: true,
            init: Some(EmbeddingInit::Uniform),
        })
    }

    /// A long short-term memory layer of `units`, returning its final state.
    #[must_use]
    pub fn lstm(self, units: usize) -> Self {
        self.push(LayerSpec::Lstm(RecurrentSpec::new(units)))
    }

    /// A gated recurrent unit layer of `units`, returning its final state.
    #[must_use]
    pub fn gru(self, units: usize) -> Self {
        self.push(LayerSpec::Gru(RecurrentSpec::new(units)))
    }

    /// A 1-D convolution over time (`kernel` steps, stride 1, valid padding, as Keras'
    /// `Conv1D` defaults).
    #[must_use]
    pub fn conv1d(self, filters: usize, kernel: usize, activation: Activation) -> Self {
        self.push(LayerSpec::Conv1d {
            filters,
            kernel,
            stride: 1,
            padding: None,
            activation: Some(activation),
        })
    }

    /// Max pooling over windows of `size` time steps.
    #[must_use]
    pub fn max_pool1d(self, size: usize) -> Self {
        self.push(LayerSpec::MaxPool1d { size, stride: None })
    }

    /// The maximum over time of each feature (real steps only).
    #[must_use]
    pub fn global_max_pool1d(self) -> Self {
        self.push(LayerSpec::GlobalMaxPool1d {})
    }

    /// The mean over time of each feature (real steps only).
    #[must_use]
    pub fn global_avg_pool1d(self) -> Self {
        self.push(LayerSpec::GlobalAvgPool1d {})
    }

    /// Any layer the spec knows, with every setting spelled out (a bidirectional LSTM, a
    /// strided `same` convolution, …).
    #[must_use]
    pub fn layer(self, layer: LayerSpec) -> Self {
        self.push(layer)
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
    ///
    /// Each other column is an input: numbers are standardised, images scaled, raw bytes and
    /// prose (more than three words per row on average) are text, and short strings are
    /// categories. Text feeds an embedding as word ids when the stack starts with one, and is
    /// a bag of words otherwise.
    pub fn to_spec(&self, table: &Table, target: &str, fit: &Fit) -> Spec {
        let word_ids = matches!(self.layers.first(), Some(LayerSpec::Embedding { .. }));
        let inputs = table
            .columns
            .iter()
            .filter(|c| c.name != target)
            .map(|c| {
                let kind = match &c.data {
                    ColumnData::Number(_) => FeatureKind::Number,
                    ColumnData::Text(rows) if is_prose(rows) => FeatureKind::Text,
                    ColumnData::Text(_) => FeatureKind::Category,
                    // Raw bytes are documents (emails), not categories.
                    ColumnData::Bytes(_) => FeatureKind::Text,
                    ColumnData::Image(_) => FeatureKind::Image,
                };
                let mut feature = FeatureSpec::new(c.name.clone(), kind);
                if kind == FeatureKind::Text && word_ids {
                    let (max_tokens, length) = self.text.unwrap_or((20_000, SequenceLength::Auto));
                    feature.encoding = Some("sequence".to_string());
                    feature.max_tokens = Some(max_tokens);
                    feature.length = Some(length);
                }
                feature
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
            tune: None,
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
        let source = SpecSource {
            spec: &spec,
            toml: "",
            base_dir: Path::new("."),
        };
        let result = train_tables(&source, table, None, &request, None, |_| {})?;
        TrainedModel::from_file(result.file, Path::new("<in memory>"))
    }
}

/// Whether a text column holds prose rather than category names: more than [`PROSE_WORDS`]
/// words per present row on average.
fn is_prose(rows: &[Option<String>]) -> bool {
    let (words, present) = rows.iter().flatten().fold((0usize, 0usize), |(w, n), row| {
        (w + row.split_whitespace().count(), n + 1)
    });
    present > 0 && words as f64 / present as f64 > PROSE_WORDS
}

#[cfg(test)]
mod tests {
    use kiln_data::Column;

    use super::*;

    fn table(text: &[&str]) -> Table {
        Table::new(vec![
            Column {
                name: "text".into(),
                data: ColumnData::Text(text.iter().map(|t| Some((*t).to_string())).collect()),
            },
            Column {
                name: "label".into(),
                data: ColumnData::Number((0..text.len()).map(|i| (i % 2) as f64).collect()),
            },
        ])
        .expect("a table")
    }

    fn input(model: &Sequential, t: &Table) -> FeatureSpec {
        let spec = model.to_spec(t, "label", &Fit::epochs(1));
        assert_eq!(spec.inputs.len(), 1);
        spec.inputs[0].clone()
    }

    #[test]
    fn short_strings_are_categories_and_prose_is_text() {
        let categories = table(&["setosa", "New York", "virginica", "setosa"]);
        let prose = table(&[
            "a film I liked a lot",
            "dull and far too long",
            "fine",
            "not for me",
        ]);
        let stack = Sequential::new().dense(4, Activation::Relu);
        assert_eq!(input(&stack, &categories).kind, FeatureKind::Category);
        let bag = input(&stack, &prose);
        assert_eq!(bag.kind, FeatureKind::Text);
        assert_eq!(bag.encoding, None, "a bag of words (the text default)");
    }

    #[test]
    fn an_embedding_first_reads_text_as_word_ids() {
        let prose = table(&["a film I liked a lot", "dull and far too long"]);
        let defaults = input(&Sequential::new().embedding(8).global_avg_pool1d(), &prose);
        assert_eq!(defaults.kind, FeatureKind::Text);
        assert_eq!(defaults.encoding.as_deref(), Some("sequence"));
        assert_eq!(defaults.max_tokens, Some(20_000));
        assert_eq!(defaults.length, Some(SequenceLength::Auto));
        let set = input(
            &Sequential::new()
                .text_vectorization(100, 7)
                .embedding(8)
                .lstm(4),
            &prose,
        );
        assert_eq!(set.max_tokens, Some(100));
        assert_eq!(set.length, Some(SequenceLength::Fixed(7)));
    }
}
