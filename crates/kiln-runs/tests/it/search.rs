use std::collections::BTreeSet;

use kiln_runs::{Metric, RunQuery, RunStatus, RunsError, ViewType};

use crate::{pairs, started, store};

/// Six runs: epochs 1..=6, accuracy 0.90..0.95, optimizer alternating, run 3 has no accuracy.
fn six_runs() -> (
    tempfile::TempDir,
    std::sync::Arc<kiln_runs::Store>,
    Vec<String>,
) {
    let (dir, store) = store();
    let mut ids = Vec::new();
    for i in 1..=6 {
        let run = started(&store, &format!("trial-{i}"));
        let optimizer = if i % 2 == 0 { "adam" } else { "SGD" };
        run.log_params(&pairs(&[
            ("training.epochs", &i.to_string()),
            ("training.optimizer.type", optimizer),
        ]))
        .unwrap();
        if i != 3 {
            run.log_metrics(&[Metric::now("accuracy", 0.89 + f64::from(i) / 100.0, 0)])
                .unwrap();
        }
        run.set_tags(&pairs(&[("owner", if i <= 3 { "ana" } else { "bo" })]))
            .unwrap();
        ids.push(run.id().to_string());
        let status = if i == 6 {
            RunStatus::Failed
        } else {
            RunStatus::Finished
        };
        run.end(status).unwrap();
    }
    (dir, store, ids)
}

fn names(store: &kiln_runs::Store, filter: &str, order: &[&str]) -> Vec<String> {
    let page = store
        .search_runs(&RunQuery {
            filter: Some(filter.to_string()),
            order_by: order.iter().map(|s| (*s).to_string()).collect(),
            ..RunQuery::default()
        })
        .unwrap_or_else(|e| panic!("{filter}: {e}"));
    page.runs.into_iter().map(|r| r.info.name).collect()
}

#[test]
fn filters_over_metrics_params_tags_and_attributes() {
    let (_dir, store, _) = six_runs();
    let asc = ["run_name ASC"];
    assert_eq!(
        names(&store, "metrics.accuracy > 0.92", &asc),
        ["trial-4", "trial-5", "trial-6"]
    );
    assert_eq!(
        names(
            &store,
            "metrics.accuracy > 0.9 and params.training.epochs = '5'",
            &asc
        ),
        ["trial-5"]
    );
    assert_eq!(
        names(&store, "params.`training.optimizer.type` = 'adam'", &asc),
        ["trial-2", "trial-4", "trial-6"]
    );
    assert_eq!(
        names(
            &store,
            "tags.owner = 'ana' and attributes.status = 'FINISHED'",
            &asc
        )
        .len(),
        3
    );
    assert_eq!(names(&store, "status = 'failed'", &asc), ["trial-6"]);
    assert_eq!(
        names(
            &store,
            "params.training.epochs IN ('1', '2') or metrics.accuracy >= 0.95",
            &asc
        ),
        ["trial-1", "trial-2", "trial-6"]
    );
    assert_eq!(names(&store, "metrics.accuracy IS NULL", &asc), ["trial-3"]);
    assert_eq!(names(&store, "not tags.owner = 'bo'", &asc).len(), 3);
    assert_eq!(names(&store, "run_name LIKE 'trial-%'", &asc).len(), 6);
}

#[test]
fn like_is_case_sensitive_and_ilike_is_not() {
    let (_dir, store, _) = six_runs();
    assert_eq!(
        names(&store, "params.training.optimizer.type LIKE 'sg%'", &[]).len(),
        0
    );
    assert_eq!(
        names(&store, "params.training.optimizer.type ILIKE 'sg%'", &[]).len(),
        3
    );
    assert_eq!(
        names(&store, "params.training.optimizer.type LIKE 'S_D'", &[]).len(),
        3
    );
}

#[test]
fn order_by_a_metric_puts_missing_values_last_in_both_directions() {
    let (_dir, store, _) = six_runs();
    assert_eq!(
        names(&store, "", &["metrics.accuracy DESC"]),
        [
            "trial-6", "trial-5", "trial-4", "trial-2", "trial-1", "trial-3"
        ]
    );
    assert_eq!(
        names(&store, "", &["metrics.accuracy"]),
        [
            "trial-1", "trial-2", "trial-4", "trial-5", "trial-6", "trial-3"
        ]
    );
}

#[test]
fn pages_cover_every_run_once() {
    let (_dir, store, ids) = six_runs();
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = store
            .search_runs(&RunQuery {
                max_results: 4,
                page_token: token.clone(),
                order_by: vec!["params.training.epochs".into()],
                ..RunQuery::default()
            })
            .unwrap();
        seen.extend(page.runs.into_iter().map(|r| r.info.run_id));
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>(),
        ids.iter().collect::<BTreeSet<_>>()
    );
    let err = store
        .search_runs(&RunQuery {
            page_token: Some("garbage".into()),
            ..RunQuery::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("page_token"), "{err}");
}

#[test]
fn deleted_runs_show_only_when_asked() {
    let (_dir, store, ids) = six_runs();
    store
        .set_run_lifecycle(&ids[0], kiln_runs::Lifecycle::Deleted)
        .unwrap();
    let count = |view| {
        store
            .search_runs(&RunQuery {
                view,
                ..RunQuery::default()
            })
            .unwrap()
            .runs
            .len()
    };
    assert_eq!(count(ViewType::ActiveOnly), 5);
    assert_eq!(count(ViewType::DeletedOnly), 1);
    assert_eq!(count(ViewType::All), 6);
}

#[test]
fn bad_filters_say_what_is_wrong() {
    let (_dir, store, _) = six_runs();
    let err = |filter: &str| match store.search_runs(&RunQuery {
        filter: Some(filter.to_string()),
        ..RunQuery::default()
    }) {
        Err(e @ RunsError::Query { .. }) => e.to_string(),
        other => panic!("{filter}: expected a query error, got {other:?}"),
    };
    assert!(
        err("params.lr = 0.1").contains("quote the value"),
        "{}",
        err("params.lr = 0.1")
    );
    assert!(err("metrics.acc > 'high'").contains("is a number"));
    assert!(err("accuracy > 0.9").contains("prefix it"));
    assert!(err("attributes.color = 'red'").contains("not a run attribute"));
    assert!(err("metrics.acc >").contains("column"));
    // Values are bound, never spliced: a quote in a value is just a character.
    assert!(names(&store, "params.x = 'a'' or 1=1 --'", &[]).is_empty());
}
