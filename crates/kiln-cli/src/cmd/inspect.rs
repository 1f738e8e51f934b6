//! `kiln inspect MODEL`: everything a model file records, for people or as JSON.

use std::fmt::Write as _;
use std::process::ExitCode;

use kiln::Metrics;
use kiln::artifact::{FileKind, ModelFile, ModelHeader};
use kiln::data::{FittedInput, FittedOutput, NumberTransform};
use kiln::spec::LayerShape;
use kiln::train::Task;
use serde_json::json;

use crate::flags::InspectArgs;
use crate::render::emit;
use crate::report;

pub(crate) fn run(args: &InspectArgs, json: bool) -> anyhow::Result<ExitCode> {
    if let Some(out) = &args.export_weights {
        let model = kiln::TrainedModel::load(&args.model)?;
        super::monitor::write_atomically(out, &model.weights_safetensors()?)?;
        if !json {
            println!("wrote the weights to {}", out.display());
        }
    }
    let file = ModelFile::read(&args.model)?;
    let header = &file.header;
    let file_bytes = super::train::file_size(&args.model).unwrap_or_default();
    let weights_bytes = file.section("weights").map_or(0, <[u8]>::len);
    let network = &header.network;
    let layers = kiln::spec::infer_shapes(
        network.layers.written(),
        &network.input_shape,
        network.head_units,
    )?;
    let total: usize = layers.iter().map(|l| l.params).sum();
    // The same digest a recorded run keeps as `kiln.weights_sha256`: a file matched to its run.
    let weights_sha256 = kiln::weights_digest(&file).ok();

    if json {
        let mut value = json!(header);
        // Checkpoint state is bulky and internal; the sections are described instead.
        if let Some(obj) = value.as_object_mut() {
            obj.remove("train_state");
        }
        emit(&json!({
            "path": args.model,
            "file_bytes": file_bytes,
            "weights_bytes": weights_bytes,
            "weights_sha256": weights_sha256,
            "sections": file.sections.iter().map(|(n, b)| json!({"name": n, "bytes": b.len()})).collect::<Vec<_>>(),
            "layers": layers.iter().map(|l| json!({
                "index": l.index,
                "desc": l.desc,
                "output": l.output,
                "params": l.params,
                "trainable": l.trainable,
            })).collect::<Vec<_>>(),
            "total_params": total,
            "header": value,
        }));
        return Ok(ExitCode::SUCCESS);
    }

    let mut out = String::new();
    describe(&mut out, header, &layers, total);
    let _ = writeln!(
        out,
        "\nFile\n  {} ({}; weights {})",
        args.model.display(),
        report::bytes(file_bytes),
        report::bytes(weights_bytes as u64)
    );
    if let Some(digest) = &weights_sha256 {
        let _ = writeln!(out, "  weights sha256 {digest}");
    }
    let _ = writeln!(out, "\nSpec ({} as written)", header.name);
    for line in header.spec_toml.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn describe(out: &mut String, h: &ModelHeader, layers: &[LayerShape], total: usize) {
    let kind = match h.kind {
        FileKind::Model => "model",
        FileKind::Checkpoint => "training checkpoint (continue with `kiln train --resume`)",
    };
    let rows = vec![
        vec!["Name".to_string(), h.name.clone()],
        vec!["Kind".to_string(), kind.to_string()],
        vec!["Task".to_string(), task(&h.task)],
        vec!["Created".to_string(), report::utc_date(h.created_unix)],
        vec!["kiln".to_string(), h.kiln_version.clone()],
    ];
    out.push_str(&report::table(&rows, ""));

    out.push_str("\nInputs\n");
    let inputs: Vec<Vec<String>> = h.encoder.inputs.iter().map(input_row).collect();
    out.push_str(&report::table(&inputs, "  "));
    out.push_str("Output\n");
    out.push_str(&report::table(&[output_row(&h.encoder.output)], "  "));

    out.push_str("\nLayers\n");
    let mut table = vec![vec![
        "#".to_string(),
        "Layer".to_string(),
        "Output shape".to_string(),
        "Params".to_string(),
    ]];
    table.extend(layers.iter().map(|l| {
        vec![
            l.index.to_string(),
            l.desc.clone(),
            format!("{:?}", l.output),
            report::thousands(l.params),
        ]
    }));
    out.push_str(&report::table(&table, "  "));
    let trainable: usize = layers.iter().map(|l| l.trainable).sum();
    let _ = write!(out, "  Total params: {}", report::thousands(total));
    if trainable != total {
        let _ = write!(out, " ({} trainable)", report::thousands(trainable));
    }
    out.push('\n');

    let t = &h.training;
    let _ = writeln!(
        out,
        "\nTraining\n  {}, best epoch {}, stopped: {}, {}",
        report::count(t.history.len(), "epoch"),
        t.best_epoch,
        stop_reason(t.stop),
        report::duration(t.seconds)
    );
    if let Some(best) = t.history.iter().find(|e| e.epoch == t.best_epoch) {
        let metric = match h.task {
            Task::Regression { .. } => "mae",
            Task::Classification { .. } | Task::Binary => "accuracy",
        };
        let _ = write!(
            out,
            "  best epoch: loss {:.4}, {metric} {:.4}",
            best.loss, best.metric
        );
        if let (Some(l), Some(m)) = (best.val_loss, best.val_metric) {
            let _ = write!(out, ", val_loss {l:.4}, val_{metric} {m:.4}");
        }
        out.push('\n');
    }

    if !h.metrics.is_empty() {
        out.push_str("\nMetrics\n");
        let rows: Vec<Vec<String>> = h
            .metrics
            .iter()
            .map(|(split, value)| {
                let figures = match value {
                    Metrics::Classification(r) => {
                        format!(
                            "accuracy {:.4}  log_loss {:.4}  ({} rows)",
                            r.accuracy, r.log_loss, r.count
                        )
                    }
                    Metrics::Regression(r) => format!(
                        "mae {:.4}  rmse {:.4}  r2 {}  ({} rows)",
                        r.mae,
                        r.rmse,
                        r.r2.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}")),
                        r.count
                    ),
                    Metrics::LanguageModel(r) => format!(
                        "bits/char {:.4}  unigram {:.4}  accuracy {:.4}  ({} characters)",
                        r.bits_per_char, r.unigram_bits_per_char, r.accuracy, r.chars
                    ),
                };
                vec![split.clone(), figures]
            })
            .collect();
        out.push_str(&report::table(&rows, "  "));
    }

    let d = &h.data;
    let _ = writeln!(
        out,
        "\nData\n  source {} (relative paths from {})\n  digest {}, split seed {}\n  rows: {} train, {} validation, {} test",
        d.source,
        d.base_dir,
        d.digest,
        d.split_seed,
        report::thousands(d.train_rows),
        report::thousands(d.validation_rows),
        report::thousands(d.test_rows)
    );
}

