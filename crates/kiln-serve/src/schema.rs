//! A model's input schema (from the encoder stored in its file) and the checks that turn
//! request values into a [`Table`] the model accepts.
//!
//! Every protocol ends here: MLflow's four JSON layouts, CSV and KServe v2 tensors are first
//! reduced to "values of feature F, row by row", then [`build_table`] checks each value against
//! the fitted input (type, range, missing-value policy, binary values, image size) so that every
//! malformed request becomes a 400 naming the field, and the worker never meets a row the
//! encoder would reject.

use kiln::data::read::format_number;
use kiln::data::{Column, ColumnData, FittedInput, ImageData, Table};
use serde_json::{Value, json};

use crate::error::ApiError;

/// The values of one feature, as sent.
#[derive(Debug)]
pub(crate) enum FeatureValues<'a> {
    /// One JSON value per row (an image row is a possibly nested array).
    Cells(Vec<&'a Value>),
    /// Row-major flat values, `per_row` per row (KServe v2 tensors).
    Flat(Vec<Value>),
}

/// One feature's values with the name used in error messages.
#[derive(Debug)]
pub(crate) struct Sent<'a> {
    /// The feature (column) name.
    pub name: String,
    /// The values.
    pub values: FeatureValues<'a>,
}

/// Rows checked against the schema, ready for the model.
#[derive(Debug, Clone)]
pub struct CheckedRows {
    /// The rows, columns in the encoder's input order.
    pub table: Table,
    /// Things a client should know (unseen categories).
    pub warnings: Vec<String>,
}

/// Values per row a fitted input takes.
pub(crate) fn per_row(input: &FittedInput) -> usize {
    match input {
        FittedInput::Image {
            height,
            width,
            channels,
            ..
        } => height * width * channels,
        _ => 1,
    }
}

/// What a feature expects, in words.
pub(crate) fn expected(input: &FittedInput) -> String {
    match input {
        FittedInput::Number { fill, .. } => format!(
            "a finite number{}",
            if fill.is_some() { " or null" } else { "" }
        ),
        FittedInput::Binary {
            positive,
            negative,
            fill,
            ..
        } => format!(
            "`{positive}` or `{negative}`{}",
            if fill.is_some() { " or null" } else { "" }
        ),
        FittedInput::Category { fill, .. } => format!(
            "a category (string or number){}",
            if fill.is_some() { " or null" } else { "" }
        ),
        FittedInput::Image {
            height,
            width,
            channels,
            ..
        } => format!(
            "an image of {height}×{width}×{channels} = {} integers in 0..=255",
            height * width * channels
        ),
        FittedInput::Text { .. } => "a string of text".to_string(),
    }
}

/// JSON Schema of one feature's value in a row (for the OpenAPI document).
pub(crate) fn json_schema(input: &FittedInput) -> Value {
    match input {
        FittedInput::Number { fill, .. } => {
            if fill.is_some() {
                json!({"type": ["number", "null"]})
            } else {
                json!({"type": "number"})
            }
        }
        FittedInput::Binary {
            positive, negative, ..
        } => json!({"enum": [positive, negative]}),
        FittedInput::Category { vocabulary, .. } => json!({
            "type": ["string", "number"],
            "description": format!("one of {vocabulary:?}; other values go to the unknown bucket"),
        }),
        FittedInput::Image { .. } => json!({
            "type": "array",
            "description": expected(input),
            "items": {"type": ["integer", "array"]},
        }),
        FittedInput::Text { .. } => json!({
            "type": ["string", "null"],
            "description": "raw text, tokenised with the model's stored vocabulary",
        }),
    }
}

/// Parses a JSON body; malformed JSON is a 400 naming the line and column.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })
}

/// A short description of a JSON value for error messages.
pub(crate) fn describe(v: &Value) -> String {
    let text = v.to_string();
    let kind = match v {
        Value::Null => return "null".to_string(),
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(a) => return format!("an array of {} values", a.len()),
        Value::Object(_) => return "an object".to_string(),
    };
    if text.len() > 40 {
        format!("{kind} {}…", &text[..text.floor_char_boundary(40)])
    } else {
        format!("{kind} {text}")
    }
}

