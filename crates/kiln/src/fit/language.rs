//! A character-level language model (`[language_model]`): the corpus cut into windows by
//! [`crate::lm::corpus_windows`], trained by gradient descent, scored in bits per character on
//! the held-out tail.

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_artifact::{DataRecord, TrainingRecord};
use kiln_data::{Encoder, FittedOutput};
use kiln_model::NetworkConfig;
use kiln_spec::LanguageModelSpec;
use kiln_train::{Task, TrainData, TrainEvent, TrainOptions, evaluate_loss};

use crate::lm::{LanguageModelReport, corpus_windows};
use crate::model_file::{Fitted, FittedModel};
use crate::run::{Metrics, RunEvent, SpecSource, TrainRequest, default_device, resolve_embeddings};
use crate::{Error, Result};

/// Trains the language model `lm` of `source`.
pub(crate) fn fit(
    source: &SpecSource<'_>,
    lm: &LanguageModelSpec,
    request: &TrainRequest,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<Fitted<'static>> {
    for (asked, option) in [
        (request.resume, "--resume"),
        (request.folds.is_some(), "--folds"),
    ] {
        if asked {
            return Err(Error::Unsupported {
                option,
                method: "language models yet",
            });
        }
    }
    let spec = source.spec;
    let corpus =
        kiln_data::corpus::load_corpus(&spec.data.source, source.base_dir, &request.cache)?;
    let windows = corpus_windows(&corpus, lm)?;
    drop(corpus);
    let layers = resolve_embeddings(
        &spec.layers,
        windows.vocab.ids(),
        &format!(
            "the corpus's {} ids ({} characters + padding)",
            windows.vocab.ids(),
            windows.vocab.chars().len()
        ),
    )?;
    let head_units = windows.vocab.ids();
    let input_shape = vec![lm.sequence_length];
    kiln_spec::infer_shapes(&layers, &input_shape, head_units)?;
    on_event(RunEvent::Prepared {
        train_rows: windows.train.len(),
        validation_rows: windows.heldout.len(),
        test_rows: 0,
        input_shape: &input_shape,
        warnings: &[],
        notes: &[],
    });
    let task = Task::Classification {
        classes: head_units,
    };
    let config = NetworkConfig {
        layers,
        input_shape,
        head_units,
    };
    let inputs = Arc::new(windows.inputs);
    let targets = Arc::new(windows.targets);
    let data = TrainData {
        inputs: inputs.clone(),
        targets: targets.clone(),
        train: windows.train.clone(),
        validation: windows.heldout.clone(),
    };
    let device = default_device();
    let outcome = kiln_train::train(
        &config,
        task,
        &spec.training,
        &data,
        &device,
        TrainOptions {
            cancel: request.cancel.clone(),
            resume: None,
            epochs: request.epochs,
            observer: request.observer.clone(),
        },
        |event| {
            if !matches!(event, TrainEvent::Checkpoint(_)) {
                on_event(RunEvent::Train(event));
            }
        },
    )?;
    let (loss, accuracy) = evaluate_loss(
        &outcome.network,
        &task,
        &inputs,
        &targets,
        &windows.heldout,
        spec.training.batch_size,
        &device,
    );
    let metrics = Metrics::LanguageModel(LanguageModelReport {
        bits_per_char: loss / std::f64::consts::LN_2,
        cross_entropy: loss,
        accuracy,
        chars: windows.heldout.len(),
        unigram_bits_per_char: windows.unigram_bits_per_char,
    });
    on_event(RunEvent::Evaluated {
        split: "heldout",
        metrics: &metrics,
    });
    Ok(Fitted {
        model: FittedModel::Network(outcome.network),
        // The vocabulary is stored as the output's classes, behind the padding class.
        encoder: Encoder {
            inputs: Vec::new(),
            output: FittedOutput::Category {
                name: spec.output.name.clone(),
                classes: windows.vocab.classes(),
            },
        },
        network: config,
        task,
        training: TrainingRecord {
            history: outcome.history,
            best_epoch: outcome.best_epoch,
            stop: outcome.stop,
            seconds: 0.0,
        },
        data: DataRecord {
            source: spec.data.source.clone(),
            base_dir: source.base_dir.display().to_string(),
            digest: kiln_data::data_digest(&inputs, &targets, &windows.train, 0),
            split_seed: 0,
            train_rows: windows.train.len(),
            validation_rows: windows.heldout.len(),
            test_rows: 0,
        },
        metrics: BTreeMap::from([("heldout".to_string(), metrics)]),
        bayes: None,
        held_out: None,
    })
}
