//! LSTM and GRU against PyTorch (`tests/reference/rnn_reference.py` wrote the fixture), finite
//! differences through recurrent stacks, and masking.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use kiln_model::Sequence;
use kiln_model::recurrent::{CellKind, Recurrent, RecurrentOutput};
use kiln_spec::settings::Recurrent as RecurrentSettings;
use kiln_spec::{LayerSpec, Layers, RecurrentSpec};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::fixture::{assert_close, floats, usize_of, values};
use crate::gradcheck::{BATCH, check_gradients, check_gradients_on_ids};

const FIXTURE: &str = include_str!("../reference/rnn_reference.json");

/// PyTorch's `[rows, cols]` row-major matrix, transposed to kiln's `[cols, rows]`.
fn transposed(values: &[f32], rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    let mut out = vec![0.0; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    Tensor::from_data(TensorData::new(out, [cols, rows]), device)
}

fn build(case: &Value, return_sequences: bool, device: &Device) -> Recurrent {
    let kind = match case["cell"].as_str() {
        Some("lstm") => CellKind::Lstm,
        _ => CellKind::Gru,
    };
    let units = usize_of(case, "units");
    let spec = RecurrentSettings {
        units,
        return_sequences,
        bidirectional: case["bidirectional"].as_bool().expect("a bool"),
        layers: usize_of(case, "layers"),
        dropout: 0.0,
    };
    let inputs = usize_of(case, "inputs");
    let mut rnn = Recurrent::new(
        kind,
        &spec,
        inputs,
        device,
        &mut ChaCha8Rng::seed_from_u64(0),
    );
    let gates = kind.gates() * units;
    let weights = case["weights"].as_array().expect("weights");
    assert_eq!(weights.len(), rnn.cells.len());
    for (k, (cell, w)) in rnn.cells.iter_mut().zip(weights).enumerate() {
        let layer_inputs = if k < spec.directions() {
            inputs
        } else {
            spec.directions() * units
        };
        cell.weight_ih = Param::from_tensor(transposed(
            &floats(&w["weight_ih"]),
            gates,
            layer_inputs,
            device,
        ));
        cell.weight_hh =
            Param::from_tensor(transposed(&floats(&w["weight_hh"]), gates, units, device));
        cell.bias_ih = Param::from_tensor(Tensor::from_data(
            TensorData::new(floats(&w["bias_ih"]), [gates]),
            device,
        ));
        cell.bias_hh = Param::from_tensor(Tensor::from_data(
            TensorData::new(floats(&w["bias_hh"]), [gates]),
            device,
        ));
    }
    rnn
}

/// The case's input as a sequence, with a mask when it has lengths.
fn sequence(case: &Value, x: Tensor<3>, device: &Device) -> Sequence {
    let (batch, time) = (usize_of(case, "batch"), usize_of(case, "time"));
    let mut seq = Sequence::from_tensor(x);
    if case["lengths"].is_array() {
        let lengths = lengths(case);
        seq.mask = Some(
            (0..time)
                .map(|t| {
                    let m: Vec<f32> = (0..batch).map(|b| f32::from(t < lengths[b])).collect();
                    Tensor::from_data(TensorData::new(m, [batch, 1]), device)
                })
                .collect(),
        );
    }
    seq
}

/// Each row's real length (the full time axis when the case has no padding).
fn lengths(case: &Value) -> Vec<usize> {
    let (batch, time) = (usize_of(case, "batch"), usize_of(case, "time"));
    match case["lengths"].as_array() {
        Some(l) => l.iter().map(|x| x.as_u64().unwrap() as usize).collect(),
        None => vec![time; batch],
    }
}

/// The values of `[batch, time, features]` at real steps only: padded positions differ by
/// convention (PyTorch writes zeros, kiln carries the state) and are left out of both sides.
fn real_steps(values: &[f32], case: &Value, features: usize) -> Vec<f32> {
    let time = usize_of(case, "time");
    let lengths = lengths(case);
    assert_eq!(lengths.len(), usize_of(case, "batch"));
    let mut out = Vec::new();
    for (b, &length) in lengths.iter().enumerate() {
        for t in 0..length {
            let at = (b * time + t) * features;
            out.extend_from_slice(&values[at..at + features]);
        }
    }
    out
}

#[test]
fn matches_pytorch() {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture is JSON");
    let cases = fixture["cases"].as_array().expect("cases");
    assert!(cases.len() >= 9);
    let device = Device::flex();
    let ad = device.clone().autodiff();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (batch, time, inputs) = (
            usize_of(case, "batch"),
            usize_of(case, "time"),
            usize_of(case, "inputs"),
        );
        let units = usize_of(case, "units");
        let dirs = if case["bidirectional"].as_bool().unwrap() {
            2
        } else {
            1
        };
        let layers = usize_of(case, "layers");
        let input = floats(&case["input"]);

        // Outputs at every step, with input gradients of sum(output · R).
        let rnn = build(case, true, &ad);
        let x = Tensor::<3>::from_data(TensorData::new(input.clone(), [batch, time, inputs]), &ad)
            .require_grad();
        let RecurrentOutput::Sequence(out) = rnn.forward(sequence(case, x.clone(), &ad), None)
        else {
            panic!("return_sequences gives a sequence")
        };
        let out = out.to_tensor();
        // R, zeroed on padded steps as the reference's loss is.
        let features = dirs * units;
        let mut r_masked = floats(&case["loss_weights"]);
        for (b, &len) in lengths(case).iter().enumerate() {
            for t in len..time {
                let at = (b * time + t) * features;
                r_masked[at..at + features].fill(0.0);
            }
        }
        let r = Tensor::<3>::from_data(TensorData::new(r_masked, [batch, time, features]), &ad);
        let grads = (out.clone() * r).sum().backward();
        let got = values(out.inner());
        assert_close(
            &format!("{name} output"),
            &real_steps(&got, case, dirs * units),
            &real_steps(&floats(&case["output"]), case, dirs * units),
        );
        let grad = values(x.grad(&grads).expect("the input has a gradient"));
        assert_close(
            &format!("{name} input gradient"),
            &grad,
            &floats(&case["input_grad"]),
        );

        // Final states: PyTorch's h_n of the last layer, [fwd, bwd] per row.
        let rnn = build(case, false, &device);
        let x = Tensor::<3>::from_data(TensorData::new(input, [batch, time, inputs]), &device);
        let RecurrentOutput::Final(h) = rnn.forward(sequence(case, x, &device), None) else {
            panic!("return_sequences = false gives the final state")
        };
        let h_n = floats(&case["h_n"]);
        let mut want = Vec::new();
        for b in 0..batch {
            for d in 0..dirs {
                let slot = (layers - 1) * dirs + d;
                let at = (slot * batch + b) * units;
                want.extend_from_slice(&h_n[at..at + units]);
            }
        }
        assert_close(&format!("{name} final state"), &values(h), &want);
    }
}

