//! Explaining a model file ([`kiln_explain`]'s algorithms on kiln's models): permutation
//! importance per input feature, and attributions (integrated gradients, gradient × input)
//! of a table network's output, summed per input feature.
//!
//! What is explained is the network's raw output: a class's logit (the binary head's logit
//! for the positive class, its negation for the other), or a regression's output in the
//! network's units (the standardised target when the target was standardised). Attributions
//! are taken with respect to the encoded inputs; the baseline is all zeros there, which is a
//! number input's training mean (inputs are standardised), no category, no word, a black
//! image. A feature's attribution is the sum over the values it encodes to.
//!
//! Bayesian (ADVI) models and language models are refused with a message, as are networks
//! that start with an embedding (token ids are not differentiable; attributions at the
//! embedding's output are not built yet).

use std::ops::Range;

use burn::tensor::{Device, Tensor, TensorData};
use kiln_data::{Encoded, Targets};
use kiln_explain::attribution::{
    Completeness, Differentiable, gradient_x_input, integrated_gradients_complete, per_feature,
};
use kiln_explain::importance::{Importance, permutation_importance};
use kiln_explain::quadrature::Rule;
use kiln_explain::{ExplainError, Result as ExplainResult};
use kiln_model::{Layer, Network, weights};
use kiln_train::Task;

use crate::predict::TrainedModel;
use crate::run::Metrics;
use crate::{Error, Result};

/// The score permutation importance measures: the model's headline figure on the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// `accuracy`, `r2`, or `mae` (when R² is undefined).
    pub metric: &'static str,
    /// Whether a larger value is better (`mae`'s drop is then counted as its rise).
    pub higher_is_better: bool,
    /// Its value on the rows as they are.
    pub value: f64,
}

fn score_of(metrics: &Metrics) -> Option<Score> {
    match metrics {
        Metrics::Classification(r) => Some(Score {
            metric: "accuracy",
            higher_is_better: true,
            value: r.accuracy,
        }),
        Metrics::Regression(r) => Some(match r.r2 {
            Some(r2) => Score {
                metric: "r2",
                higher_is_better: true,
                value: r2,
            },
            None => Score {
                metric: "mae",
                higher_is_better: false,
                value: r.mae,
            },
        }),
        Metrics::LanguageModel(_) => None,
    }
}

/// Permutation importance of every input feature of a model on some rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportanceReport {
    /// The score and its value on the rows as they are.
    pub score: Score,
    /// Rows scored.
    pub rows: usize,
    /// Shuffles per feature.
    pub repeats: usize,
    /// The shuffles' seed.
    pub seed: u64,
    /// One per input feature, in the model's input order: the score's drop when it is
    /// shuffled (for `mae`, its rise), mean and standard deviation over the repeats.
    pub features: Vec<Importance>,
}

/// Each input feature's span of values in an encoded row, in the model's input order.
fn spans(model: &TrainedModel) -> Vec<(String, Range<usize>)> {
    let mut at = 0;
    model
        .header
        .encoder
        .inputs
        .iter()
        .map(|i| {
            let r = at..at + i.width();
            at += i.width();
            (i.name().to_string(), r)
        })
        .collect()
}

