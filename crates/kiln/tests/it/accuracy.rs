//! Accuracy on the reference tasks (bench/RESULTS.md, "Accuracy on the reference tasks"). Reduced versions run in CI; `KILN_FULL=1`
//! runs the full ones.

use super::*;

#[test]
fn moons_mlp_reaches_96_percent() {
    let work = Work::new();
    let spec = work.write("moons.toml", &example("moons-mlp"));
    let result = train(
        &spec,
        &work.path("moons.kiln"),
        Cache::new(work.path("cache")),
        |_| {},
    );
    let acc = headline(&result, "test");
    eprintln!("moons test accuracy {acc:.4}");
    assert!(acc >= 0.96, "moons test accuracy {acc} < 0.96");
}

#[test]
fn boston_4_fold_mean_mae_at_most_2_5() {
    let work = Work::new();
    let spec = work.write("boston.toml", &example("boston"));
    let result = train(&spec, &work.path("boston.kiln"), real_cache(), |r| {
        r.folds = Some(4);
    });
    let mae = headline(&result, "cv_mean");
    for k in 1..=4 {
        eprintln!(
            "fold {k} MAE {:.3}",
            headline(&result, &format!("fold_{k}"))
        );
    }
    eprintln!(
        "boston 4-fold mean validation MAE {mae:.3}, test MAE {:.3}",
        headline(&result, "test")
    );
    assert!(mae <= 2.5, "mean validation MAE {mae} > 2.5");
}

#[test]
fn mnist_mlp_one_epoch_reaches_95_percent() {
    if full_runs() {
        return; // the full test below covers it
    }
    let work = Work::new();
    let spec = work.write("mnist.toml", &example("mnist-mlp"));
    let result = train(&spec, &work.path("mnist.kiln"), real_cache(), |r| {
        r.epochs = Some(1);
    });
    let acc = headline(&result, "test");
    eprintln!("mnist mlp, 1 epoch: test accuracy {acc:.4}");
    assert!(acc >= 0.95, "test accuracy {acc} < 0.95");
    super::golden::assert_weights_hash(
        "mnist-mlp, 1 epoch",
        &result.file,
        super::golden::MNIST_MLP_1_EPOCH_WEIGHTS,
    );
}

#[test]
fn mnist_mlp_full_reaches_98_percent() {
    if !full_runs() {
        return;
    }
    let work = Work::new();
    let spec = work.write("mnist.toml", &example("mnist-mlp"));
    let result = train(&spec, &work.path("mnist.kiln"), real_cache(), |_| {});
    let acc = headline(&result, "test");
    eprintln!("mnist mlp, 5 epochs: test accuracy {acc:.4}");
    assert!(acc >= 0.98, "test accuracy {acc} < 0.98");
}

#[test]
fn mnist_cnn_full_reaches_99_2_percent() {
    if !full_runs() {
        return;
    }
    let work = Work::new();
    let spec = work.write("cnn.toml", &example("mnist-cnn"));
    let result = train(&spec, &work.path("cnn.kiln"), real_cache(), |_| {});
    let acc = headline(&result, "test");
    eprintln!("mnist cnn: test accuracy {acc:.4}");
    assert!(acc >= 0.992, "test accuracy {acc} < 0.992");
}

#[test]
fn sequential_api_learns_moons() {
    use kiln::spec::Activation::Tanh;
    let table = kiln::data::datasets::make_moons(400, 0.1, 7);
    let model = kiln::Sequential::new()
        .dense(16, Tanh)
        .dense(16, Tanh)
        .adam(0.01)
        .fit(&table, "label", kiln::Fit::epochs(30))
        .expect("fit");
    let test = kiln::data::datasets::make_moons(400, 0.1, 8);
    let acc = model.evaluate(&test).expect("evaluate").headline().1;
    assert!(acc > 0.95, "accuracy {acc}");
}
