//! MLflow's scoring protocol (`POST /invocations`): request bodies in, checked rows out.
//!
//! A JSON body holds exactly one of `dataframe_split`, `dataframe_records`, `instances` or
//! `inputs` (and optionally `params`, which kiln models do not take); `text/csv` bodies are a
//! header line and rows. The answer is `{"predictions": [...]}`, one object per row.

use kiln::data::FittedInput;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::schema::{CheckedRows, FeatureValues, Sent, build_table, describe, parse_json};

const FORMATS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

/// Parses an `/invocations` body.
///
/// # Errors
///
/// 415 for a content type other than JSON or CSV; 400 naming the field for anything malformed.
pub(crate) fn parse_invocation(
    content_type: Option<&str>,
    body: &[u8],
    inputs: &[FittedInput],
) -> Result<CheckedRows, ApiError> {
    let media = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match media.as_str() {
        "" | "application/json" => parse_json_body(&parse_json(body)?, inputs),
        "text/csv" => parse_csv(body, inputs),
        other => Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            format!(
                "content type `{other}` is not supported; send `application/json` or `text/csv`"
            ),
        )),
    }
}

fn parse_json_body(body: &Value, inputs: &[FittedInput]) -> Result<CheckedRows, ApiError> {
    let Value::Object(top) = body else {
        return Err(ApiError::bad_request(format!(
            "expected a JSON object with one of {FORMATS:?}, found {}",
            describe(body)
        )));
    };
    for key in top.keys() {
        if !FORMATS.contains(&key.as_str()) && key != "params" {
            return Err(ApiError::field(
                key,
                format!("unexpected key; the body takes exactly one of {FORMATS:?} (and `params`)"),
            ));
        }
    }
    if let Some(params) = top.get("params")
        && !params.is_null()
        && params.as_object().is_none_or(|p| !p.is_empty())
    {
        return Err(ApiError::field(
            "params",
            "kiln models take no inference parameters; leave `params` out",
        ));
    }
    let present: Vec<&str> = FORMATS
        .iter()
        .copied()
        .filter(|f| top.contains_key(*f))
        .collect();
    let format = match present.as_slice() {
        [one] => *one,
        [] => {
            return Err(ApiError::bad_request(format!(
                "the body holds none of {FORMATS:?}; send exactly one"
            )));
        }
        many => {
            return Err(ApiError::bad_request(format!(
                "the body holds {many:?}; send exactly one of {FORMATS:?}"
            )));
        }
    };
    let value = &top[format];
    match format {
        "dataframe_split" => dataframe_split(value, inputs),
        "dataframe_records" => match value {
            Value::Array(rows) => records(format, rows, inputs),
            other => Err(ApiError::field(
                format,
                format!(
                    "expected an array of row objects, found {}",
                    describe(other)
                ),
            )),
        },
        _ => instances(format, value, inputs),
    }
}

/// `{"columns": [...], "data": [[...], ...], "index": [...]}` (pandas' split orient).
fn dataframe_split(value: &Value, inputs: &[FittedInput]) -> Result<CheckedRows, ApiError> {
    let f = "dataframe_split";
    let Value::Object(split) = value else {
        return Err(ApiError::field(
            f,
            format!(
                "expected an object with `columns` and `data`, found {}",
                describe(value)
            ),
        ));
    };
    for key in split.keys() {
        if !["columns", "data", "index"].contains(&key.as_str()) {
            return Err(ApiError::field(
                format!("{f}.{key}"),
                "unexpected key; expected `columns`, `data` and optionally `index`",
            ));
        }
    }
    let data = match split.get("data") {
        Some(Value::Array(rows)) => rows,
        Some(other) => {
            return Err(ApiError::field(
                format!("{f}.data"),
                format!("expected an array of rows, found {}", describe(other)),
            ));
        }
        None => return Err(ApiError::field(format!("{f}.data"), "missing")),
    };
    let columns: Vec<String> = match split.get("columns") {
        Some(Value::Array(cols)) => cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::field(
                        format!("{f}.columns[{i}]"),
                        format!("expected a column name, found {}", describe(c)),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(ApiError::field(
                format!("{f}.columns"),
                format!(
                    "expected an array of column names, found {}",
                    describe(other)
                ),
            ));
        }
        None => return Err(ApiError::field(format!("{f}.columns"), "missing")),
    };
    check_unique(&columns, &format!("{f}.columns"))?;
    let mut cells: Vec<Vec<&Value>> = vec![Vec::with_capacity(data.len()); columns.len()];
    for (r, row) in data.iter().enumerate() {
        let Value::Array(row) = row else {
            return Err(ApiError::field(
                format!("{f}.data[{r}]"),
                format!(
                    "expected a row of {} values, found {}",
                    columns.len(),
                    describe(row)
                ),
            ));
        };
        if row.len() != columns.len() {
            return Err(ApiError::field(
                format!("{f}.data[{r}]"),
                format!(
                    "expected {} values (one per column), found {}",
                    columns.len(),
                    row.len()
                ),
            ));
        }
        for (c, v) in row.iter().enumerate() {
            cells[c].push(v);
        }
    }
    let sent = columns
        .into_iter()
        .zip(cells)
        .map(|(name, cells)| Sent {
            name,
            values: FeatureValues::Cells(cells),
        })
        .collect();
    build_table(inputs, sent, data.len())
}

fn check_unique(names: &[String], field: &str) -> Result<(), ApiError> {
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(ApiError::field(
                field,
                format!("column `{n}` is given twice"),
            ));
        }
    }
    Ok(())
}

