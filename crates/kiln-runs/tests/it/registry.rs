use std::collections::BTreeMap;

use kiln_runs::{MODEL_ARTIFACT, ModelUri, RunsError};

use crate::{started, store};

#[test]
fn versions_aliases_and_their_audit_log() {
    let (dir, store) = store();
    let first = started(&store, "a");
    first
        .log_artifact_bytes(MODEL_ARTIFACT, b"model one")
        .unwrap();
    let second = started(&store, "b");
    second
        .log_artifact_bytes(MODEL_ARTIFACT, b"model two")
        .unwrap();

    let v1 = store.register_run("mnist", first.id()).unwrap();
    let v2 = store.register_run("mnist", second.id()).unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(v1.source, format!("runs:/{}/model.kiln", first.id()));
    let file = dir.path().join("m.kiln");
    std::fs::write(&file, b"model three").unwrap();
    let v3 = store.register_file("mnist", &file).unwrap();
    assert_eq!(v3.version, 3);

    store.set_alias("mnist", "champion", 1).unwrap();
    store.set_alias("mnist", "champion", 3).unwrap();
    store.set_alias("mnist", "champion", 3).unwrap(); // no move, no log entry
    let uri = ModelUri::parse("models:/mnist@champion").unwrap().unwrap();
    let resolved = store.resolve_model_uri(&uri).unwrap();
    assert_eq!(resolved.version.version, 3);
    assert_eq!(std::fs::read(&resolved.path).unwrap(), b"model three");
    let by_number = ModelUri::parse("models:/mnist/2").unwrap().unwrap();
    assert_eq!(
        std::fs::read(store.resolve_model_uri(&by_number).unwrap().path).unwrap(),
        b"model two"
    );

    store.delete_alias("mnist", "champion").unwrap();
    let log: Vec<_> = store
        .alias_history("mnist")
        .unwrap()
        .into_iter()
        .map(|c| (c.old_version, c.new_version))
        .collect();
    assert_eq!(log, [(None, Some(1)), (Some(1), Some(3)), (Some(3), None)]);
    assert!(matches!(
        store.resolve_model_uri(&uri),
        Err(RunsError::NotFound { .. })
    ));
    assert_eq!(
        store.registered_model("mnist").unwrap().latest_version,
        Some(3)
    );
}

#[test]
fn mlflow_sources_resolve_to_stored_files_and_others_do_not() {
    let (_dir, store) = store();
    let run = started(&store, "a");
    run.log_artifact_bytes("model/model.kiln", b"kiln").unwrap();
    store
        .create_registered_model("m", "", &BTreeMap::new())
        .unwrap();
    let v = store
        .create_model_version(
            "m",
            &format!("runs:/{}/model", run.id()),
            Some(run.id()),
            "",
            &BTreeMap::new(),
        )
        .unwrap();
    assert!(v.digest.is_some(), "a folder holding model.kiln resolves");
    let sklearn = store
        .create_model_version("m", "s3://bucket/model", None, "", &BTreeMap::new())
        .unwrap();
    assert!(sklearn.digest.is_none());
    let err = store
        .resolve_model_uri(&ModelUri::Version {
            name: "m".into(),
            version: sklearn.version,
        })
        .unwrap_err();
    assert!(err.to_string().contains("not a kiln model file"), "{err}");
}

#[test]
fn bad_names_aliases_and_uris_are_refused() {
    let (_dir, store) = store();
    let run = started(&store, "a");
    run.log_artifact_bytes(MODEL_ARTIFACT, b"m").unwrap();
    store.register_run("ok", run.id()).unwrap();
    assert!(store.register_run("a/b", run.id()).is_err());
    for alias in ["latest", "v1", "V12", "", "has space", "a/b"] {
        assert!(
            store.set_alias("ok", alias, 1).is_err(),
            "{alias:?} accepted"
        );
    }
    assert!(matches!(
        store.set_alias("ok", "champion", 9),
        Err(RunsError::NotFound { .. })
    ));
    for uri in [
        "models:/",
        "models:/x",
        "models:/x/0",
        "models:/x@",
        "models:/@a",
    ] {
        assert!(ModelUri::parse(uri).unwrap().is_err(), "{uri}");
    }
    assert!(ModelUri::parse("runs:/abc/model").is_none());
    let no_model = started(&store, "b");
    assert!(matches!(
        store.register_run("ok", no_model.id()),
        Err(RunsError::NotFound { .. })
    ));
}
