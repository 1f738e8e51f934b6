//! The syntax tree: [`Expr`], its [`Name`]s, [`Op`]s and [`Literal`]s, [`OrderBy`], and their
//! canonical [`Display`](fmt::Display), which [`parse`](fn@crate::parse) reads back to an equal
//! tree (spans aside).

use std::fmt;

use crate::lex::{is_bare_word, is_keyword};
use crate::span::Span;

/// A boolean expression over named columns.
///
/// `AND` and `OR` chains are left-associative: `a = 1 AND b = 2 AND c = 3` is
/// `And(And(a, b), c)`; [`Expr::conjuncts`] flattens them.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both sides hold.
    And(Box<Expr>, Box<Expr>),
    /// Either side holds.
    Or(Box<Expr>, Box<Expr>),
    /// The inner expression does not hold (unknown stays unknown).
    Not(Box<Expr>),
    /// `name op value`.
    Compare {
        /// The column.
        name: Name,
        /// The comparison.
        op: Op,
        /// The literal compared with.
        value: Literal,
    },
    /// `name IN (values)` or `name NOT IN (values)`.
    In {
        /// The column.
        name: Name,
        /// `NOT IN`.
        negated: bool,
        /// The list, never empty when parsed.
        values: Vec<Literal>,
    },
    /// `name IS NULL` or `name IS NOT NULL`.
    IsNull {
        /// The column.
        name: Name,
        /// `IS NOT NULL`.
        negated: bool,
    },
}

impl Expr {
    /// The top-level `AND`ed parts, left to right: `a AND (b AND c) OR d` is one conjunct, `a AND
    /// b AND c` three. Run searches push each conjunct down separately.
    #[must_use]
    pub fn conjuncts(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            if let Expr::And(left, right) = expr {
                stack.push(right);
                stack.push(left);
            } else {
                out.push(expr);
            }
        }
        out
    }

    /// Every name the expression reads, in text order, repeats included.
    #[must_use]
    pub fn names(&self) -> Vec<&Name> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            match expr {
                Expr::And(left, right) | Expr::Or(left, right) => {
                    stack.push(right);
                    stack.push(left);
                }
                Expr::Not(inner) => stack.push(inner),
                Expr::Compare { name, .. } | Expr::In { name, .. } | Expr::IsNull { name, .. } => {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Binding strength for printing: OR 1, AND 2, NOT 3, a predicate 4.
    fn precedence(&self) -> u8 {
        match self {
            Expr::Or(..) => 1,
            Expr::And(..) => 2,
            Expr::Not(_) => 3,
            Expr::Compare { .. } | Expr::In { .. } | Expr::IsNull { .. } => 4,
        }
    }

    /// Prints `self`, in parentheses when it binds looser than `min` requires.
    fn fmt_at(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            f.write_str("(")?;
            self.fmt_at(f, 0)?;
            return f.write_str(")");
        }
        match self {
            // The right operand needs one level more: chains parse left-associatively.
            Expr::Or(left, right) => {
                left.fmt_at(f, 1)?;
                f.write_str(" OR ")?;
                right.fmt_at(f, 2)
            }
            Expr::And(left, right) => {
                left.fmt_at(f, 2)?;
                f.write_str(" AND ")?;
                right.fmt_at(f, 3)
            }
            Expr::Not(inner) => {
                f.write_str("NOT ")?;
                inner.fmt_at(f, 3)
            }
            Expr::Compare { name, op, value } => write!(f, "{name} {op} {value}"),
            Expr::In {
                name,
                negated,
                values,
            } => {
                write!(f, "{name} {}IN (", if *negated { "NOT " } else { "" })?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{value}")?;
                }
                f.write_str(")")
            }
            Expr::IsNull { name, negated } => {
                write!(f, "{name} IS {}NULL", if *negated { "NOT " } else { "" })
            }
        }
    }
}

/// The canonical form: upper-case keywords, single-quoted strings, names quoted with backticks
/// only where needed, and the fewest parentheses that keep the tree. Parsing it gives back an
/// equal expression (spans aside), provided every number is finite (parsing yields no others)
/// and the nesting stays within [`MAX_DEPTH`](crate::MAX_DEPTH).
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_at(f, 0)
    }
}

