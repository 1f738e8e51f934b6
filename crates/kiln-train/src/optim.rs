//! Optimisers as fused loops over each parameter's values.
//!
//! Burn's optimisers compose one tensor operation per term; on a CPU with small layers that
//! costs several passes over memory per parameter per step. These run one pass, keep their
//! moments as plain `Vec<f32>` (serialisable into a checkpoint), and follow Keras' update rules
//! exactly so that learning rates and epsilons mean what a Keras user expects.

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};
use kiln_spec::OptimizerSpec;
use serde::{Deserialize, Serialize};

/// An optimiser and its state.
#[derive(Debug, Clone)]
pub struct Optimizer {
    spec: OptimizerSpec,
    state: OptimizerState,
}

/// Everything an optimiser remembers between steps; parameters are identified by their
/// position in the module's visiting order, which is fixed by the network's structure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OptimizerState {
    /// Steps taken.
    pub step: u64,
    /// First slot per parameter (momentum / first moment / mean square).
    pub slot1: Vec<Vec<f32>>,
    /// Second slot per parameter (Adam's second moment).
    pub slot2: Vec<Vec<f32>>,
}

impl OptimizerState {
    /// The slots as bytes, for a checkpoint's `optimizer` section: for each slot, the
    /// parameter count, then per parameter its length and its f32 values, all little-endian
    /// (`u64` counts). The step count is stored in the checkpoint's header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for slots in [&self.slot1, &self.slot2] {
            out.extend_from_slice(&(slots.len() as u64).to_le_bytes());
            for v in slots {
                out.extend_from_slice(&(v.len() as u64).to_le_bytes());
                for x in v {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
        }
        out
    }

    /// Reads what [`OptimizerState::to_bytes`] wrote, with the step count from the header;
    /// `None` when the bytes are cut short.
    pub fn from_bytes(bytes: &[u8], step: u64) -> Option<Self> {
        let mut pos = 0usize;
        let u64_at = |pos: &mut usize| -> Option<u64> {
            let b = bytes.get(*pos..*pos + 8)?;
            *pos += 8;
            Some(u64::from_le_bytes(b.try_into().ok()?))
        };
        let mut slots: [Vec<Vec<f32>>; 2] = [Vec::new(), Vec::new()];
        for slot in &mut slots {
            let n = usize::try_from(u64_at(&mut pos)?).ok()?;
            for _ in 0..n {
                let len = usize::try_from(u64_at(&mut pos)?).ok()?;
                let raw = bytes.get(pos..pos.checked_add(len.checked_mul(4)?)?)?;
                pos += len * 4;
                slot.push(
                    raw.chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                );
            }
        }
        let [slot1, slot2] = slots;
        Some(Self { step, slot1, slot2 })
    }
}

impl Optimizer {
    /// A fresh optimiser.
    pub fn new(spec: OptimizerSpec) -> Self {
        Self {
            spec,
            state: OptimizerState::default(),
        }
    }

    /// An optimiser continuing from saved state.
    pub fn with_state(spec: OptimizerSpec, state: OptimizerState) -> Self {
        Self { spec, state }
    }

    /// The state, for checkpoints.
    pub fn state(&self) -> &OptimizerState {
        &self.state
    }

    /// Applies one update with learning rate `lr` and returns the updated module.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        self.state.step += 1;
        let mut mapper = StepMapper {
            spec: &self.spec,
            state: &mut self.state,
            grads,
            lr: lr as f32,
            index: 0,
        };
        module.map(&mut mapper)
    }
}

struct StepMapper<'a> {
    spec: &'a OptimizerSpec,
    state: &'a mut OptimizerState,
    grads: GradientsParams,
    lr: f32,
    index: usize,
}

impl ModuleMapper for StepMapper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let index = self.index;
        self.index += 1;
        let Some(grad) = self.grads.remove::<D>(id) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let require_grad = tensor.is_require_grad();
        let shape = tensor.shape();
        let inner = tensor.inner();
        let device = inner.device();
        let mut w = into_vec(inner.into_data());
        let g = into_vec(grad.into_data());
        if self.state.slot1.len() <= index {
            self.state.slot1.resize(index + 1, Vec::new());
            self.state.slot2.resize(index + 1, Vec::new());
        }
        update(
            self.spec,
            self.lr,
            self.state.step,
            &mut w,
            &g,
            &mut self.state.slot1[index],
            &mut self.state.slot2[index],
        );
        let mut updated =
            Tensor::from_inner(Tensor::<D>::from_data(TensorData::new(w, shape), &device));
        if require_grad {
            updated = updated.require_grad();
        }
        Param::from_mapped_value(id, updated, mapper)
    }
}

fn into_vec(data: TensorData) -> Vec<f32> {
    match data.try_into_vec::<f32>() {
        Ok(v) => v,
        Err(e) => panic!("kiln trains in f32; got {e:?}"),
    }
}

