//! Errors: [`ServeError`] for starting and reloading, `WorkerError` for a job a worker could
//! not answer, [`ApiError`] for one HTTP answer (the only one that knows statuses).

use std::path::PathBuf;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why the server could not start, or a model could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A model file could not be loaded.
    #[error("cannot load model {path}: {source}")]
    Load {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: Box<kiln::Error>,
    },
    /// Two models were given the same name and version.
    #[error(
        "two models are served as `{name}` version `{version}`; give one another --name or version"
    )]
    Duplicate {
        /// Model name.
        name: String,
        /// Version.
        version: String,
    },
    /// A reload named a file outside the files the server was started with and its model
    /// roots. Says nothing about whether the path exists.
    #[error(
        "`{path}` is not a model file this server may load: name a file it was started with, or one under a model root (--model-root)"
    )]
    PathNotAllowed {
        /// The path as requested.
        path: PathBuf,
    },
    /// No such model is served.
    #[error("no model named `{0}` is served")]
    UnknownModel(String),
    /// The address could not be bound or a socket failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A bad setting.
    #[error("{0}")]
    Config(String),
    /// The worker thread could not be started.
    #[error("cannot start a worker thread: {0}")]
    Thread(std::io::Error),
}

/// Why a worker (a table model's or a language model's) gave a queued job no answer. Workers
/// know no HTTP: the routes turn this into an [`ApiError`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum WorkerError {
    /// The queue is full: the client should retry (503 with `Retry-After`).
    #[error("the model's {queue} is full; retry after the time in Retry-After")]
    QueueFull {
        /// `queue` or `generation queue`.
        queue: &'static str,
    },
    /// No answer within the request timeout (503 with `Retry-After`).
    #[error("no answer within {} s; the server is overloaded", .0.as_secs_f64())]
    TimedOut(Duration),
    /// The worker thread is gone (a bug).
    #[error("the model's {worker} has stopped")]
    Stopped {
        /// `worker` or `generation thread`.
        worker: &'static str,
    },
    /// The worker dropped the job without answering (a bug).
    #[error("the model's worker dropped the request")]
    Dropped,
    /// The model refused rows the request checks let through: a case the checks missed, still
    /// the request's fault (422). Holds the library's message.
    #[error("{0}")]
    RowsRefused(String),
    /// The model refused a prompt (400 naming `text_input`). Holds the library's message.
    #[error("{0}")]
    PromptRefused(String),
    /// The model panicked (500).
    #[error("the model failed while {doing}")]
    Panicked {
        /// `predicting` or `generating`.
        doing: &'static str,
    },
}

impl From<WorkerError> for ApiError {
    fn from(e: WorkerError) -> Self {
        let message = e.to_string();
        match e {
            WorkerError::QueueFull { .. } | WorkerError::TimedOut(_) => Self::overloaded(message),
            WorkerError::RowsRefused(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_PARAMETER_VALUE",
                message,
            ),
            WorkerError::PromptRefused(_) => Self::field("text_input", message),
            WorkerError::Stopped { .. } | WorkerError::Dropped | WorkerError::Panicked { .. } => {
                Self::internal(message)
            }
        }
    }
}

/// One HTTP error answer: a status and a JSON body
/// `{"error_code": …, "message": …, "field": …}`.
///
/// The body follows MLflow's scoring server (`error_code`, `message`) and adds `field` (the
/// offending request field, when there is one) and `error` (KServe v2's single key), so both
/// kinds of client find what they look for.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Short machine-readable code (`BAD_REQUEST`, `INVALID_PARAMETER_VALUE`, …).
    pub code: &'static str,
    /// What is wrong, what was expected and what was found.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
    /// Seconds a client should wait before retrying (503 answers).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    /// 400 naming the field at fault.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("field `{field}`: {}", message.into());
        Self {
            field: Some(field),
            ..Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER_VALUE", message)
        }
    }

    /// Any status with a code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 404 for an unknown model or version.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "RESOURCE_DOES_NOT_EXIST", message)
    }

    /// 503 with `Retry-After`.
    pub fn overloaded(message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(1),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "TEMPORARILY_UNAVAILABLE",
                message,
            )
        }
    }

    /// 500: a bug or a failure of the model, never the client's fault.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error_code": self.code,
            "message": self.message,
            "error": self.message,
            "field": self.field,
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