/// Checks that the features sent are exactly the model's inputs and builds the table.
///
/// `rows` is the number of rows the request claims; every feature must have that many values.
///
/// # Errors
///
/// A 400 naming the first field at fault: an empty batch, a missing or unexpected feature, a
/// value of the wrong type, a missing value the model cannot fill, a binary value that is
/// neither of the two, an image of the wrong size.
pub(crate) fn build_table(
    inputs: &[FittedInput],
    sent: Vec<Sent<'_>>,
    rows: usize,
) -> Result<CheckedRows, ApiError> {
    if rows == 0 {
        return Err(ApiError::bad_request(
            "empty batch: the request holds no rows; send at least one",
        ));
    }
    for s in &sent {
        if !inputs.iter().any(|i| i.name() == s.name) {
            let names: Vec<&str> = inputs.iter().map(FittedInput::name).collect();
            return Err(ApiError::field(
                &s.name,
                format!(
                    "the model has no input called `{}`; its inputs are {names:?}",
                    s.name
                ),
            ));
        }
    }
    let mut sent = sent;
    let mut columns = Vec::with_capacity(inputs.len());
    let mut warnings = Vec::new();
    for input in inputs {
        let Some(pos) = sent.iter().position(|s| s.name == input.name()) else {
            return Err(ApiError::field(
                input.name(),
                format!("missing: the model needs this input ({})", expected(input)),
            ));
        };
        let s = sent.swap_remove(pos);
        let data = check_column(input, &s.values, rows, &mut warnings)?;
        columns.push(Column {
            name: input.name().to_string(),
            data,
        });
    }
    let table = Table::new(columns).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(CheckedRows { table, warnings })
}

/// Values of a feature, row by row, each row as a flat list of JSON values.
fn rows_of<'v>(
    input: &FittedInput,
    values: &'v FeatureValues<'_>,
    rows: usize,
) -> Result<Vec<Vec<&'v Value>>, ApiError> {
    let name = input.name();
    let width = per_row(input);
    match values {
        FeatureValues::Cells(cells) => {
            if cells.len() != rows {
                return Err(ApiError::field(
                    name,
                    format!(
                        "expected {rows} values (one per row), found {}",
                        cells.len()
                    ),
                ));
            }
            cells
                .iter()
                .enumerate()
                .map(|(r, v)| {
                    if matches!(input, FittedInput::Image { .. }) {
                        let mut flat = Vec::with_capacity(width);
                        flatten(v, &mut flat);
                        if !v.is_array() || flat.len() != width {
                            return Err(ApiError::field(
                                name,
                                format!(
                                    "row {r}: expected {}, found {}",
                                    expected(input),
                                    if v.is_array() {
                                        format!("{} values", flat.len())
                                    } else {
                                        describe(v)
                                    }
                                ),
                            ));
                        }
                        Ok(flat)
                    } else {
                        Ok(vec![*v])
                    }
                })
                .collect()
        }
        FeatureValues::Flat(flat) => {
            if flat.len() != rows * width {
                return Err(ApiError::field(
                    name,
                    format!(
                        "expected {rows} rows × {width} values = {}, found {}",
                        rows * width,
                        flat.len()
                    ),
                ));
            }
            Ok(flat.chunks(width).map(|c| c.iter().collect()).collect())
        }
    }
}

/// Appends the leaves of a nested array (or the value itself) to `out`.
pub(crate) fn flatten<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        other => out.push(other),
    }
}

