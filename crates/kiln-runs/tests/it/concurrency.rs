//! Many processes writing one store at once: no `database is locked`, nothing lost.
//!
//! The parent test starts this test binary again as worker processes (running only the
//! ignored `worker` test, with the store and counts in environment variables): 32 processes
//! × 1,000 batches of 10 metrics (about 15 s here).

use std::process::Command;

use kiln_runs::{Metric, RunQuery, Store};

const STORE_ENV: &str = "KILN_RUNS_WORKER_STORE";
const BATCHES_ENV: &str = "KILN_RUNS_WORKER_BATCHES";
const RUN_ENV: &str = "KILN_RUNS_WORKER_RUN";

#[test]
fn thirty_two_processes_log_into_one_store_without_lock_errors() {
    let (dir, store) = crate::store();
    let processes = 32;
    let batches: usize = 1000;
    let runs: Vec<String> = (0..processes)
        .map(|i| {
            crate::started(&store, &format!("worker-{i}"))
                .id()
                .to_string()
        })
        .collect();
    // The runs above were dropped unended (FAILED); that does not stop logging to them.
    let exe = std::env::current_exe().unwrap();
    let started = std::time::Instant::now();
    let children: Vec<_> = runs
        .iter()
        .map(|run| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "concurrency::worker",
                    "--test-threads=1",
                    "--quiet",
                    "--nocapture",
                ])
                .env(STORE_ENV, dir.path())
                .env(BATCHES_ENV, batches.to_string())
                .env(RUN_ENV, run)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect::<Vec<_>>();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a worker failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let elapsed = started.elapsed();
    eprintln!("{processes} processes × {batches} batches in {elapsed:?}");
    for run in &runs {
        let history = store.metric_history(run, "m0").unwrap();
        assert_eq!(history.len(), batches, "run {run} lost metric points");
        let steps: Vec<i64> = history.iter().map(|p| p.step).collect();
        assert_eq!(steps, (0..batches as i64).collect::<Vec<_>>());
        let data = store.run(run).unwrap().data;
        assert_eq!(data.metrics.len(), 10);
        assert_eq!(data.params.len(), 1);
    }
    let page = store.search_runs(&RunQuery::default()).unwrap();
    assert_eq!(page.runs.len(), processes);
    // The write-ahead log is restarted as it goes, not left to grow with every commit.
    let wal = std::fs::metadata(dir.path().join("runs.db-wal")).map_or(0, |m| m.len());
    let db = std::fs::metadata(dir.path().join("runs.db")).unwrap().len();
    eprintln!("write-ahead log {wal} bytes, database {db} bytes");
    assert!(wal < 128 << 20, "the write-ahead log grew to {wal} bytes");
}

/// One worker process: logs `$KILN_RUNS_WORKER_BATCHES` batches of 10 metrics to its run.
#[test]
#[ignore = "a worker process started by thirty_two_processes_log_into_one_store_without_lock_errors"]
fn worker() {
    let store = Store::open(std::env::var(STORE_ENV).expect("run by the parent test")).unwrap();
    let run = std::env::var(RUN_ENV).unwrap();
    let batches: i64 = std::env::var(BATCHES_ENV).unwrap().parse().unwrap();
    for step in 0..batches {
        let metrics: Vec<Metric> = (0..10)
            .map(|k| Metric::now(format!("m{k}"), step as f64 * 0.5 + f64::from(k), step))
            .collect();
        let params = if step == 0 {
            vec![("worker".to_string(), run.clone())]
        } else {
            Vec::new()
        };
        if let Err(e) = store.log_batch(&run, &metrics, &params, &[]) {
            panic!("batch {step}: {e} (locked: {})", e.is_locked());
        }
    }
}
