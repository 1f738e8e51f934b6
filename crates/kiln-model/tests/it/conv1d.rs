//! `conv1d`, `max_pool1d` and global pooling over time against PyTorch
//! (`tests/reference/conv1d_reference.py` wrote the fixture), finite differences through text
//! CNN stacks, and masking: padding never changes a row's result.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use kiln_model::Series;
use kiln_model::{Activations, Layer, NetworkConfig};
use kiln_spec::{Activation, LayerSpec, Layers};
use serde_json::Value;

use crate::fixture::{assert_close, floats, usize_of, values};
use crate::gradcheck::{BATCH, check_gradients, check_gradients_on_ids};

const FIXTURE: &str = include_str!("../reference/conv1d_reference.json");

fn conv1d(filters: usize, kernel: usize, stride: usize, padding: &str) -> LayerSpec {
    LayerSpec::Conv1d {
        filters,
        kernel,
        stride,
        padding: Some(padding.to_string()),
        activation: Some(Activation::Relu),
    }
}

fn global(kind: &str) -> LayerSpec {
    if kind == "max" {
        LayerSpec::GlobalMaxPool1d {}
    } else {
        LayerSpec::GlobalAvgPool1d {}
    }
}

#[test]
fn matches_pytorch() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 7);
    let device = Device::flex().autodiff();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (batch, time, features, filters, kernel) = (
            usize_of(case, "batch"),
            usize_of(case, "time"),
            usize_of(case, "features"),
            usize_of(case, "filters"),
            usize_of(case, "kernel"),
        );
        let mut layers = vec![conv1d(
            filters,
            kernel,
            usize_of(case, "stride"),
            case["padding"].as_str().unwrap(),
        )];
        if let Some(size) = case["pool"].as_u64() {
            layers.push(LayerSpec::MaxPool1d {
                size: size as usize,
                stride: None,
            });
        }
        layers.push(global(case["global"].as_str().unwrap()));
        let mut network = NetworkConfig {
            layers: Layers::check(layers).unwrap(),
            input_shape: vec![time, features],
            head_units: 1,
        }
        .init(&device, 3)
        .expect("the stack fits");
        let Layer::Conv1d(conv) = &mut network.layers[0] else {
            panic!("the first layer is conv1d")
        };
        conv.conv.weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(floats(&case["weight"]), [filters, features, kernel]),
            &device,
        ));
        conv.conv.bias = Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(floats(&case["bias"]), [filters]),
            &device,
        )));

        let x = Tensor::<3>::from_data(
            TensorData::new(floats(&case["input"]), [batch, time, features]),
            &device,
        )
        .require_grad();
        let mask = case["lengths"].as_array().map(|lengths| {
            let m: Vec<f32> = lengths
                .iter()
                .flat_map(|n| {
                    let n = n.as_u64().unwrap() as usize;
                    (0..time).map(move |t| f32::from(t < n))
                })
                .collect();
            Tensor::<2>::from_data(TensorData::new(m, [batch, time]), &device)
        });
        let body = &network.layers[..network.layers.len() - 1];
        let mut acts = Activations::Series(Series { x: x.clone(), mask });
        for (i, layer) in body.iter().enumerate() {
            acts = layer.forward(acts, None);
            if i == 0 {
                let Activations::Series(s) = &acts else {
                    panic!("conv1d gives a series")
                };
                let steps = usize_of(case, "conv_steps");
                assert_eq!(s.x.dims(), [batch, steps, filters], "{name} conv shape");
                assert_close(
                    &format!("{name} conv output"),
                    &values(s.x.clone().inner()),
                    &floats(&case["conv"]),
                );
            }
        }
        let Activations::Vector(pooled) = acts else {
            panic!("global pooling gives vectors")
        };
        let r = Tensor::<2>::from_data(
            TensorData::new(floats(&case["r"]), [batch, filters]),
            &device,
        );
        let grads = (pooled.clone() * r).sum().backward();
        assert_close(
            &format!("{name} pooled"),
            &values(pooled.inner()),
            &floats(&case["pooled"]),
        );
        assert_close(
            &format!("{name} input gradient"),
            &values(x.grad(&grads).expect("the input has a gradient")),
            &floats(&case["input_grad"]),
        );
    }
}

