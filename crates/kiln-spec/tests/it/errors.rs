//! Every kind of mistake, with the message a user reads.

use kiln_spec::{FeatureKind, LayerSpec, SequenceLength, SpecError, infer_shapes, parse_spec_file};

use crate::{BASE, check, parse_ok};

#[test]
fn malformed_toml_has_line_and_column() {
    check("[data]\nsource = \"mnist\n", "spec.toml:2:");
    let err = check(&format!("{BASE}[[layers]\n"), "spec.toml:9:");
    assert!(matches!(err, SpecError::Syntax { line: 9, .. }), "{err:?}");
    check(
        "[data]\nsource = \"a\"\nsource = \"b\"\n",
        "spec.toml:3:1: ",
    );
}

#[test]
fn messages_point_at_the_offending_key_or_value() {
    // (appended text, full message). BASE is 8 lines, so the appended text starts at line 9.
    let cases = [
        (
            "[[layers]]\ntype = \"dense\"\nunits = 3\n\n[[layers]]\ntype = \"dense2\"\n",
            "spec.toml:14:8: unknown layer type `dense2` in layers[1]; expected one of: dense, \
             conv2d, max_pool2d, avg_pool2d, conv1d, max_pool1d, global_max_pool1d, \
             global_avg_pool1d, flatten, dropout, batch_norm, layer_norm, activation, embedding, lstm, \
             gru",
        ),
        (
            "[[layers]]\ntype = \"dense\"\nunits = \"x\"\n",
            "spec.toml:11:9: wrong type for layers[0].units: found string \"x\"; expected a \
             non-negative integer",
        ),
        (
            "[[layers]]\ntype = \"dense\"\nunits = 3\nunit = 4\n",
            "spec.toml:12:1: unknown key `unit` in layers[0]; expected one of: type, units, \
             activation, bias",
        ),
        (
            "[[layers]]\ntype = \"dense\"\nunits = 3\nactivation = \"relux\"\n",
            "spec.toml:12:14: unknown activation `relux` in layers[0]; expected one of: relu, \
             tanh, sigmoid, leaky_relu, gelu, elu, linear, softmax",
        ),
        (
            "[[layers]]\ntype = \"dense\"\n",
            "spec.toml:9:1: missing key `units` in layers[0]",
        ),
        (
            "[[layers]]\ntype = \"layer_norm\"\nepsilon = 0\n",
            "spec.toml:11:11: layers[0].epsilon = 0 must be a finite number greater than 0",
        ),
        (
            "[[layers]]\ntype = \"layer_norm\"\nmomentum = 0.9\n",
            "spec.toml:11:1: unknown key `momentum` in layers[0]; expected one of: type, epsilon",
        ),
        (
            "[[layers]]\ntype = \"dropout\"\nrate = 1.5\n",
            "spec.toml:11:8: layers[0].rate = 1.5 is out of range; expected a number in [0, 1)",
        ),
        (
            "[training]\nbatch_size = -1\n",
            "spec.toml:10:14: invalid value for training.batch_size: integer `-1`; expected a \
             non-negative integer",
        ),
        (
            "[training]\nbatch_size = 0\n",
            "spec.toml:10:14: training.batch_size must be greater than 0",
        ),
        (
            "[training.optimizer]\ntype = \"adamw\"\n",
            "spec.toml:10:8: unknown optimizer `adamw` in training.optimizer; expected one of: \
             sgd, adam, rmsprop",
        ),
        (
            "[training.optimizer]\ntype = \"adam\"\nlr = 0.1\n",
            "spec.toml:11:1: unknown key `lr` in training.optimizer; expected one of: type, \
             learning_rate, beta1, beta2, epsilon",
        ),
        (
            "[training.optimizer]\ntype = \"sgd\"\nlearning_rate = -0.1\n",
            "spec.toml:11:17: training.optimizer.learning_rate = -0.1 must be a finite number \
             greater than 0; expected a number > 0",
        ),
        (
            "[training.early_stopping]\nmonitor = \"val_acc\"\n",
            "spec.toml:10:11: unknown metric `val_acc` for training.early_stopping.monitor; \
             expected one of: val_loss, val_accuracy, val_mae, loss, accuracy, mae",
        ),
        (
            "[[layers]]\ntype = \"conv2d\"\nfilters = 8\nkernel = 3\npadding = \"full\"\n",
            "spec.toml:13:11: unknown padding `full` for layers[0].padding; expected one of: \
             valid, same",
        ),
        (
            "[[layers]]\ntype = \"flatten\"\nunits = 3\n",
            "spec.toml:11:1: unknown key `units` in layers[0]; expected one of: type",
        ),
    ];
    for (appended, expected) in cases {
        check(&format!("{BASE}{appended}"), expected);
    }
    // Inline tables: serde points at the whole array; the key is found inside it.
    check(
        &format!(
            "layers = [{{ type = \"dense\", units = 3 }}, {{ type = \"dense\", units = 3, bad = 2 }}]\n{BASE}"
        ),
        "spec.toml:1:71: unknown key `bad` in layers[1]; expected one of: type, units, activation, bias",
    );
}

