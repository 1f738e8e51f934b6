use std::collections::BTreeMap;

use kiln_runs::{
    Dataset, DatasetInput, Lifecycle, Metric, MetricPoint, NewRun, RunStatus, RunsError, Store,
    WholeRun,
};

use crate::{pairs, started, store};

#[test]
fn a_run_reads_back_what_was_logged() {
    let (_dir, store) = store();
    let run = started(&store, "mnist-1");
    run.log_params(&pairs(&[
        ("training.epochs", "5"),
        ("layers.1.units", "128"),
    ]))
    .unwrap();
    let points = [(0.5, 1), (0.25, 2), (0.125, 3)];
    for (v, step) in points {
        run.log_metrics(&[Metric::now("train.loss", v, step)])
            .unwrap();
    }
    run.set_tags(&pairs(&[("kiln.backend", "flex")])).unwrap();
    let id = run.id().to_string();
    let ended = run.end(RunStatus::Finished).unwrap();
    assert_eq!(ended.status, RunStatus::Finished);
    assert!(ended.end_time.unwrap() >= ended.start_time);

    let got = store.run(&id).unwrap();
    assert_eq!(got.info.name, "mnist-1");
    assert_eq!(got.data.params["training.epochs"], "5");
    assert_eq!(got.data.params["layers.1.units"], "128");
    assert_eq!(got.data.tags["kiln.backend"], "flex");
    assert_eq!(got.data.tags[kiln_runs::RUN_NAME_TAG], "mnist-1");
    // The latest value is the one with the largest step.
    assert_eq!(got.data.metric("train.loss"), Some(0.125));
    let history = store.metric_history(&id, "train.loss").unwrap();
    assert_eq!(
        history
            .iter()
            .map(|p| (p.value, p.step))
            .collect::<Vec<_>>(),
        points.to_vec()
    );
}

#[test]
fn latest_metric_is_the_largest_step_not_the_last_logged() {
    let (_dir, store) = store();
    let run = started(&store, "r");
    let at = |value, step, timestamp| Metric {
        key: "m".into(),
        point: MetricPoint {
            value,
            timestamp,
            step,
        },
    };
    run.log_metrics(&[at(3.0, 5, 100), at(1.0, 2, 200), at(2.0, 5, 50)])
        .unwrap();
    assert_eq!(store.run(run.id()).unwrap().data.metric("m"), Some(3.0));
}

#[test]
fn nan_and_infinities_are_kept() {
    let (_dir, store) = store();
    let run = started(&store, "r");
    run.log_metrics(&[
        Metric::now("nan", f64::NAN, 0),
        Metric::now("inf", f64::INFINITY, 0),
        Metric::now("-inf", f64::NEG_INFINITY, 0),
    ])
    .unwrap();
    let data = store.run(run.id()).unwrap().data;
    assert!(data.metric("nan").unwrap().is_nan());
    assert_eq!(data.metric("inf"), Some(f64::INFINITY));
    assert_eq!(data.metric("-inf"), Some(f64::NEG_INFINITY));
    let history = store.metric_history(run.id(), "nan").unwrap();
    assert!(history[0].value.is_nan());
    // NaN matches no comparison; infinities compare as numbers.
    let count = |filter: &str| {
        store
            .search_runs(&kiln_runs::RunQuery {
                filter: Some(filter.to_string()),
                ..kiln_runs::RunQuery::default()
            })
            .unwrap()
            .runs
            .len()
    };
    assert_eq!(
        count("metrics.nan > -1e308 or metrics.nan <= -1e308 or metrics.nan != 0"),
        0
    );
    assert_eq!(count("metrics.inf > 1e308 and metrics.`-inf` < -1e308"), 1);
}

#[test]
fn params_are_written_once_and_a_failed_batch_writes_nothing() {
    let (_dir, store) = store();
    let run = started(&store, "r");
    run.log_params(&pairs(&[("lr", "0.01")])).unwrap();
    // The same value again is fine (MLflow accepts it too).
    run.log_params(&pairs(&[("lr", "0.01")])).unwrap();
    let err = store
        .log_batch(
            run.id(),
            &[Metric::now("loss", 1.0, 0)],
            &pairs(&[("batch", "32"), ("lr", "0.1")]),
            &[],
        )
        .unwrap_err();
    match err {
        RunsError::ParamChanged { key, old, new, .. } => {
            assert_eq!(
                (key.as_str(), old.as_str(), new.as_str()),
                ("lr", "0.01", "0.1")
            );
        }
        other => panic!("expected ParamChanged, got {other:?}"),
    }
    let data = store.run(run.id()).unwrap().data;
    assert_eq!(
        data.params.len(),
        1,
        "the failed batch left {:?}",
        data.params
    );
    assert!(data.metrics.is_empty());
}

