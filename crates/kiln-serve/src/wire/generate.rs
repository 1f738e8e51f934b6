//! Triton's generate extension: a request body checked against a language model's
//! vocabulary, every refusal naming its field.
//!
//! `{"text_input": "ROMEO:", "parameters": {"max_tokens": 200, "temperature": 0.8, "seed": 1}}`;
//! the parameters default to `kiln generate`'s (`max_tokens` 400, `temperature` 1.0, `seed` 0),
//! so the same request gives the same text as
//! `kiln generate MODEL --prompt … --length … --temperature … --seed …`.

use kiln::lm::{CharVocab, GenerateOptions};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The most characters one request may ask for.
pub const MAX_TOKENS_CAP: u64 = 10_000;

/// Characters generated when a request does not say (`kiln generate`'s default).
pub(crate) const DEFAULT_MAX_TOKENS: u64 = 400;

/// A generate request, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GenerateRequest {
    /// The prompt, every character in the vocabulary.
    pub(crate) prompt: String,
    /// Length, temperature and seed.
    pub(crate) options: GenerateOptions,
}

/// Parses and checks a generate body against the model's vocabulary; every refusal names the
/// field. `stream` is the route's mode, checked against a `parameters.stream` sent by a
/// Triton client.
pub(crate) fn parse_request(
    body: &[u8],
    vocab: &CharVocab,
    stream: bool,
) -> Result<GenerateRequest, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not JSON ({e}); expected {{\"text_input\": \"…\", \"parameters\": {{\"max_tokens\": …, \"temperature\": …, \"seed\": …}}}}"
        ))
    })?;
    let mut fields = match value {
        Value::Object(fields) => fields,
        other => {
            return Err(ApiError::bad_request(format!(
                "expected a JSON object {{\"text_input\": \"…\", \"parameters\": {{…}}}}, found {}",
                kind(&other)
            )));
        }
    };
    let prompt = match fields.remove("text_input") {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(ApiError::field(
                "text_input",
                format!("expected a string (the prompt), found {}", kind(&other)),
            ));
        }
        None => {
            return Err(ApiError::field(
                "text_input",
                "missing: send the prompt as a string (it may be empty)",
            ));
        }
    };
    let parameters = match fields.remove("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p,
        Some(other) => {
            return Err(ApiError::field(
                "parameters",
                format!("expected an object, found {}", kind(&other)),
            ));
        }
    };
    if let Some(unknown) = fields.keys().next() {
        return Err(ApiError::field(
            unknown.clone(),
            "unknown field; a generate request has `text_input` and `parameters`",
        ));
    }
    let mut options = GenerateOptions {
        length: DEFAULT_MAX_TOKENS as usize,
        ..GenerateOptions::default()
    };
    for (key, value) in &parameters {
        let field = format!("parameters.{key}");
        match key.as_str() {
            "max_tokens" => {
                let n = value.as_u64().filter(|n| (1..=MAX_TOKENS_CAP).contains(n));
                options.length = n.ok_or_else(|| {
                    ApiError::field(
                        &field,
                        format!(
                            "expected a whole number from 1 to {MAX_TOKENS_CAP}, found {value}"
                        ),
                    )
                })? as usize;
            }
            "temperature" => {
                let t = value.as_f64().filter(|t| t.is_finite() && *t > 0.0);
                options.temperature = t.ok_or_else(|| {
                    ApiError::field(
                        &field,
                        format!("expected a positive number (e.g. 0.5 for safer text, 1.0 for the model's own distribution), found {value}"),
                    )
                })?;
            }
            "seed" => {
                options.seed = value.as_u64().ok_or_else(|| {
                    ApiError::field(
                        &field,
                        format!(
                            "expected a whole number from 0 to {}, found {value}",
                            u64::MAX
                        ),
                    )
                })?;
            }
            "stream" => match value {
                Value::Bool(s) if *s == stream => {}
                Value::Bool(_) => {
                    let route = if stream {
                        "generate"
                    } else {
                        "generate_stream"
                    };
                    return Err(ApiError::field(
                        &field,
                        format!("this route does not match `stream: {value}`; use POST …/{route}"),
                    ));
                }
                _ => {
                    return Err(ApiError::field(
                        &field,
                        format!("expected true or false, found {value}"),
                    ));
                }
            },
            _ => {
                return Err(ApiError::field(
                    &field,
                    "unknown parameter; known: max_tokens, temperature, seed, stream",
                ));
            }
        }
    }
    vocab
        .encode(&prompt)
        .map_err(|e| ApiError::field("text_input", e.to_string()))?;
    Ok(GenerateRequest { prompt, options })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    fn vocab() -> CharVocab {
        CharVocab::from_text("abc ")
    }

    fn field_of(body: &str) -> Option<String> {
        parse_request(body.as_bytes(), &vocab(), false)
            .unwrap_err()
            .field
    }

    #[test]
    fn requests_parse_with_kiln_generate_defaults() {
        let r = parse_request(br#"{"text_input": "ab"}"#, &vocab(), false).unwrap();
        assert_eq!(r.prompt, "ab");
        assert_eq!(r.options.length, 400);
        assert_eq!(r.options.temperature, 1.0);
        assert_eq!(r.options.seed, 0);
        let r = parse_request(
            br#"{"text_input": "", "parameters": {"max_tokens": 7, "temperature": 0.5, "seed": 9, "stream": true}}"#,
            &vocab(),
            true,
        )
        .unwrap();
        assert_eq!(
            r.options,
            GenerateOptions {
                length: 7,
                temperature: 0.5,
                seed: 9
            }
        );
    }

    #[test]
    fn bad_requests_name_the_field() {
        assert_eq!(field_of(r#"{}"#).as_deref(), Some("text_input"));
        assert_eq!(
            field_of(r#"{"text_input": 3}"#).as_deref(),
            Some("text_input")
        );
        assert_eq!(
            field_of(r#"{"text_input": "abz"}"#).as_deref(),
            Some("text_input")
        );
        assert_eq!(
            field_of(r#"{"text_input": "a", "prompt": "b"}"#).as_deref(),
            Some("prompt")
        );
        assert_eq!(
            field_of(r#"{"text_input": "a", "parameters": []}"#).as_deref(),
            Some("parameters")
        );
        for (params, field) in [
            (r#"{"max_tokens": 0}"#, "parameters.max_tokens"),
            (r#"{"max_tokens": 10001}"#, "parameters.max_tokens"),
            (r#"{"max_tokens": 2.5}"#, "parameters.max_tokens"),
            (r#"{"max_tokens": -1}"#, "parameters.max_tokens"),
            (r#"{"temperature": 0}"#, "parameters.temperature"),
            (r#"{"temperature": -0.5}"#, "parameters.temperature"),
            (r#"{"temperature": "NaN"}"#, "parameters.temperature"),
            (r#"{"seed": -3}"#, "parameters.seed"),
            (r#"{"stream": true}"#, "parameters.stream"),
            (r#"{"top_k": 5}"#, "parameters.top_k"),
        ] {
            let body = format!(r#"{{"text_input": "a", "parameters": {params}}}"#);
            assert_eq!(field_of(&body).as_deref(), Some(field), "{params}");
        }
        let e = parse_request(b"[1]", &vocab(), false).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("found an array"), "{}", e.message);
    }
}
