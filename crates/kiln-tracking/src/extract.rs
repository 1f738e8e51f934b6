//! [`Message`]: a request's fields, read as MLflow's server reads them: the query string for
//! `GET` (the client sends a `GET`'s body as query parameters), the JSON body for every other
//! method (`DELETE` included). A body that is not JSON is `BAD_REQUEST`; a field of the wrong
//! type is `INVALID_PARAMETER_VALUE` naming it.

use axum::extract::{FromRequest, Query, Request};
use axum::http::Method;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};

/// Largest JSON body read: a dataset profile may be 16 MiB (MLflow's limit), plus the rest.
pub(crate) const MAX_JSON_BODY: usize = 20 * 1024 * 1024;

/// A request message and the size of the body it came in (`log-batch` has a byte limit).
#[derive(Debug)]
pub(crate) struct Message<T> {
    /// The fields.
    pub(crate) value: T,
    /// Body bytes (0 for a `GET`).
    pub(crate) body_len: usize,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Message<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        if request.method() == Method::GET || request.method() == Method::HEAD {
            let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(request.uri())
                .map_err(|e| ApiError::invalid(format!("cannot read the query string: {e}")))?;
            let value = from_json(query_object(pairs))?;
            return Ok(Self { value, body_len: 0 });
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_JSON_BODY)
            .await
            .map_err(|_| {
                ApiError::invalid(format!(
                    "the request body is over {MAX_JSON_BODY} bytes or could not be read"
                ))
            })?;
        let json = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(
                    ErrorCode::BadRequest,
                    format!("the request body is not JSON: {e}"),
                )
            })?
        };
        Ok(Self {
            value: from_json(json)?,
            body_len: bytes.len(),
        })
    }
}

/// Query pairs as a JSON object: a key given once is a string, a key repeated is a list
/// (repeated proto fields).
fn query_object(pairs: Vec<(String, String)>) -> Value {
    let mut object = Map::new();
    for (key, value) in pairs {
        match object.get_mut(&key) {
            None => {
                object.insert(key, Value::String(value));
            }
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => {
                let first = first.take();
                object.insert(key, Value::Array(vec![first, Value::String(value)]));
            }
        }
    }
    Value::Object(object)
}

fn from_json<T: DeserializeOwned>(json: Value) -> Result<T, ApiError> {
    if !json.is_object() {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_value(json).map_err(|e| ApiError::invalid(format!("invalid request: {e}")))
}

/// A required string field: present and not empty.
pub(crate) fn required<'a>(value: Option<&'a String>, field: &str) -> Result<&'a str, ApiError> {
    value
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_query_keys_become_lists() {
        let pairs = vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "x".to_string()),
            ("a".to_string(), "2".to_string()),
            ("a".to_string(), "3".to_string()),
        ];
        assert_eq!(query_object(pairs), json!({"a": ["1", "2", "3"], "b": "x"}));
    }
}
