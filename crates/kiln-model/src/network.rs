//! The network: [`NetworkConfig`] (what a model file stores), [`Network`] (the layer stack
//! plus the output head) and [`Layer`], which names every layer family and hands each batch to
//! its file (`dense.rs`, `conv.rs`, `pool.rs`, …).

use burn::module::Module;
use burn::nn::pool::{AvgPool2d, MaxPool1d, MaxPool2d};
use burn::nn::{BatchNorm, LayerNorm};
use burn::tensor::{Device, Tensor};
use kiln_spec::Activation;
use kiln_spec::settings::{self, Layers};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::activation::ActivationLayer;
use crate::activations::{Activations, Sequence};
use crate::conv::{Conv1dLayer, Conv2dLayer};
use crate::dense::Dense;
use crate::dropout::DropoutLayer;
use crate::embedding::Embedding;
use crate::flatten::Flatten;
use crate::norm::{batch_norm, forward_batch_norm, forward_layer_norm, layer_norm};
use crate::pool::{GlobalPool1d, avg_pool2d, max_pool_over_time, max_pool1d, max_pool2d};
use crate::recurrent::{CellKind, Recurrent};

/// Everything needed to rebuild a [`Network`]'s structure; weights travel separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// The spec's layer stack (body only), checked. It is stored as written, so a model file
    /// says what its spec said.
    pub layers: Layers,
    /// Shape of one input row: `[features]` or `[channels, height, width]`.
    pub input_shape: Vec<usize>,
    /// Width of the output head (classes, 1 for binary or regression).
    pub head_units: usize,
}

impl NetworkConfig {
    /// Builds the network with freshly initialised weights on `device`.
    ///
    /// Initialisation follows Keras: Glorot-uniform kernels and zero biases, so that results are
    /// comparable with the published Keras figures. The weights are drawn from a ChaCha8
    /// generator seeded with `seed`, not from the backend's global generator, so the same seed
    /// gives the same weights even when other networks are built concurrently.
    ///
    /// # Errors
    ///
    /// [`ModelError::Spec`] when the layer stack does not fit the input shape.
    pub fn init(&self, device: &Device, seed: u64) -> Result<Network, ModelError> {
        let shapes = self
            .layers
            .infer_shapes(&self.input_shape, self.head_units)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layers = Vec::with_capacity(self.layers.len() + 1);
        let mut shape = self.input_shape.clone();
        for (spec, out) in self.layers.iter().zip(&shapes) {
            layers.push(build_layer(spec, &shape, device, &mut rng));
            shape.clone_from(&out.output);
        }
        let features = shape.iter().product();
        layers.push(Layer::Dense(Dense::new(
            features,
            self.head_units,
            true,
            Activation::Linear,
            device,
            &mut rng,
        )));
        Ok(Network {
            layers,
            input_shape: self.input_shape.clone(),
        })
    }
}

/// One step of a [`Network`]: one variant per layer family, each holding that family's module
/// (built in `build_layer`, run in [`Layer::forward`]).
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Layer {
    /// Fully connected layer with its activation.
    Dense(Dense),
    /// 2-D convolution with its activation.
    Conv2d(Conv2dLayer),
    /// Max pooling.
    MaxPool2d(MaxPool2d),
    /// Average pooling.
    AvgPool2d(AvgPool2d),
    /// 1-D convolution over time with its activation.
    Conv1d(Conv1dLayer),
    /// Max pooling over time.
    MaxPool1d(MaxPool1d),
    /// Maximum over time of each feature, padded steps skipped.
    GlobalMaxPool1d(GlobalPool1d),
    /// Mean over the real time steps of each feature.
    GlobalAvgPool1d(GlobalPool1d),
    /// `[b, c, h, w]` → `[b, c·h·w]`.
    Flatten(Flatten),
    /// Dropout (active only in [`Network::forward_train`]).
    Dropout(DropoutLayer),
    /// Batch normalisation over axis 1.
    BatchNorm(BatchNorm),
    /// Layer normalisation over the last axis.
    LayerNorm(LayerNorm),
    /// A stand-alone activation.
    Activation(ActivationLayer),
    /// Token ids → vectors.
    Embedding(Embedding),
    /// LSTM or GRU stack.
    Recurrent(Recurrent),
}

