//! Bayesian specs (`training.method = "advi"`): the spec's layers become a
//! [`kiln_bayes::NetConfig`], the data prepared by the usual pipeline (same encoder, same
//! splits) is fitted by ADVI, and the posterior and ELBO trace go into the model file.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use kiln_artifact::{BayesRecord, FileKind, ModelFile, TrainingRecord};
use kiln_bayes::{
    Activation as BayesActivation, AdviConfig, AdviStop, Convergence, DataView, LayerConfig,
    Likelihood, NetConfig, Noise, Optimizer, Posterior, Predictive, PredictiveConfig, Prior,
    PriorMean,
};
use kiln_data::{Encoded, Encoder, FittedOutput, Table, Targets};
use kiln_spec::{Activation, AdviOptimizerSpec, AdviSpec, LayerSpec, Spec};
use kiln_train::{StopReason, Task};

use crate::run::{
    Run, RunEvent, TrainRequest, TrainResult, metrics_for_outputs, take_rows, take_targets,
};
use crate::{Error, Result};

/// Name of the model-file section holding the posterior (JSON).
pub(crate) const POSTERIOR_SECTION: &str = "posterior";
/// Name of the model-file section holding the ELBO trace (f32 LE).
pub(crate) const ELBO_SECTION: &str = "elbo";

/// The ADVI settings of a spec (defaults when there is no `[training.advi]` table).
fn advi_spec(spec: &Spec) -> AdviSpec {
    spec.training.advi.clone().unwrap_or_default()
}

/// The Bayesian network a spec describes, for inputs of width `inputs` and the encoder's
/// task. The output layer appended by kiln takes the last layer's `bias` and `bayesian`
/// settings (with no hidden layers: a bias and the N(0, 1) prior).
///
/// # Errors
///
/// [`Error::Invalid`] for non-flat inputs or layers ADVI does not support (normally caught
/// by the spec's validation); [`Error::Bayes`] for an informed prior that does not fit.
pub(crate) fn net_config(
    spec: &Spec,
    input_shape: &[usize],
    encoder: &Encoder,
    base_dir: &Path,
) -> Result<NetConfig> {
    let [mut width] = input_shape[..] else {
        return Err(Error::Invalid(format!(
            "a Bayesian network takes flat inputs, but the input shape is {input_shape:?}; ADVI fits dense layers only"
        )));
    };
    let task = crate::run::task_for(encoder);
    let mut layers = Vec::new();
    let mut last = (true, Prior::default());
    for (i, layer) in spec.layers.iter().enumerate() {
        let LayerSpec::Dense {
            units,
            activation,
            bias,
            bayesian,
        } = layer
        else {
            return Err(Error::Invalid(format!(
                "layers[{i}].type: `{}` layers cannot be fitted by ADVI (dense only)",
                layer.type_name()
            )));
        };
        let prior = bayesian.as_ref().map_or_else(Prior::default, |b| Prior {
            mean: PriorMean::Constant(b.prior_mean),
            sigma: b.prior_sigma,
        });
        let activation = match activation {
            None | Some(Activation::Linear) => BayesActivation::Linear,
            Some(Activation::Tanh) => BayesActivation::Tanh,
            Some(Activation::Relu) => BayesActivation::Relu,
            Some(Activation::Sigmoid) => BayesActivation::Sigmoid,
            Some(other) => {
                return Err(Error::Invalid(format!(
                    "layers[{i}].activation: `{other}` is not supported in a Bayesian network (tanh, relu, sigmoid, linear)"
                )));
            }
        };
        layers.push(LayerConfig {
            inputs: width,
            units: *units,
            activation,
            bias: *bias,
            prior: prior.clone(),
        });
        last = (*bias, prior);
        width = *units;
    }
    layers.push(LayerConfig {
        inputs: width,
        units: task.head_units(),
        activation: BayesActivation::Linear,
        bias: last.0,
        prior: last.1,
    });
    let advi = advi_spec(spec);
    let likelihood = match &encoder.output {
        FittedOutput::Binary { .. } => Likelihood::Bernoulli,
        FittedOutput::Category { .. } => Likelihood::Categorical,
        // Targets are encoded as (y − mean) / std, so the noise is divided by std too.
        FittedOutput::Number { std, .. } => Likelihood::Gaussian {
            noise: match advi.noise {
                Some(s) => Noise::Fixed(s / std),
                None => Noise::Learned { initial: 1.0 },
            },
        },
    };
    if let Some(from) = &advi.prior_mean_from {
        let path = base_dir.join(from);
        informed_priors(&mut layers, &path)?;
    }
    let net = NetConfig { layers, likelihood };
    net.check()?;
    Ok(net)
}

