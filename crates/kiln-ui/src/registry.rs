//! The model registry: every registered model, and one model's versions, aliases and the
//! history of its aliases.

use kiln_runs::{AliasChange, ModelVersion, RegisteredModel, Store};
use maud::{Markup, html};

use crate::error::Result;
use crate::page::time;

/// The body of `/ui/models`.
pub(crate) fn list(store: &Store) -> Result<Markup> {
    let models = store.registered_models()?;
    Ok(html! {
        h1 { "Models" }
        @if models.is_empty() {
            p.muted { "No registered models. Register a run's model with " code { "kiln models register NAME RUN" } "." }
        } @else {
            table #models {
                thead { tr { th { "model" } th.num { "latest version" } th { "aliases" } th { "updated" } } }
                tbody {
                    @for m in &models {
                        tr data-model=(m.name) {
                            td { a href=(format!("/ui/models/{}", crate::page::enc(&m.name))) { (m.name) } }
                            td.num data-key="latest_version" data-value=[m.latest_version] { (m.latest_version.map_or(String::new(), |v| v.to_string())) }
                            td data-key="aliases" { @for (alias, version) in &m.aliases { code { "@" (alias) } " → " (version) " " } }
                            td { (time(m.last_update_time)) }
                        }
                    }
                }
            }
        }
    })
}

/// What `/ui/models/{name}` shows.
pub(crate) struct ModelView {
    model: RegisteredModel,
    versions: Vec<ModelVersion>,
    history: Vec<AliasChange>,
}

/// Reads one registered model.
pub(crate) fn load(store: &Store, name: &str) -> Result<ModelView> {
    Ok(ModelView {
        model: store.registered_model(name)?,
        versions: store.model_versions(name)?,
        history: store.alias_history(name)?,
    })
}

/// The body of `/ui/models/{name}`.
pub(crate) fn page(v: &ModelView) -> Markup {
    let version = |n: Option<i64>| n.map_or("–".to_string(), |n| n.to_string());
    html! {
        h1 #model-name { (v.model.name) }
        @if !v.model.description.is_empty() { p { (v.model.description) } }
        h2 { "Versions" }
        table #versions {
            thead { tr { th.num { "version" } th { "run" } th { "aliases" } th { "source" } th { "registered" } th { "by" } } }
            tbody {
                @for mv in &v.versions {
                    tr data-version=(mv.version) {
                        td.num { (mv.version) }
                        td data-key="run_id" {
                            @if let Some(run) = &mv.run_id { a href=(format!("/ui/runs/{run}")) { (run) } }
                        }
                        td { @for a in &mv.aliases { code { "@" (a) } " " } }
                        td.value { (mv.source) }
                        td { (time(mv.creation_time)) }
                        td { (mv.user_id) }
                    }
                }
            }
        }
        h2 { "Aliases" }
        table #aliases {
            thead { tr { th { "alias" } th.num { "version" } } }
            tbody {
                @for (alias, n) in &v.model.aliases {
                    tr data-alias=(alias) { td { code { "@" (alias) } } td.num data-key="version" data-value=(n) { (n) } }
                }
            }
        }
        h2 { "Alias history" }
        table #alias-log {
            thead { tr { th { "when" } th { "alias" } th.num { "from" } th.num { "to" } th { "by" } } }
            tbody {
                @for c in v.history.iter().rev() {
                    tr { td { (time(c.time)) } td { code { "@" (c.alias) } } td.num { (version(c.old_version)) } td.num { (version(c.new_version)) } td { (c.user_id) } }
                }
            }
        }
    }
}
