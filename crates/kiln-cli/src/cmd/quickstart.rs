//! `kiln quickstart`: MNIST → the `mnist-mlp` example → a model file, evaluated, with a few
//! predictions and the commands to go further.

use std::process::ExitCode;

use anyhow::Context as _;
use kiln::TrainedModel;
use kiln::data::{ColumnData, Part};
use serde_json::json;

use crate::flags::QuickstartArgs;
use crate::render::{Mode, emit};
use crate::report;

const EXAMPLE: &str = "mnist-mlp";
/// Test images predicted at the end.
const SHOWN: usize = 10;

pub(crate) fn run(args: &QuickstartArgs, json: bool) -> anyhow::Result<ExitCode> {
    let mode = Mode::from_flags(json, false);
    let cache = super::cache()?;
    if !kiln::data::is_cached("mnist", &cache)? {
        if !json {
            eprintln!("Fetching MNIST into {} (once)…", cache.root().display());
        }
        kiln::data::fetch("mnist", &cache).context("cannot fetch MNIST")?;
    }

    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let spec_path = dir.join(format!("{EXAMPLE}.toml"));
    let model_path = dir.join(format!("{EXAMPLE}.kiln"));
    let text =
        kiln::spec::examples::example(EXAMPLE).context("the mnist-mlp example is missing")?;
    std::fs::write(&spec_path, text)
        .with_context(|| format!("cannot write {}", spec_path.display()))?;
    if mode.is_human() {
        eprintln!(
            "Spec: {} (the TensorFlow 2 quickstart MLP)",
            spec_path.display()
        );
    }

    let mut request = kiln::TrainRequest::new(&spec_path, &model_path, cache.clone());
    request.epochs = args.epochs.map(|e| e as usize);
    let result = super::train::train(request, mode)?;

    // A model file is what users keep, so predict through it rather than the in-memory model.
    let model = TrainedModel::load(&model_path)?;
    let test = kiln::data::load("mnist", Part::Test, &cache, None)?;
    let first: Vec<usize> = (0..SHOWN.min(test.len())).collect();
    let sample = test.take(&first);
    let predictions = model.predict(&sample)?;
    let truth: Vec<String> = match sample.column("label").map(|c| &c.data) {
        Some(ColumnData::Number(values)) => values
            .iter()
            .map(|v| {
                if v.is_nan() {
                    "?".to_string()
                } else {
                    format!("{v}")
                }
            })
            .collect(),
        _ => vec!["?".to_string(); first.len()],
    };
    let predicted: Vec<String> = (0..predictions.rows)
        .map(|i| predictions.label(i).unwrap_or("?").to_string())
        .collect();

    let accuracy = result.metrics.get("test").map(|m| m.headline().1);
    let seconds = result.file.header.training.seconds;
    let size = super::train::file_size(&model_path).unwrap_or_default();
    let spec = spec_path.display();
    let model = model_path.display();
    if json {
        emit(&json!({
            "event": "quickstart",
            "spec": spec_path,
            "model": model_path,
            "model_bytes": size,
            "test_accuracy": accuracy,
            "train_seconds": seconds,
            "stop": result.stop,
            "predictions": predicted.iter().zip(&truth).map(|(p, t)| json!({"predicted": p, "label": t})).collect::<Vec<_>>(),
        }));
        return Ok(super::train::exit_code(&result));
    }

    let correct = predicted.iter().zip(&truth).filter(|(p, t)| p == t).count();
    println!();
    match accuracy {
        Some(a) => println!("Test accuracy   {:.2}% on 10,000 images", a * 100.0),
        None => println!("Test accuracy   (not evaluated)"),
    }
    println!("Training time   {}", report::duration(seconds));
    println!("Model file      {model} ({})", report::bytes(size));
    println!(
        "\nThe first {} test images ({correct} right):\n  predicted  {}\n  true       {}",
        predicted.len(),
        predicted.join("  "),
        truth.join("  ")
    );
    println!(
        "\nGo further:\n  kiln evaluate {model}             # metrics per class, confusion matrix\n  kiln inspect {model}              # layers, transforms, history, provenance\n  kiln predict {model} IMAGES -o predictions.csv\n  kiln train {spec} -o {model}   # after editing the spec\n  kiln init --list                  # more examples"
    );
    Ok(super::train::exit_code(&result))
}
