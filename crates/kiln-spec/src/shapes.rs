//! Shape inference through the layer stack, before any weight is allocated.
//!
//! Shapes leave out the batch axis: `[d]` for a feature vector, `[channels, height, width]` for
//! images. Parameter counts follow Keras' `model.summary()`, so a kiln model and its Keras
//! original can be compared line by line.

use crate::error::SpecError;
use crate::options::{Choice, Padding};
use crate::settings::{Conv, Layer, Layers, UnknownName};
use crate::types::LayerSpec;

/// One line of the model summary: a layer, its output shape and its parameter count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerShape {
    /// Index into `layers`; the head kiln appends has index `layers.len()`.
    pub index: usize,
    /// The layer in words, e.g. `conv2d 32 3×3 relu` or `head dense 10`.
    pub desc: String,
    /// Output shape without the batch axis.
    pub output: Vec<usize>,
    /// All parameters, trainable or not (Keras' "Param #").
    pub params: usize,
    /// The trainable ones (all but batch norm's running mean and variance).
    pub trainable: usize,
}

/// Infers every layer's output shape and parameter count, then appends the output head: a dense
/// layer with `head_units` outputs and no activation (the loss applies softmax or sigmoid).
///
/// `input` is `[d]` for tabular inputs or `[channels, height, width]` for images. A text input
/// is `[vocabulary + 1]` with `encoding = "multi_hot"` (a bag of words, read like any feature
/// vector) and `[length]` token ids with `encoding = "sequence"`, which only an `embedding`
/// layer may read (the spec check makes it the first layer).
///
/// # Shapes
///
/// - `dense`: `[d]` → `[units]`; a rank-3 input needs a `flatten` first.
/// - `conv2d`: `[c, h, w]` → `[filters, h', w']` with `h' = (h - k) / s + 1` for `valid`
///   padding and `h' = ceil(h / s)` for `same`.
/// - `max_pool2d`, `avg_pool2d`: `[c, h, w]` → `[c, (h - size) / stride + 1, …]` (`valid`).
/// - `conv1d`: `[t, f]` → `[t', filters]`, `t'` as for `conv2d`; `max_pool1d`: `[t, f]` →
///   `[(t - size) / stride + 1, f]`; `global_max_pool1d`, `global_avg_pool1d`: `[t, f]` → `[f]`.
/// - `flatten`: `[c, h, w]` → `[c·h·w]`, `[t, f]` → `[t·f]`; a no-op on `[d]`.
/// - `dropout`, `batch_norm`, `activation`: unchanged.
///
/// # Errors
///
/// [`SpecError::Shape`] naming the first layer that does not fit, e.g. `dense after conv2d output
/// [32, 13, 13] needs a flatten layer first`.
///
/// # Examples
///
/// ```
/// use kiln_spec::{LayerSpec, infer_shapes};
///
/// let layers = [
///     LayerSpec::Flatten {},
///     LayerSpec::Dense { units: 128, activation: None, bias: true, bayesian: None },
/// ];
/// let shapes = infer_shapes(&layers, &[1, 28, 28], 10).unwrap();
/// assert_eq!(shapes[1].output, [128]);
/// assert_eq!(shapes.iter().map(|s| s.params).sum::<usize>(), 101_770);
/// ```
pub fn infer_shapes(
    layers: &[LayerSpec],
    input: &[usize],
    head_units: usize,
) -> Result<Vec<LayerShape>, SpecError> {
    let settled = layers.iter().map(Layer::settle).collect();
    infer(layers, settled, input, head_units)
}

impl Layers {
    /// [`infer_shapes`] for a checked layer stack.
    ///
    /// # Errors
    ///
    /// As [`infer_shapes`].
    pub fn infer_shapes(
        &self,
        input: &[usize],
        head_units: usize,
    ) -> Result<Vec<LayerShape>, SpecError> {
        let settled = self.settled().iter().cloned().map(Ok).collect();
        infer(self.written(), settled, input, head_units)
    }
}

