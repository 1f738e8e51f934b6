//! One predicted row as a JSON object: `{"label": …, "probabilities": {class: p}}` or
//! `{"value": …}`; a Bayesian model's rows add `std`, `interval` and `interval_mass`, and a
//! monitored model's answers add [`PREDICTION_ID`]. MLflow answers list these objects, KServe v2
//! answers turn their keys into tensors, and `kiln predict` writes them as JSON lines.

use std::ops::Range;

use kiln::Predictions;
use serde_json::{Value, json};

/// The field of each answered row that carries its prediction id when the model is
/// monitored; `POST /feedback` takes these ids back with the true labels or values.
pub const PREDICTION_ID: &str = "prediction_id";

/// Row `i` of `predictions` as a JSON object.
///
/// # Panics
///
/// When `i` is not below `predictions.rows`.
pub fn row_json(predictions: &Predictions, i: usize) -> Value {
    predictions.row_json(i)
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
