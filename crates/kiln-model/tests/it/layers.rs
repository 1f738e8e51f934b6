//! Gradient checks, one per layer type, plus the checks that keep them honest: the checker
//! notices a wrong gradient, every stack's output is `[batch, head_units]`, and dropout is the
//! identity outside training.

use burn::tensor::{Device, Tensor, TensorData};
use kiln_model::{Activations, NetworkConfig};
use kiln_spec::{Activation, LayerSpec, Layers};

use crate::gradcheck::{
    BATCH, FiniteDifferenceLoss, SplitMix64, check_gradients, compare_gradients, kink_free_values,
};

fn dense(units: usize, activation: Activation) -> LayerSpec {
    LayerSpec::Dense {
        units,
        activation: Some(activation),
        bias: true,
        bayesian: None,
    }
}

fn conv(filters: usize, kernel: usize, stride: usize, padding: &str) -> LayerSpec {
    LayerSpec::Conv2d {
        filters,
        kernel,
        stride,
        padding: Some(padding.to_string()),
        activation: Some(Activation::Tanh),
    }
}

fn batch_norm() -> LayerSpec {
    LayerSpec::BatchNorm {
        momentum: None,
        epsilon: None,
    }
}

/// A layer stack, the per-row input shape and the head width.
type Stack = (Vec<LayerSpec>, Vec<usize>, usize);

fn dense_stack(activation: Activation) -> Stack {
    (vec![dense(5, activation)], vec![3], 2)
}

fn conv_stack(stride: usize, padding: &str) -> Stack {
    (
        vec![conv(2, 3, stride, padding), LayerSpec::Flatten {}],
        vec![2, 5, 5],
        3,
    )
}

fn max_pool_stack() -> Stack {
    // Pooling straight on the input, whose values have no near-ties: overlapping 2×2 windows
    // (stride 1) route some elements' gradient to several outputs, the default stride to one.
    (
        vec![
            LayerSpec::MaxPool2d {
                size: 2,
                stride: Some(1),
            },
            LayerSpec::MaxPool2d {
                size: 2,
                stride: None,
            },
            LayerSpec::Flatten {},
        ],
        vec![2, 5, 5],
        3,
    )
}

fn avg_pool_stack() -> Stack {
    (
        vec![
            LayerSpec::AvgPool2d {
                size: 2,
                stride: Some(1),
            },
            LayerSpec::AvgPool2d {
                size: 2,
                stride: None,
            },
            LayerSpec::Flatten {},
        ],
        vec![2, 5, 5],
        3,
    )
}

fn flatten_stack() -> Stack {
    (vec![LayerSpec::Flatten {}], vec![2, 3, 3], 3)
}

fn dropout_stack(rate: f64) -> Stack {
    (
        vec![dense(6, Activation::Tanh), LayerSpec::Dropout { rate }],
        vec![3],
        2,
    )
}

fn batch_norm_vector_stack() -> Stack {
    (vec![dense(4, Activation::Linear), batch_norm()], vec![3], 2)
}

fn batch_norm_image_stack() -> Stack {
    (
        vec![conv(2, 2, 1, "valid"), batch_norm(), LayerSpec::Flatten {}],
        vec![1, 4, 4],
        2,
    )
}

fn activation_vector_stack() -> Stack {
    (
        vec![
            dense(4, Activation::Linear),
            LayerSpec::Activation {
                function: Activation::Gelu,
            },
        ],
        vec![3],
        2,
    )
}

fn activation_image_stack() -> Stack {
    // Relu straight on the input, which keeps clear of zero; softmax over an image's last axis.
    (
        vec![
            LayerSpec::Activation {
                function: Activation::Relu,
            },
            LayerSpec::Activation {
                function: Activation::Softmax,
            },
            LayerSpec::Flatten {},
        ],
        vec![2, 3, 3],
        2,
    )
}

const ACTIVATIONS: [Activation; 8] = [
    Activation::Relu,
    Activation::Tanh,
    Activation::Sigmoid,
    Activation::LeakyRelu,
    Activation::Gelu,
    Activation::Elu,
    Activation::Linear,
    Activation::Softmax,
];

fn all_stacks() -> Vec<Stack> {
    let mut stacks: Vec<Stack> = ACTIVATIONS.into_iter().map(dense_stack).collect();
    stacks.extend([
        conv_stack(1, "valid"),
        conv_stack(1, "same"),
        conv_stack(2, "valid"),
        conv_stack(2, "same"),
        max_pool_stack(),
        avg_pool_stack(),
        flatten_stack(),
        dropout_stack(0.0),
        dropout_stack(0.5),
        batch_norm_vector_stack(),
        batch_norm_image_stack(),
        activation_vector_stack(),
        activation_image_stack(),
    ]);
    stacks
}

fn check((layers, input_shape, head_units): Stack) {
    let report = check_gradients(&layers, &input_shape, head_units);
    // The head's weight and bias at least; a layer with weights adds its own.
    let own = layers
        .iter()
        .filter(|l| {
            matches!(
                l,
                LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. } | LayerSpec::BatchNorm { .. }
            )
        })
        .count();
    assert_eq!(
        report.parameters.len(),
        2 * (own + 1),
        "{:?}",
        report.parameters
    );
}

#[test]
fn dense_relu() {
    check(dense_stack(Activation::Relu));
}

#[test]
fn dense_tanh() {
    check(dense_stack(Activation::Tanh));
}

