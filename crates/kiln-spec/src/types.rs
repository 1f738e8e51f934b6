//! The spec's data types: what a TOML spec deserialises into.
//!
//! Every struct denies unknown keys so that a misspelt key is an error with its location,
//! never a silently ignored setting.

use serde::{Deserialize, Serialize};

/// A whole model spec: where the data comes from, which columns are inputs and output, the
/// layer stack, and how to train it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// A short name for the model (used by `inspect` and, later, `serve`).
    #[serde(default = "default_name")]
    pub name: String,
    /// Where the rows come from and how they are split.
    pub data: DataSpec,
    /// Input features, in the order the network sees them. Empty for a language model, whose
    /// input is the text itself.
    #[serde(rename = "input", default)]
    pub inputs: Vec<FeatureSpec>,
    /// The single output feature the model predicts.
    pub output: OutputSpec,
    /// The layer stack. The output head (a dense layer sized for `output`) is appended by kiln.
    #[serde(default)]
    pub layers: Vec<LayerSpec>,
    /// Optimiser, epochs, batch size, early stopping, schedule, seed.
    #[serde(default)]
    pub training: TrainingSpec,
    /// Present for a character-level language model: `data.source` is then a corpus (a
    /// built-in such as `shakespeare`, or a text file) rather than a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_model: Option<LanguageModelSpec>,
    /// A hyper-parameter search over this spec (`kiln tune`); `kiln train` ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tune: Option<TuneSpec>,
}

/// A hyper-parameter search (`[tune]`): what to optimise, how, and over which spec values.
/// Named values stay strings here; `kiln-tune` checks them, naming the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuneSpec {
    /// The run metric to optimise, as runs record it (`validation.accuracy`,
    /// `validation.loss`, `cv_mean.accuracy`); default `validation.` + the task's metric.
    #[serde(default)]
    pub metric: Option<String>,
    /// `maximize` or `minimize`; default from the metric (loss, error and MAE-like metrics
    /// are minimised).
    #[serde(default)]
    pub direction: Option<String>,
    /// Trials in the study.
    #[serde(default = "default_trials")]
    pub trials: usize,
    /// `tpe` (default), `random` or `grid`.
    #[serde(default)]
    pub sampler: Option<String>,
    /// TPE over all parameters jointly rather than one at a time (Optuna 5's default, and
    /// kiln's).
    #[serde(default = "default_multivariate")]
    pub multivariate: bool,
    /// Random trials before TPE starts modelling (Optuna's `n_startup_trials`, 10).
    #[serde(default)]
    pub startup_trials: Option<usize>,
    /// `asha`, `median` or `none` (default).
    #[serde(default)]
    pub pruner: Option<String>,
    /// The study's seed; default the spec's `training.seed`.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The space: spec paths (`training.optimizer.learning_rate`, `layers.1.units`) and
    /// their ranges.
    #[serde(default)]
    pub space: std::collections::BTreeMap<String, DimensionSpec>,
}

fn default_trials() -> usize {
    20
}

fn default_multivariate() -> bool {
    true
}

/// One searched value, as written: exactly one of `uniform`, `log_uniform`, `int`, `choice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// `[low, high]`, a real number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniform: Option<Vec<f64>>,
    /// `[low, high]`, a positive real number searched on a log scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_uniform: Option<Vec<f64>>,
    /// `[low, high]`, an integer (both ends included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int: Option<Vec<i64>>,
    /// The values to choose from (numbers, strings or booleans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<Vec<toml::Value>>,
    /// Search `int` or `uniform` on a log scale.
    #[serde(default)]
    pub log: bool,
    /// Spacing of the values (`int`: an integer step; `uniform`: a real one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// Points per real range for the grid sampler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<usize>,
    /// Searched only when this condition on other searched values holds, e.g.
    /// `"training.optimizer.type = 'sgd'"` (kiln's filter syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// A character-level language model: windows of `sequence_length` characters, each followed by
