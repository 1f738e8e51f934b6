//! The checked spec: every setting settled, every named value an enum.
//!
//! [`Spec::check`](crate::Spec::check) turns the spec as written ([`crate::types`]) into
//! [`Settings`]: one struct per kind of input ([`Input`]) and of layer ([`Layer`]), each field
//! holding the value to use, defaults filled in. This is the only form `kiln-data` and
//! `kiln-model` take, so a default lives here and nowhere else, and no crate below this one
//! reads a name or an `Option` the spec left out.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::check::{Problem, check_layers, check_spec};
use crate::error::SpecError;
use crate::options::{
    CategoryEncoding, CharUnit, DiscreteMissing, ImageTransform, NumberMissing, NumberTransform,
    OutputTransform, Padding, TextEncoding, TextMissing, Tokenizer, Utf8Policy,
};
use crate::types::{
    Activation, EmbeddingInit, FeatureKind, FeatureSpec, LayerSpec, OutputKind, OutputSpec,
    SequenceLength, Spec,
};

/// Vocabulary size of the word tokenizer when the spec sets no `max_tokens`.
pub const DEFAULT_WORD_MAX_TOKENS: usize = 20_000;

/// How the out-of-vocabulary token is shown when the spec sets no `oov_token`.
pub const DEFAULT_OOV_TOKEN: &str = "[UNK]";

/// Keras' batch-norm momentum (the weight of the old running value).
pub const DEFAULT_BATCH_NORM_MOMENTUM: f64 = 0.99;

/// Keras' batch-norm epsilon.
pub const DEFAULT_BATCH_NORM_EPSILON: f64 = 1e-3;

/// `layer_norm`'s `epsilon` when the spec names none (Keras' `LayerNormalization`).
pub const DEFAULT_LAYER_NORM_EPSILON: f64 = 1e-3;

impl Spec {
    /// Checks the spec and settles it: every default filled in, every named value an enum. The
    /// result is what `kiln-data` and `kiln-model` take.
    ///
    /// These are the checks [`parse_spec`](crate::parse_spec) runs; on a spec built in code
    /// the errors are [`SpecError::Check`] (there is no text to point into).
    ///
    /// # Errors
    ///
    /// [`SpecError::Check`] naming the first offending key.
    pub fn check(&self) -> Result<Settings, SpecError> {
        check_spec(self).map_err(|p| p.unlocated(""))?;
        self.settle().map_err(|p| p.unlocated(""))
    }

    /// Runs the semantic checks of [`parse_spec`](crate::parse_spec) on a spec built in code
    /// ([`Spec::check`] without its result).
    ///
    /// # Errors
    ///
    /// [`SpecError::Check`] naming the first offending key (there is no text to point into).
    pub fn validate(&self) -> Result<(), SpecError> {
        self.check().map(drop)
    }

    fn settle(&self) -> Result<Settings, Problem> {
        let inputs = self
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| Input::settle(input).map_err(|u| u.problem(&format!("input[{i}]"))))
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            inputs,
            output: Output::settle(&self.output).map_err(|u| u.problem("output"))?,
            layers: Layers::settle(self.layers.clone())?,
        })
    }
}

/// A spec that passed every check, its inputs, output and layers settled. Only
/// [`Spec::check`] makes one. (Training settings have no named values and are read as written,
/// by `kiln-train`.)
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    inputs: Vec<Input>,
    output: Output,
    layers: Layers,
}

impl Settings {
    /// The inputs, in the order the network sees them (none for a language model).
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The output.
    pub fn output(&self) -> &Output {
        &self.output
    }

    /// The layer stack (body only). An embedding's `vocab` may still be open: it comes from the
    /// data.
    pub fn layers(&self) -> &Layers {
        &self.layers
    }
}

/// One input feature, settled, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A real number.
    Number(NumberInput),
    /// Two values.
    Binary(BinaryInput),
    /// A value from a finite set.
    Category(CategoryInput),
    /// A fixed-size image; always the only input.
    Image(ImageInput),
    /// Free text.
    Text(TextInput),
}

impl Input {
    /// The column this input reads.
    pub fn name(&self) -> &str {
        match self {
            Self::Number(i) => &i.name,
            Self::Binary(i) => &i.name,
            Self::Category(i) => &i.name,
            Self::Image(i) => &i.name,
            Self::Text(i) => &i.name,
        }
    }

    /// The kind, as the spec's `type` names it.
    pub fn kind(&self) -> FeatureKind {
        match self {
            Self::Number(_) => FeatureKind::Number,
            Self::Binary(_) => FeatureKind::Binary,
            Self::Category(_) => FeatureKind::Category,
            Self::Image(_) => FeatureKind::Image,
            Self::Text(_) => FeatureKind::Text,
        }
    }
}

