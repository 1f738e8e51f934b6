//! Same spec + seed ⇒ bit-identical weights; an interrupted-and-resumed run equals an
//! uninterrupted one.

use super::*;

fn weights(result: &TrainResult) -> Vec<Vec<f32>> {
    let model = kiln::TrainedModel::from_file(result.file.clone(), Path::new("m")).expect("load");
    kiln::model::weights::values(model.network().expect("a network model"))
}

const SPEC_EXTRA: &str = "\n[[layers]]\ntype = \"dropout\"\nrate = 0.1\n";

fn spec_text() -> String {
    // Dropout makes the check cover the per-epoch random stream as well as init and batch order.
    let text = example("moons-mlp");
    let (head, tail) = text.split_once("[training]").expect("training section");
    format!("{head}{SPEC_EXTRA}\n[training]{tail}")
}

#[test]
fn same_seed_gives_identical_weights() {
    let work = Work::new();
    let spec = work.write("moons.toml", &spec_text());
    let cache = || Cache::new(work.path("cache"));
    let a = train(&spec, &work.path("a.kiln"), cache(), |r| r.epochs = Some(8));
    let b = train(&spec, &work.path("b.kiln"), cache(), |r| r.epochs = Some(8));
    assert_eq!(weights(&a), weights(&b));

    let other = spec_text().replace("[training]\n", "[training]\nseed = 7\n");
    let spec2 = work.write("moons7.toml", &other);
    let c = train(&spec2, &work.path("c.kiln"), cache(), |r| {
        r.epochs = Some(8)
    });
    assert_ne!(
        weights(&a),
        weights(&c),
        "a different seed must change the weights"
    );
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let work = Work::new();
    let text = spec_text().replace("patience = 20", "patience = 100");
    let spec = work.write("moons.toml", &text);
    let cache = || Cache::new(work.path("cache"));
    let straight = train(&spec, &work.path("straight.kiln"), cache(), |r| {
        r.epochs = Some(10)
    });

    let out = work.path("resumed.kiln");
    train(&spec, &out, cache(), |r| r.epochs = Some(4));
    assert!(
        work.path("resumed.kiln.ckpt").exists(),
        "a checkpoint is written each epoch"
    );
    let resumed = train(&spec, &out, cache(), |r| {
        r.epochs = Some(10);
        r.resume = true;
    });
    assert_eq!(resumed.file.header.training.history.len(), 10);
    assert_eq!(weights(&straight), weights(&resumed));
}

#[test]
fn resume_refuses_a_checkpoint_of_another_spec() {
    let work = Work::new();
    let spec = work.write("moons.toml", &spec_text());
    let out = work.path("m.kiln");
    train(&spec, &out, Cache::new(work.path("cache")), |r| {
        r.epochs = Some(2)
    });
    let changed = work.write("moons.toml", &spec_text().replace("units = 8", "units = 9"));
    let mut request = TrainRequest::new(&changed, &out, Cache::new(work.path("cache")));
    request.resume = true;
    let err = kiln::train_spec(&request, |_| {})
        .expect_err("must refuse")
        .to_string();
    assert!(err.contains("different spec"), "{err}");
}
