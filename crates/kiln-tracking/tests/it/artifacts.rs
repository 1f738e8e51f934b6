//! Proxied artifacts: bytes round-trip, listings, and every way out of a run's artifacts is
//! refused before anything is read or written.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::util::{Server, encode};

const ART: &str = "/api/2.0/mlflow-artifacts/artifacts";

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

#[tokio::test]
async fn bytes_round_trip_and_list() {
    let s = Server::new();
    let (exp, run) = s.run().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(600_000).collect();
    let root = format!("{ART}/{exp}/{run}/artifacts");
    let (status, body) = s
        .raw(Method::PUT, &format!("{root}/data/blob.bin"), bytes.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    s.raw(
        Method::PUT,
        &format!("{root}/notes%20v1.txt"),
        b"hi".to_vec(),
    )
    .await;
    s.raw(Method::PUT, &format!("{root}/empty"), Vec::new())
        .await;
    let (status, got) = s
        .raw(Method::GET, &format!("{root}/data/blob.bin"), Vec::new())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(got == bytes, "bytes differ");
    let (_, got) = s
        .raw(Method::GET, &format!("{root}/notes%20v1.txt"), Vec::new())
        .await;
    assert_eq!(got, b"hi");
    let (_, got) = s
        .raw(Method::GET, &format!("{root}/empty"), Vec::new())
        .await;
    assert!(got.is_empty());

    let list = |path: String| {
        let s = &s;
        async move {
            let (status, body) = s
                .raw(
                    Method::GET,
                    &format!("{ART}?path={}", encode(&path)),
                    Vec::new(),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
            serde_json::from_slice::<Value>(&body).unwrap()
        }
    };
    assert_eq!(
        list(format!("{exp}/{run}/artifacts")).await,
        json!({"files": [
            {"path": "data", "is_dir": true},
            {"path": "empty", "is_dir": false, "file_size": 0},
            {"path": "notes v1.txt", "is_dir": false, "file_size": 2},
        ]})
    );
    assert_eq!(
        list(format!("{exp}/{run}/artifacts/data")).await,
        json!({"files": [{"path": "blob.bin", "is_dir": false, "file_size": 600_000}]})
    );
    // A file, or a folder that is not there, lists as nothing (as MLflow answers).
    assert_eq!(
        list(format!("{exp}/{run}/artifacts/data/blob.bin")).await,
        json!({})
    );
    assert_eq!(list(format!("{exp}/{run}/artifacts/nope")).await, json!({}));

    // The run must belong to the experiment the path names.
    let (status, _) = s
        .raw(
            Method::GET,
            &format!("{ART}/999/{run}/artifacts/data/blob.bin"),
            Vec::new(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .raw(Method::GET, &format!("{root}/data/missing.bin"), Vec::new())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn traversal_is_refused_and_writes_nothing_outside() {
    let s = Server::new();
    let (exp, run) = s.run().await;
    let before = files_under(s.dir.path());
    let run_root = format!("{exp}/{run}/artifacts");
    let attempts = [
        format!("{ART}/{run_root}/../../../../escape"),
        format!("{ART}/../../escape"),
        format!("{ART}/{run_root}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/escape"),
        format!("{ART}/{run_root}/%2E%2E%2F%2E%2E%2Fescape"),
        format!("{ART}/{run_root}/%252e%252e/%252e%252e/escape"),
        format!("{ART}/{run_root}/..%5c..%5cescape"),
        format!("{ART}/{run_root}/a/./../../escape"),
        format!("{ART}//tmp/escape"),
        format!("{ART}/%2Ftmp%2Fescape"),
        format!("{ART}/{run_root}/%00escape"),
        format!("{ART}/{run_root}/C:%5cescape"),
        format!("{ART}/{run_root}//escape"),
    ];
    for uri in &attempts {
        let (status, body) = s.raw(Method::PUT, uri, b"escaped".to_vec()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            String::from_utf8_lossy(&body)
        );
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error_code"], "INVALID_PARAMETER_VALUE", "{uri}");
        let (status, _) = s.raw(Method::GET, uri, Vec::new()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "GET {uri}");
    }
    for path in [
        "../..",
        "/etc",
        "%2e%2e",
        &format!("{run_root}/../../.."),
        "a\\..\\b",
    ] {
        let (status, _) = s
            .raw(
                Method::GET,
                &format!("{ART}?path={}", encode(path)),
                Vec::new(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "list {path}");
    }
    // Nothing new anywhere under the test's folder except the store's own database files.
    let after: Vec<_> = files_under(s.dir.path())
        .into_iter()
        .filter(|p| !before.contains(p))
        .filter(|p| !p.to_string_lossy().contains("runs.db"))
        .collect();
    assert!(after.is_empty(), "written: {after:?}");
    let listed = s.store.list_artifacts(&run, None).unwrap();
    assert!(listed.is_empty(), "{listed:?}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_blob_is_not_followed_out_of_the_store() {
    let s = Server::new();
    let (exp, run) = s.run().await;
    let uri = format!("{ART}/{exp}/{run}/artifacts/model.bin");
    s.raw(Method::PUT, &uri, b"model bytes".to_vec()).await;
    // Someone replaces the blob with a link to a file outside the store.
    let secret = s.dir.path().join("secret.txt");
    std::fs::write(&secret, b"TOP SECRET").unwrap();
    let entry = s.store.list_artifacts(&run, None).unwrap().remove(0);
    let blob = s.store.blob_path(entry.digest.as_deref().unwrap()).unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&secret, &blob).unwrap();
    let (status, body) = s.raw(Method::GET, &uri, Vec::new()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let text = String::from_utf8_lossy(&body);
    assert!(!text.contains("TOP SECRET"), "{text}");
    assert!(
        !text.contains(&*s.dir.path().to_string_lossy()),
        "store path in answer: {text}"
    );
}

/// The folders between the store root and a blob are the store's own: a link there (a folder
/// of blobs replaced by a link to elsewhere) must not make an upload write, or a download
/// read, outside the store.
#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_blob_folder_is_not_followed_out_of_the_store() {
    let s = Server::new();
    let (exp, run) = s.run().await;
    let uri = format!("{ART}/{exp}/{run}/artifacts/a.bin");
    s.raw(Method::PUT, &uri, b"first".to_vec()).await;
    let entry = s.store.list_artifacts(&run, None).unwrap().remove(0);
    let blob = s.store.blob_path(entry.digest.as_deref().unwrap()).unwrap();
    let sha_dir = blob.parent().unwrap().parent().unwrap().to_path_buf();
    // Every blob folder moves outside the store, and a link takes its place.
    let outside = s.dir.path().join("outside");
    std::fs::rename(&sha_dir, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &sha_dir).unwrap();
    let before = files_under(&outside).len();

    let (status, body) = s.raw(Method::GET, &uri, Vec::new()).await;
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(!String::from_utf8_lossy(&body).contains("first"));
    let (status, _) = s
        .raw(
            Method::PUT,
            &format!("{ART}/{exp}/{run}/artifacts/b.bin"),
            b"second".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        files_under(&outside).len(),
        before,
        "a blob was written through the link"
    );

    // The same for the folder of partial uploads.
    std::fs::remove_file(&sha_dir).unwrap();
    std::fs::rename(&outside, &sha_dir).unwrap();
    let tmp = sha_dir.parent().unwrap().join("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    let outside_tmp = s.dir.path().join("outside-tmp");
    std::fs::create_dir(&outside_tmp).unwrap();
    std::os::unix::fs::symlink(&outside_tmp, &tmp).unwrap();
    let (status, _) = s
        .raw(
            Method::PUT,
            &format!("{ART}/{exp}/{run}/artifacts/c.bin"),
            b"third".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(files_under(&outside_tmp).is_empty());
}