/// the character to predict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageModelSpec {
    /// Characters of context per training window.
    #[serde(default = "default_sequence_length")]
    pub sequence_length: usize,
    /// Characters between the starts of consecutive training windows.
    #[serde(default = "default_lm_step")]
    pub step: usize,
    /// Fraction of the corpus, taken from its end, held out to measure bits per character.
    #[serde(default = "default_holdout")]
    pub holdout: f64,
    /// Use only the first `max_chars` characters of the corpus (all when left out).
    #[serde(default)]
    pub max_chars: Option<usize>,
}

fn default_sequence_length() -> usize {
    40
}
fn default_lm_step() -> usize {
    3
}
fn default_holdout() -> f64 {
    0.1
}

impl Default for LanguageModelSpec {
    fn default() -> Self {
        Self {
            sequence_length: default_sequence_length(),
            step: default_lm_step(),
            holdout: default_holdout(),
            max_chars: None,
        }
    }
}

fn default_name() -> String {
    "model".to_string()
}

/// Where the data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// A built-in dataset (`mnist`, `boston`, `iris`, `moons`, …) or a file path (CSV, Parquet,
    /// JSON lines, IDX). Relative paths are taken from the spec file's folder.
    pub source: String,
    /// An optional separate test source (a built-in's `:test` part, or a file). When absent, the
    /// test rows are split off `source` with `split.test`.
    #[serde(default)]
    pub test: Option<String>,
    /// File format when it cannot be told from the extension: `csv`, `parquet`, `jsonl`, `idx`.
    #[serde(default)]
    pub format: Option<String>,
    /// Options for generated datasets (`moons`, `circles`, `blobs`).
    #[serde(default)]
    pub generate: Option<GenerateSpec>,
    /// How the rows are split into train / validation / test.
    #[serde(default)]
    pub split: SplitSpec,
}

/// Parameters of a generated dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Number of points.
    #[serde(default = "default_samples")]
    pub samples: usize,
    /// Standard deviation of the Gaussian noise added to each point.
    #[serde(default)]
    pub noise: f64,
    /// Seed of the generator.
    #[serde(default)]
    pub seed: u64,
    /// Number of blobs (`blobs` only).
    #[serde(default)]
    pub centers: Option<usize>,
}

fn default_samples() -> usize {
    1000
}

/// How the rows are split. Rows are always shuffled with `seed` first: never a tail split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    /// Fraction of the (non-test) rows held out for validation.
    #[serde(default = "default_validation")]
    pub validation: f64,
    /// Fraction of all rows held out for test; ignored when `data.test` is given.
    #[serde(default = "default_test")]
    pub test: f64,
    /// Seed of the shuffle.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Keep class proportions equal across splits (classification outputs only).
    #[serde(default = "default_true")]
    pub stratify: bool,
}

fn default_validation() -> f64 {
    0.1
}
fn default_test() -> f64 {
    0.2
}
fn default_seed() -> u64 {
    42
}
fn default_true() -> bool {
    true
}

impl Default for SplitSpec {
    fn default() -> Self {
        Self {
            validation: default_validation(),
            test: default_test(),
            seed: default_seed(),
            stratify: true,
        }
    }
}