/// A `number` input.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberInput {
    /// Column name.
    pub name: String,
    /// How values are scaled.
    pub transform: NumberTransform,
    /// What replaces a missing value.
    pub missing: NumberMissing,
    /// The `fill` value as written; set exactly when `missing` is `constant`.
    pub fill: Option<serde_json::Value>,
}

/// A `binary` input.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryInput {
    /// Column name.
    pub name: String,
    /// What replaces a missing value.
    pub missing: DiscreteMissing,
    /// The `fill` value as written; set exactly when `missing` is `constant`.
    pub fill: Option<serde_json::Value>,
}

/// A `category` input.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryInput {
    /// Column name.
    pub name: String,
    /// How values become numbers.
    pub encoding: CategoryEncoding,
    /// What replaces a missing value.
    pub missing: DiscreteMissing,
    /// The `fill` value as written; set exactly when `missing` is `constant`.
    pub fill: Option<serde_json::Value>,
}

/// An `image` input. A missing image is always an error.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageInput {
    /// Column name.
    pub name: String,
    /// How bytes are scaled.
    pub transform: ImageTransform,
}

/// A `text` input.
#[derive(Debug, Clone, PartialEq)]
pub struct TextInput {
    /// Column name.
    pub name: String,
    /// Words or characters.
    pub tokenizer: Tokenizer,
    /// What a character token is; only read by the char tokenizer.
    pub unit: CharUnit,
    /// Lowercase before tokenising (default: true for words, false for characters).
    pub lowercase: bool,
    /// Replace HTML tags by a space first (default: true for words, false for characters).
    pub strip_html: bool,
    /// Word tokenizer only: drop punctuation instead of making each mark a token.
    pub strip_punctuation: bool,
    /// Raw bytes that are not UTF-8, for tokenizers that read characters.
    pub utf8: Utf8Policy,
    /// Keep at most this many tokens, the most frequent; `None`: all (the char tokenizer's
    /// default; words default to [`DEFAULT_WORD_MAX_TOKENS`]).
    pub max_tokens: Option<usize>,
    /// Keep tokens seen at least this many times in the training rows.
    pub min_frequency: usize,
    /// How the out-of-vocabulary token is shown.
    pub oov_token: String,
    /// Multi-hot or a sequence of token ids.
    pub encoding: TextEncoding,
    /// Tokens per row; only read by the sequence encoding.
    pub length: SequenceLength,
    /// What replaces a missing value.
    pub missing: TextMissing,
    /// The `fill` value as written; set exactly when `missing` is `constant`.
    pub fill: Option<serde_json::Value>,
}

/// The output, settled.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Column name.
    pub name: String,
    /// The task it makes.
    pub kind: OutputKind,
    /// How regression targets are scaled; `none` for classification.
    pub transform: OutputTransform,
}

/// One layer, settled, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Layer {
    /// Fully connected layer.
    Dense(Dense),
    /// 2-D convolution over `[channels, height, width]`.
    Conv2d(Conv),
    /// Max pooling over `[channels, height, width]`.
    MaxPool2d(Pool),
    /// Average pooling over `[channels, height, width]`.
    AvgPool2d(Pool),
    /// 1-D convolution over `[time, features]`.
    Conv1d(Conv),
    /// Max pooling over time.
    MaxPool1d(Pool),
    /// The maximum over time of each feature.
    GlobalMaxPool1d,
    /// The mean over time of each feature.
    GlobalAvgPool1d,
    /// Flattens everything after the batch axis.
    Flatten,
    /// Randomly zeroes a fraction of activations while training.
    Dropout(Dropout),
    /// Batch normalisation over the feature (or channel) axis.
    BatchNorm(BatchNorm),
    /// `layer_norm`.
    LayerNorm(LayerNorm),
    /// A stand-alone activation.
    Activation(Activation),
    /// Token ids → vectors.
    Embedding(Embedding),
    /// Long short-term memory.
    Lstm(Recurrent),
    /// Gated recurrent unit.
    Gru(Recurrent),
}

/// A `dense` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Output width.
    pub units: usize,
    /// Applied after the affine map (`linear` when the spec names none).
    pub activation: Activation,
    /// Whether the layer has a bias.
    pub bias: bool,
    /// The prior over the weights of a Bayesian layer (`training.method = "advi"`).
    pub prior: Option<Prior>,
}

/// The Normal prior of a Bayesian dense layer's weights and biases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// Standard deviation (> 0).
    pub sigma: f64,
    /// Mean.
    pub mean: f64,
}

