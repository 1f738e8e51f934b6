//! Text generation from character-level language models: Triton's generate extension.
//!
//! - `POST /v2/models/{name}[/versions/{v}]/generate` with
//!   `{"text_input": "ROMEO:", "parameters": {"max_tokens": 200, "temperature": 0.8, "seed": 1}}`
//!   answers `{"model_name", "model_version", "text_output"}` once the text is complete;
//! - `POST …/generate_stream` answers Server-Sent Events, one
//!   `data: {"model_name", "model_version", "text_output": "<one character>"}` per sampled
//!   character, sent as it is sampled.
//!
//! `text_output` is the continuation only (the prompt is not repeated), so the stream's chunks
//! concatenate to the non-streamed answer. The parameters default to `kiln generate`'s
//! (`max_tokens` 400, `temperature` 1.0, `seed` 0): the same request gives the same text as
//! `kiln generate MODEL --prompt … --length … --temperature … --seed …`.
//!
//! The routes only check requests and relay characters: the model runs on its own generation
//! thread (`crate::generator`), never on the async runtime.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;
use kiln::lm::{CharVocab, GenerateOptions};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::extract::{ModelPath, labelled, path_model, read_body};
use crate::generator::Chunk;
use crate::model_id::ModelId;
use crate::state::{AppState, ServedModel};

/// The most characters one request may ask for.
pub const MAX_TOKENS_CAP: u64 = 10_000;

/// Characters generated when a request does not say (`kiln generate`'s default).
const DEFAULT_MAX_TOKENS: u64 = 400;

/// A generate request, checked.
#[derive(Debug, Clone, PartialEq)]
struct GenerateRequest {
    prompt: String,
    options: GenerateOptions,
}

/// Parses and checks a generate body against the model's vocabulary; every refusal names the
/// field. `stream` is the route's mode, checked against a `parameters.stream` sent by a
/// Triton client.
fn parse_request(
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

/// The refusal `/invocations` and `/infer` give a language model.
pub(crate) fn require_table_model(model: &ServedModel) -> Result<(), ApiError> {
    if model.is_language_model() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!(
                "`{}` is a character-level language model: it takes no table rows; POST {{\"text_input\": \"…\"}} to /v2/models/{}/generate (or /generate_stream)",
                model.id.name, model.id.name
            ),
        ));
    }
    Ok(())
}

/// Resolves the model, reads and checks the body, and queues the generation.
async fn start(
    state: &AppState,
    model: &ServedModel,
    request: Request,
    stream: bool,
) -> Result<mpsc::Receiver<Chunk>, ApiError> {
    let Some(generator) = &model.generator else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!(
                "`{}` is not a language model: it predicts from table rows; use /v2/models/{}/infer or /invocations",
                model.id.name, model.id.name
            ),
        ));
    };
    let body = read_body(state, request.into_body()).await?;
    let checked = parse_request(&body, generator.vocab(), stream)?;
    generator.submit(checked.prompt, checked.options)
}

/// `POST /v2/models/{name}[/versions/{version}]/generate`.
pub(crate) async fn generate(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ModelPath>,
    request: Request,
) -> Response {
    let model = match path_model(&state, &p) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let result = async {
        let mut rx = start(&state, &model, request, false).await?;
        let collect = async {
            let mut text = String::new();
            loop {
                match rx.recv().await {
                    Some(Chunk::Char(c)) => text.push(c),
                    Some(Chunk::Done) => return Ok(text),
                    Some(Chunk::Failed(e)) => return Err(e),
                    None => return Err(ApiError::internal("the generation stopped early")),
                }
            }
        };
        let text = tokio::time::timeout(state.config.request_timeout, collect)
            .await
            .map_err(|_| {
                ApiError::overloaded(format!(
                    "the text was not generated within {} s; ask for fewer max_tokens or use generate_stream",
                    state.config.request_timeout.as_secs_f64()
                ))
            })??;
        Ok::<_, ApiError>(axum::Json(json!({
            "model_name": model.id.name,
            "model_version": model.id.version,
            "text_output": text,
        })))
    }
    .await;
    labelled(result.into_response(), &model.id.name)
}

