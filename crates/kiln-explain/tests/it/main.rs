//! kiln-explain against closed forms and reference numbers: integrated gradients of functions whose path integral
//! is known, gradient × input of a linear function, permutation importance of a rule that
//! ignores a feature.

use kiln_explain::attribution::{
    Completeness, Differentiable, gradient_x_input, integrated_gradients,
    integrated_gradients_complete, per_feature,
};
use kiln_explain::importance::{permutation_importance, shuffle};
use kiln_explain::quadrature::Rule;
use kiln_explain::{ExplainError, Result};

/// `F(x) = exp(w · x)`: `∂F/∂xᵢ = wᵢ F`.
struct Exp {
    w: Vec<f64>,
    calls: usize,
}

impl Differentiable for Exp {
    fn width(&self) -> usize {
        self.w.len()
    }
    fn evaluate(&mut self, points: &[f32]) -> Result<(Vec<f64>, Vec<f32>)> {
        self.calls += 1;
        let mut outputs = Vec::new();
        let mut grads = Vec::new();
        for p in points.chunks(self.w.len()) {
            let s: f64 = p.iter().zip(&self.w).map(|(x, w)| f64::from(*x) * w).sum();
            let f = s.exp();
            outputs.push(f);
            grads.extend(self.w.iter().map(|w| (w * f) as f32));
        }
        Ok((outputs, grads))
    }
}

/// `F(x) = tanh(k · x₀) + x₁`: steep in `x₀`, so a coarse rule misses its integral.
struct Steep {
    k: f64,
}

impl Differentiable for Steep {
    fn width(&self) -> usize {
        2
    }
    fn evaluate(&mut self, points: &[f32]) -> Result<(Vec<f64>, Vec<f32>)> {
        let mut outputs = Vec::new();
        let mut grads = Vec::new();
        for p in points.chunks(2) {
            let t = (self.k * f64::from(p[0])).tanh();
            outputs.push(t + f64::from(p[1]));
            grads.push((self.k * (1.0 - t * t)) as f32);
            grads.push(1.0);
        }
        Ok((outputs, grads))
    }
}

#[test]
fn integrated_gradients_of_an_exponential_match_the_closed_form() {
    // Baseline 0: IGᵢ = xᵢ wᵢ (e^s − 1) / s with s = w · x.
    let w = vec![0.5, -1.25, 2.0];
    let x = [0.3f32, 0.8, 0.4];
    let mut model = Exp {
        w: w.clone(),
        calls: 0,
    };
    let ig = integrated_gradients(&mut model, &x, &[0.0; 3], Rule::GaussLegendre, 20).unwrap();
    let s: f64 = x.iter().zip(&w).map(|(x, w)| f64::from(*x) * w).sum();
    for ((a, xi), wi) in ig.attributions.iter().zip(x).zip(&w) {
        let exact = f64::from(xi) * wi * (s.exp() - 1.0) / s;
        assert!(
            (a - exact).abs() <= 1e-6 * exact.abs().max(1e-3),
            "{a} vs {exact}"
        );
    }
    assert!((ig.output - s.exp()).abs() < 1e-6 && (ig.baseline_output - 1.0).abs() < 1e-12);
    assert!(ig.relative_delta() < 1e-6, "completeness: {ig:?}");
    assert_eq!(model.calls, 1, "one batch for the whole path");
}

#[test]
fn steps_are_raised_until_the_attributions_add_up() {
    let mut model = Steep { k: 40.0 };
    let x = [0.9f32, 0.5];
    let baseline = [-0.9f32, 0.0];
    let check = Completeness {
        start_steps: 4,
        max_steps: 4096,
        tolerance: 0.001,
        absolute: 0.0,
    };
    let coarse = integrated_gradients(&mut model, &x, &baseline, Rule::Trapezoid, 4).unwrap();
    assert!(
        !check.holds(&coarse),
        "4 trapezoid points should miss: {coarse:?}"
    );
    let (ig, held) =
        integrated_gradients_complete(&mut model, &x, &baseline, Rule::Trapezoid, check).unwrap();
    assert!(held, "{ig:?}");
    assert!(
        ig.steps > 4 && ig.steps.is_power_of_two(),
        "steps {}",
        ig.steps
    );
    // The exact attributions: tanh's change for x₀, x₁'s own change for x₁.
    let exact0 = (40.0f64 * 0.9).tanh() - (-40.0f64 * 0.9).tanh();
    assert!((ig.attributions[0] - exact0).abs() <= 0.001 * 2.5, "{ig:?}");
    assert!((ig.attributions[1] - 0.5).abs() < 1e-6);
    // Gauss–Legendre gets there in fewer points than the trapezoid rule.
    let (gl, held) =
        integrated_gradients_complete(&mut model, &x, &baseline, Rule::GaussLegendre, check)
            .unwrap();
    assert!(held && gl.steps <= ig.steps, "{} vs {}", gl.steps, ig.steps);
    // A ceiling it cannot pass is reported, not hidden.
    let tight = Completeness {
        max_steps: 8,
        ..check
    };
    let (last, held) =
        integrated_gradients_complete(&mut model, &x, &baseline, Rule::Trapezoid, tight).unwrap();
    assert!(!held);
    assert_eq!(last.steps, 8);
}

