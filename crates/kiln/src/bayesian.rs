//! Reading Bayesian (ADVI) model files: the posterior and ELBO trace sections, and the
//! predictive means in the layout the deterministic networks produce. Fitting is in
//! `fit::advi`.

use std::path::Path;

use kiln_artifact::{ModelFile, sections};
use kiln_bayes::{Posterior, Predictive};
use kiln_train::Task;

use crate::{Error, Result};

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
    let bytes = file.require_section(sections::POSTERIOR, path)?;
    serde_json::from_slice(bytes).map_err(|e| Error::CorruptSection {
        origin: path.display().to_string(),
        section: sections::POSTERIOR,
        reason: e.to_string(),
    })
}

/// The ELBO trace stored in a Bayesian model file (empty when absent).
pub fn elbo_trace(file: &ModelFile) -> Vec<f32> {
    file.section(sections::ELBO)
        .map(sections::f32_values)
        .unwrap_or_default()
}
