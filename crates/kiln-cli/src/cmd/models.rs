//! `kiln models register|alias|unalias|list|show`: the model registry from the command line.

use std::path::Path;
use std::process::ExitCode;

use serde_json::json;

use crate::cmd::runs::utc;
use crate::flags::ModelsCommand;
use crate::render::emit;

pub(crate) fn run(command: &ModelsCommand, json: bool) -> anyhow::Result<ExitCode> {
    let store = super::store()?;
    match command {
        ModelsCommand::Register { name, source } => {
            let path = Path::new(source);
            let version = if path.is_file() {
                store.register_file(name, path)?
            } else {
                let run = store.resolve_run(source)?;
                store.register_run(name, &run.run_id)?
            };
            if json {
                emit(
                    &json!({"name": version.name, "version": version.version, "source": version.source}),
                );
            } else {
                println!(
                    "Registered {} version {} from {}",
                    version.name, version.version, version.source
                );
            }
        }
        ModelsCommand::Alias {
            name,
            alias,
            number,
        } => {
            store.set_alias(name, alias, *number)?;
            if json {
                emit(&json!({"name": name, "alias": alias, "version": number}));
            } else {
                println!("{name}@{alias} -> version {number}");
            }
        }
        ModelsCommand::Unalias { name, alias } => {
            store.delete_alias(name, alias)?;
            if !json {
                println!("Removed {name}@{alias}");
            }
        }
        ModelsCommand::List => {
            let models = store.registered_models()?;
            if json {
                emit(&json!({ "models": models }));
            } else if models.is_empty() {
                println!("No registered models yet (kiln models register NAME RUN).");
            } else {
                for m in models {
                    let aliases = m
                        .aliases
                        .iter()
                        .map(|(a, v)| format!("@{a}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    println!(
                        "{}  latest version {}  {aliases}",
                        m.name,
                        m.latest_version
                            .map_or_else(|| "-".to_string(), |v| v.to_string())
                    );
                }
            }
        }
        ModelsCommand::Show { name } => {
            let model = store.registered_model(name)?;
            let versions = store.model_versions(name)?;
            let history = store.alias_history(name)?;
            if json {
                emit(&json!({"model": model, "versions": versions, "alias_history": history}));
                return Ok(ExitCode::SUCCESS);
            }
            println!("{} ({} versions)", model.name, versions.len());
            for v in &versions {
                let aliases = v
                    .aliases
                    .iter()
                    .map(|a| format!("@{a}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                println!(
                    "  version {}  {} UTC  {}  {aliases}",
                    v.version,
                    utc(v.creation_time),
                    v.source
                );
            }
            if !history.is_empty() {
                println!("Alias history:");
                for h in history {
                    let show =
                        |v: Option<i64>| v.map_or_else(|| "-".to_string(), |v| v.to_string());
                    println!(
                        "  {} UTC  @{}  {} -> {}  by {}",
                        utc(h.time),
                        h.alias,
                        show(h.old_version),
                        show(h.new_version),
                        h.user_id
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
