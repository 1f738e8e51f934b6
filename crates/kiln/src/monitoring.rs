//! Monitoring glue: the reference profile stored in the model file at training time, and the
//! conversion of [`Predictions`] into what [`kiln_monitor::Monitor::observe`] takes.

use std::collections::BTreeMap;

use kiln_data::{Encoded, Encoder, FittedOutput, Table};
use kiln_monitor::{OwnedOutputs, ProfileConfig, ReferenceMetric, ReferenceProfile};

use crate::Result;
use crate::run::{Metrics, Prepared};

/// The reference profile of a freshly trained model: every held-out row of the main source
/// (validation and test rows; a separate test source is used only when there is no
/// validation row) and the network's predictions on them, with the validation metric (the
/// test metric when there is no validation split). Held-out rows were never trained on, and
/// more of them make the drift tests more sensitive: the moons example has 50 validation rows
/// but 550 held-out ones.
///
/// `predict` gives the fitted model's raw outputs on encoded rows in the deterministic
/// networks' layout (ADVI models give their predictive means), so
/// every way of fitting a table model gets the same profile.
pub(crate) fn training_profile(
    prepared: &Prepared,
    table: &Table,
    test_table: Option<&Table>,
    validation_rows: &[usize],
    metrics: &BTreeMap<String, Metrics>,
    predict: impl FnOnce(&Encoded) -> Result<Vec<f32>>,
) -> Result<Option<ReferenceProfile>> {
    let metric = metrics.get("validation").or_else(|| metrics.get("test"));
    let (raw, x) = match test_table {
        None => {
            let mut rows = validation_rows.to_vec();
            rows.extend_from_slice(&prepared.split.test);
            rows.sort_unstable();
            rows.dedup();
            (table.take(&rows), prepared.inputs.take(&rows))
        }
        Some(_) if !validation_rows.is_empty() => (
            table.take(validation_rows),
            prepared.inputs.take(validation_rows),
        ),
        Some(test) => (test.clone(), (*prepared.test_data().0).clone()),
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let out = predict(&x)?;
    Ok(Some(profile_for(&prepared.encoder, &raw, &out, metric)?))
}

/// The reference profile of `table` given the network's raw outputs on it (probabilities, or
/// standardised values) and the metric reached there.
///
/// # Errors
/// Columns missing from `table`, or outputs that do not fit the encoder.
pub fn profile_for(
    encoder: &Encoder,
    table: &Table,
    raw_outputs: &[f32],
    metric: Option<&Metrics>,
) -> Result<ReferenceProfile> {
    let metric = metric.map(|m| {
        let (name, value) = m.headline();
        ReferenceMetric {
            name: name.to_string(),
            value,
        }
    });
    let outputs = match &encoder.output {
        FittedOutput::Category { classes, .. } => {
            OwnedOutputs::Classes(kiln_monitor::argmax_rows(raw_outputs, classes.len()))
        }
        FittedOutput::Binary { .. } => {
            OwnedOutputs::Classes(kiln_monitor::argmax_rows(raw_outputs, 2))
        }
        FittedOutput::Number { .. } => OwnedOutputs::Values(
            raw_outputs
                .iter()
                .map(|&v| encoder.decode_value(v))
                .collect(),
        ),
    };
    Ok(ReferenceProfile::build(
        encoder,
        table,
        outputs.as_outputs(),
        metric,
        ProfileConfig::default(),
    )?)
}
