//! Integration tests of kiln-train: the epoch loop on a small network.

use std::sync::Arc;

use burn::tensor::Device;
use kiln_data::{Encoded, Targets};
use kiln_model::{NetworkConfig, weights};
use kiln_spec::parse_spec;
use kiln_train::{Task, TrainData, TrainEvent, TrainOptions, TrainState, train};

/// A 2-input, 3-class problem: the class is which of three sectors the point falls in.
fn data() -> TrainData {
    let n = 240;
    let mut xs = Vec::with_capacity(n * 2);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        let angle = i as f32 * 2.399_963; // golden angle: points spread evenly
        let r = 0.2 + (i % 17) as f32 / 17.0;
        xs.extend([r * angle.cos(), r * angle.sin()]);
        let sector =
            (angle.rem_euclid(std::f32::consts::TAU) / (std::f32::consts::TAU / 3.0)) as i64;
        ys.push(sector.min(2));
    }
    TrainData {
        inputs: Arc::new(Encoded {
            data: xs,
            rows: n,
            row_shape: vec![2],
        }),
        targets: Arc::new(Targets::Classes(ys)),
        train: (0..200).collect(),
        validation: (200..n).collect(),
    }
}

const SPEC: &str = r#"
[data]
source = "x.csv"
[[input]]
name = "a"
type = "number"
[output]
name = "y"
type = "category"
[[layers]]
type = "dense"
units = 8
activation = "tanh"
[[layers]]
type = "dropout"
rate = 0.2
[training]
epochs = 6
batch_size = 16
seed = 11
[training.optimizer]
type = "adam"
learning_rate = 0.01
"#;

/// Training for 6 epochs straight gives the same weights, bit for bit, as training 3, keeping
/// the checkpoint state, and resuming from it to 6: optimiser moments, the batch order and
/// the dropout masks all continue where they stopped.
#[test]
fn resumed_training_equals_uninterrupted_training() {
    let spec = parse_spec(SPEC, "spec.toml").expect("spec");
    let config = NetworkConfig {
        layers: spec.layers.clone(),
        input_shape: vec![2],
        head_units: 3,
    };
    let task = Task::Classification { classes: 3 };
    let device = Device::flex();
    let data = data();
    let options = |epochs, resume| TrainOptions {
        cancel: None,
        resume,
        epochs: Some(epochs),
        observer: None,
    };

    let straight = train(
        &config,
        task,
        &spec.training,
        &data,
        &device,
        options(6, None),
        |_| {},
    )
    .expect("straight run");

    let mut state: Option<TrainState> = None;
    let first = train(
        &config,
        task,
        &spec.training,
        &data,
        &device,
        options(3, None),
        |e| {
            if let TrainEvent::Checkpoint(s) = e {
                state = Some(s.clone());
            }
        },
    )
    .expect("first half");
    let state = state.expect("a checkpoint after each epoch");
    assert_eq!(state.epochs_done, 3);
    assert_eq!(first.history.len(), 3);
    let mut ran = Vec::new();
    let resumed = train(
        &config,
        task,
        &spec.training,
        &data,
        &device,
        options(6, Some(state)),
        |e| {
            if let TrainEvent::EpochStart { epoch } = e {
                ran.push(epoch);
            }
        },
    )
    .expect("resumed run");
    assert_eq!(
        ran,
        [4, 5, 6],
        "the resumed run starts after the checkpoint's epoch"
    );

    assert_eq!(resumed.history.len(), 6, "the history continues");
    assert_eq!(
        weights::values(&resumed.network),
        weights::values(&straight.network),
        "resumed weights differ from the uninterrupted run's"
    );
    for (a, b) in resumed.history.iter().zip(&straight.history) {
        assert_eq!((a.epoch, a.loss, a.val_loss), (b.epoch, b.loss, b.val_loss));
    }
    // The check can fail: three epochs fewer give other weights.
    assert_ne!(
        weights::values(&first.network),
        weights::values(&straight.network)
    );
}
