//! The search space: spec paths and the values each may take, read from `[tune.space]`.
//!
//! Every real or integer range has an *internal* form the samplers work in: the log of the
//! value for a log scale, and for an integer or stepped range the grid of allowed values (a
//! discrete range). A choice is an index into its values.

use std::collections::BTreeMap;
use std::fmt;

use kiln_query::{Expr, Name, Row, Value};
use kiln_spec::DimensionSpec;
use serde::{Deserialize, Serialize};

use crate::error::TuneError;

/// One value a trial gives a path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A boolean choice.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A string choice.
    Str(String),
}

impl ParamValue {
    /// The value as TOML text, as a spec override takes it (`0.001`, `64`, `"adam"`).
    pub fn to_toml(&self) -> String {
        match self {
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => toml::Value::Float(*f).to_string(),
            Self::Str(s) => toml::Value::String(s.clone()).to_string(),
        }
    }

    /// The value as a number, when it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn query_value(&self) -> Value {
        match self {
            Self::Bool(b) => Value::Bool(*b),
            Self::Int(i) => Value::Number(*i as f64),
            Self::Float(f) => Value::Number(*f),
            Self::Str(s) => Value::String(s.clone()),
        }
    }

    /// A TOML number, string or boolean as a value.
    pub fn from_toml(value: &toml::Value) -> Option<Self> {
        match value {
            toml::Value::Boolean(b) => Some(Self::Bool(*b)),
            toml::Value::Integer(i) => Some(Self::Int(*i)),
            toml::Value::Float(f) => Some(Self::Float(*f)),
            toml::Value::String(s) => Some(Self::Str(s.clone())),
            _ => None,
        }
    }

    /// Reads override text (`0.01`, `64`, `adam`, `"adam"`, `true`).
    pub fn parse(text: &str) -> Self {
        let text = text.trim();
        match format!("v = {text}").parse::<toml::Table>() {
            Ok(t) => t
                .get("v")
                .and_then(Self::from_toml)
                .unwrap_or_else(|| Self::Str(text.to_string())),
            Err(_) => Self::Str(text.to_string()),
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Float(x) => write!(f, "{x}"),
            Self::Str(s) => f.write_str(s),
        }
    }
}

/// A trial's values, by spec path.
pub type Params = BTreeMap<String, ParamValue>;

/// The values one path may take.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// A real number in `[low, high]`, on a log scale when `log`, on a grid of `step` when
    /// given.
    Float {
        /// Lowest value.
        low: f64,
        /// Highest value.
        high: f64,
        /// Searched on a log scale.
        log: bool,
        /// Spacing of the allowed values.
        step: Option<f64>,
    },
    /// An integer in `[low, high]` (both included), spaced by `step`.
    Int {
        /// Lowest value.
        low: i64,
        /// Highest value.
        high: i64,
        /// Searched on a log scale.
        log: bool,
        /// Spacing of the allowed values.
        step: i64,
    },
    /// One of a list of values.
    Choice(Vec<ParamValue>),
}

/// The internal (sampler) form of a numeric range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numeric {
    /// Lowest internal value.
    pub low: f64,
    /// Highest internal value.
    pub high: f64,
    /// Spacing of the internal values, `None` for a continuous range.
    pub step: Option<f64>,
}

impl Distribution {
    /// The internal form of a numeric range; `None` for a choice.
    ///
    /// A log-scaled integer is continuous over `[ln(low − ½), ln(high + ½)]` and rounded, as
    /// Optuna does; a linear integer or stepped real is the discrete grid `low, low + step, …`.
    pub fn numeric(&self) -> Option<Numeric> {
        match *self {
            Self::Float {
                low,
                high,
                log: true,
                ..
            } => Some(Numeric {
                low: low.ln(),
                high: high.ln(),
                step: None,
            }),
            Self::Float {
                low, high, step, ..
            } => Some(Numeric { low, high, step }),
            Self::Int {
                low,
                high,
                log: true,
                ..
            } => Some(Numeric {
                low: (low as f64 - 0.5).ln(),
                high: (high as f64 + 0.5).ln(),
                step: None,
            }),
            Self::Int {
                low, high, step, ..
            } => Some(Numeric {
                low: low as f64,
                high: (low + (high - low) / step * step) as f64,
                step: Some(step as f64),
            }),
            Self::Choice(_) => None,
        }
    }

