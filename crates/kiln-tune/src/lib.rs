//! # kiln-tune
//!
//! Hyper-parameter search: a study samples values for spec paths, a trial trains with them,
//! and the study learns from the results. The pieces are independent of training: a trial's
//! objective is a trait, so the same study runs `kiln tune`'s trainings, the benchmark
//! functions of `bench/`, and the tests.
//!
//! - [`space`]: `[tune.space]` read and checked (uniform, log-uniform, int, choice,
//!   conditional on other values), internal scales.
//! - [`trial`]: trials, states, directions, steps.
//! - [`sampler`]: TPE (Optuna's defaults, univariate or multivariate), random, grid; each a
//!   pure function of the seed, the trial number and the trials it may see.
//! - [`pruner`]: ASHA and median pruning at the same epoch of the same fold.
//! - [`study`]: the parallel study with a fixed lag `L` (trial `k` sees trials `0 … k−L`),
//!   retries, timeout, resume.
//! - [`importance`]: PED-ANOVA parameter importance.
//! - [`record`]: a study and its trials in the runs store ([`kiln_runs`]), read back to
//!   resume or to show.
//! - [`benchmarks`]: Branin and Hartmann-6.
//!
//! **Layers**, lowest first; a module imports only from the lines above it: `error`,
//! `benchmarks` → `space` → `trial` → `sampler` → `pruner` → `study`, `importance` → `record`.

pub mod benchmarks;
mod error;
pub mod importance;
pub mod pruner;
pub mod record;
pub mod sampler;
pub mod space;
pub mod study;
pub mod trial;

pub use error::TuneError;
pub use pruner::Pruner;
pub use sampler::{GridSampler, RandomSampler, Sampler, TpeSampler};
pub use space::{Dimension, Distribution, ParamValue, Params, Space};
pub use study::{
    Listener, Objective, Outcome, Quiet, Reporter, Study, StudyConfig, TrialRun, optimize,
};
pub use trial::{Direction, Step, Trial, TrialState, best};
