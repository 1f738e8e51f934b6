//! `kiln tune SPEC [-o BEST.kiln]`: a hyper-parameter study, a line per trial.

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use kiln::tune::{TuneEvent, TuneRequest};
use kiln::tuning::{ParamValue, Params, TrialState};
use serde_json::json;

use crate::flags::TuneArgs;
use crate::render::emit;

/// Reads `--enqueue PATH=VALUE,PATH=VALUE`.
fn enqueued(text: &str) -> anyhow::Result<Params> {
    let mut params = Params::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (path, value) = part.split_once('=').with_context(|| {
            format!("--enqueue `{text}`: `{part}` is not PATH=VALUE, e.g. training.batch_size=64")
        })?;
        params.insert(path.trim().to_string(), ParamValue::parse(value));
    }
    Ok(params)
}

/// A trial in JSON: number, value, params, run id (`kiln tune`'s done event, `kiln runs show`).
pub(crate) fn best_json(t: &kiln::tuning::Trial, run_id: Option<&str>) -> serde_json::Value {
    json!({ "number": t.number, "value": t.value, "params": t.params, "run_id": run_id })
}

/// Importance by path as a JSON object.
pub(crate) fn importance_json(imp: &[(String, f64)]) -> serde_json::Value {
    serde_json::Value::Object(imp.iter().map(|(p, v)| (p.clone(), json!(v))).collect())
}

/// Importance by path, most important first, one line each.
pub(crate) fn print_importance(imp: &[(String, f64)]) {
    let mut imp = imp.to_vec();
    imp.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (p, v) in imp {
        println!("  {v:>6.3}  {p}");
    }
}