/// One input feature: a column (or, for images, an image source) and how to encode it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// Column name in the data.
    pub name: String,
    /// What kind of values the column holds.
    #[serde(rename = "type")]
    pub kind: FeatureKind,
    /// Transform applied to numbers: `standardize` (default), `minmax` or `none`.
    /// For images: `scale` (default, divides by 255) or `none`.
    #[serde(default)]
    pub transform: Option<String>,
    /// Category encoding: `onehot` (default). Text encoding: `multi_hot` (default, a bag of
    /// words over the vocabulary) or `sequence` (token ids, padded or truncated to `length`).
    #[serde(default)]
    pub encoding: Option<String>,
    /// What to do with a missing value: `error` (default), `mean`, `median`, `mode`, `constant`.
    #[serde(default)]
    pub missing: Option<String>,
    /// The fill value when `missing = "constant"`.
    #[serde(default)]
    pub fill: Option<serde_json::Value>,
    /// Text only: `word` (default) or `char`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
    /// Text only: lowercase before tokenising (default true for `word`, false for `char`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowercase: Option<bool>,
    /// Text only: remove HTML tags such as `<br />` (default true for `word`, false for `char`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip_html: Option<bool>,
    /// Word tokenizer only: drop punctuation (default true); when false every punctuation mark
    /// is a token of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip_punctuation: Option<bool>,
    /// Text only: keep at most this many tokens, the most frequent ones (default 20,000 for
    /// `word`, unlimited for `char`). Padding and the out-of-vocabulary token are not counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<usize>,
    /// Text only: keep tokens seen at least this many times in the training rows (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_frequency: Option<usize>,
    /// Text only: how the out-of-vocabulary token is shown (default `[UNK]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oov_token: Option<String>,
    /// Char tokenizer only: `unicode` (default, one token per Unicode scalar value) or `byte`
    /// (one token per byte, which reads any bytes, valid UTF-8 or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Text with `encoding = "sequence"` only: tokens per row, padded or truncated; a number or
    /// `"auto"` (default), the 95th percentile of the training rows' token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<SequenceLength>,
    /// Text read from raw bytes only (e.g. emails), for tokenizers that read characters:
    /// `replace` (default, invalid UTF-8 becomes U+FFFD and the rows are counted in a warning)
    /// or `reject` (an error naming the row and byte offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utf8: Option<String>,
}

impl FeatureSpec {
    /// A feature of `kind` reading column `name`, every setting at its default.
    pub fn new(name: impl Into<String>, kind: FeatureKind) -> Self {
        Self {
            name: name.into(),
            kind,
            transform: None,
            encoding: None,
            missing: None,
            fill: None,
            tokenizer: None,
            lowercase: None,
            strip_html: None,
            strip_punctuation: None,
            max_tokens: None,
            min_frequency: None,
            oov_token: None,
            unit: None,
            length: None,
            utf8: None,
        }
    }
}

/// The length of a text `sequence` encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceLength {
    /// Exactly this many tokens per row.
    Fixed(usize),
    /// Chosen from the training rows: the 95th percentile of their token counts.
    Auto,
}

