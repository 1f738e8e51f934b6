use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor, TensorData, activation};
use kiln_spec::{Activation, LayerSpec, infer_shapes};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::recurrent::{CellKind, Embedding, Recurrent, RecurrentOutput, Sequence};

/// Everything needed to rebuild a [`Network`]'s structure; weights travel separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// The spec's layer stack (body only).
    pub layers: Vec<LayerSpec>,
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
        let shapes = infer_shapes(&self.layers, &self.input_shape, self.head_units)?;
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

/// One step of a [`Network`].
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
    /// `[b, c, h, w]` → `[b, c·h·w]`.
    Flatten(Flatten),
    /// Dropout (active only in [`Network::forward_train`]).
    Dropout(DropoutLayer),
    /// Batch normalisation over axis 1.
    BatchNorm(BatchNorm),
    /// A stand-alone activation.
    Activation(ActivationLayer),
    /// Token ids → vectors.
    Embedding(Embedding),
    /// LSTM or GRU stack.
    Recurrent(Recurrent),
}

/// A linear layer followed by an activation.
#[derive(Module, Debug)]
pub struct Dense {
    /// The affine map.
    pub linear: Linear,
    /// Applied after the affine map.
    #[module(skip)]
    pub activation: Activation,
}

/// Glorot-uniform values: U(−l, l) with l = √(6 / (fan_in + fan_out)).
fn glorot(n: usize, fan_in: usize, fan_out: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
    (0..n)
        .map(|_| rng.random::<f32>().mul_add(2.0 * limit, -limit))
        .collect()
}

impl Dense {
    /// A dense layer with Glorot-uniform kernel and zero bias (Keras' defaults), drawn from
    /// `rng`.
    pub fn new(
        inputs: usize,
        units: usize,
        bias: bool,
        activation: Activation,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mut linear = LinearConfig::new(inputs, units)
            .with_bias(bias)
            .with_initializer(Initializer::Zeros)
            .init(device);
        let w = glorot(inputs * units, inputs, units, rng);
        linear.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [inputs, units]),
            device,
        ));
        Self { linear, activation }
    }
}

/// A convolution followed by an activation.
#[derive(Module, Debug)]
pub struct Conv2dLayer {
    /// The convolution.
    pub conv: Conv2d,
    /// Applied after the convolution.
    #[module(skip)]
    pub activation: Activation,
}

/// Randomly zeroes a fraction `rate` of activations while training and scales the rest by
/// 1 / (1 − rate). The mask is drawn from a generator seeded per step and per layer, so a run
/// is reproducible whatever else the process does.
#[derive(Module, Debug)]
pub struct DropoutLayer {
    /// Fraction dropped.
    #[module(skip)]
    pub rate: f64,
}

