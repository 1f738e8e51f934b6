//! `kiln datasets list` and `kiln datasets fetch NAME...`.

use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::json;

use crate::flags::DatasetsCommand;
use crate::render::emit;
use crate::report;

pub(crate) fn run(command: &DatasetsCommand, json: bool) -> anyhow::Result<ExitCode> {
    let cache = super::cache()?;
    match command {
        DatasetsCommand::List => {
            let infos = kiln::data::list();
            let mut rows = vec![vec![
                "NAME".to_string(),
                "SIZE".to_string(),
                "SOURCE".to_string(),
                "LICENSE".to_string(),
                "CACHED".to_string(),
            ]];
            let mut out = Vec::with_capacity(infos.len());
            for info in infos {
                let cached = kiln::data::is_cached(info.name, &cache)?;
                rows.push(vec![
                    info.name.to_string(),
                    info.size.to_string(),
                    info.source.clone(),
                    info.license.to_string(),
                    if info.generated {
                        "n/a".to_string()
                    } else if cached {
                        "yes".to_string()
                    } else {
                        "no".to_string()
                    },
                ]);
                let mut value = json!(info);
                value["cached"] = json!(cached);
                out.push(value);
            }
            if json {
                emit(&json!(out));
            } else {
                print!("{}", report::table(&rows, ""));
                println!("\nCache: {}", cache.root().display());
            }
        }
        DatasetsCommand::Fetch { names } => {
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                let generated = kiln::data::list()
                    .iter()
                    .any(|info| info.name == name && info.generated);
                if !json && !generated && !kiln::data::is_cached(name, &cache)? {
                    eprintln!("Fetching {name}…");
                }
                let dir = kiln::data::fetch(name, &cache)
                    .with_context(|| format!("cannot fetch `{name}`"))?;
                if json {
                    out.push(json!({"name": name, "path": dir, "generated": generated}));
                } else if generated {
                    println!("{name}: generated on the fly, nothing to fetch");
                } else {
                    println!("{name}: {}", dir.display());
                }
            }
            if json {
                emit(&json!(out));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
