//! Evaluation of an [`Expr`] against one [`Row`], with SQL's three-valued logic, and [`like`],
//! the `LIKE` matcher.

use std::collections::HashMap;

use crate::ast::{Expr, Literal, Name, Op};
use crate::error::EvalError;
use crate::value::{Value, ValueType};

/// A record that an expression can read columns of.
pub trait Row {
    /// The value of the column `name`, `None` when the row has no such column (which
    /// evaluates like [`Value::Null`]).
    fn get(&self, name: &Name) -> Option<Value>;
}

/// Columns keyed by their [`Name::dotted`] form (`"metrics.acc"`).
impl Row for HashMap<String, Value> {
    fn get(&self, name: &Name) -> Option<Value> {
        HashMap::get(self, &name.dotted()).cloned()
    }
}

/// SQL's three truth values: a comparison with NULL is neither true nor false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

impl Truth {
    fn from_bool(value: bool) -> Self {
        if value { Self::True } else { Self::False }
    }

    fn not(self) -> Self {
        match self {
            Self::True => Self::False,
            Self::False => Self::True,
            Self::Unknown => Self::Unknown,
        }
    }

    fn and(self, other: Self) -> Self {
        match (self, other) {
            (Self::False, _) | (_, Self::False) => Self::False,
            (Self::True, Self::True) => Self::True,
            _ => Self::Unknown,
        }
    }

    fn or(self, other: Self) -> Self {
        match (self, other) {
            (Self::True, _) | (_, Self::True) => Self::True,
            (Self::False, Self::False) => Self::False,
            _ => Self::Unknown,
        }
    }
}

/// Whether `row` matches `expr`: true only when the expression is TRUE under SQL's
/// three-valued logic.
///
/// A missing column or [`Value::Null`] makes every comparison, `LIKE` and `IN` on it unknown
/// (so `x != 1` does not match a row without `x`); `NOT` keeps unknown unknown; `AND` is false
/// if either side is false, `OR` true if either side is true. Only `IS [NOT] NULL` tests for
/// NULL. A NaN number compares as unknown. Numbers, strings and booleans each compare within
/// their own type (strings byte-wise, `false < true`).
///
/// Both sides of `AND` / `OR` are always evaluated, so a type error surfaces whatever the
/// other side holds.
///
/// # Errors
///
/// [`EvalError::TypeMismatch`] when a non-null value and a literal differ in type
/// (`income >= 'abc'` on a number column), [`EvalError::LikeOnNonString`] for `LIKE` on a
/// non-string value.
///
/// ```
/// use std::collections::HashMap;
/// use kiln_query::{Value, eval, parse};
///
/// let row = HashMap::from([("income".to_string(), Value::Number(120_000.0))]);
/// assert!(eval(&parse("income >= 100000")?, &row)?);
/// assert!(!eval(&parse("age > 30")?, &row)?); // no `age`: unknown, so no match
/// assert!(eval(&parse("income >= 'abc'")?, &row).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn eval(expr: &Expr, row: &impl Row) -> Result<bool, EvalError> {
    Ok(truth(expr, row)? == Truth::True)
}

fn truth(expr: &Expr, row: &impl Row) -> Result<Truth, EvalError> {
    Ok(match expr {
        Expr::And(left, right) => truth(left, row)?.and(truth(right, row)?),
        Expr::Or(left, right) => truth(left, row)?.or(truth(right, row)?),
        Expr::Not(inner) => truth(inner, row)?.not(),
        Expr::Compare { name, op, value } => compare(name, *op, value, row)?,
        Expr::In {
            name,
            negated,
            values,
        } => {
            let cell = row.get(name).unwrap_or(Value::Null);
            let mut result = Truth::False;
            for literal in values {
                result = result.or(equal(name, &cell, literal)?);
            }
            if *negated { result.not() } else { result }
        }
        Expr::IsNull { name, negated } => {
            let is_null = matches!(row.get(name), None | Some(Value::Null));
            Truth::from_bool(is_null != *negated)
        }
    })
}

fn literal_type(literal: &Literal) -> ValueType {
    match literal {
        Literal::Number(_) => ValueType::Number,
        Literal::String(_) => ValueType::String,
        Literal::Bool(_) => ValueType::Bool,
    }
}