fn check_column(
    input: &FittedInput,
    values: &FeatureValues<'_>,
    rows: usize,
    warnings: &mut Vec<String>,
) -> Result<ColumnData, ApiError> {
    let name = input.name();
    let row_values = rows_of(input, values, rows)?;
    let wrong = |r: usize, v: &Value| {
        ApiError::field(
            name,
            format!(
                "row {r}: expected {}, found {}",
                expected(input),
                describe(v)
            ),
        )
    };
    let no_fill = |r: usize| {
        ApiError::field(
            name,
            format!(
                "row {r}: missing value (null or NaN), and the model has no fill value for this input; expected {}",
                expected(input)
            ),
        )
    };
    match input {
        FittedInput::Number { fill, .. } => {
            let mut out = Vec::with_capacity(rows);
            for (r, cell) in row_values.iter().enumerate() {
                let v = cell[0];
                let x = match v {
                    Value::Null => f64::NAN,
                    Value::Number(n) => n.as_f64().ok_or_else(|| wrong(r, v))?,
                    _ => return Err(wrong(r, v)),
                };
                if x.is_nan() && fill.is_none() {
                    return Err(no_fill(r));
                }
                if x.is_infinite() {
                    return Err(wrong(r, v));
                }
                out.push(x);
            }
            Ok(ColumnData::Number(out))
        }
        FittedInput::Binary {
            positive,
            negative,
            fill,
            ..
        } => {
            let mut out = Vec::with_capacity(rows);
            for (r, cell) in row_values.iter().enumerate() {
                let v = cell[0];
                let text = match text_of(v) {
                    Ok(t) => t,
                    Err(()) => return Err(wrong(r, v)),
                };
                match &text {
                    None if fill.is_none() => return Err(no_fill(r)),
                    Some(t)
                        if !t.trim().eq_ignore_ascii_case(positive.trim())
                            && !t.trim().eq_ignore_ascii_case(negative.trim()) =>
                    {
                        return Err(ApiError::field(
                            name,
                            format!(
                                "row {r}: value `{t}` is neither `{positive}` nor `{negative}`"
                            ),
                        ));
                    }
                    _ => {}
                }
                out.push(text);
            }
            Ok(ColumnData::Text(out))
        }
        FittedInput::Category {
            vocabulary, fill, ..
        } => {
            let mut out = Vec::with_capacity(rows);
            let mut unknown = 0usize;
            let mut example = None;
            for (r, cell) in row_values.iter().enumerate() {
                let v = cell[0];
                let text = match text_of(v) {
                    Ok(t) => t,
                    Err(()) => return Err(wrong(r, v)),
                };
                match &text {
                    None if fill.is_none() => return Err(no_fill(r)),
                    Some(t) if !vocabulary.contains(t) => {
                        unknown += 1;
                        example.get_or_insert_with(|| t.clone());
                    }
                    _ => {}
                }
                out.push(text);
            }
            if unknown > 0 {
                warnings.push(format!(
                    "{name}: {unknown} row{} with categories not seen in training (e.g. `{}`) went to the unknown bucket",
                    if unknown == 1 { "" } else { "s" },
                    example.unwrap_or_default()
                ));
            }
            Ok(ColumnData::Text(out))
        }
        FittedInput::Image {
            height,
            width,
            channels,
            ..
        } => {
            let mut pixels = Vec::with_capacity(rows * height * width * channels);
            for (r, cell) in row_values.iter().enumerate() {
                for (i, v) in cell.iter().enumerate() {
                    let byte = v
                        .as_f64()
                        .filter(|x| x.fract() == 0.0 && (0.0..=255.0).contains(x))
                        .ok_or_else(|| {
                            ApiError::field(
                                name,
                                format!(
                                    "row {r}, pixel {i}: expected an integer in 0..=255, found {}",
                                    describe(v)
                                ),
                            )
                        })?;
                    pixels.push(byte as u8);
                }
            }
            Ok(ColumnData::Image(ImageData {
                height: *height,
                width: *width,
                channels: *channels,
                pixels,
            }))
        }
        FittedInput::Text { .. } => {
            let mut out = Vec::with_capacity(rows);
            for (r, cell) in row_values.iter().enumerate() {
                let v = cell[0];
                match v {
                    Value::Null => out.push(None),
                    Value::String(s) => out.push(Some(s.clone())),
                    _ => return Err(wrong(r, v)),
                }
            }
            Ok(ColumnData::Text(out))
        }
    }
}

/// A categorical cell as text, the way the encoder reads a number column; `Err` for arrays and
/// objects.
fn text_of(v: &Value) -> Result<Option<String>, ()> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(n.as_f64().map(format_number)),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(()),
    }
}

/// Concatenates tables of the same columns (built by [`build_table`] for one model).
///
/// # Panics
///
/// If the tables' columns differ; they never do for one model's checked rows.
pub(crate) fn concat(tables: &[&Table]) -> Table {
    let Some((first, rest)) = tables.split_first() else {
        return Table::default();
    };
    let mut out = (*first).clone();
    for table in rest {
        for (column, other) in out.columns.iter_mut().zip(&table.columns) {
            column.data.append(&other.data);
        }
    }
    out
}
