//! `kiln generate MODEL --prompt "…" --length N --temperature T --seed S`: samples text from a
//! character-level language model and streams it to stdout as it is drawn.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use kiln::lm::{GenerateOptions, LanguageModel};
use serde_json::json;

use crate::flags::GenerateArgs;
use crate::render::emit;

pub(crate) fn run(args: &GenerateArgs, json: bool) -> anyhow::Result<ExitCode> {
    let model = LanguageModel::load(&args.model)?;
    let options = GenerateOptions {
        length: args.length,
        temperature: args.temperature,
        seed: args.seed,
    };
    let generation = model.generate(&args.prompt, &options)?;
    if json {
        let text: String = generation.collect();
        emit(&json!({
            "prompt": args.prompt,
            "text": text,
            "length": args.length,
            "temperature": args.temperature,
            "seed": args.seed,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(args.prompt.as_bytes())
        .context("cannot write to stdout")?;
    let mut buf = [0u8; 4];
    for c in generation {
        out.write_all(c.encode_utf8(&mut buf).as_bytes())
            .context("cannot write to stdout")?;
        // Each character is shown as soon as it is sampled.
        out.flush().context("cannot write to stdout")?;
    }
    out.write_all(b"\n").context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
