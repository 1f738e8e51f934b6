//! Spec file → data → a fit method → model file: reads the spec (with its overrides), runs the
//! shared prologue of table specs, names every fit method and picks one, then hands the
//! [`Fitted`](crate::model_file::Fitted) result to the epilogue.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kiln_data::Table;
use kiln_model::NetworkConfig;
use kiln_spec::{Override, Spec};

use crate::fit;
use crate::model_file::finish;
use crate::run::{
    RunEvent, SpecSource, TableRun, TrainRequest, TrainResult, load_tables, prepare_tables,
    resolve_embeddings, task_for,
};
use crate::tracking::{Recorder, RunStart, table_input};
use crate::{Error, Result};

/// How a spec is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FitMethod {
    /// Gradient descent on a table (`fit::network`).
    Network,
    /// ADVI on a table (`fit::advi`).
    Advi,
    /// A character-level language model (`fit::language`).
    LanguageModel,
}

impl FitMethod {
    /// The method `spec` asks for.
    pub(crate) fn of(spec: &Spec) -> Self {
        if spec.language_model.is_some() {
            Self::LanguageModel
        } else if spec.is_bayesian() {
            Self::Advi
        } else {
            Self::Network
        }
    }
}

/// Reads the spec file, applies `overrides` to its text, and parses the result. Returns the
/// spec, the text it was parsed from (what the model file stores) and the folder relative
/// paths start from.
fn read_spec(path: &Path, overrides: &[Override]) -> Result<(Spec, String, PathBuf)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    read_spec_text(path, text, base, overrides)
}

/// Parses spec `text` (named after `path` in messages) with `overrides` applied; relative paths
/// start from `base`.
fn read_spec_text(
    path: &Path,
    text: String,
    base: &Path,
    overrides: &[Override],
) -> Result<(Spec, String, PathBuf)> {
    let text = kiln_spec::apply_overrides(&text, overrides)?;
    // Positions in the changed text can differ from the file's; the name says so.
    let name = if overrides.is_empty() {
        path.display().to_string()
    } else {
        format!("{} (with --set)", path.display())
    };
    let spec = kiln_spec::parse_spec(&text, &name)?;
    let base = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    Ok((spec, text, base))
}

/// Trains the model a spec file describes and writes the model file.
///
/// With `folds = Some(k)`, first runs k-fold cross-validation on the non-test rows (reporting
/// each fold's and the mean validation metrics), then fits the final model on all non-test
/// rows. The test split is evaluated last and stored in the file.
///
/// # Errors
///
/// Any stage's error; a run cancelled through `cancel` (or stopped by the request's
/// observer) is not an error: the best weights so far are saved and [`TrainResult::stop`]
/// says why it ended.
pub fn train_spec(
    request: &TrainRequest,
    mut on_event: impl FnMut(RunEvent<'_>),
) -> Result<TrainResult> {
    let (spec, toml, base_dir) = match &request.spec_text {
        Some((text, base)) => {
            read_spec_text(&request.spec_path, text.clone(), base, &request.overrides)?
        }
        None => read_spec(&request.spec_path, &request.overrides)?,
    };
    let source = SpecSource {
        spec: &spec,
        toml: &toml,
        base_dir: &base_dir,
    };
    let tables = match &spec.language_model {
        Some(_) => None,
        None => Some(match &request.tables {
            Some(read) => (read.0.clone(), read.1.clone()),
            None => load_tables(&spec, &base_dir, &request.cache)?,
        }),
    };
    let mut recorder = match &request.tracking {
        Some(tracking) => {
            let inputs = match &tables {
                Some((table, test)) => dataset_inputs(&spec, &base_dir, table, test.as_ref()),
                None => corpus_input(&spec, &base_dir, &request.cache)?,
            };
            let recorder = Recorder::start(
                tracking,
                &RunStart {
                    spec: &spec,
                    toml: &toml,
                    spec_path: &request.spec_path,
                    base_dir: &base_dir,
                    inputs,
                    command: "train",
                    epochs: request.epochs,
                    folds: request.folds,
                },
            );
            if let Some(run_id) = recorder.run_id() {
                on_event(RunEvent::Tracked { run_id });
            }
            Some(recorder)
        }
        None => None,
    };
    let mut forward = |event: RunEvent<'_>| {
        if let Some(r) = recorder.as_mut() {
            r.on_event(&event);
            for warning in r.take_warnings() {
                on_event(RunEvent::TrackingWarning(&warning));
            }
        }
        on_event(event);
    };
    let result = match (&spec.language_model, &tables) {
        (Some(lm), _) => {
            let started = Instant::now();
            fit::language::fit(&source, lm, request, &mut forward).and_then(|fitted| {
                finish(
                    &source,
                    fitted,
                    started,
                    Some(&request.output),
                    &mut forward,
                )
            })
        }
        (None, Some((table, test_table))) => train_tables(
            &source,
            table,
            test_table.as_ref(),
            request,
            Some(&request.output),
            &mut forward,
        ),
        (None, None) => unreachable!("tables are loaded for every table spec"),
    };
    if let Some(recorder) = recorder {
        let saved = result.is_ok().then_some(request.output.as_path());
        for warning in recorder.finish(&result, saved) {
            on_event(RunEvent::TrackingWarning(&warning));
        }
    }
    result
}

