//! The searches kiln does over a list the store gives (experiments, registered models, model
//! versions: few, unlike runs, which the store searches in SQL): a filter in kiln's one
//! expression syntax evaluated on each item by [`kiln_query::eval`] (the one evaluator, SQL's
//! three-valued logic), and order-by clauses. Each kind of item says which names it has
//! ([`Searchable`]); `attributes.` before a name is allowed.

use std::cmp::Ordering;

use kiln_query::{Expr, Literal, Name, Op, Row, Value};
use kiln_runs::{Experiment, ModelVersion, RegisteredModel};

use crate::error::ApiError;

/// A field's value on one item.
pub(crate) enum Field {
    /// A string; `None` when the item lacks it (a tag not set: NULL).
    Text(Option<String>),
    /// A number (times, version numbers).
    Number(f64),
}

/// Something a filter can be evaluated on.
pub(crate) trait Searchable {
    /// What it is called in messages (`experiments`).
    const KIND: &'static str;
    /// The names it has, for messages.
    const NAMES: &'static str;
    /// The value of a plain field (`name`), or `None` when it has no such field.
    fn attribute(&self, name: &str) -> Option<Field>;
    /// Its tags, when it has tags.
    fn tag(&self, key: &str) -> Option<Field>;
}

impl Searchable for Experiment {
    const KIND: &'static str = "experiments";
    const NAMES: &'static str = "name, experiment_id, creation_time, last_update_time, tags.KEY";
    fn attribute(&self, name: &str) -> Option<Field> {
        Some(match name {
            "name" => Field::Text(Some(self.name.clone())),
            "experiment_id" => Field::Text(Some(self.id.to_string())),
            "creation_time" => Field::Number(self.creation_time as f64),
            "last_update_time" => Field::Number(self.last_update_time as f64),
            _ => return None,
        })
    }
    fn tag(&self, key: &str) -> Option<Field> {
        Some(Field::Text(self.tags.get(key).cloned()))
    }
}

impl Searchable for RegisteredModel {
    const KIND: &'static str = "registered models";
    const NAMES: &'static str = "name, creation_timestamp, last_updated_timestamp, tags.KEY";
    fn attribute(&self, name: &str) -> Option<Field> {
        Some(match name {
            "name" => Field::Text(Some(self.name.clone())),
            "creation_timestamp" => Field::Number(self.creation_time as f64),
            "last_updated_timestamp" => Field::Number(self.last_update_time as f64),
            _ => return None,
        })
    }
    fn tag(&self, key: &str) -> Option<Field> {
        Some(Field::Text(self.tags.get(key).cloned()))
    }
}

impl Searchable for ModelVersion {
    const KIND: &'static str = "model versions";
    const NAMES: &'static str = "name, version_number, run_id, source_path, creation_timestamp, last_updated_timestamp, tags.KEY";
    fn attribute(&self, name: &str) -> Option<Field> {
        Some(match name {
            "name" => Field::Text(Some(self.name.clone())),
            "version_number" | "version" => Field::Number(self.version as f64),
            "run_id" => Field::Text(self.run_id.clone()),
            "source_path" | "source" => Field::Text(Some(self.source.clone())),
            "creation_timestamp" => Field::Number(self.creation_time as f64),
            "last_updated_timestamp" => Field::Number(self.last_update_time as f64),
            _ => return None,
        })
    }
    fn tag(&self, key: &str) -> Option<Field> {
        Some(Field::Text(self.tags.get(key).cloned()))
    }
}

fn field<T: Searchable>(item: &T, name: &Name) -> Result<Field, ApiError> {
    let parts: Vec<&str> = name.parts.iter().map(String::as_str).collect();
    let skip = usize::from(matches!(
        parts.first(),
        Some(&("attributes" | "attribute" | "attr"))
    ));
    let found = match &parts[skip..] {
        [plain] => item.attribute(plain),
        ["tags" | "tag", _, ..] => item.tag(&name.key_after(skip + 1)),
        _ => None,
    };
    found.ok_or_else(|| {
        ApiError::invalid(format!(
            "{} cannot be searched by '{}'; use {}",
            T::KIND,
            name.dotted(),
            T::NAMES
        ))
    })
}

/// One item as a row of [`kiln_query::eval`]; every name was checked to exist first.
struct ItemRow<'a, T>(&'a T);

impl<T: Searchable> Row for ItemRow<'_, T> {
    fn get(&self, name: &Name) -> Option<Value> {
        Some(match field(self.0, name).ok()? {
            Field::Text(Some(text)) => Value::String(text),
            Field::Text(None) => Value::Null,
            Field::Number(n) => Value::Number(n),
        })
    }
}

