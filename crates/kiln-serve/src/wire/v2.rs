//! KServe v2 / Open Inference Protocol: tensors in, checked rows out; predictions in, output
//! tensors out. Supports the binary tensor data extension (`Inference-Header-Content-Length`)
//! that `tritonclient` uses by default.
//!
//! Each model input is one tensor named after the feature, with `N` rows first: `[N]` or
//! `[N, 1]` for a number or category, `[N, H, W, C]` (or any shape of `H·W·C` values per row)
//! for an image. Outputs are built from each row's prediction object, one tensor per key:
//! numbers → `FP64 [N]` (whole numbers such as `prediction_id` → `INT64 [N]`), strings →
//! `BYTES [N]`, objects of numbers (class probabilities) →
//! `FP32 [N, K]` with the keys in `parameters.keys`, arrays of numbers (a regression's
//! credible interval) → `FP64 [N, 2]`, objects of arrays (a classifier's per-class intervals)
//! → `FP32 [N, K, 2]` with the keys. A Bayesian model's rows carry `std`, `interval` and
//! `interval_mass` besides the prediction, so they become tensors of those names.

use kiln::data::{FittedInput, FittedOutput};
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::schema::{
    CheckedRows, FeatureValues, Sent, build_table, describe, flatten, parse_json, per_row,
};

/// The name of the header giving the JSON part's length in binary requests and answers.
pub(crate) const HEADER_LENGTH: &str = "inference-header-content-length";

/// A parsed inference request.
#[derive(Debug)]
pub(crate) struct InferRequest {
    pub id: Option<Value>,
    pub rows: CheckedRows,
    /// Requested outputs (`None` = all), with whether each is wanted as binary data.
    pub outputs: Option<Vec<(String, bool)>>,
    /// `parameters.binary_data_output`.
    pub binary_default: bool,
}

fn datatype_size(dt: &str) -> Option<usize> {
    Some(match dt {
        "BOOL" | "UINT8" | "INT8" => 1,
        "UINT16" | "INT16" => 2,
        "UINT32" | "INT32" | "FP32" => 4,
        "UINT64" | "INT64" | "FP64" => 8,
        _ => return None,
    })
}

/// Decodes a binary tensor (little-endian) into JSON values.
fn decode_binary(dt: &str, bytes: &[u8], field: &str) -> Result<Vec<Value>, ApiError> {
    if dt == "BYTES" {
        let mut out = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let (len, tail) = rest
                .split_first_chunk::<4>()
                .ok_or_else(|| ApiError::field(field, "truncated BYTES element length"))?;
            let len = u32::from_le_bytes(*len) as usize;
            if tail.len() < len {
                return Err(ApiError::field(field, "truncated BYTES element"));
            }
            out.push(Value::String(
                String::from_utf8_lossy(&tail[..len]).into_owned(),
            ));
            rest = &tail[len..];
        }
        return Ok(out);
    }
    let size = datatype_size(dt).ok_or_else(|| {
        ApiError::field(
            field,
            format!("datatype `{dt}` is not supported in binary form"),
        )
    })?;
    if !bytes.len().is_multiple_of(size) {
        return Err(ApiError::field(
            field,
            format!(
                "{} bytes of binary data is not a whole number of {dt} values",
                bytes.len()
            ),
        ));
    }
    Ok(bytes
        .chunks_exact(size)
        .map(|c| match dt {
            "BOOL" => Value::Bool(c[0] != 0),
            "UINT8" => Value::from(c[0]),
            "INT8" => Value::from(c[0] as i8),
            "UINT16" => Value::from(u16::from_le_bytes([c[0], c[1]])),
            "INT16" => Value::from(i16::from_le_bytes([c[0], c[1]])),
            "UINT32" => Value::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            "INT32" => Value::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            "FP32" => float(f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
            "UINT64" => Value::from(u64::from_le_bytes(c.try_into().unwrap_or_default())),
            "INT64" => Value::from(i64::from_le_bytes(c.try_into().unwrap_or_default())),
            _ => float(f64::from_le_bytes(c.try_into().unwrap_or_default())),
        })
        .collect())
}