/// A `conv2d` or `conv1d` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv {
    /// Output channels.
    pub filters: usize,
    /// Kernel size (square for `conv2d`, in time steps for `conv1d`).
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Edge handling.
    pub padding: Padding,
    /// Applied after the convolution (`linear` when the spec names none).
    pub activation: Activation,
}

/// A pooling layer over windows (`max_pool2d`, `avg_pool2d`, `max_pool1d`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// Window size (square for 2-D pooling).
    pub size: usize,
    /// Stride (the window size when the spec names none).
    pub stride: usize,
}

/// A `dropout` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Dropout {
    /// Fraction dropped, in [0, 1).
    pub rate: f64,
}

/// A `batch_norm` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNorm {
    /// Weight of the old running value (Keras' convention).
    pub momentum: f64,
    /// Added to the variance.
    pub epsilon: f64,
}

/// A `layer_norm` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNorm {
    /// Added to the variance.
    pub epsilon: f64,
}

/// An `embedding` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// Vocabulary size; `None` until it is taken from the data.
    pub vocab: Option<usize>,
    /// Width of each vector.
    pub dim: usize,
    /// Treat id 0 as padding.
    pub mask_zero: bool,
    /// How the vectors start.
    pub init: EmbeddingInit,
}

/// An `lstm` or `gru` layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrent {
    /// Hidden size of each direction.
    pub units: usize,
    /// Output every step instead of the final state.
    pub return_sequences: bool,
    /// Run a second pass backwards in time.
    pub bidirectional: bool,
    /// Stacked layers inside this one.
    pub layers: usize,
    /// Dropout between stacked layers.
    pub dropout: f64,
}

impl Recurrent {
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

/// A name that a setting does not accept, found while settling an input or a layer (which the
/// checks have not passed, or which they let through by a bug).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnknownName {
    /// The key, e.g. `padding`.
    pub(crate) key: &'static str,
    /// The name found.
    pub(crate) value: String,
    /// The names accepted.
    pub(crate) allowed: Vec<&'static str>,
}

impl UnknownName {
    /// Settling found a name the checks let through: a bug in the checks, reported rather
    /// than panicked on.
    fn problem(self, at: &str) -> Problem {
        Problem::unknown_name(
            format!("{at}.{}", self.key),
            self.key,
            &self.value,
            &self.allowed,
        )
    }
}

/// The value `value` names for `key`, its default when the key was left out.
fn settle_choice<T: crate::options::Choice>(
    key: &'static str,
    value: Option<&str>,
) -> Result<T, UnknownName> {
    match value {
        None => Ok(T::default()),
        Some(v) => T::from_name(v).ok_or_else(|| UnknownName {
            key,
            value: v.to_string(),
            allowed: T::names(),
        }),
    }
}

impl Layer {
    /// The layer as written, with its defaults filled in. Fails only on a name a setting does
    /// not accept (ranges are [`Spec::check`](crate::Spec::check)'s business).
    pub(crate) fn settle(spec: &LayerSpec) -> Result<Self, UnknownName> {
        Ok(match spec {
            LayerSpec::Dense {
                units,
                activation,
                bias,
                bayesian,
            } => Self::Dense(Dense {
                units: *units,
                activation: activation.unwrap_or_default(),
                bias: *bias,
                prior: bayesian.as_ref().map(|b| Prior {
                    sigma: b.prior_sigma,
                    mean: b.prior_mean,
                }),
            }),
            LayerSpec::Conv2d {
                filters,
                kernel,
                stride,
                padding,
                activation,
            } => Self::Conv2d(Conv {
                filters: *filters,
                kernel: *kernel,
                stride: *stride,
                padding: settle_choice("padding", padding.as_deref())?,
                activation: activation.unwrap_or_default(),
            }),
            LayerSpec::Conv1d {
                filters,
                kernel,
                stride,
                padding,
                activation,
            } => Self::Conv1d(Conv {
                filters: *filters,
                kernel: *kernel,
                stride: *stride,
                padding: settle_choice("padding", padding.as_deref())?,
                activation: activation.unwrap_or_default(),
            }),
            LayerSpec::MaxPool2d { size, stride } => Self::MaxPool2d(Pool::settle(*size, *stride)),
            LayerSpec::AvgPool2d { size, stride } => Self::AvgPool2d(Pool::settle(*size, *stride)),
            LayerSpec::MaxPool1d { size, stride } => Self::MaxPool1d(Pool::settle(*size, *stride)),
            LayerSpec::GlobalMaxPool1d {} => Self::GlobalMaxPool1d,
            LayerSpec::GlobalAvgPool1d {} => Self::GlobalAvgPool1d,
            LayerSpec::Flatten {} => Self::Flatten,
            LayerSpec::Dropout { rate } => Self::Dropout(Dropout { rate: *rate }),
            LayerSpec::BatchNorm { momentum, epsilon } => Self::BatchNorm(BatchNorm {
                momentum: momentum.unwrap_or(DEFAULT_BATCH_NORM_MOMENTUM),
                epsilon: epsilon.unwrap_or(DEFAULT_BATCH_NORM_EPSILON),
            }),
            LayerSpec::LayerNorm { epsilon } => Self::LayerNorm(LayerNorm {
                epsilon: epsilon.unwrap_or(DEFAULT_LAYER_NORM_EPSILON),
            }),
            LayerSpec::Activation { function } => Self::Activation(*function),
            LayerSpec::Embedding {
                vocab,
                dim,
                mask_zero,
                init,
            } => Self::Embedding(Embedding {
                vocab: *vocab,
                dim: *dim,
                mask_zero: *mask_zero,
                init: init.unwrap_or_default(),
            }),
            LayerSpec::Lstm(r) => Self::Lstm(Recurrent::settle(r)),
            LayerSpec::Gru(r) => Self::Gru(Recurrent::settle(r)),
        })
    }
}

