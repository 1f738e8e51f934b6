//! The parser: tokens → [`Expr`] / [`OrderBy`], by recursive descent with one function per
//! precedence level (OR, AND, NOT, parentheses and predicates).

use crate::ast::{Expr, Literal, Name, Op, OrderBy};
use crate::error::{Expected, Found, ParseError};
use crate::lex::{Token, TokenKind, is_keyword, lex};
use crate::span::Span;

/// How deeply parentheses and `NOT`s may nest. Parsing recurses once per level, so the limit
/// turns hostile input such as ten thousand `(` into an error instead of a stack overflow.
pub const MAX_DEPTH: usize = 64;

/// How many conditions one expression may hold. `AND`/`OR` chains parse in a loop but build a
/// tree as deep as the chain is long, which evaluating, printing and dropping walk
/// recursively; the cap keeps that depth safe.
pub const MAX_PREDICATES: usize = 1024;

/// Parses a whole text as one expression.
///
/// # Errors
///
/// [`ParseError`] when the text is empty, does not follow the grammar (see the crate docs), or
/// nests deeper than [`MAX_DEPTH`] / holds more than [`MAX_PREDICATES`] conditions.
///
/// ```
/// use kiln_query::{Expr, Literal, Op, parse};
///
/// let expr = parse("metrics.rmse < 1 and params.model = \"tree\"")?;
/// let parts = expr.conjuncts();
/// assert_eq!(parts.len(), 2);
/// let Expr::Compare { name, op, value } = parts[1] else { panic!() };
/// assert_eq!(name.parts, ["params", "model"]);
/// assert_eq!((*op, value), (Op::Eq, &Literal::String("tree".into())));
/// # Ok::<(), kiln_query::ParseError>(())
/// ```
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut parser = Parser::new(text)?;
    let expr = parser.parse_or()?;
    parser.finish()?;
    Ok(expr)
}

