//! `/api/2.0/mlflow-artifacts/artifacts`: MLflow's proxied artifact routes. `PUT …/<path>`
//! streams the body into the store, `GET …/<path>` streams a file back, `GET …?path=` lists a
//! folder. The path (`<experiment_id>/<run_id>/artifacts/<path>`) is checked by
//! [`crate::artifact_path`] before anything is looked up; the run must exist and belong to the
//! experiment the path names; the bytes go to and come from the store's content-addressed
//! blobs, so no request path ever becomes a file-system path.

use std::io::{self, Read};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http_body_util::BodyExt;
use kiln_runs::Store;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::artifact_path::{self, ArtifactPath};
use crate::convert::{self, blocking};
use crate::error::ApiError;
use crate::extract::Message;
use crate::wire;

/// Where the routes live; the rest of the URL path is the artifact path.
const PREFIX: &str = "/api/2.0/mlflow-artifacts/artifacts";

/// Bytes read from a stored file per chunk sent.
const CHUNK: usize = 256 * 1024;

/// The routes.
pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route(PREFIX, get(list))
        .route(&format!("{PREFIX}/{{*path}}"), get(download).put(upload))
}

/// The run and path a request names, from the raw (still percent-encoded) URL path.
fn located(request_path: &str) -> Result<(String, String, String), ApiError> {
    let raw = request_path
        .split_once(&format!("{PREFIX}/"))
        .map_or("", |(_, rest)| rest);
    match artifact_path::parse(raw)? {
        ArtifactPath::InRun {
            experiment_id,
            run_id,
            path,
        } if !path.is_empty() => Ok((experiment_id, run_id, path)),
        _ => Err(ApiError::invalid(
            "an artifact path is <experiment_id>/<run_id>/artifacts/<path>",
        )),
    }
}

/// Checks that the run exists and belongs to the experiment the path names.
fn check_run(s: &Store, experiment_id: &str, run_id: &str) -> Result<(), kiln_runs::RunsError> {
    let info = s.run_info(run_id)?;
    if info.experiment_id.to_string() != experiment_id {
        return Err(kiln_runs::RunsError::NotFound {
            kind: "run",
            name: format!("{run_id} in experiment {experiment_id}"),
        });
    }
    Ok(())
}

/// A `Read` over the chunks the request handler forwards from the body.
struct BodyReader {
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                None => return Ok(0),
                Some(chunk) => self.current = chunk?,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

async fn upload(
    State(store): State<Arc<Store>>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let (experiment_id, run_id, path) = located(request.uri().path())?;
    {
        let (e, r) = (experiment_id.clone(), run_id.clone());
        blocking(&store, move |s| check_run(s, &e, &r)).await?;
    }
    let (tx, rx) = mpsc::channel(8);
    let stored = {
        let store = Arc::clone(&store);
        tokio::task::spawn_blocking(move || {
            let mut reader = BodyReader {
                chunks: rx,
                current: Bytes::new(),
            };
            store.put_artifact(&run_id, &path, &mut reader)
        })
    };
    let mut body = request.into_body();
    while let Some(frame) = body.frame().await {
        let chunk = match frame {
            Ok(frame) => match frame.into_data() {
                Ok(data) => Ok(data),
                Err(_) => continue, // trailers
            },
            Err(e) => Err(io::Error::other(e)),
        };
        let failed = chunk.is_err();
        // The store stops reading when it refuses the upload; then the rest is not read.
        if tx.send(chunk).await.is_err() || failed {
            break;
        }
    }
    drop(tx);
    stored
        .await
        .map_err(|e| ApiError::internal(format!("storing an artifact panicked: {e}")))?
        .map_err(convert::from_store)?;
    Ok(Json(json!({})))
}

async fn download(State(store): State<Arc<Store>>, request: Request) -> Result<Response, ApiError> {
    let (experiment_id, run_id, path) = located(request.uri().path())?;
    let (entry, file) = blocking(&store, move |s| {
        check_run(s, &experiment_id, &run_id)?;
        s.artifact(&run_id, &path)
    })
    .await?;
    let (mut sender, body) = http_body_util::channel::Channel::<Bytes, io::Error>::new(2);
    tokio::spawn(async move {
        let mut file = Some(file);
        loop {
            let Some(mut f) = file.take() else { break };
            let read = tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; CHUNK];
                let n = f.read(&mut buf)?;
                buf.truncate(n);
                Ok::<_, io::Error>((f, buf))
            })
            .await;
            match read {
                Ok(Ok((_, buf))) if buf.is_empty() => break,
                Ok(Ok((f, buf))) => {
                    if sender.send_data(Bytes::from(buf)).await.is_err() {
                        break; // the client went away
                    }
                    file = Some(f);
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "reading a stored artifact failed");
                    sender.abort(e);
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "reading a stored artifact panicked");
                    sender.abort(io::Error::other("read panicked"));
                    break;
                }
            }
        }
    });
    let mut response = Body::new(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(size) = entry.size {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    Ok(response)
}

async fn list(
    State(store): State<Arc<Store>>,
    Message { value: req, .. }: Message<wire::ListArtifacts>,
) -> Result<Json<Value>, ApiError> {
    let raw = req.path.unwrap_or_default();
    let ArtifactPath::InRun {
        experiment_id,
        run_id,
        path,
    } = artifact_path::parse(&raw)?
    else {
        // Above a run's artifacts there are no files kiln lists.
        return Ok(Json(json!({})));
    };
    let dir = path.clone();
    let entries = blocking(&store, move |s| {
        check_run(s, &experiment_id, &run_id)?;
        s.list_artifacts(&run_id, Some(dir.as_str()).filter(|d| !d.is_empty()))
    })
    .await?;
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let files: Vec<wire::FileInfo> = entries
        .iter()
        .map(|e| wire::FileInfo {
            path: e.path.strip_prefix(&prefix).unwrap_or(&e.path).to_string(),
            is_dir: e.is_dir,
            file_size: e.size.and_then(|s| i64::try_from(s).ok()),
        })
        .collect();
    if files.is_empty() {
        return Ok(Json(json!({})));
    }
    Ok(Json(json!({ "files": files })))
}
