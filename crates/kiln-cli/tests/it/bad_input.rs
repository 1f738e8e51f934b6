//! Bad input: each must fail with a message that names the problem, never a panic.

use crate::util::{COLORS_CSV, Dir, colors_spec};

#[test]
fn malformed_toml_names_line_and_column() {
    let dir = Dir::new();
    dir.write("bad.toml", "name = \"x\"\n[data\nsource = \"moons\"\n");
    dir.kiln(&["train", "bad.toml"])
        .fails_with(&["bad.toml:2:6:", "`]`"]);
}

#[test]
fn unknown_layer_type_is_named_with_the_choices() {
    let dir = Dir::new();
    let spec = String::from_utf8(
        dir.kiln(&["init", "--example", "moons-mlp"])
            .success()
            .stdout
            .clone()
            .into_bytes(),
    )
    .unwrap()
    .replacen("type = \"dense\"", "type = \"dense2\"", 1);
    dir.write("s.toml", spec);
    dir.kiln(&["train", "s.toml"]).fails_with(&[
        "s.toml:",
        "unknown layer type `dense2`",
        "flatten",
    ]);
}

#[test]
fn convolution_on_tabular_input_is_a_shape_error() {
    // Dense after conv without flatten needs labelled image data, which only MNIST provides;
    // a conv2d on tabular input takes the same shape check before any weight is allocated.
    let dir = Dir::new();
    dir.write("colors.csv", COLORS_CSV);
    let spec = colors_spec("colors.csv").replace(
        "type = \"dense\"\nunits = 4",
        "type = \"conv2d\"\nfilters = 4\nkernel = 3",
    );
    assert!(spec.contains("conv2d"));
    dir.write("s.toml", spec);
    dir.kiln(&["train", "s.toml"]).fails_with(&[
        "layers[0]",
        "conv2d",
        "[channels, height, width]",
        "[5]",
    ]);
}

#[test]
fn ragged_csv_row_names_the_line() {
    let dir = Dir::new();
    dir.write("colors.csv", "x,color,label\n1,red,a\n2,blue\n3,red,a\n");
    dir.write("colors.toml", colors_spec("colors.csv"));
    dir.kiln(&["train", "colors.toml"])
        .fails_with(&["colors.csv:3:", "expected 3 fields, found 2"]);
}

#[test]
fn missing_data_file_is_named() {
    let dir = Dir::new();
    dir.write("colors.toml", colors_spec("nowhere.csv"));
    dir.kiln(&["train", "colors.toml"])
        .fails_with(&["nowhere.csv"]);
}

#[test]
fn truncated_model_file() {
    let dir = Dir::new();
    dir.trained_moons();
    let bytes = dir.read("moons.kiln");
    dir.write("half.kiln", &bytes[..bytes.len() / 2]);
    for command in ["evaluate", "inspect"] {
        dir.kiln(&[command, "half.kiln"])
            .fails_with(&["half.kiln", "truncated"]);
    }
    dir.write("x.csv", "x0,x1\n0,0\n");
    dir.kiln(&["predict", "half.kiln", "x.csv"])
        .fails_with(&["truncated"]);
}

#[test]
fn foreign_file_as_model() {
    let dir = Dir::new();
    dir.write("model.kiln", COLORS_CSV);
    dir.kiln(&["inspect", "model.kiln"])
        .fails_with(&["not a kiln model file"]);
    dir.kiln(&["evaluate", "model.kiln"])
        .fails_with(&["not a kiln model file"]);
    dir.kiln(&["inspect", "absent.kiln"])
        .fails_with(&["absent.kiln"]);
}

#[test]
fn predict_input_missing_a_feature_names_it() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.write("only_x0.csv", "x0\n1\n2\n");
    dir.kiln(&["predict", "moons.kiln", "only_x0.csv"])
        .fails_with(&["only_x0.csv", "`x1`"]);
}

#[test]
fn predict_output_format_must_be_known() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.write("x.csv", "x0,x1\n0,0\n");
    dir.kiln(&["predict", "moons.kiln", "x.csv", "-o", "out.txt"])
        .fails_with(&["out.txt", "--format"]);
}

#[test]
fn unknown_example_lists_the_names() {
    Dir::new()
        .kiln(&["init", "--example", "nope"])
        .fails_with(&["no example named `nope`", "mnist-mlp", "moons-mlp"]);
}

#[test]
fn resume_without_a_checkpoint() {
    let dir = Dir::new();
    dir.kiln(&["init", "--example", "moons-mlp", "-o", "moons.toml"])
        .success();
    dir.kiln(&["train", "moons.toml", "--resume"])
        .fails_with(&["--resume", "moons.kiln.ckpt"]);
}

#[test]
fn unknown_dataset_lists_the_builtins() {
    let dir = Dir::new();
    dir.kiln(&["datasets", "fetch", "nope"])
        .fails_with(&["nope", "mnist"]);
}