    /// The value an internal number stands for (rounded onto the range's grid).
    pub fn from_internal(&self, x: f64) -> ParamValue {
        match *self {
            Self::Float {
                low,
                high,
                log,
                step,
            } => {
                let mut v = if log { x.exp() } else { x };
                if let Some(step) = step {
                    v = low + ((v - low) / step).round() * step;
                }
                ParamValue::Float(v.clamp(low, high))
            }
            Self::Int {
                low,
                high,
                log,
                step,
            } => {
                let v = if log { x.exp() } else { x };
                let v = if v.is_nan() {
                    low as f64
                } else {
                    v.clamp(low as f64, high as f64)
                };
                let k = ((v - low as f64) / step as f64).round() as i64;
                ParamValue::Int((low + k * step).clamp(low, high))
            }
            Self::Choice(ref choices) => {
                let i = (x.round().max(0.0) as usize).min(choices.len() - 1);
                choices[i].clone()
            }
        }
    }

    /// The internal number of a value: its log, its own value, or a choice's index. `None`
    /// when the value is not one this distribution gives.
    pub fn to_internal(&self, value: &ParamValue) -> Option<f64> {
        match self {
            Self::Float { low, high, log, .. } => {
                let v = value.as_f64()?;
                if v < *low - 1e-12 * low.abs().max(1.0) || v > *high + 1e-12 * high.abs().max(1.0)
                {
                    return None;
                }
                Some(if *log { v.ln() } else { v })
            }
            Self::Int { low, high, log, .. } => {
                let ParamValue::Int(v) = value else {
                    return None;
                };
                if v < low || v > high {
                    return None;
                }
                Some(if *log { (*v as f64).ln() } else { *v as f64 })
            }
            Self::Choice(choices) => choices.iter().position(|c| c == value).map(|i| i as f64),
        }
    }

    /// Every value for the grid sampler: choices, an integer range's integers (spaced by
    /// `step`), or `points` evenly spaced reals (on the log scale when `log`).
    pub fn grid(&self, points: Option<usize>) -> Vec<ParamValue> {
        match self {
            Self::Choice(c) => c.clone(),
            Self::Int {
                low, high, step, ..
            } => (0..=(high - low) / step)
                .map(|k| ParamValue::Int(low + k * step))
                .collect(),
            Self::Float { .. } => {
                let n = points.unwrap_or(0);
                let Some(Numeric { low, high, step }) = self.numeric() else {
                    return Vec::new();
                };
                match step {
                    Some(step) => {
                        let count = ((high - low) / step).round() as usize + 1;
                        (0..count)
                            .map(|k| self.from_internal(low + k as f64 * step))
                            .collect()
                    }
                    None if n == 1 => vec![self.from_internal(0.5 * (low + high))],
                    None => (0..n)
                        .map(|k| self.from_internal(low + (high - low) * k as f64 / (n - 1) as f64))
                        .collect(),
                }
            }
        }
    }
}

/// One searched path.
#[derive(Debug, Clone)]
pub struct Dimension {
    /// The spec path (`training.optimizer.learning_rate`, `layers.1.units`).
    pub path: String,
    /// Its values.
    pub distribution: Distribution,
    /// Searched only when this holds over the values chosen before it (text, parsed).
    pub when: Option<(String, Expr)>,
    /// Grid points for a real range (grid sampler).
    pub grid: Option<usize>,
}

/// The whole space, in sampling order: a conditional path comes after the paths its
/// condition reads.
#[derive(Debug, Clone, Default)]
pub struct Space {
    /// The paths.
    pub dimensions: Vec<Dimension>,
}

/// Params seen as a row of the condition language: `training.optimizer.type` reads that
/// path's value.
struct ParamRow<'a>(&'a Params);

