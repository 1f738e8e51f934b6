//! One run: its summary, metrics, params and tags from the store, per-step curves from the
//! metric history, children (folds, trials), what its model file shows, and, for a study's
//! run, the study (`study`).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::PathBuf;

use kiln_artifact::{ModelFile, ModelHeader};
use kiln_chart::{LineChart, Series};
use kiln_runs::{ArtifactEntry, MODEL_ARTIFACT, MetricPoint, Run, RunInfo, Store};
use maud::{Markup, PreEscaped, html};

use crate::error::{Result, UiError};
use crate::model_view;
use crate::page::{duration, num, time};
use crate::study;

/// Everything the run page draws, read from the store in one go.
pub(crate) struct RunView {
    pub(crate) run: Run,
    pub(crate) experiment: String,
    pub(crate) histories: BTreeMap<String, Vec<MetricPoint>>,
    pub(crate) children: Vec<RunInfo>,
    pub(crate) artifacts: Vec<ArtifactEntry>,
    pub(crate) model: Option<ModelHeader>,
    /// `posterior.svg` (a Bayesian model's maps), as `kiln train` logs it.
    pub(crate) posterior: Option<Vec<u8>>,
    /// `samples.txt` (a language model's samples), as `kiln train` logs it.
    pub(crate) samples: Option<String>,
    /// The study, when the run is one (`kiln tune`).
    pub(crate) study: Option<kiln_tune::record::StudySummary>,
}

/// Artifacts larger than this are not shown inline.
const MAX_INLINE_BYTES: u64 = 8 << 20;

/// Reads a run (a full id, or a unique prefix as `kiln runs` takes) and its model file.
pub(crate) fn load(store: &Store, given: &str) -> Result<RunView> {
    let info = store.resolve_run(given)?;
    let run = store.run(&info.run_id)?;
    let experiment = store
        .experiment(run.info.experiment_id)
        .map_or_else(|_| run.info.experiment_id.to_string(), |e| e.name);
    let histories = store.metric_histories(&run.info.run_id)?;
    let children = store.child_runs(&run.info.run_id)?;
    let artifacts = store.list_artifacts(&run.info.run_id, None)?;
    let model = if artifacts.iter().any(|a| a.path == MODEL_ARTIFACT) {
        Some(model_header(store, &run.info.run_id)?)
    } else {
        None
    };
    let small = |path: &str| {
        artifacts
            .iter()
            .any(|a| a.path == path && a.size.is_some_and(|s| s <= MAX_INLINE_BYTES))
    };
    let posterior = if small("posterior.svg") {
        Some(artifact_bytes(store, &run.info.run_id, "posterior.svg")?)
    } else {
        None
    };
    let samples = if small("samples.txt") {
        let bytes = artifact_bytes(store, &run.info.run_id, "samples.txt")?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        None
    };
    let study = kiln_tune::record::study_summary(store, &run)?;
    Ok(RunView {
        run,
        experiment,
        histories,
        children,
        artifacts,
        model,
        posterior,
        samples,
        study,
    })
}

fn artifact_bytes(store: &Store, run_id: &str, path: &str) -> Result<Vec<u8>> {
    let (_, mut file) = store.artifact(run_id, path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|source| UiError::Io {
        what: format!("{run_id}/{path}"),
        source,
    })?;
    Ok(bytes)
}

fn model_header(store: &Store, run_id: &str) -> Result<ModelHeader> {
    let what = PathBuf::from(format!("{run_id}/{MODEL_ARTIFACT}"));
    let bytes = artifact_bytes(store, run_id, MODEL_ARTIFACT)?;
    ModelFile::from_bytes(&bytes, &what)
        .map(|f| f.header)
        .map_err(|source| UiError::Model { path: what, source })
}

