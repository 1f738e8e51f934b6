use burn::module::{Module, Param};
use burn::nn::conv::{Conv1d, Conv1dConfig, Conv2d, Conv2dConfig};
use burn::nn::pool::{
    AvgPool2d, AvgPool2dConfig, MaxPool1d, MaxPool1dConfig, MaxPool2d, MaxPool2dConfig,
};
use burn::nn::{
    BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig1d, PaddingConfig2d,
};
use burn::tensor::{Device, Int, Tensor, TensorData, activation};
use kiln_spec::Activation;
use kiln_spec::options::Padding;
use kiln_spec::settings::{self, Layers};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::dropout::DropoutLayer;
use crate::recurrent::{CellKind, Embedding, Recurrent, RecurrentOutput, Sequence, Series};

/// Added to masked steps before a max over time, so that they never win; finite, so that a row
/// with no real step gives finite values (which the pooling then zeroes) rather than NaN.
const MASKED_OUT: f32 = -1e30;

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

/// A convolution over time followed by an activation. Burn's `Conv1d` reads `[batch,
/// channels, time]`; kiln's sequences are `[batch, time, features]` (Keras' channels-last), so
/// the layer swaps the two axes on the way in and out.
#[derive(Module, Debug)]
pub struct Conv1dLayer {
    /// The convolution.
    pub conv: Conv1d,
    /// Applied after the convolution.
    #[module(skip)]
    pub activation: Activation,
}

/// Global pooling over time (max or mean); no parameters.
#[derive(Module, Debug, Default)]
pub struct GlobalPool1d {}

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

fn build_layer(
    spec: &settings::Layer,
    input: &[usize],
    device: &Device,
    rng: &mut ChaCha8Rng,
) -> Layer {
    use settings::Layer as L;
    match spec {
        L::Dense(d) => Layer::Dense(Dense::new(
            input.iter().product(),
            d.units,
            d.bias,
            d.activation,
            device,
            rng,
        )),
        L::Conv2d(c) => {
            let padding = match c.padding {
                Padding::Same => PaddingConfig2d::Same,
                Padding::Valid => PaddingConfig2d::Valid,
            };
            let (filters, kernel) = (c.filters, c.kernel);
            let mut conv = Conv2dConfig::new([input[0], filters], [kernel, kernel])
                .with_stride([c.stride, c.stride])
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
                TensorData::new(w, [filters, input[0], kernel, kernel]),
                device,
            ));
            Layer::Conv2d(Conv2dLayer {
                conv,
                activation: c.activation,
            })
        }
        L::Conv1d(c) => {
            let features = input[input.len() - 1];
            let (filters, kernel) = (c.filters, c.kernel);
            let mut conv = Conv1dConfig::new(features, filters, kernel)
                .with_stride(c.stride)
                .with_padding(match c.padding {
                    Padding::Same => PaddingConfig1d::Same,
                    Padding::Valid => PaddingConfig1d::Valid,
                })
                .with_initializer(Initializer::Zeros)
                .init(device);
            // Keras' Glorot-uniform for Conv1D: fan_in = kernel·features, fan_out = kernel·filters.
            let w = glorot(
                filters * features * kernel,
                features * kernel,
                filters * kernel,
                rng,
            );
            conv.weight = Param::from_tensor(Tensor::from_data(
                TensorData::new(w, [filters, features, kernel]),
                device,
            ));
            Layer::Conv1d(Conv1dLayer {
                conv,
                activation: c.activation,
            })
        }
        L::MaxPool1d(p) => {
            Layer::MaxPool1d(MaxPool1dConfig::new(p.size).with_stride(p.stride).init())
        }
        L::GlobalMaxPool1d => Layer::GlobalMaxPool1d(GlobalPool1d {}),
        L::GlobalAvgPool1d => Layer::GlobalAvgPool1d(GlobalPool1d {}),
        L::MaxPool2d(p) => Layer::MaxPool2d(
            MaxPool2dConfig::new([p.size, p.size])
                .with_strides([p.stride; 2])
                .init(),
        ),
        L::AvgPool2d(p) => Layer::AvgPool2d(
            AvgPool2dConfig::new([p.size, p.size])
                .with_strides([p.stride; 2])
                .init(),
        ),
        L::Flatten => Layer::Flatten(Flatten {}),
        L::Dropout(d) => Layer::Dropout(DropoutLayer { rate: d.rate }),
        L::BatchNorm(bn) => {
            // Keras' momentum is the weight of the old running value; Burn's is the weight of
            // the new batch statistic.
            Layer::BatchNorm(
                BatchNormConfig::new(input[0])
                    .with_momentum(1.0 - bn.momentum)
                    .with_epsilon(bn.epsilon)
                    .init(device),
            )
        }
        L::Activation(function) => Layer::Activation(ActivationLayer {
            function: *function,
        }),
        L::Embedding(e) => Layer::Embedding(Embedding::new(
            // `infer_shapes` has checked that the vocabulary size is set.
            e.vocab.unwrap_or(1),
            e.dim,
            e.mask_zero,
            e.init,
            device,
            rng,
        )),
        L::Lstm(r) => Layer::Recurrent(Recurrent::new(
            CellKind::Lstm,
            r,
            input[input.len() - 1],
            device,
            rng,
        )),
        L::Gru(r) => Layer::Recurrent(Recurrent::new(
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
#[allow(
    clippy::large_enum_variant,
    reason = "one value per layer, moved from layer to layer; boxing would only add allocations"
)]
pub enum Activations {
    /// `[batch, features]`
    Vector(Tensor<2>),
    /// `[batch, channels, height, width]`
    Image(Tensor<4>),
    /// `time` steps of `[batch, features]`, for recurrent layers.
    Sequence(Sequence),
    /// `[batch, time, features]` in one tensor, for convolution and pooling over time.
    Series(Series),
}