/// `POST /v2/models/{name}[/versions/{version}]/generate_stream`: Server-Sent Events.
pub(crate) async fn generate_stream(
    State(state): State<Arc<AppState>>,
    Path(p): Path<ModelPath>,
    request: Request,
) -> Response {
    let model = match path_model(&state, &p) {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let rx = match start(&state, &model, request, true).await {
        Ok(rx) => rx,
        Err(e) => return labelled(e.into_response(), &model.id.name),
    };
    let body = EventStream {
        rx: Some(rx),
        name: model.id.name.clone(),
        version: model.id.version.clone(),
    };
    let response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Body::new(body),
    )
        .into_response();
    labelled(response, &model.id.name)
}

/// The body of a `generate_stream` answer: one Server-Sent Event per character, as the
/// generation thread sends them. Dropping it (the client went away) drops the receiver, which
/// stops the generation.
struct EventStream {
    rx: Option<mpsc::Receiver<Chunk>>,
    name: String,
    version: String,
}

impl EventStream {
    fn event(data: &Value) -> Frame<Bytes> {
        Frame::data(Bytes::from(format!("data: {data}\n\n")))
    }
}

impl HttpBody for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let Some(rx) = self.rx.as_mut() else {
            return Poll::Ready(None);
        };
        let chunk = match rx.poll_recv(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(chunk) => chunk,
        };
        let data = match chunk {
            Some(Chunk::Char(c)) => json!({
                "model_name": self.name,
                "model_version": self.version,
                "text_output": c.to_string(),
            }),
            Some(Chunk::Done) => {
                self.rx = None;
                return Poll::Ready(None);
            }
            // Triton's form for an error after the stream has started.
            Some(Chunk::Failed(e)) => {
                self.rx = None;
                json!({"error": e.message, "error_code": e.code})
            }
            None => {
                self.rx = None;
                json!({"error": "the generation stopped early", "error_code": "INTERNAL_ERROR"})
            }
        };
        Poll::Ready(Some(Ok(Self::event(&data))))
    }

    fn is_end_stream(&self) -> bool {
        self.rx.is_none()
    }
}

/// The generate routes of language model `id`, for `/openapi.json`.
pub(crate) fn openapi_paths(id: &ModelId, paths: &mut Map<String, Value>) {
    let body = json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/generate_request"}}}});
    let refused = json!({"description": "malformed request (the field is named)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/error"}}}});
    let generate = json!({"post": {
        "summary": format!("Generate text from `{}` (Triton's generate extension)", id.name),
        "requestBody": body,
        "responses": {
            "200": {"description": "the whole continuation", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/generate_response"}}}},
            "400": refused,
            "503": {"description": "queue full; retry after Retry-After seconds"},
        },
    }});
    let stream = json!({"post": {
        "summary": format!("Generate text from `{}`, streamed as Server-Sent Events", id.name),
        "requestBody": body,
        "responses": {
            "200": {"description": "one `data: {\"model_name\", \"model_version\", \"text_output\"}` event per generated character; `data: {\"error\"}` if generation fails", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
            "400": refused,
            "503": {"description": "queue full; retry after Retry-After seconds"},
        },
    }});
    for base in [
        format!("/v2/models/{}", id.name),
        format!("/v2/models/{}/versions/{}", id.name, id.version),
    ] {
        paths.insert(format!("{base}/generate"), generate.clone());
        paths.insert(format!("{base}/generate_stream"), stream.clone());
    }
}

/// The request and response schemas of the generate routes.
pub(crate) fn openapi_schemas(schemas: &mut Map<String, Value>) {
    schemas.insert(
        "generate_request".into(),
        json!({
            "type": "object",
            "required": ["text_input"],
            "additionalProperties": false,
            "properties": {
                "text_input": {"type": "string", "description": "the prompt; every character must be in the model's vocabulary"},
                "parameters": {"type": "object", "additionalProperties": false, "properties": {
                    "max_tokens": {"type": "integer", "minimum": 1, "maximum": MAX_TOKENS_CAP, "default": DEFAULT_MAX_TOKENS},
                    "temperature": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
                    "seed": {"type": "integer", "minimum": 0, "default": 0},
                    "stream": {"type": "boolean", "description": "optional; must match the route"},
                }},
            },
        }),
    );
    schemas.insert(
        "generate_response".into(),
        json!({
            "type": "object",
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "text_output": {"type": "string", "description": "the continuation, without the prompt"},
            },
        }),
    );
}

#[cfg(test)]
mod tests {
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
