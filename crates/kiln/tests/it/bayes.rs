//! Bayesian networks fitted by ADVI through the spec pipeline: the seed's moons model
//! (full batch and minibatch), predictive uncertainty near the decision boundary, the
//! uncertainty fields of predictions, informed priors, and bad input.

use kiln::data::Targets;
use kiln::{DataSelection, TrainedModel};

use super::*;

fn bnn_spec(extra_advi: &str) -> String {
    let text = example("bnn-moons");
    text.replace(
        "[training.advi]\n",
        &format!("[training.advi]\n{extra_advi}"),
    )
}

fn accuracy_of(result: &TrainResult) -> f64 {
    headline(result, "test")
}

/// The seed's model: 50,000 full-batch ADVI iterations. Fast enough to run in CI in full.
#[test]
fn bnn_moons_full_batch_reaches_95_percent() {
    let work = Work::new();
    let spec = work.write("bnn.toml", &example("bnn-moons"));
    let out = work.path("bnn.kiln");
    let result = train(&spec, &out, Cache::new(work.path("cache")), |_| {});
    let acc = accuracy_of(&result);
    let bayes = result.file.header.bayes.clone().expect("a Bayesian header");
    eprintln!(
        "bnn-moons full batch: test accuracy {acc:.4}, {} iterations in {:.3} s, final ELBO {:.2}",
        bayes.iterations, bayes.fit_seconds, bayes.final_elbo
    );
    assert_eq!(bayes.iterations, 50_000);
    assert!(acc >= 0.95, "test accuracy {acc}");
    super::golden::assert_section_hash(
        "bnn-moons",
        &result.file,
        "posterior",
        super::golden::BNN_MOONS_POSTERIOR,
    );

    // The file round-trips: the posterior and the whole ELBO trace are stored.
    let model = TrainedModel::load(&out).expect("load");
    assert!(model.is_bayesian());
    assert_eq!(model.elbo_trace().len(), 50_000);
    let (m, _) = model
        .evaluate_selection(&DataSelection::Test, &Cache::new(work.path("cache")))
        .expect("evaluate");
    assert!(
        (m.headline().1 - acc).abs() < 1e-12,
        "same predictions after loading"
    );

    uncertainty_is_highest_near_the_boundary(&model, &work);
}

/// Accuracy must not hang on the seed (before the fit started from prior-scale means and
/// σ₀ = 0.1, 6 seeds in 20 ended in the near-linear optimum at 86 %; see kiln-bayes' `advi`
/// docs). Five seeds besides the example's in CI (~1 s each), twenty with `KILN_FULL=1`.
#[test]
fn bnn_moons_accuracy_holds_across_seeds() {
    let work = Work::new();
    let seeds: Vec<u64> = if full_runs() {
        (0..20).collect()
    } else {
        (1..=5).collect()
    };
    let mut accuracies = Vec::new();
    for &seed in &seeds {
        let spec = work.write(
            "bnn.toml",
            &example("bnn-moons").replace(
                "seed = 0\n\n# pm.fit",
                &format!("seed = {seed}\n\n# pm.fit"),
            ),
        );
        let result = train(
            &spec,
            &work.path("bnn.kiln"),
            Cache::new(work.path("cache")),
            |_| {},
        );
        let bayes = result
            .file
            .header
            .bayes
            .as_ref()
            .expect("a Bayesian header");
        assert_eq!(bayes.predict_seed, seed, "the spec's seed was used");
        accuracies.push(accuracy_of(&result));
    }
    let mut sorted = accuracies.clone();
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[(sorted.len() - 1) / 2] + sorted[sorted.len() / 2]) / 2.0;
    let good = accuracies.iter().filter(|&&a| a >= 0.945).count();
    eprintln!("bnn-moons test accuracy by seed {seeds:?}: {accuracies:?}; median {median:.4}");
    assert!(median >= 0.95, "median {median}: {accuracies:?}");
    assert!(
        good * 5 >= seeds.len() * 4,
        "{good} of {} seeds reach 94.5 %: {accuracies:?}",
        seeds.len()
    );
}

/// The spec's default starting σ is the engine's.
#[test]
fn advi_spec_defaults_match_the_engine() {
    assert_eq!(
        kiln::spec::AdviSpec::default().init_sigma,
        kiln::bayes::config::DEFAULT_INIT_SIGMA
    );
}

/// Minibatch ADVI (batch 50, likelihood scaled by 500 / 50).
#[test]
fn bnn_moons_minibatch_reaches_94_5_percent() {
    let work = Work::new();
    let spec = work.write("bnn.toml", &bnn_spec("batch_size = 50\n"));
    let result = train(
        &spec,
        &work.path("m.kiln"),
        Cache::new(work.path("cache")),
        |_| {},
    );
    let acc = accuracy_of(&result);
    eprintln!("bnn-moons minibatch 50: test accuracy {acc:.4}");
    assert!(acc >= 0.945, "test accuracy {acc}");
}

