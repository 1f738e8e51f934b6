//! The shipped examples parse, validate and match their Keras originals' parameter counts.

use crate::with_vocabulary;
use kiln_spec::examples::{NAMES, example};
use kiln_spec::{FeatureKind, LayerSpec, OutputKind, infer_shapes, parse_spec};

/// (example, input shape, head units, Keras' total parameter count).
const KERAS_TOTALS: &[(&str, &[usize], usize, usize)] = &[
    ("mnist-mlp", &[1, 28, 28], 10, 101_770),
    // 320 + 18,496 + 16,010
    ("mnist-cnn", &[1, 28, 28], 10, 34_826),
    // 13·64+64 + 64·64+64 + 64+1
    ("boston", &[13], 1, 5_121),
    // 2·32+32 + 32·32+32 + 32·2+2
    ("moons-mlp", &[2], 2, 114),
    // 2·5 + 5·5 + 5 weights in the PyMC model; shape inference counts a bias on the head,
    // which the Bayesian head drops (it inherits `bias = false` from the last layer).
    ("bnn-moons", &[2], 1, 41),
    // PyTorch's count (two bias vectors per LSTM, as nn.LSTM has) for a 65-character corpus
    // (66 ids with padding): 66·32 + 4·128·(32+128+2) + 4·128·(128+128+2) + 128·66+66.
    ("shakespeare-char", &[40], 66, 225_666),
    // 10,001·16+16 + 16·16+16 + 16+1: the book's 160,305 plus 16 weights for the
    // out-of-vocabulary slot (the book's 10,000 slots hold 9,997 words and three marks).
    ("imdb", &[10_001], 1, 160_321),
    // 20,002·64 (20,000 words, padding, out-of-vocabulary) + 5·64·128+128 + 128·64+64 + 64+1:
    // the same modules in PyTorch (nn.Embedding, nn.Conv1d, two nn.Linear) count the same.
    ("text-cnn", &[400], 1, 1_329_537),
    ("spam", &[10_001], 1, 160_321),
];

/// The token ids an example's embedding gets from its data: the text-cnn's 20,000 words plus
/// padding and out-of-vocabulary; a language model's corpus characters, as many as its head.
fn data_vocabulary(name: &str, head: usize) -> usize {
    if name == "text-cnn" { 20_002 } else { head }
}

#[test]
fn every_example_parses_and_infers_shapes() {
    assert_eq!(NAMES.len(), KERAS_TOTALS.len());
    for &(name, input, head, total) in KERAS_TOTALS {
        let text = example(name).unwrap_or_else(|| panic!("no example {name}"));
        let spec = parse_spec(text, name).unwrap_or_else(|e| panic!("{e}"));
        spec.validate().unwrap();
        // An embedding takes its vocabulary from the data.
        let layers = with_vocabulary(&spec.layers, data_vocabulary(name, head));
        let shapes = infer_shapes(&layers, input, head).unwrap_or_else(|e| panic!("{e}"));
        let params: usize = shapes.iter().map(|s| s.params).sum();
        assert_eq!(params, total, "{name}");
        assert_eq!(shapes.last().unwrap().desc, format!("head dense {head}"));
    }
}

#[test]
fn examples_use_the_built_in_column_names() {
    let columns = |name: &str| {
        let spec = parse_spec(example(name).unwrap(), name).unwrap();
        let mut names: Vec<String> = spec.inputs.iter().map(|i| i.name.clone()).collect();
        names.push(spec.output.name);
        names.join(",")
    };
    assert_eq!(columns("mnist-mlp"), "image,label");
    assert_eq!(columns("mnist-cnn"), "image,label");
    assert_eq!(
        columns("boston"),
        "crim,zn,indus,chas,nox,rm,age,dis,rad,tax,ptratio,b,lstat,medv"
    );
    assert_eq!(columns("moons-mlp"), "x0,x1,label");
    assert_eq!(columns("imdb"), "text,label");
    assert_eq!(columns("text-cnn"), "text,label");
    assert_eq!(columns("spam"), "text,label");
}

