//! # kiln-ui
//!
//! kiln's web UI, drawn on the server: the runs table (filter, sort and paging done by the
//! runs store, in `kiln runs list`'s grammar), a page per run (metrics, params, tags, curves,
//! confusion matrix, per-class table, ROC, precision–recall, calibration, residuals, layers,
//! spec, children; for a `kiln tune` study: its history, importance, slices, parallel
//! coordinates and trials), compare, the model registry, and a live page of a running `kiln serve`.
//! Every page is HTML with its stylesheet inline and its charts as inline SVG
//! ([`kiln_chart`]): the tables work without JavaScript, and only the live page runs a few
//! lines of script to redraw itself. The same run page, saved as one file, is
//! `kiln report RUN` ([`run_report`], [`model_report`]).
//!
//! [`router`] has the routes (all under `/ui/`) and no guard: `kiln serve` and `kiln ui` merge
//! it behind kiln-serve's (token, `Host`, no cross-site writes). Everything a run carries
//! (names, params, tags: attacker-controlled when the MLflow API is open) is escaped by maud
//! or by kiln-chart; the only unescaped text is the stylesheet, the live script and the SVG
//! kiln-chart wrote.
//!
//! **Layers**, lowest first; a module imports only from lines above it:
//!
//! 1. [`error`] ([`UiError`]), `page` (frame, stylesheet, number and time formats).
//! 2. `model_view` (what a model file shows), `live` (a serving server's numbers), `study`
//!    (a study's section, from [`kiln_tune::record`]).
//! 3. `run_page` (uses `model_view` and `study`), `runs_page`, `registry`.
//! 4. `compare` (uses `run_page`'s curve grouping).
//! 5. This file: the routes and the report entry points.

mod compare;
pub mod error;
mod live;
mod model_view;
mod page;
mod registry;
mod run_page;
mod runs_page;
mod study;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use kiln_runs::{RunsError, Store};
use maud::{Markup, html};
use serde::Deserialize;

pub use error::{Result, UiError};
pub use live::{LiveSnapshot, LiveTarget, LocalSnapshot};

/// What the UI serves.
#[derive(Debug)]
pub struct Ui {
    /// The runs store the pages read.
    pub store: Arc<Store>,
    /// The servers the live page watches.
    pub live: Vec<LiveTarget>,
}

/// Every UI route, under `/ui/`.
pub fn router(ui: Arc<Ui>) -> Router {
    Router::new()
        .route("/ui", get(home))
        .route("/ui/", get(home))
        .route("/ui/runs", get(runs))
        .route("/ui/runs/{id}", get(run))
        .route("/ui/compare", get(compare))
        .route("/ui/models", get(models))
        .route("/ui/models/{name}", get(model))
        .route("/ui/live", get(live))
        .route("/ui/live/fragment", get(live_fragment))
        .with_state(ui)
}

/// The run page as one self-contained HTML file (`kiln report RUN`, `kiln report STUDY`: a
/// study's run has its study section): no script, no link or request outside the file.
///
/// # Errors
///
/// An unknown run, a store error, or an unreadable `model.kiln` artifact.
pub fn run_report(store: &Store, run: &str) -> Result<String> {
    let view = run_page::load(store, run)?;
    let title = format!("run {}", view.run.info.name);
    Ok(page::report(&title, &run_page::body(&view, false)).into_string())
}

/// A picture drawn elsewhere (the Bayesian maps of `kiln report`), shown in a report.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The section's id.
    pub id: String,
    /// Its heading.
    pub title: String,
    /// The SVG, written by trusted code (it is inserted as is).
    pub svg: String,
}