/// Where a data source came from: a file beside the spec (`local`) or a built-in dataset.
fn source_type(source: &str, base_dir: &Path) -> &'static str {
    if base_dir.join(source).exists() {
        "local"
    } else {
        "builtin"
    }
}

fn dataset_inputs(
    spec: &Spec,
    base_dir: &Path,
    table: &Table,
    test: Option<&Table>,
) -> Vec<kiln_runs::DatasetInput> {
    let data = &spec.data;
    let mut inputs = vec![table_input(
        &data.source,
        source_type(&data.source, base_dir),
        table,
        "training",
    )];
    if let (Some(test), Some(name)) = (test, &data.test) {
        inputs.push(table_input(
            name,
            source_type(name, base_dir),
            test,
            "testing",
        ));
    }
    inputs
}

/// A language model's corpus as a dataset input: SHA-256 of its text.
fn corpus_input(
    spec: &Spec,
    base_dir: &Path,
    cache: &kiln_data::Cache,
) -> Result<Vec<kiln_runs::DatasetInput>> {
    use sha2::{Digest, Sha256};
    let corpus = kiln_data::corpus::load_corpus(&spec.data.source, base_dir, cache)?;
    let text = corpus;
    Ok(vec![kiln_runs::DatasetInput {
        dataset: kiln_runs::Dataset {
            name: spec.data.source.clone(),
            digest: hex::encode(Sha256::digest(text.as_bytes())),
            source_type: source_type(&spec.data.source, base_dir).to_string(),
            source: spec.data.source.clone(),
            schema: None,
            profile: Some(format!("{{\"chars\":{}}}", text.chars().count())),
        },
        tags: [("mlflow.data.context".to_string(), "training".to_string())].into(),
    }])
}

/// Trains a table spec on tables in memory: the shared prologue (prepare the data, build and
/// check the network), the spec's fit method, the epilogue. Writes the model file to `output`
/// when given.
///
/// # Errors
///
/// As [`train_spec`].
pub(crate) fn train_tables(
    source: &SpecSource<'_>,
    table: &Table,
    test_table: Option<&Table>,
    request: &TrainRequest,
    output: Option<&Path>,
    mut on_event: impl FnMut(RunEvent<'_>),
) -> Result<TrainResult> {
    let started = Instant::now();
    let spec = source.spec;
    let prepared = prepare_tables(spec, table, test_table, None)?;
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
    let network = NetworkConfig {
        layers: kiln_spec::Layers::check(layers)?,
        input_shape: prepared.encoder.input_shape(),
        head_units: task.head_units(),
    };
    // Shapes are checked before any training starts.
    kiln_spec::infer_shapes(
        network.layers.written(),
        &network.input_shape,
        task.head_units(),
    )?;
    let run = TableRun {
        source: *source,
        prepared: &prepared,
        table,
        test_table,
        network,
        task,
    };
    let fitted = match FitMethod::of(spec) {
        FitMethod::Network => fit::network::fit(&run, request, output, &mut on_event)?,
        FitMethod::Advi => fit::advi::fit(&run, request, &mut on_event)?,
        FitMethod::LanguageModel => {
            return Err(Error::Unsupported {
                option: "a table in memory",
                method: "language models (they read a corpus)",
            });
        }
    };
    finish(source, fitted, started, output, &mut on_event)
}
