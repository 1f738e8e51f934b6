//! Bayesian specs (`training.method = "advi"`): the spec's layers become a
//! [`kiln_bayes::NetConfig`], the data prepared by the usual prologue (same encoder, same
//! splits) is fitted by ADVI, and the posterior and ELBO trace go into the model file.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use kiln_artifact::{BayesRecord, ModelFile, TrainingRecord, sections};
use kiln_bayes::{
    Activation as BayesActivation, AdviConfig, AdviStop, Convergence, DataView, LayerConfig,
    Likelihood, NetConfig, Noise, Optimizer, Posterior, PredictiveConfig, Prior, PriorMean,
};
use kiln_data::{Encoder, FittedOutput, Targets};
use kiln_spec::settings::{Layer, Layers};
use kiln_spec::{Activation, AdviOptimizerSpec, AdviSpec, Spec};
use kiln_train::StopReason;

use crate::error::{AdviProblem, PriorProblem};
use crate::model_file::{Fitted, FittedModel, HeldOut, table_data_record};
use crate::run::{RunEvent, TableRun, TrainRequest};
use crate::{Error, Result};

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
/// [`Error::Advi`] for non-flat inputs or layers ADVI does not support (normally caught
/// by the spec's validation); [`Error::Bayes`] for an informed prior that does not fit.
pub(crate) fn net_config(
    spec: &Spec,
    body: &Layers,
    input_shape: &[usize],
    encoder: &Encoder,
    base_dir: &Path,
) -> Result<NetConfig> {
    let [mut width] = input_shape[..] else {
        return Err(Error::Advi(AdviProblem::InputShape(input_shape.to_vec())));
    };
    let task = crate::run::task_for(encoder);
    let mut layers = Vec::new();
    let mut last = (true, Prior::default());
    for (i, (layer, written)) in body.settled().iter().zip(body.written()).enumerate() {
        let Layer::Dense(dense) = layer else {
            return Err(Error::Advi(AdviProblem::LayerType {
                index: i,
                found: written.type_name().to_string(),
            }));
        };
        let prior = dense.prior.map_or_else(Prior::default, |p| Prior {
            mean: PriorMean::Constant(p.mean),
            sigma: p.sigma,
        });
        let activation = match dense.activation {
            Activation::Linear => BayesActivation::Linear,
            Activation::Tanh => BayesActivation::Tanh,
            Activation::Relu => BayesActivation::Relu,
            Activation::Sigmoid => BayesActivation::Sigmoid,
            other => {
                return Err(Error::Advi(AdviProblem::Activation {
                    index: i,
                    found: other.to_string(),
                }));
            }
        };
        layers.push(LayerConfig {
            inputs: width,
            units: dense.units,
            activation,
            bias: dense.bias,
            prior: prior.clone(),
        });
        last = (dense.bias, prior);
        width = dense.units;
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
    let fail = |problem| Error::InformedPrior { problem };
    let file = ModelFile::read(path).map_err(|e| {
        fail(PriorProblem::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    })?;
    // (weights `[input][unit]`, biases, inputs, units) per layer.
    let source: Vec<(Vec<f64>, Vec<f64>, usize, usize)> =
        if let Some(bytes) = file.section(sections::POSTERIOR) {
            let posterior: Posterior =
                serde_json::from_slice(bytes).map_err(|e| Error::CorruptSection {
                    origin: path.display().to_string(),
                    section: sections::POSTERIOR,
                    reason: e.to_string(),
                })?;
            posterior
                .layers
                .into_iter()
                .map(|l| (l.weight_mu, l.bias_mu, l.inputs, l.units))
                .collect()
        } else {
            let bytes = file.require_section(sections::WEIGHTS, path)?;
            let device = crate::run::default_device();
            let network = kiln_model::weights::from_bytes(&file.header.network, bytes, &device)?;
            let mut out = Vec::new();
            for layer in &network.layers {
                let kiln_model::Layer::Dense(d) = layer else {
                    return Err(fail(PriorProblem::NotDense {
                        path: path.to_path_buf(),
                    }));
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
        return Err(fail(PriorProblem::LayerCount {
            path: path.to_path_buf(),
            found: source.len(),
            expected: layers.len(),
        }));
    }
    for (i, (layer, (weights, biases, inputs, units))) in layers.iter_mut().zip(source).enumerate()
    {
        if (inputs, units) != (layer.inputs, layer.units) {
            return Err(fail(PriorProblem::Shape {
                path: path.to_path_buf(),
                layer: i,
                inputs,
                units,
                spec_inputs: layer.inputs,
                spec_units: layer.units,
            }));
        }
        let biases = if layer.bias {
            if biases.len() != layer.units {
                return Err(fail(PriorProblem::NoBiases {
                    path: path.to_path_buf(),
                    layer: i,
                }));
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

/// Fits the Bayesian network of `run` by ADVI.
pub(crate) fn fit<'a>(
    run: &TableRun<'a>,
    request: &TrainRequest,
    on_event: &mut impl FnMut(RunEvent<'_>),
) -> Result<Fitted<'a>> {
    if request.folds.is_some() {
        return Err(Error::Unsupported {
            option: "--folds",
            method: "Bayesian (ADVI) specs",
        });
    }
    let prepared = run.prepared;
    let spec = run.source.spec;
    let net = net_config(
        spec,
        &run.network.layers,
        &prepared.encoder.input_shape(),
        &prepared.encoder,
        run.source.base_dir,
    )?;
    let mut config = advi_config(spec);
    if let Some(e) = request.epochs {
        // `--epochs` overrides the iteration count for ADVI specs.
        config.iterations = e;
    }
    let train_rows = &prepared.split.train;
    let x = prepared.inputs.take(train_rows);
    let y = target_values(&prepared.targets.take(train_rows));
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

    let advi = advi_spec(spec);
    let predictive = PredictiveConfig {
        samples: advi.predict_samples,
        seed: spec.training.seed,
        interval: advi.interval,
    };
    let tail = fit.trace.len().clamp(1, 1000);
    let final_elbo = fit.trace[fit.trace.len().saturating_sub(tail)..]
        .iter()
        .sum::<f64>()
        / tail as f64;
    let (stop, stop_word) = match fit.stop {
        AdviStop::Completed => (StopReason::Completed, "completed"),
        AdviStop::Converged => (StopReason::EarlyStopped, "converged"),
        AdviStop::Interrupted => (StopReason::Interrupted, "interrupted"),
    };
    let bayes = BayesRecord {
        iterations: fit.trace.len(),
        planned_iterations: config.iterations,
        stop: stop_word.to_string(),
        fit_seconds,
        final_elbo,
        weights: net.weight_count(),
        predict_samples: predictive.samples,
        interval: predictive.interval,
        predict_seed: predictive.seed,
    };
    Ok(Fitted {
        model: FittedModel::Advi {
            posterior: fit.posterior,
            trace: fit.trace,
            predictive,
            weights: net.weight_count(),
        },
        encoder: prepared.encoder.clone(),
        network: run.network.clone(),
        task: run.task,
        training: TrainingRecord {
            history: Vec::new(),
            best_epoch: 0,
            stop,
            seconds: 0.0,
        },
        data: table_data_record(&run.source, prepared),
        metrics: std::collections::BTreeMap::new(),
        bayes: Some(bayes),
        held_out: Some(HeldOut {
            prepared,
            table: run.table,
            test_table: run.test_table,
            validation: prepared.split.validation.clone(),
        }),
    })
}
