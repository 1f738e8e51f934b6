//! Attributions: how much each input value moved the explained output.
//!
//! - [`integrated_gradients`]: `IGᵢ(x) = (xᵢ − x′ᵢ) ∫₀¹ ∂F/∂xᵢ(x′ + α(x − x′)) dα`, the
//!   integral by a [`Rule`]; the attributions sum to `F(x) − F(x′)` (completeness), and
//!   [`integrated_gradients_complete`] raises the number of steps until they do within a
//!   tolerance, reporting the count it needed.
//! - [`gradient_x_input`]: `xᵢ · ∂F/∂xᵢ(x)` (Captum's `InputXGradient`).
//! - [`per_feature`]: attributions summed over the columns each input feature encodes to.

use std::ops::Range;

use crate::quadrature::Rule;
use crate::{ExplainError, Result};

/// The explained function: its value at each of a batch of points, and its gradient there.
pub trait Differentiable {
    /// Values per point.
    fn width(&self) -> usize;
    /// `points` holds `points.len() / width` points one after another; returns the output at
    /// each point and the gradients, laid out as the points.
    ///
    /// # Errors
    /// [`ExplainError::Model`] when the model fails.
    fn evaluate(&mut self, points: &[f32]) -> Result<(Vec<f64>, Vec<f32>)>;
}

/// Integrated gradients of one point.
#[derive(Debug, Clone, PartialEq)]
pub struct Integrated {
    /// One per input value.
    pub attributions: Vec<f64>,
    /// `F(x)`.
    pub output: f64,
    /// `F(x′)`.
    pub baseline_output: f64,
    /// Points of the rule used.
    pub steps: usize,
    /// `Σ attributions − (F(x) − F(x′))`: the completeness error.
    pub delta: f64,
}

impl Integrated {
    /// `|delta|` relative to `|F(x) − F(x′)|` (the completeness error as a fraction).
    pub fn relative_delta(&self) -> f64 {
        let change = (self.output - self.baseline_output).abs();
        if change == 0.0 {
            if self.delta == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            self.delta.abs() / change
        }
    }
}

fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(ExplainError::Length {
            what,
            expected,
            found,
        })
    }
}

fn finite(values: &[f64], at: impl Fn(usize) -> String) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(ExplainError::NotFinite {
            value: values[i],
            at: at(i),
        }),
    }
}

/// Integrated gradients of `x` against `baseline` with `steps` points of `rule`, in one call
/// of the model (the path's points, then `x` and the baseline themselves).
///
/// # Errors
/// [`ExplainError::Length`] for a point of the wrong width; the model's errors;
/// [`ExplainError::NotFinite`] for an output that is not a number.
pub fn integrated_gradients(
    model: &mut dyn Differentiable,
    x: &[f32],
    baseline: &[f32],
    rule: Rule,
    steps: usize,
) -> Result<Integrated> {
    let width = model.width();
    check_len("input", width, x.len())?;
    check_len("baseline", width, baseline.len())?;
    let (alphas, weights) = rule.points(steps)?;
    let mut points = Vec::with_capacity((steps + 2) * width);
    for &a in &alphas {
        points.extend(
            x.iter()
                .zip(baseline)
                .map(|(&xi, &bi)| (f64::from(bi) + a * (f64::from(xi) - f64::from(bi))) as f32),
        );
    }
    points.extend_from_slice(x);
    points.extend_from_slice(baseline);
    let (outputs, gradients) = model.evaluate(&points)?;
    check_len("model outputs", steps + 2, outputs.len())?;
    check_len("model gradients", (steps + 2) * width, gradients.len())?;
    finite(&outputs, |i| match i {
        i if i == steps => "the input".to_string(),
        i if i == steps + 1 => "the baseline".to_string(),
        i => format!("α = {:.4}", alphas[i]),
    })?;
    let mut integral = vec![0.0f64; width];
    for (k, w) in weights.iter().enumerate() {
        let g = &gradients[k * width..(k + 1) * width];
        for (acc, gi) in integral.iter_mut().zip(g) {
            *acc += w * f64::from(*gi);
        }
    }
    let attributions: Vec<f64> = integral
        .iter()
        .zip(x.iter().zip(baseline))
        .map(|(i, (&xi, &bi))| (f64::from(xi) - f64::from(bi)) * i)
        .collect();
    let (output, baseline_output) = (outputs[steps], outputs[steps + 1]);
    let delta = attributions.iter().sum::<f64>() - (output - baseline_output);
    Ok(Integrated {
        attributions,
        output,
        baseline_output,
        steps,
        delta,
    })
}

