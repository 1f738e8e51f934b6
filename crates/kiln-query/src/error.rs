//! [`ParseError`]: why a text is not an expression, with the 1-based byte column and what was
//! expected against what was found; [`EvalError`]: why a row could not be tested.
//!
//! Columns count bytes from 1, so they equal character columns for ASCII text;
//! [`ParseError::render`] aligns its caret by characters.

use std::fmt;

use crate::value::ValueType;

/// What the parser was looking for when it met something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expected {
    /// The start of a predicate: a column name.
    Name,
    /// An operator after a name.
    ComparisonOperator,
    /// A literal after an operator or inside an `IN` list.
    Value,
    /// A quoted string after `LIKE` / `ILIKE`.
    Pattern,
    /// `LIKE`, `ILIKE` or `IN` after a `NOT` that follows a name.
    AfterNot,
    /// `NULL` after `IS` or `IS NOT`.
    Null,
    /// The `(` that opens an `IN` list.
    OpenParen,
    /// `,` or `)` inside an `IN` list.
    CommaOrCloseParen,
    /// `ASC`, `DESC` or the end after an order-by name.
    SortDirection,
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Name => "a name (such as `metrics.acc` or `income`)",
            Self::ComparisonOperator => {
                "a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)"
            }
            Self::Value => "a value (a number, a quoted string, true or false)",
            Self::Pattern => "a quoted pattern",
            Self::AfterNot => "LIKE, ILIKE or IN",
            Self::Null => "NULL",
            Self::OpenParen => "`(`",
            Self::CommaOrCloseParen => "`,` or `)`",
            Self::SortDirection => "ASC, DESC or the end",
        })
    }
}

/// What the parser met instead of what it expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The text ended.
    End,
    /// A token, as written in the text.
    Token(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::End => f.write_str("the end of the text"),
            Self::Token(text) => write!(f, "`{text}`"),
        }
    }
}

/// Why a text is not an expression (or not an order-by clause).
///
/// Every variant but [`ParseError::Empty`] carries `column`: the 1-based byte column of the
/// offending spot ([`ParseError::column`] reads it for any variant).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is empty or only whitespace.
    #[error("empty expression, expected a condition such as `metrics.acc > 0.9`")]
    Empty,

    /// Something else stood where the grammar needed `expected`.
    #[error("expected {expected}{} at column {column}, found {found}", after_text(.after))]
    Expected {
        /// What the grammar needed.
        expected: Expected,
        /// The text of what came just before (a name, an operator), if anything.
        after: Option<String>,
        /// What stood there instead.
        found: Found,
        /// 1-based byte column of `found`.
        column: usize,
    },

    /// A quoted string or name has no closing quote.
    #[error("unterminated {} starting at column {column}, expected a closing {quote}", quote_kind(*.quote))]
    Unterminated {
        /// The quote character: `'`, `"` or `` ` ``.
        quote: char,
        /// 1-based byte column of the opening quote.
        column: usize,
    },

    /// A character that starts no token.
    #[error("unexpected character `{found}` at column {column}")]
    UnexpectedCharacter {
        /// The character.
        found: char,
        /// 1-based byte column of it.
        column: usize,
    },

    /// A `-` or `+` not followed by a number.
    #[error("`{sign}` at column {column} is not followed by a number")]
    LoneSign {
        /// `-` or `+`.
        sign: char,
        /// 1-based byte column of the sign.
        column: usize,
    },

    /// A number that is malformed (`1e`, `5abc`, `1.2.3`) or beyond `f64` (`1e999`).
    #[error("invalid number `{text}` at column {column}")]
    InvalidNumber {
        /// The text of the would-be number.
        text: String,
        /// 1-based byte column where it starts.
        column: usize,
    },

    /// A dotted name with an empty part: `metrics.` or ``metrics.`` ``.
    #[error(
        "empty name segment in `{name}` at column {column}, expected a name part after the dot"
    )]
    EmptyNameSegment {
        /// The name as written up to the empty part.
        name: String,
        /// 1-based byte column of the empty part.
        column: usize,
    },

    /// `IN ()`.
    #[error("empty IN list at column {column}, expected at least one value")]
    EmptyInList {
        /// 1-based byte column of the `(`.
        column: usize,
    },

    /// A `(` without its `)`.
    #[error("unclosed `(` at column {column}, found {found} where `)` was expected")]
    UnclosedParen {
        /// 1-based byte column of the `(`.
        column: usize,
        /// What stood where the `)` should be.
        found: Found,
    },

    /// A `)` without a `(`.
    #[error("unmatched `)` at column {column}")]
    UnmatchedParen {
        /// 1-based byte column of the `)`.
        column: usize,
    },

    /// A complete expression followed by more text.
    #[error(
        "unexpected {found} at column {column} after a complete expression (missing AND or OR?)"
    )]
    TrailingInput {
        /// The first token after the expression.
        found: Found,
        /// 1-based byte column of it.
        column: usize,
    },

    /// Parentheses and `NOT`s nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    #[error("expression nested deeper than {limit} levels at column {column}")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// 1-based byte column of the `(` or `NOT` that went past it.
        column: usize,
    },

    /// More than [`MAX_PREDICATES`](crate::MAX_PREDICATES) conditions.
    #[error("more than {limit} conditions in one expression, at column {column}")]
    TooManyPredicates {
        /// The limit.
        limit: usize,
        /// 1-based byte column of the condition that went past it.
        column: usize,
    },
}