impl Serialize for SequenceLength {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Fixed(n) => s.serialize_u64(*n as u64),
            Self::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for SequenceLength {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SequenceLength;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a positive integer or \"auto\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                usize::try_from(v)
                    .ok()
                    .filter(|&n| n > 0)
                    .map(SequenceLength::Fixed)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                match u64::try_from(v) {
                    Ok(u) => self.visit_u64(u),
                    Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "auto" {
                    Ok(SequenceLength::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// The kinds of feature kiln understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    /// A real number.
    Number,
    /// Two values: true/false, yes/no, 0/1, or any two distinct strings.
    Binary,
    /// A value from a finite set; unseen values go to an unknown bucket.
    Category,
    /// A fixed-size image (height × width × channels).
    Image,
    /// Free text, tokenised into words or characters over a vocabulary fitted on the training
    /// rows; encoded as a multi-hot vector or a sequence of token ids.
    Text,
}

/// The output feature and what kind of task it makes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Column name in the data.
    pub name: String,
    /// `category` (multi-class classification), `binary` or `number` (regression).
    #[serde(rename = "type")]
    pub kind: OutputKind,
    /// Target transform for regression: `none` (default) or `standardize`.
    #[serde(default)]
    pub transform: Option<String>,
}

/// The task an output feature makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// Multi-class classification, softmax cross-entropy.
    Category,
    /// Two-class classification, sigmoid binary cross-entropy.
    Binary,
    /// Regression, mean squared error.
    Number,
}

/// One layer of the stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// Fully connected layer.
    Dense {
        /// Output width.
        units: usize,
        /// Activation applied after the layer.
        #[serde(default)]
        activation: Option<Activation>,
        /// Whether the layer has a bias.
        #[serde(default = "default_true")]
        bias: bool,
        /// Makes the layer Bayesian: a Normal prior over its weights (and biases), fitted by
        /// ADVI (`training.method = "advi"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bayesian: Option<BayesianSpec>,
    },
    /// 2-D convolution over `[channels, height, width]`.
    Conv2d {
        /// Number of output channels.
        filters: usize,
        /// Kernel size (square).
        kernel: usize,
        /// Stride (square).
        #[serde(default = "one")]
        stride: usize,
        /// `valid` (default, no padding) or `same`.
        #[serde(default)]
        padding: Option<String>,
        /// Activation applied after the layer.
        #[serde(default)]
        activation: Option<Activation>,
    },
    /// Max pooling.
    MaxPool2d {
        /// Window size (square).
        size: usize,
        /// Stride; defaults to the window size.
        #[serde(default)]
        stride: Option<usize>,
    },
    /// Average pooling.
    AvgPool2d {
        /// Window size (square).
        size: usize,
        /// Stride; defaults to the window size.
        #[serde(default)]
        stride: Option<usize>,
    },
    /// 1-D convolution over a `[time, features]` sequence (Keras' `Conv1D`, channels last):
    /// `[time, features]` → `[time', filters]`. After an embedding with `mask_zero`, padded steps
    /// enter as zeros and the mask travels on (an output step is real when its window touches a
    /// real token), so downstream pooling skips padding.
    Conv1d {
        /// Number of output channels.
        filters: usize,
        /// Kernel width in time steps.
        kernel: usize,
        /// Stride in time steps.
        #[serde(default = "one")]
        stride: usize,
        /// `valid` (default, no padding) or `same`.
        #[serde(default)]
        padding: Option<String>,
        /// Activation applied after the layer.
        #[serde(default)]
        activation: Option<Activation>,
    },
    /// Max pooling over time: `[time, features]` → `[time', features]`.
    MaxPool1d {
        /// Window size in time steps.
        size: usize,
        /// Stride; defaults to the window size.
        #[serde(default)]
        stride: Option<usize>,
    },
    /// The maximum over time of each feature: `[time, features]` → `[features]` (Keras'
    /// `GlobalMaxPooling1D`); padded steps are skipped.
    GlobalMaxPool1d {},
    /// The mean over time of each feature: `[time, features]` → `[features]` (Keras'
    /// `GlobalAveragePooling1D`); the mean is over real steps only.
    GlobalAvgPool1d {},
    /// Flattens `[channels, height, width]` to a vector.
    Flatten {},
    /// Randomly zeroes a fraction of activations during training.
    Dropout {
        /// Fraction dropped, in [0, 1).
        rate: f64,
    },
    /// Batch normalisation over the feature (or channel) axis.
    BatchNorm {
        /// Momentum of the running statistics (Keras' convention: 0.99).
        #[serde(default)]
        momentum: Option<f64>,
        /// Added to the variance for numerical stability.
        #[serde(default)]
        epsilon: Option<f64>,
    },
    /// Layer normalisation over the last axis (Keras' `LayerNormalization`, PyTorch's
    /// `nn.LayerNorm`): each row's (or each step's) features are centred and scaled by their
    /// own mean and biased variance, then by a learnt scale γ and offset β.
    LayerNorm {
        /// Added to the variance for numerical stability (Keras' default: 0.001).
        #[serde(default)]
        epsilon: Option<f64>,
    },
    /// A stand-alone activation.
    Activation {
        /// Which activation.
        function: Activation,
    },
    /// Token ids `[time]` → vectors `[time, dim]`. Id 0 is padding: with `mask_zero` (the
    /// default) recurrent layers downstream skip padded steps.
    Embedding {
        /// Vocabulary size (ids `0..vocab`). Left out, it is taken from the data's vocabulary
        /// (a character-level language model's, or a text feature's).
        #[serde(default)]
        vocab: Option<usize>,
        /// Width of each vector.
        dim: usize,
        /// Treat id 0 as padding and mask it in recurrent layers.
        #[serde(default = "default_true")]
        mask_zero: bool,
        /// How the vectors start: `normal` (default, N(0, 1), PyTorch's `nn.Embedding`) or
        /// `uniform` (U(−0.05, 0.05), Keras' `Embedding`), which trains much faster under
        /// convolution and max pooling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        init: Option<EmbeddingInit>,
    },
    /// Long short-term memory over `[time, features]`, PyTorch's `nn.LSTM` equations.
    Lstm(RecurrentSpec),
    /// Gated recurrent unit over `[time, features]`, PyTorch's `nn.GRU` equations.
    Gru(RecurrentSpec),
}

/// Settings shared by `lstm` and `gru` layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurrentSpec {
    /// Hidden size of each direction.
    pub units: usize,
    /// Output every step `[time, units·directions]` instead of the final state
    /// `[units·directions]`.
    #[serde(default)]
    pub return_sequences: bool,
    /// Run a second pass backwards in time and concatenate both.
    #[serde(default)]
    pub bidirectional: bool,
    /// Stacked recurrent layers inside this one (PyTorch's `num_layers`).
    #[serde(default = "one")]
    pub layers: usize,
    /// Dropout on the outputs of each stacked layer except the last (PyTorch's `dropout`).
    #[serde(default)]
    pub dropout: f64,
}

