//! `kiln predict MODEL INPUT [-o OUT] [--format csv|jsonl]`.
//!
//! JSON lines hold one [`row_json`] object per row, the very objects `kiln serve` answers
//! with; the CSV layout is this command's own (`write_csv`).

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use kiln::{Predictions, TrainedModel};
use kiln_serve::wire::row::row_json;
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
            PredictionFormat::Csv => write_csv(&predictions, stdout),
            PredictionFormat::Jsonl => write_jsonl(&predictions, stdout),
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
        PredictionFormat::Csv => write_csv(&predictions, out),
        PredictionFormat::Jsonl => write_jsonl(&predictions, out),
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
    predictions: &Predictions,
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
        let mut row = row_json(predictions, i);
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

/// Writes one JSON object per line ([`row_json`]).
fn write_jsonl(predictions: &Predictions, mut w: impl Write) -> std::io::Result<()> {
    for i in 0..predictions.rows {
        serde_json::to_writer(&mut w, &row_json(predictions, i))?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

/// Writes CSV: `label,p_<class>…` or `value`; Bayesian models add `std`, `lower`, `upper`
/// (per class: `std_<class>`, `lower_<class>`, `upper_<class>`).
fn write_csv(predictions: &Predictions, w: impl Write) -> std::io::Result<()> {
    let p = predictions;
    let mut out = csv::Writer::from_writer(w);
    let u = p.uncertainty.as_ref();
    if p.classes.is_empty() {
        let mut head = vec!["value"];
        if u.is_some() {
            head.extend(["std", "lower", "upper"]);
        }
        out.write_record(&head)?;
        for (i, v) in p.values.iter().enumerate() {
            let mut rec = vec![v.to_string()];
            if let Some(u) = u {
                rec.extend([u.std[i], u.lower[i], u.upper[i]].map(|x| x.to_string()));
            }
            out.write_record(&rec)?;
        }
    } else {
        let k = p.classes.len();
        let mut head = vec!["label".to_string()];
        head.extend(p.classes.iter().map(|c| format!("p_{c}")));
        if u.is_some() {
            for what in ["std", "lower", "upper"] {
                head.extend(p.classes.iter().map(|c| format!("{what}_{c}")));
            }
        }
        out.write_record(&head)?;
        for i in 0..p.rows {
            let mut rec = vec![p.label(i).unwrap_or_default().to_string()];
            rec.extend(p.probabilities_of(i).iter().map(|x| x.to_string()));
            if let Some(u) = u {
                for values in [&u.std, &u.lower, &u.upper] {
                    rec.extend(values[i * k..(i + 1) * k].iter().map(|x| x.to_string()));
                }
            }
            out.write_record(&rec)?;
        }
    }
    out.flush()
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
    use kiln::Uncertainty;

    use super::*;

    fn bayesian_classifier() -> Predictions {
        Predictions {
            column: "label".into(),
            classes: vec!["0".into(), "1".into()],
            rows: 2,
            probabilities: vec![0.25, 0.75, 0.625, 0.375],
            values: Vec::new(),
            warnings: Vec::new(),
            uncertainty: Some(Uncertainty {
                std: vec![0.125, 0.125, 0.0625, 0.0625],
                lower: vec![0.0, 0.5, 0.25, 0.25],
                upper: vec![0.5, 1.0, 0.75, 0.75],
                mass: 0.94,
                samples: 100,
            }),
        }
    }

    #[test]
    fn csv_has_one_column_per_class_and_per_class_uncertainty() {
        let mut out = Vec::new();
        write_csv(&bayesian_classifier(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "label,p_0,p_1,std_0,std_1,lower_0,lower_1,upper_0,upper_1\n\
             1,0.25,0.75,0.125,0.125,0,0.5,0.5,1\n\
             0,0.625,0.375,0.0625,0.0625,0.25,0.25,0.75,0.75\n"
        );
    }

    #[test]
    fn regression_csv_has_the_value_and_its_interval() {
        let p = Predictions {
            column: "y".into(),
            classes: Vec::new(),
            rows: 1,
            probabilities: Vec::new(),
            values: vec![2.5],
            warnings: Vec::new(),
            uncertainty: Some(Uncertainty {
                std: vec![0.5],
                lower: vec![1.5],
                upper: vec![3.5],
                mass: 0.94,
                samples: 100,
            }),
        };
        let mut out = Vec::new();
        write_csv(&p, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "value,std,lower,upper\n2.5,0.5,1.5,3.5\n"
        );
    }

    #[test]
    fn json_lines_are_the_served_rows() {
        let p = bayesian_classifier();
        let mut out = Vec::new();
        write_jsonl(&p, &mut out).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, vec![row_json(&p, 0), row_json(&p, 1)]);
        assert_eq!(lines[0]["interval_mass"], 0.94);
    }

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
