//! `category` inputs: one-hot over the values seen in training, plus a last "unknown" slot for
//! the others (reported in a warning); width `vocabulary + 1`.

use std::collections::HashMap;

use kiln_spec::settings::CategoryInput;

use crate::error::{DataError, Result};
use crate::features::cells::{cell_text, wrong_type};
use crate::features::encoded::Slots;
use crate::features::input::FittedInput;
use crate::features::levels::fit_levels;
use crate::table::{Column, ColumnData};
use crate::warning::Warning;

/// Fits a category input on the rows `rows` of its column: its values, sorted, and the fill of
/// missing values.
pub(crate) fn fit(spec: &CategoryInput, column: &Column, rows: &[usize]) -> Result<FittedInput> {
    let (vocabulary, fill) =
        fit_levels(&spec.name, spec.missing, spec.fill.as_ref(), column, rows)?;
    Ok(FittedInput::Category {
        name: spec.name.clone(),
        vocabulary,
        fill,
    })
}

/// Sets each row's slot of its value (the last slot for a value not seen in training, counted
/// in one warning for the column).
pub(crate) fn encode(
    vocabulary: &[String],
    fill: Option<&str>,
    column: &Column,
    slots: &mut Slots<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    if matches!(column.data, ColumnData::Image(_)) {
        return Err(wrong_type(column, "number or text"));
    }
    let index: HashMap<&str, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, v)| (v.as_str(), i))
        .collect();
    let mut unknown = 0usize;
    let mut example = None;
    for r in 0..column.data.len() {
        let v = match cell_text(&column.data, r) {
            Some(v) => v,
            None => fill.map(str::to_string).ok_or_else(|| DataError::Missing {
                column: column.name.clone(),
                row: r,
            })?,
        };
        let slot = index.get(v.as_str()).copied().unwrap_or_else(|| {
            unknown += 1;
            example.get_or_insert(v);
            vocabulary.len()
        });
        slots.set(r, slot, 1.0);
    }
    if unknown > 0 {
        warnings.push(Warning {
            column: column.name.clone(),
            message: format!(
                "{unknown} row{} with categories not seen in training (e.g. `{}`) went to the unknown bucket",
                if unknown == 1 { "" } else { "s" },
                example.unwrap_or_default()
            ),
        });
    }
    Ok(())
}
