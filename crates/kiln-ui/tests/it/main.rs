//! kiln-ui through `router().oneshot(..)` over a store in a temp folder: the pages show the
//! store's runs in the store's order with the store's numbers, escape what runs carry, and
//! answer errors with the right status. (The browser checks are `tests/ui/` at the root.)

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kiln_runs::search::RunQuery;
use kiln_runs::{Metric, MetricPoint, NewRun, RunStatus, Store};
use kiln_ui::{LiveSnapshot, LiveTarget, Ui};
use tower::ServiceExt;

mod study;

const XSS: &str = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">";

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    ids: Vec<String>,
    router: axum::Router,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("runs")).unwrap());
    let mut ids = Vec::new();
    for (i, (name, lr, acc)) in [
        ("first", "0.01", 0.91),
        (XSS, "0.1", 0.75),
        ("third", "0.01", 0.98),
    ]
    .into_iter()
    .enumerate()
    {
        let info = store
            .create_run(&NewRun {
                name: Some(name.to_string()),
                start_time: Some(1_796_400_000_000 + i as i64 * 1000),
                ..NewRun::default()
            })
            .unwrap();
        let point = |key: &str, value: f64, step: i64| Metric {
            key: key.into(),
            point: MetricPoint {
                value,
                timestamp: 1,
                step,
            },
        };
        let metrics: Vec<Metric> = (1..=3)
            .flat_map(|s| {
                [
                    point("train.loss", 1.0 / s as f64, s),
                    point("val.loss", 1.2 / s as f64, s),
                ]
            })
            .chain([point("accuracy", acc, 3)])
            .collect();
        store
            .log_batch(
                &info.run_id,
                &metrics,
                &[
                    ("lr".to_string(), lr.to_string()),
                    ("layers".to_string(), "2".to_string()),
                ],
                &[("note".to_string(), format!("<b>{i}</b>"))],
            )
            .unwrap();
        store
            .update_run(
                &info.run_id,
                Some(RunStatus::Finished),
                Some(1_796_400_100_000),
                None,
            )
            .unwrap();
        ids.push(info.run_id);
    }
    let snapshot = Arc::new(|| LiveSnapshot {
        metrics: "kiln_requests_total{model=\"m\",route=\"/invocations\",status=\"200\"} 41\n\
                  kiln_request_duration_seconds_bucket{model=\"m\",le=\"0.001\"} 40\n\
                  kiln_request_duration_seconds_bucket{model=\"m\",le=\"+Inf\"} 41\n"
            .into(),
        monitor: Vec::new(),
    });
    let router = kiln_ui::router(Arc::new(Ui {
        store: Arc::clone(&store),
        live: vec![LiveTarget::Local(snapshot)],
    }));
    Fixture {
        _dir: dir,
        store,
        ids,
        router,
    }
}