impl Input {
    /// An input of `kind` reading column `name`, every setting at its default (the word
    /// tokenizer for text).
    pub fn new(name: impl Into<String>, kind: FeatureKind) -> Self {
        let name = name.into();
        match kind {
            FeatureKind::Number => Self::Number(NumberInput::new(name)),
            FeatureKind::Binary => Self::Binary(BinaryInput::new(name)),
            FeatureKind::Category => Self::Category(CategoryInput::new(name)),
            FeatureKind::Image => Self::Image(ImageInput::new(name)),
            FeatureKind::Text => Self::Text(TextInput::new(name, Tokenizer::default())),
        }
    }

    /// The input as written, with its defaults filled in. Fails only on a name a setting does
    /// not accept for the input's kind.
    pub(crate) fn settle(spec: &FeatureSpec) -> Result<Self, UnknownName> {
        let name = spec.name.clone();
        let fill = spec.fill.clone();
        let transform = spec.transform.as_deref();
        let encoding = spec.encoding.as_deref();
        let missing = spec.missing.as_deref();
        Ok(match spec.kind {
            FeatureKind::Number => Self::Number(NumberInput {
                transform: settle_choice("transform", transform)?,
                missing: settle_choice("missing", missing)?,
                fill,
                ..NumberInput::new(name)
            }),
            FeatureKind::Binary => Self::Binary(BinaryInput {
                missing: settle_choice("missing", missing)?,
                fill,
                ..BinaryInput::new(name)
            }),
            FeatureKind::Category => Self::Category(CategoryInput {
                encoding: settle_choice("encoding", encoding)?,
                missing: settle_choice("missing", missing)?,
                fill,
                ..CategoryInput::new(name)
            }),
            FeatureKind::Image => Self::Image(ImageInput {
                transform: settle_choice("transform", transform)?,
                ..ImageInput::new(name)
            }),
            FeatureKind::Text => {
                let tokenizer = settle_choice("tokenizer", spec.tokenizer.as_deref())?;
                let d = TextInput::new(name, tokenizer);
                Self::Text(TextInput {
                    unit: settle_choice("unit", spec.unit.as_deref())?,
                    lowercase: spec.lowercase.unwrap_or(d.lowercase),
                    strip_html: spec.strip_html.unwrap_or(d.strip_html),
                    strip_punctuation: spec.strip_punctuation.unwrap_or(d.strip_punctuation),
                    utf8: settle_choice("utf8", spec.utf8.as_deref())?,
                    max_tokens: spec.max_tokens.or(d.max_tokens),
                    min_frequency: spec.min_frequency.unwrap_or(d.min_frequency),
                    oov_token: spec
                        .oov_token
                        .clone()
                        .unwrap_or_else(|| d.oov_token.clone()),
                    encoding: settle_choice("encoding", encoding)?,
                    length: spec.length.unwrap_or(d.length),
                    missing: settle_choice("missing", missing)?,
                    fill,
                    ..d
                })
            }
        })
    }
}

impl NumberInput {
    /// A number input reading column `name`, every setting at its default.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            transform: NumberTransform::default(),
            missing: NumberMissing::default(),
            fill: None,
        }
    }
}

impl BinaryInput {
    /// A binary input reading column `name`, every setting at its default.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            missing: DiscreteMissing::default(),
            fill: None,
        }
    }
}

