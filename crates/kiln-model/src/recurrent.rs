//! Recurrent layers: LSTM and GRU (stacked, bidirectional, masked).
//!
//! The equations and parameter layout are PyTorch's `nn.LSTM` / `nn.GRU`, so weights exported
//! from PyTorch load one to one (transposed: kiln keeps `[inputs, gates·units]` kernels, Burn's
//! `Linear` convention):
//!
//! - LSTM, gates `i, f, g, o` in that column order:
//!   `i = σ(x W_ii + b_ii + h W_hi + b_hi)`, `f = σ(…)`, `g = tanh(…)`, `o = σ(…)`,
//!   `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')`.
//! - GRU, gates `r, z, n`: `r = σ(x W_ir + b_ir + h W_hr + b_hr)`, `z = σ(…)`,
//!   `n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
//!
//! A sequence travels between recurrent layers as one `[batch, features]` tensor per time step
//! ([`Sequence`]). Slicing a `[batch, time, features]` tensor per step would make the backward
//! pass allocate a full-size zero tensor for every step (quadratic in the sequence length);
//! a list of steps keeps both passes linear.
//!
//! Masking: an embedding with `mask_zero` marks id 0 as padding. A recurrent layer leaves its
//! state unchanged on a padded step, so the final state of a right-padded sequence is the state
//! at its last real token, and the backward direction starts from zeros at the last real token.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData, activation::sigmoid, activation::tanh};
use kiln_spec::settings::Recurrent as RecurrentSettings;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::activations::{Activations, Sequence};
use crate::dropout::DropoutLayer;

/// One direction of one layer: PyTorch's `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`,
/// `bias_hh_l{k}` (kernels transposed).
#[derive(Module, Debug)]
pub struct RecurrentCell {
    /// `[inputs, gates·units]`.
    pub weight_ih: Param<Tensor<2>>,
    /// `[units, gates·units]`.
    pub weight_hh: Param<Tensor<2>>,
    /// `[gates·units]`.
    pub bias_ih: Param<Tensor<1>>,
    /// `[gates·units]`.
    pub bias_hh: Param<Tensor<1>>,
}

impl RecurrentCell {
    /// PyTorch's initialisation: every value U(−1/√units, 1/√units).
    fn new(
        inputs: usize,
        units: usize,
        gates: usize,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let k = 1.0 / (units as f32).sqrt();
        let mut draw = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| rng.random::<f32>().mul_add(2.0 * k, -k))
                .collect()
        };
        let g = gates * units;
        let weight_ih = draw(inputs * g);
        let weight_hh = draw(units * g);
        let bias_ih = draw(g);
        let bias_hh = draw(g);
        Self {
            weight_ih: Param::from_tensor(Tensor::from_data(
                TensorData::new(weight_ih, [inputs, g]),
                device,
            )),
            weight_hh: Param::from_tensor(Tensor::from_data(
                TensorData::new(weight_hh, [units, g]),
                device,
            )),
            bias_ih: Param::from_tensor(Tensor::from_data(TensorData::new(bias_ih, [g]), device)),
            bias_hh: Param::from_tensor(Tensor::from_data(TensorData::new(bias_hh, [g]), device)),
        }
    }
}

/// Which recurrence a [`Recurrent`] layer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Long short-term memory (4 gates).
    Lstm,
    /// Gated recurrent unit (3 gates).
    Gru,
}

impl CellKind {
    /// Number of gate blocks in the kernels.
    pub fn gates(self) -> usize {
        match self {
            Self::Lstm => 4,
            Self::Gru => 3,
        }
    }
}

/// A stack of LSTM or GRU layers, optionally bidirectional, with dropout between layers:
/// PyTorch's `nn.LSTM(num_layers, bidirectional, dropout, batch_first=True)`.
#[derive(Module, Debug)]
pub struct Recurrent {
    /// Layer-major, forward before backward: `[l0 fwd, l0 bwd, l1 fwd, …]`.
    pub cells: Vec<RecurrentCell>,
    /// LSTM or GRU.
    #[module(skip)]
    pub kind: CellKind,
    /// Units, layers, directions, dropout, whether every step is returned.
    #[module(skip)]
    pub spec: RecurrentSettings,
}

/// What a [`Recurrent`] layer returns.
// One value per forward pass, moved straight into the next layer: boxing would only add an
// allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum RecurrentOutput {
    /// Every step of the last layer, directions concatenated: `[batch, directions·units]` each.
    Sequence(Sequence),
    /// The last layer's final state(s), directions concatenated: `[batch, directions·units]`.
    Final(Tensor<2>),
}

impl Recurrent {
    /// A new stack with PyTorch's initialisation drawn from `rng`.
    pub fn new(
        kind: CellKind,
        spec: &RecurrentSettings,
        inputs: usize,
        device: &Device,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let dirs = spec.directions();
        let mut cells = Vec::with_capacity(spec.layers * dirs);
        let mut width = inputs;
        for _ in 0..spec.layers {
            for _ in 0..dirs {
                cells.push(RecurrentCell::new(
                    width,
                    spec.units,
                    kind.gates(),
                    device,
                    rng,
                ));
            }
            width = dirs * spec.units;
        }
        Self {
            cells,
            kind,
            spec: spec.clone(),
        }
    }