fn task(task: &Task) -> String {
    match task {
        Task::Classification { classes } => format!("classification, {classes} classes (softmax)"),
        Task::Binary => "binary classification (sigmoid)".to_string(),
        Task::Regression { .. } => "regression".to_string(),
    }
}

fn stop_reason(stop: kiln::train::StopReason) -> &'static str {
    match stop {
        kiln::train::StopReason::Completed => "completed",
        kiln::train::StopReason::EarlyStopped => "early stopping",
        kiln::train::StopReason::Interrupted => "interrupted",
        kiln::train::StopReason::Stopped => "stopped by an observer",
    }
}

fn input_row(input: &FittedInput) -> Vec<String> {
    let (kind, detail, fill) = match input {
        FittedInput::Number {
            transform, fill, ..
        } => {
            let detail = match transform {
                NumberTransform::Standardize { mean, std } => {
                    format!("standardize mean={} std={}", num(*mean), num(*std))
                }
                NumberTransform::MinMax { min, max } => {
                    format!("minmax min={} max={}", num(*min), num(*max))
                }
                NumberTransform::None => "none".to_string(),
            };
            ("number", detail, fill.map(num))
        }
        FittedInput::Binary {
            positive,
            negative,
            fill,
            ..
        } => ("binary", format!("1={positive} 0={negative}"), fill.clone()),
        FittedInput::Category {
            vocabulary, fill, ..
        } => (
            "category",
            format!("{} values + unknown bucket", vocabulary.len()),
            fill.clone(),
        ),
        FittedInput::Image {
            height,
            width,
            channels,
            scale,
            ..
        } => (
            "image",
            format!(
                "{height}×{width}×{channels} scale={}",
                num(f64::from(*scale))
            ),
            None,
        ),
        FittedInput::Text { text, .. } => ("text", text.describe(), text.fill.clone()),
    };
    let mut detail = detail;
    if let Some(fill) = fill {
        let _ = write!(detail, " missing→{fill}");
    }
    vec![input.name().to_string(), kind.to_string(), detail]
}

fn output_row(output: &FittedOutput) -> Vec<String> {
    let (kind, detail) = match output {
        FittedOutput::Category { classes, .. } => ("category", classes_list(classes)),
        FittedOutput::Binary { classes, .. } => {
            ("binary", format!("0={} 1={}", classes[0], classes[1]))
        }
        FittedOutput::Number { mean, std, .. } => {
            ("number", format!("mean={} std={}", num(*mean), num(*std)))
        }
    };
    vec![output.name().to_string(), kind.to_string(), detail]
}

fn classes_list(classes: &[String]) -> String {
    const SHOWN: usize = 12;
    let mut s = format!("{} classes: ", classes.len());
    s.push_str(
        &classes
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    );
    if classes.len() > SHOWN {
        s.push_str(", …");
    }
    s
}

/// At most six decimals, without trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_drop_trailing_zeros() {
        assert_eq!(num(0.5), "0.5");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(1.0 / 255.0), "0.003922");
        assert_eq!(num(-0.0000001), "0");
    }
}