impl CategoryInput {
    /// A category input reading column `name`, every setting at its default.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            encoding: CategoryEncoding::default(),
            missing: DiscreteMissing::default(),
            fill: None,
        }
    }
}

impl ImageInput {
    /// An image input reading column `name`, every setting at its default.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            transform: ImageTransform::default(),
        }
    }
}

impl TextInput {
    /// A text input reading column `name` with `tokenizer`, every other setting at that
    /// tokenizer's default: words are lowercased, stripped of HTML and punctuation and cut to
    /// the [`DEFAULT_WORD_MAX_TOKENS`] most frequent; characters are kept as they are, all of
    /// them.
    pub fn new(name: impl Into<String>, tokenizer: Tokenizer) -> Self {
        let word = tokenizer == Tokenizer::Word;
        Self {
            name: name.into(),
            tokenizer,
            unit: CharUnit::default(),
            lowercase: word,
            strip_html: word,
            strip_punctuation: true,
            utf8: Utf8Policy::default(),
            max_tokens: word.then_some(DEFAULT_WORD_MAX_TOKENS),
            min_frequency: 1,
            oov_token: DEFAULT_OOV_TOKEN.to_string(),
            encoding: TextEncoding::default(),
            length: SequenceLength::Auto,
            missing: TextMissing::default(),
            fill: None,
        }
    }
}

impl Output {
    /// An output of `kind` reading column `name`, its transform at the default.
    pub fn new(name: impl Into<String>, kind: OutputKind) -> Self {
        Self {
            name: name.into(),
            kind,
            transform: OutputTransform::default(),
        }
    }

    /// The output as written, with its default filled in.
    pub(crate) fn settle(spec: &OutputSpec) -> Result<Self, UnknownName> {
        let transform = match spec.kind {
            OutputKind::Number => settle_choice("transform", spec.transform.as_deref())?,
            // Classification takes `none` only, which the checks enforce.
            OutputKind::Category | OutputKind::Binary => OutputTransform::None,
        };
        Ok(Self {
            transform,
            ..Self::new(spec.name.clone(), spec.kind)
        })
    }
}

impl Pool {
    fn settle(size: usize, stride: Option<usize>) -> Self {
        Self {
            size,
            stride: stride.unwrap_or(size),
        }
    }
}

impl Recurrent {
    fn settle(r: &crate::types::RecurrentSpec) -> Self {
        Self {
            units: r.units,
            return_sequences: r.return_sequences,
            bidirectional: r.bidirectional,
            layers: r.layers,
            dropout: r.dropout,
        }
    }
}

/// A checked layer stack: each layer settled, kept beside the layers as written.
///
/// The written form is what a model file stores (a `Layers` serialises as the list of
/// [`LayerSpec`]s it was checked from, and is checked again when read back) and what
/// [`describe`](crate::shapes::describe) prints, so neither changes with the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Layers {
    written: Vec<LayerSpec>,
    settled: Vec<Layer>,
}

impl Layers {
    /// Checks a layer stack on its own (ranges and named values, as [`Spec::check`] does for
    /// a spec's `[[layers]]`) and settles it.
    ///
    /// # Errors
    ///
    /// [`SpecError::Check`] naming the first offending key (`layers[2].rate`).
    ///
    /// [`Spec::check`]: crate::Spec::check
    pub fn check(layers: Vec<LayerSpec>) -> Result<Self, SpecError> {
        check_layers(&layers).map_err(|p| p.unlocated(""))?;
        Self::settle(layers).map_err(|p| p.unlocated(""))
    }

    /// Settles layers that passed the checks.
    fn settle(written: Vec<LayerSpec>) -> Result<Self, Problem> {
        let settled = written
            .iter()
            .enumerate()
            .map(|(i, l)| Layer::settle(l).map_err(|u| u.problem(&format!("layers[{i}]"))))
            .collect::<Result<_, _>>()?;
        Ok(Self { written, settled })
    }

    /// The layers as written.
    pub fn written(&self) -> &[LayerSpec] {
        &self.written
    }

    /// The settled layers.
    pub fn settled(&self) -> &[Layer] {
        &self.settled
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.settled.len()
    }

    /// Whether the stack is empty.
    pub fn is_empty(&self) -> bool {
        self.settled.is_empty()
    }

    /// The settled layers in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Layer> {
        self.settled.iter()
    }
}

impl<'a> IntoIterator for &'a Layers {
    type Item = &'a Layer;
    type IntoIter = std::slice::Iter<'a, Layer>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Serialize for Layers {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.written.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Layers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let written = Vec::<LayerSpec>::deserialize(d)?;
        Self::check(written).map_err(serde::de::Error::custom)
    }
}
