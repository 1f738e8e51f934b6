//! A finite-difference gradient checker for networks built from a layer stack.
//!
//! The network is built on the autodiff device and run with `forward_train`, so that batch norm
//! uses batch statistics and dropout is active (with one fixed mask) in the autodiff pass and
//! in every finite-difference evaluation alike. The scalar loss is `L = sum(output * R)` with
//! fixed random weights `R`, so every output contributes.
//! Autodiff runs in f32 like the backend; the finite differences read the f32 outputs back and
//! form `L` in f64, which keeps the loss's own rounding out of the difference quotient.

use std::fmt;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use kiln_model::{Network, NetworkConfig};
use kiln_spec::{LayerSpec, Layers};

/// Rows in every checked batch; more than one so that batch norm has a variance to normalise by.
pub(crate) const BATCH: usize = 4;
/// Central-difference step. The error of the difference quotient is dominated by f32 rounding
/// in the outputs (it shrinks as the step grows: worst 7e-3 at 5e-4, 5e-3 at 1e-3, 1.2e-3 at
/// 3e-3), so the step is as large as kinks allow: inputs are at least 0.1 from relu's kink and
/// at least `1.9 / n` apart (more than the step for up to 950 values), so a perturbation never
/// moves a max-pool window's maximum. Hidden relu pre-activations are not controlled; the
/// weights are seeded, so one that sat on a kink would fail every run, never flakily.
const STEP: f32 = 2e-3;
/// Relative tolerance: an f32 forward pass differenced at `STEP` agrees with autodiff to a few
/// parts in 10³ at worst (batch norm over a conv's channels, where normalising amplifies the
/// rounding); a wrong gradient (a missing factor, a dropped term) is off by far more.
const RELATIVE_TOLERANCE: f64 = 1e-2;
/// Absolute floor, for gradients that are zero or nearly so (e.g. through softmax's sum).
const ABSOLUTE_TOLERANCE: f64 = 1e-3;
/// Every pass uses the training forward with this seed: dropout masks are the same in each, so
/// a dropout layer is a fixed linear map that finite differences can check.
const DROPOUT_SEED: u64 = 5;
/// Elements compared per tensor (all of them in smaller tensors).
const SAMPLES_PER_TENSOR: usize = 20;

/// Which loss the finite differences are taken of.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FiniteDifferenceLoss {
    /// The loss autodiff differentiated: the gradients must agree.
    SameAsAutodiff,
    /// The loss with every weight multiplied by this factor: only for proving that the checker
    /// notices gradients that are off by that factor.
    ScaledBy(f64),
}

/// One element whose autodiff and finite-difference gradients were compared.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    /// `input` or the parameter's module path.
    pub(crate) tensor: String,
    /// Flat index into the tensor.
    pub(crate) index: usize,
    /// The gradient reported by autodiff.
    pub(crate) autodiff: f64,
    /// The central finite difference.
    pub(crate) finite_difference: f64,
}

impl Comparison {
    /// `|a − f| / max(|a|, |f|, atol / rtol)`: relative where the gradient is large, absolute
    /// (scaled so that the tolerance reads the same) where it is tiny.
    pub(crate) fn relative_error(&self) -> f64 {
        let scale = self
            .autodiff
            .abs()
            .max(self.finite_difference.abs())
            .max(ABSOLUTE_TOLERANCE / RELATIVE_TOLERANCE);
        (self.autodiff - self.finite_difference).abs() / scale
    }

    fn agrees(&self) -> bool {
        self.relative_error() <= RELATIVE_TOLERANCE
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: autodiff {:.6e}, finite difference {:.6e}, relative error {:.2e}",
            self.tensor,
            self.index,
            self.autodiff,
            self.finite_difference,
            self.relative_error()
        )
    }
}

/// What a gradient check found.
#[derive(Debug)]
pub(crate) struct GradientReport {
    /// Every element compared.
    pub(crate) compared: Vec<Comparison>,
    /// Module paths of the parameters checked (the input excluded).
    pub(crate) parameters: Vec<String>,
}

impl GradientReport {
    /// The comparisons outside the tolerance.
    pub(crate) fn mismatches(&self) -> Vec<&Comparison> {
        self.compared.iter().filter(|c| !c.agrees()).collect()
    }

    /// The comparison with the largest relative error.
    pub(crate) fn worst(&self) -> &Comparison {
        self.compared
            .iter()
            .max_by(|a, b| a.relative_error().total_cmp(&b.relative_error()))
            .expect("at least the input is compared")
    }
}