/// A float as JSON; NaN becomes `null` (a missing value), infinities a string the checks reject.
fn float(x: f64) -> Value {
    if x.is_nan() {
        Value::Null
    } else {
        serde_json::Number::from_f64(x).map_or_else(|| Value::String(x.to_string()), Value::Number)
    }
}

/// Splits a body into its JSON part and binary part.
fn split_body<'a>(
    body: &'a [u8],
    header_length: Option<&str>,
) -> Result<(&'a [u8], &'a [u8]), ApiError> {
    match header_length {
        None => Ok((body, &[])),
        Some(len) => {
            let n: usize = len.trim().parse().map_err(|_| {
                ApiError::bad_request(format!(
                    "header `Inference-Header-Content-Length`: expected a byte count, found `{len}`"
                ))
            })?;
            if n > body.len() {
                return Err(ApiError::bad_request(format!(
                    "header `Inference-Header-Content-Length` is {n} but the body has {} bytes",
                    body.len()
                )));
            }
            Ok(body.split_at(n))
        }
    }
}

/// Parses a `POST /v2/models/{name}/infer` body against the model's inputs.
///
/// # Errors
///
/// 400 naming the field for anything malformed.
pub(crate) fn parse_infer(
    body: &[u8],
    header_length: Option<&str>,
    inputs: &[FittedInput],
) -> Result<InferRequest, ApiError> {
    let (json_part, mut binary) = split_body(body, header_length)?;
    let request = parse_json(json_part)?;
    let Value::Object(request) = request else {
        return Err(ApiError::bad_request(format!(
            "expected an inference request object, found {}",
            describe(&request)
        )));
    };
    for key in request.keys() {
        if !["id", "parameters", "inputs", "outputs"].contains(&key.as_str()) {
            return Err(ApiError::field(
                key,
                "unexpected key; an inference request has `id`, `parameters`, `inputs`, `outputs`",
            ));
        }
    }
    let binary_default = request
        .get("parameters")
        .and_then(|p| p.get("binary_data_output"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let tensors = match request.get("inputs") {
        Some(Value::Array(t)) => t,
        Some(other) => {
            return Err(ApiError::field(
                "inputs",
                format!(
                    "expected an array of input tensors, found {}",
                    describe(other)
                ),
            ));
        }
        None => return Err(ApiError::field("inputs", "missing")),
    };
    let mut rows: Option<usize> = None;
    let mut sent = Vec::with_capacity(tensors.len());
    for (i, tensor) in tensors.iter().enumerate() {
        let at = format!("inputs[{i}]");
        let Value::Object(tensor) = tensor else {
            return Err(ApiError::field(
                at,
                format!("expected a tensor object, found {}", describe(tensor)),
            ));
        };
        let name = match tensor.get("name") {
            Some(Value::String(n)) => n.clone(),
            _ => {
                return Err(ApiError::field(
                    format!("{at}.name"),
                    "missing or not a string",
                ));
            }
        };
        if sent.iter().any(|s: &Sent<'_>| s.name == name) {
            return Err(ApiError::field(&name, "this input is given twice"));
        }
        let Some(input) = inputs.iter().find(|f| f.name() == name) else {
            let names: Vec<&str> = inputs.iter().map(FittedInput::name).collect();
            return Err(ApiError::field(
                &name,
                format!("the model has no input called `{name}`; its inputs are {names:?}"),
            ));
        };
        let shape: Vec<usize> = match tensor.get("shape") {
            Some(Value::Array(dims)) => dims
                .iter()
                .map(|d| d.as_u64().map(|d| d as usize))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    ApiError::field(
                        &name,
                        format!(
                            "shape: expected non-negative integers, found {}",
                            Value::Array(dims.clone())
                        ),
                    )
                })?,
            _ => return Err(ApiError::field(&name, "shape: missing or not an array")),
        };
        let datatype = match tensor.get("datatype") {
            Some(Value::String(d)) => d.clone(),
            _ => return Err(ApiError::field(&name, "datatype: missing or not a string")),
        };
        check_datatype(input, &datatype)?;
        let Some((&n, rest)) = shape.split_first() else {
            return Err(ApiError::field(
                &name,
                "shape: expected at least one dimension (the rows)",
            ));
        };
        let width: usize = rest.iter().product();
        if width != per_row(input) {
            return Err(ApiError::field(
                &name,
                format!(
                    "shape {shape:?}: expected {} values per row ({}), found {width}",
                    per_row(input),
                    if per_row(input) == 1 {
                        "shape [N] or [N, 1]".to_string()
                    } else {
                        format!("e.g. shape [N, {}]", per_row(input))
                    }
                ),
            ));
        }
        match rows {
            None => rows = Some(n),
            Some(m) if m != n => {
                return Err(ApiError::field(
                    &name,
                    format!("has {n} rows but other inputs have {m}"),
                ));
            }
            Some(_) => {}
        }
        let binary_size = tensor
            .get("parameters")
            .and_then(|p| p.get("binary_data_size"))
            .map(|s| {
                s.as_u64().map(|s| s as usize).ok_or_else(|| {
                    ApiError::field(&name, "parameters.binary_data_size: expected a byte count")
                })
            })
            .transpose()?;
        let values = match (binary_size, tensor.get("data")) {
            (Some(size), None) => {
                if size > binary.len() {
                    return Err(ApiError::field(
                        &name,
                        format!(
                            "binary_data_size is {size} but only {} bytes of binary data remain",
                            binary.len()
                        ),
                    ));
                }
                let (mine, rest) = binary.split_at(size);
                binary = rest;
                decode_binary(&datatype, mine, &name)?
            }
            (None, Some(data)) => {
                let mut flat = Vec::new();
                flatten(data, &mut flat);
                flat.into_iter().cloned().collect()
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::field(
                    &name,
                    "has both `data` and `parameters.binary_data_size`; send one",
                ));
            }
            (None, None) => return Err(ApiError::field(&name, "data: missing")),
        };
        if values.len() != n * width {
            return Err(ApiError::field(
                &name,
                format!(
                    "shape {shape:?} holds {} values but {} were sent",
                    n * width,
                    values.len()
                ),
            ));
        }
        sent.push(Sent {
            name,
            values: FeatureValues::Flat(values),
        });
    }
    if !binary.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{} bytes of binary data are not claimed by any input's binary_data_size",
            binary.len()
        )));
    }
    let outputs = match request.get("outputs") {
        None | Some(Value::Null) => None,
        Some(Value::Array(list)) => Some(
            list.iter()
                .enumerate()
                .map(|(i, o)| {
                    let name = o.get("name").and_then(Value::as_str).ok_or_else(|| {
                        ApiError::field(format!("outputs[{i}].name"), "missing or not a string")
                    })?;
                    let binary = o
                        .get("parameters")
                        .and_then(|p| p.get("binary_data"))
                        .and_then(Value::as_bool)
                        .unwrap_or(binary_default);
                    Ok((name.to_string(), binary))
                })
                .collect::<Result<_, ApiError>>()?,
        ),
        Some(other) => {
            return Err(ApiError::field(
                "outputs",
                format!("expected an array, found {}", describe(other)),
            ));
        }
    };
    let rows = build_table(inputs, sent, rows.unwrap_or(0))?;
    Ok(InferRequest {
        id: request.get("id").cloned(),
        rows,
        outputs,
        binary_default,
    })
}

