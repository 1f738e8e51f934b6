//! Spec file → data → training → model file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use burn::module::Module;
use kiln_artifact::{FileKind, ModelFile, TrainingRecord};
use kiln_data::{Encoded, Encoder, Table, Targets};
use kiln_eval::{ClassificationReport, RegressionReport};
use kiln_model::{NetworkConfig, weights};
use kiln_spec::Spec;
use kiln_train::{OptimizerState, StopReason, TrainData, TrainEvent, TrainOptions, TrainState};

use crate::run::{
    Metrics, Run, RunEvent, TrainRequest, TrainResult, default_device, evaluate_rows, load_tables,
    prepare_tables, resolve_embeddings, take_rows, take_targets, task_for,
};
use crate::{Error, Result};

fn read_spec(path: &Path) -> Result<(Spec, String, PathBuf)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let spec = kiln_spec::parse_spec(&text, &path.display().to_string())?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    Ok((spec, text, base))
}

fn encode_optimizer(state: &OptimizerState) -> Vec<u8> {
    let mut out = Vec::new();
    for slots in [&state.slot1, &state.slot2] {
        out.extend_from_slice(&(slots.len() as u64).to_le_bytes());
        for v in slots {
            out.extend_from_slice(&(v.len() as u64).to_le_bytes());
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    out
}

fn decode_optimizer(bytes: &[u8], step: u64) -> Option<OptimizerState> {
    let mut pos = 0usize;
    let u64_at = |pos: &mut usize| -> Option<u64> {
        let b = bytes.get(*pos..*pos + 8)?;
        *pos += 8;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    };
    let mut slots: [Vec<Vec<f32>>; 2] = [Vec::new(), Vec::new()];
    for slot in &mut slots {
        let n = u64_at(&mut pos)? as usize;
        for _ in 0..n {
            let len = u64_at(&mut pos)? as usize;
            let raw = bytes.get(pos..pos + len * 4)?;
            pos += len * 4;
            slot.push(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            );
        }
    }
    let [slot1, slot2] = slots;
    Some(OptimizerState { step, slot1, slot2 })
}

/// Trains the model a spec file describes and writes the model file.
///
/// With `folds = Some(k)`, first runs k-fold cross-validation on the non-test rows (reporting
/// each fold's and the mean validation metrics), then fits the final model on all non-test
/// rows. The test split is evaluated last and stored in the file.
///
/// # Errors
///
/// Any stage's error; a run cancelled through `cancel` is not an error (the best weights so far
/// are saved and [`TrainResult::stop`] says `Interrupted`).
pub fn train_spec(
    request: &TrainRequest,
    on_event: impl FnMut(RunEvent<'_>),
) -> Result<TrainResult> {
    let (spec, spec_toml, base_dir) = read_spec(&request.spec_path)?;
    if spec.language_model.is_some() {
        return crate::lm::train_language_model(
            &spec,
            &spec_toml,
            &base_dir,
            request,
            Some(&request.output),
            on_event,
        );
    }
    let (table, test_table) = load_tables(&spec, &base_dir, &request.cache)?;
    train_tables(
        &spec,
        &spec_toml,
        &base_dir,
        &table,
        test_table.as_ref(),
        request,
        Some(&request.output),
        on_event,
    )
}

/// Trains on tables in memory. Writes the model file to `output` when given.
///
/// # Errors
///
/// As [`train_spec`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn train_tables(
    spec: &Spec,
    spec_toml: &str,
    base_dir: &Path,
    table: &Table,
    test_table: Option<&Table>,
    request: &TrainRequest,
    output: Option<&Path>,
    mut on_event: impl FnMut(RunEvent<'_>),
) -> Result<TrainResult> {
    let started = Instant::now();
    let spec = spec.clone();
    let prepared = prepare_tables(&spec, table, test_table, None)?;
    on_event(RunEvent::Prepared {
        train_rows: prepared.split.train.len(),
        validation_rows: prepared.split.validation.len(),
        test_rows: prepared.test_rows(),
        input_shape: &prepared.encoder.input_shape(),
        warnings: &prepared.warnings,
        notes: &prepared.encoder.notes(),
    });
    let task = task_for(&prepared.encoder);
    let layers = match prepared.encoder.token_id_count() {
        Some(ids) => resolve_embeddings(
            &spec.layers,
            ids,
            &format!(
                "the text input's {ids} ids ({} words or characters + padding + out-of-vocabulary)",
                ids - 2
            ),
        )?,
        None => spec.layers.clone(),
    };
    let network_config = NetworkConfig {
        layers: kiln_spec::Layers::check(layers)?,
        input_shape: prepared.encoder.input_shape(),
        head_units: task.head_units(),
    };
    // Shapes are checked before any training starts.
    kiln_spec::infer_shapes(
        network_config.layers.written(),
        &network_config.input_shape,
        task.head_units(),
    )?;
    let run = Run {
        spec: &spec,
        spec_toml,
        base_dir,
        prepared: &prepared,
        network_config,
        task,
        device: default_device(),
    };
    if spec.is_bayesian() {
        let tables = (table, test_table);
        return crate::bayesian::train(&run, request, tables, output, started, &mut on_event);
    }
    let mut metrics = BTreeMap::new();

    let mut train_rows = prepared.split.train.clone();
    let mut validation_rows = prepared.split.validation.clone();
    if let Some(k) = request.folds {
        let fold_metrics = cross_validate(&run, table, request, k, &mut on_event)?;
        let mean = mean_metrics(&fold_metrics);
        for (i, m) in fold_metrics.into_iter().enumerate() {
            metrics.insert(format!("fold_{}", i + 1), m);
        }
        if let Some(mean) = mean {
            on_event(RunEvent::Evaluated {
                split: "cv_mean",
                metrics: &mean,
            });
            metrics.insert("cv_mean".to_string(), mean);
        }
        // The final model learns from every non-test row, as in Chollet's Boston example.
        train_rows.append(&mut validation_rows);
        train_rows.sort_unstable();
    }

    let resume = if request.resume {
        Some(load_checkpoint(&request.checkpoint_path(), spec_toml)?)
    } else {
        None
    };
    let data = TrainData {
        inputs: prepared.inputs.clone(),
        targets: prepared.targets.clone(),
        train: train_rows,
        validation: validation_rows.clone(),
    };
    let checkpoint_path = request.checkpoint_path();
    let mut checkpoint_error = None;
    let outcome = kiln_train::train(
        &run.network_config,
        task,
        &spec.training,
        &data,
        &run.device,
        TrainOptions {
            cancel: request.cancel.clone(),
            resume,
            epochs: request.epochs,
        },
        |event| {
            if let TrainEvent::Checkpoint(state) = &event {
                if request.checkpoint && output.is_some() {
                    match write_checkpoint(&run, state, &checkpoint_path) {
                        Ok(()) => on_event(RunEvent::Checkpoint(&checkpoint_path)),
                        Err(e) => checkpoint_error = Some(e),
                    }
                }
                return;
            }
            on_event(RunEvent::Train(event));
        },
    )?;
    if let Some(e) = checkpoint_error {
        return Err(e);
    }

    let mut evaluate_split = |split: &str, x: &Encoded, y: &Targets| -> Result<()> {
        let m = evaluate_rows(
            &outcome.network,
            &prepared.encoder,
            &task,
            x,
            y,
            &run.device,
        )?;
        on_event(RunEvent::Evaluated { split, metrics: &m });
        metrics.insert(split.to_string(), m);
        Ok(())
    };
    if !validation_rows.is_empty() {
        let x = take_rows(&prepared.inputs, &validation_rows);
        let y = take_targets(&prepared.targets, &validation_rows);
        evaluate_split("validation", &x, &y)?;
    }
    if prepared.test_rows() > 0 {
        let (x, y) = prepared.test_data();
        evaluate_split("test", &x, &y)?;
    }
    // The monitoring reference: the held-out rows and the model's predictions on them.
    let profile = crate::monitoring::training_profile(
        &prepared,
        table,
        test_table,
        &validation_rows,
        &metrics,
        crate::monitoring::network_outputs(&outcome.network, &task, &run.device),
    )?;

    let params = outcome.network.num_params();
    let mut header = run.header(
        FileKind::Model,
        TrainingRecord {
            history: outcome.history.clone(),
            best_epoch: outcome.best_epoch,
            stop: outcome.stop,
            seconds: started.elapsed().as_secs_f64(),
        },
        params,
    );
    header.profile = profile;
    header.metrics = metrics
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect();
    let file = ModelFile {
        header,
        sections: vec![("weights".to_string(), weights::to_bytes(&outcome.network)?)],
    };
    if let Some(output) = output {
        file.write(output)?;
        on_event(RunEvent::Saved(output));
    }
    Ok(TrainResult {
        file,
        metrics,
        stop: outcome.stop,
    })
}

fn cross_validate(
    run: &Run<'_>,
    table: &Table,
    request: &TrainRequest,
    k: usize,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<Vec<Metrics>> {
    let prepared = run.prepared;
    // Folds cover the non-test rows; the test rows are never seen.
    let mut pool: Vec<usize> = prepared
        .split
        .train
        .iter()
        .chain(&prepared.split.validation)
        .copied()
        .collect();
    pool.sort_unstable();
    let strata: Option<Vec<usize>> = prepared
        .strata
        .as_ref()
        .map(|s| pool.iter().map(|&r| s[r]).collect());
    let folds = kiln_data::k_fold(pool.len(), strata.as_deref(), k, run.spec.data.split.seed)?;
    let mut results = Vec::with_capacity(k);
    let settings = run.spec.check()?;
    for (i, (train_idx, val_idx)) in folds.into_iter().enumerate() {
        on_event(RunEvent::Fold {
            fold: i + 1,
            folds: k,
        });
        let train: Vec<usize> = train_idx.iter().map(|&j| pool[j]).collect();
        let validation: Vec<usize> = val_idx.iter().map(|&j| pool[j]).collect();
        // Transforms are refitted on each fold's training rows, so no statistic leaks from
        // the fold's validation rows.
        let encoder = Encoder::fit_rows(table, &train, settings.inputs(), settings.output())?;
        let (inputs, _) = encoder.encode_inputs(table)?;
        let targets = encoder.encode_targets(table)?;
        let task = task_for(&encoder);
        let data = TrainData {
            inputs: Arc::new(inputs),
            targets: Arc::new(targets),
            train,
            validation: validation.clone(),
        };
        let outcome = kiln_train::train(
            &run.network_config,
            task,
            &run.spec.training,
            &data,
            &run.device,
            TrainOptions {
                cancel: request.cancel.clone(),
                resume: None,
                epochs: request.epochs,
            },
            |event| {
                if !matches!(event, TrainEvent::Checkpoint(_)) {
                    on_event(RunEvent::Train(event));
                }
            },
        )?;
        let x = take_rows(&data.inputs, &validation);
        let y = take_targets(&data.targets, &validation);
        let m = evaluate_rows(&outcome.network, &encoder, &task, &x, &y, &run.device)?;
        on_event(RunEvent::FoldDone {
            fold: i + 1,
            metrics: &m,
        });
        results.push(m);
        if outcome.stop == StopReason::Interrupted {
            break;
        }
    }
    Ok(results)
}

fn mean_metrics(all: &[Metrics]) -> Option<Metrics> {
    let regs: Vec<&RegressionReport> = all
        .iter()
        .filter_map(|m| match m {
            Metrics::Regression(r) => Some(r),
            Metrics::Classification(_) | Metrics::LanguageModel(_) => None,
        })
        .collect();
    if !regs.is_empty() {
        let n = regs.len() as f64;
        let mean =
            |f: &dyn Fn(&RegressionReport) -> f64| regs.iter().map(|r| f(r)).sum::<f64>() / n;
        let r2s: Vec<f64> = regs.iter().filter_map(|r| r.r2).collect();
        return Some(Metrics::Regression(RegressionReport {
            mae: mean(&|r| r.mae),
            rmse: mean(&|r| r.rmse),
            mse: mean(&|r| r.mse),
            r2: (!r2s.is_empty()).then(|| r2s.iter().sum::<f64>() / r2s.len() as f64),
            count: regs.iter().map(|r| r.count).sum(),
        }));
    }
    // Classification: accuracy and log loss are averaged over the folds; the per-class table
    // and confusion matrix are those of the first fold (each fold's own are under `fold_N`).
    let cls: Vec<&ClassificationReport> = all
        .iter()
        .filter_map(|m| match m {
            Metrics::Classification(r) => Some(r),
            Metrics::Regression(_) | Metrics::LanguageModel(_) => None,
        })
        .collect();
    let first = (*cls.first()?).clone();
    let n = cls.len() as f64;
    Some(Metrics::Classification(ClassificationReport {
        accuracy: cls.iter().map(|r| r.accuracy).sum::<f64>() / n,
        log_loss: cls.iter().map(|r| r.log_loss).sum::<f64>() / n,
        ..first
    }))
}

fn write_checkpoint(run: &Run<'_>, state: &TrainState, path: &Path) -> Result<()> {
    let mut header = run.header(
        FileKind::Checkpoint,
        TrainingRecord {
            history: state.history.clone(),
            best_epoch: state.tracker.best_epoch,
            stop: StopReason::Interrupted,
            seconds: 0.0,
        },
        0,
    );
    header.train_state = Some(state.clone());
    let file = ModelFile {
        header,
        sections: vec![
            ("weights".to_string(), state.weights.clone()),
            ("best_weights".to_string(), state.best_weights.clone()),
            ("optimizer".to_string(), encode_optimizer(&state.optimizer)),
        ],
    };
    file.write(path)?;
    Ok(())
}

fn load_checkpoint(path: &Path, spec_toml: &str) -> Result<TrainState> {
    let file = ModelFile::read(path)?;
    if file.header.kind != FileKind::Checkpoint {
        return Err(Error::Invalid(format!(
            "{}: not a checkpoint (it is a finished model file)",
            path.display()
        )));
    }
    if file.header.spec_toml != spec_toml {
        return Err(Error::Invalid(format!(
            "{}: the checkpoint was written for a different spec; resume needs the same spec file (or delete the checkpoint to start afresh)",
            path.display()
        )));
    }
    let mut state = file.header.train_state.clone().ok_or_else(|| {
        Error::Invalid(format!(
            "{}: checkpoint has no training state",
            path.display()
        ))
    })?;
    state.weights = file.require_section("weights", path)?.to_vec();
    state.best_weights = file.require_section("best_weights", path)?.to_vec();
    state.optimizer = decode_optimizer(
        file.require_section("optimizer", path)?,
        state.optimizer_step,
    )
    .ok_or_else(|| Error::Invalid(format!("{}: optimizer state is corrupt", path.display())))?;
    Ok(state)
}