/// Builds one layer from its settings, reading rows of shape `input`; weights are drawn from
/// `rng` in layer order, so a seed gives the same network.
fn build_layer(
    spec: &settings::Layer,
    input: &[usize],
    device: &Device,
    rng: &mut ChaCha8Rng,
) -> Layer {
    use settings::Layer as L;
    let features = input[input.len() - 1];
    match spec {
        L::Dense(d) => Layer::Dense(Dense::build(d, input, device, rng)),
        L::Conv2d(c) => Layer::Conv2d(Conv2dLayer::build(c, input, device, rng)),
        L::MaxPool2d(p) => Layer::MaxPool2d(max_pool2d(p)),
        L::AvgPool2d(p) => Layer::AvgPool2d(avg_pool2d(p)),
        L::Conv1d(c) => Layer::Conv1d(Conv1dLayer::build(c, input, device, rng)),
        L::MaxPool1d(p) => Layer::MaxPool1d(max_pool1d(p)),
        L::GlobalMaxPool1d => Layer::GlobalMaxPool1d(GlobalPool1d {}),
        L::GlobalAvgPool1d => Layer::GlobalAvgPool1d(GlobalPool1d {}),
        L::Flatten => Layer::Flatten(Flatten {}),
        L::Dropout(d) => Layer::Dropout(DropoutLayer { rate: d.rate }),
        L::BatchNorm(bn) => Layer::BatchNorm(batch_norm(bn, input, device)),
        L::LayerNorm(ln) => Layer::LayerNorm(layer_norm(ln, input, device)),
        L::Activation(function) => Layer::Activation(ActivationLayer {
            function: *function,
        }),
        L::Embedding(e) => Layer::Embedding(Embedding::build(e, device, rng)),
        L::Lstm(r) => Layer::Recurrent(Recurrent::new(CellKind::Lstm, r, features, device, rng)),
        L::Gru(r) => Layer::Recurrent(Recurrent::new(CellKind::Gru, r, features, device, rng)),
    }
}

impl Layer {
    /// Runs this layer. `dropout_seed` is `Some` while training (dropout active, with masks
    /// drawn from that seed) and `None` for inference.
    ///
    /// # Panics
    ///
    /// If an image layer receives a vector batch; `infer_shapes` rules such stacks out.
    pub fn forward(&self, x: Activations, dropout_seed: Option<u64>) -> Activations {
        match self {
            Self::Dense(dense) => dense.forward(x),
            Self::Conv2d(conv) => conv.forward(x),
            Self::MaxPool2d(pool) => Activations::Image(pool.forward(x.image())),
            Self::AvgPool2d(pool) => Activations::Image(pool.forward(x.image())),
            Self::Conv1d(conv) => conv.forward(x),
            Self::MaxPool1d(pool) => max_pool_over_time(pool, x),
            Self::GlobalMaxPool1d(pool) => pool.forward_max(x),
            Self::GlobalAvgPool1d(pool) => pool.forward_mean(x),
            Self::Flatten(flatten) => flatten.forward(x),
            Self::Dropout(dropout) => dropout.forward(x, dropout_seed),
            Self::BatchNorm(norm) => forward_batch_norm(norm, x),
            Self::LayerNorm(norm) => forward_layer_norm(norm, x),
            Self::Activation(activation) => activation.forward(x),
            // `Network::forward` picks the form the layers after the embedding read.
            Self::Embedding(embedding) => Activations::Sequence(embedding.forward(x.vector())),
            Self::Recurrent(rnn) => rnn.forward(x.sequence(), dropout_seed).into(),
        }
    }
}