impl DropoutLayer {
    pub(crate) fn apply<const D: usize>(&self, x: Tensor<D>, seed: u64) -> Tensor<D> {
        if self.rate <= 0.0 {
            return x;
        }
        let keep = 1.0 - self.rate;
        let scale = (1.0 / keep) as f32;
        let shape = x.shape();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mask: Vec<f32> = (0..shape.num_elements())
            .map(|_| {
                if rng.random::<f64>() < keep {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let mask = Tensor::<D>::from_data(TensorData::new(mask, shape), &x.device());
        x * mask
    }
}

/// Flattens all axes after the batch axis.
#[derive(Module, Debug, Default)]
pub struct Flatten {}

/// An activation with no parameters.
#[derive(Module, Debug)]
pub struct ActivationLayer {
    /// Which function.
    #[module(skip)]
    pub function: Activation,
}

fn build_layer(spec: &LayerSpec, input: &[usize], device: &Device, rng: &mut ChaCha8Rng) -> Layer {
    match spec {
        LayerSpec::Dense {
            units,
            activation,
            bias,
            ..
        } => Layer::Dense(Dense::new(
            input.iter().product(),
            *units,
            *bias,
            activation.unwrap_or(Activation::Linear),
            device,
            rng,
        )),
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            activation,
        } => {
            let padding = match padding.as_deref() {
                Some("same") => PaddingConfig2d::Same,
                _ => PaddingConfig2d::Valid,
            };
            let mut conv = Conv2dConfig::new([input[0], *filters], [*kernel, *kernel])
                .with_stride([*stride, *stride])
                .with_padding(padding)
                .with_initializer(Initializer::Zeros)
                .init(device);
            let area = kernel * kernel;
            let w = glorot(
                filters * input[0] * area,
                input[0] * area,
                filters * area,
                rng,
            );
            conv.weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(w, [*filters, input[0], *kernel, *kernel]),
                device,
            ));
            Layer::Conv2d(Conv2dLayer {
                conv,
                activation: activation.unwrap_or(Activation::Linear),
            })
        }
        LayerSpec::MaxPool2d { size, stride } => Layer::MaxPool2d(
            MaxPool2dConfig::new([*size, *size])
                .with_strides([stride.unwrap_or(*size); 2])
                .init(),
        ),
        LayerSpec::AvgPool2d { size, stride } => Layer::AvgPool2d(
            AvgPool2dConfig::new([*size, *size])
                .with_strides([stride.unwrap_or(*size); 2])
                .init(),
        ),
        LayerSpec::Flatten {} => Layer::Flatten(Flatten {}),
        LayerSpec::Dropout { rate } => Layer::Dropout(DropoutLayer { rate: *rate }),
        LayerSpec::BatchNorm { momentum, epsilon } => {
            // Keras' momentum is the weight of the old running value; Burn's is the weight of
            // the new batch statistic.
            let momentum = 1.0 - momentum.unwrap_or(0.99);
            Layer::BatchNorm(
                BatchNormConfig::new(input[0])
                    .with_momentum(momentum)
                    .with_epsilon(epsilon.unwrap_or(1e-3))
                    .init(device),
            )
        }
        LayerSpec::Activation { function } => Layer::Activation(ActivationLayer {
            function: *function,
        }),
        LayerSpec::Embedding {
            vocab,
            dim,
            mask_zero,
        } => Layer::Embedding(Embedding::new(
            // `infer_shapes` has checked that the vocabulary size is set.
            vocab.unwrap_or(1),
            *dim,
            *mask_zero,
            device,
            rng,
        )),
        LayerSpec::Lstm(r) => Layer::Recurrent(Recurrent::new(
            CellKind::Lstm,
            r,
            input[input.len() - 1],
            device,
            rng,
        )),
        LayerSpec::Gru(r) => Layer::Recurrent(Recurrent::new(
            CellKind::Gru,
            r,
            input[input.len() - 1],
            device,
            rng,
        )),
    }
}

/// A batch between layers: rank 2 for vectors, rank 4 for images, a list of steps for
/// sequences.
#[derive(Debug, Clone)]
pub enum Activations {
    /// `[batch, features]`
    Vector(Tensor<2>),
    /// `[batch, channels, height, width]`
    Image(Tensor<4>),
    /// `time` steps of `[batch, features]`.
    Sequence(Sequence),
}

impl Activations {
    fn vector(self) -> Tensor<2> {
        match self {
            Self::Vector(x) => x,
            Self::Image(x) => x.flatten(1, 3),
            // Time-major concatenation equals flattening `[batch, time, features]`.
            Self::Sequence(s) => Tensor::cat(s.steps, 1),
        }
    }

    fn sequence(self) -> Sequence {
        match self {
            Self::Sequence(s) => s,
            // Shape inference rules this out.
            other => panic!("a recurrent layer received a non-sequence batch {other:?}"),
        }
    }

    fn image(self) -> Tensor<4> {
        match self {
            Self::Image(x) => x,
            // Shape inference rejects specs that would get here.
            Self::Vector(x) => panic!("an image layer received a vector batch {:?}", x.dims()),
            Self::Sequence(s) => panic!(
                "an image layer received a sequence of {} steps",
                s.steps.len()
            ),
        }
    }
}