impl fmt::Display for GradientReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mismatches = self.mismatches();
        writeln!(
            f,
            "{} of {} gradient elements outside rtol {RELATIVE_TOLERANCE:e} / atol \
             {ABSOLUTE_TOLERANCE:e}; worst: {}",
            mismatches.len(),
            self.compared.len(),
            self.worst()
        )?;
        for comparison in mismatches {
            writeln!(f, "  {comparison}")?;
        }
        Ok(())
    }
}

/// Checks autodiff against central finite differences for the input and every parameter of the
/// network `layers` builds (head included), and that the output is `[BATCH, head_units]`.
///
/// # Panics
///
/// When any compared element disagrees, listing every disagreement.
pub(crate) fn check_gradients(
    layers: &[LayerSpec],
    input_shape: &[usize],
    head_units: usize,
) -> GradientReport {
    let report = compare_gradients(
        layers,
        input_shape,
        head_units,
        FiniteDifferenceLoss::SameAsAutodiff,
    );
    assert!(report.mismatches().is_empty(), "{report}");
    log(layers, &report);
    report
}

#[allow(
    clippy::print_stderr,
    reason = "the harness captures it; `--nocapture` shows the errors observed"
)]
fn log(layers: &[LayerSpec], report: &GradientReport) {
    eprintln!(
        "{} elements, worst {} ({layers:?})",
        report.compared.len(),
        report.worst()
    );
}

/// Compares autodiff gradients of `sum(output * R)` with finite differences of `loss`; reports
/// every comparison without judging it.
///
/// # Panics
///
/// If the stack does not fit the input, the output has the wrong shape, or a trainable
/// parameter received no gradient.
pub(crate) fn compare_gradients(
    layers: &[LayerSpec],
    input_shape: &[usize],
    head_units: usize,
    loss: FiniteDifferenceLoss,
) -> GradientReport {
    compare_gradients_with(layers, input_shape, head_units, loss, None)
}

/// Checks the parameters of a network whose input is token ids (`ids`, `BATCH` rows): ids are
/// not differentiable, so only the parameters are compared.
///
/// # Panics
///
/// When any compared element disagrees.
pub(crate) fn check_gradients_on_ids(
    layers: &[LayerSpec],
    input_shape: &[usize],
    head_units: usize,
    ids: Vec<f32>,
) -> GradientReport {
    let report = compare_gradients_with(
        layers,
        input_shape,
        head_units,
        FiniteDifferenceLoss::SameAsAutodiff,
        Some(ids),
    );
    assert!(report.mismatches().is_empty(), "{report}");
    log(layers, &report);
    report
}

fn compare_gradients_with(
    layers: &[LayerSpec],
    input_shape: &[usize],
    head_units: usize,
    loss: FiniteDifferenceLoss,
    ids: Option<Vec<f32>>,
) -> GradientReport {
    let device = Device::flex().autodiff();
    let config = NetworkConfig {
        layers: Layers::check(layers.to_vec()).unwrap(),
        input_shape: input_shape.to_vec(),
        head_units,
    };
    let network = config
        .init(&device, 1)
        .expect("the layer stack fits the input");
    let features: usize = input_shape.iter().product();
    let mut rng = SplitMix64(7);
    let differentiate_input = ids.is_none();
    let input = ids.unwrap_or_else(|| kink_free_values(BATCH * features, &mut rng));
    let weights: Vec<f64> = (0..BATCH * head_units)
        .map(|_| rng.uniform(-1.0, 1.0))
        .collect();

    // Autodiff, in f32 as the backend computes.
    let x = Tensor::<2>::from_data(TensorData::new(input.clone(), [BATCH, features]), &device);
    let x = if differentiate_input {
        x.require_grad()
    } else {
        x
    };
    let output = network.forward_train(x.clone(), DROPOUT_SEED);
    assert_eq!(output.dims(), [BATCH, head_units], "output shape");
    let r = Tensor::<2>::from_data(
        TensorData::new(
            weights.iter().map(|&w| w as f32).collect::<Vec<_>>(),
            [BATCH, head_units],
        ),
        &device,
    );
    let grads = (output * r).sum().backward();
    let input_grad = if differentiate_input {
        values(x.grad(&grads).expect("the input requires grad"))
    } else {
        Vec::new()
    };
    let grads = GradientsParams::from_grads(grads, &network);
    let mut visitor = ParamGradients {
        grads: &grads,
        path: Vec::new(),
        found: Vec::new(),
    };
    network.visit(&mut visitor);

    // Finite differences of the (possibly altered) loss, accumulated in f64.
    let fd_weights: Vec<f64> = match loss {
        FiniteDifferenceLoss::SameAsAutodiff => weights,
        FiniteDifferenceLoss::ScaledBy(factor) => weights.iter().map(|w| w * factor).collect(),
    };
    let loss_at = |network: &Network, input: Vec<f32>| -> f64 {
        let x = Tensor::<2>::from_data(TensorData::new(input, [BATCH, features]), &device);
        let output = values(network.forward_train(x, DROPOUT_SEED));
        output
            .iter()
            .zip(&fd_weights)
            .map(|(&o, &w)| f64::from(o) * w)
            .sum()
    };

    let mut compared = Vec::new();
    let input_indices = if differentiate_input {
        sample_indices(input.len())
    } else {
        Vec::new()
    };
    for index in input_indices {
        let (minus, plus, step) = perturbed(input[index]);
        let mut at = input.clone();
        at[index] = plus;
        let loss_plus = loss_at(&network, at.clone());
        at[index] = minus;
        let loss_minus = loss_at(&network, at);
        compared.push(Comparison {
            tensor: "input".into(),
            index,
            autodiff: f64::from(input_grad[index]),
            finite_difference: (loss_plus - loss_minus) / step,
        });
    }
    for param in &visitor.found {
        for index in sample_indices(param.values.len()) {
            let (minus, plus, step) = perturbed(param.values[index]);
            let at = |value| {
                network.clone().map(&mut SetElement {
                    id: param.id,
                    index,
                    value,
                })
            };
            let loss_plus = loss_at(&at(plus), input.clone());
            let loss_minus = loss_at(&at(minus), input.clone());
            compared.push(Comparison {
                tensor: param.path.clone(),
                index,
                autodiff: f64::from(param.grad[index]),
                finite_difference: (loss_plus - loss_minus) / step,
            });
        }
    }
    GradientReport {
        compared,
        parameters: visitor.found.into_iter().map(|p| p.path).collect(),
    }
}

