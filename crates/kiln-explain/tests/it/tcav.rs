//! TCAV on activations and gradients built so that the answer is known: a concept along the
//! direction the class logit grows in is significant with a score near 1; a concept along a
//! direction whose gradient has a random sign is not; random vs random averages 0.5. Welch's
//! test against scipy's numbers.

use kiln_explain::tcav::{
    Cav, Matrix, Settings, fit_cav, scores, sensitivities, test_concept, welch,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn normal(rng: &mut ChaCha8Rng) -> f32 {
    // Box–Muller.
    let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

/// `rows` points of N(0, I) in `d` dimensions, plus `shift` along axis `axis`.
fn cloud(rng: &mut ChaCha8Rng, rows: usize, d: usize, axis: usize, shift: f32) -> Matrix {
    let mut data = Vec::with_capacity(rows * d);
    for _ in 0..rows {
        for j in 0..d {
            data.push(normal(rng) + if j == axis { shift } else { 0.0 });
        }
    }
    Matrix::new(data, rows, d).unwrap()
}

#[test]
fn a_concept_the_class_grows_along_is_significant_and_an_unrelated_one_is_not() {
    let d = 8;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let pool = cloud(&mut rng, 600, d, 0, 0.0);
    let along = cloud(&mut rng, 60, d, 0, 3.0);
    let across = cloud(&mut rng, 60, d, 1, 3.0);
    // The class logit grows along axis 0 at every input; along axis 1 its slope has a random
    // sign; small noise elsewhere.
    let mut grads = Vec::new();
    for _ in 0..200 {
        for j in 0..d {
            grads.push(match j {
                0 => 1.0 + 0.1 * normal(&mut rng),
                1 => normal(&mut rng),
                _ => 0.05 * normal(&mut rng),
            });
        }
    }
    let gradients = Matrix::new(grads, 200, d).unwrap();
    let settings = Settings {
        runs: 30,
        random_size: 60,
        ..Settings::default()
    };
    let a = test_concept(&along, &pool, &gradients, settings, 2).unwrap();
    let b = test_concept(&across, &pool, &gradients, settings, 2).unwrap();
    assert!(a.mean_sign_count() > 0.95, "{}", a.mean_sign_count());
    assert!(a.mean_magnitude() > 0.95);
    assert!(a.significant && a.p < 1e-4, "p {}", a.p);
    // Shifted by 3 σ: the best classifier is right on Φ(1.5) = 93 % of held-out examples.
    let accuracy = a.cav_accuracy.iter().sum::<f64>() / a.cav_accuracy.len() as f64;
    assert!(accuracy > 0.85, "{:?}", a.cav_accuracy);
    assert!(
        (b.mean_sign_count() - 0.5).abs() < 0.15,
        "{}",
        b.mean_sign_count()
    );
    assert!(!b.significant, "p {}", b.p);
    // Random vs random averages 0.5 within 3 standard errors of its runs (the runs are
    // shared by both concepts).
    assert_eq!(a.random_scores, b.random_scores);
    let rr: Vec<f64> = a.random_scores.iter().map(|s| s.sign_count).collect();
    let m = rr.iter().sum::<f64>() / rr.len() as f64;
    let se = (rr.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (rr.len() as f64 - 1.0)).sqrt()
        / (rr.len() as f64).sqrt();
    assert!((m - 0.5).abs() <= 3.0 * se, "random vs random {m} ± {se}");
    // The same seed, the same result.
    assert_eq!(
        test_concept(&along, &pool, &gradients, settings, 2).unwrap(),
        a
    );
}
#[test]
fn a_cav_points_to_its_concept_with_more_values_than_examples() {
    // 40 values, 8 examples a side: the dual form.
    let d = 40;
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let concept = cloud(&mut rng, 8, d, 5, 6.0);
    let random = cloud(&mut rng, 8, d, 5, 0.0);
    let rows = |m: &Matrix| (0..m.rows).map(|i| m.row(i).to_vec()).collect::<Vec<_>>();
    let (c, r) = (rows(&concept), rows(&random));
    let cr: Vec<&[f32]> = c.iter().map(Vec::as_slice).collect();
    let rr: Vec<&[f32]> = r.iter().map(Vec::as_slice).collect();
    let cav = fit_cav(&cr, &rr, 0.01, 1).unwrap();
    assert!((cav.direction.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(cav.direction[5] > 0.7, "{:?}", &cav.direction[..8]);
    // Too few examples is a clear error.
    let err = fit_cav(&cr[..3], &rr, 0.01, 1).unwrap_err().to_string();
    assert!(err.contains("concept set has 3 examples"), "{err}");
}

#[test]
fn scores_count_signs_and_share_magnitudes() {
    let cav = Cav {
        direction: vec![1.0, 0.0],
        accuracy: 1.0,
    };
    let g = Matrix::new(vec![2.0, 9.0, -1.0, 9.0, 3.0, 9.0, -4.0, 9.0], 4, 2).unwrap();
    let s = sensitivities(&g, &cav);
    assert_eq!(s, vec![2.0, -1.0, 3.0, -4.0]);
    let sc = scores(&s);
    assert_eq!(sc.sign_count, 0.5);
    assert_eq!(sc.magnitude, 5.0 / 10.0);
    assert_eq!(sc.mean_sensitivity, 0.0);
}

#[test]
fn welch_matches_scipy() {
    let text = include_str!("../reference/welch_reference.json");
    let reference: serde_json::Value = serde_json::from_str(text).unwrap();
    let vec = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let cases = reference["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        let (t, p) = welch(&vec(&case["a"]), &vec(&case["b"]));
        let (want_t, want_p) = (case["t"].as_f64().unwrap(), case["p"].as_f64().unwrap());
        assert!(
            (t - want_t).abs() <= 1e-9 * want_t.abs().max(1.0),
            "t {t} vs {want_t}"
        );
        assert!(
            (p - want_p).abs() <= 1e-9 * want_p.max(1e-300) + 1e-15,
            "p {p} vs {want_p}"
        );
    }
    // Constant samples: equal means are not significant, different ones are.
    assert_eq!(welch(&[0.5; 4], &[0.5; 4]), (0.0, 1.0));
    assert_eq!(welch(&[0.9; 4], &[0.5; 4]).1, 0.0);
}

#[test]
fn too_few_runs_or_random_examples_are_refused() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let pool = cloud(&mut rng, 50, 4, 0, 0.0);
    let concept = cloud(&mut rng, 20, 4, 0, 2.0);
    let g = cloud(&mut rng, 10, 4, 0, 1.0);
    let one = Settings {
        runs: 1,
        random_size: 10,
        ..Settings::default()
    };
    assert!(
        test_concept(&concept, &pool, &g, one, 1)
            .unwrap_err()
            .to_string()
            .contains("at least 2 runs")
    );
    let big = Settings {
        random_size: 40,
        ..Settings::default()
    };
    let err = test_concept(&concept, &pool, &g, big, 1)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("50 random examples") && err.contains("at least 80"),
        "{err}"
    );
}