impl RecurrentSpec {
    /// A single forward layer of `units`, final state only.
    pub fn new(units: usize) -> Self {
        Self {
            units,
            return_sequences: false,
            bidirectional: false,
            layers: 1,
            dropout: 0.0,
        }
    }

    /// 2 when bidirectional, else 1.
    pub fn directions(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }
}

fn one() -> usize {
    1
}

/// The prior of a Bayesian dense layer: every weight (and bias) ~ Normal(`prior_mean`,
/// `prior_sigma`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BayesianSpec {
    /// Prior standard deviation (> 0).
    #[serde(default = "default_prior_sigma")]
    pub prior_sigma: f64,
    /// Prior mean (ignored where `training.advi.prior_mean_from` names a model file).
    #[serde(default)]
    pub prior_mean: f64,
}

fn default_prior_sigma() -> f64 {
    1.0
}

impl Default for BayesianSpec {
    fn default() -> Self {
        Self {
            prior_sigma: default_prior_sigma(),
            prior_mean: 0.0,
        }
    }
}

/// How the weights are fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingMethod {
    /// Gradient descent on the loss, epoch by epoch (the default).
    #[default]
    Gradient,
    /// Variational inference (ADVI) over Bayesian dense layers; see `[training.advi]`.
    Advi,
}

/// ADVI settings (`[training.advi]`), used when `training.method = "advi"`. Defaults follow
/// PyMC's `pm.fit(method="advi")`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdviSpec {
    /// Optimisation steps.
    #[serde(default = "default_advi_iterations")]
    pub iterations: usize,
    /// Monte-Carlo weight samples per step.
    #[serde(default = "one")]
    pub samples: usize,
    /// Rows per step; absent = every training row (full batch). The likelihood is scaled by
    /// rows / batch, like PyMC's `total_size`.
    #[serde(default)]
    pub batch_size: Option<usize>,
    /// The optimiser (PyMC's `adagrad_window` by default).
    #[serde(default)]
    pub optimizer: AdviOptimizerSpec,
    /// Stop early when the ELBO settles.
    #[serde(default)]
    pub convergence: Option<ConvergenceSpec>,
    /// The posterior standard deviation every weight starts at (PyMC's `start_sigma`).
    #[serde(default = "default_init_sigma")]
    pub init_sigma: f64,
    /// Weight draws per prediction.
    #[serde(default = "default_predict_samples")]
    pub predict_samples: usize,
    /// Mass of the central credible interval reported with predictions (ArviZ's 0.94).
    #[serde(default = "default_interval")]
    pub interval: f64,
    /// Regression only: the known noise standard deviation, in the output's units; absent =
    /// fitted.
    #[serde(default)]
    pub noise: Option<f64>,
    /// A model file whose weights become the prior means (an informed prior); its layer
    /// shapes must match. Relative to the spec's folder.
    #[serde(default)]
    pub prior_mean_from: Option<String>,
}