/// Permutation importance of each input feature of `model` on encoded rows and their
/// targets: each feature's values shuffled across the rows `repeats` times. A feature is
/// shuffled as the values it encodes to (a category's one-hot columns move together), which
/// is the same as shuffling its column before encoding: encoding is row by row.
///
/// # Errors
/// [`Error::CannotExplain`] for a language model; [`Error::Explain`] for too few rows or no
/// repeats; the model's errors.
pub fn importance(
    model: &TrainedModel,
    inputs: &Encoded,
    targets: &Targets,
    repeats: usize,
    seed: u64,
) -> Result<ImportanceReport> {
    let base = score_of(&model.evaluate_encoded(inputs, targets)?).ok_or_else(|| {
        Error::CannotExplain {
            what: "permutation importance",
            name: model.header.name.clone(),
            reason: "a language model has no input features".to_string(),
        }
    })?;
    let spans = spans(model);
    let names: Vec<String> = spans.iter().map(|(n, _)| n.clone()).collect();
    let width = inputs.row_len();
    let sign = if base.higher_is_better { 1.0 } else { -1.0 };
    let mut model_error = None;
    let features = permutation_importance(
        &names,
        inputs.rows,
        repeats,
        seed,
        sign * base.value,
        |j, order| {
            let span = spans[j].1.clone();
            let mut shuffled = inputs.clone();
            for (row, &from) in order.iter().enumerate() {
                let (to, src) = (row * width, from * width);
                shuffled.data[to + span.start..to + span.end]
                    .copy_from_slice(&inputs.data[src + span.start..src + span.end]);
            }
            let metrics = model.evaluate_encoded(&shuffled, targets).map_err(|e| {
                let message = e.to_string();
                model_error = Some(e);
                ExplainError::Model(message)
            })?;
            let scored =
                score_of(&metrics).ok_or_else(|| ExplainError::Model("no score".to_string()))?;
            Ok(sign * scored.value)
        },
    );
    let features = match (features, model_error) {
        (Ok(f), _) => f,
        (Err(_), Some(e)) => return Err(e),
        (Err(e), None) => return Err(e.into()),
    };
    Ok(ImportanceReport {
        score: base,
        rows: inputs.rows,
        repeats,
        seed,
        features,
    })
}

/// How attributions are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Integrated gradients along the straight path from the baseline, with the steps raised
    /// until the attributions add up to the output's change.
    IntegratedGradients {
        /// The quadrature rule (Captum's default: Gauss–Legendre).
        rule: Rule,
        /// When the attributions are accepted.
        check: Completeness,
    },
    /// `xᵢ · ∂F/∂xᵢ`.
    GradientXInput,
}

impl Method {
    /// The method's name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Self::IntegratedGradients { .. } => "integrated-gradients",
            Self::GradientXInput => "gradient-x-input",
        }
    }
}

/// One row's attributions.
#[derive(Debug, Clone, PartialEq)]
pub struct RowAttribution {
    /// The class explained (its name), or the output's name for a regression.
    pub target: String,
    /// The network's output column explained, and whether it is negated (a binary model's
    /// negative class).
    pub column: usize,
    /// See `column`.
    pub negated: bool,
    /// The row's encoded values (what the network reads).
    pub input: Vec<f32>,
    /// The explained output at the row.
    pub output: f64,
    /// The explained output at the baseline (integrated gradients only).
    pub baseline_output: Option<f64>,
    /// One per encoded value.
    pub values: Vec<f64>,
    /// Summed per input feature, in the model's input order.
    pub features: Vec<(String, f64)>,
    /// Integrated gradients: the rule's points used, the completeness error
    /// `Σ attributions − (F(x) − F(baseline))`, and whether it is within the tolerance.
    pub steps: Option<usize>,
    /// See `steps`.
    pub delta: Option<f64>,
    /// See `steps`.
    pub complete: Option<bool>,
}

/// Attributions of some rows of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributionReport {
    /// `integrated-gradients` or `gradient-x-input`.
    pub method: &'static str,
    /// The rule, for integrated gradients.
    pub rule: Option<&'static str>,
    /// The input features and their encoded widths.
    pub features: Vec<(String, usize)>,
    /// One per row explained.
    pub rows: Vec<RowAttribution>,
}

/// A network's output column and its gradient with respect to the encoded inputs, on the
/// autodiff device.
struct Output<'a> {
    network: &'a Network,
    device: &'a Device,
    width: usize,
    column: usize,
    negate: bool,
}

/// Points per forward pass (bounds memory on long paths of wide inputs).
const BATCH: usize = 512;

