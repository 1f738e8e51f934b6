use kiln_runs::{NewRun, Owner, RunStatus};

use crate::{started, store};

fn run_owned_by(store: &kiln_runs::Store, owner: Owner) -> String {
    store
        .create_run(&NewRun {
            owner: Some(owner),
            ..NewRun::default()
        })
        .unwrap()
        .run_id
}

#[test]
fn runs_of_dead_processes_are_marked_killed_and_live_ones_are_not() {
    let (dir, store) = store();
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    let me = Owner::this_process();
    let dead = run_owned_by(
        &store,
        Owner {
            pid: dead_pid,
            ..me.clone()
        },
    );
    // This pid, but another start time: the pid was reused by a later process.
    let reused = run_owned_by(
        &store,
        Owner {
            process_start: Some("1".into()),
            ..me.clone()
        },
    );
    let alive = run_owned_by(&store, me.clone());
    let elsewhere_fresh = run_owned_by(
        &store,
        Owner {
            host: "another-host".into(),
            ..me.clone()
        },
    );
    let elsewhere_stale = run_owned_by(
        &store,
        Owner {
            host: "another-host".into(),
            ..me
        },
    );
    rusqlite::Connection::open(dir.path().join(kiln_runs::store::DATABASE_FILE))
        .unwrap()
        .execute(
            "UPDATE runs SET heartbeat = 0 WHERE run_id = ?1",
            [&elsewhere_stale],
        )
        .unwrap();

    let mut killed = store.sweep_dead_runs().unwrap();
    killed.sort();
    let mut expected = vec![dead.clone(), reused.clone(), elsewhere_stale.clone()];
    expected.sort();
    assert_eq!(killed, expected);
    for id in [&dead, &reused, &elsewhere_stale] {
        let info = store.run_info(id).unwrap();
        assert_eq!(info.status, RunStatus::Killed);
        assert!(info.end_time.is_some());
    }
    for id in [&alive, &elsewhere_fresh] {
        assert_eq!(store.run_info(id).unwrap().status, RunStatus::Running);
    }
    assert!(store.sweep_dead_runs().unwrap().is_empty());
}

#[test]
fn a_run_dropped_without_ending_is_failed_not_running() {
    let (_dir, store) = store();
    let id = {
        let run = started(&store, "r");
        run.id().to_string()
    };
    assert_eq!(store.run_info(&id).unwrap().status, RunStatus::Failed);
}
