//! # kiln-query
//!
//! kiln's one expression language, and the only parser for it: row filters
//! (`income >= 100000`), run searches (`metrics.accuracy > 0.98 and params.training.epochs =
//! '5'`), concept filters and sampling conditions all go through [`parse`](fn@parse), sort keys through
//! [`parse_order_by`]. The language is a subset of SQL's `WHERE` with dotted names; MLflow's
//! search grammar (<https://mlflow.org/docs/latest/search-runs.html>) is a subset of it, so
//! every MLflow search string parses here.
//!
//! What happens next depends on the caller: kiln-runs compiles the [`Expr`] to SQL for its run
//! store (reading prefixes with [`Name::key_after`] and pushing [`Expr::conjuncts`] down one by
//! one), while row filters evaluate it per row with [`eval`](fn@eval) over a [`Row`].
//!
//! ```
//! use std::collections::HashMap;
//! use kiln_query::{Value, eval, parse};
//!
//! let expr = parse("metrics.acc > 0.9 AND (tags.stage = 'prod' OR tags.stage IS NULL)")?;
//! assert_eq!(expr.to_string(), "metrics.acc > 0.9 AND (tags.stage = 'prod' OR tags.stage IS NULL)");
//! let row = HashMap::from([("metrics.acc".to_string(), Value::Number(0.95))]);
//! assert!(eval(&expr, &row)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Grammar
//!
//! Keywords are case-insensitive; whitespace separates tokens and is otherwise ignored.
//! Precedence, tightest first: `NOT`, `AND`, `OR`; `AND` and `OR` associate to the left.
//!
//! ```text
//! expr       = and { "OR" and } ;
//! and        = not { "AND" not } ;
//! not        = "NOT" not | "(" expr ")" | predicate ;
//! predicate  = name ( compare literal
//!                   | [ "NOT" ] ( "LIKE" | "ILIKE" ) string
//!                   | [ "NOT" ] "IN" "(" literal { "," literal } ")"
//!                   | "IS" [ "NOT" ] "NULL" ) ;
//! compare    = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ;
//! name       = first_part { "." part } ;
//! first_part = word - keyword | quoted_name ;
//! part       = word | digit { word_char } | quoted_name ;
//! quoted_name= "`" { char } "`" | '"' { char } '"' ;     (* non-empty; quote doubled inside *)
//! literal    = number | string | "TRUE" | "FALSE" ;
//! string     = "'" { char } "'" | '"' { char } '"' ;     (* quote doubled inside: 'it''s' *)
//! number     = [ "+" | "-" ] ( digits [ "." { digit } ] | "." digits )
//!              [ ( "e" | "E" ) [ "+" | "-" ] digits ] ;
//! word       = ( letter | "_" ) { word_char } ;          (* ASCII letters and digits *)
//! word_char  = letter | digit | "_" ;
//! keyword    = "AND" | "OR" | "NOT" | "IN" | "IS" | "NULL" | "LIKE" | "ILIKE"
//!            | "TRUE" | "FALSE" | "ASC" | "DESC" ;
//! order_by   = name [ "ASC" | "DESC" ] ;
//! ```
//!
//! Notes:
//! - A double-quoted run is a name part where a name stands (`tags."mlflow.source.type"`) and
//!   a string where a value stands (`params.model = "tree"`), as in MLflow.
//! - Only the first part of a name must avoid keywords: `tags.in` is a name, `` `in` = 1``
//!   quotes one. `run_name` and `start_time` are plain one-part names; the meaning of
//!   prefixes (`metrics`, `params`, `tags`, `attributes`) is the caller's.
//! - Numbers are read by Rust's `f64` parser and must be finite; `inf` and `nan` are not
//!   numbers but words, so `x = inf` is an error (a name cannot stand where a value must) and
//!   `inf = 1` compares a column called `inf`. A number glued to letters (`5abc`) is an error.
//! - `LIKE` has no escape character (MLflow has none): see [`like`].
//! - Nesting is capped at [`MAX_DEPTH`] and the number of conditions at [`MAX_PREDICATES`],
//!   so hostile input is an error, not a stack overflow.
//!
//! ## Layers
//!
//! **Layers**, lowest first; a module imports only from lines above it:
//!
//! 1. [`span`]: [`Span`], byte offsets into the text.
//! 2. [`value`]: [`Value`], a row's cell, and [`ValueType`].
//! 3. [`error`]: [`ParseError`] (with [`Expected`] and [`Found`]) and [`EvalError`].
//! 4. `lex` (private): text → tokens; keywords and quoting rules.
//! 5. [`ast`]: [`Expr`], [`Name`], [`Op`], [`Literal`], [`OrderBy`] and their canonical
//!    `Display`, which [`parse`](fn@parse) reads back to an equal tree.
//! 6. [`parse`](mod@parse): tokens → [`Expr`] / [`OrderBy`].
//! 7. [`eval`](mod@eval): [`Row`], [`eval`](fn@eval) and [`like`].

pub mod ast;
pub mod error;
pub mod eval;
mod lex;
pub mod parse;
pub mod span;
pub mod value;

pub use ast::{Expr, Literal, Name, Op, OrderBy};
pub use error::{EvalError, Expected, Found, ParseError};
pub use eval::{Row, eval, like};
pub use parse::{MAX_DEPTH, MAX_PREDICATES, parse, parse_order_by};
pub use span::Span;
pub use value::{Value, ValueType};
