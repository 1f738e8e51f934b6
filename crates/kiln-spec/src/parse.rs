//! TOML text → [`Spec`], with every mistake reported at its `file:line:column`.
//!
//! Parsing runs in three passes, each with its own kind of error:
//!
//! 1. the TOML grammar ([`SpecError::Syntax`]);
//! 2. serde into the [`Spec`] types: unknown keys, wrong types, unknown `type`s
//!    ([`SpecError::Invalid`]);
//! 3. semantic checks that serde cannot express (`check.rs`): ranges, allowed strings, unique names
//!    ([`SpecError::Invalid`] when the offending key is in the text, [`SpecError::Check`] when
//!    it is not, e.g. a default that conflicts with another setting).
//!
//! Passes 2 and 3 locate their errors with a second, span-keeping parse of the same text
//! (`toml::de::DeTable`): serde only knows a byte range, and for internally tagged tables
//! (`[[layers]]`, `[training.optimizer]`) that range is the whole table, so the offending key is
//! found again by name or by value.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::check::{Problem, check_spec};
pub use crate::error::SpecError;
use crate::types::Spec;

/// Parses and validates a spec.
///
/// `file_name` is only used in error messages. The result has passed every check that does not
/// need the data; layer shapes are checked separately by [`crate::infer_shapes`] once the input
/// shape is known.
///
/// # Examples
///
/// ```
/// let spec = kiln_spec::parse_spec(
///     r#"
///     [data]
///     source = "moons"
///     [[input]]
///     name = "x0"
///     type = "number"
///     [output]
///     name = "label"
///     type = "category"
///     "#,
///     "moons.toml",
/// )
/// .unwrap();
/// assert_eq!(spec.inputs[0].name, "x0");
///
/// let err = kiln_spec::parse_spec("[data]\nsource = 3\n", "bad.toml").unwrap_err();
/// assert!(err.to_string().starts_with("bad.toml:2:10: "));
/// ```
pub fn parse_spec(text: &str, file_name: &str) -> Result<Spec, SpecError> {
    let tree = DeTable::parse(text).map_err(|err| {
        let (line, column) = line_column(text, err.span().map_or(0, |s| s.start));
        SpecError::Syntax {
            file: file_name.to_string(),
            line,
            column,
            message: err.message().trim().to_string(),
        }
    })?;
    let locator = Locator {
        text,
        file: file_name,
        root: &tree,
    };
    let spec: Spec = toml::from_str(text).map_err(|err| locator.serde_error(&err))?;
    check_spec(&spec).map_err(|problem| locator.problem(problem))?;
    Ok(spec)
}

/// Reads, parses and validates a spec file (see [`parse_spec`]). Messages name the path as given.
pub fn parse_spec_file(path: impl AsRef<Path>) -> Result<Spec, SpecError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_spec(&text, &path.display().to_string())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    // A spec with more than 4 billion lines or columns is not a spec.
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (to_u32(line), to_u32(column))
}

// ---------------------------------------------------------------------------------------------
// Locating errors in the span-keeping tree

/// One step of a dotted path.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn path_string(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Parses `layers[2].units` into steps.
fn parse_path(path: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(key) = pieces.next().filter(|k| !k.is_empty()) {
            steps.push(Step::Key(key.to_string()));
        }
        for index in pieces {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                steps.push(Step::Index(i));
            }
        }
    }
    steps
}

/// A node of the tree with its path.
struct Found<'a, 'i> {
    steps: Vec<Step>,
    span: Range<usize>,
    value: &'a DeValue<'i>,
}

fn children<'a, 'i>(value: &'a DeValue<'i>) -> Vec<(Step, &'a Spanned<DeValue<'i>>)> {
    match value {
        DeValue::Table(t) => t
            .iter()
            .map(|(k, v)| (Step::Key(k.get_ref().to_string()), v))
            .collect(),
        DeValue::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (Step::Index(i), v))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every node under `value` in document order, with its path relative to `value`.
fn descendants<'a, 'i>(value: &'a DeValue<'i>, prefix: &[Step], out: &mut Vec<Found<'a, 'i>>) {
    for (step, child) in children(value) {
        let mut steps = prefix.to_vec();
        steps.push(step);
        out.push(Found {
            steps: steps.clone(),
            span: child.span(),
            value: child.get_ref(),
        });
        descendants(child.get_ref(), &steps, out);
    }
}

/// The span of a key (not its value) inside a table.
fn key_span(table: &DeValue<'_>, key: &str) -> Option<Range<usize>> {
    match table {
        DeValue::Table(t) => t
            .iter()
            .find(|(k, _)| *k.get_ref() == key)
            .map(|(k, _)| k.span()),
        _ => None,
    }
}

/// What serde said was wrong, taken apart.
struct SerdeMessage<'m> {
    raw: &'m str,
}

