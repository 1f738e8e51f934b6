//! `search_experiments`' filter and order, evaluated over the store's experiment list (there
//! are few experiments; runs are searched in SQL by the store). The filter is kiln's one
//! expression syntax ([`kiln_query`]); names: `name`, `tags.KEY`, `creation_time`,
//! `last_update_time`, `experiment_id` (optionally behind `attributes.`). The default order
//! is MLflow's: newest first, then by id.

use std::cmp::Ordering;

use kiln_query::{Expr, Literal, Name, Op};
use kiln_runs::Experiment;

use crate::error::ApiError;

/// A field's value on one experiment.
enum Field {
    Text(Option<String>),
    Number(f64),
}

fn field(e: &Experiment, name: &Name) -> Result<Field, ApiError> {
    let parts: Vec<&str> = name.parts.iter().map(String::as_str).collect();
    let parts = match parts.as_slice() {
        ["attributes" | "attribute" | "attr", rest @ ..] => rest,
        other => other,
    };
    Ok(match parts {
        ["name"] => Field::Text(Some(e.name.clone())),
        ["experiment_id"] => Field::Text(Some(e.id.to_string())),
        ["creation_time"] => Field::Number(e.creation_time as f64),
        ["last_update_time"] => Field::Number(e.last_update_time as f64),
        ["tags" | "tag", ..] if parts.len() > 1 => Field::Text(
            e.tags
                .get(&name.key_after(name.parts.len() - parts.len() + 1))
                .cloned(),
        ),
        _ => {
            return Err(ApiError::invalid(format!(
                "experiments cannot be searched by '{}'; use name, tags.KEY, creation_time, last_update_time",
                name.dotted()
            )));
        }
    })
}

fn compare(op: Op, ord: Ordering) -> bool {
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Ne => ord != Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Like | Op::ILike | Op::NotLike | Op::NotILike => false,
    }
}

fn matches(e: &Experiment, expr: &Expr) -> Result<bool, ApiError> {
    Ok(match expr {
        Expr::And(a, b) => matches(e, a)? && matches(e, b)?,
        Expr::Or(a, b) => matches(e, a)? || matches(e, b)?,
        Expr::Not(a) => !matches(e, a)?,
        Expr::IsNull { name, negated } => {
            let null = matches!(field(e, name)?, Field::Text(None));
            null != *negated
        }
        Expr::In {
            name,
            negated,
            values,
        } => {
            let found = values
                .iter()
                .map(|v| compare_one(e, name, Op::Eq, v))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .any(|b| b);
            found != *negated
        }
        Expr::Compare { name, op, value } => compare_one(e, name, *op, value)?,
    })
}

fn compare_one(e: &Experiment, name: &Name, op: Op, value: &Literal) -> Result<bool, ApiError> {
    Ok(match (field(e, name)?, value) {
        (Field::Text(None), _) => false,
        (Field::Text(Some(text)), Literal::String(want)) => match op {
            Op::Like => kiln_query::like(want, &text, false),
            Op::ILike => kiln_query::like(want, &text, true),
            Op::NotLike => !kiln_query::like(want, &text, false),
            Op::NotILike => !kiln_query::like(want, &text, true),
            _ => compare(op, text.as_str().cmp(want.as_str())),
        },
        (Field::Number(n), Literal::Number(want)) => {
            n.partial_cmp(want).is_some_and(|ord| compare(op, ord))
        }
        _ => {
            return Err(ApiError::invalid(format!(
                "'{}' is compared with a value of another type",
                name.dotted()
            )));
        }
    })
}

/// The experiments `filter` keeps (all when `None`).
pub(crate) fn filter(
    experiments: Vec<Experiment>,
    filter: Option<&str>,
) -> Result<Vec<Experiment>, ApiError> {
    let Some(text) = filter else {
        return Ok(experiments);
    };
    let expr = kiln_query::parse(text)
        .map_err(|e| ApiError::invalid(format!("invalid filter: {}", e.render(text))))?;
    let mut kept = Vec::new();
    for e in experiments {
        if matches(&e, &expr)? {
            kept.push(e);
        }
    }
    Ok(kept)
}

/// Sorts by the `order_by` clauses, then newest first and by id.
pub(crate) fn order(experiments: &mut [Experiment], order_by: &[String]) -> Result<(), ApiError> {
    let mut keys = Vec::new();
    for clause in order_by {
        let parsed = kiln_query::parse_order_by(clause)
            .map_err(|e| ApiError::invalid(format!("invalid order_by: {}", e.render(clause))))?;
        keys.push(parsed);
    }
    // Check every key names a field before sorting (the comparator cannot fail).
    if let Some(first) = experiments.first() {
        for key in &keys {
            field(first, &key.name)?;
        }
    }
    experiments.sort_by(|a, b| {
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
        b.creation_time.cmp(&a.creation_time).then(a.id.cmp(&b.id))
    });
    Ok(())
}