#[test]
fn gradient_x_input_of_a_linear_function_is_weight_times_value() {
    struct Linear;
    impl Differentiable for Linear {
        fn width(&self) -> usize {
            2
        }
        fn evaluate(&mut self, points: &[f32]) -> Result<(Vec<f64>, Vec<f32>)> {
            let outputs = points
                .chunks(2)
                .map(|p| 3.0 * f64::from(p[0]) - 2.0 * f64::from(p[1]))
                .collect();
            Ok((
                outputs,
                points.chunks(2).flat_map(|_| [3.0, -2.0]).collect(),
            ))
        }
    }
    let (attr, out) = gradient_x_input(&mut Linear, &[1.0, 2.0, -1.0, 0.5]).unwrap();
    assert_eq!(attr, vec![3.0, -4.0, -3.0, -1.0]);
    assert_eq!(out, vec![-1.0, -4.0]);
    let err = gradient_x_input(&mut Linear, &[1.0, 2.0, 3.0]).unwrap_err();
    assert!(matches!(err, ExplainError::Length { .. }), "{err}");
    // Summed per feature: a one-hot feature's columns add up.
    let spans = vec![("a".to_string(), 0..1), ("b".to_string(), 1..4)];
    assert_eq!(
        per_feature(&[1.0, 0.5, 0.25, 0.25], &spans),
        vec![("a".to_string(), 1.0), ("b".to_string(), 1.0)]
    );
}

#[test]
fn a_model_that_ignores_a_feature_loses_nothing_when_it_is_shuffled() {
    // Rows (x₀, x₁, y) with y = [x₀ > 0.5]; the model predicts y from x₀ alone.
    let rows = 200;
    let x0: Vec<f64> = (0..rows).map(|i| ((i * 37) % 100) as f64 / 100.0).collect();
    let y: Vec<bool> = x0.iter().map(|v| *v > 0.5).collect();
    let accuracy = |col0: &[f64]| {
        col0.iter()
            .zip(&y)
            .filter(|(v, t)| (**v > 0.5) == **t)
            .count() as f64
            / rows as f64
    };
    let features = vec!["x0".to_string(), "x1".to_string()];
    let score = |j: usize, order: &[usize]| -> Result<f64> {
        let col0: Vec<f64> = if j == 0 {
            order.iter().map(|&i| x0[i]).collect()
        } else {
            x0.clone()
        };
        Ok(accuracy(&col0))
    };
    let imp = permutation_importance(&features, rows, 5, 7, 1.0, score).unwrap();
    assert_eq!(imp[1].drops, vec![0.0; 5], "x1 is ignored");
    assert_eq!(imp[1].std, 0.0);
    // Shuffling x₀ leaves about half the rows right: a drop near 0.5.
    assert!(imp[0].mean > 0.35 && imp[0].mean < 0.65, "{:?}", imp[0]);
    let mean = imp[0].drops.iter().sum::<f64>() / 5.0;
    let var = imp[0].drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / 5.0;
    assert!((imp[0].std - var.sqrt()).abs() < 1e-15);
    // The same seed gives the same shuffles; a feature's do not depend on the others.
    let again = permutation_importance(&features[..1], rows, 5, 7, 1.0, score).unwrap();
    assert_eq!(again[0], imp[0]);
    assert_ne!(shuffle(rows, 7, 0, 0), shuffle(rows, 7, 0, 1));
    let mut sorted = shuffle(rows, 7, 1, 3);
    sorted.sort_unstable();
    assert_eq!(sorted, (0..rows).collect::<Vec<_>>(), "a permutation");
    assert!(permutation_importance(&features, rows, 0, 7, 1.0, score).is_err());
}

mod tcav;