/// One fused update of `w` given gradient `g`, following Keras' formulas.
fn update(
    spec: &OptimizerSpec,
    lr: f32,
    step: u64,
    w: &mut [f32],
    g: &[f32],
    s1: &mut Vec<f32>,
    s2: &mut Vec<f32>,
) {
    match *spec {
        OptimizerSpec::Sgd {
            momentum, nesterov, ..
        } => {
            let m = momentum as f32;
            if m == 0.0 {
                for (wi, gi) in w.iter_mut().zip(g) {
                    *wi -= lr * gi;
                }
                return;
            }
            s1.resize(w.len(), 0.0);
            // Keras: v = m·v − lr·g; w += v (nesterov: w += m·v − lr·g).
            for ((wi, gi), vi) in w.iter_mut().zip(g).zip(s1.iter_mut()) {
                *vi = m * *vi - lr * gi;
                *wi += if nesterov { m * *vi - lr * gi } else { *vi };
            }
        }
        OptimizerSpec::Adam {
            beta1,
            beta2,
            epsilon,
            ..
        } => {
            s1.resize(w.len(), 0.0);
            s2.resize(w.len(), 0.0);
            let (b1, b2, eps) = (beta1 as f32, beta2 as f32, epsilon as f32);
            let t = step as i32;
            let c1 = 1.0 - b1.powi(t);
            let c2 = 1.0 - b2.powi(t);
            // Keras: lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ); w −= lr_t·m / (√v + ε).
            let lr_t = lr * c2.sqrt() / c1;
            for (((wi, gi), mi), vi) in w.iter_mut().zip(g).zip(s1.iter_mut()).zip(s2.iter_mut()) {
                *mi = b1 * *mi + (1.0 - b1) * gi;
                *vi = b2 * *vi + (1.0 - b2) * gi * gi;
                *wi -= lr_t * *mi / (vi.sqrt() + eps);
            }
        }
        OptimizerSpec::Rmsprop { rho, epsilon, .. } => {
            s1.resize(w.len(), 0.0);
            let (rho, eps) = (rho as f32, epsilon as f32);
            // Keras: a = ρ·a + (1−ρ)·g²; w −= lr·g / (√a + ε).
            for ((wi, gi), ai) in w.iter_mut().zip(g).zip(s1.iter_mut()) {
                *ai = rho * *ai + (1.0 - rho) * gi * gi;
                *wi -= lr * gi / (ai.sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adam() -> OptimizerSpec {
        OptimizerSpec::Adam {
            learning_rate: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-7,
        }
    }

    #[test]
    fn optimizer_state_bytes_round_trip_and_refuse_short_input() {
        let state = OptimizerState {
            step: 7,
            slot1: vec![vec![1.0, -2.5], vec![], vec![3.0e-8]],
            slot2: vec![vec![0.25]],
        };
        let bytes = state.to_bytes();
        // Two slot counts, four lengths, four values.
        assert_eq!(bytes.len(), 2 * 8 + 4 * 8 + 4 * 4);
        assert_eq!(OptimizerState::from_bytes(&bytes, 7), Some(state));
        for cut in [0, 8, 20, bytes.len() - 1] {
            assert_eq!(
                OptimizerState::from_bytes(&bytes[..cut], 7),
                None,
                "cut at {cut}"
            );
        }
        // A length that would overflow is refused, not allocated.
        let mut huge = 1u64.to_le_bytes().to_vec();
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(OptimizerState::from_bytes(&huge, 0), None);
    }

    #[test]
    fn adam_first_step_moves_by_lr_times_sign() {
        // At t = 1, m̂ = g and v̂ = g², so the step is lr·g/|g| = lr·sign(g) (up to ε).
        let mut w = vec![1.0, -2.0];
        let (mut s1, mut s2) = (Vec::new(), Vec::new());
        update(&adam(), 0.1, 1, &mut w, &[0.5, -3.0], &mut s1, &mut s2);
        assert!((w[0] - 0.9).abs() < 1e-6, "{w:?}");
        assert!((w[1] + 1.9).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn sgd_momentum_matches_hand_computation() {
        let spec = OptimizerSpec::Sgd {
            learning_rate: 0.1,
            momentum: 0.9,
            nesterov: false,
        };
        let mut w = vec![1.0];
        let (mut s1, mut s2) = (Vec::new(), Vec::new());
        update(&spec, 0.1, 1, &mut w, &[1.0], &mut s1, &mut s2);
        // v = −0.1, w = 0.9
        update(&spec, 0.1, 2, &mut w, &[1.0], &mut s1, &mut s2);
        // v = 0.9·(−0.1) − 0.1 = −0.19, w = 0.71
        assert!((w[0] - 0.71).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn rmsprop_matches_hand_computation() {
        let spec = OptimizerSpec::Rmsprop {
            learning_rate: 0.01,
            rho: 0.9,
            epsilon: 1e-7,
        };
        let mut w = vec![0.0];
        let (mut s1, mut s2) = (Vec::new(), Vec::new());
        update(&spec, 0.01, 1, &mut w, &[2.0], &mut s1, &mut s2);
        // a = 0.1·4 = 0.4; w = −0.01·2/√0.4 = −0.0316228
        assert!((w[0] + 0.031_622_8).abs() < 1e-6, "{w:?}");
    }
}