#[test]
fn invalid_errors_carry_field_and_allowed_values() {
    let err = check(
        &format!("{BASE}[[layers]]\ntype = \"dense\"\nunits = 3\n[[layers]]\ntype = \"dense2\"\n"),
        "unknown layer type",
    );
    let SpecError::Invalid {
        line,
        column,
        field,
        allowed,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!((line, column), (13, 8));
    assert_eq!(field, "layers[1].type");
    assert_eq!(*allowed, *LayerSpec::TYPES);
}

#[test]
fn features_and_data_are_checked() {
    let cases = [
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n\
             [[input]]\nname = \"a\"\ntype = \"number\"\n[output]\nname = \"b\"\ntype = \"number\"\n",
            "spec.toml:7:8: input `a` is declared twice (input[0] and input[1])",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n\
             [output]\nname = \"a\"\ntype = \"number\"\n",
            "spec.toml:7:8: output `a` is also an input",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n\
             transform = \"scale\"\n[output]\nname = \"b\"\ntype = \"number\"\n",
            "spec.toml:6:13: unknown transform for a number input `scale` for input[0].transform; \
             expected one of: standardize, minmax, none",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n\
             missing = \"constant\"\n[output]\nname = \"b\"\ntype = \"number\"\n",
            "spec.toml:6:11: input[0].missing = \"constant\" needs a fill value",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n\
             [output]\nname = \"b\"\ntype = \"category\"\ntransform = \"standardize\"\n",
            "spec.toml:9:13: output.transform `standardize` only applies to number outputs",
        ),
        (
            "input = []\n[data]\nsource = \"x.csv\"\n[output]\nname = \"b\"\ntype = \"number\"\n",
            "spec.toml:1:9: the spec has no inputs",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[data.split]\nvalidation = 0.5\ntest = 0.5\n\
             [[input]]\nname = \"a\"\ntype = \"number\"\n[output]\nname = \"b\"\ntype = \"number\"\n",
            "spec.toml:5:8: data.split.validation + data.split.test = 1 leaves no training rows",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"numeric\"\n",
            "spec.toml:5:8: unknown input type `numeric` in input[0]; expected one of: number, \
             binary, category, image, text",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n",
            "spec.toml: missing section `[output]`",
        ),
    ];
    for (text, expected) in cases {
        check(text, expected);
    }
}

#[test]
fn a_conflict_with_a_default_points_at_the_enclosing_table() {
    // validation 0.9 + the default test 0.2: the offending `test` is not in the text.
    let err = check(
        &format!("{BASE}[data.split]\nvalidation = 0.9\n"),
        "spec.toml:9:1: data.split.validation + data.split.test = 1.1 leaves no training rows",
    );
    assert!(matches!(err, SpecError::Invalid { .. }), "{err:?}");
}

#[test]
fn a_separate_test_source_ignores_split_test() {
    let spec = parse_ok(&BASE.replace(
        "source = \"mnist\"\n",
        "source = \"mnist\"\ntest = \"mnist:test\"\n[data.split]\nvalidation = 0.9\n",
    ));
    assert_eq!(spec.data.split.validation, 0.9);
}

#[test]
fn validate_reports_specs_built_in_code() {
    let mut spec = parse_ok(BASE);
    spec.layers.push(LayerSpec::Dropout { rate: 1.5 });
    let err = spec.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers[0].rate = 1.5 is out of range; expected a number in [0, 1)"
    );
}

#[test]
fn shape_errors_name_the_layer() {
    let spec = parse_ok(&format!(
        "{BASE}[[layers]]\ntype = \"conv2d\"\nfilters = 32\nkernel = 3\n\
         [[layers]]\ntype = \"max_pool2d\"\nsize = 2\n\
         [[layers]]\ntype = \"dense\"\nunits = 10\n"
    ));
    let err = infer_shapes(&spec.layers, &[1, 28, 28], 10).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers[2] (dense 10): dense after max_pool2d output [32, 13, 13] needs a flatten layer first"
    );
    assert!(matches!(err, SpecError::Shape { layer: 2, .. }));

    let spec = parse_ok(&format!(
        "{BASE}[[layers]]\ntype = \"conv2d\"\nfilters = 8\nkernel = 7\nactivation = \"relu\"\n"
    ));
    let err = infer_shapes(&spec.layers, &[1, 5, 5], 10).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layers[0] (conv2d 8 7×7 relu): kernel 7×7 is larger than its 5×5 input; use a smaller \
         kernel or padding = \"same\""
    );
}