fn check_datatype(input: &FittedInput, dt: &str) -> Result<(), ApiError> {
    let numeric = datatype_size(dt).is_some() && dt != "BOOL";
    let ok = match input {
        FittedInput::Number { .. } | FittedInput::Image { .. } => numeric,
        FittedInput::Binary { .. } | FittedInput::Category { .. } => {
            numeric || dt == "BYTES" || dt == "BOOL"
        }
        FittedInput::Text { .. } => dt == "BYTES",
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::field(
            input.name(),
            format!(
                "datatype `{dt}` does not fit this input; expected {}",
                datatype_of(input)
            ),
        ))
    }
}

/// The datatype the metadata advertises for an input.
pub(crate) fn datatype_of(input: &FittedInput) -> &'static str {
    match input {
        FittedInput::Number { .. } => "FP64",
        FittedInput::Image { .. } => "UINT8",
        FittedInput::Binary { .. } | FittedInput::Category { .. } | FittedInput::Text { .. } => {
            "BYTES"
        }
    }
}

/// The shape the metadata advertises for an input (`-1` = any number of rows).
pub(crate) fn shape_of(input: &FittedInput) -> Vec<i64> {
    match input {
        FittedInput::Image {
            height,
            width,
            channels,
            ..
        } => vec![-1, *height as i64, *width as i64, *channels as i64],
        _ => vec![-1],
    }
}