async fn get(f: &Fixture, uri: &str) -> (StatusCode, String) {
    let response = f
        .router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// The run ids of the runs table's rows, in order.
fn row_ids(html: &str) -> Vec<String> {
    html.split("<tr data-run-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn runs_page_follows_the_store_and_escapes_names() {
    let f = fixture();
    let (status, html) = get(&f, "/ui/runs").await;
    assert_eq!(status, StatusCode::OK);
    // Newest first, as the store orders a search without order_by.
    let newest_first: Vec<String> = f.ids.iter().rev().cloned().collect();
    assert_eq!(row_ids(&html), newest_first);
    assert!(!html.contains("<script>window"), "unescaped run name");
    assert!(html.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"));
    assert!(html.contains("data-key=\"metrics.accuracy\" data-value=\"0.98\""));

    // Sorting and filtering are the store's.
    let (_, html) = get(&f, "/ui/runs?order_by=metrics.accuracy+DESC").await;
    let page = f
        .store
        .search_runs(&RunQuery {
            order_by: vec!["metrics.accuracy DESC".into()],
            ..RunQuery::default()
        })
        .unwrap();
    let expected: Vec<String> = page.runs.iter().map(|r| r.info.run_id.clone()).collect();
    assert_eq!(row_ids(&html), expected);
    assert_eq!(expected[0], f.ids[2]);
    assert!(
        html.contains("order_by=metrics.accuracy+ASC"),
        "a second click flips the order"
    );
    let (_, html) = get(&f, "/ui/runs?filter=params.lr+%3D+%270.01%27").await;
    assert_eq!(row_ids(&html), [f.ids[2].clone(), f.ids[0].clone()]);

    // Paging: one run per page, the next link carries the store's token.
    let (_, html) = get(&f, "/ui/runs?max_results=1").await;
    assert_eq!(row_ids(&html).len(), 1);
    assert!(html.contains("id=\"next\""));

    // A filter that does not parse shows the parser's message and no rows.
    let (status, html) = get(&f, "/ui/runs?filter=metrics.accuracy+%3E").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("class=\"error\""), "{html}");
    assert!(row_ids(&html).is_empty());
}

#[tokio::test]
async fn run_page_shows_metrics_curves_and_escaped_tags() {
    let f = fixture();
    let (status, html) = get(&f, &format!("/ui/runs/{}", f.ids[1])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<h1 id=\"run-name\">&lt;script&gt;"));
    assert!(!html.contains("<script>window") && !html.contains("<b>1</b>"));
    assert!(html.contains("data-value=\"0.75\""));
    // train.loss and val.loss share one chart.
    let curves = html.split("id=\"curves\"").nth(1).expect("curves section");
    assert_eq!(curves.matches("data-metric=\"loss\"").count(), 1);
    assert!(curves.contains("data-name=\"train\"") && curves.contains("data-name=\"validation\""));
    assert!(
        !html.contains("id=\"study\""),
        "a plain run has no study section"
    );

    let (status, _) = get(&f, "/ui/runs/0123456789abcdef0123456789abcdef").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A prefix works as in `kiln runs show`.
    let (status, _) = get(&f, &format!("/ui/runs/{}", &f.ids[0][..10])).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn logged_pictures_and_samples_are_shown_inert() {
    let f = fixture();
    let svg = "<svg xmlns='http://www.w3.org/2000/svg'><script>window.__xss=3</script></svg>";
    f.store
        .put_artifact(&f.ids[0], "posterior.svg", &mut svg.as_bytes())
        .unwrap();
    f.store
        .put_artifact(
            &f.ids[0],
            "samples.txt",
            &mut "to be <b>or</b> not".as_bytes(),
        )
        .unwrap();
    let (_, html) = get(&f, &format!("/ui/runs/{}", f.ids[0])).await;
    // The SVG only as an image (no script runs in <img>), the text escaped.
    assert!(
        html.contains("<img alt=\"posterior") && html.contains("src=\"data:image/svg+xml;base64,")
    );
    assert!(!html.contains("__xss=3"));
    assert!(html.contains("<pre>to be &lt;b&gt;or&lt;/b&gt; not</pre>"));
}

#[tokio::test]
async fn compare_marks_what_differs() {
    let f = fixture();
    let (status, html) = get(
        &f,
        &format!("/ui/compare?run={}&run={}", f.ids[0], f.ids[1]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<tr class=\"differs\" data-key=\"lr\"")
            || html.contains("<tr data-key=\"lr\" class=\"differs\""),
        "{html}"
    );
    assert!(html.contains("<tr data-key=\"layers\">"));
    assert!(html.contains("id=\"overlay\"") && html.contains("id=\"parallel\""));
}

#[tokio::test]
async fn registry_and_live_pages() {
    let f = fixture();
    f.store
        .create_registered_model("moons", "", &BTreeMap::new())
        .unwrap();
    f.store
        .create_model_version(
            "moons",
            "file:///m.kiln",
            Some(&f.ids[2]),
            "",
            &BTreeMap::new(),
        )
        .unwrap();
    f.store.set_alias("moons", "champion", 1).unwrap();
    let (_, html) = get(&f, "/ui/models").await;
    assert!(html.contains("data-model=\"moons\""));
    let (_, html) = get(&f, "/ui/models/moons").await;
    assert!(html.contains("data-version=\"1\"") && html.contains("data-alias=\"champion\""));
    assert!(html.contains(&f.ids[2]));
    let (status, _) = get(&f, "/ui/models/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, html) = get(&f, "/ui/live").await;
    assert!(
        html.contains("data-key=\"requests\" data-value=\"41\""),
        "{html}"
    );
    let (_, fragment) = get(&f, "/ui/live/fragment?target=0").await;
    assert!(fragment.contains("data-value=\"41\"") && !fragment.contains("<html"));
    let (status, _) = get(&f, "/ui/live/fragment?target=5").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[test]
fn run_report_is_one_offline_file() {
    let f = fixture();
    let html = kiln_ui::run_report(&f.store, &f.ids[2]).unwrap();
    assert!(html.contains("<h1 id=\"run-name\">third</h1>"));
    // Nothing that would fetch: no script, link, src or remote URL (SVG's namespace name is
    // an identifier, never fetched).
    let html = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in ["<script", "<link", "http://", "https://"] {
        assert!(!html.contains(needle), "{needle} in the report");
    }
    // Pictures are inline (data: URIs), never fetched.
    for src in html.split(" src=\"").skip(1) {
        assert!(src.starts_with("data:"), "an image fetched from {src:.40}");
    }
}
