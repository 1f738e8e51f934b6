//! The `embedding` layer: token ids → vectors, PyTorch's `nn.Embedding`. Id 0 is padding:
//! with `mask_zero` the layer marks padded steps in the mask it hands on, so recurrent layers,
//! convolutions and pooling over time skip them.

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor, TensorData};
use kiln_spec::{EmbeddingInit, settings};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::activations::{Sequence, Series};
use crate::init::normal;

/// Token ids → vectors, PyTorch's `nn.Embedding` (initialised N(0, 1)).
#[derive(Module, Debug)]
pub struct Embedding {
    /// `[vocab, dim]`.
    pub weight: Param<Tensor<2>>,
    /// Whether id 0 marks padding.
    #[module(skip)]
    pub mask_zero: bool,
}

impl Embedding {
    /// A new embedding with vectors drawn from `rng`: N(0, 1) (PyTorch) or U(−0.05, 0.05)
    /// (Keras).
    pub fn new(
        vocab: usize,
        dim: usize,
        mask_zero: bool,
        init: EmbeddingInit,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let values: Vec<f32> = match init {
            EmbeddingInit::Normal => (0..vocab * dim).map(|_| normal(rng)).collect(),
            EmbeddingInit::Uniform => (0..vocab * dim)
                .map(|_| rng.random::<f32>().mul_add(0.1, -0.05))
                .collect(),
        };
        Self {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(values, [vocab, dim]),
                device,
            )),
            mask_zero,
        }
    }

    /// The layer a spec's settings describe (its vocabulary size settled from the data).
    pub(crate) fn build(spec: &settings::Embedding, device: &Device, rng: &mut ChaCha8Rng) -> Self {
        Self::new(
            // `infer_shapes` has checked that the vocabulary size is set.
            spec.vocab.unwrap_or(1),
            spec.dim,
            spec.mask_zero,
            spec.init,
            device,
            rng,
        )
    }

    /// The ids of a `[batch, time]` batch on the host, clamped to the vocabulary (ids outside
    /// it become its last entry; the data pipeline never produces them).
    fn host_ids(&self, ids: Tensor<2>) -> Vec<i64> {
        let vocab = self.weight.dims()[0] as i64;
        let host: Vec<f32> = ids
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default();
        host.iter()
            .map(|&v| (v.max(0.0) as i64).min(vocab - 1))
            .collect()
    }

    /// Looks up `ids` (`[batch, time]`, integral values stored as floats) as one
    /// `[batch, time, dim]` tensor: a single gather, so the backward pass scatters into the
    /// table once per batch rather than once per step. With `mask_zero`, padded steps are
    /// marked in the mask.
    pub fn forward_series(&self, ids: Tensor<2>) -> Series {
        let [b, t] = ids.dims();
        let device = ids.device();
        let host = self.host_ids(ids);
        let dim = self.weight.dims()[1];
        let masked = self.mask_zero && host.contains(&0);
        let mask = masked.then(|| {
            let m: Vec<f32> = host.iter().map(|&i| f32::from(i != 0)).collect();
            Tensor::<2>::from_data(TensorData::new(m, [b, t]), &device)
        });
        let index = Tensor::<1, Int>::from_data(TensorData::new(host, [b * t]), &device);
        let x = self.weight.val().select(0, index).reshape([b, t, dim]);
        Series { x, mask }
    }

    /// Looks up `ids` (`[batch, time]`, integral values stored as floats) step by step, for
    /// recurrent layers. Ids outside the vocabulary are clamped to its last entry.
    pub fn forward(&self, ids: Tensor<2>) -> Sequence {
        let [b, t] = ids.dims();
        let device = ids.device();
        let host = self.host_ids(ids);
        let id =
            |row: usize, step: usize| -> i64 { host.get(row * t + step).copied().unwrap_or(0) };
        let masked = self.mask_zero && host.contains(&0);
        let weight = self.weight.val();
        let mut steps = Vec::with_capacity(t);
        let mut mask = Vec::with_capacity(if masked { t } else { 0 });
        for step in 0..t {
            let column: Vec<i64> = (0..b).map(|row| id(row, step)).collect();
            if masked {
                let m: Vec<f32> = column.iter().map(|&i| f32::from(i != 0)).collect();
                mask.push(Tensor::from_data(TensorData::new(m, [b, 1]), &device));
            }
            let index = Tensor::<1, Int>::from_data(TensorData::new(column, [b]), &device);
            steps.push(weight.clone().select(0, index));
        }
        Sequence {
            steps,
            mask: masked.then_some(mask),
        }
    }
}
