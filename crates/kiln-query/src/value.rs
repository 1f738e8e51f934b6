//! [`Value`]: what a row holds in a column, and [`ValueType`], the kinds of value that
//! [`EvalError`](crate::EvalError) names when a comparison mixes them.

use std::fmt;

/// One cell of a row, as [`Row::get`](crate::Row::get) hands it to [`eval`](fn@crate::eval).
///
/// Owned rather than borrowed: a row may compute its cells on the fly (a metric looked up in a
/// map, a number parsed from CSV), and owning keeps the [`Row`](crate::Row) trait free of
/// lifetimes. A string column therefore clones its text per lookup; filters touch few columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number; NaN compares as unknown, like NULL.
    Number(f64),
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
    /// SQL NULL: present but empty. A missing column counts as NULL too.
    Null,
}

impl Value {
    /// The kind of this value, `None` for [`Value::Null`].
    #[must_use]
    pub fn value_type(&self) -> Option<ValueType> {
        match self {
            Self::Number(_) => Some(ValueType::Number),
            Self::String(_) => Some(ValueType::String),
            Self::Bool(_) => Some(ValueType::Bool),
            Self::Null => None,
        }
    }
}

/// The kind of a non-null value or literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A number.
    Number,
    /// A string.
    String,
    /// A boolean.
    Bool,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Number => "a number",
            Self::String => "a string",
            Self::Bool => "a boolean",
        })
    }
}