impl Row for ParamRow<'_> {
    fn get(&self, name: &Name) -> Option<Value> {
        self.0.get(&name.dotted()).map(ParamValue::query_value)
    }
}

impl Space {
    /// Reads `[tune.space]`, checking every entry; errors name the path.
    ///
    /// # Errors
    ///
    /// [`TuneError::Dimension`]: not exactly one of `uniform`/`log_uniform`/`int`/`choice`,
    /// a range that is not `[low, high]` with `low < high` (and `low > 0` on a log scale), a
    /// step that does not fit, an empty choice, a condition that does not parse or reads a
    /// path that is not searched.
    pub fn from_spec(space: &BTreeMap<String, DimensionSpec>) -> Result<Self, TuneError> {
        let mut dims = Vec::new();
        for (path, spec) in space {
            dims.push(dimension(path, spec)?);
        }
        // Order: unconditional first (by path), then conditional ones once what they read is
        // placed; a condition on something never placed is an error.
        let mut placed: Vec<Dimension> = Vec::new();
        let mut pending: Vec<Dimension> = Vec::new();
        for d in dims {
            if d.when.is_none() {
                placed.push(d);
            } else {
                pending.push(d);
            }
        }
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for d in pending {
                let reads = condition_paths(&d);
                if reads.iter().all(|r| placed.iter().any(|p| &p.path == r)) {
                    placed.push(d);
                } else {
                    rest.push(d);
                }
            }
            if rest.len() == before {
                let d = &rest[0];
                let missing = condition_paths(d)
                    .into_iter()
                    .find(|r| !placed.iter().any(|p| &p.path == r))
                    .unwrap_or_default();
                let reason = if rest.iter().any(|o| o.path == missing) {
                    format!(
                        "`when` reads `{missing}`, whose own condition depends back on this path"
                    )
                } else {
                    format!(
                        "`when` reads `{missing}`, which is not in [tune.space] (a condition reads other searched paths)"
                    )
                };
                return Err(TuneError::Dimension {
                    path: d.path.clone(),
                    reason,
                });
            }
            pending = rest;
        }
        Ok(Self { dimensions: placed })
    }

    /// Whether dimension `i` is searched given the values chosen so far.
    pub fn active(&self, i: usize, params: &Params) -> bool {
        match &self.dimensions[i].when {
            None => true,
            Some((_, expr)) => kiln_query::eval(expr, &ParamRow(params)).unwrap_or(false),
        }
    }

    /// The dimension searching `path`.
    pub fn get(&self, path: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.path == path)
    }

    /// Checks that `params` fit the space: every value one its path allows, every path
    /// searched. Paths left out are allowed (the sampler fills them).
    ///
    /// # Errors
    ///
    /// A message naming the path and what it allows.
    pub fn check_params(&self, params: &Params) -> Result<(), String> {
        for (path, value) in params {
            let Some(d) = self.get(path) else {
                return Err(format!("`{path}` is not in [tune.space]"));
            };
            if d.distribution.to_internal(value).is_none() {
                return Err(format!(
                    "`{path}` = {value} is outside what [tune.space] allows ({})",
                    describe(&d.distribution)
                ));
            }
        }
        Ok(())
    }
}