fn default_advi_iterations() -> usize {
    50_000
}
/// `kiln_bayes::config::DEFAULT_INIT_SIGMA` (kiln's tests check they agree).
fn default_init_sigma() -> f64 {
    0.1
}
fn default_predict_samples() -> usize {
    100
}
fn default_interval() -> f64 {
    0.94
}

impl Default for AdviSpec {
    fn default() -> Self {
        Self {
            iterations: default_advi_iterations(),
            samples: 1,
            batch_size: None,
            optimizer: AdviOptimizerSpec::default(),
            convergence: None,
            init_sigma: default_init_sigma(),
            predict_samples: default_predict_samples(),
            interval: default_interval(),
            noise: None,
            prior_mean_from: None,
        }
    }
}

/// Optimisers for ADVI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdviOptimizerSpec {
    /// PyMC's `adagrad_window`: Adagrad over the last `window` squared gradients.
    AdagradWindow {
        /// Step size.
        #[serde(default = "default_adam_lr")]
        learning_rate: f64,
        /// Squared gradients remembered.
        #[serde(default = "default_window")]
        window: usize,
        /// Added under the square root.
        #[serde(default = "default_adagrad_eps")]
        epsilon: f64,
    },
    /// Adam.
    Adam {
        /// Step size.
        #[serde(default = "default_adam_lr")]
        learning_rate: f64,
        /// First-moment decay.
        #[serde(default = "default_beta1")]
        beta1: f64,
        /// Second-moment decay.
        #[serde(default = "default_beta2")]
        beta2: f64,
        /// Denominator constant.
        #[serde(default = "default_adam_advi_eps")]
        epsilon: f64,
    },
}

fn default_window() -> usize {
    10
}
fn default_adagrad_eps() -> f64 {
    0.1
}
fn default_adam_advi_eps() -> f64 {
    1e-8
}

impl Default for AdviOptimizerSpec {
    fn default() -> Self {
        Self::AdagradWindow {
            learning_rate: default_adam_lr(),
            window: default_window(),
            epsilon: default_adagrad_eps(),
        }
    }
}

/// Stop when the relative change of the mean ELBO between two consecutive windows of
/// `window` iterations falls below `tolerance`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvergenceSpec {
    /// Iterations per window.
    #[serde(default = "default_convergence_window")]
    pub window: usize,
    /// Relative change that counts as settled.
    #[serde(default = "default_convergence_tolerance")]
    pub tolerance: f64,
}

fn default_convergence_window() -> usize {
    1000
}
fn default_convergence_tolerance() -> f64 {
    1e-3
}

/// The starting values of an embedding table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingInit {
    /// N(0, 1), PyTorch's `nn.Embedding` (the default).
    #[default]
    Normal,
    /// U(−0.05, 0.05), Keras' `Embedding`.
    Uniform,
}