impl<'m> SerdeMessage<'m> {
    /// The text between the first pair of backticks after `prefix`.
    fn quoted_after(&self, prefix: &str) -> Option<&'m str> {
        let rest = self.raw.strip_prefix(prefix)?;
        let rest = rest.strip_prefix('`')?;
        rest.split('`').next()
    }

    /// What was found, for `invalid type: FOUND, expected …` and `invalid value: FOUND, …`.
    fn found(&self) -> Option<&'m str> {
        let rest = self
            .raw
            .strip_prefix("invalid type: ")
            .or_else(|| self.raw.strip_prefix("invalid value: "))?;
        rest.rsplit_once(", expected ").map(|(found, _)| found)
    }

    fn expected(&self) -> &'m str {
        self.raw
            .rsplit_once("expected ")
            .map_or("", |(_, e)| e.trim())
    }

    /// The backticked names after `expected one of` / `expected `a` or `b``.
    fn allowed(&self) -> Vec<String> {
        let expected = self.expected();
        if !expected.starts_with("one of") && !expected.starts_with('`') {
            return Vec::new();
        }
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }
}

/// Turns serde's type names into words a spec author knows.
fn humanize_expected(expected: &str) -> String {
    match expected {
        "usize" | "u64" | "u32" | "u16" | "u8" => "a non-negative integer".into(),
        "i64" | "i32" | "isize" => "an integer".into(),
        "f64" | "f32" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        e if e.starts_with("struct ") || e.contains("enum ") => "a table".into(),
        e => e.to_string(),
    }
}

/// Whether a node is what serde printed as the found value (`string "x"`, `integer `3``, …).
fn matches_found(value: &DeValue<'_>, found: &str) -> bool {
    let backticked = || found.split('`').nth(1);
    match value {
        DeValue::String(s) => found == format!("string {:?}", s.as_ref()),
        DeValue::Integer(i) => {
            found.starts_with("integer")
                && backticked().and_then(|b| b.parse::<i128>().ok())
                    == i128::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
        }
        DeValue::Float(x) => {
            found.starts_with("floating point")
                && backticked().and_then(|b| b.parse::<f64>().ok())
                    == x.as_str().replace('_', "").parse::<f64>().ok()
        }
        DeValue::Boolean(b) => found == format!("boolean `{b}`"),
        DeValue::Array(_) => found == "sequence",
        DeValue::Table(_) => found == "map",
        DeValue::Datetime(_) => false,
    }
}

/// Describes what a table is, for messages like `unknown key `x` in layers[2]`.
fn where_in(steps: &[Step]) -> String {
    if steps.is_empty() {
        "the top level".into()
    } else {
        path_string(steps)
    }
}

struct Locator<'t, 'i> {
    text: &'t str,
    file: &'t str,
    root: &'t Spanned<DeTable<'i>>,
}