fn mismatch(name: &Name, column_type: ValueType, literal: &Literal) -> EvalError {
    EvalError::TypeMismatch {
        name: name.dotted(),
        column_type,
        literal: literal.to_string(),
        literal_type: literal_type(literal),
    }
}

/// Orders a cell against a literal of the same type; `None` when unordered (NaN).
fn order(
    name: &Name,
    cell: &Value,
    literal: &Literal,
) -> Result<Option<std::cmp::Ordering>, EvalError> {
    match (cell, literal) {
        (Value::Number(a), Literal::Number(b)) => Ok(a.partial_cmp(b)),
        (Value::String(a), Literal::String(b)) => Ok(Some(a.as_str().cmp(b.as_str()))),
        (Value::Bool(a), Literal::Bool(b)) => Ok(Some(a.cmp(b))),
        (Value::Null, _) => Ok(None),
        (cell, literal) => {
            let column_type = cell.value_type().unwrap_or(ValueType::String);
            Err(mismatch(name, column_type, literal))
        }
    }
}

fn equal(name: &Name, cell: &Value, literal: &Literal) -> Result<Truth, EvalError> {
    Ok(order(name, cell, literal)?.map_or(Truth::Unknown, |o| Truth::from_bool(o.is_eq())))
}

fn compare(name: &Name, op: Op, literal: &Literal, row: &impl Row) -> Result<Truth, EvalError> {
    let cell = row.get(name).unwrap_or(Value::Null);
    let (case_insensitive, negated) = match op {
        Op::Like => (false, false),
        Op::ILike => (true, false),
        Op::NotLike => (false, true),
        Op::NotILike => (true, true),
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let Some(ordering) = order(name, &cell, literal)? else {
                return Ok(Truth::Unknown);
            };
            return Ok(Truth::from_bool(match op {
                Op::Eq => ordering.is_eq(),
                Op::Ne => ordering.is_ne(),
                Op::Lt => ordering.is_lt(),
                Op::Le => ordering.is_le(),
                Op::Gt => ordering.is_gt(),
                _ => ordering.is_ge(),
            }));
        }
    };
    let text = match cell {
        Value::Null => return Ok(Truth::Unknown),
        Value::String(text) => text,
        other => {
            return Err(EvalError::LikeOnNonString {
                name: name.dotted(),
                column_type: other.value_type().unwrap_or(ValueType::Number),
            });
        }
    };
    let Literal::String(pattern) = literal else {
        return Err(mismatch(name, ValueType::String, literal));
    };
    Ok(Truth::from_bool(
        like(pattern, &text, case_insensitive) != negated,
    ))
}