/// Shape inference over `settled` layers; `written` gives their descriptions. A layer that did
/// not settle (a name its setting does not accept) is reported where it stands.
fn infer(
    written: &[LayerSpec],
    settled: Vec<Result<Layer, UnknownName>>,
    input: &[usize],
    head_units: usize,
) -> Result<Vec<LayerShape>, SpecError> {
    if !(1..=3).contains(&input.len()) || input.contains(&0) {
        return Err(SpecError::Shape {
            layer: 0,
            layer_desc: "input".into(),
            message: format!(
                "input shape {input:?} is not [features], [time, features] or [channels, height, width] with every size > 0"
            ),
        });
    }
    let mut shape = input.to_vec();
    // What produced the current shape, for messages: "conv2d", "image input", …
    let mut source = if input.len() == 3 {
        "the image input".to_string()
    } else if input.len() == 2 {
        "the sequence input".to_string()
    } else {
        "the input".to_string()
    };
    let mut out = Vec::with_capacity(written.len() + 1);
    for (index, (spec, layer)) in written.iter().zip(settled).enumerate() {
        let desc = describe(spec);
        let fail = |message: String| SpecError::Shape {
            layer: index,
            layer_desc: desc.clone(),
            message,
        };
        let layer = layer.map_err(|u| {
            fail(format!(
                "unknown {} `{}`; expected one of: {}",
                u.key,
                u.value,
                u.allowed.join(", ")
            ))
        })?;
        let (output, params, trainable) = match &layer {
            Layer::Dense(d) => {
                let [features] = shape[..] else {
                    return Err(fail(format!(
                        "dense after {source} {shape:?} needs a flatten layer first"
                    )));
                };
                positive(d.units, "units").map_err(&fail)?;
                let params = features * d.units + if d.bias { d.units } else { 0 };
                (vec![d.units], params, params)
            }
            Layer::Conv2d(conv) => {
                let [channels, h, w] = rank3(&shape, "conv2d", &source).map_err(&fail)?;
                let Conv {
                    filters,
                    kernel,
                    stride,
                    ..
                } = *conv;
                positive(filters, "filters").map_err(&fail)?;
                positive(kernel, "kernel").map_err(&fail)?;
                positive(stride, "stride").map_err(&fail)?;
                let (oh, ow) = match conv.padding {
                    Padding::Valid => (
                        valid(h, kernel, stride, "kernel").map_err(&fail)?,
                        valid(w, kernel, stride, "kernel").map_err(&fail)?,
                    ),
                    Padding::Same => (h.div_ceil(stride), w.div_ceil(stride)),
                };
                let params = kernel * kernel * channels * filters + filters;
                (vec![filters, oh, ow], params, params)
            }
            Layer::MaxPool2d(pool) | Layer::AvgPool2d(pool) => {
                let [channels, h, w] = rank3(&shape, spec.type_name(), &source).map_err(&fail)?;
                positive(pool.size, "size").map_err(&fail)?;
                positive(pool.stride, "stride").map_err(&fail)?;
                let oh = valid(h, pool.size, pool.stride, "window").map_err(&fail)?;
                let ow = valid(w, pool.size, pool.stride, "window").map_err(&fail)?;
                (vec![channels, oh, ow], 0, 0)
            }
            Layer::Conv1d(conv) => {
                let [time, features] = rank2(&shape, "conv1d", &source).map_err(&fail)?;
                let Conv {
                    filters,
                    kernel,
                    stride,
                    ..
                } = *conv;
                positive(filters, "filters").map_err(&fail)?;
                positive(kernel, "kernel").map_err(&fail)?;
                positive(stride, "stride").map_err(&fail)?;
                let steps = match conv.padding {
                    Padding::Valid => valid_steps(time, kernel, stride, "kernel").map_err(&fail)?,
                    Padding::Same => time.div_ceil(stride),
                };
                let params = kernel * features * filters + filters;
                (vec![steps, filters], params, params)
            }
            Layer::MaxPool1d(pool) => {
                let [time, features] = rank2(&shape, "max_pool1d", &source).map_err(&fail)?;
                positive(pool.size, "size").map_err(&fail)?;
                positive(pool.stride, "stride").map_err(&fail)?;
                let steps = valid_steps(time, pool.size, pool.stride, "window").map_err(&fail)?;
                (vec![steps, features], 0, 0)
            }
            Layer::GlobalMaxPool1d | Layer::GlobalAvgPool1d => {
                let [_, features] = rank2(&shape, spec.type_name(), &source).map_err(&fail)?;
                (vec![features], 0, 0)
            }
            Layer::Flatten => (vec![shape.iter().product()], 0, 0),
            Layer::Dropout(_) | Layer::Activation(_) => (shape.clone(), 0, 0),
            Layer::Embedding(e) => {
                let [time] = shape[..] else {
                    return Err(fail(format!(
                        "embedding needs a [time] sequence of token ids but {source} is {shape:?}; \
                         put the embedding first"
                    )));
                };
                let Some(vocab) = e.vocab else {
                    return Err(fail(
                        "the vocabulary size is not known; set `vocab` or use a text input that \
                         provides a vocabulary"
                            .into(),
                    ));
                };
                positive(vocab, "vocab").map_err(&fail)?;
                positive(e.dim, "dim").map_err(&fail)?;
                (vec![time, e.dim], vocab * e.dim, vocab * e.dim)
            }
            Layer::Lstm(r) | Layer::Gru(r) => {
                let [time, features] = shape[..] else {
                    return Err(fail(format!(
                        "{} needs a [time, features] sequence but {source} is {shape:?}; \
                         put an embedding (or a recurrent layer with return_sequences = true) \
                         before it",
                        spec.type_name()
                    )));
                };
                positive(r.units, "units").map_err(&fail)?;
                positive(r.layers, "layers").map_err(&fail)?;
                let gates = if matches!(layer, Layer::Lstm(_)) {
                    4
                } else {
                    3
                };
                let dirs = r.directions();
                let mut params = 0;
                let mut input = features;
                for _ in 0..r.layers {
                    // PyTorch's layout: weight_ih, weight_hh, bias_ih, bias_hh per direction.
                    params += dirs * gates * r.units * (input + r.units + 2);
                    input = dirs * r.units;
                }
                let output = if r.return_sequences {
                    vec![time, dirs * r.units]
                } else {
                    vec![dirs * r.units]
                };
                (output, params, params)
            }
            Layer::BatchNorm(_) => {
                if shape.len() == 2 {
                    return Err(fail(format!(
                        "batch_norm does not apply to the sequence {source} {shape:?}; \
                         put it after a recurrent layer that returns its final state"
                    )));
                }
                // Normalises the feature axis, or the channel axis of an image.
                let features = shape[0];
                (shape.clone(), 4 * features, 2 * features)
            }
            Layer::LayerNorm(_) => {
                if shape.len() == 3 {
                    return Err(fail(format!(
                        "layer_norm normalises the last axis of a vector or of each step of a                          sequence, not the image {source} {shape:?}; put it after flatten"
                    )));
                }
                // γ and β per feature (the last axis), both trainable.
                let features = shape[shape.len() - 1];
                (shape.clone(), 2 * features, 2 * features)
            }
        };
        if reshapes(&layer) {
            source = format!("{} output", spec.type_name());
        }
        shape.clone_from(&output);
        out.push(LayerShape {
            index,
            desc,
            output,
            params,
            trainable,
        });
    }

    let desc = format!("head dense {head_units}");
    let fail = |message: String| SpecError::Shape {
        layer: written.len(),
        layer_desc: desc.clone(),
        message,
    };
    let [features] = shape[..] else {
        return Err(fail(format!(
            "the layer stack ends with {source} {shape:?}; add a flatten layer at the end of [[layers]]"
        )));
    };
    if head_units == 0 {
        return Err(fail("the output head needs at least one unit".into()));
    }
    let params = features * head_units + head_units;
    out.push(LayerShape {
        index: written.len(),
        desc,
        output: vec![head_units],
        params,
        trainable: params,
    });
    Ok(out)
}