/// A model file's page as one self-contained HTML file (`kiln report MODEL.kiln`): its
/// training curves from the file's history, `figures`, and everything [`run_report`] draws
/// from a model.
///
/// # Errors
///
/// The file cannot be read or is not a model file.
pub fn model_report(path: &Path, figures: &[Figure]) -> Result<String> {
    let file = kiln_artifact::ModelFile::read(path).map_err(|source| UiError::Model {
        path: path.to_path_buf(),
        source,
    })?;
    let h = &file.header;
    let body = html! {
        h1 #run-name { (h.name) }
        dl #summary {
            dt { "file" } dd data-key="path" { (path.display()) }
            dt { "trained" } dd data-key="created" { (page::time(h.created_unix as i64 * 1000)) " UTC" }
            dt { "kiln" } dd { (h.kiln_version) }
            dt { "data" } dd data-key="data_source" { (h.data.source) " · " (h.data.train_rows) " training rows" }
            dt { "data digest" } dd data-key="data_digest" { code { (h.data.digest) } }
            dt { "epochs" } dd { (h.training.history.len()) " (weights of epoch " (h.training.best_epoch) ")" }
            dt { "training time" } dd { (page::duration(h.training.seconds)) }
        }
        (model_view::history(h))
        @for f in figures {
            section id=(f.id) { h2 { (f.title) } (maud::PreEscaped(&f.svg)) }
        }
        (model_view::sections(h))
    };
    Ok(page::report(&format!("model {}", h.name), &body).into_string())
}

/// An error as a page with its status: 404 for what does not exist, 400 for bad input.
fn error_page(e: &UiError) -> Response {
    let status = match e {
        UiError::Runs(RunsError::NotFound { .. }) => StatusCode::NOT_FOUND,
        UiError::Runs(RunsError::Invalid { .. } | RunsError::Query { .. }) => {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let body = html! { h1 { "Error" } div.error role="alert" { (e.to_string()) } };
    (status, Html(page::page("error", &body, None).into_string())).into_response()
}

/// Runs a store read off the async runtime and draws its page.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> std::result::Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_page(&e)),
        Err(e) => Err((
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the page's task failed: {e}"),
        )
            .into_response()),
    }
}

fn html_page(title: &str, body: &Markup, script: Option<&str>) -> Response {
    Html(page::page(title, body, script).into_string()).into_response()
}

async fn home() -> Redirect {
    Redirect::to("/ui/runs")
}

async fn runs(State(ui): State<Arc<Ui>>, Query(q): Query<runs_page::RunsQuery>) -> Response {
    let store = Arc::clone(&ui.store);
    match blocking(move || {
        let found = runs_page::search(&store, &q);
        runs_page::body(&q, &found)
    })
    .await
    {
        Ok(body) => html_page("runs", &body, None),
        Err(r) => r,
    }
}

async fn run(State(ui): State<Arc<Ui>>, UrlPath(id): UrlPath<String>) -> Response {
    let store = Arc::clone(&ui.store);
    match blocking(move || run_page::load(&store, &id)).await {
        Ok(view) => html_page(
            &format!("run {}", view.run.info.name),
            &run_page::body(&view, true),
            None,
        ),
        Err(r) => r,
    }
}

async fn compare(State(ui): State<Arc<Ui>>, RawQuery(q): RawQuery) -> Response {
    let ids: Vec<String> = form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "run")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .collect();
    let store = Arc::clone(&ui.store);
    match blocking(move || compare::load(&store, &ids)).await {
        Ok(runs) => html_page("compare", &compare::body(&runs), None),
        Err(r) => r,
    }
}

async fn models(State(ui): State<Arc<Ui>>) -> Response {
    let store = Arc::clone(&ui.store);
    match blocking(move || registry::list(&store)).await {
        Ok(body) => html_page("models", &body, None),
        Err(r) => r,
    }
}

async fn model(State(ui): State<Arc<Ui>>, UrlPath(name): UrlPath<String>) -> Response {
    let store = Arc::clone(&ui.store);
    match blocking(move || registry::load(&store, &name)).await {
        Ok(view) => html_page("model", &registry::page(&view), None),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize)]
struct TargetQuery {
    #[serde(default)]
    target: usize,
}

async fn live(State(ui): State<Arc<Ui>>, Query(q): Query<TargetQuery>) -> Response {
    let body = match tokio::task::spawn_blocking(move || live::page(&ui.live, q.target)).await {
        Ok(body) => body,
        Err(e) => html! { div.error { "the page's task failed: " (e.to_string()) } },
    };
    html_page("live", &body, Some(live::SCRIPT))
}

async fn live_fragment(State(ui): State<Arc<Ui>>, Query(q): Query<TargetQuery>) -> Response {
    let Some(target) = ui.live.get(q.target).cloned() else {
        return (StatusCode::NOT_FOUND, "no such live target").into_response();
    };
    match tokio::task::spawn_blocking(move || live::fragment(&target)).await {
        Ok(m) => Html(m.into_string()).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
