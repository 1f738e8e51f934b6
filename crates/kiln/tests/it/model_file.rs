//! The model file: self-contained, atomic, and loud about damage.

use super::*;
use kiln::TrainedModel;

fn trained(work: &Work) -> PathBuf {
    let spec = work.write("moons.toml", &example("moons-mlp"));
    let out = work.path("moons.kiln");
    train(&spec, &out, Cache::new(work.path("cache")), |r| {
        r.epochs = Some(3)
    });
    out
}

fn load_err(path: &Path) -> String {
    TrainedModel::load(path).expect_err("must fail").to_string()
}

#[test]
fn model_file_round_trips_and_holds_everything() {
    let work = Work::new();
    let path = trained(&work);
    let model = TrainedModel::load(&path).expect("load");
    let h = &model.header;
    assert_eq!(h.name, "moons-mlp");
    assert_eq!(h.kiln_version, env!("CARGO_PKG_VERSION"));
    assert!(h.spec_toml.contains("[data.generate]"));
    assert_eq!(h.encoder.input_shape(), vec![2]);
    assert_eq!(h.data.digest.len(), 64);
    assert!(h.metrics.contains_key("test"));
    assert_eq!(h.training.history.len(), 3);
    // No temp file left behind.
    let leftovers: Vec<_> = std::fs::read_dir(work.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn truncated_model_file_is_named_truncated() {
    let work = Work::new();
    let path = trained(&work);
    let bytes = std::fs::read(&path).unwrap();
    let cut = work.write("cut.kiln", "");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = load_err(&cut);
    assert!(err.contains("truncated model file"), "{err}");
}

#[test]
fn foreign_file_is_named_foreign() {
    let work = Work::new();
    let p = work.write("notes.kiln", "hello, this is not a model\n");
    let err = load_err(&p);
    assert!(err.contains("not a kiln model file"), "{err}");
    let empty = work.write("empty.kiln", "");
    assert!(
        load_err(&empty).contains("truncated"),
        "{}",
        load_err(&empty)
    );
}

#[test]
fn flipped_byte_fails_the_checksum() {
    let work = Work::new();
    let path = trained(&work);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 100] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let err = load_err(&path);
    assert!(err.contains("checksum"), "{err}");
}

#[test]
fn checkpoint_is_not_a_model() {
    let work = Work::new();
    let path = trained(&work);
    let mut ckpt = path.into_os_string();
    ckpt.push(".ckpt");
    let err = load_err(Path::new(&ckpt));
    assert!(err.contains("checkpoint"), "{err}");
}

/// A model file written by kiln at commit `9330d85` (`tests/fixtures/model-9330d85`, with the
/// spec, data script and the predictions that kiln gave then) still loads and predicts exactly
/// the same probabilities: the file format and every stored transform (standardisation with
/// mean imputation, one-hot, bag of words) are read as they were written.
#[test]
fn a_model_file_from_an_earlier_kiln_predicts_identically() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/model-9330d85");
    let model = TrainedModel::load(&dir.join("model.kiln")).expect("load the fixture");
    let rows = kiln::data::read_table(&dir.join("rows.csv"), None).expect("read rows.csv");
    let predictions = model.predict(&rows).expect("predict");
    let expected = std::fs::read_to_string(dir.join("predictions.jsonl")).expect("expected");
    let expected: Vec<serde_json::Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(predictions.rows, expected.len());
    assert_eq!(predictions.classes, ["no", "yes"]);
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(predictions.label(i), want["label"].as_str(), "row {i}");
        for (k, class) in predictions.classes.iter().enumerate() {
            let then = want["probabilities"][class]
                .as_f64()
                .expect("a probability");
            let now = predictions.probabilities_of(i)[k];
            // Bit for bit: the f32 written then, printed as f64, read back.
            assert_eq!(now, then as f32, "row {i}, class {class}");
        }
    }
}
