//! The runs table: one page of a store search (filter, order and paging done by the store, in
//! `kiln runs list`'s grammar), with sortable columns and a compare form.

use std::collections::BTreeSet;

use kiln_runs::search::{RunPage, RunQuery};
use kiln_runs::{Run, Store, ViewType};
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::Result;
use crate::page::{duration, enc, num, time};

/// Runs per page unless the query says otherwise.
pub(crate) const PAGE_SIZE: usize = 50;

/// Metric and param columns shown at most (the rest are on each run's page).
const MAX_COLUMNS: usize = 12;

/// The query string of `/ui/runs`.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct RunsQuery {
    /// A filter (`metrics.accuracy > 0.9 and params.lr = '0.01'`).
    #[serde(default)]
    pub(crate) filter: Option<String>,
    /// One order-by clause (`metrics.accuracy DESC`).
    #[serde(default)]
    pub(crate) order_by: Option<String>,
    /// Page size.
    #[serde(default)]
    pub(crate) max_results: Option<usize>,
    /// The token of the page to show.
    #[serde(default)]
    pub(crate) page_token: Option<String>,
}

impl RunsQuery {
    fn filter(&self) -> Option<&str> {
        self.filter
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }

    fn order_by(&self) -> Option<&str> {
        self.order_by
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
    }

    /// `/ui/runs?…` with these settings and `changes` applied.
    fn href(&self, order_by: Option<&str>, page_token: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.filter() {
            parts.push(format!("filter={}", enc(f)));
        }
        if let Some(o) = order_by {
            parts.push(format!("order_by={}", enc(o)));
        }
        if let Some(n) = self.max_results.filter(|&n| n != PAGE_SIZE) {
            parts.push(format!("max_results={n}"));
        }
        if let Some(t) = page_token {
            parts.push(format!("page_token={}", enc(t)));
        }
        if parts.is_empty() {
            "/ui/runs".into()
        } else {
            format!("/ui/runs?{}", parts.join("&"))
        }
    }
}

/// The page's runs, or the store's message (a filter that does not parse, say).
pub(crate) fn search(store: &Store, q: &RunsQuery) -> std::result::Result<RunPage, String> {
    let query = RunQuery {
        filter: q.filter().map(str::to_string),
        order_by: q.order_by().map(str::to_string).into_iter().collect(),
        max_results: q
            .max_results
            .unwrap_or(PAGE_SIZE)
            .clamp(1, kiln_runs::search::MAX_RESULTS_LIMIT),
        page_token: q.page_token.clone().filter(|t| !t.is_empty()),
        view: ViewType::ActiveOnly,
        ..RunQuery::default()
    };
    store.search_runs(&query).map_err(|e| e.to_string())
}

/// A key as a search name: `metrics.KEY`, with backticks where the key is not a plain word.
fn search_name(kind: &str, key: &str) -> String {
    if key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
    {
        format!("{kind}.{key}")
    } else {
        format!("{kind}.`{}`", key.replace('`', ""))
    }
}

/// The body of `/ui/runs`.
pub(crate) fn body(q: &RunsQuery, found: &std::result::Result<RunPage, String>) -> Result<Markup> {
    let runs: &[Run] = found.as_ref().map_or(&[], |p| p.runs.as_slice());
    let metric_keys: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.data.metrics.iter().map(|m| m.key.as_str()))
        .collect();
    let param_keys: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.data.params.keys().map(String::as_str))
        .collect();
    let metric_keys: Vec<&str> = prefer_unprefixed(metric_keys);
    let param_keys: Vec<&str> = param_keys.into_iter().take(MAX_COLUMNS).collect();
    let current = q.order_by().unwrap_or("");
    // A column's link sorts by it, descending first; a second click flips the direction.
    let sort = |data_key: &str, name: &str, label: &str| {
        let descending = format!("{name} DESC");
        let next = if current.eq_ignore_ascii_case(&descending) {
            format!("{name} ASC")
        } else {
            descending
        };
        let arrow = if current.eq_ignore_ascii_case(&format!("{name} DESC")) {
            " ↓"
        } else if current.eq_ignore_ascii_case(&format!("{name} ASC")) {
            " ↑"
        } else {
            ""
        };
        html! { a.sort data-key=(data_key) href=(q.href(Some(&next), None)) { (label) (arrow) } }
    };
    let now = kiln_runs::clock::now_ms();
    Ok(html! {
        h1 { "Runs" }
        form #filter method="get" action="/ui/runs" {
            input type="text" name="filter" value=(q.filter().unwrap_or(""))
                placeholder="metrics.accuracy > 0.9 and params.training.epochs = '5'" aria-label="filter";
            input type="text" name="order_by" value=(q.order_by().unwrap_or(""))
                placeholder="metrics.accuracy DESC" aria-label="order by";
            button type="submit" { "Search" }
        }
        form #compare method="get" action="/ui/compare" {
            button #compare-submit type="submit" { "Compare selected" }
        }
        @match found {
            Err(message) => { div.error role="alert" { (message) } }
            Ok(page) => {
                @if page.runs.is_empty() { p.muted { "No runs match." } }
                div.scroll {
                    table #runs {
                        thead {
                            tr {
                                th {}
                                th { (sort("name", "attributes.run_name", "name")) }
                                th { (sort("status", "attributes.status", "status")) }
                                th { (sort("start_time", "attributes.start_time", "started")) }
                                th { "duration" }
                                @for k in &metric_keys { th.num { (sort(&format!("metrics.{k}"), &search_name("metrics", k), k)) } }
                                @for k in &param_keys { th { (sort(&format!("params.{k}"), &search_name("params", k), k)) } }
                            }
                        }
                        tbody {
                            @for r in &page.runs {
                                tr data-run-id=(r.info.run_id) {
                                    td { input.pick type="checkbox" name="run" value=(r.info.run_id) form="compare" aria-label="pick"; }
                                    td data-key="name" { a href=(format!("/ui/runs/{}", r.info.run_id)) { (r.info.name) } }
                                    td data-key="status" class=(format!("status-{}", r.info.status.as_str())) { (r.info.status.as_str()) }
                                    td data-key="start_time" data-value=(r.info.start_time) { (time(r.info.start_time)) }
                                    td { (duration(r.info.duration_seconds(now))) }
                                    @for k in &metric_keys {
                                        @match r.data.metric(k) {
                                            Some(v) => td.num data-key=(format!("metrics.{k}")) data-value=(v) { (num(v)) },
                                            None => td.num data-key=(format!("metrics.{k}")) {},
                                        }
                                    }
                                    @for k in &param_keys {
                                        td data-key=(format!("params.{k}")) { (r.data.params.get(*k).map_or("", String::as_str)) }
                                    }
                                }
                            }
                        }
                    }
                }
                div.pager {
                    @if q.page_token.as_deref().is_some_and(|t| !t.is_empty()) {
                        a #first href=(q.href(q.order_by(), None)) { "First page" }
                    }
                    @if let Some(token) = &page.next_page_token {
                        a #next href=(q.href(q.order_by(), Some(token))) { "Next page" }
                    }
                }
            }
        }
    })
}

/// The columns shown: headline (unprefixed) metrics first, then split-prefixed ones, at most
/// [`MAX_COLUMNS`].
fn prefer_unprefixed(keys: BTreeSet<&str>) -> Vec<&str> {
    let (plain, prefixed): (Vec<&str>, Vec<&str>) =
        keys.into_iter().partition(|k| !k.contains('.'));
    plain
        .into_iter()
        .chain(prefixed)
        .take(MAX_COLUMNS)
        .collect()
}