#[test]
fn conv1d_and_pooling_gradients_agree_with_finite_differences() {
    let layers = [
        conv1d(4, 3, 1, "same"),
        LayerSpec::MaxPool1d {
            size: 2,
            stride: None,
        },
        LayerSpec::Conv1d {
            filters: 3,
            kernel: 2,
            stride: 2,
            padding: None,
            activation: Some(Activation::Tanh),
        },
        LayerSpec::GlobalMaxPool1d {},
    ];
    let report = check_gradients(&layers, &[8, 3], 2);
    // Two convolutions (weight and bias) and the head's weight and bias.
    assert_eq!(report.parameters.len(), 6, "{:?}", report.parameters);

    let layers = [conv1d(5, 2, 1, "valid"), LayerSpec::GlobalAvgPool1d {}];
    check_gradients(&layers, &[6, 2], 3);
}

/// Rows of different lengths, one longer than the others and none shorter than the text CNN's
/// receptive field.
const ROWS: [&[f32]; BATCH] = [
    &[1.0, 2.0, 3.0],
    &[5.0, 4.0, 3.0, 2.0, 1.0, 6.0],
    &[2.0, 6.0, 6.0],
    &[4.0, 4.0, 1.0, 5.0],
];

/// `ROWS`, right-padded with id 0 to `time` steps.
fn padded_ids(time: usize) -> Vec<f32> {
    let mut ids = Vec::new();
    for row in ROWS {
        assert!(row.len() <= time);
        ids.extend_from_slice(row);
        ids.extend(std::iter::repeat_n(0.0, time - row.len()));
    }
    ids
}

fn text_cnn(kind: &str, mask_zero: bool) -> Vec<LayerSpec> {
    vec![
        LayerSpec::Embedding {
            vocab: Some(7),
            dim: 3,
            mask_zero,
            init: None,
        },
        conv1d(4, 3, 1, "same"),
        LayerSpec::MaxPool1d {
            size: 2,
            stride: Some(1),
        },
        conv1d(3, 2, 1, "valid"),
        global(kind),
    ]
}

#[test]
fn masked_text_cnn_gradients_agree_with_finite_differences() {
    for kind in ["max", "avg"] {
        let report = check_gradients_on_ids(&text_cnn(kind, true), &[8], 2, padded_ids(8));
        // The embedding, two convolutions and the head.
        assert_eq!(
            report.parameters.len(),
            1 + 4 + 2,
            "{:?}",
            report.parameters
        );
    }
}

/// With `mask_zero`, a right-padded row gives exactly what the row gives on its own, unpadded
/// (a batch without id 0 has no mask). Without the mask the padding leaks in, so the test can
/// tell.
#[test]
fn a_padded_row_gives_what_it_gives_unpadded() {
    let device = Device::flex();
    let run = |layers: &[LayerSpec], ids: Vec<f32>, rows: usize, time: usize| -> Vec<f32> {
        let network = NetworkConfig {
            layers: Layers::check(layers.to_vec()).unwrap(),
            input_shape: vec![time],
            head_units: 3,
        }
        .init(&device, 11)
        .expect("the stack fits");
        let x = Tensor::<2>::from_data(TensorData::new(ids, [rows, time]), &device);
        values(network.forward_flat(x))
    };
    for kind in ["max", "avg"] {
        for mask_zero in [true, false] {
            let layers = text_cnn(kind, mask_zero);
            let padded = run(&layers, padded_ids(11), BATCH, 11);
            let mut worst = 0.0f32;
            for (row, ids) in ROWS.iter().enumerate() {
                let alone = run(&layers, ids.to_vec(), 1, ids.len());
                for (a, b) in alone.iter().zip(&padded[row * 3..row * 3 + 3]) {
                    worst = worst.max((a - b).abs());
                }
            }
            if mask_zero {
                assert!(
                    worst < 1e-5,
                    "{kind}: padding changed the outputs by {worst:e}"
                );
            } else {
                assert!(
                    worst > 1e-3,
                    "{kind}: without the mask, padding should change the outputs"
                );
            }
        }
    }
}