/// Activation functions. A layer that names none applies `linear` (the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(0, x)
    Relu,
    /// tanh(x)
    Tanh,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// x if x > 0 else 0.01·x
    LeakyRelu,
    /// Gaussian error linear unit.
    Gelu,
    /// Exponential linear unit.
    Elu,
    /// Identity.
    #[default]
    Linear,
    /// Softmax over the feature axis (only meaningful before a custom loss; the head applies
    /// its own).
    Softmax,
}

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingSpec {
    /// Optimiser and its learning rate.
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// Rows per step.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Passes over the training rows.
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Seed of weight initialisation, dropout and batch order.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Stop when the monitored metric stops improving.
    #[serde(default)]
    pub early_stopping: Option<EarlyStoppingSpec>,
    /// Learning-rate schedule.
    #[serde(default)]
    pub lr_schedule: Option<LrScheduleSpec>,
    /// `gradient` (default) or `advi` (Bayesian layers fitted by variational inference).
    #[serde(default)]
    pub method: TrainingMethod,
    /// ADVI settings (`method = "advi"`).
    #[serde(default)]
    pub advi: Option<AdviSpec>,
}

fn default_batch() -> usize {
    32
}
fn default_epochs() -> usize {
    10
}

impl Default for TrainingSpec {
    fn default() -> Self {
        Self {
            optimizer: OptimizerSpec::default(),
            batch_size: default_batch(),
            epochs: default_epochs(),
            seed: default_seed(),
            early_stopping: None,
            lr_schedule: None,
            method: TrainingMethod::Gradient,
            advi: None,
        }
    }
}

impl Spec {
    /// Whether the spec is fitted by ADVI (`training.method = "advi"`).
    pub fn is_bayesian(&self) -> bool {
        self.training.method == TrainingMethod::Advi
    }
}

/// Optimiser settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerSpec {
    /// Stochastic gradient descent with optional momentum.
    Sgd {
        /// Step size.
        #[serde(default = "default_sgd_lr")]
        learning_rate: f64,
        /// Momentum (0 = plain SGD).
        #[serde(default)]
        momentum: f64,
        /// Nesterov momentum.
        #[serde(default)]
        nesterov: bool,
    },
    /// Adam (Kingma & Ba), Keras' defaults.
    Adam {
        /// Step size.
        #[serde(default = "default_adam_lr")]
        learning_rate: f64,
        /// First-moment decay.
        #[serde(default = "default_beta1")]
        beta1: f64,
        /// Second-moment decay.
        #[serde(default = "default_beta2")]
        beta2: f64,
        /// Denominator constant.
        #[serde(default = "default_eps")]
        epsilon: f64,
    },
    /// RMSprop, Keras' defaults.
    Rmsprop {
        /// Step size.
        #[serde(default = "default_adam_lr")]
        learning_rate: f64,
        /// Decay of the squared-gradient average.
        #[serde(default = "default_rho")]
        rho: f64,
        /// Denominator constant.
        #[serde(default = "default_eps")]
        epsilon: f64,
    },
}

fn default_sgd_lr() -> f64 {
    0.01
}
fn default_adam_lr() -> f64 {
    0.001
}
fn default_beta1() -> f64 {
    0.9
}
fn default_beta2() -> f64 {
    0.999
}
fn default_eps() -> f64 {
    1e-7
}
fn default_rho() -> f64 {
    0.9
}

impl Default for OptimizerSpec {
    fn default() -> Self {
        Self::Adam {
            learning_rate: default_adam_lr(),
            beta1: default_beta1(),
            beta2: default_beta2(),
            epsilon: default_eps(),
        }
    }
}

impl OptimizerSpec {
    /// The base learning rate.
    pub fn learning_rate(&self) -> f64 {
        match self {
            Self::Sgd { learning_rate, .. }
            | Self::Adam { learning_rate, .. }
            | Self::Rmsprop { learning_rate, .. } => *learning_rate,
        }
    }
}