impl<'i> Locator<'_, 'i> {
    fn root_value(&self) -> DeValue<'i> {
        DeValue::Table(self.root.get_ref().clone())
    }

    fn invalid(
        &self,
        span_start: usize,
        field: String,
        message: String,
        expected: String,
        allowed: Vec<String>,
    ) -> SpecError {
        let (line, column) = line_column(self.text, span_start);
        SpecError::Invalid {
            file: self.file.to_string(),
            line,
            column,
            field,
            message,
            expected,
            allowed: allowed.into_boxed_slice(),
        }
    }

    /// Converts a serde error into a located [`SpecError`].
    fn serde_error(&self, err: &toml::de::Error) -> SpecError {
        let root = self.root_value();
        let msg = SerdeMessage {
            raw: err.message().trim(),
        };
        let span = err.span().unwrap_or(0..0);

        // The smallest node containing the error; an empty span means the whole document.
        let mut nodes = Vec::new();
        descendants(&root, &[], &mut nodes);
        let node = if span.is_empty() {
            None
        } else {
            nodes
                .iter()
                .filter(|n| n.span.start <= span.start && span.end <= n.span.end)
                .min_by_key(|n| (n.span.len(), std::cmp::Reverse(n.steps.len())))
        };
        let (steps, node_span, node_value) = match node {
            Some(n) => (n.steps.clone(), n.span.clone(), n.value),
            None => (Vec::new(), 0..0, &root),
        };

        if let Some(key) = msg.quoted_after("unknown field ") {
            // An inline table inside an array is reported at the array: find the table that
            // holds the key.
            let (steps, node_value, at) = match key_span(node_value, key) {
                Some(at) => (steps, node_value, at),
                None => {
                    let mut inner = Vec::new();
                    descendants(node_value, &[], &mut inner);
                    inner.sort_by_key(|n| n.span.start);
                    match inner.into_iter().find(|n| key_span(n.value, key).is_some()) {
                        Some(n) => {
                            let at = key_span(n.value, key).unwrap_or(n.span);
                            let mut full = steps;
                            full.extend(n.steps);
                            (full, n.value, at)
                        }
                        None => (steps, node_value, node_span),
                    }
                }
            };
            let mut allowed = msg.allowed();
            // Tagged tables also take `type`, which serde does not list.
            if key_span(node_value, "type").is_some() && !allowed.iter().any(|a| a == "type") {
                allowed.insert(0, "type".into());
            }
            let mut field = steps.clone();
            field.push(Step::Key(key.to_string()));
            return self.invalid(
                at.start,
                path_string(&field),
                format!("unknown key `{key}` in {}", where_in(&steps)),
                String::new(),
                allowed,
            );
        }

        if let Some(key) = msg.quoted_after("missing field ") {
            let mut field = steps.clone();
            field.push(Step::Key(key.to_string()));
            if steps.is_empty() {
                let what = match key {
                    "data" => "section `[data]`".to_string(),
                    "input" => "`[[input]]` (at least one input)".to_string(),
                    "output" => "section `[output]`".to_string(),
                    k => format!("key `{k}`"),
                };
                return SpecError::Check {
                    file: self.file.to_string(),
                    field: key.to_string(),
                    message: format!("missing {what}"),
                };
            }
            return self.invalid(
                node_span.start,
                path_string(&field),
                format!("missing key `{key}` in {}", where_in(&steps)),
                String::new(),
                Vec::new(),
            );
        }

        // For a tagged table serde points at the whole table: find the offending value in it.
        let wanted = |v: &DeValue<'_>| match msg.quoted_after("unknown variant ") {
            Some(variant) => matches!(v, DeValue::String(s) if s.as_ref() == variant),
            None => msg.found().is_some_and(|found| matches_found(v, found)),
        };
        let (steps, at) = if matches!(node_value, DeValue::Table(_)) && !wanted(node_value) {
            let mut inner = Vec::new();
            descendants(node_value, &[], &mut inner);
            inner.sort_by_key(|n| n.span.start);
            match inner.into_iter().find(|n| wanted(n.value)) {
                Some(n) => {
                    let mut full = steps;
                    full.extend(n.steps);
                    (full, n.span)
                }
                None => (steps, node_span),
            }
        } else {
            (steps, node_span)
        };
        let field = path_string(&steps);

        if let Some(variant) = msg.quoted_after("unknown variant ") {
            let parent = where_in(&steps[..steps.len().saturating_sub(1)]);
            let last_key = match steps.last() {
                Some(Step::Key(k)) => k.as_str(),
                _ => "",
            };
            let what = match (steps.first(), last_key) {
                (Some(Step::Key(k)), "type") if k == "layers" => "layer type",
                (Some(Step::Key(k)), "type") if k == "input" => "input type",
                (Some(Step::Key(k)), "type") if k == "output" => "output type",
                (_, "type") if field.ends_with("optimizer.type") => "optimizer",
                (_, "type") if field.ends_with("lr_schedule.type") => "learning-rate schedule",
                (_, "activation" | "function") => "activation",
                _ => "value",
            };
            let message = if what == "value" {
                format!("unknown value `{variant}` for {field}")
            } else {
                format!("unknown {what} `{variant}` in {parent}")
            };
            return self.invalid(at.start, field, message, String::new(), msg.allowed());
        }

        if let Some(found) = msg.found() {
            let expected = humanize_expected(msg.expected());
            let message = if msg.raw.starts_with("invalid type") {
                format!("wrong type for {}: found {found}", or_top(&field))
            } else {
                format!("invalid value for {}: {found}", or_top(&field))
            };
            return self.invalid(at.start, field, message, expected, Vec::new());
        }

        let message = if field.is_empty() {
            msg.raw.to_string()
        } else {
            format!("{field}: {}", msg.raw)
        };
        self.invalid(at.start, field, message, String::new(), Vec::new())
    }

    /// Locates a semantic-check failure at its key's value, or the nearest enclosing table that
    /// is written in the text.
    fn problem(&self, problem: Problem) -> SpecError {
        let steps = parse_path(&problem.field);
        let root = self.root_value();
        let mut value = &root;
        let mut span = None;
        for step in &steps {
            let next = children(value).into_iter().find(|(s, _)| match (s, step) {
                (Step::Key(a), Step::Key(b)) => a == b,
                (Step::Index(a), Step::Index(b)) => a == b,
                _ => false,
            });
            match next {
                Some((_, child)) => {
                    span = Some(child.span());
                    value = child.get_ref();
                }
                None => break,
            }
        }
        match span {
            Some(span) => self.invalid(
                span.start,
                problem.field,
                problem.message,
                problem.expected,
                problem.allowed,
            ),
            None => problem.unlocated(self.file),
        }
    }
}