/// ``tag.`mlflow.prompt.is_prompt` != 'true'``, which the client adds to every registered-model
/// search. MLflow means "not a prompt", so a model without the tag matches; SQL's `!=` on a
/// missing tag would be unknown, and every model would be dropped.
fn is_prompt_exclusion(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Compare { name, op: Op::Ne, value: Literal::String(v) }
            if v == "true"
                && matches!(name.parts.first().map(String::as_str), Some("tag" | "tags"))
                && name.key_after(1) == PROMPT_TAG
    )
}

/// The tag MLflow marks prompts with (prompts live in the registry as models).
const PROMPT_TAG: &str = "mlflow.prompt.is_prompt";

/// The items `filter` keeps (all when `None`), under SQL's three-valued logic
/// ([`kiln_query::eval`]): a comparison with an unset tag matches nothing, except in the
/// client's prompt exclusion.
pub(crate) fn filter<T: Searchable>(
    items: Vec<T>,
    filter: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    let Some(text) = filter else {
        return Ok(items);
    };
    let expr = kiln_query::parse(text)
        .map_err(|e| ApiError::invalid(format!("invalid filter: {}", e.render(text))))?;
    let Some(first) = items.first() else {
        return Ok(items);
    };
    for name in expr.names() {
        field(first, name)?;
    }
    let conjuncts = expr.conjuncts();
    let mut kept = Vec::new();
    for item in items {
        let mut keep = true;
        for part in &conjuncts {
            let matched = if is_prompt_exclusion(part) {
                item.tag(PROMPT_TAG)
                    .is_none_or(|f| !matches!(f, Field::Text(Some(v)) if v == "true"))
            } else {
                kiln_query::eval(part, &ItemRow(&item))
                    .map_err(|e| ApiError::invalid(format!("invalid filter: {e}")))?
            };
            if !matched {
                keep = false;
                break;
            }
        }
        if keep {
            kept.push(item);
        }
    }
    Ok(kept)
}

/// Sorts by the `order_by` clauses, then by `then`.
pub(crate) fn order<T: Searchable>(
    items: &mut [T],
    order_by: &[String],
    then: fn(&T, &T) -> Ordering,
) -> Result<(), ApiError> {
    let mut keys = Vec::new();
    for clause in order_by {
        let parsed = kiln_query::parse_order_by(clause)
            .map_err(|e| ApiError::invalid(format!("invalid order_by: {}", e.render(clause))))?;
        keys.push(parsed);
    }
    // Check every key names a field before sorting (the comparator cannot fail).
    if let Some(first) = items.first() {
        for key in &keys {
            field(first, &key.name)?;
        }
    }
    items.sort_by(|a, b| {
        for key in &keys {
            let ord = match (field(a, &key.name), field(b, &key.name)) {
                (Ok(Field::Number(x)), Ok(Field::Number(y))) => x.total_cmp(&y),
                (Ok(Field::Text(x)), Ok(Field::Text(y))) => x.cmp(&y),
                _ => Ordering::Equal,
            };
            let ord = if key.descending { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        then(a, b)
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn model(name: &str, tags: &[(&str, &str)]) -> RegisteredModel {
        RegisteredModel {
            name: name.to_string(),
            description: String::new(),
            creation_time: 1,
            last_update_time: 2,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            aliases: BTreeMap::new(),
            latest_version: None,
        }
    }

    fn names(models: Vec<RegisteredModel>, f: &str) -> Vec<String> {
        filter(models, Some(f))
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    #[test]
    fn the_clients_prompt_exclusion_keeps_models_without_the_tag() {
        let models = vec![
            model("a", &[]),
            model("b", &[("mlflow.prompt.is_prompt", "true")]),
            model("c", &[("mlflow.prompt.is_prompt", "false")]),
        ];
        assert_eq!(
            names(
                models,
                "name LIKE '%' AND tag.`mlflow.prompt.is_prompt` != 'true'"
            ),
            ["a", "c"]
        );
    }

    #[test]
    fn names_and_tags() {
        let models = vec![model("a", &[("team", "x")]), model("b", &[])];
        assert_eq!(names(models.clone(), "name = 'b'"), ["b"]);
        assert_eq!(names(models.clone(), "tags.team = 'x'"), ["a"]);
        assert_eq!(names(models.clone(), "attributes.name != 'a'"), ["b"]);
        let e = filter(models, Some("metrics.x > 1")).unwrap_err();
        assert!(
            e.message
                .contains("registered models cannot be searched by"),
            "{e}"
        );
    }

    #[test]
    fn order_then_default() {
        let mut models = vec![model("b", &[]), model("a", &[]), model("c", &[])];
        order(&mut models, &["name DESC".to_string()], |a, b| {
            a.name.cmp(&b.name)
        })
        .unwrap();
        assert_eq!(
            models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
            ["c", "b", "a"]
        );
        assert!(
            order(&mut models, &["nope".to_string()], |a, b| a
                .name
                .cmp(&b.name))
            .is_err()
        );
    }
}
