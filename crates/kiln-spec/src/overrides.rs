//! Changing a spec by dotted path (`training.optimizer.learning_rate=0.01`,
//! `layers[1].units=64`), as `kiln train --set` and tuning trials do.
//!
//! Overrides edit the spec's *text* (comments and layout kept), which is then read like any
//! spec: every rule and message applies to the result, and the text a model file stores is the
//! one that was trained. Paths use the spelling of the spec's own messages: table keys joined
//! by dots, an array-of-tables entry by its 0-based index in brackets.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use toml_edit::{DocumentMut, Item, Table, TableLike, Value};

/// One `path=value` change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Where, e.g. `training.optimizer.learning_rate` or `layers[0].units`.
    pub path: String,
    /// The new value as TOML (`0.01`, `true`, `"adam"`, `[64, 64]`); text that is not a TOML
    /// value is taken as a string, so `training.optimizer.type=adam` needs no quotes.
    pub value: String,
}

impl Override {
    /// An override of `path` with `value`.
    pub fn new(path: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            value: value.into(),
        }
    }
}

impl FromStr for Override {
    type Err = OverrideError;

    /// Reads `path=value`.
    fn from_str(s: &str) -> Result<Self, OverrideError> {
        let (path, value) = s.split_once('=').ok_or_else(|| OverrideError::Syntax {
            text: s.to_string(),
        })?;
        let path = path.trim();
        if path.is_empty() {
            return Err(OverrideError::Syntax {
                text: s.to_string(),
            });
        }
        Ok(Self::new(path, value.trim()))
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

/// An override that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OverrideError {
    /// Not `path=value`.
    #[error("override `{text}`: expected PATH=VALUE, e.g. training.epochs=5")]
    Syntax {
        /// What was given.
        text: String,
    },
    /// A path segment that is not `key` or `key[index]`.
    #[error("override `{path}`: `{segment}` is not a key or key[index]")]
    Path {
        /// The whole path.
        path: String,
        /// The bad segment.
        segment: String,
    },
    /// The spec itself is not valid TOML (its own error comes when it is read without
    /// overrides).
    #[error("the spec is not valid TOML, so --set cannot edit it: {reason}")]
    Document {
        /// The parser's complaint.
        reason: String,
    },
    /// An index past the end of an array of tables.
    #[error("override `{path}`: {key} has {len} entries, so there is no {key}[{index}]")]
    Index {
        /// The whole path.
        path: String,
        /// The array's key.
        key: String,
        /// The index asked for.
        index: usize,
        /// Entries in the array.
        len: usize,
    },
    /// A path that goes through a value that is not a table.
    #[error("override `{path}`: `{key}` is a value, not a table, so it has no `{next}`")]
    NotATable {
        /// The whole path.
        path: String,
        /// The key holding a plain value.
        key: String,
        /// The key asked for below it.
        next: String,
    },
}

/// One step of a path: a key, with an index when it names an array-of-tables entry. An
/// index is written `layers[1]` or, as run params spell it, `layers.1`.
fn segments(path: &str) -> Result<Vec<(&str, Option<usize>)>, OverrideError> {
    let steps: Vec<(&str, Option<usize>)> = path
        .split('.')
        .map(|seg| {
            let bad = || OverrideError::Path {
                path: path.to_string(),
                segment: seg.to_string(),
            };
            let (key, index) = match seg.split_once('[') {
                None => (seg, None),
                Some((key, rest)) => {
                    let digits = rest.strip_suffix(']').ok_or_else(bad)?;
                    (key, Some(digits.parse::<usize>().map_err(|_| bad())?))
                }
            };
            let plain = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if plain { Ok((key, index)) } else { Err(bad()) }
        })
        .collect::<Result<_, _>>()?;
    let mut merged: Vec<(&str, Option<usize>)> = Vec::with_capacity(steps.len());
    for (key, index) in steps {
        let numeric = index.is_none() && key.bytes().all(|b| b.is_ascii_digit());
        match merged.last_mut() {
            Some(last) if numeric && last.1.is_none() => {
                last.1 = Some(key.parse().map_err(|_| OverrideError::Path {
                    path: path.to_string(),
                    segment: key.to_string(),
                })?);
            }
            _ => merged.push((key, index)),
        }
    }
    Ok(merged)
}

/// Parses `text` as a TOML value, or takes it as a string.
fn value_of(text: &str) -> Value {
    text.parse::<Value>()
        .unwrap_or_else(|_| Value::from(text.to_string()))
}

/// `text` with every override applied in order (later ones win).
///
/// # Errors
///
/// A malformed path, an index past the end of an array of tables, a path through a plain
/// value, or a spec that is not TOML at all.
pub fn apply_overrides(text: &str, overrides: &[Override]) -> Result<String, OverrideError> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| OverrideError::Document {
                reason: e.message().to_string(),
            })?;
    for o in overrides {
        let steps = segments(&o.path)?;
        let Some((last, parents)) = steps.split_last() else {
            continue; // `split` always yields a segment; nothing to do otherwise
        };
        let mut table: &mut dyn TableLike = doc.as_table_mut();
        for &(key, index) in parents {
            table = child_table(table, key, index, &o.path, last.0)?;
        }
        let (key, index) = *last;
        match index {
            None => {
                let mut value = value_of(&o.value);
                // Keep the old value's spacing and trailing comment.
                if let Some(old) = table.get(key).and_then(Item::as_value) {
                    *value.decor_mut() = old.decor().clone();
                }
                table.insert(key, Item::Value(value));
            }
            Some(i) => {
                // `key[i]=v` sets an entry of an inline array.
                let array = table.get_mut(key).and_then(Item::as_array_mut);
                let len = array.as_ref().map_or(0, |a| a.len());
                match array {
                    Some(array) if i < len => {
                        array.replace(i, value_of(&o.value));
                    }
                    _ => {
                        return Err(OverrideError::Index {
                            path: o.path.clone(),
                            key: key.to_string(),
                            index: i,
                            len,
                        });
                    }
                }
            }
        }
    }
    Ok(doc.to_string())
}