/// Replaces every layer's prior mean by the corresponding weights of the model file at
/// `path`: a Bayesian model's posterior means, or a plain dense network's weights.
fn informed_priors(layers: &mut [LayerConfig], path: &Path) -> Result<()> {
    let field = "training.advi.prior_mean_from";
    let file = ModelFile::read(path).map_err(|e| {
        Error::Invalid(format!(
            "{field}: cannot read the model file {}: {e}",
            path.display()
        ))
    })?;
    // (weights `[input][unit]`, biases, inputs, units) per layer.
    let source: Vec<(Vec<f64>, Vec<f64>, usize, usize)> = if let Some(bytes) =
        file.section(POSTERIOR_SECTION)
    {
        let posterior: Posterior = serde_json::from_slice(bytes).map_err(|e| {
            Error::Invalid(format!(
                "{}: posterior section is corrupt: {e}",
                path.display()
            ))
        })?;
        posterior
            .layers
            .into_iter()
            .map(|l| (l.weight_mu, l.bias_mu, l.inputs, l.units))
            .collect()
    } else {
        let bytes = file.require_section("weights", path)?;
        let device = crate::run::default_device();
        let network = kiln_model::weights::from_bytes(&file.header.network, bytes, &device)?;
        let mut out = Vec::new();
        for layer in &network.layers {
            let kiln_model::Layer::Dense(d) = layer else {
                return Err(Error::Invalid(format!(
                    "{field}: {} has layers other than dense ones; informed priors take their means from dense layers only",
                    path.display()
                )));
            };
            let w = d.linear.weight.val();
            let [inputs, units] = w.dims();
            let values = |t: burn::tensor::Tensor<1>| -> Vec<f64> {
                t.into_data()
                    .try_to_vec::<f32>()
                    .unwrap_or_default()
                    .into_iter()
                    .map(f64::from)
                    .collect()
            };
            let weights = values(w.reshape([inputs * units]));
            let biases = d
                .linear
                .bias
                .as_ref()
                .map_or_else(Vec::new, |b| values(b.val()));
            out.push((weights, biases, inputs, units));
        }
        out
    };
    if source.len() != layers.len() {
        return Err(Error::Invalid(format!(
            "{field}: {} has {} dense layers (output layer included) but this spec has {}",
            path.display(),
            source.len(),
            layers.len()
        )));
    }
    for (i, (layer, (weights, biases, inputs, units))) in layers.iter_mut().zip(source).enumerate()
    {
        if (inputs, units) != (layer.inputs, layer.units) {
            return Err(Error::Invalid(format!(
                "{field}: layer {i} of {} is {inputs} inputs × {units} units but this spec's layer {i} is {} × {}",
                path.display(),
                layer.inputs,
                layer.units
            )));
        }
        let biases = if layer.bias {
            if biases.len() != layer.units {
                return Err(Error::Invalid(format!(
                    "{field}: layer {i} of {} has no biases but this spec's layer {i} has",
                    path.display()
                )));
            }
            biases
        } else {
            Vec::new()
        };
        layer.prior.mean = PriorMean::Values { weights, biases };
    }
    Ok(())
}

fn advi_config(spec: &Spec) -> AdviConfig {
    let a = advi_spec(spec);
    AdviConfig {
        iterations: a.iterations,
        samples: a.samples,
        optimizer: match a.optimizer {
            AdviOptimizerSpec::AdagradWindow {
                learning_rate,
                window,
                epsilon,
            } => Optimizer::AdagradWindow {
                learning_rate,
                window,
                epsilon,
            },
            AdviOptimizerSpec::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            } => Optimizer::Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon,
            },
        },
        batch_size: a.batch_size,
        convergence: a.convergence.map(|c| Convergence {
            window: c.window,
            tolerance: c.tolerance,
        }),
        init_sigma: a.init_sigma,
        seed: spec.training.seed,
    }
}

/// Targets as the engine takes them: class index or encoded value, as f32.
fn target_values(targets: &Targets) -> Vec<f32> {
    match targets {
        Targets::Classes(c) => c.iter().map(|&v| v as f32).collect(),
        Targets::Values(v) => v.clone(),
    }
}

