//! [`ApiError`]: one error answer in MLflow's shape, `{"error_code": …, "message": …}`, with
//! the HTTP status MLflow gives that code (`mlflow/exceptions.py`,
//! `ERROR_CODE_TO_HTTP_STATUS`). The only place that knows statuses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// MLflow's error codes (`databricks.proto`'s `ErrorCode`), the ones kiln answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// A field is missing, malformed, over a limit, or contradicts what is stored (400).
    InvalidParameterValue,
    /// The name is taken (400, as MLflow answers it).
    ResourceAlreadyExists,
    /// No such experiment, run, registered model or version (404).
    ResourceDoesNotExist,
    /// The body is not JSON (400).
    BadRequest,
    /// No such route (404).
    EndpointNotFound,
    /// The store is busy with other writers; the client retries (503).
    TemporarilyUnavailable,
    /// A bug or a failure of the store; never the client's fault (500).
    InternalError,
}

impl ErrorCode {
    /// The name the client matches on (`e.error_code`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
            Self::ResourceAlreadyExists => "RESOURCE_ALREADY_EXISTS",
            Self::ResourceDoesNotExist => "RESOURCE_DOES_NOT_EXIST",
            Self::BadRequest => "BAD_REQUEST",
            Self::EndpointNotFound => "ENDPOINT_NOT_FOUND",
            Self::TemporarilyUnavailable => "TEMPORARILY_UNAVAILABLE",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// The HTTP status MLflow's server gives this code.
    #[must_use]
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidParameterValue | Self::ResourceAlreadyExists | Self::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            Self::ResourceDoesNotExist | Self::EndpointNotFound => StatusCode::NOT_FOUND,
            Self::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// One error answer: a code (which fixes the status) and a message saying what is wrong.
///
/// Messages name the field and the offending value's key, never an artifact's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    /// What kind of error.
    pub code: ErrorCode,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

impl ApiError {
    /// An error with any code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 400 `INVALID_PARAMETER_VALUE`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// 400 `INVALID_PARAMETER_VALUE` for a required field the request left out.
    pub fn missing(field: &str) -> Self {
        Self::invalid(format!("missing value for required parameter `{field}`"))
    }

    /// 404 `RESOURCE_DOES_NOT_EXIST`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceDoesNotExist, message)
    }

    /// 400 `RESOURCE_ALREADY_EXISTS`.
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceAlreadyExists, message)
    }

    /// 500 `INTERNAL_ERROR`.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, message)
    }

    /// The HTTP status of this answer.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.code == ErrorCode::InternalError {
            tracing::error!(message = %self.message, "tracking request failed");
        }
        let body = json!({ "error_code": self.code.as_str(), "message": self.message });
        (self.status(), Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_mlflow() {
        assert_eq!(
            ErrorCode::ResourceAlreadyExists.status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ErrorCode::ResourceDoesNotExist.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ErrorCode::InvalidParameterValue.status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            ErrorCode::InternalError.status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn display_names_the_code() {
        let e = ApiError::missing("run_id");
        assert_eq!(
            e.to_string(),
            "INVALID_PARAMETER_VALUE: missing value for required parameter `run_id`"
        );
    }
}