/// `path=value` pairs, reals to 5 significant digits.
fn short(params: &Params) -> String {
    params
        .iter()
        .map(|(p, v)| match v {
            ParamValue::Float(f) => {
                format!("{p}={}", format!("{f:.4e}").parse::<f64>().unwrap_or(*f))
            }
            other => format!("{p}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn run(args: &TuneArgs, json: bool) -> anyhow::Result<ExitCode> {
    if args.output.as_ref() == Some(&args.spec) {
        anyhow::bail!(
            "the model file would overwrite the spec {}; pass -o BEST.kiln",
            args.spec.display()
        );
    }
    if let Some(t) = args.timeout
        && !(t.is_finite() && t > 0.0)
    {
        anyhow::bail!("--timeout {t}: expected a positive number of seconds");
    }
    let store = super::store()?;
    let mut request = TuneRequest::new(&args.spec, super::cache()?, store.clone());
    request.workers = args.workers as usize;
    request.lag = args.lag.map(|l| l as usize);
    request.trials = args.trials.map(|t| t as usize);
    request.timeout = args.timeout.map(Duration::from_secs_f64);
    request.resume = args.resume;
    request.study = args.study.clone();
    request.experiment = args.experiment.clone();
    request.folds = args.folds.map(|k| k as usize);
    request.overrides = args.overrides.clone();
    request.enqueue = args
        .enqueue
        .iter()
        .map(|e| enqueued(e))
        .collect::<anyhow::Result<_>>()?;
    request.cancel = Some(super::train::interrupt_flag()?);

    let quiet = args.quiet;
    let planned = Mutex::new(0usize);
    let metric = Mutex::new(String::new());
    let on_event = |event: TuneEvent<'_>| match event {
        TuneEvent::Started {
            study_run_id,
            name,
            settings,
            resumed,
        } => {
            *planned.lock().expect("not poisoned") = settings.trials;
            *metric.lock().expect("not poisoned") = settings.metric.clone();
            if json {
                emit(&json!({
                    "event": "study",
                    "run_id": study_run_id,
                    "name": name,
                    "metric": settings.metric,
                    "direction": settings.direction.as_str(),
                    "trials": settings.trials,
                    "sampler": settings.sampler,
                    "pruner": settings.pruner.name(),
                    "seed": settings.seed,
                    "lag": settings.lag,
                    "resumed": resumed,
                }));
            } else if !quiet {
                println!(
                    "study {name} ({study_run_id}): {} trials, {} {} by {}{}, pruner {}, seed {}, lag {}{}",
                    settings.trials,
                    settings.direction.as_str(),
                    settings.metric,
                    settings.sampler,
                    if settings.sampler == "tpe" && settings.multivariate {
                        " (multivariate)"
                    } else {
                        ""
                    },
                    settings.pruner.name(),
                    settings.seed,
                    settings.lag,
                    if resumed > 0 {
                        format!("; resumed with {resumed} trials done")
                    } else {
                        String::new()
                    },
                );
            }
        }
        TuneEvent::TrialFinished {
            trial,
            run_id,
            seconds,
            best,
            error,
        } => {
            if json {
                emit(&json!({
                    "event": "trial",
                    "number": trial.number,
                    "state": trial.state.as_str(),
                    "value": trial.value,
                    "params": trial.params,
                    "run_id": run_id,
                    "seconds": seconds,
                    "best": best.map(|b| json!({"number": b.number, "value": b.value})),
                    "error": error,
                }));
            } else if !quiet {
                let n = *planned.lock().expect("not poisoned");
                let value = match (trial.state, trial.value) {
                    (TrialState::Failed, _) => "-".to_string(),
                    (_, Some(v)) => format!("{v:.4}"),
                    _ => "-".to_string(),
                };
                let best = best
                    .and_then(|b| b.value.map(|v| format!("best {v:.4} (#{})", b.number)))
                    .unwrap_or_default();
                println!(
                    "trial {:>3}/{n}  {:<8}  {value:>8}  {:>6.1} s  {best}  {}",
                    trial.number,
                    trial.state.as_str(),
                    seconds,
                    short(&trial.params)
                );
                if let Some(e) = error {
                    println!("           {e}");
                }
            }
        }
        TuneEvent::Warning(w) => eprintln!("warning: {w}"),
    };
    let outcome = kiln::tune::tune_spec(&request, &on_event)?;
    let metric = outcome.settings.metric.clone();
    let mut written = None;
    let mut refit_run = None;
    if let (Some(out), Some((_, Some(run_id)))) = (&args.output, &outcome.best) {
        if args.refit {
            let (spec, run) = refit(&request, &outcome, run_id, out)?;
            refit_run = run;
            written = Some((out.clone(), spec));
        } else {
            let spec = kiln::tune::write_best(&store, run_id, out)
                .with_context(|| format!("writing the best trial's model to {}", out.display()))?;
            written = Some((out.clone(), spec));
        }
    }
    let counts = |s: TrialState| outcome.trials.iter().filter(|(t, _)| t.state == s).count();
    if json {
        emit(&json!({
            "event": "done",
            "study_run_id": outcome.study_run_id,
            "metric": metric,
            "trials": outcome.trials.len(),
            "complete": counts(TrialState::Complete),
            "pruned": counts(TrialState::Pruned),
            "failed": counts(TrialState::Failed),
            "best": outcome.best.as_ref().map(|(t, id)| best_json(t, id.as_deref())),
            "importance": outcome.importance.as_deref().map(importance_json),
            "output": written.as_ref().map(|(m, s)| json!({"model": m, "spec": s})),
            "refit_run_id": refit_run,
            "stopped_early": outcome.stopped_early,
        }));
    } else {
        println!(
            "\n{} trials: {} complete, {} pruned, {} failed{}",
            outcome.trials.len(),
            counts(TrialState::Complete),
            counts(TrialState::Pruned),
            counts(TrialState::Failed),
            if outcome.stopped_early {
                format!(
                    " (stopped early; `kiln tune {} --resume` continues)",
                    args.spec.display()
                )
            } else {
                String::new()
            }
        );
        match &outcome.best {
            Some((t, id)) => {
                println!(
                    "best: trial {} with {metric} = {:.6} (run {})",
                    t.number,
                    t.value.unwrap_or(f64::NAN),
                    id.as_deref().unwrap_or("-")
                );
                for (p, v) in &t.params {
                    println!("  {p} = {}", v.to_toml());
                }
            }
            None => println!("no trial completed"),
        }
        if let Some(imp) = &outcome.importance {
            println!("importance (PED-ANOVA):");
            print_importance(imp);
        }
        if let Some((m, s)) = &written {
            let how = if args.refit {
                " (the best spec trained again on training + validation rows)"
            } else {
                ""
            };
            println!("wrote {} and {}{how}", m.display(), s.display());
        }
        println!(
            "study run: {} (kiln runs show {})",
            outcome.study_run_id, outcome.study_run_id
        );
    }
    let interrupted = request
        .cancel
        .as_ref()
        .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
    Ok(if interrupted {
        ExitCode::from(super::train::INTERRUPTED)
    } else if outcome.best.is_none() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--refit`: trains the best trial's spec again with no validation split (its rows join the
/// training rows) into `out`, recorded as a child run of the study, and writes that spec
/// beside it. Returns the spec's path and the run's id.
fn refit(
    request: &TuneRequest,
    outcome: &kiln::tune::TuneOutcome,
    best_run: &str,
    out: &std::path::Path,
) -> anyhow::Result<(std::path::PathBuf, Option<String>)> {
    let mut text = String::new();
    let (_, mut file) = request
        .store
        .artifact(best_run, kiln::tracking::SPEC_ARTIFACT)
        .context("reading the best trial's spec from the runs store")?;
    std::io::Read::read_to_string(&mut file, &mut text)?;
    let base = request
        .spec_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let mut train = kiln::TrainRequest::new(&request.spec_path, out, request.cache.clone());
    train.spec_text = Some((text, base));
    train.overrides = vec![kiln::Override::new("data.split.validation", "0.0")];
    train.checkpoint = false;
    train.folds = request.folds;
    train.cancel = request.cancel.clone();
    train.tracking = Some(kiln::Tracking {
        experiment: request.experiment.clone(),
        run_name: Some(format!("{}-refit", outcome.name)),
        tags: [("kiln.refit_of".to_string(), best_run.to_string())].into(),
        parent_run_id: Some(outcome.study_run_id.clone()),
        ..kiln::Tracking::new(std::sync::Arc::clone(&request.store))
    });
    let mut run_id = None;
    let result = kiln::train_spec(&train, |event| {
        if let kiln::RunEvent::Tracked { run_id: id } = event {
            run_id = Some(id.to_string());
        }
    })
    .context("refitting the best trial's spec")?;
    let spec = out.with_extension("toml");
    super::monitor::write_atomically(&spec, result.file.header.spec_toml.as_bytes())?;
    Ok((spec, run_id))
}
