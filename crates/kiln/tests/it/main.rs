//! End-to-end tests of the library: spec → data → training → model file → evaluate/predict.
#![allow(clippy::print_stderr)] // tests report the figures they measured
//!
//! Accuracy checks run on real data. The full-size runs named in GUIDE.md and bench/RESULTS.md are opt-in with
//! `KILN_FULL=1`; CI runs reduced versions that still assert real accuracy.

mod accuracy;
mod bayes;
mod errors;
mod golden;
mod hooks;
mod language_model;
mod model_file;
mod monitoring;
mod predict;
mod reproducibility;
mod text;
mod tracking;

use std::path::{Path, PathBuf};

use kiln::data::Cache;
use kiln::{Metrics, TrainRequest, TrainResult};

/// A temp dir with a spec written into it, and a cache for generated data only.
pub(crate) struct Work {
    pub dir: tempfile::TempDir,
}

impl Work {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).expect("write");
        p
    }
}

/// The user's dataset cache (`KILN_CACHE` or the default), where real datasets are fetched.
pub(crate) fn real_cache() -> Cache {
    Cache::from_env().expect("cache dir")
}

pub(crate) fn example(name: &str) -> String {
    kiln::spec::examples::example(name)
        .expect("example exists")
        .to_string()
}

pub(crate) fn train(
    spec: &Path,
    out: &Path,
    cache: Cache,
    configure: impl FnOnce(&mut TrainRequest),
) -> TrainResult {
    let mut request = TrainRequest::new(spec, out, cache);
    configure(&mut request);
    kiln::train_spec(&request, |_| {}).unwrap_or_else(|e| panic!("training failed: {e}"))
}

pub(crate) fn headline(result: &TrainResult, split: &str) -> f64 {
    let m: &Metrics = result
        .metrics
        .get(split)
        .unwrap_or_else(|| panic!("no {split} metrics"));
    m.headline().1
}

pub(crate) fn full_runs() -> bool {
    std::env::var("KILN_FULL").is_ok_and(|v| v == "1")
}
