//! `kiln init --example NAME [-o FILE]` and `kiln init --list`.

use std::process::ExitCode;

use anyhow::Context as _;
use kiln::spec::examples;
use serde_json::json;

use crate::flags::InitArgs;
use crate::render::emit;

pub(crate) fn run(args: &InitArgs, json: bool) -> anyhow::Result<ExitCode> {
    let Some(name) = &args.example else {
        if json {
            emit(&json!(examples::NAMES));
        } else {
            for name in examples::NAMES {
                println!("{name}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let text = examples::example(name).with_context(|| {
        format!(
            "no example named `{name}`; examples: {}",
            examples::NAMES.join(", ")
        )
    })?;
    match &args.output {
        None if json => emit(&json!({"name": name, "spec": text})),
        None => print!("{text}"),
        Some(path) => {
            if path.exists() && !args.force {
                anyhow::bail!(
                    "{} already exists; pass --force to overwrite it",
                    path.display()
                );
            }
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if json {
                emit(&json!({"name": name, "path": path}));
            } else {
                eprintln!(
                    "Wrote the `{name}` example to {p}; train it with `kiln train {p}`",
                    p = path.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
