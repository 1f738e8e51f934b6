//! `weights::to_bytes` → `weights::from_bytes` restores a network exactly.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use kiln_model::{Network, NetworkConfig, weights};
use kiln_spec::{Activation, LayerSpec, Layers};

use crate::gradcheck::{SplitMix64, kink_free_values};

const ROWS: usize = 5;

fn config() -> NetworkConfig {
    NetworkConfig {
        layers: Layers::check(vec![
            LayerSpec::Conv2d {
                filters: 3,
                kernel: 3,
                stride: 1,
                padding: Some("same".into()),
                activation: Some(Activation::Relu),
            },
            LayerSpec::BatchNorm {
                momentum: None,
                epsilon: None,
            },
            LayerSpec::MaxPool2d {
                size: 2,
                stride: None,
            },
            LayerSpec::Flatten {},
            LayerSpec::Dense {
                units: 6,
                activation: Some(Activation::Gelu),
                bias: true,
                bayesian: None,
            },
            LayerSpec::BatchNorm {
                momentum: Some(0.5),
                epsilon: None,
            },
            LayerSpec::Dropout { rate: 0.3 },
        ])
        .unwrap(),
        input_shape: vec![2, 4, 4],
        head_units: 3,
    }
}

fn batch(device: &Device) -> Tensor<2> {
    let features = 2 * 4 * 4;
    let values = kink_free_values(ROWS * features, &mut SplitMix64(11));
    Tensor::from_data(TensorData::new(values, [ROWS, features]), device)
}

fn outputs(network: &Network) -> Vec<f32> {
    network
        .forward_flat(batch(&Device::flex()))
        .into_data()
        .try_into_vec()
        .expect("f32")
}

/// A network mid-training: built on the autodiff device, with batch norm's running statistics
/// moved off their initial values by a few training-mode forward passes.
fn trained() -> Network {
    let device = Device::flex().autodiff();
    let network = config().init(&device, 1).expect("the stack fits");
    for step in 0..3 {
        let _ = network.forward_train(batch(&device), step);
    }
    network
}

#[test]
fn round_trip_gives_identical_outputs() {
    // What the trainer hands back: the trained network's validation snapshot.
    let network = trained().valid();
    let bytes = weights::to_bytes(&network).expect("serialises");
    let loaded = weights::from_bytes(&config(), &bytes, &Device::flex()).expect("loads");

    let expected = outputs(&network);
    assert_eq!(outputs(&loaded), expected);
    // Serialising the loaded network again changes nothing.
    let again = weights::to_bytes(&loaded).expect("serialises");
    let reloaded = weights::from_bytes(&config(), &again, &Device::flex()).expect("loads");
    assert_eq!(outputs(&reloaded), expected);

    // The running statistics travel with the weights: the same weights (same seed) with the
    // initial statistics give other outputs.
    let untrained = config()
        .init(&Device::flex().autodiff(), 1)
        .expect("the stack fits");
    assert_ne!(outputs(&untrained.valid()), expected);
}

#[test]
fn round_trip_straight_after_a_training_step() {
    // The trainer snapshots the autodiff network itself for "best" weights and checkpoints.
    // Burn's `RunningState` keeps a step's update pending until something syncs it (`valid`
    // does; the store's visit does not), so these bytes miss the last step's statistics.
    let network = trained();
    let bytes = weights::to_bytes(&network).expect("serialises");
    let loaded = weights::from_bytes(&config(), &bytes, &Device::flex()).expect("loads");
    assert_eq!(outputs(&loaded), outputs(&network.valid()));
}

#[test]
fn from_bytes_rejects_another_structure() {
    let bytes = weights::to_bytes(&trained().valid()).expect("serialises");
    let mut other = config();
    other.head_units = 4;
    assert!(weights::from_bytes(&other, &bytes, &Device::flex()).is_err());
    // Without the last batch norm (and the dropout, which has no tensors).
    other = config();
    let kept = other.layers.written()[..other.layers.len() - 2].to_vec();
    other.layers = Layers::check(kept).unwrap();
    assert!(weights::from_bytes(&other, &bytes, &Device::flex()).is_err());
    assert!(weights::from_bytes(&config(), b"not burnpack", &Device::flex()).is_err());
}