fn recurrent(
    kind: &str,
    units: usize,
    sequences: bool,
    bidirectional: bool,
    layers: usize,
) -> LayerSpec {
    let spec = RecurrentSpec {
        units,
        return_sequences: sequences,
        bidirectional,
        layers,
        dropout: 0.0,
    };
    if kind == "lstm" {
        LayerSpec::Lstm(spec)
    } else {
        LayerSpec::Gru(spec)
    }
}

#[test]
fn lstm_gradients_agree_with_finite_differences() {
    let layers = [
        recurrent("lstm", 3, true, true, 1),
        recurrent("lstm", 2, false, false, 1),
    ];
    let report = check_gradients(&layers, &[4, 3], 2);
    // Two cells of 4 tensors, one more cell, and the head's weight and bias.
    assert_eq!(
        report.parameters.len(),
        4 * 3 + 2,
        "{:?}",
        report.parameters
    );
}

#[test]
fn gru_gradients_agree_with_finite_differences() {
    let layers = [LayerSpec::Gru(RecurrentSpec {
        units: 3,
        return_sequences: false,
        bidirectional: true,
        layers: 2,
        dropout: 0.4,
    })];
    let report = check_gradients(&layers, &[4, 2], 3);
    assert_eq!(
        report.parameters.len(),
        4 * 4 + 2,
        "{:?}",
        report.parameters
    );
}