/// SQL `LIKE`: `%` matches any run of characters (the empty one too), `_` exactly one
/// character, anything else itself. The whole text must match.
///
/// There is no escape character (MLflow's grammar has none), so a pattern cannot match a
/// literal `%` or `_` only; `'50%'` matches `"50%"` and `"500"` alike. `case_insensitive`
/// compares the Unicode lower-case forms of both sides (`ILIKE`).
///
/// Runs in O(pattern × text) at worst, without recursion.
///
/// ```
/// use kiln_query::like;
///
/// assert!(like("my%", "my_run", false));
/// assert!(like("r_n", "run", false));
/// assert!(!like("RUN", "run", false));
/// assert!(like("RUN", "run", true));
/// ```
#[must_use]
pub fn like(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let (mut p, mut t) = (0, 0);
    // The last `%` seen, and the text position its current attempt starts at.
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '_' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                // Let the last `%` swallow one more character and retry.
                Some((star, start)) => {
                    backtrack = Some((star, start + 1));
                    p = star + 1;
                    t = start + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '%')
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{eval, like};
    use crate::error::EvalError;
    use crate::parse::parse;
    use crate::value::{Value, ValueType};

    fn row() -> HashMap<String, Value> {
        HashMap::from([
            ("income".to_string(), Value::Number(120_000.0)),
            ("age".to_string(), Value::Null),
            ("name".to_string(), Value::String("Ada Lovelace".into())),
            ("active".to_string(), Value::Bool(true)),
            ("score".to_string(), Value::Number(f64::NAN)),
            (
                "params.training.epochs".to_string(),
                Value::String("5".into()),
            ),
        ])
    }

    #[track_caller]
    fn matches(text: &str) -> bool {
        eval(&parse(text).unwrap(), &row()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn comparisons() {
        for (text, expected) in [
            ("income >= 100000", true),
            ("income > 120000", false),
            ("income = 120000", true),
            ("income != 120000", false),
            ("income < 1e6", true),
            ("income <= 120000", true),
            ("name = 'Ada Lovelace'", true),
            ("name > 'Ada'", true),
            ("name < 'B'", true),
            ("active = true", true),
            ("active > false", true),
            ("params.training.epochs = '5'", true),
            ("income IN (1, 120000)", true),
            ("income NOT IN (1, 2)", true),
            ("name IN ('x')", false),
        ] {
            assert_eq!(matches(text), expected, "{text}");
        }
    }

    #[test]
    fn null_and_missing_are_unknown() {
        for text in [
            "age = 1",
            "age != 1",
            "missing != 1",
            "NOT age = 1",
            "age IN (1)",
            "age NOT IN (1)",
            "missing LIKE '%'",
            "missing NOT LIKE 'x'",
            "score = 1",
            "score != 1",
            "age = 1 OR age != 1",
            "NOT (age = 1 AND income > 0)",
        ] {
            assert!(!matches(text), "{text} should not match");
        }
        for text in [
            "age IS NULL",
            "missing IS NULL",
            "income IS NOT NULL",
            "age = 1 OR income > 0",
            "NOT (age = 1 AND income < 0)",
            "NOT NOT income > 0",
        ] {
            assert!(matches(text), "{text} should match");
        }
        assert!(!matches("income IS NULL"));
    }

    #[test]
    fn like_in_expressions() {
        assert!(matches("name LIKE 'Ada%'"));
        assert!(!matches("name LIKE 'ada%'"));
        assert!(matches("name ILIKE 'ada%'"));
        assert!(matches("name NOT LIKE 'ada%'"));
        assert!(!matches("name NOT ILIKE 'ada%'"));
    }

    #[test]
    fn type_mismatch_is_an_error_naming_the_column() {
        let err = eval(&parse("income >= 'abc'").unwrap(), &row()).unwrap_err();
        assert_eq!(
            err,
            EvalError::TypeMismatch {
                name: "income".into(),
                column_type: ValueType::Number,
                literal: "'abc'".into(),
                literal_type: ValueType::String,
            }
        );
        assert_eq!(
            err.to_string(),
            "cannot compare `income` (a number) with 'abc' (a string)"
        );
        // Also when the other side of OR alone would decide the row.
        assert!(eval(&parse("income > 0 OR income = 'x'").unwrap(), &row()).is_err());
        assert!(eval(&parse("name IN ('a', 1)").unwrap(), &row()).is_err());
        assert!(eval(&parse("active = 1").unwrap(), &row()).is_err());
        assert_eq!(
            eval(&parse("income LIKE '1%'").unwrap(), &row())
                .unwrap_err()
                .to_string(),
            "`income` is a number, but LIKE and ILIKE match strings only"
        );
        // A NULL cell has no type, so no error.
        assert!(!matches("age = 'abc'"));
    }

    #[test]
    fn like_wildcards() {
        let cases = [
            ("%", "", true),
            ("", "", true),
            ("", "a", false),
            ("%", "anything", true),
            ("a%", "abc", true),
            ("%c", "abc", true),
            ("%b%", "abc", true),
            ("a%c", "ac", true),
            ("a%c", "abcbc", true),
            ("a%c", "abcb", false),
            ("_", "a", true),
            ("_", "", false),
            ("_", "ab", false),
            ("a_c", "abc", true),
            ("a_c", "ac", false),
            ("%_%", "x", true),
            ("%a%a%", "banana", true),
            ("%x%", "banana", false),
            ("_é_", "aéb", true),
            ("50%", "50%", true),
            ("50%", "500", true),
            ("abc", "ABC", false),
            ("a%%b", "ab", true),
            ("%%%%%%%%%%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(like(pattern, text, false), expected, "{pattern:?} {text:?}");
        }
        assert!(like("ABC", "abc", true));
        assert!(like("%LOGISTIC%", "LogisticRegression", true));
        assert!(like("ä_", "ÄB", true));
    }
}
