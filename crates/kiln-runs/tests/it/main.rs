//! kiln-runs integration tests: one binary, one module per concern.
#![allow(clippy::print_stderr)] // tests report the figures they measured

mod artifacts;
mod concurrency;
mod liveness;
mod registry;
mod runs;
mod search;

use std::sync::Arc;

use kiln_runs::{ActiveRun, NewRun, Store};

/// A store in a fresh temporary folder (kept alive by the returned guard).
pub(crate) fn store() -> (tempfile::TempDir, Arc<Store>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(Store::open(dir.path()).expect("open store"));
    (dir, store)
}

/// A started run in the Default experiment.
pub(crate) fn started(store: &Arc<Store>, name: &str) -> ActiveRun {
    ActiveRun::start(
        Arc::clone(store),
        NewRun {
            name: Some(name.to_string()),
            ..NewRun::default()
        },
    )
    .expect("start run")
}

pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}