/// Parses a sort key: a name, then optionally `ASC` or `DESC` in any case.
///
/// # Errors
///
/// [`ParseError`] when the text is empty, the name is malformed, or something other than one
/// direction follows it.
///
/// ```
/// let order = kiln_query::parse_order_by("params.`a b` desc")?;
/// assert_eq!((order.name.parts.as_slice(), order.descending), (&["params".to_string(), "a b".to_string()][..], true));
/// # Ok::<(), kiln_query::ParseError>(())
/// ```
pub fn parse_order_by(text: &str) -> Result<OrderBy, ParseError> {
    let mut parser = Parser::new(text)?;
    let name = parser.parse_name()?;
    let descending = if parser.eat_keyword("DESC") {
        true
    } else {
        parser.eat_keyword("ASC");
        false
    };
    if let Some(token) = parser.peek() {
        return Err(ParseError::Expected {
            expected: Expected::SortDirection,
            after: Some(parser.source(name.span).to_string()),
            found: parser.found(),
            column: token.span.column(),
        });
    }
    Ok(OrderBy { name, descending })
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
    predicates: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self, ParseError> {
        let tokens = lex(text)?;
        if tokens.is_empty() {
            return Err(ParseError::Empty);
        }
        Ok(Self {
            text,
            tokens,
            at: 0,
            depth: 0,
            predicates: 0,
        })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|t| &t.kind)
    }

    fn source(&self, span: Span) -> &'a str {
        &self.text[span.start..span.end]
    }

    /// The next token as written, or the end.
    fn found(&self) -> Found {
        self.peek().map_or(Found::End, |t| {
            Found::Token(self.source(t.span).to_string())
        })
    }

    /// The column of the next token, or one past the text.
    fn column(&self) -> usize {
        self.peek().map_or(self.text.len() + 1, |t| t.span.column())
    }

    fn expected(&self, expected: Expected, after: Option<Span>) -> ParseError {
        ParseError::Expected {
            expected,
            after: after.map(|span| self.source(span).to_string()),
            found: self.found(),
            column: self.column(),
        }
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek_kind(), Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_keyword(keyword);
        if found {
            self.at += 1;
        }
        found
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += usize::from(token.is_some());
        token
    }

    fn finish(&self) -> Result<(), ParseError> {
        match self.peek() {
            None => Ok(()),
            Some(token) if token.kind == TokenKind::CloseParen => Err(ParseError::UnmatchedParen {
                column: token.span.column(),
            }),
            Some(token) => Err(ParseError::TrailingInput {
                found: self.found(),
                column: token.span.column(),
            }),
        }
    }

    fn enter(&mut self, column: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::TooDeep {
                limit: MAX_DEPTH,
                column,
            });
        }
        Ok(())
    }

    fn parse_or(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.parse_and()?;
        while self.eat_keyword("OR") {
            let right = self.parse_and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.parse_not()?;
        while self.eat_keyword("AND") {
            let right = self.parse_not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> Result<Expr, ParseError> {
        if self.peek_keyword("NOT") {
            let column = self.column();
            self.at += 1;
            self.enter(column)?;
            let inner = self.parse_not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek_kind() == Some(&TokenKind::OpenParen) {
            let column = self.column();
            self.at += 1;
            self.enter(column)?;
            let inner = self.parse_or()?;
            if self.peek_kind() != Some(&TokenKind::CloseParen) {
                return Err(ParseError::UnclosedParen {
                    column,
                    found: self.found(),
                });
            }
            self.at += 1;
            self.depth -= 1;
            return Ok(inner);
        }
        self.parse_predicate()
    }

    fn parse_predicate(&mut self) -> Result<Expr, ParseError> {
        let column = self.column();
        let name = self.parse_name()?;
        self.predicates += 1;
        if self.predicates > MAX_PREDICATES {
            return Err(ParseError::TooManyPredicates {
                limit: MAX_PREDICATES,
                column,
            });
        }
        let Some(token) = self.peek().cloned() else {
            return Err(self.expected(Expected::ComparisonOperator, Some(name.span)));
        };
        let symbol = match token.kind {
            TokenKind::Eq => Some(Op::Eq),
            TokenKind::Ne => Some(Op::Ne),
            TokenKind::Lt => Some(Op::Lt),
            TokenKind::Le => Some(Op::Le),
            TokenKind::Gt => Some(Op::Gt),
            TokenKind::Ge => Some(Op::Ge),
            _ => None,
        };
        if let Some(op) = symbol {
            self.at += 1;
            let value = self.parse_literal(token.span)?;
            return Ok(Expr::Compare { name, op, value });
        }
        let TokenKind::Word(word) = &token.kind else {
            return Err(self.expected(Expected::ComparisonOperator, Some(name.span)));
        };
        let word = word.to_ascii_uppercase();
        self.at += 1;
        match word.as_str() {
            "LIKE" => self.parse_like(name, Op::Like, token.span),
            "ILIKE" => self.parse_like(name, Op::ILike, token.span),
            "IN" => self.parse_in(name, false, token.span),
            "IS" => {
                let negated = self.eat_keyword("NOT");
                let after = Span::new(token.span.start, self.tokens[self.at - 1].span.end);
                if !self.eat_keyword("NULL") {
                    return Err(self.expected(Expected::Null, Some(after)));
                }
                Ok(Expr::IsNull { name, negated })
            }
            "NOT" => {
                let Some(next) = self.peek().cloned() else {
                    return Err(self.expected(Expected::AfterNot, Some(token.span)));
                };
                let after = Span::new(token.span.start, next.span.end);
                if self.eat_keyword("LIKE") {
                    self.parse_like(name, Op::NotLike, after)
                } else if self.eat_keyword("ILIKE") {
                    self.parse_like(name, Op::NotILike, after)
                } else if self.eat_keyword("IN") {
                    self.parse_in(name, true, after)
                } else {
                    Err(self.expected(Expected::AfterNot, Some(token.span)))
                }
            }
            _ => {
                self.at -= 1;
                Err(self.expected(Expected::ComparisonOperator, Some(name.span)))
            }
        }
    }

    fn parse_like(&mut self, name: Name, op: Op, after: Span) -> Result<Expr, ParseError> {
        match self.peek_kind() {
            Some(TokenKind::Quoted { quote, text }) if *quote != '`' => {
                let value = Literal::String(text.clone());
                self.at += 1;
                Ok(Expr::Compare { name, op, value })
            }
            _ => Err(self.expected(Expected::Pattern, Some(after))),
        }
    }

    fn parse_in(&mut self, name: Name, negated: bool, after: Span) -> Result<Expr, ParseError> {
        if self.peek_kind() != Some(&TokenKind::OpenParen) {
            return Err(self.expected(Expected::OpenParen, Some(after)));
        }
        let open = self.bump().map(|t| t.span).unwrap_or(after);
        if self.peek_kind() == Some(&TokenKind::CloseParen) {
            return Err(ParseError::EmptyInList {
                column: open.column(),
            });
        }
        let mut values = Vec::new();
        let mut last = open;
        loop {
            values.push(self.parse_literal(last)?);
            last = self.tokens[self.at - 1].span;
            match self.peek_kind() {
                Some(TokenKind::Comma) => {
                    last = self.tokens[self.at].span;
                    self.at += 1;
                }
                Some(TokenKind::CloseParen) => {
                    self.at += 1;
                    return Ok(Expr::In {
                        name,
                        negated,
                        values,
                    });
                }
                _ => return Err(self.expected(Expected::CommaOrCloseParen, Some(last))),
            }
        }
    }

    /// A literal; `after` is the operator or separator before it, for the message.
    fn parse_literal(&mut self, after: Span) -> Result<Literal, ParseError> {
        let literal = match self.peek_kind() {
            Some(TokenKind::Number(value)) => Literal::Number(*value),
            Some(TokenKind::Quoted { quote, text }) if *quote != '`' => {
                Literal::String(text.clone())
            }
            Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            _ => return Err(self.expected(Expected::Value, Some(after))),
        };
        self.at += 1;
        Ok(literal)
    }

    /// `part { "." part }`: the first part is a non-keyword word or a `"`/`` ` ``-quoted run;
    /// later parts may be any word (`tags.in`), or start with a digit (`metrics.1st`).
    fn parse_name(&mut self) -> Result<Name, ParseError> {
        let first = match self.peek() {
            Some(Token {
                kind: TokenKind::Word(word),
                span,
            }) if !is_keyword(word) => (word.clone(), *span),
            Some(Token {
                kind: TokenKind::Quoted { quote, text },
                span,
            }) if *quote != '\'' && !text.is_empty() => (text.clone(), *span),
            Some(Token {
                kind: TokenKind::CloseParen,
                span,
            }) if self.depth == 0 => {
                return Err(ParseError::UnmatchedParen {
                    column: span.column(),
                });
            }
            _ => return Err(self.expected(Expected::Name, None)),
        };
        self.at += 1;
        let mut parts = vec![first.0];
        let mut span = first.1;
        while self.peek_kind() == Some(&TokenKind::Dot) {
            let dot = self.tokens[self.at].span;
            self.at += 1;
            let part = match self.peek() {
                Some(Token {
                    kind: TokenKind::Word(word),
                    span,
                }) => Some((word.clone(), *span)),
                Some(Token {
                    kind: TokenKind::Quoted { quote, text },
                    span,
                }) if *quote != '\'' && !text.is_empty() => Some((text.clone(), *span)),
                _ => None,
            };
            let Some((part, part_span)) = part else {
                if let Some(TokenKind::Quoted { quote: '\'', .. }) = self.peek_kind() {
                    return Err(self.expected(Expected::Name, Some(Span::new(span.start, dot.end))));
                }
                let end = self
                    .peek()
                    .filter(|t| matches!(t.kind, TokenKind::Quoted { .. }))
                    .map_or(dot.end, |t| t.span.end);
                return Err(ParseError::EmptyNameSegment {
                    name: self.text[span.start..end].to_string(),
                    column: dot.end + 1,
                });
            };
            self.at += 1;
            parts.push(part);
            span.end = part_span.end;
        }
        Ok(Name { parts, span })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{MAX_DEPTH, MAX_PREDICATES, parse, parse_order_by};
    use crate::ast::{Expr, Literal, Name, Op};
    use crate::error::{Expected, Found, ParseError};

    fn name(dotted: &str) -> Name {
        Name::new(dotted.split('.'))
    }

    fn cmp(dotted: &str, op: Op, value: Literal) -> Expr {
        Expr::Compare {
            name: name(dotted),
            op,
            value,
        }
    }

    fn num(dotted: &str, op: Op, value: f64) -> Expr {
        cmp(dotted, op, Literal::Number(value))
    }

    fn string(dotted: &str, op: Op, value: &str) -> Expr {
        cmp(dotted, op, Literal::String(value.into()))
    }

    fn and(left: Expr, right: Expr) -> Expr {
        Expr::And(Box::new(left), Box::new(right))
    }

    fn or(left: Expr, right: Expr) -> Expr {
        Expr::Or(Box::new(left), Box::new(right))
    }

    fn not(inner: Expr) -> Expr {
        Expr::Not(Box::new(inner))
    }

    /// The tree with every span zeroed, so trees compare by structure.
    fn unspanned(expr: &Expr) -> Expr {
        let clean = |n: &Name| Name::new(n.parts.clone());
        match expr {
            Expr::And(l, r) => and(unspanned(l), unspanned(r)),
            Expr::Or(l, r) => or(unspanned(l), unspanned(r)),
            Expr::Not(inner) => not(unspanned(inner)),
            Expr::Compare { name, op, value } => Expr::Compare {
                name: clean(name),
                op: *op,
                value: value.clone(),
            },
            Expr::In {
                name,
                negated,
                values,
            } => Expr::In {
                name: clean(name),
                negated: *negated,
                values: values.clone(),
            },
            Expr::IsNull { name, negated } => Expr::IsNull {
                name: clean(name),
                negated: *negated,
            },
        }
    }

    #[track_caller]
    fn check(text: &str, expected: &Expr) {
        let parsed = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(&unspanned(&parsed), expected, "{text}");
    }

    #[track_caller]
    fn error(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    #[test]
    fn every_comparison_operator() {
        for (symbol, op) in [
            ("=", Op::Eq),
            ("!=", Op::Ne),
            ("<>", Op::Ne),
            ("<", Op::Lt),
            ("<=", Op::Le),
            (">", Op::Gt),
            (">=", Op::Ge),
        ] {
            check(&format!("income {symbol} 100000"), &num("income", op, 1e5));
            check(&format!("income{symbol}100000"), &num("income", op, 1e5));
        }
        check("a LIKE 'x%'", &string("a", Op::Like, "x%"));
        check("a like 'x%'", &string("a", Op::Like, "x%"));
        check("a ILIKE 'x%'", &string("a", Op::ILike, "x%"));
        check("a NOT LIKE 'x%'", &string("a", Op::NotLike, "x%"));
        check("a not ilike \"x%\"", &string("a", Op::NotILike, "x%"));
    }

    #[test]
    fn in_and_is_null() {
        let values = vec![Literal::String("32".into()), Literal::Number(64.0)];
        check(
            "params.batch_size IN ('32', 64)",
            &Expr::In {
                name: name("params.batch_size"),
                negated: false,
                values: values.clone(),
            },
        );
        check(
            "params.batch_size not in ('32',64)",
            &Expr::In {
                name: name("params.batch_size"),
                negated: true,
                values,
            },
        );
        check(
            "tags.x IS NULL",
            &Expr::IsNull {
                name: name("tags.x"),
                negated: false,
            },
        );
        check(
            "tags.x is not null",
            &Expr::IsNull {
                name: name("tags.x"),
                negated: true,
            },
        );
    }

    #[test]
    fn literals() {
        check("a = -0.5", &num("a", Op::Eq, -0.5));
        check("a = 1e-3", &num("a", Op::Eq, 1e-3));
        check("a = +2E+2", &num("a", Op::Eq, 200.0));
        check("a = .5", &num("a", Op::Eq, 0.5));
        check("a = -.5", &num("a", Op::Eq, -0.5));
        check("a = 5.", &num("a", Op::Eq, 5.0));
        check("a = TRUE", &cmp("a", Op::Eq, Literal::Bool(true)));
        check("a != false", &cmp("a", Op::Ne, Literal::Bool(false)));
        check("a = 'it''s'", &string("a", Op::Eq, "it's"));
        check("a = \"say \"\"hi\"\"\"", &string("a", Op::Eq, "say \"hi\""));
        check("a = ''", &string("a", Op::Eq, ""));
        check("a = 'é ☃'", &string("a", Op::Eq, "é ☃"));
    }

    #[test]
    fn names() {
        check("income = 1", &num("income", Op::Eq, 1.0));
        check(
            "params.training.epochs = '5'",
            &string("params.training.epochs", Op::Eq, "5"),
        );
        let quoted = Name::new(["metrics", "a.b"]);
        check(
            "metrics.`a.b` = 1",
            &Expr::Compare {
                name: quoted.clone(),
                op: Op::Eq,
                value: Literal::Number(1.0),
            },
        );
        check(
            "metrics.\"a.b\" = 1",
            &Expr::Compare {
                name: quoted,
                op: Op::Eq,
                value: Literal::Number(1.0),
            },
        );
        // Later parts may be keywords or start with digits; a quoted first part may be anything.
        check("tags.in = 1", &num("tags.in", Op::Eq, 1.0));
        check("metrics.1st = 1", &num("metrics.1st", Op::Eq, 1.0));
        check("`and` = 1", &num("and", Op::Eq, 1.0));
        check("`a``b` = 1", &num("a`b", Op::Eq, 1.0));
        // `inf` and `nan` are names, not numbers.
        check("inf = 1", &num("inf", Op::Eq, 1.0));
        let parsed = parse("  metrics.`val loss` < 1").unwrap();
        assert_eq!(parsed.names()[0].span, crate::Span::new(2, 20));
    }

    #[test]
    fn precedence_not_over_and_over_or() {
        let (a, b, c) = (
            num("a", Op::Eq, 1.0),
            num("b", Op::Eq, 2.0),
            num("c", Op::Eq, 3.0),
        );
        check(
            "a = 1 or b = 2 and c = 3",
            &or(a.clone(), and(b.clone(), c.clone())),
        );
        check(
            "a = 1 and b = 2 or c = 3",
            &or(and(a.clone(), b.clone()), c.clone()),
        );
        check(
            "(a = 1 or b = 2) and c = 3",
            &and(or(a.clone(), b.clone()), c.clone()),
        );
        check("not a = 1 and b = 2", &and(not(a.clone()), b.clone()));
        check("NOT (a = 1 AND b = 2)", &not(and(a.clone(), b.clone())));
        check("not not a = 1", &not(not(a.clone())));
        check(
            "a = 1 and b = 2 and c = 3",
            &and(and(a.clone(), b.clone()), c.clone()),
        );
        check("a = 1 OR b = 2 OR c = 3", &or(or(a.clone(), b), c));
        check("((a = 1))", &a);
    }

    /// Examples from <https://mlflow.org/docs/latest/search-runs.html>.
    #[test]
    fn mlflow_documentation_examples() {
        check(
            "metrics.accuracy > 0.92",
            &num("metrics.accuracy", Op::Gt, 0.92),
        );
        check(
            "attributes.status = \"FINISHED\"",
            &string("attributes.status", Op::Eq, "FINISHED"),
        );
        check(
            "attributes.start_time > 1670628787527",
            &num("attributes.start_time", Op::Gt, 1_670_628_787_527.0),
        );
        check(
            "metrics.`f1 score` > 0.5",
            &cmp_name(["metrics", "f1 score"], Op::Gt, Literal::Number(0.5)),
        );
        check(
            "tags.`mlflow.user` = 'john@mlflow.com'",
            &cmp_name(
                ["tags", "mlflow.user"],
                Op::Eq,
                Literal::String("john@mlflow.com".into()),
            ),
        );
        check(
            "tags.`model` LIKE 'sklearn%'",
            &string("tags.model", Op::Like, "sklearn%"),
        );
        check(
            "tags.`type` ILIKE '%Logistic%'",
            &string("tags.type", Op::ILike, "%Logistic%"),
        );
        check(
            "attributes.`run_name` IN ('alpha', 'beta', 'gamma')",
            &Expr::In {
                name: name("attributes.run_name"),
                negated: false,
                values: ["alpha", "beta", "gamma"]
                    .map(|s| Literal::String(s.into()))
                    .to_vec(),
            },
        );
        check(
            "params.alpha = \"0.3\" and params.lambda = \"0.001\" and metrics.error <= 0.05",
            &and(
                and(
                    string("params.alpha", Op::Eq, "0.3"),
                    string("params.lambda", Op::Eq, "0.001"),
                ),
                num("metrics.error", Op::Le, 0.05),
            ),
        );
        check(
            "metrics.\"2019-04-02 error rate\" < 1",
            &cmp_name(
                ["metrics", "2019-04-02 error rate"],
                Op::Lt,
                Literal::Number(1.0),
            ),
        );
        // And the examples this crate's callers lean on.
        check(
            "metrics.rmse < 1 and params.model = \"tree\"",
            &and(
                num("metrics.rmse", Op::Lt, 1.0),
                string("params.model", Op::Eq, "tree"),
            ),
        );
        check(
            "tags.\"mlflow.source.type\" = 'LOCAL'",
            &cmp_name(
                ["tags", "mlflow.source.type"],
                Op::Eq,
                Literal::String("LOCAL".into()),
            ),
        );
        check("run_name LIKE 'my%'", &string("run_name", Op::Like, "my%"));
        check(
            "attribute.start_time >= 0",
            &num("attribute.start_time", Op::Ge, 0.0),
        );
    }

    fn cmp_name<const N: usize>(parts: [&str; N], op: Op, value: Literal) -> Expr {
        Expr::Compare {
            name: Name::new(parts),
            op,
            value,
        }
    }

    #[test]
    fn exact_error_messages() {
        assert_eq!(
            error("metrics.acc acc2 > 1"),
            "expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS) after \
             `metrics.acc` at column 13, found `acc2`"
        );
        assert_eq!(
            error("metrics.acc >"),
            "expected a value (a number, a quoted string, true or false) after `>` at column 14, \
             found the end of the text"
        );
        assert_eq!(
            error("run_name = 'abc"),
            "unterminated string starting at column 12, expected a closing '"
        );
        assert_eq!(
            error("   "),
            "empty expression, expected a condition such as `metrics.acc > 0.9`"
        );
        assert_eq!(
            error("a = 1 b = 2"),
            "unexpected `b` at column 7 after a complete expression (missing AND or OR?)"
        );
        assert_eq!(
            error("a IN ()"),
            "empty IN list at column 6, expected at least one value"
        );
        assert_eq!(
            error("(a = 1"),
            "unclosed `(` at column 1, found the end of the text where `)` was expected"
        );
        assert_eq!(error("a = 1)"), "unmatched `)` at column 6");
        assert_eq!(
            error("metrics. = 1"),
            "empty name segment in `metrics.` at column 9, expected a name part after the dot"
        );
        assert_eq!(
            error("a = -"),
            "`-` at column 5 is not followed by a number"
        );
        assert_eq!(
            error("income >= 'abc' and x = inf"),
            "expected a value (a number, a quoted string, true or false) after `=` at column 25, \
             found `inf`"
        );
    }

    #[test]
    fn every_error_kind_has_a_column() {
        let cases: &[(&str, usize)] = &[
            ("a = 1 and", 10),
            ("a = 1 and )", 11),
            (")", 1),
            ("= 1", 1),
            ("and = 1", 1),
            ("'a' = 1", 1),
            ("a = b", 5),
            ("a = `b`", 5),
            ("a LIKE 5", 8),
            ("a NOT = 1", 7),
            ("a IS 1", 6),
            ("a IS NOT 1", 10),
            ("a IN 1", 6),
            ("a IN (1 2)", 9),
            ("a IN (1,)", 9),
            ("a = 1e", 5),
            ("a = 5abc", 5),
            ("a = 1.2.3", 5),
            ("a = 1e999", 5),
            ("a = 1 ; b", 7),
            ("a.`` = 1", 3),
            ("a.'b' = 1", 3),
            ("`abc = 1", 1),
            ("a = 1 + 2", 7),
        ];
        for (text, column) in cases {
            let err = parse(text).expect_err(text);
            assert_eq!(err.column(), *column, "{text}: {err}");
        }
        assert!(matches!(
            parse("a = b").unwrap_err(),
            ParseError::Expected {
                expected: Expected::Value,
                found: Found::Token(ref t),
                ..
            } if t == "b"
        ));
        assert!(matches!(
            parse("a = 1 and )"),
            Err(ParseError::UnmatchedParen { column: 11 })
        ));
        assert!(matches!(
            parse("(a = 1 and )"),
            Err(ParseError::Expected {
                expected: Expected::Name,
                ..
            })
        ));
        assert!(matches!(
            parse("a.`` = 1"),
            Err(ParseError::EmptyNameSegment { .. })
        ));
        assert!(matches!(
            parse("a = 1e999"),
            Err(ParseError::InvalidNumber { .. })
        ));
    }

    #[test]
    fn render_puts_a_caret_under_the_column() {
        let text = "metrics.acc acc2 > 1";
        let err = parse(text).unwrap_err();
        assert_eq!(err.render(text), "metrics.acc acc2 > 1\n            ^");
        let text = "a = 'é' zz";
        let err = parse(text).unwrap_err();
        assert_eq!(err.column(), 10);
        assert_eq!(err.render(text), "a = 'é' zz\n        ^");
        let text = "a = 1 and\n\tb = ";
        assert_eq!(parse(text).unwrap_err().render(text), "\tb = \n\t    ^");
        assert_eq!(ParseError::Empty.render(""), "\n^");
    }

    #[test]
    fn depth_is_limited() {
        let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!(
            "{}a = 1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(
            parse(&deep),
            Err(ParseError::TooDeep {
                limit: MAX_DEPTH,
                column: MAX_DEPTH + 1
            })
        );
        let hostile = "(".repeat(100_000);
        assert!(matches!(parse(&hostile), Err(ParseError::TooDeep { .. })));
        let nots = "NOT ".repeat(100_000) + "a = 1";
        assert!(matches!(parse(&nots), Err(ParseError::TooDeep { .. })));
        let chain = vec!["a = 1"; MAX_PREDICATES + 1].join(" OR ");
        assert!(matches!(
            parse(&chain),
            Err(ParseError::TooManyPredicates { .. })
        ));
        let chain = vec!["a = 1"; MAX_PREDICATES].join(" OR ");
        assert!(parse(&chain).is_ok());
    }

    #[test]
    fn order_by() {
        let order = parse_order_by("metrics.acc DESC").unwrap();
        assert_eq!(
            (order.name.dotted(), order.descending),
            ("metrics.acc".into(), true)
        );
        let order = parse_order_by("start_time").unwrap();
        assert_eq!(
            (order.name.dotted(), order.descending),
            ("start_time".into(), false)
        );
        let order = parse_order_by("params.`a b` asc").unwrap();
        assert_eq!(order.name.parts, ["params", "a b"]);
        assert!(!order.descending);
        assert_eq!(order.to_string(), "params.`a b` ASC");
        assert_eq!(parse_order_by(""), Err(ParseError::Empty));
        assert_eq!(
            parse_order_by("metrics.acc DESC x")
                .unwrap_err()
                .to_string(),
            "expected ASC, DESC or the end after `metrics.acc` at column 18, found `x`"
        );
        assert!(parse_order_by("metrics.acc up").is_err());
    }

    #[test]
    fn display_is_canonical() {
        let cases = [
            ("a = 1 or b = 2 and c = 3", "a = 1 OR b = 2 AND c = 3"),
            ("(a = 1 or b = 2) and c = 3", "(a = 1 OR b = 2) AND c = 3"),
            ("a = 1 or (b = 2 or c = 3)", "a = 1 OR (b = 2 OR c = 3)"),
            ("not (a = 1 and b = 2)", "NOT (a = 1 AND b = 2)"),
            ("x not in ('a', 2, true)", "x NOT IN ('a', 2, true)"),
            ("x is not null", "x IS NOT NULL"),
            (
                "tags.\"mlflow.source.type\" = \"it's\"",
                "tags.`mlflow.source.type` = 'it''s'",
            ),
            ("`in`.in = -0.5", "`in`.in = -0.5"),
            ("a not ilike '%x_'", "a NOT ILIKE '%x_'"),
        ];
        for (text, canonical) in cases {
            assert_eq!(parse(text).unwrap().to_string(), canonical);
        }
    }

    fn arb_part() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_][a-z0-9_]{0,6}",
            Just("and".to_string()),
            Just("NULL".to_string()),
            "[ -~]{1,6}",
            "[a-zé☃`'\". ]{1,5}",
        ]
    }

    fn arb_name() -> impl Strategy<Value = Name> {
        proptest::collection::vec(arb_part(), 1..4).prop_map(Name::new)
    }

    fn arb_literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            any::<f64>()
                .prop_filter("finite", |v| v.is_finite())
                .prop_map(Literal::Number),
            (-1000i32..1000).prop_map(|v| Literal::Number(f64::from(v))),
            "[ -~é☃]{0,8}".prop_map(Literal::String),
            any::<bool>().prop_map(Literal::Bool),
        ]
    }

    fn arb_op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Eq),
            Just(Op::Ne),
            Just(Op::Lt),
            Just(Op::Le),
            Just(Op::Gt),
            Just(Op::Ge),
        ]
    }

    fn arb_like() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Like),
            Just(Op::ILike),
            Just(Op::NotLike),
            Just(Op::NotILike)
        ]
    }

    fn arb_expr() -> impl Strategy<Value = Expr> {
        let leaf = prop_oneof![
            (arb_name(), arb_op(), arb_literal()).prop_map(|(name, op, value)| Expr::Compare {
                name,
                op,
                value
            }),
            (arb_name(), arb_like(), "[ -~]{0,6}").prop_map(|(name, op, pattern)| {
                Expr::Compare {
                    name,
                    op,
                    value: Literal::String(pattern),
                }
            }),
            (
                arb_name(),
                any::<bool>(),
                proptest::collection::vec(arb_literal(), 1..4)
            )
                .prop_map(|(name, negated, values)| Expr::In {
                    name,
                    negated,
                    values
                }),
            (arb_name(), any::<bool>()).prop_map(|(name, negated)| Expr::IsNull { name, negated }),
        ];
        leaf.prop_recursive(6, 48, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(l, r)| and(l, r)),
                (inner.clone(), inner.clone()).prop_map(|(l, r)| or(l, r)),
                inner.prop_map(not),
            ]
        })
    }

    proptest! {
        #[test]
        fn display_parses_back_to_the_same_tree(expr in arb_expr()) {
            let text = expr.to_string();
            let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}\n{}", e.render(&text))))?;
            prop_assert_eq!(unspanned(&parsed), expr, "{}", text);
            // Printing is a fixed point.
            prop_assert_eq!(parsed.to_string(), text);
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[ -~é]{0,40}") {
            if let Err(err) = parse(&text) {
                let _ = err.render(&text);
            }
        }
    }
}