fn after_text(after: &Option<String>) -> String {
    after
        .as_ref()
        .map_or_else(String::new, |after| format!(" after `{after}`"))
}

fn quote_kind(quote: char) -> &'static str {
    if quote == '`' {
        "quoted name"
    } else {
        "string"
    }
}

impl ParseError {
    /// The 1-based byte column the error points at (1 for [`ParseError::Empty`]).
    #[must_use]
    pub fn column(&self) -> usize {
        match self {
            Self::Empty => 1,
            Self::Expected { column, .. }
            | Self::Unterminated { column, .. }
            | Self::UnexpectedCharacter { column, .. }
            | Self::LoneSign { column, .. }
            | Self::InvalidNumber { column, .. }
            | Self::EmptyNameSegment { column, .. }
            | Self::EmptyInList { column }
            | Self::UnclosedParen { column, .. }
            | Self::UnmatchedParen { column }
            | Self::TrailingInput { column, .. }
            | Self::TooDeep { column, .. }
            | Self::TooManyPredicates { column, .. } => *column,
        }
    }

    /// Two lines: the line of `text` holding the error, then a `^` under the error's column.
    ///
    /// `text` must be the text that was parsed. The caret is aligned by characters (tabs are
    /// copied), so it sits right under non-ASCII text too.
    ///
    /// ```
    /// let text = "metrics.acc acc2 > 1";
    /// let err = kiln_query::parse(text).unwrap_err();
    /// assert_eq!(err.render(text), "metrics.acc acc2 > 1\n            ^");
    /// ```
    #[must_use]
    pub fn render(&self, text: &str) -> String {
        let mut offset = (self.column() - 1).min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
        let line_end = text[offset..]
            .find('\n')
            .map_or(text.len(), |at| offset + at);
        let caret: String = text[line_start..offset]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{}\n{caret}^", &text[line_start..line_end])
    }
}

/// Why [`eval`](fn@crate::eval) could not decide a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A column was compared with a literal of another type (`income >= 'abc'`).
    #[error("cannot compare `{name}` ({column_type}) with {literal} ({literal_type})")]
    TypeMismatch {
        /// The column's dotted name.
        name: String,
        /// The type of the row's value.
        column_type: ValueType,
        /// The literal as the expression prints it.
        literal: String,
        /// The type of the literal.
        literal_type: ValueType,
    },

    /// `LIKE` / `ILIKE` on a column that holds no string.
    #[error("`{name}` is {column_type}, but LIKE and ILIKE match strings only")]
    LikeOnNonString {
        /// The column's dotted name.
        name: String,
        /// The type of the row's value.
        column_type: ValueType,
    },
}