impl Activations {
    fn vector(self) -> Tensor<2> {
        match self {
            Self::Vector(x) => x,
            Self::Image(x) => x.flatten(1, 3),
            // Time-major concatenation equals flattening `[batch, time, features]`.
            Self::Sequence(s) => Tensor::cat(s.steps, 1),
            Self::Series(s) => s.x.flatten(1, 2),
        }
    }

    fn sequence(self) -> Sequence {
        match self {
            Self::Sequence(s) => s,
            Self::Series(s) => s.into_sequence(),
            // Shape inference rules this out.
            other => panic!("a recurrent layer received a non-sequence batch {other:?}"),
        }
    }

    fn series(self) -> Series {
        match self {
            Self::Series(s) => s,
            Self::Sequence(s) => Series::from_sequence(s),
            // Shape inference rules this out.
            other => panic!("a layer over time received a non-sequence batch {other:?}"),
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
            Self::Series(s) => panic!("an image layer received a sequence {:?}", s.x.dims()),
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

impl Conv1dLayer {
    /// Convolves `[batch, time, features]` into `[batch, time', filters]`.
    ///
    /// With a mask, padded steps enter as zeros and the output mask keeps exactly the steps
    /// that the unpadded row would have: with `valid` padding the windows that lie wholly on
    /// real steps, with `same` padding output step `j` when input step `j·stride` is real. So a
    /// right-padded row gives at its real steps what it gives unpadded (for `same` with a
    /// stride above 1 only up to where TensorFlow-style padding splits differently).
    fn forward(&self, input: Series) -> Series {
        let Series { x, mask } = input;
        let x = match &mask {
            Some(m) => {
                let features = x.dims()[2];
                x * spread(m.clone(), features)
            }
            None => x,
        };
        let y = apply(
            self.activation,
            self.conv.forward(x.swap_dims(1, 2)).swap_dims(1, 2),
        );
        let Some(m) = mask else {
            return Series { x: y, mask: None };
        };
        let m = if self.conv.padding == PaddingConfig1d::Same {
            every_nth_step(m, self.conv.stride)
        } else {
            whole_windows(m, self.conv.kernel_size, self.conv.stride)
        };
        let filters = y.dims()[2];
        Series {
            x: y * spread(m.clone(), filters),
            mask: Some(m),
        }
    }
}

/// The mask after a `valid` window over time: a step is real when its whole window is.
fn whole_windows(mask: Tensor<2>, size: usize, stride: usize) -> Tensor<2> {
    let [b, _] = mask.dims();
    let pool = MaxPool1dConfig::new(size).with_stride(stride).init();
    // min over the window = 1 − max(1 − m).
    let pooled = pool.forward((mask.neg() + 1.0).unsqueeze_dim::<3>(1)).neg() + 1.0;
    let steps = pooled.dims()[2];
    pooled.reshape([b, steps])
}

/// The mask at steps `0, stride, 2·stride, …`.
fn every_nth_step(mask: Tensor<2>, stride: usize) -> Tensor<2> {
    if stride == 1 {
        return mask;
    }
    let time = mask.dims()[1];
    let index: Vec<i64> = (0..time).step_by(stride).map(|t| t as i64).collect();
    let count = index.len();
    let index = Tensor::<1, Int>::from_data(TensorData::new(index, [count]), &mask.device());
    mask.select(1, index)
}

/// `mask` `[batch, time]` broadcast over `features`: `[batch, time, features]`.
fn spread(mask: Tensor<2>, features: usize) -> Tensor<3> {
    let [b, t] = mask.dims();
    mask.unsqueeze_dim::<3>(2).expand([b, t, features])
}

/// Max pooling over time (`valid` windows). With a mask, the windows that lie wholly on real
/// steps stay real; the others are zeroed and masked.
fn max_pool_over_time(pool: &MaxPool1d, input: Series) -> Series {
    let Series { x, mask } = input;
    let y = pool.forward(x.swap_dims(1, 2)).swap_dims(1, 2);
    let Some(m) = mask else {
        return Series { x: y, mask: None };
    };
    let m = whole_windows(m, pool.kernel_size, pool.stride);
    let features = y.dims()[2];
    Series {
        x: y * spread(m.clone(), features),
        mask: Some(m),
    }
}

/// `[batch, time, features]` → `[batch, features]`: the maximum over the real steps (0 for a
/// row with none).
fn global_max(input: Series) -> Tensor<2> {
    let Series { x, mask } = input;
    let [b, _, f] = x.dims();
    let Some(m) = mask else {
        return x.max_dim(1).reshape([b, f]);
    };
    let any = m.clone().max_dim(1).expand([b, f]);
    let filled = x + (spread(m, f) - 1.0) * (-MASKED_OUT);
    filled.max_dim(1).reshape([b, f]) * any
}

/// `[batch, time, features]` → `[batch, features]`: the mean over the real steps (0 for a row
/// with none).
fn global_mean(input: Series) -> Tensor<2> {
    let Series { x, mask } = input;
    let [b, t, f] = x.dims();
    let Some(m) = mask else {
        return x.sum_dim(1).reshape([b, f]) / t as f32;
    };
    let count = m.clone().sum_dim(1).clamp_min(1.0).expand([b, f]);
    (x * spread(m, f)).sum_dim(1).reshape([b, f]) / count
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
            Self::Conv1d(layer) => Activations::Series(layer.forward(x.series())),
            Self::MaxPool1d(pool) => Activations::Series(max_pool_over_time(pool, x.series())),
            Self::GlobalMaxPool1d(_) => Activations::Vector(global_max(x.series())),
            Self::GlobalAvgPool1d(_) => Activations::Vector(global_mean(x.series())),
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
                (Some(seed), Activations::Series(s)) => Activations::Series(Series {
                    x: dropout.apply(s.x, seed),
                    mask: s.mask,
                }),
            },
            Self::BatchNorm(norm) => match x {
                Activations::Vector(v) => Activations::Vector(norm.forward(v)),
                Activations::Image(v) => Activations::Image(norm.forward(v)),
                // Shape inference rejects batch_norm on sequences.
                other => Activations::Vector(norm.forward(other.vector())),
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
                Activations::Series(s) => Activations::Series(Series {
                    x: apply(layer.function, s.x),
                    mask: s.mask,
                }),
            },
            // `Network::forward` picks the form the layers after the embedding read.
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
        let mut x = input;
        for (i, layer) in self.layers.iter().enumerate() {
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
        x.vector()
    }
}