#[test]
fn examples_reproduce_their_originals_settings() {
    let spec = |name: &str| parse_spec(example(name).unwrap(), name).unwrap();

    let mlp = spec("mnist-mlp");
    assert_eq!(mlp.data.test.as_deref(), Some("mnist:test"));
    assert_eq!(mlp.inputs[0].kind, FeatureKind::Image);
    assert_eq!(mlp.inputs[0].transform.as_deref(), Some("scale"));
    assert_eq!((mlp.training.batch_size, mlp.training.epochs), (32, 5));

    let cnn = spec("mnist-cnn");
    assert_eq!((cnn.training.batch_size, cnn.training.epochs), (128, 15));
    assert_eq!(cnn.data.split.validation, 0.0);

    let boston = spec("boston");
    assert_eq!(boston.output.kind, OutputKind::Number);
    assert_eq!(boston.training.optimizer.learning_rate(), 0.001);
    assert_eq!(
        (boston.training.batch_size, boston.training.epochs),
        (16, 80)
    );
    assert_eq!(boston.data.split.test, 0.2);

    let moons = spec("moons-mlp");
    let generate = moons.data.generate.as_ref().unwrap();
    assert_eq!(
        (generate.samples, generate.noise, generate.seed),
        (1000, 0.2, 0)
    );
    assert_eq!(moons.data.split.test, 0.5);
    let stopping = moons.training.early_stopping.as_ref().unwrap();
    assert_eq!(
        (stopping.monitor.as_str(), stopping.patience),
        ("val_loss", 20)
    );
    assert!(stopping.restore_best);

    // Chollet's chapter 3: 10,000-word multi-hot, RMSprop 0.001, 4 epochs of 512, 25k/25k.
    let imdb = spec("imdb");
    let text = &imdb.inputs[0];
    assert_eq!(text.kind, FeatureKind::Text);
    assert_eq!(text.max_tokens, Some(10_000));
    assert_eq!(text.encoding.as_deref(), Some("multi_hot"));
    assert_eq!((imdb.training.batch_size, imdb.training.epochs), (512, 4));
    assert_eq!(imdb.training.optimizer.learning_rate(), 0.001);
    assert_eq!(imdb.data.split.test, 0.5);
    assert_eq!(imdb.output.kind, OutputKind::Binary);

    let spam = spec("spam");
    assert_eq!(spam.inputs[0].utf8.as_deref(), Some("replace"));
    assert_eq!(spam.output.kind, OutputKind::Binary);
    let lm = spec("shakespeare-char");
    let settings = lm.language_model.as_ref().unwrap();
    assert_eq!(lm.data.source, "shakespeare");
    assert_eq!((settings.sequence_length, settings.step), (40, 3));
    assert!(lm.inputs.is_empty());
    let kinds: Vec<&str> = lm.layers.iter().map(LayerSpec::type_name).collect();
    assert_eq!(kinds, ["embedding", "lstm", "lstm"]);
}

#[test]
fn bad_bayesian_settings_name_the_field() {
    let spec = example("bnn-moons").unwrap();
    let check = |text: String, field: &str| {
        let err = parse_spec(&text, "bnn.toml").expect_err(field).to_string();
        assert!(err.contains(field), "expected `{field}` in: {err}");
    };
    check(
        spec.replacen("prior_sigma = 1.0", "prior_sigma = 0.0", 1),
        "layers[0].bayesian.prior_sigma",
    );
    check(
        spec.replace("samples = 1\n", "samples = 0\n"),
        "training.advi.samples",
    );
    check(
        spec.replace("method = \"advi\"\n", ""),
        "layers[0].bayesian",
    );
    check(
        spec.replace(
            "[training]",
            "[[layers]]\ntype = \"dropout\"\nrate = 0.1\n\n[training]",
        ),
        "layers[2].type",
    );
    check(
        spec.replacen("activation = \"tanh\"", "activation = \"gelu\"", 1),
        "layers[0].activation",
    );
}
