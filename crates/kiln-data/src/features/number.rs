//! `number` inputs: a fill for missing values (mean, median, mode or a constant) and a scaling
//! (standardise, min-max or none), both fitted on the training rows; width 1.

use std::collections::HashMap;

use kiln_spec::options::{self, NumberMissing};
use kiln_spec::settings::NumberInput;

use crate::error::{DataError, Result};
use crate::features::cells::{feature_err, first_missing, wrong_type};
use crate::features::encoded::Slots;
use crate::features::input::{FittedInput, NumberTransform};
use crate::table::{Column, ColumnData};

/// Fits a number input on the rows `rows` of its column: the fill of missing values, then the
/// scaling of the filled values.
pub(crate) fn fit(spec: &NumberInput, column: &Column, rows: &[usize]) -> Result<FittedInput> {
    let ColumnData::Number(values) = &column.data else {
        return Err(wrong_type(column, "number"));
    };
    let present: Vec<f64> = rows
        .iter()
        .map(|&r| values[r])
        .filter(|v| !v.is_nan())
        .collect();
    let fill = match spec.missing {
        NumberMissing::Error => {
            if let Some(row) = first_missing(column, rows) {
                return Err(DataError::Missing {
                    column: column.name.clone(),
                    row,
                });
            }
            None
        }
        NumberMissing::Mean => Some(mean(&present)),
        NumberMissing::Median => Some(median(&present)),
        NumberMissing::Mode => {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for v in &present {
                *counts.entry(v.to_bits()).or_default() += 1;
            }
            let best = counts.values().copied().max().unwrap_or(0);
            present
                .iter()
                .copied()
                .filter(|v| counts[&v.to_bits()] == best)
                .min_by(f64::total_cmp)
        }
        NumberMissing::Constant => match &spec.fill {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .map(Some)
        .ok_or_else(|| {
            feature_err(
                &spec.name,
                format!(
                    "`missing = \"{}\"` needs a numeric `fill` value",
                    NumberMissing::Constant
                ),
            )
        })?,
    };
    if present.is_empty() && spec.missing != NumberMissing::Constant {
        return Err(feature_err(&spec.name, "no values in the training rows"));
    }
    let filled: Vec<f64> = rows
        .iter()
        .map(|&r| {
            let v = values[r];
            if v.is_nan() { fill.unwrap_or(v) } else { v }
        })
        .collect();
    let transform = match spec.transform {
        options::NumberTransform::Standardize => {
            let m = mean(&filled);
            NumberTransform::Standardize {
                mean: m,
                std: nonzero(std(&filled, m)),
            }
        }
        options::NumberTransform::MinMax => NumberTransform::MinMax {
            min: filled.iter().copied().fold(f64::INFINITY, f64::min),
            max: filled.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        },
        options::NumberTransform::None => NumberTransform::None,
    };
    Ok(FittedInput::Number {
        name: spec.name.clone(),
        transform,
        fill,
    })
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

pub(crate) fn std(v: &[f64], mean: f64) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    }
}

pub(crate) fn nonzero(s: f64) -> f64 {
    if s > 0.0 && s.is_finite() { s } else { 1.0 }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// Writes each row's scaled value (its fill when missing) into slot 0.
pub(crate) fn encode(
    transform: &NumberTransform,
    fill: Option<f64>,
    column: &Column,
    slots: &mut Slots<'_>,
) -> Result<()> {
    let ColumnData::Number(values) = &column.data else {
        return Err(wrong_type(column, "number"));
    };
    for (r, &v) in values.iter().enumerate() {
        let v = if v.is_nan() {
            fill.ok_or_else(|| DataError::Missing {
                column: column.name.clone(),
                row: r,
            })?
        } else {
            v
        };
        slots.set(r, 0, transform.apply(v) as f32);
    }
    Ok(())
}
