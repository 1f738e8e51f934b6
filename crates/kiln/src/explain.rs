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
struct Output {
    network: Network,
    device: Device,
    width: usize,
    column: usize,
    negate: bool,
}

/// Points per forward pass (bounds memory on long paths of wide inputs).
const BATCH: usize = 512;

impl Differentiable for Output {
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
                &self.device,
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
    let device = model.device().clone().autodiff();
    let bytes = weights::to_bytes(network)?;
    let ad_network = weights::from_bytes(&model.header.network, &bytes, &device)?;
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
        let (column, negate, target) = match (task, class_index) {
            (Task::Binary, Some(k)) => (0, k == 0, classes[k].clone()),
            (Task::Classification { .. }, Some(k)) => (k, false, classes[k].clone()),
            _ => (0, false, encoder.output.name().to_string()),
        };
        let mut output = Output {
            network: ad_network.clone(),
            device: device.clone(),
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