/// `[{"x0": 1, "x1": 2}, ...]`: every row must name the same features.
fn records(f: &str, rows: &[Value], inputs: &[FittedInput]) -> Result<CheckedRows, ApiError> {
    let mut names: Vec<String> = Vec::new();
    let mut cells: Vec<Vec<&Value>> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let Value::Object(obj) = row else {
            return Err(ApiError::field(
                format!("{f}[{r}]"),
                format!(
                    "expected a row object {{feature: value}}, found {}",
                    describe(row)
                ),
            ));
        };
        if r == 0 {
            names = obj.keys().cloned().collect();
            cells = vec![Vec::with_capacity(rows.len()); names.len()];
        }
        for key in obj.keys() {
            if !names.contains(key) {
                return Err(ApiError::field(
                    key,
                    format!(
                        "row {r} has this feature but row 0 does not; every row needs the same features"
                    ),
                ));
            }
        }
        for (name, col) in names.iter().zip(&mut cells) {
            match obj.get(name) {
                Some(v) => col.push(v),
                None => {
                    return Err(ApiError::field(
                        name,
                        format!("missing in row {r}; every row needs the same features"),
                    ));
                }
            }
        }
    }
    let sent = names
        .into_iter()
        .zip(cells)
        .map(|(name, cells)| Sent {
            name,
            values: FeatureValues::Cells(cells),
        })
        .collect();
    build_table(inputs, sent, rows.len())
}

/// `instances` / `inputs`: row objects, a column object `{feature: [values]}`, or tensors: a
/// list of values of the model's one input, or of rows giving every input in order.
fn instances(f: &str, value: &Value, inputs: &[FittedInput]) -> Result<CheckedRows, ApiError> {
    match value {
        Value::Object(columns) => column_object(f, columns, inputs),
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            records(f, items, inputs)
        }
        Value::Array(items) => {
            if let [only] = inputs {
                let sent = vec![Sent {
                    name: only.name().to_string(),
                    values: FeatureValues::Cells(items.iter().collect()),
                }];
                return build_table(inputs, sent, items.len());
            }
            let mut cells: Vec<Vec<&Value>> = vec![Vec::with_capacity(items.len()); inputs.len()];
            for (r, row) in items.iter().enumerate() {
                match row {
                    Value::Array(values) if values.len() == inputs.len() => {
                        for (c, v) in values.iter().enumerate() {
                            cells[c].push(v);
                        }
                    }
                    other => {
                        let names: Vec<&str> = inputs.iter().map(FittedInput::name).collect();
                        return Err(ApiError::field(
                            format!("{f}[{r}]"),
                            format!(
                                "expected a row object or a list of {} values in the order {names:?}, found {}",
                                inputs.len(),
                                describe(other)
                            ),
                        ));
                    }
                }
            }
            let sent = inputs
                .iter()
                .zip(cells)
                .map(|(i, cells)| Sent {
                    name: i.name().to_string(),
                    values: FeatureValues::Cells(cells),
                })
                .collect();
            build_table(inputs, sent, items.len())
        }
        other => Err(ApiError::field(
            f,
            format!(
                "expected a list of rows or an object of columns, found {}",
                describe(other)
            ),
        )),
    }
}

fn column_object(
    f: &str,
    columns: &Map<String, Value>,
    inputs: &[FittedInput],
) -> Result<CheckedRows, ApiError> {
    let mut rows = None;
    let mut sent = Vec::with_capacity(columns.len());
    for (name, values) in columns {
        let Value::Array(values) = values else {
            return Err(ApiError::field(
                name,
                format!(
                    "in `{f}` as columns, each feature takes a list of values (one per row), found {}",
                    describe(values)
                ),
            ));
        };
        match rows {
            None => rows = Some(values.len()),
            Some(n) if n != values.len() => {
                return Err(ApiError::field(
                    name,
                    format!("has {} values but other features have {n}", values.len()),
                ));
            }
            Some(_) => {}
        }
        sent.push(Sent {
            name: name.clone(),
            values: FeatureValues::Cells(values.iter().collect()),
        });
    }
    build_table(inputs, sent, rows.unwrap_or(0))
}

/// A CSV body: a header line naming the features, then rows. Empty cells and `NaN` are missing
/// values.
fn parse_csv(body: &[u8], inputs: &[FittedInput]) -> Result<CheckedRows, ApiError> {
    if let Some(image) = inputs
        .iter()
        .find(|i| matches!(i, FittedInput::Image { .. }))
    {
        return Err(ApiError::field(
            image.name(),
            "image inputs cannot be sent as CSV; send JSON",
        ));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::bad_request(format!("CSV header line: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    check_unique(&header, "csv header")?;
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); header.len()];
    for (r, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ApiError::bad_request(format!("CSV row {r}: {e}")))?;
        for (c, cell) in record.iter().enumerate() {
            let name = &header[c];
            let number = inputs
                .iter()
                .any(|i| i.name() == name && matches!(i, FittedInput::Number { .. }));
            let cell = cell.trim();
            // Missing spellings are kiln's CSV reader's, so a CSV body means what the same
            // file means to `kiln predict` (a text cell `NA` or `?` is missing, not a word).
            let value =
                if kiln::data::read::is_missing_token(cell) || cell.eq_ignore_ascii_case("nan") {
                    Value::Null
                } else if number {
                    match cell.parse::<f64>() {
                        Ok(x) if x.is_finite() => Value::from(x),
                        _ => {
                            return Err(ApiError::field(
                                name,
                                format!("row {r}: expected a finite number, found `{cell}`"),
                            ));
                        }
                    }
                } else {
                    Value::String(cell.to_string())
                };
            columns[c].push(value);
        }
    }
    let rows = columns.first().map_or(0, Vec::len);
    let sent = header
        .into_iter()
        .zip(columns)
        .map(|(name, values)| Sent {
            name,
            values: FeatureValues::Flat(values),
        })
        .collect();
    build_table(inputs, sent, rows)
}