fn or_top(field: &str) -> &str {
    if field.is_empty() { "the spec" } else { field }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::LayerSpec;

    #[test]
    fn line_column_counts_characters_from_one() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // `=` after the two-byte `é`: byte 10, character column 4.
        assert_eq!(line_column(text, text.find('=').unwrap()), (1, 3));
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn paths_round_trip() {
        for path in [
            "layers[2].units",
            "data.split.test",
            "input[0]",
            "a[1][2].b",
        ] {
            assert_eq!(path_string(&parse_path(path)), path);
        }
    }

    #[test]
    fn serde_messages_are_taken_apart() {
        let msg = SerdeMessage {
            raw: "unknown variant `adamw`, expected one of `sgd`, `adam`, `rmsprop`",
        };
        assert_eq!(msg.quoted_after("unknown variant "), Some("adamw"));
        assert_eq!(msg.allowed(), ["sgd", "adam", "rmsprop"]);

        let msg = SerdeMessage {
            raw: "unknown variant `x`, expected `a` or `b`",
        };
        assert_eq!(msg.allowed(), ["a", "b"]);

        let msg = SerdeMessage {
            raw: "invalid type: string \"x\", expected usize",
        };
        assert_eq!(msg.found(), Some("string \"x\""));
        assert_eq!(humanize_expected(msg.expected()), "a non-negative integer");
        assert!(msg.allowed().is_empty());
    }

    #[test]
    fn found_values_match_their_toml_spelling() {
        fn value(text: &str) -> DeValue<'_> {
            let table = DeTable::parse(text).unwrap().into_inner();
            table.get("v").unwrap().get_ref().clone()
        }
        assert!(matches_found(&value("v = \"x\""), "string \"x\""));
        assert!(matches_found(&value("v = 1_000"), "integer `1000`"));
        assert!(matches_found(&value("v = 0x10"), "integer `16`"));
        assert!(matches_found(&value("v = 1.5"), "floating point `1.5`"));
        assert!(matches_found(&value("v = true"), "boolean `true`"));
        assert!(!matches_found(&value("v = 2"), "integer `3`"));
    }

    #[test]
    fn errors_display_like_a_compiler() {
        let err = SpecError::Invalid {
            file: "mnist.toml".into(),
            line: 12,
            column: 8,
            field: "layers[3].type".into(),
            message: "unknown layer type `dense2` in layers[3]".into(),
            expected: String::new(),
            allowed: LayerSpec::TYPES.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            err.to_string(),
            "mnist.toml:12:8: unknown layer type `dense2` in layers[3]; expected one of: dense, \
             conv2d, max_pool2d, avg_pool2d, conv1d, max_pool1d, global_max_pool1d, \
             global_avg_pool1d, flatten, dropout, batch_norm, layer_norm, activation, embedding, lstm, \
             gru"
        );
        let err = SpecError::Shape {
            layer: 4,
            layer_desc: "head dense 10".into(),
            message: "m".into(),
        };
        assert_eq!(err.to_string(), "head dense 10: m");
    }
}