#[test]
fn runs_logged_whole_are_one_transaction() {
    let (_dir, store) = store();
    let parent = started(&store, "study");
    let new = NewRun {
        name: Some("study-trial-0".into()),
        parent_run_id: Some(parent.id().to_string()),
        ..NewRun::default()
    };
    let whole = |new: NewRun, status, metrics| WholeRun {
        new,
        status,
        metrics,
        params: Vec::new(),
        tags: Vec::new(),
    };
    let infos = store
        .log_runs(&[
            WholeRun {
                params: pairs(&[("lr", "0.01")]),
                tags: pairs(&[("kiln.trial", "0")]),
                ..whole(
                    new,
                    RunStatus::Failed,
                    vec![Metric::now("tune.intermediate", 0.5, 3)],
                )
            },
            whole(NewRun::default(), RunStatus::Running, Vec::new()),
        ])
        .unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(infos[1].status, RunStatus::Running);
    assert_eq!(infos[1].end_time, None);
    let info = &infos[0];
    assert_eq!(info.status, RunStatus::Failed);
    assert!(info.end_time.unwrap() >= info.start_time);
    let got = store.run(&info.run_id).unwrap();
    assert_eq!(got.info.name, "study-trial-0");
    assert_eq!(got.data.params["lr"], "0.01");
    assert_eq!(got.data.tags["kiln.trial"], "0");
    assert_eq!(got.data.tags[kiln_runs::PARENT_RUN_TAG], parent.id());
    assert_eq!(got.data.metric("tune.intermediate"), Some(0.5));
    let children = store.child_runs(parent.id()).unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].run_id, info.run_id);

    // An unknown parent fails the whole write: no run, no tags, no metrics are left.
    let orphan = NewRun {
        parent_run_id: Some("0".repeat(32)),
        ..NewRun::default()
    };
    let err = store
        .log_runs(&[
            whole(
                NewRun::default(),
                RunStatus::Finished,
                vec![Metric::now("m", 1.0, 0)],
            ),
            whole(orphan, RunStatus::Finished, Vec::new()),
        ])
        .unwrap_err();
    assert!(matches!(err, RunsError::NotFound { .. }), "{err:?}");
    let page = store.search_runs(&kiln_runs::RunQuery::default()).unwrap();
    assert_eq!(page.runs.len(), 3, "the failed write left a run behind");
}

#[test]
fn bad_keys_and_values_are_refused_with_the_field() {
    let (_dir, store) = store();
    let run = started(&store, "r");
    let err = run.log_params(&pairs(&[("../escape", "1")])).unwrap_err();
    assert!(err.to_string().contains("param key"), "{err}");
    let long = "x".repeat(6001);
    let err = run.log_params(&[("p".into(), long)]).unwrap_err();
    assert!(err.to_string().contains("at most 6000"), "{err}");
    let err = store.run("not-a-run-id").unwrap_err();
    assert!(matches!(err, RunsError::NotFound { .. }), "{err:?}");
}

#[test]
fn deleted_runs_take_no_writes_and_can_be_restored() {
    let (_dir, store) = store();
    let run = started(&store, "r");
    store
        .set_run_lifecycle(run.id(), Lifecycle::Deleted)
        .unwrap();
    let err = run.log_metrics(&[Metric::now("m", 1.0, 0)]).unwrap_err();
    assert!(matches!(err, RunsError::RunNotActive { .. }), "{err:?}");
    store
        .set_run_lifecycle(run.id(), Lifecycle::Active)
        .unwrap();
    run.log_metrics(&[Metric::now("m", 1.0, 0)]).unwrap();
}

#[test]
fn experiments_children_inputs_and_lookup_by_prefix_or_name() {
    let (_dir, store) = store();
    let exp = store.create_experiment("mnist", &BTreeMap::new()).unwrap();
    assert!(matches!(
        store.create_experiment("mnist", &BTreeMap::new()),
        Err(RunsError::AlreadyExists { .. })
    ));
    assert_eq!(store.experiment_id_for("mnist").unwrap(), exp);
    let parent = store
        .create_run(&NewRun {
            experiment_id: exp,
            name: Some("cv".into()),
            ..NewRun::default()
        })
        .unwrap();
    let child = store
        .create_run(&NewRun {
            experiment_id: exp,
            parent_run_id: Some(parent.run_id.clone()),
            ..NewRun::default()
        })
        .unwrap();
    assert_eq!(child.parent_run_id.as_deref(), Some(parent.run_id.as_str()));
    assert_eq!(store.child_runs(&parent.run_id).unwrap().len(), 1);
    assert_eq!(
        store.run(&child.run_id).unwrap().data.tags[kiln_runs::PARENT_RUN_TAG],
        parent.run_id
    );

    let input = DatasetInput {
        dataset: Dataset {
            name: "mnist".into(),
            digest: "abc123".into(),
            source_type: "builtin".into(),
            source: "mnist".into(),
            schema: None,
            profile: Some("{\"rows\":70000}".into()),
        },
        tags: [("mlflow.data.context".to_string(), "training".to_string())].into(),
    };
    store
        .log_inputs(&parent.run_id, std::slice::from_ref(&input))
        .unwrap();
    store
        .log_inputs(&parent.run_id, std::slice::from_ref(&input))
        .unwrap();
    assert_eq!(store.run(&parent.run_id).unwrap().inputs, vec![input]);

    assert_eq!(
        store.resolve_run(&parent.run_id[..8]).unwrap().run_id,
        parent.run_id
    );
    assert_eq!(store.resolve_run("cv").unwrap().run_id, parent.run_id);
    assert!(store.resolve_run("no-such-run").is_err());
}

#[test]
fn a_store_reopens_with_its_runs_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path()).unwrap();
        store.create_run(&NewRun::default()).unwrap().run_id
    };
    let store = Store::open(dir.path()).unwrap();
    store.run(&id).unwrap();
    drop(store);
    let db = dir.path().join(kiln_runs::store::DATABASE_FILE);
    rusqlite::Connection::open(db)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("schema version 99"), "{err}");
}
