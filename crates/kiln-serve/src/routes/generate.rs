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
//! The routes only check requests (`crate::wire::generate`) and relay characters: the model
//! runs on its own generation thread (`crate::generator`), never on the async runtime.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::extract::{PathLanguageModel, labelled, read_body};
use crate::generator::{Chunk, Generator};
use crate::state::AppState;
use crate::wire::generate::parse_request;

/// The generate routes, under `/v2/models/{name}` and `/v2/models/{name}/versions/{version}`.
pub(crate) fn router() -> Router<Arc<AppState>> {
    let model = Router::new()
        .route("/generate", post(generate))
        .route("/generate_stream", post(generate_stream));
    Router::new()
        .nest("/v2/models/{name}", model.clone())
        .nest("/v2/models/{name}/versions/{version}", model)
}

/// Reads and checks the body, and queues the generation.
async fn start(
    state: &AppState,
    generator: &Generator,
    request: Request,
    stream: bool,
) -> Result<mpsc::Receiver<Chunk>, ApiError> {
    let body = read_body(state, request.into_body()).await?;
    let checked = parse_request(&body, generator.vocab(), stream)?;
    Ok(generator.submit(checked.prompt, checked.options)?)
}

/// `POST /v2/models/{name}[/versions/{version}]/generate`.
async fn generate(
    State(state): State<Arc<AppState>>,
    PathLanguageModel {
        served: model,
        generator,
    }: PathLanguageModel,
    request: Request,
) -> Response {
    let result = async {
        let mut rx = start(&state, &generator, request, false).await?;
        let collect = async {
            let mut text = String::new();
            loop {
                match rx.recv().await {
                    Some(Chunk::Char(c)) => text.push(c),
                    Some(Chunk::Done) => return Ok(text),
                    Some(Chunk::Failed(e)) => return Err(ApiError::from(e)),
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
async fn generate_stream(
    State(state): State<Arc<AppState>>,
    PathLanguageModel {
        served: model,
        generator,
    }: PathLanguageModel,
    request: Request,
) -> Response {
    let rx = match start(&state, &generator, request, true).await {
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
                let e = ApiError::from(e);
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