fn apply<const D: usize>(function: Activation, x: Tensor<D>) -> Tensor<D> {
    match function {
        Activation::Relu => activation::relu(x),
        Activation::Tanh => activation::tanh(x),
        Activation::Sigmoid => activation::sigmoid(x),
        Activation::LeakyRelu => activation::leaky_relu(x, 0.01),
        Activation::Gelu => activation::gelu(x),
        Activation::Elu => activation::elu(x, 1.0),
        Activation::Linear => x,
        Activation::Softmax => activation::softmax(x, D - 1),
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
            Self::Dense(dense) => {
                let y = dense.linear.forward(x.vector());
                Activations::Vector(apply(dense.activation, y))
            }
            Self::Conv2d(layer) => {
                let y = layer.conv.forward(x.image());
                Activations::Image(apply(layer.activation, y))
            }
            Self::MaxPool2d(pool) => Activations::Image(pool.forward(x.image())),
            Self::AvgPool2d(pool) => Activations::Image(pool.forward(x.image())),
            Self::Flatten(_) => Activations::Vector(x.vector()),
            Self::Dropout(dropout) => match (dropout_seed, x) {
                (None, x) => x,
                (Some(seed), Activations::Vector(v)) => Activations::Vector(dropout.apply(v, seed)),
                (Some(seed), Activations::Image(v)) => Activations::Image(dropout.apply(v, seed)),
                (Some(seed), Activations::Sequence(s)) => Activations::Sequence(Sequence {
                    steps: s
                        .steps
                        .into_iter()
                        .enumerate()
                        .map(|(t, v)| dropout.apply(v, seed.wrapping_add(t as u64)))
                        .collect(),
                    mask: s.mask,
                }),
            },
            Self::BatchNorm(norm) => match x {
                Activations::Vector(v) => Activations::Vector(norm.forward(v)),
                Activations::Image(v) => Activations::Image(norm.forward(v)),
                // Shape inference rejects batch_norm on sequences.
                Activations::Sequence(s) => {
                    Activations::Vector(norm.forward(Tensor::cat(s.steps, 1)))
                }
            },
            Self::Activation(layer) => match x {
                Activations::Vector(v) => Activations::Vector(apply(layer.function, v)),
                Activations::Image(v) => Activations::Image(apply(layer.function, v)),
                Activations::Sequence(s) => Activations::Sequence(Sequence {
                    steps: s
                        .steps
                        .into_iter()
                        .map(|v| apply(layer.function, v))
                        .collect(),
                    mask: s.mask,
                }),
            },
            Self::Embedding(embedding) => Activations::Sequence(embedding.forward(x.vector())),
            Self::Recurrent(rnn) => match rnn.forward(x.sequence(), dropout_seed) {
                RecurrentOutput::Sequence(s) => Activations::Sequence(s),
                RecurrentOutput::Final(h) => Activations::Vector(h),
            },
        }
    }
}

impl Network {
    /// Builds a network from a spec's body, the per-row input shape and the head width.
    ///
    /// # Errors
    ///
    /// [`ModelError::Spec`] when the layers do not fit the input.
    pub fn from_spec(
        layers: &[LayerSpec],
        input_shape: &[usize],
        head_units: usize,
        device: &Device,
        seed: u64,
    ) -> Result<Self, ModelError> {
        NetworkConfig {
            layers: layers.to_vec(),
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

    /// Forward pass; `dropout_seed` as in [`Layer::forward`].
    ///
    /// # Shapes
    ///
    /// - input: `[batch, features]` or `[batch, channels, height, width]`
    /// - output: `[batch, head_units]`
    pub fn forward(&self, input: Activations, dropout_seed: Option<u64>) -> Tensor<2> {
        let mut x = input;
        for (i, layer) in self.layers.iter().enumerate() {
            let seed = dropout_seed.map(|s| s ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            x = layer.forward(x, seed);
        }
        x.vector()
    }
}