#[test]
fn dense_sigmoid() {
    check(dense_stack(Activation::Sigmoid));
}

#[test]
fn dense_leaky_relu() {
    check(dense_stack(Activation::LeakyRelu));
}

#[test]
fn dense_gelu() {
    check(dense_stack(Activation::Gelu));
}

#[test]
fn dense_elu() {
    check(dense_stack(Activation::Elu));
}

#[test]
fn dense_linear() {
    check(dense_stack(Activation::Linear));
}

#[test]
fn dense_softmax() {
    check(dense_stack(Activation::Softmax));
}

#[test]
fn conv2d_valid_stride_1() {
    check(conv_stack(1, "valid"));
}

#[test]
fn conv2d_same_stride_1() {
    check(conv_stack(1, "same"));
}

#[test]
fn conv2d_valid_stride_2() {
    check(conv_stack(2, "valid"));
}

#[test]
fn conv2d_same_stride_2() {
    check(conv_stack(2, "same"));
}

#[test]
fn max_pool2d() {
    check(max_pool_stack());
}

#[test]
fn avg_pool2d() {
    check(avg_pool_stack());
}

#[test]
fn flatten() {
    check(flatten_stack());
}

#[test]
fn dropout_rate_zero() {
    check(dropout_stack(0.0));
}

#[test]
fn dropout_with_a_fixed_mask() {
    // The checker's training passes all draw the same mask, so dropout is a fixed linear map:
    // zero for dropped units, 1 / (1 − rate) for kept ones.
    check(dropout_stack(0.5));
}

#[test]
fn batch_norm_training_after_dense() {
    check(batch_norm_vector_stack());
}

#[test]
fn batch_norm_training_after_conv() {
    check(batch_norm_image_stack());
}

#[test]
fn activation_layer_on_vectors() {
    check(activation_vector_stack());
}

#[test]
fn activation_layer_on_images() {
    check(activation_image_stack());
}

#[test]
fn checker_reports_gradients_off_by_three_percent() {
    // Finite differences of 1.03 × the loss: every gradient autodiff reports is 3% too small
    // for them, three times the tolerance, and the checker must say so nearly everywhere (only
    // gradients under the absolute floor may slip through).
    let (layers, input_shape, head_units) = dense_stack(Activation::Tanh);
    let report = compare_gradients(
        &layers,
        &input_shape,
        head_units,
        FiniteDifferenceLoss::ScaledBy(1.03),
    );
    let mismatches = report.mismatches().len();
    assert!(
        mismatches * 10 >= report.compared.len() * 9,
        "only {mismatches} of {} flagged",
        report.compared.len()
    );
    // The same comparison with the true loss passes, so the mismatches are the scaling's.
    let report = compare_gradients(
        &layers,
        &input_shape,
        head_units,
        FiniteDifferenceLoss::SameAsAutodiff,
    );
    assert!(report.mismatches().is_empty(), "{report}");
}

#[test]
fn output_is_batch_by_head_units_for_every_stack() {
    let device = Device::flex();
    for (layers, input_shape, head_units) in all_stacks() {
        let network = NetworkConfig {
            layers: Layers::check(layers.clone()).unwrap(),
            input_shape: input_shape.clone(),
            head_units,
        }
        .init(&device, 1)
        .unwrap_or_else(|e| panic!("{layers:?} on {input_shape:?}: {e}"));
        let features: usize = input_shape.iter().product();
        for rows in [1, BATCH] {
            let x = Tensor::<2>::zeros([rows, features], &device);
            assert_eq!(
                network.forward_flat(x).dims(),
                [rows, head_units],
                "{layers:?} on {input_shape:?}"
            );
        }
    }
}

#[test]
fn dropout_is_identity_outside_training() {
    let features = 64;
    let values = kink_free_values(BATCH * features, &mut SplitMix64(3));
    let config = NetworkConfig {
        layers: Layers::check(vec![LayerSpec::Dropout { rate: 0.5 }]).unwrap(),
        input_shape: vec![features],
        head_units: 1,
    };
    let run = |device: &Device, dropout_seed: Option<u64>| {
        let network = config.init(device, 1).expect("dropout fits any input");
        let x = Tensor::<2>::from_data(TensorData::new(values.clone(), [BATCH, features]), device);
        let Activations::Vector(y) =
            network.layers[0].forward(Activations::Vector(x), dropout_seed)
        else {
            panic!("dropout changed the rank");
        };
        y.into_data().try_into_vec::<f32>().expect("f32")
    };

    // Inference is the identity, on the plain device and on the autodiff device alike.
    assert_eq!(run(&Device::flex(), None), values);
    assert_eq!(run(&Device::flex().autodiff(), None), values);
    // A training pass does drop (and rescale by 1 / (1 − rate)), so the checks above are not
    // vacuous.
    let trained = run(&Device::flex().autodiff(), Some(9));
    let dropped = trained.iter().filter(|&&v| v == 0.0).count();
    assert!(
        dropped > values.len() / 4 && dropped < values.len() * 3 / 4,
        "{dropped} of {} dropped at rate 0.5",
        values.len()
    );
    for (kept, original) in trained.iter().zip(&values).filter(|(v, _)| **v != 0.0) {
        assert!(
            (kept - 2.0 * original).abs() <= 1e-6,
            "{kept} kept from {original}"
        );
    }
}