impl Differentiable for Output<'_> {
    fn width(&self) -> usize {
        self.width
    }

    fn evaluate(&mut self, points: &[f32]) -> ExplainResult<(Vec<f64>, Vec<f32>)> {
        let n = points.len() / self.width;
        let mut outputs = Vec::with_capacity(n);
        let mut gradients = Vec::with_capacity(points.len());
        for chunk in points.chunks(BATCH * self.width) {
            let rows = chunk.len() / self.width;
            let x: Tensor<2> = Tensor::from_data(
                TensorData::new(chunk.to_vec(), [rows, self.width]),
                self.device,
            )
            .require_grad();
            let y = self.network.forward_flat(x.clone());
            let heads = y.dims()[1];
            let mut picked = y.slice([0..rows, self.column..self.column + 1]);
            if self.negate {
                picked = picked.neg();
            }
            debug_assert!(self.column < heads);
            let grads = picked.clone().sum().backward();
            let g = x.grad(&grads).ok_or_else(|| {
                ExplainError::Model("the network gave no gradient for its inputs".to_string())
            })?;
            let values: Vec<f32> = picked
                .into_data()
                .try_to_vec()
                .map_err(|e| ExplainError::Model(format!("{e:?}")))?;
            outputs.extend(values.iter().map(|v| f64::from(*v)));
            gradients.extend(
                g.into_data()
                    .try_to_vec::<f32>()
                    .map_err(|e| ExplainError::Model(format!("{e:?}")))?,
            );
        }
        Ok((outputs, gradients))
    }
}

/// Attributions of every row of `inputs` (encoded rows) for `class` (a class name; each row's
/// predicted class when `None`; ignored for a regression), with `method`.
///
/// # Errors
/// [`Error::CannotExplain`] for a Bayesian model, a language model, a network that starts
/// with an embedding, or a class the model does not have; the model's errors on the table.
pub fn attributions(
    model: &TrainedModel,
    inputs: &Encoded,
    method: Method,
    class: Option<&str>,
) -> Result<AttributionReport> {
    let what = "attribution";
    let cannot = |reason: String| Error::CannotExplain {
        what,
        name: model.header.name.clone(),
        reason,
    };
    if model.header.spec.language_model.is_some() {
        return Err(cannot(
            "it is a language model; attributions explain table models".into(),
        ));
    }
    let network = model.network().ok_or_else(|| {
        cannot("it is Bayesian (ADVI): its outputs are posterior averages, not one network's; explain a network trained with the same spec and training.method = \"gradient\"".into())
    })?;
    if matches!(network.layers.first(), Some(Layer::Embedding(_))) {
        return Err(cannot(
            "its first layer is an embedding of token ids, which have no gradient; attributions at the embedding's output are not supported yet (a bag-of-words text input is)".into(),
        ));
    }
    let encoder = &model.header.encoder;
    let width = inputs.row_len();
    let (ad_network, device) = autodiff_copy(model, network)?;
    let classes: Vec<String> = encoder
        .class_names()
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    let task = model.header.task;
    let wanted = match class {
        Some(c) if !classes.is_empty() => {
            Some(classes.iter().position(|k| k == c).ok_or_else(|| {
                cannot(format!(
                    "it has no class `{c}` (its classes: {})",
                    classes.join(", ")
                ))
            })?)
        }
        _ => None,
    };
    let spans = spans(model);
    let baseline = vec![0.0f32; width];
    let mut rows = Vec::with_capacity(inputs.rows);
    for row in 0..inputs.rows {
        let x = inputs.row(row);
        // The predicted class: the largest logit (a binary head's sign).
        let class_index = match (wanted, task) {
            (Some(k), _) => Some(k),
            (None, Task::Binary) => {
                let h = heads(network, model.device(), x)?;
                Some(usize::from(h.first().is_some_and(|v| *v > 0.0)))
            }
            (None, Task::Classification { .. }) => {
                let h = heads(network, model.device(), x)?;
                (0..h.len()).max_by(|&a, &b| h[a].total_cmp(&h[b]))
            }
            (None, _) => None,
        };
        let name_of = |k: usize| {
            classes
                .get(k)
                .cloned()
                .unwrap_or_else(|| format!("class {k}"))
        };
        let (column, negate, target) = match (task, class_index) {
            (Task::Binary, Some(k)) => (0, k == 0, name_of(k)),
            (Task::Classification { .. }, Some(k)) => (k, false, name_of(k)),
            _ => (0, false, encoder.output.name().to_string()),
        };
        let mut output = Output {
            network: &ad_network,
            device: &device,
            width,
            column,
            negate,
        };
        let attribution = match method {
            Method::IntegratedGradients { rule, check } => {
                let (ig, held) =
                    integrated_gradients_complete(&mut output, x, &baseline, rule, check)?;
                RowAttribution {
                    target,
                    column,
                    negated: negate,
                    input: x.to_vec(),
                    output: ig.output,
                    baseline_output: Some(ig.baseline_output),
                    features: per_feature(&ig.attributions, &spans),
                    values: ig.attributions,
                    steps: Some(ig.steps),
                    delta: Some(ig.delta),
                    complete: Some(held),
                }
            }
            Method::GradientXInput => {
                let (values, outputs) = gradient_x_input(&mut output, x)?;
                RowAttribution {
                    target,
                    column,
                    negated: negate,
                    input: x.to_vec(),
                    output: outputs[0],
                    baseline_output: None,
                    features: per_feature(&values, &spans),
                    values,
                    steps: None,
                    delta: None,
                    complete: None,
                }
            }
        };
        rows.push(attribution);
    }
    Ok(AttributionReport {
        method: method.name(),
        rule: match method {
            Method::IntegratedGradients { rule, .. } => Some(rule.name()),
            Method::GradientXInput => None,
        },
        features: encoder
            .inputs
            .iter()
            .map(|i| (i.name().to_string(), i.width()))
            .collect(),
        rows,
    })
}

