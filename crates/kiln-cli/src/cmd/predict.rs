//! `kiln predict MODEL INPUT [-o OUT] [--format csv|jsonl]`.

use std::fs::File;
use std::io::{BufWriter, ErrorKind};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use kiln::TrainedModel;
use serde_json::json;

use crate::flags::{PredictArgs, PredictionFormat};
use crate::render::emit;

pub(crate) fn run(args: &PredictArgs, json: bool) -> anyhow::Result<ExitCode> {
    let format = match (args.format, &args.output) {
        (Some(format), _) => format,
        (None, Some(path)) => format_of(path)?,
        (None, None) => PredictionFormat::Jsonl,
    };
    let model = TrainedModel::load(&args.model)?;
    let table = kiln::data::read_table(&args.input, None)?;
    let predictions = model
        .predict(&table)
        .with_context(|| format!("cannot predict the rows of {}", args.input.display()))?;
    for warning in &predictions.warnings {
        eprintln!("warning: {warning}");
    }
    if let Some(n) = args.most_uncertain {
        return most_uncertain(&predictions, n as usize, args, format, &model);
    }

    let Some(path) = &args.output else {
        let stdout = std::io::stdout().lock();
        let written = match format {
            PredictionFormat::Csv => predictions.write_csv(stdout),
            PredictionFormat::Jsonl => predictions.write_jsonl(stdout),
        };
        return match written {
            // `kiln predict … | head` closes the pipe early; that is what the user asked for.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            other => other
                .map(|()| ExitCode::SUCCESS)
                .context("cannot write the predictions to stdout"),
        };
    };
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let out = BufWriter::new(file);
    match format {
        PredictionFormat::Csv => predictions.write_csv(out),
        PredictionFormat::Jsonl => predictions.write_jsonl(out),
    }
    .with_context(|| format!("cannot write {}", path.display()))?;
    if json {
        emit(&json!({
            "path": path,
            "rows": predictions.rows,
            "warnings": predictions.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }));
    } else {
        eprintln!(
            "Wrote {} prediction{} of `{}` to {}",
            predictions.rows,
            if predictions.rows == 1 { "" } else { "s" },
            predictions.column,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--most-uncertain N`: JSON lines of the N rows with the largest predictive std, each
/// with its 0-based `row` number in the input and its `uncertainty`.
fn most_uncertain(
    predictions: &kiln::Predictions,
    n: usize,
    args: &PredictArgs,
    format: PredictionFormat,
    model: &TrainedModel,
) -> anyhow::Result<ExitCode> {
    if !model.is_bayesian() {
        anyhow::bail!(
            "--most-uncertain needs a Bayesian model (trained with training.method = \"advi\"); {} has no predictive uncertainty",
            args.model.display()
        );
    }
    if format == PredictionFormat::Csv {
        anyhow::bail!("--most-uncertain writes JSON lines; drop --format csv or name OUT .jsonl");
    }
    let mut text = String::new();
    for i in predictions.most_uncertain(n) {
        let mut row = predictions.row_json(i);
        if let Some(obj) = row.as_object_mut() {
            obj.insert("row".into(), json!(i));
            obj.insert("uncertainty".into(), json!(predictions.uncertainty_of(i)));
        }
        text.push_str(&row.to_string());
        text.push('\n');
    }
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                Err(e) if e.kind() != ErrorKind::BrokenPipe => {
                    return Err(e).context("cannot write the predictions to stdout");
                }
                _ => {}
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The format an output file's extension asks for.
fn format_of(path: &Path) -> anyhow::Result<PredictionFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(PredictionFormat::Csv),
        Some("jsonl" | "ndjson" | "json") => Ok(PredictionFormat::Jsonl),
        _ => anyhow::bail!(
            "cannot tell the output format from {}; name it .csv or .jsonl, or pass --format",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(
            format_of(Path::new("p.csv")).unwrap(),
            PredictionFormat::Csv
        );
        assert_eq!(
            format_of(Path::new("p.JSONL")).unwrap(),
            PredictionFormat::Jsonl
        );
        let err = format_of(Path::new("p.txt")).unwrap_err().to_string();
        assert!(err.contains("--format"), "{err}");
    }
}
