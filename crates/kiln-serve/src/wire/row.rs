//! One predicted row as a JSON object: `{"label": …, "probabilities": {class: p}}` or
//! `{"value": …}`; a Bayesian model's rows add `std`, `interval` and `interval_mass`, and a
//! monitored model's answers add [`PREDICTION_ID`]. MLflow answers list these objects, KServe v2
//! answers turn their keys into tensors, and `kiln predict` writes them as JSON lines.

use std::ops::Range;

use kiln::Predictions;
use serde_json::{Map, Value, json};

/// The field of each answered row that carries its prediction id when the model is
/// monitored; `POST /feedback` takes these ids back with the true labels or values.
pub const PREDICTION_ID: &str = "prediction_id";

/// Row `i` of `predictions` as a JSON object: `{"label": …, "probabilities": {class: p}}`
/// (classification) or `{"value": …}` (regression). A Bayesian model's rows add `std` and
/// `interval` (`[lower, upper]`; per class for classification: `{class: …}`) and
/// `interval_mass`.
///
/// # Panics
///
/// When `i` is not below `predictions.rows`.
pub fn row_json(predictions: &Predictions, i: usize) -> Value {
    let p = predictions;
    let mut row = if p.classes.is_empty() {
        json!({ "value": p.values[i] })
    } else {
        let probabilities: Map<String, Value> = p
            .classes
            .iter()
            .zip(p.probabilities_of(i))
            .map(|(c, p)| (c.clone(), json!(p)))
            .collect();
        json!({ "label": p.label(i), "probabilities": probabilities })
    };
    if let (Some(u), Some(fields)) = (&p.uncertainty, row.as_object_mut()) {
        let k = p.classes.len();
        if k == 0 {
            fields.insert("std".into(), json!(u.std[i]));
            fields.insert("interval".into(), json!([u.lower[i], u.upper[i]]));
        } else {
            let per_class = |f: &dyn Fn(usize) -> Value| {
                p.classes
                    .iter()
                    .enumerate()
                    .map(|(c, name)| (name.clone(), f(i * k + c)))
                    .collect::<Map<_, _>>()
            };
            fields.insert("std".into(), per_class(&|j| json!(u.std[j])).into());
            fields.insert(
                "interval".into(),
                per_class(&|j| json!([u.lower[j], u.upper[j]])).into(),
            );
        }
        fields.insert("interval_mass".into(), json!(u.mass));
    }
    row
}

/// The rows `rows` of a predicted batch, each with its prediction id when the batch was
/// monitored (`ids` holds one id per row of the whole batch).
pub(crate) fn answer_rows(
    predictions: &Predictions,
    rows: Range<usize>,
    ids: Option<&[u64]>,
) -> Vec<Value> {
    rows.map(|i| {
        let mut row = row_json(predictions, i);
        if let (Some(ids), Some(fields)) = (ids, row.as_object_mut()) {
            fields.insert(PREDICTION_ID.into(), json!(ids[i]));
        }
        row
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use kiln::Uncertainty;

    use super::*;

    fn classified(uncertainty: Option<Uncertainty>) -> Predictions {
        Predictions {
            column: "label".into(),
            classes: vec!["a".into(), "b".into()],
            rows: 2,
            probabilities: vec![0.25, 0.75, 0.625, 0.375],
            values: Vec::new(),
            warnings: Vec::new(),
            uncertainty,
        }
    }

    #[test]
    fn classification_rows_carry_the_label_and_every_probability() {
        let p = classified(None);
        assert_eq!(
            row_json(&p, 0),
            json!({"label": "b", "probabilities": {"a": 0.25, "b": 0.75}})
        );
        assert_eq!(
            row_json(&p, 1),
            json!({"label": "a", "probabilities": {"a": 0.625, "b": 0.375}})
        );
    }

    #[test]
    fn regression_rows_carry_the_value() {
        let p = Predictions {
            column: "y".into(),
            classes: Vec::new(),
            rows: 1,
            probabilities: Vec::new(),
            values: vec![2.5],
            warnings: Vec::new(),
            uncertainty: Some(Uncertainty {
                std: vec![0.5],
                lower: vec![1.5],
                upper: vec![3.5],
                mass: 0.94,
                samples: 100,
            }),
        };
        assert_eq!(
            row_json(&p, 0),
            json!({"value": 2.5, "std": 0.5, "interval": [1.5, 3.5], "interval_mass": 0.94})
        );
    }

    #[test]
    fn bayesian_classification_rows_carry_std_and_intervals_per_class() {
        let p = classified(Some(Uncertainty {
            std: vec![0.125, 0.125, 0.0625, 0.0625],
            lower: vec![0.0, 0.5, 0.25, 0.25],
            upper: vec![0.5, 1.0, 0.75, 0.75],
            mass: 0.94,
            samples: 100,
        }));
        assert_eq!(
            row_json(&p, 1),
            json!({
                "label": "a",
                "probabilities": {"a": 0.625, "b": 0.375},
                "std": {"a": 0.0625, "b": 0.0625},
                "interval": {"a": [0.25, 0.75], "b": [0.25, 0.75]},
                "interval_mass": 0.94,
            })
        );
    }

    #[test]
    fn monitored_answers_add_the_prediction_id_of_each_row() {
        let p = classified(None);
        let rows = answer_rows(&p, 1..2, Some(&[7, 8]));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][PREDICTION_ID], 8);
        assert!(answer_rows(&p, 0..2, None)[0].get(PREDICTION_ID).is_none());
    }
}