/// A short description of a distribution for messages.
pub fn describe(d: &Distribution) -> String {
    match d {
        Distribution::Float { low, high, log, .. } => format!(
            "{} [{low}, {high}]",
            if *log { "log_uniform" } else { "uniform" }
        ),
        Distribution::Int { low, high, .. } => format!("int [{low}, {high}]"),
        Distribution::Choice(c) => format!(
            "choice [{}]",
            c.iter()
                .map(ParamValue::to_toml)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn condition_paths(d: &Dimension) -> Vec<String> {
    d.when
        .as_ref()
        .map(|(_, e)| e.names().iter().map(|n| n.dotted()).collect())
        .unwrap_or_default()
}

fn dimension(path: &str, spec: &DimensionSpec) -> Result<Dimension, TuneError> {
    let err = |reason: String| TuneError::Dimension {
        path: path.to_string(),
        reason,
    };
    let given: Vec<&str> = [
        ("uniform", spec.uniform.is_some()),
        ("log_uniform", spec.log_uniform.is_some()),
        ("int", spec.int.is_some()),
        ("choice", spec.choice.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, on)| on.then_some(k))
    .collect();
    if given.len() != 1 {
        return Err(err(format!(
            "expected exactly one of uniform, log_uniform, int, choice; found {}",
            if given.is_empty() {
                "none".to_string()
            } else {
                given.join(" and ")
            }
        )));
    }
    let pair = |key: &str, v: &[f64]| -> Result<(f64, f64), TuneError> {
        match v {
            [lo, hi] if lo.is_finite() && hi.is_finite() && lo < hi => Ok((*lo, *hi)),
            [lo, hi] => Err(err(format!(
                "{key} = [{lo}, {hi}]: expected [low, high] with low < high"
            ))),
            _ => Err(err(format!(
                "{key}: expected [low, high], found {} values",
                v.len()
            ))),
        }
    };
    let distribution = if let Some(v) = &spec.uniform {
        let (low, high) = pair("uniform", v)?;
        if spec.log && low <= 0.0 {
            return Err(err(format!("a log scale needs low > 0, found low = {low}")));
        }
        if let Some(step) = spec.step {
            let n = (high - low) / step;
            if step <= 0.0 || (n - n.round()).abs() > 1e-9 * n.abs().max(1.0) {
                return Err(err(format!(
                    "step = {step} must be positive and divide high − low = {}",
                    high - low
                )));
            }
            if spec.log {
                return Err(err("step and log cannot be combined".into()));
            }
        }
        Distribution::Float {
            low,
            high,
            log: spec.log,
            step: spec.step,
        }
    } else if let Some(v) = &spec.log_uniform {
        let (low, high) = pair("log_uniform", v)?;
        if low <= 0.0 {
            return Err(err(format!("log_uniform needs low > 0, found low = {low}")));
        }
        if spec.step.is_some() {
            return Err(err("step and log_uniform cannot be combined".into()));
        }
        Distribution::Float {
            low,
            high,
            log: true,
            step: None,
        }
    } else if let Some(v) = &spec.int {
        let (low, high) = match v.as_slice() {
            [lo, hi] if lo < hi => (*lo, *hi),
            _ => {
                return Err(err(format!(
                    "int = {v:?}: expected [low, high] with low < high"
                )));
            }
        };
        let step = match spec.step {
            None => 1,
            Some(s) if s >= 1.0 && s.fract() == 0.0 => s as i64,
            Some(s) => return Err(err(format!("int step = {s}: expected a positive integer"))),
        };
        if spec.log && low <= 0 {
            return Err(err(format!("a log scale needs low > 0, found low = {low}")));
        }
        if spec.log && step != 1 {
            return Err(err("step and log cannot be combined".into()));
        }
        Distribution::Int {
            low,
            high,
            log: spec.log,
            step,
        }
    } else {
        let raw = spec.choice.as_deref().unwrap_or_default();
        if raw.is_empty() {
            return Err(err("choice is empty: expected at least one value".into()));
        }
        let mut values = Vec::new();
        for v in raw {
            let value = ParamValue::from_toml(v).ok_or_else(|| {
                err(format!(
                    "choice values must be numbers, strings or booleans, found {v}"
                ))
            })?;
            if values.contains(&value) {
                return Err(err(format!("choice lists {value} twice")));
            }
            values.push(value);
        }
        if spec.log || spec.step.is_some() {
            return Err(err("log and step do not apply to a choice".into()));
        }
        Distribution::Choice(values)
    };
    let when = match &spec.when {
        None => None,
        Some(text) => {
            let expr = kiln_query::parse(text)
                .map_err(|e| err(format!("`when` does not parse:\n{}", e.render(text))))?;
            if expr.names().iter().any(|n| n.dotted() == path) {
                return Err(err("`when` cannot read the path it conditions".into()));
            }
            Some((text.clone(), expr))
        }
    };
    if let (Some(g), Distribution::Float { step: None, .. }) = (spec.grid, &distribution)
        && g == 0
    {
        return Err(err("grid = 0: expected at least 1 point".into()));
    }
    Ok(Dimension {
        path: path.to_string(),
        distribution,
        when,
        grid: spec.grid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space(text: &str) -> Result<Space, TuneError> {
        let t: BTreeMap<String, DimensionSpec> = toml::from_str(text).unwrap();
        Space::from_spec(&t)
    }

    #[test]
    fn internal_forms_round_trip() {
        let s = space(
            r#""lr" = { log_uniform = [1e-4, 1e-1] }
"units" = { int = [32, 512], log = true }
"rate" = { uniform = [0.0, 0.5] }
"batch" = { choice = [32, 64, 128] }
"k" = { int = [1, 9], step = 2 }"#,
        )
        .unwrap();
        let lr = &s.get("lr").unwrap().distribution;
        let n = lr.numeric().unwrap();
        assert!((n.low - 1e-4f64.ln()).abs() < 1e-12 && n.step.is_none());
        let back = lr.from_internal(0.01f64.ln()).as_f64().unwrap();
        assert!((back - 0.01).abs() < 1e-15, "{back}");
        let units = &s.get("units").unwrap().distribution;
        assert_eq!(units.from_internal(100f64.ln()), ParamValue::Int(100));
        assert_eq!(units.from_internal(1e9), ParamValue::Int(512));
        let k = &s.get("k").unwrap().distribution;
        assert_eq!(k.numeric().unwrap().step, Some(2.0));
        assert_eq!(k.from_internal(4.2), ParamValue::Int(5));
        assert_eq!(k.grid(None).len(), 5);
        let batch = &s.get("batch").unwrap().distribution;
        assert_eq!(batch.to_internal(&ParamValue::Int(64)), Some(1.0));
        assert_eq!(batch.to_internal(&ParamValue::Int(65)), None);
    }

    #[test]
    fn bad_entries_name_the_path() {
        let e = |t: &str| space(t).unwrap_err().to_string();
        assert_eq!(
            e(r#""a.b" = { uniform = [1.0, 0.5] }"#),
            "tune.space.\"a.b\": uniform = [1, 0.5]: expected [low, high] with low < high"
        );
        assert_eq!(
            e(r#""x" = { log_uniform = [0.0, 1.0] }"#),
            "tune.space.\"x\": log_uniform needs low > 0, found low = 0"
        );
        assert_eq!(
            e(r#""x" = { uniform = [0.0, 1.0], choice = [1] }"#),
            "tune.space.\"x\": expected exactly one of uniform, log_uniform, int, choice; found uniform and choice"
        );
        assert!(e(r#""x" = { int = [1, 2], when = "y = 'a'" }"#).contains("`when` reads `y`"));
        assert!(e(r#""x" = { choice = [] }"#).contains("choice is empty"));
    }

    #[test]
    fn conditions_order_and_gate_dimensions() {
        let s = space(
            r#""m" = { uniform = [0.0, 0.9], when = "opt = 'sgd'" }
"opt" = { choice = ["sgd", "adam"] }"#,
        )
        .unwrap();
        assert_eq!(s.dimensions[0].path, "opt");
        let mut p = Params::new();
        p.insert("opt".into(), ParamValue::Str("adam".into()));
        assert!(!s.active(1, &p));
        p.insert("opt".into(), ParamValue::Str("sgd".into()));
        assert!(s.active(1, &p));
    }

    #[test]
    fn override_text_parses_back() {
        for v in [
            ParamValue::Float(0.001),
            ParamValue::Int(64),
            ParamValue::Str("adam".into()),
            ParamValue::Bool(true),
            ParamValue::Float(1.0),
        ] {
            assert_eq!(ParamValue::parse(&v.to_toml()), v);
        }
        assert_eq!(ParamValue::parse("adam"), ParamValue::Str("adam".into()));
    }
}