/// The network's head outputs for one encoded row.
fn heads(network: &Network, device: &Device, x: &[f32]) -> ExplainResult<Vec<f32>> {
    let t: Tensor<2> = Tensor::from_data(TensorData::new(x.to_vec(), [1, x.len()]), device);
    network
        .forward_flat(t)
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| ExplainError::Model(format!("{e:?}")))
}

/// A concept for [`tcav`]: its name and the rows that show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConceptSpec {
    /// Its name in the report.
    pub name: String,
    /// A row filter over the model's data source, in kiln's filter syntax (`income >= 100000
    /// AND region = 'north'`): any column of the source, not only the model's inputs. Its
    /// examples are the training rows it matches.
    pub filter: String,
}

/// What [`tcav`] tests.
#[derive(Debug, Clone, PartialEq)]
pub struct TcavRequest {
    /// The class whose logit is explained.
    pub class: String,
    /// Layers by index (as `kiln inspect` numbers them) or as `TYPE_K`, the K-th layer of
    /// that type (`dense_1`); the last layer before the head when empty.
    pub layers: Vec<String>,
    /// The concepts.
    pub concepts: Vec<ConceptSpec>,
    /// Runs, random set size, ridge, α, seed.
    pub settings: kiln_explain::tcav::Settings,
    /// At most this many inputs of the class are explained (the first ones of the test split).
    pub max_inputs: usize,
}

/// One concept at one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct TcavRow {
    /// The concept's name.
    pub concept: String,
    /// The layer, as `kiln inspect` numbers it, and its name (`dense_1`).
    pub layer: (usize, String),
    /// Training rows the concept's filter matched.
    pub examples: usize,
    /// The columns the concept's filter reads.
    pub columns: Vec<String>,
    /// Scores, CAV accuracies, random-vs-random scores and the test.
    pub result: kiln_explain::tcav::ConceptResult,
}

/// A TCAV report.
#[derive(Debug, Clone, PartialEq)]
pub struct TcavReport {
    /// The class.
    pub class: String,
    /// Test-split inputs of the class explained.
    pub inputs: usize,
    /// Training rows the random sets are drawn from.
    pub random_pool: usize,
    /// The settings used.
    pub settings: kiln_explain::tcav::Settings,
    /// Concept × layer tests (the Bonferroni divisor).
    pub tests: usize,
    /// One per concept and layer.
    pub rows: Vec<TcavRow>,
    /// A warning when the data no longer matches the model file's digest.
    pub warning: Option<String>,
}

/// A table row as the filter evaluator reads it.
struct TableRow<'a> {
    table: &'a kiln_data::Table,
    row: usize,
}