/// Distance of each point to the model's own decision boundary: the p = 0.5 contour of the
/// posterior mean, located on a fine grid of the (standardised) input plane as the midpoints
/// of neighbouring cells on opposite sides of 0.5.
fn uncertainty_is_highest_near_the_boundary(model: &TrainedModel, work: &Work) {
    let (test, targets, _) = model
        .selection_data(&DataSelection::Test, &Cache::new(work.path("cache")))
        .expect("test rows");
    assert!(matches!(targets, Targets::Classes(_)));
    let n = 300;
    let (lo, hi) = (-3.0f64, 3.0f64);
    let step = (hi - lo) / (n - 1) as f64;
    let mut grid = Vec::with_capacity(n * n * 2);
    for j in 0..n {
        for i in 0..n {
            grid.extend([(lo + step * i as f64) as f32, (lo + step * j as f64) as f32]);
        }
    }
    let encoded = kiln::data::Encoded {
        data: grid,
        rows: n * n,
        row_shape: vec![2],
    };
    let p = model.posterior_predictive(&encoded).expect("grid");
    let mut boundary = Vec::new();
    for j in 0..n {
        for i in 0..n {
            let here = p.mean[j * n + i] > 0.5;
            let at = |i: usize, j: usize| (lo + step * i as f64, lo + step * j as f64);
            if i + 1 < n && (p.mean[j * n + i + 1] > 0.5) != here {
                let (x, y) = at(i, j);
                boundary.push((x + step / 2.0, y));
            }
            if j + 1 < n && (p.mean[(j + 1) * n + i] > 0.5) != here {
                let (x, y) = at(i, j);
                boundary.push((x, y + step / 2.0));
            }
        }
    }
    assert!(!boundary.is_empty(), "the model has a decision boundary");
    let pred = model.posterior_predictive(&test).expect("test predictions");
    let (mut near, mut far) = (Vec::new(), Vec::new());
    for (row, sd) in test.data.chunks_exact(2).zip(&pred.std) {
        let (x, y) = (f64::from(row[0]), f64::from(row[1]));
        let d = boundary
            .iter()
            .map(|(bx, by)| ((x - bx).powi(2) + (y - by).powi(2)).sqrt())
            .fold(f64::INFINITY, f64::min);
        if d < 0.2 {
            near.push(*sd);
        } else if d > 1.0 {
            far.push(*sd);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (near_sd, far_sd) = (mean(&near), mean(&far));
    eprintln!(
        "predictive std: {} test points within 0.2 of the boundary: mean {near_sd:.4}; {} farther than 1.0: mean {far_sd:.4}; ratio {:.1}",
        near.len(),
        far.len(),
        near_sd / far_sd
    );
    assert!(
        near.len() >= 10 && far.len() >= 10,
        "{} / {}",
        near.len(),
        far.len()
    );
    assert!(
        near_sd >= 2.0 * far_sd,
        "near {near_sd} is not twice far {far_sd}"
    );
}

#[test]
fn predictions_carry_std_and_credible_intervals() {
    let work = Work::new();
    // A short fit is enough to check the plumbing.
    let spec = work.write(
        "bnn.toml",
        &example("bnn-moons").replace("iterations = 50_000", "iterations = 3000"),
    );
    let out = work.path("bnn.kiln");
    train(&spec, &out, Cache::new(work.path("cache")), |_| {});
    let model = TrainedModel::load(&out).expect("load");
    let csv = "x0,x1\n0.0,0.5\n1.0,-0.5\n0.5,0.25\n-1.0,0.0\n";
    let input = work.write("rows.csv", csv);
    let table = kiln::data::read_table(&input, None).expect("read");
    let a = model.predict(&table).expect("predict");
    let b = model.predict(&table).expect("predict");
    let u = a.uncertainty.as_ref().expect("uncertainty");
    assert_eq!(
        a.uncertainty, b.uncertainty,
        "seeded: the same draws every time"
    );
    assert_eq!((u.samples, u.mass), (100, 0.94));
    assert_eq!(u.std.len(), 4 * 2);
    for i in 0..4 {
        let p = a.probabilities_of(i);
        assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
        for c in 0..2 {
            let j = i * 2 + c;
            assert!(0.0 <= u.lower[j] && u.lower[j] <= u.upper[j] && u.upper[j] <= 1.0);
            assert!(u.std[j] >= 0.0);
        }
        // The negative class mirrors the positive one.
        assert_eq!(u.std[2 * i], u.std[2 * i + 1]);
        assert!((u.lower[2 * i] - (1.0 - u.upper[2 * i + 1])).abs() < 1e-12);
    }
    let order = a.most_uncertain(4);
    assert_eq!(order.len(), 4);
    for w in order.windows(2) {
        assert!(a.uncertainty_of(w[0]) >= a.uncertainty_of(w[1]));
    }
}

/// An informed prior: the means of one model's posterior become another's prior means, and a
/// layer of the wrong shape is refused before training.
#[test]
fn informed_priors_take_matching_shapes_only() {
    let work = Work::new();
    let short = example("bnn-moons").replace("iterations = 50_000", "iterations = 500");
    let base = work.write("base.toml", &short);
    train(
        &base,
        &work.path("base.kiln"),
        Cache::new(work.path("cache")),
        |_| {},
    );
    let base_model = TrainedModel::load(&work.path("base.kiln")).expect("load");

    let informed = work.write(
        "informed.toml",
        &short.replace(
            "[training.advi]\n",
            "[training.advi]\nprior_mean_from = \"base.kiln\"\n",
        ),
    );
    let result = train(
        &informed,
        &work.path("informed.kiln"),
        Cache::new(work.path("cache")),
        |_| {},
    );
    let model = TrainedModel::from_file(result.file, Path::new("informed.kiln")).expect("load");
    let prior = &model.posterior().expect("posterior").layers[1].prior;
    assert_eq!(
        prior.mean,
        kiln::bayes::PriorMean::Values {
            weights: base_model.posterior().expect("posterior").layers[1]
                .weight_mu
                .clone(),
            biases: Vec::new(),
        }
    );

    let wrong = work.write(
        "wrong.toml",
        &short.replacen("units = 5", "units = 6", 1).replace(
            "[training.advi]\n",
            "[training.advi]\nprior_mean_from = \"base.kiln\"\n",
        ),
    );
    let mut request = TrainRequest::new(
        &wrong,
        work.path("wrong.kiln"),
        Cache::new(work.path("cache")),
    );
    request.checkpoint = false;
    let err = kiln::train_spec(&request, |_| {})
        .expect_err("shape mismatch")
        .to_string();
    assert!(
        err.contains("training.advi.prior_mean_from")
            && err.contains("2 inputs × 5 units")
            && err.contains("2 × 6"),
        "{err}"
    );
}

#[test]
fn bad_bayesian_specs_are_refused_before_training() {
    let check = |text: String, field: &str| {
        let err = kiln::spec::parse_spec(&text, "bnn.toml")
            .expect_err(field)
            .to_string();
        assert!(err.contains(field), "expected `{field}` in: {err}");
    };
    let spec = example("bnn-moons");
    check(
        spec.replacen("prior_sigma = 1.0", "prior_sigma = 0.0", 1),
        "layers[0].bayesian.prior_sigma",
    );
    check(
        spec.replacen("prior_sigma = 1.0", "prior_sigma = -2.0", 2),
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
    check(
        spec.replace("interval = 0.94", "interval = 1.5"),
        "training.advi.interval",
    );
}

/// Bayesian regression through a spec: a learned noise level, predictions in the output's
/// units with intervals that cover the noise.
#[test]
fn bayesian_regression_predicts_values_with_intervals() {
    let work = Work::new();
    let mut csv = String::from("x,y\n");
    let mut state = 7u64;
    for i in 0..200 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
        let noise = ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2.0;
        let x = f64::from(i) / 20.0;
        csv.push_str(&format!("{x},{}\n", 10.0 + 3.0 * x + noise));
    }
    work.write("line.csv", &csv);
    let spec = r#"
name = "line"
[data]
source = "line.csv"
[data.split]
test = 0.2
validation = 0.0
[[input]]
name = "x"
type = "number"
[output]
name = "y"
type = "number"
transform = "standardize"
[training]
method = "advi"
[training.advi]
iterations = 20000
[training.advi.optimizer]
type = "adam"
learning_rate = 0.01
"#;
    let spec = work.write("line.toml", spec);
    let result = train(
        &spec,
        &work.path("line.kiln"),
        Cache::new(work.path("cache")),
        |_| {},
    );
    let mae = headline(&result, "test");
    eprintln!(
        "Bayesian linear regression: test MAE {mae:.3} (noise is uniform ±1, MAE of the truth 0.5)"
    );
    assert!(mae < 0.7, "{mae}");
    let model = TrainedModel::from_file(result.file, Path::new("line.kiln")).expect("load");
    let table = kiln::data::read_table(&work.write("q.csv", "x\n5.0\n"), None).expect("read");
    let p = model.predict(&table).expect("predict");
    let u = p.uncertainty.expect("uncertainty");
    eprintln!(
        "x = 5: {:.3} ± {:.3}, 94% interval [{:.3}, {:.3}]",
        p.values[0], u.std[0], u.lower[0], u.upper[0]
    );
    assert!((p.values[0] - 25.0).abs() < 0.3);
    // Uniform ±1 noise has std 0.577; the predictive std includes it.
    assert!(u.std[0] > 0.4 && u.std[0] < 0.9, "{}", u.std[0]);
    assert!(u.lower[0] < 24.5 && u.upper[0] > 25.5);
}