/// A dotted column name: `metrics.acc` has the parts `["metrics", "acc"]`.
///
/// Quoted parts keep their dots: ``metrics.`a.b` `` is `["metrics", "a.b"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    /// The parts, unquoted.
    pub parts: Vec<String>,
    /// Where the whole name stands in the parsed text (`0..0` for a name built in code).
    pub span: Span,
}

impl Name {
    /// A name built in code, with an empty span.
    pub fn new<S: Into<String>>(parts: impl IntoIterator<Item = S>) -> Self {
        Self {
            parts: parts.into_iter().map(Into::into).collect(),
            span: Span::default(),
        }
    }

    /// The parts from index `n` on, joined with `.`: for `params.training.epochs`,
    /// `key_after(1)` is `"training.epochs"` (the MLflow key under the `params` prefix).
    /// Empty when `n` is past the last part.
    #[must_use]
    pub fn key_after(&self, n: usize) -> String {
        self.parts.get(n..).unwrap_or_default().join(".")
    }

    /// All parts joined with `.`, unquoted: ``metrics.`a.b` `` gives `"metrics.a.b"`.
    #[must_use]
    pub fn dotted(&self) -> String {
        self.key_after(0)
    }
}

/// Quoted with backticks where a part is not a bare word, or where the first part is a keyword.
impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            if is_bare_word(part) && !(i == 0 && is_keyword(part)) {
                f.write_str(part)?;
            } else {
                write!(f, "`{}`", part.replace('`', "``"))?;
            }
        }
        Ok(())
    }
}

/// A comparison between a column and one literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=` or `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `LIKE`: `%` any run, `_` one character, case-sensitive.
    Like,
    /// `ILIKE`: `LIKE` ignoring case.
    ILike,
    /// `NOT LIKE`
    NotLike,
    /// `NOT ILIKE`
    NotILike,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "LIKE",
            Op::ILike => "ILIKE",
            Op::NotLike => "NOT LIKE",
            Op::NotILike => "NOT ILIKE",
        })
    }
}

/// A constant in an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A finite number when parsed.
    Number(f64),
    /// A string, unquoted.
    String(String),
    /// `true` or `false`.
    Bool(bool),
}

/// Numbers as Rust prints `f64` (shortest text that reads back exactly), strings in single
/// quotes with `'` doubled, booleans as `true` / `false`.
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(value) => write!(f, "{value}"),
            Literal::String(text) => write!(f, "'{}'", text.replace('\'', "''")),
            Literal::Bool(value) => write!(f, "{value}"),
        }
    }
}

/// A sort key: `metrics.acc DESC`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    /// The column.
    pub name: Name,
    /// `DESC`; ascending is the default.
    pub descending: bool,
}

impl fmt::Display for OrderBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            self.name,
            if self.descending { "DESC" } else { "ASC" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{Expr, Literal, Name, Op};

    fn leaf(name: &str) -> Expr {
        Expr::IsNull {
            name: Name::new([name]),
            negated: false,
        }
    }

    #[test]
    fn key_after_and_dotted() {
        let name = Name::new(["params", "training", "epochs"]);
        assert_eq!(name.key_after(1), "training.epochs");
        assert_eq!(name.key_after(3), "");
        assert_eq!(name.key_after(9), "");
        assert_eq!(name.dotted(), "params.training.epochs");
        assert_eq!(Name::new(["metrics", "a.b"]).to_string(), "metrics.`a.b`");
    }

    #[test]
    fn conjuncts_flatten_top_level_ands_only() {
        let (a, b, c, d) = (leaf("a"), leaf("b"), leaf("c"), leaf("d"));
        let and = |l: Expr, r: Expr| Expr::And(Box::new(l), Box::new(r));
        let or = Expr::Or(Box::new(c.clone()), Box::new(d.clone()));
        let expr = and(and(a.clone(), b.clone()), or.clone());
        assert_eq!(expr.conjuncts(), [&a, &b, &or]);
        assert_eq!(or.conjuncts(), [&or]);
        let names: Vec<String> = expr.names().iter().map(|n| n.dotted()).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        let not = Expr::Not(Box::new(Expr::Compare {
            name: Name::new(["x"]),
            op: Op::Eq,
            value: Literal::Number(1.0),
        }));
        assert_eq!(not.names()[0].dotted(), "x");
    }
}
