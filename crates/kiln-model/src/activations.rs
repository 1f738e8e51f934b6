//! What flows between layers: [`Activations`], a batch of vectors, images or sequences, and the
//! two forms of a sequence ([`Sequence`], a list of steps for recurrent layers; [`Series`], one
//! tensor for layers over the whole time axis), with the padding masks they carry.

use burn::nn::pool::MaxPool1dConfig;
use burn::tensor::{Int, Tensor, TensorData};

/// A batch of sequences, time-major: `steps[t]` is `[batch, features]`.
#[derive(Debug, Clone)]
pub struct Sequence {
    /// One tensor per time step.
    pub steps: Vec<Tensor<2>>,
    /// Per step, `[batch, 1]` with 1 for a real token and 0 for padding; `None` when nothing
    /// is masked.
    pub mask: Option<Vec<Tensor<2>>>,
}

impl Sequence {
    /// Splits a `[batch, time, features]` tensor into steps (no mask).
    pub fn from_tensor(x: Tensor<3>) -> Self {
        let [b, t, d] = x.dims();
        let steps = (0..t)
            .map(|i| x.clone().narrow(1, i, 1).reshape([b, d]))
            .collect();
        Self { steps, mask: None }
    }

    /// Stacks the steps into `[batch, time, features]`.
    pub fn to_tensor(&self) -> Tensor<3> {
        Tensor::stack(self.steps.clone(), 1)
    }
}

/// A batch of sequences as one tensor, for the layers that work on the whole time axis at once
/// (`conv1d`, pooling over time, `flatten`).
#[derive(Debug, Clone)]
pub struct Series {
    /// `[batch, time, features]`.
    pub x: Tensor<3>,
    /// `[batch, time]`, 1 for a real step and 0 for padding; `None` when nothing is masked.
    pub mask: Option<Tensor<2>>,
}

impl Series {
    /// Stacks a time-major [`Sequence`]'s steps (and mask).
    pub fn from_sequence(sequence: Sequence) -> Self {
        Self {
            x: Tensor::stack(sequence.steps, 1),
            mask: sequence.mask.map(|m| Tensor::cat(m, 1)),
        }
    }

    /// Splits into a time-major [`Sequence`] for recurrent layers.
    pub fn into_sequence(self) -> Sequence {
        let mut sequence = Sequence::from_tensor(self.x);
        sequence.mask = self.mask.map(|m| {
            let time = m.dims()[1];
            (0..time).map(|t| m.clone().narrow(1, t, 1)).collect()
        });
        sequence
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
    /// The batch as `[batch, features]`: images, sequences and series flattened.
    pub fn vector(self) -> Tensor<2> {
        match self {
            Self::Vector(x) => x,
            Self::Image(x) => x.flatten(1, 3),
            // Time-major concatenation equals flattening `[batch, time, features]`.
            Self::Sequence(s) => Tensor::cat(s.steps, 1),
            Self::Series(s) => s.x.flatten(1, 2),
        }
    }

    /// The batch as a list of steps, for recurrent layers.
    ///
    /// # Panics
    ///
    /// On a vector or image batch; `infer_shapes` rules such stacks out.
    pub(crate) fn sequence(self) -> Sequence {
        match self {
            Self::Sequence(s) => s,
            Self::Series(s) => s.into_sequence(),
            // Shape inference rules this out.
            other => panic!("a recurrent layer received a non-sequence batch {other:?}"),
        }
    }

    /// The batch as one `[batch, time, features]` tensor, for layers over time.
    ///
    /// # Panics
    ///
    /// On a vector or image batch; `infer_shapes` rules such stacks out.
    pub(crate) fn series(self) -> Series {
        match self {
            Self::Series(s) => s,
            Self::Sequence(s) => Series::from_sequence(s),
            // Shape inference rules this out.
            other => panic!("a layer over time received a non-sequence batch {other:?}"),
        }
    }

    /// The batch as `[batch, channels, height, width]`.
    ///
    /// # Panics
    ///
    /// On any other batch; `infer_shapes` rules such stacks out.
    pub(crate) fn image(self) -> Tensor<4> {
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

/// The mask after a `valid` window over time: a step is real when its whole window is.
pub(crate) fn whole_windows(mask: Tensor<2>, size: usize, stride: usize) -> Tensor<2> {
    let [b, _] = mask.dims();
    let pool = MaxPool1dConfig::new(size).with_stride(stride).init();
    // min over the window = 1 − max(1 − m).
    let pooled = pool.forward((mask.neg() + 1.0).unsqueeze_dim::<3>(1)).neg() + 1.0;
    let steps = pooled.dims()[2];
    pooled.reshape([b, steps])
}

/// The mask at steps `0, stride, 2·stride, …`.
pub(crate) fn every_nth_step(mask: Tensor<2>, stride: usize) -> Tensor<2> {
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
pub(crate) fn spread(mask: Tensor<2>, features: usize) -> Tensor<3> {
    let [b, t] = mask.dims();
    mask.unsqueeze_dim::<3>(2).expand([b, t, features])
}