impl kiln_query::Row for TableRow<'_> {
    fn get(&self, name: &kiln_query::Name) -> Option<kiln_query::Value> {
        let column = self.table.column(&name.dotted())?;
        Some(match &column.data {
            kiln_data::ColumnData::Number(v) => {
                let x = v[self.row];
                if x.is_nan() {
                    kiln_query::Value::Null
                } else {
                    kiln_query::Value::Number(x)
                }
            }
            kiln_data::ColumnData::Text(v) => v[self.row]
                .clone()
                .map_or(kiln_query::Value::Null, kiln_query::Value::String),
            kiln_data::ColumnData::Bytes(v) => {
                v[self.row].as_ref().map_or(kiln_query::Value::Null, |b| {
                    kiln_query::Value::String(String::from_utf8_lossy(b).into_owned())
                })
            }
            kiln_data::ColumnData::Image(_) => kiln_query::Value::Null,
        })
    }
}

/// The layers' names as `TYPE_K` (the K-th layer of its type, from 1).
fn layer_names(network: &Network) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<&'static str, usize> = Default::default();
    network
        .layers
        .iter()
        .map(|l| {
            let kind = layer_kind(l);
            let k = counts.entry(kind).or_default();
            *k += 1;
            format!("{kind}_{k}")
        })
        .collect()
}

fn layer_kind(layer: &Layer) -> &'static str {
    match layer {
        Layer::Dense(_) => "dense",
        Layer::Conv2d(_) => "conv2d",
        Layer::MaxPool2d(_) => "max_pool2d",
        Layer::AvgPool2d(_) => "avg_pool2d",
        Layer::Conv1d(_) => "conv1d",
        Layer::MaxPool1d(_) => "max_pool1d",
        Layer::GlobalMaxPool1d(_) => "global_max_pool1d",
        Layer::GlobalAvgPool1d(_) => "global_avg_pool1d",
        Layer::Flatten(_) => "flatten",
        Layer::Dropout(_) => "dropout",
        Layer::BatchNorm(_) => "batch_norm",
        Layer::LayerNorm(_) => "layer_norm",
        Layer::Activation(_) => "activation",
        Layer::Embedding(_) => "embedding",
        Layer::Recurrent(_) => "recurrent",
    }
}

/// Activations after layer `layer` of `rows` encoded rows, flattened per row, and (with
/// `class`) the gradient of that class's log-odds with respect to them.
fn at_layer(
    network: &Network,
    device: &Device,
    rows: &Encoded,
    layer: usize,
    class: Option<usize>,
) -> ExplainResult<(
    kiln_explain::tcav::Matrix,
    Option<kiln_explain::tcav::Matrix>,
)> {
    use kiln_model::Activations;
    let width = rows.row_len();
    let mut acts = Vec::new();
    let mut grads = Vec::new();
    let mut cols = 0;
    let to_vec = |t: Tensor<2>| {
        t.into_data()
            .try_to_vec::<f32>()
            .map_err(|e| ExplainError::Model(format!("{e:?}")))
    };
    for chunk in rows.data.chunks(BATCH * width) {
        let n = chunk.len() / width;
        let x: Tensor<2> = Tensor::from_data(TensorData::new(chunk.to_vec(), [n, width]), device);
        let a = network.forward_layers(network.shape_flat(x), 0..layer + 1, None);
        let (flat, image) = match a {
            Activations::Vector(t) => (t, None),
            Activations::Image(t) => {
                let dims = t.dims();
                (t.reshape([n, dims[1] * dims[2] * dims[3]]), Some(dims))
            }
            _ => {
                return Err(ExplainError::Model(
                    "this layer's output is a sequence; TCAV reads dense and convolution layers"
                        .to_string(),
                ));
            }
        };
        cols = flat.dims()[1];
        if let Some(k) = class {
            let leaf = flat.clone().detach().require_grad();
            let rest = match image {
                Some(d) => Activations::Image(leaf.clone().reshape(d)),
                None => Activations::Vector(leaf.clone()),
            };
            let out = network
                .forward_layers(rest, layer + 1..network.layers.len(), None)
                .vector();
            let heads = out.dims()[1];
            let log_odds = if heads == 1 {
                // A binary head's logit is the positive class's log-odds.
                if k == 1 { out } else { out.neg() }
            } else {
                let k = k.min(heads - 1);
                // The class's log-odds against the others: z_k − log Σ_{j≠k} e^{z_j}.
                let zk = out.clone().slice([0..n, k..k + 1]);
                let others: Vec<Tensor<2>> = [0..k, k + 1..heads]
                    .into_iter()
                    .filter(|r| !r.is_empty())
                    .map(|r| out.clone().slice([0..n, r]))
                    .collect();
                if others.is_empty() {
                    return Err(ExplainError::Model(
                        "TCAV needs a binary head or one with two or more classes".to_string(),
                    ));
                }
                let others = Tensor::cat(others, 1);
                let top = others.clone().max_dim(1).detach();
                zk - ((others - top.clone()).exp().sum_dim(1).log() + top)
            };
            let g = leaf
                .grad(&log_odds.sum().backward())
                .ok_or_else(|| ExplainError::Model("no gradient at the layer".to_string()))?;
            grads.extend(to_vec(g)?);
        }
        acts.extend(to_vec(flat.detach())?);
    }
    let rows_n = rows.rows;
    let acts = kiln_explain::tcav::Matrix::new(acts, rows_n, cols)?;
    let grads = match class {
        Some(_) => Some(kiln_explain::tcav::Matrix::new(grads, rows_n, cols)?),
        None => None,
    };
    Ok((acts, grads))
}

