//! `kiln train SPEC -o OUT.kiln`: trains, shows progress, prints the test metrics.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::Context as _;
use kiln::train::StopReason;
use kiln::{TrainRequest, TrainResult};
use serde_json::json;

use crate::flags::TrainArgs;
use crate::render::{Mode, TrainView, emit};
use crate::report;

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells use.
pub(crate) const INTERRUPTED: u8 = 130;

pub(crate) fn run(args: &TrainArgs, json: bool) -> anyhow::Result<ExitCode> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.spec.with_extension("kiln"));
    if output == args.spec {
        anyhow::bail!(
            "the model file would overwrite the spec {}; pass -o OUT.kiln",
            args.spec.display()
        );
    }
    let mut request = TrainRequest::new(&args.spec, &output, super::cache()?);
    request.resume = args.resume;
    request.epochs = args.epochs.map(|e| e as usize);
    request.folds = args.folds.map(|k| k as usize);
    request.checkpoint = !args.no_checkpoint;
    request.overrides = args.overrides.clone();
    request.tracking = super::tracking(&args.track);
    if args.resume && !request.checkpoint_path().exists() {
        anyhow::bail!(
            "--resume: no checkpoint at {} (it is written after each epoch of a run with the same -o)",
            request.checkpoint_path().display()
        );
    }

    let mode = Mode::from_flags(json, args.quiet);
    let store = request.tracking.as_ref().map(|t| Arc::clone(&t.store));
    let (result, run_id) = train_tracked(request, mode)?;
    let path = output.as_path();
    if let (Some(store), Some(run_id)) = (store, run_id)
        && let Err(e) = log_pictures(&store, &run_id, path, &result)
    {
        // The model and its run are saved; only the picture is missing from the run page.
        eprintln!("warning: run {run_id}: {e:#}");
    }
    let size = file_size(path);

    match mode {
        Mode::Json => emit(&json!({
            "event": "done",
            "path": path,
            "bytes": size,
            "seconds": result.file.header.training.seconds,
            "stop": result.stop,
            "best_epoch": result.file.header.training.best_epoch,
            "advi": result.file.header.bayes,
        })),
        Mode::Quiet => println!("{}", summary_line(&result, path, size)),
        Mode::Bar | Mode::Lines => {
            if let Some(test) = result.metrics.get("test") {
                println!("\nTest metrics:\n{test}");
            }
            if let Some(heldout) = result.metrics.get("heldout") {
                println!("\nHeld-out text: {heldout}");
            }
            println!("{}", summary_line(&result, path, size));
        }
    }
    Ok(exit_code(&result))
}

/// Trains with the display `mode` and a Ctrl-C handler; shared with `quickstart`.
pub(crate) fn train(request: TrainRequest, mode: Mode) -> anyhow::Result<TrainResult> {
    Ok(train_tracked(request, mode)?.0)
}

/// [`train`], and the id of the run it recorded, if any.
fn train_tracked(
    mut request: TrainRequest,
    mode: Mode,
) -> anyhow::Result<(TrainResult, Option<String>)> {
    request.cancel = Some(interrupt_flag()?);
    let mut view = TrainView::new(mode);
    let mut run_id = None;
    let result = kiln::train_spec(&request, |event| {
        if let kiln::RunEvent::Tracked { run_id: id } = &event {
            run_id = Some((*id).to_string());
        }
        view.on_event(event);
    })?;
    Ok((result, run_id))
}

/// What a run page shows that the library does not record: a Bayesian model's posterior maps
/// (`posterior.svg`, drawn as `kiln report` draws them) and a language model's samples
/// (`samples.txt`: three of 300 characters at temperature 0.8, seeds 0 to 2).
fn log_pictures(
    store: &kiln::runs::Store,
    run_id: &str,
    path: &Path,
    result: &TrainResult,
) -> anyhow::Result<()> {
    if result.file.header.bayes.is_some() {
        let model = kiln::TrainedModel::load(path)?;
        let svg = super::report::posterior_svg(&model, 60)?;
        store.put_artifact(run_id, "posterior.svg", &mut svg.as_bytes())?;
    } else if matches!(
        result.metrics.get("heldout"),
        Some(kiln::Metrics::LanguageModel(_))
    ) {
        let lm = kiln::lm::LanguageModel::load(path)?;
        let mut text = String::new();
        for seed in 0..3 {
            let options = kiln::lm::GenerateOptions {
                length: 300,
                temperature: 0.8,
                seed,
            };
            let sample: String = lm.generate("", &options)?.collect();
            text.push_str(&format!("--- seed {seed}, temperature 0.8\n{sample}\n"));
        }
        store.put_artifact(run_id, "samples.txt", &mut text.as_bytes())?;
    }
    Ok(())
}

/// 130 when Ctrl-C stopped the run (the model was still saved), else 0.
pub(crate) fn exit_code(result: &TrainResult) -> ExitCode {
    if result.stop == StopReason::Interrupted {
        ExitCode::from(INTERRUPTED)
    } else {
        ExitCode::SUCCESS
    }
}

fn summary_line(result: &TrainResult, path: &Path, size: Option<u64>) -> String {
    let training = &result.file.header.training;
    let split = ["test", "validation", "heldout"]
        .into_iter()
        .find(|s| result.metrics.contains_key(*s))
        .unwrap_or("test");
    let headline = result
        .metrics
        .get(split)
        .map(|m| {
            let (name, value) = m.headline();
            format!("{split} {name} {value:.4}, ")
        })
        .unwrap_or_default();
    if let Some(bayes) = &result.file.header.bayes {
        return format!(
            "Saved Bayesian model to {} ({}{}, {} ADVI iterations ({}) fitted in {}, final ELBO {:.2})",
            path.display(),
            headline,
            size.map_or_else(|| "size unknown".to_string(), report::bytes),
            report::thousands(bayes.iterations),
            bayes.stop,
            report::duration(bayes.fit_seconds),
            bayes.final_elbo,
        );
    }
    let saved = if result.stop == StopReason::Interrupted {
        "Interrupted; saved the best weights so far to"
    } else {
        "Saved model to"
    };
    format!(
        "{saved} {} ({}{}, {} in {}, best epoch {})",
        path.display(),
        headline,
        size.map_or_else(|| "size unknown".to_string(), report::bytes),
        report::count(training.history.len(), "epoch"),
        report::duration(training.seconds),
        training.best_epoch,
    )
}

pub(crate) fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// The flag a Ctrl-C sets. The first press asks training to stop after the current step (the
/// library then saves the best weights so far); a second press exits at once with 130.
pub(crate) fn interrupt_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let cancel = Arc::new(AtomicBool::new(false));
    let presses = AtomicUsize::new(0);
    let flag = cancel.clone();
    ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            flag.store(true, Ordering::SeqCst);
            eprintln!(
                "\ninterrupted: stopping after this step and saving the best weights so far (Ctrl-C again to quit without saving)"
            );
        } else {
            std::process::exit(i32::from(INTERRUPTED));
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    Ok(cancel)
}