/// `value ∓ STEP` as f32, and the distance between the two as actually represented.
fn perturbed(value: f32) -> (f32, f32, f64) {
    let minus = value - STEP;
    let plus = value + STEP;
    (minus, plus, f64::from(plus) - f64::from(minus))
}

/// Up to [`SAMPLES_PER_TENSOR`] distinct indices into `0..len`, picked at random (but the same
/// on every run) so that the sample does not line up with any axis of the tensor.
fn sample_indices(len: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..len).collect();
    SplitMix64(len as u64).shuffle(&mut indices);
    indices.truncate(SAMPLES_PER_TENSOR);
    indices.sort_unstable();
    indices
}

/// `n` distinct values in ±[0.1, 2.0], alternating in sign before a shuffle: at least 0.1 from
/// relu's kink and at least `1.9 / n` from one another, so no max-pool window holds a near-tie.
pub(crate) fn kink_free_values(n: usize, rng: &mut SplitMix64) -> Vec<f32> {
    let mut out: Vec<f32> = (0..n)
        .map(|k| {
            let magnitude = 0.1 + 1.9 * k as f64 / n as f64;
            let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
            (sign * magnitude) as f32
        })
        .collect();
    rng.shuffle(&mut out);
    out
}

fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("the backend computes in f32")
}

/// A trainable parameter's current values and its autodiff gradient.
struct ParamGradient {
    id: ParamId,
    path: String,
    values: Vec<f32>,
    grad: Vec<f32>,
}

/// Collects every trainable parameter with its gradient; batch norm's running statistics (which
/// are visited as float tensors but never require grad) are skipped.
struct ParamGradients<'a> {
    grads: &'a GradientsParams,
    path: Vec<String>,
    found: Vec<ParamGradient>,
}

impl ModuleVisitor for ParamGradients<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let path = self.path.join(".");
        let value = param.val();
        if !value.is_require_grad() {
            assert!(
                path.ends_with("running_mean") || path.ends_with("running_var"),
                "{path} does not require grad, so training would never update it"
            );
            return;
        }
        let grad = self
            .grads
            .get::<D>(param.id)
            .unwrap_or_else(|| panic!("{path} received no gradient"));
        self.found.push(ParamGradient {
            id: param.id,
            path,
            values: values(value),
            grad: values(grad),
        });
    }
}

/// Replaces one element of one parameter.
struct SetElement {
    id: ParamId,
    index: usize,
    value: f32,
}

impl ModuleMapper for SetElement {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if param.id != self.id {
            return param;
        }
        param.map(|tensor| {
            let device = tensor.device();
            let shape = tensor.dims();
            let mut data = values(tensor);
            data[self.index] = self.value;
            Tensor::from_data(TensorData::new(data, shape), &device)
        })
    }
}

/// A small deterministic generator (SplitMix64), so that inputs and loss weights do not depend
/// on any backend's random stream.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// Fisher–Yates.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}