/// The table at `key` (or `key[index]`) inside `table`, created when a plain key is absent.
/// Standard and inline tables (and arrays of either) are both walked.
fn child_table<'t>(
    table: &'t mut dyn TableLike,
    key: &str,
    index: Option<usize>,
    path: &str,
    next: &str,
) -> Result<&'t mut dyn TableLike, OverrideError> {
    let not_a_table = || OverrideError::NotATable {
        path: path.to_string(),
        key: key.to_string(),
        next: next.to_string(),
    };
    let Some(i) = index else {
        if !table.contains_key(key) {
            let mut fresh = Table::new();
            fresh.set_implicit(true);
            table.insert(key, Item::Table(fresh));
        }
        return table
            .get_mut(key)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(not_a_table);
    };
    let item = table.get_mut(key);
    let len = item.as_ref().map_or(0, |item| match item {
        Item::ArrayOfTables(a) => a.len(),
        Item::Value(Value::Array(a)) => a.len(),
        _ => 0,
    });
    let entry: Option<&'t mut dyn TableLike> = match item {
        Some(Item::ArrayOfTables(a)) => a.get_mut(i).map(|t| t as &mut dyn TableLike),
        Some(Item::Value(Value::Array(a))) => match a.get_mut(i) {
            Some(Value::InlineTable(t)) => Some(t as &mut dyn TableLike),
            Some(_) => return Err(not_a_table()),
            None => None,
        },
        _ => None,
    };
    entry.ok_or_else(|| OverrideError::Index {
        path: path.to_string(),
        key: key.to_string(),
        index: i,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, sets: &[&str]) -> Result<String, OverrideError> {
        let overrides: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        apply_overrides(text, &overrides)
    }

    const SPEC: &str = "# top\n[data]\nsource = \"a.csv\" # where\n\n[[layers]]\ntype = \"dense\"\nunits = 8\n\n[[layers]]\ntype = \"dropout\"\nrate = 0.5\n\n[training]\nepochs = 10\n";

    #[test]
    fn values_change_in_place_and_comments_stay() {
        let out = apply(
            SPEC,
            &[
                "layers[1].rate=0.25",
                "training.epochs=3",
                "data.source=b.csv",
            ],
        )
        .unwrap();
        assert_eq!(
            out,
            SPEC.replace("rate = 0.5", "rate = 0.25")
                .replace("epochs = 10", "epochs = 3")
                .replace("\"a.csv\"", "\"b.csv\"")
        );
    }

    #[test]
    fn an_index_may_be_written_as_a_dotted_number() {
        assert_eq!(
            apply(SPEC, &["layers.1.rate=0.25", "layers.0.units=4"]).unwrap(),
            apply(SPEC, &["layers[1].rate=0.25", "layers[0].units=4"]).unwrap()
        );
        assert_eq!(
            apply(SPEC, &["layers.2.rate=0.1"]).unwrap_err().to_string(),
            "override `layers.2.rate`: layers has 2 entries, so there is no layers[2]"
        );
    }

    #[test]
    fn missing_tables_and_keys_are_created() {
        let out = apply(
            SPEC,
            &["training.optimizer.learning_rate=0.01", "training.seed=4"],
        )
        .unwrap();
        let v: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(
            v["training"]["optimizer"]["learning_rate"].as_float(),
            Some(0.01)
        );
        assert_eq!(v["training"]["seed"].as_integer(), Some(4));
        assert!(out.starts_with("# top\n[data]\nsource = \"a.csv\" # where\n"));
    }

    #[test]
    fn values_are_toml_or_else_strings() {
        let out = apply(
            SPEC,
            &[
                "training.shuffle=true",
                "training.optimizer.type=adam",
                "x.list=[1, 2]",
            ],
        )
        .unwrap();
        let v: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(v["training"]["shuffle"].as_bool(), Some(true));
        assert_eq!(v["training"]["optimizer"]["type"].as_str(), Some("adam"));
        assert_eq!(v["x"]["list"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn inline_tables_are_walked() {
        let text = "layers = [{ type = \"dense\", units = 3 }]\n[training]\noptimizer = { type = \"sgd\" }\n";
        let out = apply(
            text,
            &["layers[0].units=5", "training.optimizer.learning_rate=0.5"],
        )
        .unwrap();
        let v: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(v["layers"][0]["units"].as_integer(), Some(5));
        assert_eq!(
            v["training"]["optimizer"]["learning_rate"].as_float(),
            Some(0.5)
        );
    }

    #[test]
    fn bad_overrides_say_what_is_wrong() {
        let err = |sets: &[&str]| apply(SPEC, sets).unwrap_err().to_string();
        assert_eq!(
            err(&["layers[2].units=3"]),
            "override `layers[2].units`: layers has 2 entries, so there is no layers[2]"
        );
        assert_eq!(
            err(&["training.epochs.x=1"]),
            "override `training.epochs.x`: `epochs` is a value, not a table, so it has no `x`"
        );
        assert_eq!(
            err(&["layers[x].units=1"]),
            "override `layers[x].units`: `layers[x]` is not a key or key[index]"
        );
        assert_eq!(
            "epochs".parse::<Override>().unwrap_err().to_string(),
            "override `epochs`: expected PATH=VALUE, e.g. training.epochs=5"
        );
        assert!(
            apply("[data\n", &["a=1"])
                .unwrap_err()
                .to_string()
                .starts_with("the spec is not valid TOML")
        );
    }
}