    /// Runs the stack. `dropout_seed` is `Some` while training: dropout (if any) is applied to
    /// the outputs of every layer but the last, PyTorch's convention.
    pub fn forward(&self, input: Sequence, dropout_seed: Option<u64>) -> RecurrentOutput {
        let dirs = self.spec.directions();
        let mask = input.mask;
        let mut steps = input.steps;
        let mut finals = Vec::new();
        for layer in 0..self.spec.layers {
            let (forward, fwd_final) = self.run(&self.cells[layer * dirs], &steps, &mask, false);
            let (outputs, layer_finals) = if dirs == 2 {
                let (backward, bwd_final) =
                    self.run(&self.cells[layer * dirs + 1], &steps, &mask, true);
                let joined = forward
                    .into_iter()
                    .zip(backward)
                    .map(|(f, b)| Tensor::cat(vec![f, b], 1))
                    .collect();
                (joined, vec![fwd_final, bwd_final])
            } else {
                (forward, vec![fwd_final])
            };
            steps = outputs;
            finals = layer_finals;
            let last = layer + 1 == self.spec.layers;
            if let (false, Some(seed)) = (last, dropout_seed)
                && self.spec.dropout > 0.0
            {
                let dropout = DropoutLayer {
                    rate: self.spec.dropout,
                };
                let layer_seed = seed ^ (layer as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
                steps = steps
                    .into_iter()
                    .enumerate()
                    .map(|(t, s)| {
                        dropout.apply(s, layer_seed.wrapping_add((t as u64).wrapping_mul(0x9E37)))
                    })
                    .collect();
            }
        }
        if self.spec.return_sequences {
            RecurrentOutput::Sequence(Sequence { steps, mask })
        } else {
            RecurrentOutput::Final(Tensor::cat(finals, 1))
        }
    }

    /// One direction of one layer over `steps`; returns the outputs in time order and the
    /// final state.
    fn run(
        &self,
        cell: &RecurrentCell,
        steps: &[Tensor<2>],
        mask: &Option<Vec<Tensor<2>>>,
        reverse: bool,
    ) -> (Vec<Tensor<2>>, Tensor<2>) {
        let units = self.spec.units;
        let t_len = steps.len();
        let batch = steps.first().map_or(0, |s| s.dims()[0]);
        let device = steps
            .first()
            .map(Tensor::device)
            .unwrap_or_else(|| cell.weight_hh.val().device());
        let w_ih = cell.weight_ih.val();
        let w_hh = cell.weight_hh.val();
        let mut h = Tensor::<2>::zeros([batch, units], &device);
        let mut c = Tensor::<2>::zeros([batch, units], &device);
        let mut outputs: Vec<Option<Tensor<2>>> = vec![None; t_len];
        let order: Vec<usize> = if reverse {
            (0..t_len).rev().collect()
        } else {
            (0..t_len).collect()
        };
        match self.kind {
            CellKind::Lstm => {
                let bias = (cell.bias_ih.val() + cell.bias_hh.val()).unsqueeze_dim::<2>(0);
                for &t in &order {
                    let gates = steps[t].clone().matmul(w_ih.clone())
                        + h.clone().matmul(w_hh.clone())
                        + bias.clone();
                    let mut parts = gates.chunk(4, 1).into_iter();
                    let (Some(i), Some(f), Some(g), Some(o)) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    else {
                        unreachable!("chunk(4) of a 4·units axis gives four parts")
                    };
                    let c_new = sigmoid(f) * c.clone() + sigmoid(i) * tanh(g);
                    let h_new = sigmoid(o) * tanh(c_new.clone());
                    (h, c) = match mask {
                        Some(m) => (
                            h.clone() + m[t].clone() * (h_new - h),
                            c.clone() + m[t].clone() * (c_new - c),
                        ),
                        None => (h_new, c_new),
                    };
                    outputs[t] = Some(h.clone());
                }
            }
            CellKind::Gru => {
                let b_ih = cell.bias_ih.val().unsqueeze_dim::<2>(0);
                let b_hh = cell.bias_hh.val().unsqueeze_dim::<2>(0);
                for &t in &order {
                    let xw = steps[t].clone().matmul(w_ih.clone()) + b_ih.clone();
                    let hw = h.clone().matmul(w_hh.clone()) + b_hh.clone();
                    let mut xs = xw.chunk(3, 1).into_iter();
                    let mut hs = hw.chunk(3, 1).into_iter();
                    let (Some(xr), Some(xz), Some(xn), Some(hr), Some(hz), Some(hn)) = (
                        xs.next(),
                        xs.next(),
                        xs.next(),
                        hs.next(),
                        hs.next(),
                        hs.next(),
                    ) else {
                        unreachable!("chunk(3) of a 3·units axis gives three parts")
                    };
                    let r = sigmoid(xr + hr);
                    let z = sigmoid(xz + hz);
                    let n = tanh(xn + r * hn);
                    // (1 − z) ⊙ n + z ⊙ h  =  n + z ⊙ (h − n)
                    let h_new = n.clone() + z * (h.clone() - n);
                    h = match mask {
                        Some(m) => h.clone() + m[t].clone() * (h_new - h),
                        None => h_new,
                    };
                    outputs[t] = Some(h.clone());
                }
            }
        }
        let outputs = outputs.into_iter().flatten().collect();
        (outputs, h)
    }
}

impl From<RecurrentOutput> for Activations {
    fn from(output: RecurrentOutput) -> Self {
        match output {
            RecurrentOutput::Sequence(s) => Self::Sequence(s),
            RecurrentOutput::Final(h) => Self::Vector(h),
        }
    }
}