/// When [`integrated_gradients_complete`] accepts the attributions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Completeness {
    /// The rule's points to start with (Captum's default: 50).
    pub start_steps: usize,
    /// The most points to try; the steps double up to it.
    pub max_steps: usize,
    /// Accepted when `|Σ attributions − (F(x) − F(x′))| ≤ tolerance · |F(x) − F(x′)|`, or
    /// within `absolute` (a change of the output too small for a relative test).
    pub tolerance: f64,
    /// See `tolerance`.
    pub absolute: f64,
}

impl Default for Completeness {
    /// 50 steps doubled up to 3,200 until within 1 % (or 1e-6).
    fn default() -> Self {
        Self {
            start_steps: 50,
            max_steps: 3200,
            tolerance: 0.01,
            absolute: 1e-6,
        }
    }
}

impl Completeness {
    /// Whether `ig` passes.
    pub fn holds(&self, ig: &Integrated) -> bool {
        ig.delta.abs() <= self.tolerance * (ig.output - ig.baseline_output).abs()
            || ig.delta.abs() <= self.absolute
    }
}

/// Integrated gradients with the steps doubled from `check.start_steps` until the
/// completeness check holds or `check.max_steps` is reached; returns the last try and whether
/// it held.
///
/// # Errors
/// As [`integrated_gradients`].
pub fn integrated_gradients_complete(
    model: &mut dyn Differentiable,
    x: &[f32],
    baseline: &[f32],
    rule: Rule,
    check: Completeness,
) -> Result<(Integrated, bool)> {
    let mut steps = check.start_steps.max(2);
    loop {
        let ig = integrated_gradients(model, x, baseline, rule, steps)?;
        if check.holds(&ig) {
            return Ok((ig, true));
        }
        if steps >= check.max_steps {
            return Ok((ig, false));
        }
        steps = (steps * 2).min(check.max_steps);
    }
}

/// Gradient × input of every point in `points` (one call of the model): `xᵢ · ∂F/∂xᵢ(x)`
/// per value, point after point; and the outputs.
///
/// # Errors
/// The model's errors; [`ExplainError::NotFinite`].
pub fn gradient_x_input(
    model: &mut dyn Differentiable,
    points: &[f32],
) -> Result<(Vec<f64>, Vec<f64>)> {
    let width = model.width();
    if width == 0 || !points.len().is_multiple_of(width) {
        return Err(ExplainError::Length {
            what: "points",
            expected: width * (points.len() / width.max(1)),
            found: points.len(),
        });
    }
    let (outputs, gradients) = model.evaluate(points)?;
    check_len("model gradients", points.len(), gradients.len())?;
    finite(&outputs, |i| format!("row {i}"))?;
    let attributions = points
        .iter()
        .zip(&gradients)
        .map(|(x, g)| f64::from(*x) * f64::from(*g))
        .collect();
    Ok((attributions, outputs))
}

/// Attributions summed per input feature: `spans` names each feature and the range of values
/// it encodes to (a one-hot category's columns, a number's one column).
pub fn per_feature(attributions: &[f64], spans: &[(String, Range<usize>)]) -> Vec<(String, f64)> {
    spans
        .iter()
        .map(|(name, range)| (name.clone(), attributions[range.clone()].iter().sum()))
        .collect()
}
