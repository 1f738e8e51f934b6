//! Gradient descent on a table: optional k-fold cross-validation, then the final fit, with a
//! checkpoint after every epoch and `--resume` from it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use kiln_artifact::TrainingRecord;
use kiln_data::Encoder;
use kiln_eval::{ClassificationReport, RegressionReport};
use kiln_train::{StopReason, TrainData, TrainEvent, TrainOptions};

use crate::Result;
use crate::model_file::{
    Fitted, FittedModel, HeldOut, checkpoint, load_checkpoint, table_data_record,
};
use crate::run::{
    Metrics, RunEvent, TableRun, TrainRequest, default_device, evaluate_rows, task_for,
};

/// Trains the network of `run`; with `request.folds`, cross-validates first and trains the
/// final model on every non-test row.
pub(crate) fn fit<'a>(
    run: &TableRun<'a>,
    request: &TrainRequest,
    output: Option<&Path>,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<Fitted<'a>> {
    let prepared = run.prepared;
    let mut metrics = BTreeMap::new();
    let mut train_rows = prepared.split.train.clone();
    let mut validation_rows = prepared.split.validation.clone();
    // A fold stopped by the epoch observer (a pruned tuning trial) ends the run: no mean over
    // the folds, and no final model (it gets no epochs).
    let mut stopped = false;
    if let Some(k) = request.folds {
        let (fold_metrics, fold_stopped) = cross_validate(run, request, k, on_event)?;
        stopped = fold_stopped;
        let mean = (!stopped).then(|| mean_metrics(&fold_metrics)).flatten();
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

    let checkpoint_path = request.checkpoint_path();
    let resume = if request.resume {
        Some(load_checkpoint(&checkpoint_path, run.source.toml)?)
    } else {
        None
    };
    let data = TrainData {
        inputs: prepared.inputs.clone(),
        targets: prepared.targets.clone(),
        train: train_rows,
        validation: validation_rows.clone(),
    };
    let data_record = table_data_record(&run.source, prepared);
    let mut checkpoint_error = None;
    let outcome = kiln_train::train(
        &run.network,
        run.task,
        &run.source.spec.training,
        &data,
        &default_device(),
        TrainOptions {
            cancel: request.cancel.clone(),
            resume,
            epochs: if stopped { Some(0) } else { request.epochs },
            observer: request.observer.clone(),
        },
        |event| {
            if let TrainEvent::Checkpoint(state) = &event {
                if request.checkpoint && output.is_some() && checkpoint_error.is_none() {
                    let file = checkpoint(
                        &run.source,
                        &prepared.encoder,
                        &run.network,
                        run.task,
                        data_record.clone(),
                        state,
                    );
                    match file.write(&checkpoint_path) {
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
        return Err(e.into());
    }
    Ok(Fitted {
        model: FittedModel::Network(outcome.network),
        encoder: prepared.encoder.clone(),
        network: run.network.clone(),
        task: run.task,
        training: TrainingRecord {
            history: outcome.history,
            best_epoch: outcome.best_epoch,
            stop: if stopped {
                StopReason::Stopped
            } else {
                outcome.stop
            },
            seconds: 0.0,
        },
        data: data_record,
        metrics,
        bayes: None,
        held_out: Some(HeldOut {
            prepared,
            table: run.table,
            test_table: run.test_table,
            validation: validation_rows,
        }),
    })
}

fn cross_validate(
    run: &TableRun<'_>,
    request: &TrainRequest,
    k: usize,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<(Vec<Metrics>, bool)> {
    let prepared = run.prepared;
    let spec = run.source.spec;
    let device = default_device();
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
    let folds = kiln_data::k_fold(pool.len(), strata.as_deref(), k, spec.data.split.seed)?;
    let mut results = Vec::with_capacity(k);
    let settings = spec.check()?;
    for (i, (train_idx, val_idx)) in folds.into_iter().enumerate() {
        on_event(RunEvent::Fold {
            fold: i + 1,
            folds: k,
        });
        let train: Vec<usize> = train_idx.iter().map(|&j| pool[j]).collect();
        let validation: Vec<usize> = val_idx.iter().map(|&j| pool[j]).collect();
        // Transforms are refitted on each fold's training rows, so no statistic leaks from
        // the fold's validation rows.
        let encoder = Encoder::fit_rows(run.table, &train, settings.inputs(), settings.output())?;
        let (inputs, _) = encoder.encode_inputs(run.table)?;
        let targets = encoder.encode_targets(run.table)?;
        let task = task_for(&encoder);
        let data = TrainData {
            inputs: Arc::new(inputs),
            targets: Arc::new(targets),
            train,
            validation: validation.clone(),
        };
        let outcome = kiln_train::train(
            &run.network,
            task,
            &spec.training,
            &data,
            &device,
            TrainOptions {
                cancel: request.cancel.clone(),
                resume: None,
                epochs: request.epochs,
                // A tuning trial's pruner watches each fold's epochs (as fold `i + 1`).
                observer: request.observer.clone(),
            },
            |event| {
                if !matches!(event, TrainEvent::Checkpoint(_)) {
                    on_event(RunEvent::Train(event));
                }
            },
        )?;
        if outcome.stop == StopReason::Stopped {
            return Ok((results, true));
        }
        let x = data.inputs.take(&validation);
        let y = data.targets.take(&validation);
        let m = evaluate_rows(&outcome.network, &encoder, &task, &x, &y, &device)?;
        on_event(RunEvent::FoldDone {
            fold: i + 1,
            metrics: &m,
        });
        results.push(m);
        if outcome.stop == StopReason::Interrupted {
            break;
        }
    }
    Ok((results, false))
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
            // Each fold's residuals are under `fold_N`.
            residuals: None,
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