/// The output tensors a model's answers carry, as `/v2/models/{name}` lists them.
/// `interval` is the credible-interval mass of a Bayesian model (`None` for others), whose
/// answers add `std`, `interval` and `interval_mass`.
pub(crate) fn output_metadata(output: &FittedOutput, interval: Option<f64>) -> Value {
    let classes: Option<&[String]> = match output {
        FittedOutput::Number { .. } => None,
        FittedOutput::Category { classes, .. } => Some(classes),
        FittedOutput::Binary { classes, .. } => Some(classes),
    };
    let mut outputs = match classes {
        None => vec![json!({"name": "value", "datatype": "FP64", "shape": [-1]})],
        Some(classes) => vec![
            json!({"name": "label", "datatype": "BYTES", "shape": [-1]}),
            json!({"name": "probabilities", "datatype": "FP32", "shape": [-1, classes.len()],
                "parameters": {"classes": classes}}),
        ],
    };
    if let Some(mass) = interval {
        match classes {
            None => outputs.extend([
                json!({"name": "std", "datatype": "FP64", "shape": [-1]}),
                json!({"name": "interval", "datatype": "FP64", "shape": [-1, 2],
                    "parameters": {"interval_mass": mass}}),
            ]),
            Some(classes) => outputs.extend([
                json!({"name": "std", "datatype": "FP32", "shape": [-1, classes.len()],
                    "parameters": {"classes": classes}}),
                json!({"name": "interval", "datatype": "FP32", "shape": [-1, classes.len(), 2],
                    "parameters": {"classes": classes, "interval_mass": mass}}),
            ]),
        }
        outputs.push(json!({"name": "interval_mass", "datatype": "FP64", "shape": [-1]}));
    }
    Value::Array(outputs)
}

/// One output tensor built from the prediction objects.
struct Tensor {
    name: String,
    datatype: &'static str,
    shape: Vec<usize>,
    data: Vec<Value>,
    keys: Option<Vec<String>>,
}