/// Fits a Bayesian spec and writes its model file (called by `train_tables`).
pub(crate) fn train(
    run: &Run<'_>,
    request: &TrainRequest,
    (table, test_table): (&Table, Option<&Table>),
    output: Option<&Path>,
    started: Instant,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<TrainResult> {
    if request.folds.is_some() {
        return Err(Error::Invalid(
            "--folds is not supported for Bayesian (ADVI) specs".to_string(),
        ));
    }
    let prepared = run.prepared;
    let net = net_config(
        run.spec,
        &prepared.encoder.input_shape(),
        &prepared.encoder,
        run.base_dir,
    )?;
    let mut config = advi_config(run.spec);
    if let Some(e) = request.epochs {
        // `--epochs` overrides the iteration count for ADVI specs.
        config.iterations = e;
    }
    let train_rows = &prepared.split.train;
    let x = take_rows(&prepared.inputs, train_rows);
    let y = target_values(&take_targets(&prepared.targets, train_rows));
    let data = DataView {
        inputs: &x.data,
        rows: x.rows,
        targets: &y,
    };
    let fit_started = Instant::now();
    let fit = kiln_bayes::fit(&net, data, &config, &mut |p| {
        on_event(RunEvent::Advi {
            iteration: p.iteration,
            iterations: p.iterations,
            elbo: p.elbo,
        });
        !request
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    })?;
    let fit_seconds = fit_started.elapsed().as_secs_f64();

    let advi = advi_spec(run.spec);
    let predictive = PredictiveConfig {
        samples: advi.predict_samples,
        seed: run.spec.training.seed,
        interval: advi.interval,
    };
    let mut metrics = BTreeMap::new();
    let mut evaluate = |split: &str, x: &Encoded, y: &Targets| -> Result<()> {
        let p = fit.posterior.predict(&x.data, x.rows, &predictive)?;
        let m = metrics_for_outputs(&prepared.encoder, outputs_layout(&p, &run.task), y)?;
        on_event(RunEvent::Evaluated { split, metrics: &m });
        metrics.insert(split.to_string(), m);
        Ok(())
    };
    if !prepared.split.validation.is_empty() {
        let rows = &prepared.split.validation;
        evaluate(
            "validation",
            &take_rows(&prepared.inputs, rows),
            &take_targets(&prepared.targets, rows),
        )?;
    }
    if prepared.test_rows() > 0 {
        let (x, y) = prepared.test_data();
        evaluate("test", &x, &y)?;
    }

    // The monitoring reference, from the predictive means, as for deterministic networks.
    let profile = crate::monitoring::training_profile(
        prepared,
        table,
        test_table,
        &prepared.split.validation,
        &metrics,
        |x| {
            let p = fit.posterior.predict(&x.data, x.rows, &predictive)?;
            Ok(outputs_layout(&p, &run.task))
        },
    )?;

    let tail = fit.trace.len().clamp(1, 1000);
    let final_elbo = fit.trace[fit.trace.len().saturating_sub(tail)..]
        .iter()
        .sum::<f64>()
        / tail as f64;
    let stop = match fit.stop {
        AdviStop::Completed => "completed",
        AdviStop::Converged => "converged",
        AdviStop::Interrupted => "interrupted",
    };
    let mut header = run.header(
        FileKind::Model,
        TrainingRecord {
            history: Vec::new(),
            best_epoch: 0,
            stop: match fit.stop {
                AdviStop::Completed => StopReason::Completed,
                AdviStop::Converged => StopReason::EarlyStopped,
                AdviStop::Interrupted => StopReason::Interrupted,
            },
            seconds: started.elapsed().as_secs_f64(),
        },
        2 * net.weight_count(),
    );
    header.profile = profile;
    header.bayes = Some(BayesRecord {
        iterations: fit.trace.len(),
        planned_iterations: config.iterations,
        stop: stop.to_string(),
        fit_seconds,
        final_elbo,
        weights: net.weight_count(),
        predict_samples: predictive.samples,
        interval: predictive.interval,
        predict_seed: predictive.seed,
    });
    header.metrics = metrics
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect();
    let posterior = serde_json::to_vec(&fit.posterior)
        .map_err(|e| Error::Invalid(format!("cannot serialise the posterior: {e}")))?;
    let trace: Vec<u8> = fit
        .trace
        .iter()
        .flat_map(|&v| (v as f32).to_le_bytes())
        .collect();
    let file = ModelFile {
        header,
        sections: vec![
            (POSTERIOR_SECTION.to_string(), posterior),
            (ELBO_SECTION.to_string(), trace),
        ],
    };
    if let Some(output) = output {
        file.write(output)?;
        on_event(RunEvent::Saved(output));
    }
    Ok(TrainResult {
        file,
        metrics,
        stop: match fit.stop {
            AdviStop::Completed => StopReason::Completed,
            AdviStop::Converged => StopReason::EarlyStopped,
            AdviStop::Interrupted => StopReason::Interrupted,
        },
    })
}

/// Predictive means in the layout the deterministic networks produce: `rows × 2`
/// probabilities for binary outputs, `rows × classes` for categories, encoded values for
/// regression.
pub(crate) fn outputs_layout(p: &Predictive, task: &Task) -> Vec<f32> {
    match task {
        Task::Binary => p
            .mean
            .iter()
            .flat_map(|&q| [(1.0 - q) as f32, q as f32])
            .collect(),
        Task::Classification { .. } | Task::Regression { .. } => {
            p.mean.iter().map(|&v| v as f32).collect()
        }
    }
}

/// Reads the posterior and ELBO trace of a Bayesian model file.
///
/// # Errors
///
/// A missing or corrupt section, named with the file.
pub(crate) fn load_posterior(file: &ModelFile, path: &Path) -> Result<Posterior> {
    let bytes = file.require_section(POSTERIOR_SECTION, path)?;
    serde_json::from_slice(bytes).map_err(|e| {
        Error::Invalid(format!(
            "{}: the posterior section is corrupt: {e}",
            path.display()
        ))
    })
}

/// The ELBO trace stored in a Bayesian model file (empty when absent).
pub fn elbo_trace(file: &ModelFile) -> Vec<f32> {
    file.section(ELBO_SECTION)
        .map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
        .unwrap_or_default()
}
