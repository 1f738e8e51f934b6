//! The admin routes: `POST /admin/models/{name}/reload` (`{"path": …}` optional) swaps one
//! model for a file, `POST /admin/reload` reloads every model from its file. Who may reach them
//! is `crate::guard`'s decision; which files a reload may read is [`AppState::reload`]'s.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ServeError};
use crate::extract::unknown_model;
use crate::state::AppState;

/// The admin routes.
pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin/reload", post(reload_all))
        .route("/admin/models/{name}/reload", post(reload))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReloadBody {
    path: Option<std::path::PathBuf>,
}

async fn reload(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let body: ReloadBody = if body.iter().all(u8::is_ascii_whitespace) {
        ReloadBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("expected {{\"path\": \"…\"}}: {e}")))?
    };
    if state.get(&name, None).is_none() {
        return Err(unknown_model(&state, &name, None));
    }
    let started = Instant::now();
    let st = Arc::clone(&state);
    let id = tokio::task::spawn_blocking(move || st.reload(&name, body.path.as_deref()))
        .await
        .map_err(|e| ApiError::internal(format!("the reload task failed: {e}")))?
        .map_err(reload_refused)?;
    Ok(axum::Json(json!({
        "name": id.name,
        "version": id.version,
        "seconds": started.elapsed().as_secs_f64(),
    })))
}

async fn reload_all(State(state): State<Arc<AppState>>) -> Result<axum::Json<Value>, ApiError> {
    let st = Arc::clone(&state);
    let ids = tokio::task::spawn_blocking(move || st.reload_all())
        .await
        .map_err(|e| ApiError::internal(format!("the reload task failed: {e}")))?
        .map_err(reload_refused)?;
    Ok(axum::Json(json!({
        "reloaded": ids.iter().map(|i| json!({"name": i.name, "version": i.version})).collect::<Vec<_>>(),
    })))
}

/// The answer to a failed reload. Names the file and what kind of failure it was, never
/// anything read from it: a file that is not a kiln model file is only that, whatever the
/// library's message says.
fn reload_refused(e: ServeError) -> ApiError {
    let answer = match &e {
        ServeError::PathNotAllowed { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "PERMISSION_DENIED", e.to_string())
        }
        ServeError::UnknownModel(_) => ApiError::not_found(e.to_string()),
        ServeError::Load { path, source } => {
            let foreign = matches!(
                &**source,
                kiln::Error::Artifact(a) if matches!(**a, kiln::artifact::ArtifactError::Foreign { .. })
            );
            let message = if foreign {
                format!(
                    "cannot load model {}: not a kiln model file",
                    path.display()
                )
            } else {
                e.to_string()
            };
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "INVALID_PARAMETER_VALUE",
                message,
            )
        }
        _ => ApiError::internal(e.to_string()),
    };
    tracing::warn!(error = %answer.message, "reload refused; the old models keep serving");
    answer
}