/// Whether messages about the layers after `layer` name it as the source of their input:
/// layers that only rescale their input (dropout, activations, normalisation) are not named.
fn reshapes(layer: &Layer) -> bool {
    match layer {
        Layer::Dropout(_) | Layer::Activation(_) | Layer::BatchNorm(_) | Layer::LayerNorm(_) => {
            false
        }
        Layer::Dense(_)
        | Layer::Conv2d(_)
        | Layer::MaxPool2d(_)
        | Layer::AvgPool2d(_)
        | Layer::Conv1d(_)
        | Layer::MaxPool1d(_)
        | Layer::GlobalMaxPool1d
        | Layer::GlobalAvgPool1d
        | Layer::Flatten
        | Layer::Embedding(_)
        | Layer::Lstm(_)
        | Layer::Gru(_) => true,
    }
}

/// A layer in a few words, as `inspect` prints it: `dense 128 relu`, `conv2d 32 3×3 relu`,
/// `max_pool2d 2×2`, `dropout 0.5`.
pub fn describe(layer: &LayerSpec) -> String {
    let with_activation = |mut s: String, activation: &Option<crate::types::Activation>| {
        if let Some(a) = activation {
            s.push(' ');
            s.push_str(a.as_str());
        }
        s
    };
    match layer {
        LayerSpec::Dense {
            units,
            activation,
            bias,
            bayesian,
        } => {
            let s = with_activation(format!("dense {units}"), activation);
            let s = if *bias { s } else { format!("{s} no-bias") };
            if bayesian.is_some() {
                format!("{s} bayesian")
            } else {
                s
            }
        }
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            activation,
        } => {
            let s = format!("conv2d {filters} {kernel}×{kernel}");
            with_activation(with_stride_and_padding(s, *stride, padding), activation)
        }
        LayerSpec::MaxPool2d { size, stride } | LayerSpec::AvgPool2d { size, stride } => {
            let mut s = format!("{} {size}×{size}", layer.type_name());
            if let Some(st) = stride.filter(|st| st != size) {
                s.push_str(&format!(" stride {st}"));
            }
            s
        }
        LayerSpec::Conv1d {
            filters,
            kernel,
            stride,
            padding,
            activation,
        } => {
            let s = format!("conv1d {filters} width {kernel}");
            with_activation(with_stride_and_padding(s, *stride, padding), activation)
        }
        LayerSpec::MaxPool1d { size, stride } => {
            let mut s = format!("max_pool1d {size}");
            if let Some(st) = stride.filter(|st| st != size) {
                s.push_str(&format!(" stride {st}"));
            }
            s
        }
        LayerSpec::GlobalMaxPool1d {} | LayerSpec::GlobalAvgPool1d {} => layer.type_name().into(),
        LayerSpec::Flatten {} => "flatten".into(),
        LayerSpec::Dropout { rate } => format!("dropout {rate}"),
        LayerSpec::BatchNorm { .. } => "batch_norm".into(),
        LayerSpec::LayerNorm { .. } => "layer_norm".into(),
        LayerSpec::Activation { function } => format!("activation {function}"),
        LayerSpec::Embedding { vocab, dim, .. } => match vocab {
            Some(v) => format!("embedding {v}→{dim}"),
            None => format!("embedding {dim}"),
        },
        LayerSpec::Lstm(r) | LayerSpec::Gru(r) => {
            let mut s = format!("{} {}", layer.type_name(), r.units);
            if r.layers > 1 {
                s.push_str(&format!(" ×{}", r.layers));
            }
            if r.bidirectional {
                s.push_str(" bidirectional");
            }
            if r.return_sequences {
                s.push_str(" sequences");
            }
            if r.dropout > 0.0 {
                s.push_str(&format!(" dropout {}", r.dropout));
            }
            s
        }
    }
}