/// Early stopping, Keras' `EarlyStopping(restore_best_weights=True)`, except that the best
/// weights are restored whether or not stopping triggered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStoppingSpec {
    /// `val_loss` (default), `val_accuracy`, `val_mae`, …
    #[serde(default = "default_monitor")]
    pub monitor: String,
    /// Epochs without improvement before stopping.
    #[serde(default = "default_patience")]
    pub patience: usize,
    /// Smallest change that counts as an improvement.
    #[serde(default)]
    pub min_delta: f64,
    /// Restore the best epoch's weights at the end (default true).
    #[serde(default = "default_true")]
    pub restore_best: bool,
}

fn default_monitor() -> String {
    "val_loss".to_string()
}
fn default_patience() -> usize {
    5
}

/// Learning-rate schedules, applied per epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LrScheduleSpec {
    /// Multiply by `gamma` every `step_size` epochs.
    Step {
        /// Epochs between decays.
        step_size: usize,
        /// Factor applied at each decay.
        gamma: f64,
    },
    /// Multiply by `gamma` every epoch.
    Exponential {
        /// Factor applied each epoch.
        gamma: f64,
    },
    /// Cosine annealing from the base rate to `min_lr` over all epochs.
    Cosine {
        /// Final learning rate.
        #[serde(default)]
        min_lr: f64,
    },
    /// Multiply by `factor` when the validation loss has not improved for `patience` epochs.
    ReduceOnPlateau {
        /// Factor applied on a plateau.
        #[serde(default = "default_plateau_factor")]
        factor: f64,
        /// Epochs without improvement before reducing.
        #[serde(default = "default_plateau_patience")]
        patience: usize,
        /// Lower bound on the rate.
        #[serde(default)]
        min_lr: f64,
    },
}

fn default_plateau_factor() -> f64 {
    0.1
}
fn default_plateau_patience() -> usize {
    2
}

impl Activation {
    /// The name used in a spec (`relu`, `leaky_relu`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relu => "relu",
            Self::Tanh => "tanh",
            Self::Sigmoid => "sigmoid",
            Self::LeakyRelu => "leaky_relu",
            Self::Gelu => "gelu",
            Self::Elu => "elu",
            Self::Linear => "linear",
            Self::Softmax => "softmax",
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl LayerSpec {
    /// Every layer `type` a spec may name, in the order the docs list them.
    pub const TYPES: &'static [&'static str] = &[
        "dense",
        "conv2d",
        "max_pool2d",
        "avg_pool2d",
        "conv1d",
        "max_pool1d",
        "global_max_pool1d",
        "global_avg_pool1d",
        "flatten",
        "dropout",
        "batch_norm",
        "layer_norm",
        "activation",
        "embedding",
        "lstm",
        "gru",
    ];

    /// The layer's `type` as written in a spec (`dense`, `conv2d`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Dense { .. } => "dense",
            Self::Conv2d { .. } => "conv2d",
            Self::MaxPool2d { .. } => "max_pool2d",
            Self::AvgPool2d { .. } => "avg_pool2d",
            Self::Conv1d { .. } => "conv1d",
            Self::MaxPool1d { .. } => "max_pool1d",
            Self::GlobalMaxPool1d {} => "global_max_pool1d",
            Self::GlobalAvgPool1d {} => "global_avg_pool1d",
            Self::Flatten {} => "flatten",
            Self::Dropout { .. } => "dropout",
            Self::BatchNorm { .. } => "batch_norm",
            Self::LayerNorm { .. } => "layer_norm",
            Self::Activation { .. } => "activation",
            Self::Embedding { .. } => "embedding",
            Self::Lstm(_) => "lstm",
            Self::Gru(_) => "gru",
        }
    }
}

impl FeatureKind {
    /// The kind as written in a spec (`number`, `binary`, `category`, `image`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::Binary => "binary",
            Self::Category => "category",
            Self::Image => "image",
            Self::Text => "text",
        }
    }
}

impl OutputKind {
    /// The kind as written in a spec (`category`, `binary`, `number`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Category => "category",
            Self::Binary => "binary",
            Self::Number => "number",
        }
    }
}
