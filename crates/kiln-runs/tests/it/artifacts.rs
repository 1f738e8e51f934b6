use std::io::Read;

use crate::{started, store};

#[test]
fn artifacts_round_trip_and_identical_bytes_are_stored_once() {
    let (dir, store) = store();
    let a = started(&store, "a");
    let b = started(&store, "b");
    a.log_artifact_bytes("model.kiln", b"weights").unwrap();
    a.log_artifact_bytes("plots/loss.png", b"png").unwrap();
    a.log_artifact_bytes("plots/deep/x.txt", b"x").unwrap();
    b.log_artifact_bytes("copy.kiln", b"weights").unwrap();

    let (entry, mut file) = store.artifact(a.id(), "model.kiln").unwrap();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, b"weights");
    assert_eq!(entry.size, Some(7));
    let (other, _) = store.artifact(b.id(), "copy.kiln").unwrap();
    assert_eq!(entry.digest, other.digest);

    let blobs = walk(&dir.path().join("artifacts/sha256"));
    assert_eq!(
        blobs, 3,
        "four files, three distinct contents: three blobs, found {blobs}"
    );

    let root: Vec<_> = store
        .list_artifacts(a.id(), None)
        .unwrap()
        .into_iter()
        .map(|e| (e.path, e.is_dir))
        .collect();
    assert_eq!(
        root,
        [
            ("model.kiln".to_string(), false),
            ("plots".to_string(), true)
        ]
    );
    let plots: Vec<_> = store
        .list_artifacts(a.id(), Some("plots"))
        .unwrap()
        .into_iter()
        .map(|e| (e.path, e.is_dir))
        .collect();
    assert_eq!(
        plots,
        [
            ("plots/deep".to_string(), true),
            ("plots/loss.png".to_string(), false)
        ]
    );
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn artifact_paths_cannot_escape_or_clash() {
    let (dir, store) = store();
    let run = started(&store, "a");
    for bad in ["../x", "/etc/passwd", "a/../../x", "a//b", "C:/x", "a\\b"] {
        let err = run.log_artifact_bytes(bad, b"x").unwrap_err();
        assert!(err.to_string().contains("artifact path"), "{bad}: {err}");
        assert!(store.artifact(run.id(), bad).is_err());
    }
    assert!(!dir.path().parent().unwrap().join("x").exists());
    run.log_artifact_bytes("a/b", b"1").unwrap();
    assert!(
        run.log_artifact_bytes("a", b"2").is_err(),
        "a file over a folder"
    );
    assert!(
        run.log_artifact_bytes("a/b/c", b"3").is_err(),
        "a folder over a file"
    );
    assert!(store.artifact(run.id(), "missing").is_err());
}

#[cfg(unix)]
#[test]
fn a_blob_replaced_by_a_link_is_not_followed() {
    let (dir, store) = store();
    let run = started(&store, "a");
    let entry = run.log_artifact_bytes("f", b"inside").unwrap();
    let blob = store.blob_path(entry.digest.as_deref().unwrap()).unwrap();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, b"secret").unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&outside, &blob).unwrap();
    let err = store.artifact(run.id(), "f").unwrap_err().to_string();
    assert!(err.contains("not a plain file"), "{err}");
    assert!(!err.contains("secret"));
}

/// A folder of the store replaced by a symbolic link to elsewhere: reads and writes of blobs
/// are refused rather than followed out of the store.
#[cfg(unix)]
#[test]
fn links_inside_the_store_are_not_followed() {
    let (dir, store) = store();
    let a = started(&store, "a");
    a.log_artifact_bytes("x.bin", b"inside").unwrap();
    let sha = dir.path().join("artifacts/sha256");
    let outside = tempfile::tempdir().unwrap();
    let moved = outside.path().join("sha256");
    std::fs::rename(&sha, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &sha).unwrap();
    let before = walk(&moved);
    assert!(matches!(
        store.artifact(a.id(), "x.bin"),
        Err(kiln_runs::RunsError::Invalid {
            field: "artifact store",
            ..
        })
    ));
    assert!(a.log_artifact_bytes("y.bin", b"new bytes").is_err());
    assert_eq!(walk(&moved), before, "a blob was written through the link");

    std::fs::remove_file(&sha).unwrap();
    std::fs::rename(&moved, &sha).unwrap();
    let tmp = dir.path().join("artifacts/tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::os::unix::fs::symlink(outside.path(), &tmp).unwrap();
    assert!(a.log_artifact_bytes("z.bin", b"more").is_err());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // With the store's folders real again, everything works.
    std::fs::remove_file(&tmp).unwrap();
    a.log_artifact_bytes("z.bin", b"more").unwrap();
    let mut bytes = Vec::new();
    store
        .artifact(a.id(), "x.bin")
        .unwrap()
        .1
        .read_to_end(&mut bytes)
        .unwrap();
    assert_eq!(bytes, b"inside");
}
