//! Runs recorded through `TrainRequest::track`: language models, ADVI, interrupted runs.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use kiln::runs::{RunQuery, RunStatus, Store};
use kiln::tracking::{DATA_DIGEST_TAG, WEIGHTS_DIGEST_TAG};
use kiln::{Tracking, TrainRequest};
use sha2::{Digest, Sha256};

use crate::{Work, example, real_cache};

fn only_run(store: &Store) -> kiln::runs::Run {
    let page = store.search_runs(&RunQuery::default()).expect("search");
    assert_eq!(page.runs.len(), 1, "{:?}", page.runs);
    page.runs.into_iter().next().unwrap()
}

#[test]
fn a_language_model_run_records_its_corpus_digest_curves_and_held_out_figures() {
    let work = Work::new();
    let corpus = super::language_model::corpus(3000);
    work.write("corpus.txt", &corpus);
    let spec = work.write(
        "lm.toml",
        &super::language_model::SPEC.replace("epochs = 6", "epochs = 2"),
    );
    let store = Arc::new(Store::open(work.path("runs")).unwrap());
    let request = TrainRequest::new(&spec, work.path("lm.kiln"), real_cache())
        .track(Tracking::new(Arc::clone(&store)));
    let mut tracked = None;
    let result = kiln::train_spec(&request, |e| {
        if let kiln::RunEvent::Tracked { run_id } = e {
            tracked = Some(run_id.to_string());
        }
    })
    .unwrap();
    let run = only_run(&store);
    assert_eq!(tracked.as_deref(), Some(run.info.run_id.as_str()));
    assert_eq!(run.info.status, RunStatus::Finished);
    assert_eq!(
        run.data.tags[DATA_DIGEST_TAG],
        hex::encode(Sha256::digest(corpus.as_bytes()))
    );
    assert_eq!(
        run.data.tags[WEIGHTS_DIGEST_TAG],
        kiln::weights_digest(&result.file).unwrap()
    );
    let held_out = match &result.metrics["heldout"] {
        kiln::Metrics::LanguageModel(r) => r.bits_per_char,
        other => panic!("{other:?}"),
    };
    assert_eq!(run.data.metric("heldout.bits_per_char"), Some(held_out));
    assert_eq!(run.data.metric("bits_per_char"), Some(held_out));
    let loss = store
        .metric_history(&run.info.run_id, "train.loss")
        .unwrap();
    assert_eq!(loss.iter().map(|p| p.step).collect::<Vec<_>>(), [1, 2]);
    let (entry, _) = store.artifact(&run.info.run_id, "model.kiln").unwrap();
    assert_eq!(
        entry.size,
        Some(std::fs::metadata(work.path("lm.kiln")).unwrap().len())
    );
}

#[test]
fn an_advi_run_records_the_elbo_trace_and_the_posterior_digest() {
    let work = Work::new();
    let spec = work.write(
        "bnn.toml",
        &example("bnn-moons").replace("iterations = 50_000", "iterations = 3_000"),
    );
    let store = Arc::new(Store::open(work.path("runs")).unwrap());
    let request = TrainRequest::new(&spec, work.path("bnn.kiln"), real_cache())
        .track(Tracking::new(Arc::clone(&store)));
    let result = kiln::train_spec(&request, |_| {}).unwrap();
    let run = only_run(&store);
    assert_eq!(run.info.status, RunStatus::Finished);
    let elbo = store.metric_history(&run.info.run_id, "elbo").unwrap();
    assert!(elbo.len() >= 3, "{elbo:?}");
    assert_eq!(
        run.data.tags[WEIGHTS_DIGEST_TAG],
        hex::encode(Sha256::digest(result.file.section("posterior").unwrap()))
    );
    assert_eq!(run.data.params["training.method"], "advi");
    assert!(run.data.metric("accuracy").is_some());
}

#[test]
fn an_interrupted_run_is_killed_with_its_model_kept() {
    let work = Work::new();
    let spec = work.write("moons.toml", &example("moons-mlp"));
    let store = Arc::new(Store::open(work.path("runs")).unwrap());
    let mut request = TrainRequest::new(&spec, work.path("m.kiln"), real_cache())
        .track(Tracking::new(Arc::clone(&store)));
    request.cancel = Some(Arc::new(AtomicBool::new(true)));
    kiln::train_spec(&request, |_| {}).unwrap();
    let run = only_run(&store);
    assert_eq!(run.info.status, RunStatus::Killed);
    assert_eq!(run.data.tags["kiln.stop"], "interrupted");
    store.artifact(&run.info.run_id, "model.kiln").unwrap();
}