/// `s` followed by ` stride N` unless the stride is 1 and by the padding unless it is `valid`.
fn with_stride_and_padding(mut s: String, stride: usize, padding: &Option<String>) -> String {
    if stride != 1 {
        s.push_str(&format!(" stride {stride}"));
    }
    if let Some(p) = padding.as_deref().filter(|p| *p != Padding::Valid.name()) {
        s.push(' ');
        s.push_str(p);
    }
    s
}

fn positive(value: usize, what: &str) -> Result<(), String> {
    if value == 0 {
        Err(format!("{what} must be greater than 0"))
    } else {
        Ok(())
    }
}

fn rank3(shape: &[usize], layer: &str, source: &str) -> Result<[usize; 3], String> {
    match *shape {
        [c, h, w] => Ok([c, h, w]),
        _ => Err(format!(
            "{layer} needs a [channels, height, width] input but {source} is {shape:?}; \
             put convolutions and pooling before flatten and dense layers"
        )),
    }
}

fn rank2(shape: &[usize], layer: &str, source: &str) -> Result<[usize; 2], String> {
    match *shape {
        [time, features] => Ok([time, features]),
        _ => Err(format!(
            "{layer} needs a [time, features] sequence but {source} is {shape:?}; \
             put an embedding (or a recurrent layer with return_sequences = true) before it"
        )),
    }
}

