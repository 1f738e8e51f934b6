//! `binary` inputs: two values, encoded 1.0 (`positive`) and 0.0 (`negative`); a recognised
//! true/false pair is ordered false first, any other pair sorted. Width 1.

use kiln_spec::settings::BinaryInput;

use crate::error::{DataError, Result};
use crate::features::cells::{cell_text, feature_err, wrong_type};
use crate::features::encoded::Slots;
use crate::features::input::FittedInput;
use crate::features::levels::fit_levels;
use crate::table::{Column, ColumnData};

/// Fits a binary input on the rows `rows` of its column: its two values and the fill of
/// missing values.
pub(crate) fn fit(spec: &BinaryInput, column: &Column, rows: &[usize]) -> Result<FittedInput> {
    let (levels, fill) = fit_levels(&spec.name, spec.missing, spec.fill.as_ref(), column, rows)?;
    let [negative, positive] = binary_pair(&spec.name, levels)?;
    Ok(FittedInput::Binary {
        name: spec.name.clone(),
        positive,
        negative,
        fill,
    })
}

/// Writes 1.0 or 0.0 for each row into slot 0; a value that is neither of the two is an error.
pub(crate) fn encode(
    positive: &str,
    negative: &str,
    fill: Option<&str>,
    column: &Column,
    slots: &mut Slots<'_>,
) -> Result<()> {
    if matches!(column.data, ColumnData::Image(_)) {
        return Err(wrong_type(column, "number or text"));
    }
    for r in 0..column.data.len() {
        let v = match cell_text(&column.data, r) {
            Some(v) => v,
            None => fill.map(str::to_string).ok_or_else(|| DataError::Missing {
                column: column.name.clone(),
                row: r,
            })?,
        };
        let same = |a: &str| a.trim().eq_ignore_ascii_case(v.trim());
        let value = if same(positive) {
            1.0
        } else if same(negative) {
            0.0
        } else {
            return Err(feature_err(
                &column.name,
                format!("row {r}: value `{v}` is neither `{positive}` nor `{negative}`"),
            ));
        };
        slots.set(r, 0, value);
    }
    Ok(())
}

/// Words that mean "yes" / "no" in a binary column, lowercase.
const TRUTHY: [&str; 5] = ["1", "true", "yes", "y", "t"];
const FALSY: [&str; 5] = ["0", "false", "no", "n", "f"];

/// Orders two values as `[negative, positive]`: a recognised false/true pair, else sorted.
pub(crate) fn binary_pair(feature: &str, mut levels: Vec<String>) -> Result<[String; 2]> {
    let is = |s: &str, words: &[&str]| words.contains(&s.trim().to_ascii_lowercase().as_str());
    match levels.len() {
        2 => {
            if is(&levels[0], &TRUTHY) && is(&levels[1], &FALSY) {
                levels.swap(0, 1);
            }
            let [a, b]: [String; 2] = levels.try_into().expect("two levels");
            Ok([a, b])
        }
        // One value seen in training: complete a recognisable pair, else there is nothing to learn.
        1 => {
            let v = levels.pop().expect("one level");
            let lower = v.trim().to_ascii_lowercase();
            if let Some(i) = TRUTHY.iter().position(|t| *t == lower) {
                Ok([FALSY[i].to_string(), v])
            } else if let Some(i) = FALSY.iter().position(|f| *f == lower) {
                Ok([v, TRUTHY[i].to_string()])
            } else {
                Err(feature_err(
                    feature,
                    format!("a binary feature needs two values, the training rows only have `{v}`"),
                ))
            }
        }
        0 => Err(feature_err(feature, "no values in the training rows")),
        n => Err(feature_err(
            feature,
            format!(
                "a binary feature needs two values, found {n}: {}; use type = \"category\"",
                levels
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