/// The page body. `links` is false in a standalone report, whose links would lead nowhere.
pub(crate) fn body(v: &RunView, links: bool) -> Markup {
    let info = &v.run.info;
    let data = &v.run.data;
    let now = kiln_runs::clock::now_ms();
    html! {
        h1 #run-name { (info.name) }
        dl #summary {
            dt { "run id" } dd data-key="run_id" { (info.run_id) }
            dt { "status" } dd data-key="status" class=(format!("status-{}", info.status.as_str())) { (info.status.as_str()) }
            dt { "experiment" } dd data-key="experiment" { (v.experiment) }
            dt { "user" } dd data-key="user" { (info.user_id) }
            dt { "started" } dd data-key="start_time" data-value=(info.start_time) { (time(info.start_time)) " UTC" }
            dt { "duration" } dd data-key="duration" { (duration(info.duration_seconds(now))) }
            @if let Some(parent) = &info.parent_run_id {
                dt { "parent run" } dd data-key="parent" {
                    @if links { a href=(format!("/ui/runs/{parent}")) { (parent) } } @else { (parent) }
                }
            }
            @if let Some(digest) = data.tags.get("kiln.data_digest") {
                dt { "data digest" } dd data-key="data_digest" { code { (digest) } }
            }
            @for input in &v.run.inputs {
                dt { "dataset" } dd data-key="dataset" { (input.dataset.name) " " span.muted { (input.dataset.source) " · " (input.dataset.digest) } }
            }
        }
        @if let Some(s) = &v.study { (study::section(s, links)) }
        (curves(&v.histories))
        @if let Some(svg) = &v.posterior {
            // As an image: an SVG shown through <img> runs no script, whoever logged it.
            section #posterior {
                h2 { "Posterior: probability, uncertainty and ELBO" }
                img alt="posterior probability and uncertainty maps, ELBO trace"
                    src=(format!("data:image/svg+xml;base64,{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, svg)));
            }
        }
        @if let Some(text) = &v.samples {
            section #samples { h2 { "Samples" } pre { (text) } }
        }
        @if let Some(header) = &v.model { (model_view::sections(header)) }
        h2 { "Metrics" }
        @if data.metrics.is_empty() { p.muted { "No metrics." } } @else {
            // Long lists (a classifier records every split's per-class figures) start folded.
            details open[data.metrics.len() <= 24] {
            summary { (data.metrics.len()) " metrics, latest values" }
            table #metrics {
                thead { tr { th { "metric" } th.num { "latest" } th.num { "step" } } }
                tbody {
                    @for m in &data.metrics {
                        tr data-key=(m.key) {
                            td { (m.key) }
                            td.num.value data-value=(m.point.value) { (num(m.point.value)) }
                            td.num { (m.point.step) }
                        }
                    }
                }
            }
            }
        }
        h2 { "Params" }
        @if data.params.is_empty() { p.muted { "No params." } } @else {
            table #params { tbody { @for (k, val) in &data.params { tr data-key=(k) { th { (k) } td.value { (val) } } } } }
        }
        h2 { "Tags" }
        table #tags { tbody { @for (k, val) in &data.tags { tr data-key=(k) { th { (k) } td.value { (val) } } } } }
        @if !v.children.is_empty() {
            h2 { "Children" }
            (children(&v.children, links))
        }
        @if !v.artifacts.is_empty() {
            h2 { "Artifacts" }
            table #artifacts {
                tbody {
                    @for a in &v.artifacts {
                        tr data-key=(a.path) {
                            td { (a.path) }
                            td.num { (a.size.map_or(String::new(), |s| s.to_string())) " B" }
                            td.muted { (a.digest.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

/// The chart a metric is drawn on: `train.loss` and `val.loss` share `loss`.
pub(crate) fn curve_group(key: &str) -> (&str, &str) {
    for (prefix, name) in [("train.", "train"), ("val.", "validation")] {
        if let Some(rest) = key.strip_prefix(prefix) {
            return (rest, name);
        }
    }
    (key, key)
}

/// One chart per metric group with more than one step.
pub(crate) fn curves(histories: &BTreeMap<String, Vec<MetricPoint>>) -> Markup {
    let mut groups: BTreeMap<&str, Vec<Series>> = BTreeMap::new();
    for (key, points) in histories {
        if points.len() < 2 {
            continue;
        }
        let (group, name) = curve_group(key);
        groups.entry(group).or_default().push(Series::new(
            name,
            points.iter().map(|p| (p.step as f64, p.value)).collect(),
        ));
    }
    if groups.is_empty() {
        return html! {};
    }
    html! {
        section #curves {
            h2 { "Curves" }
            div.charts {
                @for (group, series) in groups {
                    @let longest = series.iter().map(|s| s.points.len()).max().unwrap_or(0);
                    figure data-metric=(group) {
                        (PreEscaped(LineChart {
                            title: group.to_string(),
                            x_label: "step".into(),
                            y_label: group.to_string(),
                            series,
                            markers: longest <= 60,
                            ..LineChart::default()
                        }.svg()))
                    }
                }
            }
        }
    }
}

fn children(children: &[RunInfo], links: bool) -> Markup {
    html! {
        table #children {
            thead { tr { th { "run" } th { "status" } th { "started" } } }
            tbody {
                @for c in children {
                    tr data-run-id=(c.run_id) {
                        td { @if links { a href=(format!("/ui/runs/{}", c.run_id)) { (c.name) } } @else { (c.name) } }
                        td class=(format!("status-{}", c.status.as_str())) { (c.status.as_str()) }
                        td { (time(c.start_time)) }
                    }
                }
            }
        }
    }
}