/// Output steps of a `valid` window over time: `(time - window) / stride + 1`.
fn valid_steps(time: usize, window: usize, stride: usize, what: &str) -> Result<usize, String> {
    if window > time {
        Err(format!(
            "{what} width {window} is longer than its {time}-step input; use a smaller {what}{}",
            if what == "kernel" {
                " or padding = \"same\""
            } else {
                ""
            }
        ))
    } else {
        Ok((time - window) / stride + 1)
    }
}

/// Output size of a `valid` window: `(size - window) / stride + 1`.
fn valid(size: usize, window: usize, stride: usize, what: &str) -> Result<usize, String> {
    if window > size {
        Err(format!(
            "{what} {window}×{window} is larger than its {size}×{size} input; \
             use a smaller {what}{}",
            if what == "kernel" {
                " or padding = \"same\""
            } else {
                ""
            }
        ))
    } else {
        Ok((size - window) / stride + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Activation;

    fn dense(units: usize) -> LayerSpec {
        LayerSpec::Dense {
            units,
            activation: Some(Activation::Relu),
            bias: true,
            bayesian: None,
        }
    }

    fn conv(filters: usize, kernel: usize) -> LayerSpec {
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride: 1,
            padding: None,
            activation: Some(Activation::Relu),
        }
    }

    fn pool(size: usize) -> LayerSpec {
        LayerSpec::MaxPool2d { size, stride: None }
    }

    fn shape_error(layers: &[LayerSpec], input: &[usize]) -> String {
        infer_shapes(layers, input, 10).unwrap_err().to_string()
    }

    #[test]
    fn keras_mnist_convnet_summary() {
        let layers = [
            conv(32, 3),
            pool(2),
            conv(64, 3),
            pool(2),
            LayerSpec::Flatten {},
            LayerSpec::Dropout { rate: 0.5 },
        ];
        let shapes = infer_shapes(&layers, &[1, 28, 28], 10).unwrap();
        let outputs: Vec<_> = shapes.iter().map(|s| s.output.clone()).collect();
        assert_eq!(
            outputs,
            [
                vec![32, 26, 26],
                vec![32, 13, 13],
                vec![64, 11, 11],
                vec![64, 5, 5],
                vec![1600],
                vec![1600],
                vec![10],
            ]
        );
        let params: Vec<_> = shapes.iter().map(|s| s.params).collect();
        assert_eq!(params, [320, 0, 18_496, 0, 0, 0, 16_010]);
        assert_eq!(params.iter().sum::<usize>(), 34_826);
        assert_eq!(shapes[0].desc, "conv2d 32 3×3 relu");
        assert_eq!(shapes[6].desc, "head dense 10");
        assert_eq!(shapes[6].index, 6);
    }

    #[test]
    fn same_padding_and_stride() {
        let layers = [
            LayerSpec::Conv2d {
                filters: 8,
                kernel: 3,
                stride: 2,
                padding: Some("same".into()),
                activation: None,
            },
            LayerSpec::Flatten {},
        ];
        let shapes = infer_shapes(&layers, &[3, 7, 8], 2).unwrap();
        assert_eq!(shapes[0].output, [8, 4, 4]);
        assert_eq!(shapes[0].params, 3 * 3 * 3 * 8 + 8);
        assert_eq!(shapes[2].output, [2]);
        assert_eq!(shapes[0].desc, "conv2d 8 3×3 stride 2 same");
    }

    #[test]
    fn batch_norm_counts_running_statistics_as_non_trainable() {
        let layers = [
            dense(64),
            LayerSpec::BatchNorm {
                momentum: None,
                epsilon: None,
            },
        ];
        let shapes = infer_shapes(&layers, &[13], 1).unwrap();
        assert_eq!((shapes[1].params, shapes[1].trainable), (256, 128));
        assert_eq!(shapes[0].params, 13 * 64 + 64);
    }

    /// Keras' summary of `Dense(64)` then `LayerNormalization()` on 13 inputs: 896 and 128
    /// parameters, all trainable; on a `[10, 32]` sequence it counts 2·32.
    #[test]
    fn layer_norm_counts_a_scale_and_an_offset_per_feature() {
        let ln = LayerSpec::LayerNorm { epsilon: None };
        let shapes = infer_shapes(&[dense(64), ln.clone()], &[13], 1).unwrap();
        assert_eq!((shapes[1].params, shapes[1].trainable), (128, 128));
        assert_eq!(shapes[1].output, [64]);
        assert_eq!(shapes[1].desc, "layer_norm");
        let shapes = infer_shapes(&[ln.clone(), LayerSpec::Flatten {}], &[10, 32], 1).unwrap();
        assert_eq!(
            (shapes[0].params, shapes[0].output.clone()),
            (64, vec![10, 32])
        );
        let err = infer_shapes(&[ln], &[1, 28, 28], 10)
            .unwrap_err()
            .to_string();
        assert!(err.contains("layer_norm normalises the last axis"), "{err}");
    }

    #[test]
    fn flatten_on_a_vector_is_a_no_op() {
        let shapes = infer_shapes(&[LayerSpec::Flatten {}], &[5], 3).unwrap();
        assert_eq!(shapes[0].output, [5]);
        assert_eq!(shapes[1].params, 18);
    }

    #[test]
    fn errors_name_the_layer_and_the_fix() {
        let cases: &[(&[LayerSpec], &[usize], &str)] = &[
            (
                &[conv(32, 3), pool(2), dense(10)],
                &[1, 28, 28],
                "layers[2] (dense 10 relu): dense after max_pool2d output [32, 13, 13] needs a flatten layer first",
            ),
            (
                &[dense(10)],
                &[1, 28, 28],
                "dense after the image input [1, 28, 28] needs a flatten layer first",
            ),
            (
                &[conv(8, 5)],
                &[1, 3, 3],
                "layers[0] (conv2d 8 5×5 relu): kernel 5×5 is larger than its 3×3 input",
            ),
            (
                &[pool(4)],
                &[1, 3, 3],
                "window 4×4 is larger than its 3×3 input",
            ),
            (
                &[dense(4), conv(8, 3)],
                &[10],
                "conv2d needs a [channels, height, width] input",
            ),
            (
                &[conv(8, 3)],
                &[1, 5, 5],
                "head dense 10: the layer stack ends with conv2d output [8, 3, 3]; add a flatten layer",
            ),
            (&[dense(0)], &[3], "units must be greater than 0"),
            (
                &[],
                &[2, 3, 4, 5],
                "is not [features], [time, features] or [channels, height, width]",
            ),
        ];
        for (layers, input, expected) in cases {
            let message = shape_error(layers, input);
            assert!(
                message.contains(expected),
                "{message:?} does not contain {expected:?}"
            );
        }
    }

    fn conv1d(filters: usize, kernel: usize, padding: Option<&str>) -> LayerSpec {
        LayerSpec::Conv1d {
            filters,
            kernel,
            stride: 1,
            padding: padding.map(str::to_string),
            activation: Some(Activation::Relu),
        }
    }

    /// The Keras book's 1-D convnet for IMDB (section 6.4): embedding(10,000 → 128) →
    /// conv1d(32, 7) → max_pool1d(5) → conv1d(32, 7) → global_max_pool1d → dense(1), 500 steps.
    /// Keras' summary gives these output shapes and 1,315,937 parameters in all.
    #[test]
    fn a_text_convnet_has_the_keras_books_shapes_and_parameter_count() {
        let layers = [
            LayerSpec::Embedding {
                vocab: Some(10_000),
                dim: 128,
                mask_zero: true,
                init: None,
            },
            conv1d(32, 7, None),
            LayerSpec::MaxPool1d {
                size: 5,
                stride: None,
            },
            conv1d(32, 7, None),
            LayerSpec::GlobalMaxPool1d {},
        ];
        let shapes = infer_shapes(&layers, &[500], 1).unwrap();
        let outputs: Vec<_> = shapes.iter().map(|s| s.output.clone()).collect();
        assert_eq!(
            outputs,
            [
                vec![500, 128],
                vec![494, 32],
                vec![98, 32],
                vec![92, 32],
                vec![32],
                vec![1]
            ]
        );
        let params: Vec<_> = shapes.iter().map(|s| s.params).collect();
        assert_eq!(params, [1_280_000, 28_704, 0, 7_200, 0, 33]);
        assert_eq!(params.iter().sum::<usize>(), 1_315_937);
        assert_eq!(shapes[1].desc, "conv1d 32 width 7 relu");
        assert_eq!(shapes[2].desc, "max_pool1d 5");
    }

    #[test]
    fn same_padding_keeps_the_steps_and_global_average_pooling_keeps_the_features() {
        let layers = [conv1d(16, 4, Some("same")), LayerSpec::GlobalAvgPool1d {}];
        let shapes = infer_shapes(&layers, &[9, 3], 2).unwrap();
        assert_eq!(shapes[0].output, [9, 16]);
        assert_eq!(shapes[0].params, 4 * 3 * 16 + 16);
        assert_eq!(shapes[1].output, [16]);
        assert_eq!(shapes[1].desc, "global_avg_pool1d");
    }

    #[test]
    fn one_dimensional_layers_name_what_does_not_fit() {
        let cases: &[(&[LayerSpec], &[usize], &str)] = &[
            (
                &[conv1d(8, 3, None)],
                &[1, 28, 28],
                "conv1d needs a [time, features] sequence but the image input is [1, 28, 28]",
            ),
            (
                &[conv1d(8, 6, None)],
                &[5, 2],
                "kernel width 6 is longer than its 5-step input; use a smaller kernel or padding = \"same\"",
            ),
            (
                &[LayerSpec::GlobalMaxPool1d {}],
                &[4],
                "global_max_pool1d needs a [time, features] sequence but the input is [4]",
            ),
            (
                &[conv1d(8, 2, None)],
                &[5, 2],
                "the layer stack ends with conv1d output [4, 8]; add a flatten layer",
            ),
        ];
        for (layers, input, expected) in cases {
            let message = shape_error(layers, input);
            assert!(
                message.contains(expected),
                "{message:?} does not contain {expected:?}"
            );
        }
    }
}
