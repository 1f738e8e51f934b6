//! `layer_norm` against PyTorch (`tests/reference/layer_norm_reference.py` wrote the fixture):
//! outputs and the gradients of the input, γ and β; finite differences through stacks with it;
//! and padded steps of a sequence stay zero.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use kiln_model::{Activations, Layer, NetworkConfig, Series};
use kiln_spec::{Activation, LayerSpec, Layers};
use serde_json::Value;

use crate::fixture::{assert_close, floats, values};
use crate::gradcheck::check_gradients;

const FIXTURE: &str = include_str!("../reference/layer_norm_reference.json");

fn layer_norm(epsilon: Option<f64>) -> LayerSpec {
    LayerSpec::LayerNorm { epsilon }
}

/// The network `[layer_norm]` + head for rows of shape `row`, with the fixture's γ and β.
fn network_with(case: &Value, row: &[usize], device: &Device) -> kiln_model::Network {
    let mut network = NetworkConfig {
        // The stack must end flat; flatten is a no-op on vectors.
        layers: Layers::check(vec![
            layer_norm(case["epsilon"].as_f64()),
            LayerSpec::Flatten {},
        ])
        .unwrap(),
        input_shape: row.to_vec(),
        head_units: 1,
    }
    .init(device, 1)
    .expect("the stack fits");
    let features = row[row.len() - 1];
    let Layer::LayerNorm(norm) = &mut network.layers[0] else {
        panic!("the first layer is layer_norm")
    };
    norm.gamma = Param::from_tensor(Tensor::from_data(
        TensorData::new(floats(&case["gamma"]), [features]),
        device,
    ));
    norm.beta = Some(Param::from_tensor(Tensor::from_data(
        TensorData::new(floats(&case["beta"]), [features]),
        device,
    )));
    network
}

#[test]
fn matches_pytorch() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    let device = Device::flex().autodiff();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let network = network_with(case, &shape[1..], &device);
        let Layer::LayerNorm(norm) = &network.layers[0] else {
            unreachable!()
        };
        let input = floats(&case["input"]);
        let r = floats(&case["r"]);
        let (output, x_grad, grads) = if let [batch, time, features] = shape[..] {
            let x =
                Tensor::<3>::from_data(TensorData::new(input, [batch, time, features]), &device)
                    .require_grad();
            let out = network.layers[0].forward(
                Activations::Series(Series {
                    x: x.clone(),
                    mask: None,
                }),
                None,
            );
            let Activations::Series(y) = out else {
                panic!("{name}: a sequence stays a sequence")
            };
            let r = Tensor::<3>::from_data(TensorData::new(r, [batch, time, features]), &device);
            let grads = (y.x.clone() * r).sum().backward();
            (values(y.x.inner()), values(x.grad(&grads).unwrap()), grads)
        } else {
            let [batch, features] = shape[..] else {
                panic!("{name}: rank")
            };
            let x = Tensor::<2>::from_data(TensorData::new(input, [batch, features]), &device)
                .require_grad();
            let Activations::Vector(y) =
                network.layers[0].forward(Activations::Vector(x.clone()), None)
            else {
                panic!("{name}: a vector stays a vector")
            };
            let r = Tensor::<2>::from_data(TensorData::new(r, [batch, features]), &device);
            let grads = (y.clone() * r).sum().backward();
            (values(y.inner()), values(x.grad(&grads).unwrap()), grads)
        };
        assert_close(&format!("{name} output"), &output, &floats(&case["output"]));
        assert_close(
            &format!("{name} input gradient"),
            &x_grad,
            &floats(&case["grad_input"]),
        );
        assert_close(
            &format!("{name} γ gradient"),
            &values(norm.gamma.grad(&grads).expect("γ has a gradient")),
            &floats(&case["grad_gamma"]),
        );
        let beta = norm.beta.as_ref().expect("β");
        assert_close(
            &format!("{name} β gradient"),
            &values(beta.grad(&grads).expect("β has a gradient")),
            &floats(&case["grad_beta"]),
        );
    }
}

#[test]
fn layer_norm_gradients_agree_with_finite_differences() {
    let dense = |units| LayerSpec::Dense {
        units,
        activation: Some(Activation::Tanh),
        bias: true,
        bayesian: None,
    };
    // After a dense layer (γ and β of the norm, both dense layers and the head are checked).
    let report = check_gradients(&[dense(6), layer_norm(None), dense(4)], &[5], 3);
    assert_eq!(report.parameters.len(), 8, "{:?}", report.parameters);
    // On a sequence: every step normalised on its own.
    check_gradients(
        &[layer_norm(Some(1e-5)), LayerSpec::GlobalAvgPool1d {}],
        &[4, 3],
        2,
    );
}

#[test]
fn padded_steps_stay_zero() {
    let device = Device::flex();
    let network = NetworkConfig {
        layers: Layers::check(vec![layer_norm(None), LayerSpec::Flatten {}]).unwrap(),
        input_shape: vec![3, 2],
        head_units: 1,
    }
    .init(&device, 1)
    .unwrap();
    let x = Tensor::<3>::from_data(
        TensorData::new(vec![1.0f32, 2.0, 3.0, 5.0, 0.0, 0.0], [1, 3, 2]),
        &device,
    );
    let mask = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 1.0, 0.0], [1, 3]), &device);
    let Activations::Series(y) = network.layers[0].forward(
        Activations::Series(Series {
            x,
            mask: Some(mask),
        }),
        None,
    ) else {
        panic!("a series stays a series")
    };
    let y = values(y.x);
    // Each real step of two features normalises to ∓1 (up to ε); the padded step stays 0.
    assert!(
        (y[0] + 1.0).abs() < 2e-3 && (y[1] - 1.0).abs() < 2e-3,
        "{y:?}"
    );
    assert_eq!(&y[4..], [0.0, 0.0]);
}