/// Output tensors from the rows' prediction objects (see the module docs for the mapping).
fn tensors(predictions: &[Value]) -> Vec<Tensor> {
    let Some(Value::Object(first)) = predictions.first() else {
        return Vec::new();
    };
    let n = predictions.len();
    first
        .iter()
        .map(|(key, sample)| {
            let column: Vec<&Value> = predictions
                .iter()
                .map(|p| p.get(key).unwrap_or(&Value::Null))
                .collect();
            match sample {
                // Prediction ids: whole numbers, kept exact.
                Value::Number(_) if column.iter().all(|v| v.is_u64()) => Tensor {
                    name: key.clone(),
                    datatype: "INT64",
                    shape: vec![n],
                    data: column.into_iter().cloned().collect(),
                    keys: None,
                },
                Value::Number(_) if column.iter().all(|v| v.is_number()) => Tensor {
                    name: key.clone(),
                    datatype: "FP64",
                    shape: vec![n],
                    data: column.into_iter().cloned().collect(),
                    keys: None,
                },
                Value::Bool(_) if column.iter().all(|v| v.is_boolean()) => Tensor {
                    name: key.clone(),
                    datatype: "BOOL",
                    shape: vec![n],
                    data: column.into_iter().cloned().collect(),
                    keys: None,
                },
                Value::Object(obj)
                    if obj.values().all(Value::is_number)
                        && column.iter().all(|v| {
                            v.as_object().is_some_and(|o| {
                                o.len() == obj.len() && obj.keys().all(|k| o.contains_key(k))
                            })
                        }) =>
                {
                    let keys: Vec<String> = obj.keys().cloned().collect();
                    let data = column
                        .iter()
                        .flat_map(|v| keys.iter().map(|k| v[k].clone()))
                        .collect();
                    Tensor {
                        name: key.clone(),
                        datatype: "FP32",
                        shape: vec![n, keys.len()],
                        data,
                        keys: Some(keys),
                    }
                }
                // Per-class intervals of a Bayesian classifier: {class: [lower, upper]}.
                Value::Object(obj)
                    if !obj.is_empty()
                        && column.iter().all(|v| {
                            v.as_object().is_some_and(|o| {
                                o.len() == obj.len()
                                    && obj.iter().all(|(k, first)| {
                                        o.get(k).and_then(Value::as_array).is_some_and(|a| {
                                            a.iter().all(Value::is_number)
                                                && first.as_array().map(Vec::len) == Some(a.len())
                                        })
                                    })
                            })
                        }) =>
                {
                    let keys: Vec<String> = obj.keys().cloned().collect();
                    let width = obj
                        .values()
                        .next()
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                    let data = column
                        .iter()
                        .flat_map(|v| {
                            keys.iter()
                                .flat_map(|k| v[k].as_array().into_iter().flatten().cloned())
                        })
                        .collect();
                    Tensor {
                        name: key.clone(),
                        datatype: "FP32",
                        shape: vec![n, keys.len(), width],
                        data,
                        keys: Some(keys),
                    }
                }
                Value::Array(items)
                    if items.iter().all(Value::is_number)
                        && column
                            .iter()
                            .all(|v| v.as_array().is_some_and(|a| a.len() == items.len())) =>
                {
                    Tensor {
                        name: key.clone(),
                        datatype: "FP64",
                        shape: vec![n, items.len()],
                        data: column
                            .iter()
                            .flat_map(|v| v.as_array().into_iter().flatten().cloned())
                            .collect(),
                        keys: None,
                    }
                }
                _ => Tensor {
                    name: key.clone(),
                    datatype: "BYTES",
                    shape: vec![n],
                    data: column
                        .into_iter()
                        .map(|v| match v {
                            Value::String(s) => Value::String(s.clone()),
                            other => Value::String(other.to_string()),
                        })
                        .collect(),
                    keys: None,
                },
            }
        })
        .collect()
}

fn encode_binary(t: &Tensor) -> Vec<u8> {
    let mut out = Vec::new();
    for v in &t.data {
        match t.datatype {
            "FP64" => out.extend_from_slice(&v.as_f64().unwrap_or(f64::NAN).to_le_bytes()),
            "INT64" => out.extend_from_slice(&v.as_i64().unwrap_or(-1).to_le_bytes()),
            "FP32" => {
                out.extend_from_slice(&(v.as_f64().unwrap_or(f64::NAN) as f32).to_le_bytes());
            }
            "BOOL" => out.push(u8::from(v.as_bool().unwrap_or(false))),
            _ => {
                let s = v.as_str().unwrap_or_default().as_bytes();
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s);
            }
        }
    }
    out
}

/// The answer: a JSON body, and binary data to append when any output is binary.
pub(crate) struct InferResponse {
    pub json: Vec<u8>,
    pub binary: Option<Vec<u8>>,
}