/// Concept sensitivity (TCAV) of a class of `model` to each concept at each layer, with the
/// significance test against random concepts (see [`kiln_explain::tcav`]). The sensitivity is
/// the derivative along the CAV of the class's log-odds against the others,
/// `z_k − log Σ_{j≠k} e^{z_j}` (for two classes `z_k − z_other`; a binary head's logit, negated
/// for its negative class), not of its raw logit `z_k`
/// as in the paper: a softmax's logits are defined only up to a shift shared by every class,
/// so one logit's gradient can point anywhere (in a two-class model it need not agree in sign
/// with the class's probability); and unlike the log-probability's, the log-odds' gradient
/// does not vanish where the model is certain (in `f32` a confident row's would be exactly
/// zero, and count as not positive). The data are the
/// model's own source, re-read and split with the stored seed: concept examples and random
/// sets from the training rows, the explained inputs from the test split's rows of the class.
///
/// # Errors
/// [`Error::CannotExplain`] for a model TCAV does not apply to (Bayesian, language model, a
/// regression, an embedding first layer), a class or a layer the model does not
/// have, a filter that does not parse or names no column of the data, a concept with too few
/// examples; the data's errors.
pub fn tcav(
    model: &TrainedModel,
    cache: &kiln_data::Cache,
    request: &TcavRequest,
) -> Result<TcavReport> {
    let cannot = |reason: String| Error::CannotExplain {
        what: "TCAV",
        name: model.header.name.clone(),
        reason,
    };
    if model.header.spec.language_model.is_some() {
        return Err(cannot("it is a language model".into()));
    }
    let network = model.network().ok_or_else(|| {
        cannot("it is Bayesian (ADVI); TCAV needs one network's gradients".into())
    })?;
    if matches!(network.layers.first(), Some(Layer::Embedding(_))) {
        return Err(cannot(
            "its first layer is an embedding of token ids (not supported yet)".into(),
        ));
    }
    let classes: Vec<String> = model
        .header
        .encoder
        .class_names()
        .map(<[String]>::to_vec)
        .unwrap_or_default();
    if !matches!(
        model.header.task,
        Task::Classification { .. } | Task::Binary
    ) {
        return Err(cannot(
            "TCAV explains a class; this model's output is a number".into(),
        ));
    }
    let class = classes
        .iter()
        .position(|c| *c == request.class)
        .ok_or_else(|| {
            cannot(format!(
                "it has no class `{}` (its classes: {})",
                request.class,
                classes.join(", ")
            ))
        })?;
    // Layers: by index or by TYPE_K; the head (the last layer) is not a concept layer.
    let names = layer_names(network);
    let hidden = network.layers.len().saturating_sub(1);
    let layers: Vec<usize> = if request.layers.is_empty() {
        vec![
            hidden
                .checked_sub(1)
                .ok_or_else(|| cannot("it has no hidden layer".into()))?,
        ]
    } else {
        request
            .layers
            .iter()
            .map(|l| {
                let found = l
                    .parse::<usize>()
                    .ok()
                    .or_else(|| names.iter().position(|n| n == l));
                match found {
                    Some(i) if i < hidden => Ok(i),
                    _ => Err(cannot(format!(
                        "it has no layer `{l}` before its head (its layers: {})",
                        names[..hidden]
                            .iter()
                            .enumerate()
                            .map(|(i, n)| format!("{i} {n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))),
                }
            })
            .collect::<Result<_>>()?
    };
    // The data, split as in training.
    let (table, prepared, warning) = model.source_data(cache)?;
    let train = &prepared.split.train;
    let (test_x, test_y) = prepared.test_data();
    let of_class: Vec<usize> = match test_y.as_ref() {
        kiln_data::Targets::Classes(c) => (0..c.len())
            .filter(|&i| c[i] == class as i64)
            .take(request.max_inputs)
            .collect(),
        kiln_data::Targets::Values(_) => Vec::new(),
    };
    if of_class.len() < 2 {
        return Err(cannot(format!(
            "the test split has {} rows of class `{}`; TCAV needs at least 2",
            of_class.len(),
            request.class
        )));
    }
    let inputs = test_x.take(&of_class);
    // Concepts: parsed and checked against the columns before anything is computed.
    let mut concept_rows = Vec::with_capacity(request.concepts.len());
    let mut concept_columns = Vec::with_capacity(request.concepts.len());
    for c in &request.concepts {
        let expr = kiln_query::parse(&c.filter)
            .map_err(|e| cannot(format!("concept `{}`: {}", c.name, e.render(&c.filter))))?;
        let mut columns: Vec<String> = expr.names().iter().map(|n| n.dotted()).collect();
        columns.dedup();
        concept_columns.push(columns);
        for name in expr.names() {
            if table.column(&name.dotted()).is_none() {
                return Err(cannot(format!(
                    "concept `{}`: the data has no column `{}` (its columns: {})",
                    c.name,
                    name.dotted(),
                    table.names().join(", ")
                )));
            }
        }
        let mut rows = Vec::new();
        for &r in train {
            if kiln_query::eval(
                &expr,
                &TableRow {
                    table: &table,
                    row: r,
                },
            )
            .map_err(|e| cannot(format!("concept `{}`: {e}", c.name)))?
            {
                rows.push(r);
            }
        }
        if rows.len() < 10 {
            return Err(cannot(format!(
                "concept `{}` matches {} training rows; a concept needs at least 10 examples",
                c.name,
                rows.len()
            )));
        }
        concept_rows.push(rows);
    }
    let settings = request.settings;
    let tests = request.concepts.len() * layers.len();
    let pool = prepared.inputs.take(train);
    let mut out = Vec::with_capacity(tests);
    let (ad, device) = autodiff_copy(model, network)?;
    for &layer in &layers {
        let (_, gradients) = at_layer(&ad, &device, &inputs, layer, Some(class))?;
        let gradients = gradients.ok_or_else(|| cannot("no gradients".into()))?;
        let (pool_acts, _) = at_layer(network, model.device(), &pool, layer, None)?;
        for ((c, rows), columns) in request
            .concepts
            .iter()
            .zip(&concept_rows)
            .zip(&concept_columns)
        {
            let (concept_acts, _) = at_layer(
                network,
                model.device(),
                &prepared.inputs.take(rows),
                layer,
                None,
            )?;
            let result = kiln_explain::tcav::test_concept(
                &concept_acts,
                &pool_acts,
                &gradients,
                settings,
                tests,
            )?;
            out.push(TcavRow {
                concept: c.name.clone(),
                layer: (layer, names[layer].clone()),
                examples: rows.len(),
                columns: columns.clone(),
                result,
            });
        }
    }
    Ok(TcavReport {
        class: request.class.clone(),
        inputs: inputs.rows,
        random_pool: pool.rows,
        settings,
        tests,
        rows: out,
        warning,
    })
}

/// A copy of `network` (the model's) on the autodiff device, for gradients with respect to
/// inputs or activations.
fn autodiff_copy(model: &TrainedModel, network: &Network) -> Result<(Network, Device)> {
    let device = model.device().clone().autodiff();
    let copy = weights::from_bytes(&model.header.network, &weights::to_bytes(network)?, &device)?;
    Ok((copy, device))
}
