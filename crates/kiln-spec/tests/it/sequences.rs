//! Sequence layers and language-model specs: parsing, checks and shapes.

use kiln_spec::{LayerSpec, RecurrentSpec, infer_shapes};

use crate::{check, parse_ok};

const LM: &str = r#"[data]
source = "corpus.txt"
[language_model]
sequence_length = 8
[output]
name = "next_char"
type = "category"
[[layers]]
type = "embedding"
dim = 4
[[layers]]
type = "lstm"
units = 6
bidirectional = true
layers = 2
dropout = 0.25
return_sequences = true
[[layers]]
type = "gru"
units = 3
"#;

#[test]
fn a_language_model_spec_parses_with_its_recurrent_layers() {
    let spec = parse_ok(LM);
    let lm = spec.language_model.as_ref().unwrap();
    assert_eq!((lm.sequence_length, lm.step, lm.holdout), (8, 3, 0.1));
    assert_eq!(
        spec.layers[1],
        LayerSpec::Lstm(RecurrentSpec {
            units: 6,
            return_sequences: true,
            bidirectional: true,
            layers: 2,
            dropout: 0.25,
        })
    );
    assert_eq!(spec.layers[2], LayerSpec::Gru(RecurrentSpec::new(3)));
    let mut layers = spec.layers.clone();
    layers[0] = LayerSpec::Embedding {
        vocab: Some(10),
        dim: 4,
        mask_zero: true,
        init: None,
    };
    let shapes = infer_shapes(&layers, &[8], 10).unwrap();
    let outputs: Vec<Vec<usize>> = shapes.iter().map(|s| s.output.clone()).collect();
    assert_eq!(outputs, [vec![8, 4], vec![8, 12], vec![3], vec![10]]);
    // nn.LSTM(4, 6, num_layers=2, bidirectional=True): 2·4·6·(4+6+2) + 2·4·6·(12+6+2);
    // nn.GRU(12, 3): 3·3·(12+3+2).
    let params: Vec<usize> = shapes.iter().map(|s| s.params).collect();
    assert_eq!(params, [40, 576 + 960, 153, 40]);
    assert_eq!(
        shapes[1].desc,
        "lstm 6 ×2 bidirectional sequences dropout 0.25"
    );
}

#[test]
fn sequence_mistakes_are_named() {
    check(
        &LM.replace("dropout = 0.25", "dropout = 1.5"),
        "layers[1].dropout = 1.5 is out of range",
    );
    check(
        &LM.replace("units = 6", "units = 6\nunits_typo = 1"),
        "units_typo",
    );
    check(
        &LM.replace("sequence_length = 8", "sequence_length = 0"),
        "language_model.sequence_length",
    );
    check(
        &LM.replace("type = \"category\"", "type = \"number\""),
        "a language model predicts the next character, a category, not number",
    );
    // The vocabulary is unknown until the corpus is read; a shape check without it says so.
    let spec = parse_ok(LM);
    let err = infer_shapes(&spec.layers, &[8], 10)
        .unwrap_err()
        .to_string();
    assert!(err.contains("vocabulary size is not known"), "{err}");
    // An LSTM straight after token ids has no feature axis.
    let err = infer_shapes(&[LayerSpec::Lstm(RecurrentSpec::new(4))], &[8], 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("lstm needs a [time, features] sequence"),
        "{err}"
    );
    // A sequence cannot reach the head without being reduced.
    let mut seq = RecurrentSpec::new(4);
    seq.return_sequences = true;
    let err = infer_shapes(&[LayerSpec::Gru(seq)], &[5, 2], 3)
        .unwrap_err()
        .to_string();
    assert!(err.contains("add a flatten layer"), "{err}");
}
