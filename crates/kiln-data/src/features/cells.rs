//! Reading a column's cells, and the errors every input kind reports about a column.

use crate::error::DataError;
use crate::read::format_number;
use crate::table::{Column, ColumnData};

/// A [`DataError::Feature`] about input `feature`.
pub(crate) fn feature_err(feature: &str, message: impl Into<String>) -> DataError {
    DataError::Feature {
        feature: feature.to_string(),
        message: message.into(),
    }
}

/// A column of another kind than the input needs.
pub(crate) fn wrong_type(column: &Column, expected: &str) -> DataError {
    DataError::WrongType {
        column: column.name.clone(),
        expected: expected.to_string(),
        found: column.data.kind_name().to_string(),
    }
}

/// The first of `rows` whose cell is missing.
pub(crate) fn first_missing(column: &Column, rows: &[usize]) -> Option<usize> {
    rows.iter().copied().find(|&r| column.data.is_missing(r))
}

/// Text view of a number or text cell; `None` when missing.
pub(crate) fn cell_text(data: &ColumnData, row: usize) -> Option<String> {
    match data {
        ColumnData::Number(v) => (!v[row].is_nan()).then(|| format_number(v[row])),
        ColumnData::Text(v) => v[row].clone(),
        ColumnData::Bytes(v) => v[row]
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        ColumnData::Image(_) => None,
    }
}