/// A feed-forward network: the spec's layers followed by the output head.
///
/// `forward` returns the head's raw outputs (logits for classification, values for
/// regression); losses and probabilities are computed by the caller.
#[derive(Module, Debug)]
pub struct Network {
    /// The layers, head last.
    pub layers: Vec<Layer>,
    /// Shape of one input row.
    #[module(skip)]
    pub input_shape: Vec<usize>,
}

impl Network {
    /// Builds a network from a spec's body, the per-row input shape and the head width.
    ///
    /// # Errors
    ///
    /// [`ModelError::Spec`] when the layers do not fit the input.
    pub fn from_spec(
        layers: &Layers,
        input_shape: &[usize],
        head_units: usize,
        device: &Device,
        seed: u64,
    ) -> Result<Self, ModelError> {
        NetworkConfig {
            layers: layers.clone(),
            input_shape: input_shape.to_vec(),
            head_units,
        }
        .init(device, seed)
    }

    /// Forward pass on a flat batch: `data` holds `rows` rows of `input_shape` values.
    ///
    /// # Shapes
    ///
    /// - input: `[rows, ...input_shape]` (given flat)
    /// - output: `[rows, head_units]`
    pub fn forward_flat(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward(self.shape_input(x), None)
    }

    /// Training forward pass: dropout active, its masks drawn from `step_seed` (each dropout
    /// layer mixes in its position).
    pub fn forward_train(&self, x: Tensor<2>, step_seed: u64) -> Tensor<2> {
        self.forward(self.shape_input(x), Some(step_seed))
    }

    fn shape_input(&self, x: Tensor<2>) -> Activations {
        match self.input_shape.as_slice() {
            [c, h, w] => {
                let rows = x.dims()[0];
                Activations::Image(x.reshape([rows, *c, *h, *w]))
            }
            [t, f] => {
                let rows = x.dims()[0];
                Activations::Sequence(Sequence::from_tensor(x.reshape([rows, *t, *f])))
            }
            _ => Activations::Vector(x),
        }
    }

    /// Whether the first layer after `index` that is not dropout or an activation is recurrent.
    fn recurrent_reads(&self, index: usize) -> bool {
        self.layers[index + 1..]
            .iter()
            .find(|l| !matches!(l, Layer::Dropout(_) | Layer::Activation(_)))
            .is_some_and(|l| matches!(l, Layer::Recurrent(_)))
    }

    /// Forward pass; `dropout_seed` as in [`Layer::forward`].
    ///
    /// # Shapes
    ///
    /// - input: `[batch, features]` or `[batch, channels, height, width]`
    /// - output: `[batch, head_units]`
    pub fn forward(&self, input: Activations, dropout_seed: Option<u64>) -> Tensor<2> {
        self.forward_layers(input, 0..self.layers.len(), dropout_seed)
            .vector()
    }

    /// The flat input batch shaped for the first layer (as [`Network::forward_flat`] reads
    /// it).
    pub fn shape_flat(&self, x: Tensor<2>) -> Activations {
        self.shape_input(x)
    }

    /// Runs only the layers in `range` on `input` (the activations after layer
    /// `range.start − 1`), in evaluation mode unless `dropout_seed` is given: what an
    /// explanation needs to read a layer's activations and to continue from them.
    pub fn forward_layers(
        &self,
        input: Activations,
        range: std::ops::Range<usize>,
        dropout_seed: Option<u64>,
    ) -> Activations {
        let mut x = input;
        for (i, layer) in self
            .layers
            .iter()
            .enumerate()
            .take(range.end)
            .skip(range.start)
        {
            let seed = dropout_seed.map(|s| s ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            x = match layer {
                // Recurrent layers read a list of steps; everything else reads the whole
                // `[batch, time, dim]` tensor, gathered in one lookup.
                Layer::Embedding(embedding) if !self.recurrent_reads(i) => {
                    Activations::Series(embedding.forward_series(x.vector()))
                }
                _ => layer.forward(x, seed),
            };
        }
        x
    }
}