#[test]
fn embedding_gradients_agree_with_finite_differences_through_a_masked_lstm() {
    let layers = [
        LayerSpec::Embedding {
            vocab: Some(6),
            dim: 3,
            mask_zero: true,
            init: None,
        },
        recurrent("lstm", 3, false, true, 1),
    ];
    // Right-padded rows of different lengths, one with no padding.
    let ids = vec![
        1.0, 2.0, 3.0, 0.0, 0.0, //
        5.0, 4.0, 3.0, 2.0, 1.0, //
        2.0, 0.0, 0.0, 0.0, 0.0, //
        4.0, 4.0, 1.0, 5.0, 0.0,
    ];
    assert_eq!(ids.len(), BATCH * 5);
    let report = check_gradients_on_ids(&layers, &[5], 2, ids);
    assert_eq!(
        report.parameters.len(),
        1 + 2 * 4 + 2,
        "{:?}",
        report.parameters
    );
}

/// A right-padded sequence's final state is the state after its last real token: the same as
/// running the unpadded sequence (and padding never changes the result).
#[test]
fn masking_takes_the_state_at_the_last_real_token() {
    let device = Device::flex();
    for kind in ["lstm", "gru"] {
        for bidirectional in [false, true] {
            let config = kiln_model::NetworkConfig {
                layers: Layers::check(vec![
                    LayerSpec::Embedding {
                        vocab: Some(7),
                        dim: 4,
                        mask_zero: true,
                        init: None,
                    },
                    recurrent(kind, 5, false, bidirectional, 2),
                ])
                .unwrap(),
                input_shape: vec![6],
                head_units: 3,
            };
            let padded = config.init(&device, 3).unwrap();
            let short = kiln_model::NetworkConfig {
                input_shape: vec![3],
                ..config.clone()
            };
            let short = kiln_model::weights::from_bytes(
                &short,
                &kiln_model::weights::to_bytes(&padded).unwrap(),
                &device,
            )
            .unwrap();
            let ids =
                |v: Vec<f32>, t: usize| Tensor::<2>::from_data(TensorData::new(v, [2, t]), &device);
            let a =
                padded.forward_flat(ids(vec![3., 1., 6., 0., 0., 0., 2., 5., 4., 0., 0., 0.], 6));
            let b = short.forward_flat(ids(vec![3., 1., 6., 2., 5., 4.], 3));
            let (a, b) = (values(a), values(b));
            let worst = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(
                worst < 1e-6,
                "{kind} bidirectional={bidirectional}: {a:?} vs {b:?}"
            );
            // Without the mask the padding would change the result.
            let unmasked = kiln_model::NetworkConfig {
                layers: Layers::check(vec![
                    LayerSpec::Embedding {
                        vocab: Some(7),
                        dim: 4,
                        mask_zero: false,
                        init: None,
                    },
                    recurrent(kind, 5, false, bidirectional, 2),
                ])
                .unwrap(),
                ..config.clone()
            };
            let unmasked = kiln_model::weights::from_bytes(
                &unmasked,
                &kiln_model::weights::to_bytes(&padded).unwrap(),
                &device,
            )
            .unwrap();
            let c = values(
                unmasked.forward_flat(ids(vec![3., 1., 6., 0., 0., 0., 2., 5., 4., 0., 0., 0.], 6)),
            );
            let diff = c
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(diff > 1e-3, "{kind}: padding made no difference unmasked");
        }
    }
}
