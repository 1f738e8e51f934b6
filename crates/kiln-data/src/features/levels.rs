//! The distinct values of a discrete column (`category`, `binary`, and classification
//! outputs), and the fill of a discrete input's missing values.

use std::collections::BTreeMap;

use kiln_spec::options::DiscreteMissing;

use crate::error::{DataError, Result};
use crate::features::cells::{cell_text, feature_err, first_missing, wrong_type};
use crate::read::format_number;
use crate::table::{Column, ColumnData};

/// Sorted distinct values: numerically when all parse as numbers, else lexicographically.
pub(crate) fn sorted_distinct(values: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut set: Vec<String> = values
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let numeric: Option<Vec<f64>> = set.iter().map(|s| s.trim().parse::<f64>().ok()).collect();
    if let Some(nums) = numeric {
        let mut pairs: Vec<(f64, String)> = nums.into_iter().zip(set).collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
        set = pairs.into_iter().map(|p| p.1).collect();
    }
    set
}

fn most_frequent<'a>(values: impl IntoIterator<Item = &'a String>) -> Option<String> {
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    // BTreeMap order makes ties go to the smallest value.
    let best = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|&(_, c)| c == best)
        .map(|(v, _)| v.clone())
}

/// The text of a category or binary input's `fill` value.
fn json_fill_text(name: &str, fill: Option<&serde_json::Value>) -> Result<String> {
    match fill {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => Ok(format_number(n.as_f64().unwrap_or(f64::NAN))),
        Some(serde_json::Value::Bool(b)) => Ok(b.to_string()),
        _ => Err(feature_err(
            name,
            format!(
                "`missing = \"{}\"` needs a `fill` value",
                DiscreteMissing::Constant
            ),
        )),
    }
}

/// Distinct training values of a text or number column, plus the fill for its policy.
pub(crate) fn fit_levels(
    name: &str,
    missing: DiscreteMissing,
    fill: Option<&serde_json::Value>,
    column: &Column,
    rows: &[usize],
) -> Result<(Vec<String>, Option<String>)> {
    if matches!(column.data, ColumnData::Image(_)) {
        return Err(wrong_type(column, "number or text"));
    }
    let present: Vec<String> = rows
        .iter()
        .filter_map(|&r| cell_text(&column.data, r))
        .collect();
    let fill = match missing {
        DiscreteMissing::Error => {
            if let Some(row) = first_missing(column, rows) {
                return Err(DataError::Missing {
                    column: column.name.clone(),
                    row,
                });
            }
            None
        }
        DiscreteMissing::Mode => most_frequent(&present),
        DiscreteMissing::Constant => Some(json_fill_text(name, fill)?),
    };
    Ok((sorted_distinct(present), fill))
}
