//! Failures that must be errors with a message, before or during training.

use super::*;
use kiln::data::{Column, ColumnData, ImageData, Table};
use kiln::spec::Activation::Relu;

fn tiny_images() -> Table {
    let n = 20;
    let pixels = (0..n * 8 * 8).map(|i| (i * 37 % 251) as u8).collect();
    Table::new(vec![
        Column {
            name: "image".into(),
            data: ColumnData::Image(ImageData {
                height: 8,
                width: 8,
                channels: 1,
                pixels,
            }),
        },
        Column {
            name: "label".into(),
            data: ColumnData::Number((0..n).map(|i| (i % 2) as f64).collect()),
        },
    ])
    .expect("table")
}

#[test]
fn dense_after_conv_without_flatten_is_refused_before_training() {
    let err = kiln::Sequential::new()
        .conv2d(4, 3, Relu)
        .dense(8, Relu)
        .fit(&tiny_images(), "label", kiln::Fit::epochs(1))
        .expect_err("must be refused")
        .to_string();
    assert!(err.contains("flatten"), "{err}");
}

#[test]
fn diverging_loss_names_epoch_and_step() {
    let work = Work::new();
    let spec = example("moons-mlp")
        .replace("type = \"category\"", "type = \"number\"")
        .replace("stratify = true", "stratify = false")
        .replace(
            "type = \"adam\"\nlearning_rate = 0.003",
            "type = \"sgd\"\nlearning_rate = 1e12",
        );
    let spec = work.write("moons.toml", &spec);
    let mut request = TrainRequest::new(&spec, work.path("m.kiln"), Cache::new(work.path("cache")));
    request.checkpoint = false;
    let err = kiln::train_spec(&request, |_| {})
        .expect_err("must diverge")
        .to_string();
    assert!(err.contains("epoch 1, step"), "{err}");
    assert!(err.contains("NaN") || err.contains("inf"), "{err}");
    assert!(
        !work.path("m.kiln").exists(),
        "no model file from a failed run"
    );
}