/// Builds the answer to `request` from the predictions.
///
/// # Errors
///
/// 400 when a requested output does not exist.
pub(crate) fn respond(
    request: &InferRequest,
    model: &str,
    version: &str,
    predictions: &[Value],
    warnings: &[String],
) -> Result<InferResponse, ApiError> {
    let all = tensors(predictions);
    let wanted: Vec<(Tensor, bool)> = match &request.outputs {
        None => all
            .into_iter()
            .map(|t| (t, request.binary_default))
            .collect(),
        Some(list) => {
            let mut all = all;
            let mut picked = Vec::with_capacity(list.len());
            for (i, (name, binary)) in list.iter().enumerate() {
                let Some(pos) = all.iter().position(|t| &t.name == name) else {
                    let names: Vec<&str> = predictions
                        .first()
                        .and_then(Value::as_object)
                        .map(|o| o.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    return Err(ApiError::field(
                        format!("outputs[{i}].name"),
                        format!("the model has no output `{name}`; its outputs are {names:?}"),
                    ));
                };
                picked.push((all.swap_remove(pos), *binary));
            }
            picked
        }
    };
    let mut binary_data = Vec::new();
    let outputs: Vec<Value> = wanted
        .iter()
        .map(|(t, binary)| {
            let mut o = Map::new();
            o.insert("name".into(), json!(t.name));
            o.insert("datatype".into(), json!(t.datatype));
            o.insert("shape".into(), json!(t.shape));
            let mut params = Map::new();
            if let Some(keys) = &t.keys {
                params.insert("keys".into(), json!(keys));
            }
            if *binary {
                let bytes = encode_binary(t);
                params.insert("binary_data_size".into(), json!(bytes.len()));
                binary_data.extend_from_slice(&bytes);
            } else {
                o.insert("data".into(), Value::Array(t.data.clone()));
            }
            if !params.is_empty() {
                o.insert("parameters".into(), Value::Object(params));
            }
            Value::Object(o)
        })
        .collect();
    let mut body = json!({
        "model_name": model,
        "model_version": version,
        "outputs": outputs,
    });
    if let Some(id) = &request.id {
        body["id"] = id.clone();
    }
    if !warnings.is_empty() {
        body["parameters"] = json!({ "warnings": warnings });
    }
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let any_binary = wanted.iter().any(|(_, b)| *b);
    Ok(InferResponse {
        json,
        binary: any_binary.then_some(binary_data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_tensors_decode_little_endian() {
        let bytes: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        assert_eq!(
            decode_binary("FP32", &bytes, "x").unwrap(),
            vec![json!(1.5), json!(-2.0)]
        );
        let strings = [
            3u32.to_le_bytes().as_slice(),
            b"abc",
            &1u32.to_le_bytes(),
            b"z",
        ]
        .concat();
        assert_eq!(
            decode_binary("BYTES", &strings, "x").unwrap(),
            vec![json!("abc"), json!("z")]
        );
        assert!(decode_binary("FP64", &[0; 7], "x").is_err());
        assert!(decode_binary("BYTES", &[9, 0, 0, 0, b'a'], "x").is_err());
    }

    #[test]
    fn prediction_objects_become_tensors() {
        let rows = vec![
            json!({"label": "1", "probabilities": {"0": 0.25, "1": 0.75}}),
            json!({"label": "0", "probabilities": {"0": 0.5, "1": 0.5}}),
        ];
        let t = tensors(&rows);
        let label = t.iter().find(|t| t.name == "label").unwrap();
        assert_eq!((label.datatype, label.shape.clone()), ("BYTES", vec![2]));
        let p = t.iter().find(|t| t.name == "probabilities").unwrap();
        assert_eq!((p.datatype, p.shape.clone()), ("FP32", vec![2, 2]));
        assert_eq!(
            p.data,
            vec![json!(0.25), json!(0.75), json!(0.5), json!(0.5)]
        );
        let bytes = encode_binary(label);
        assert_eq!(
            decode_binary("BYTES", &bytes, "x").unwrap(),
            vec![json!("1"), json!("0")]
        );
    }
}