#[test]
fn files_are_read_and_named_in_messages() {
    let dir = std::env::temp_dir().join(format!("kiln-spec-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, format!("{BASE}[training]\nepochs = \"ten\"\n")).unwrap();
    let message = parse_spec_file(&path).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("{}:10:10: ", path.display())),
        "{message}"
    );

    let err = parse_spec_file(dir.join("absent.toml")).unwrap_err();
    assert!(matches!(err, SpecError::Io { .. }), "{err:?}");
    assert!(err.to_string().starts_with("cannot read spec "), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[derive(serde::Deserialize)]
struct Holder {
    length: SequenceLength,
}

/// A text input over column `t` with extra `keys`, predicting `y`, through `layers`.
fn text_spec(keys: &str, layers: &str) -> String {
    format!(
        "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"t\"\ntype = \"text\"\n{keys}\
         [output]\nname = \"y\"\ntype = \"binary\"\n{layers}"
    )
}

#[test]
fn text_settings_are_checked() {
    let dense = "[[layers]]\ntype = \"dense\"\nunits = 4\n";
    let spec = parse_ok(&text_spec(
        "tokenizer = \"word\"\nmax_tokens = 100\nmin_frequency = 2\nlowercase = false\n\
         strip_html = true\nstrip_punctuation = false\noov_token = \"<?>\"\n\
         encoding = \"multi_hot\"\nutf8 = \"reject\"\n",
        dense,
    ));
    let t = &spec.inputs[0];
    assert_eq!(t.kind, FeatureKind::Text);
    assert_eq!((t.max_tokens, t.min_frequency), (Some(100), Some(2)));
    assert_eq!(t.oov_token.as_deref(), Some("<?>"));
    // A sequence input must feed an `embedding` layer (a layer type of the recurrent-models
    // work); its value parses on its own.
    let err = check(
        &text_spec(
            "tokenizer = \"char\"\nunit = \"byte\"\nencoding = \"sequence\"\nlength = \"auto\"\n",
            "",
        ),
        "the first layer must be an `embedding`, found no layers",
    );
    // No `[[layers]]` in the text: the error has no location but names the field.
    assert!(
        matches!(err, SpecError::Check { ref field, .. } if field == "layers"),
        "{err:?}"
    );
    let with_length = |length: &str| {
        let mut spec = parse_ok(&text_spec("", dense));
        spec.inputs[0].length = toml::from_str::<Holder>(&format!("length = {length}"))
            .map(|h| h.length)
            .ok();
        spec.inputs[0].length
    };
    assert_eq!(with_length("\"auto\""), Some(SequenceLength::Auto));
    assert_eq!(with_length("64"), Some(SequenceLength::Fixed(64)));
    assert_eq!(with_length("-1"), None);

    let cases = [
        (
            text_spec("tokenizer = \"sentence\"\n", dense),
            "spec.toml:6:13: unknown tokenizer `sentence` for input[0].tokenizer; expected one of: word, char",
        ),
        (
            text_spec("unit = \"byte\"\n", dense),
            "spec.toml:6:8: input[0].unit is only used by the char tokenizer",
        ),
        (
            text_spec("tokenizer = \"char\"\nstrip_punctuation = true\n", dense),
            "spec.toml:7:21: input[0].strip_punctuation is only used by the word tokenizer",
        ),
        (
            text_spec("tokenizer = \"char\"\nunit = \"nibble\"\n", dense),
            "unknown unit `nibble` for input[0].unit; expected one of: unicode, byte",
        ),
        (
            text_spec(
                "tokenizer = \"char\"\nunit = \"byte\"\nutf8 = \"reject\"\n",
                dense,
            ),
            "input[0].utf8 has no effect with unit = \"byte\"",
        ),
        (
            text_spec("encoding = \"onehot\"\n", dense),
            "unknown text encoding `onehot` for input[0].encoding; expected one of: multi_hot, sequence",
        ),
        (
            text_spec("max_tokens = 0\n", dense),
            "spec.toml:6:14: input[0].max_tokens must be greater than 0",
        ),
        (
            text_spec("length = 20\n", dense),
            "spec.toml:6:10: input[0].length is only used with encoding = \"sequence\"",
        ),
        (
            text_spec("encoding = \"sequence\"\nlength = \"long\"\n", dense),
            "spec.toml:7:10: invalid value for input[0].length: string \"long\"; expected a positive integer or \"auto\"",
        ),
        (
            text_spec("encoding = \"sequence\"\nlength = 0\n", dense),
            "spec.toml:7:10: invalid value for input[0].length: integer `0`; expected a positive integer or \"auto\"",
        ),
        (
            text_spec("encoding = \"sequence\"\n", dense),
            "input `t` has encoding = \"sequence\" (token ids), so the first layer must be an `embedding`, found `dense`",
        ),
        (
            text_spec("missing = \"mode\"\n", dense),
            "unknown missing-value policy for a text input `mode` for input[0].missing; expected one of: error, constant",
        ),
        (
            text_spec("oov_token = \"\"\n", dense),
            "input[0].oov_token is empty",
        ),
        (
            "[data]\nsource = \"x.csv\"\n[[input]]\nname = \"a\"\ntype = \"number\"\n\
             tokenizer = \"word\"\n[output]\nname = \"y\"\ntype = \"number\"\n"
                .to_string(),
            "spec.toml:6:13: input[0].tokenizer is only used by text inputs, not number",
        ),
    ];
    for (text, expected) in cases {
        check(&text, expected);
    }
}
