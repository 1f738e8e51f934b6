//! The live monitor on seeded synthetic traffic.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use kiln_data::{Column, Encoder, FittedInput, FittedOutput, NumberTransform, Table};
use kiln_monitor::{
    Distribution, Monitor, MonitorConfig, Outputs, ProfileConfig, ReferenceMetric,
    ReferenceProfile, State, Truth, Webhook, WindowSpec, batch_status, render_html,
    render_prometheus,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Normal};

fn encoder() -> Encoder {
    let number = |name: &str| FittedInput::Number {
        name: name.into(),
        transform: NumberTransform::None,
        fill: None,
    };
    Encoder {
        inputs: vec![
            number("x1"),
            number("x2"),
            FittedInput::Category {
                name: "colour".into(),
                vocabulary: vec!["blue".into(), "green".into(), "red".into()],
                fill: None,
            },
        ],
        output: FittedOutput::Binary {
            name: "y".into(),
            classes: ["0".into(), "1".into()],
        },
    }
}

/// `n` rows: x1 ~ N(shift, 1), x2 ~ N(0, 2), colour blue/green/red with weights `w`;
/// the "model" predicts 1 when x1 + x2/2 > 0, and the truth flips 10 % of predictions.
fn rows(
    rng: &mut ChaCha8Rng,
    n: usize,
    shift: f64,
    w: [f64; 3],
) -> (Table, Vec<usize>, Vec<usize>) {
    let (n1, n2) = (
        Normal::new(shift, 1.0).unwrap(),
        Normal::new(0.0, 2.0).unwrap(),
    );
    let mut x1 = Vec::with_capacity(n);
    let mut x2 = Vec::with_capacity(n);
    let mut colour = Vec::with_capacity(n);
    let mut pred = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    let total: f64 = w.iter().sum();
    for _ in 0..n {
        let (a, b) = (n1.sample(rng), n2.sample(rng));
        let u: f64 = rng.random::<f64>() * total;
        let c = if u < w[0] {
            "blue"
        } else if u < w[0] + w[1] {
            "green"
        } else {
            "red"
        };
        x1.push(a);
        x2.push(b);
        colour.push(Some(c.to_string()));
        let p = usize::from(a + b / 2.0 > 0.0);
        pred.push(p);
        truth.push(if rng.random::<f64>() < 0.1 { 1 - p } else { p });
    }
    let table = Table::new(vec![
        Column::number("x1", x1),
        Column::number("x2", x2),
        Column::text("colour", colour),
    ])
    .unwrap();
    (table, pred, truth)
}

const W: [f64; 3] = [0.5, 0.3, 0.2];

fn profile(rng: &mut ChaCha8Rng, n: usize) -> ReferenceProfile {
    let (table, pred, _) = rows(rng, n, 0.0, W);
    ReferenceProfile::build(
        &encoder(),
        &table,
        Outputs::Classes(&pred),
        Some(ReferenceMetric {
            name: "accuracy".into(),
            value: 0.9,
        }),
        ProfileConfig::default(),
    )
    .unwrap()
}

fn config(windows: Vec<WindowSpec>) -> MonitorConfig {
    MonitorConfig {
        windows,
        ..MonitorConfig::default()
    }
}

#[test]
fn profile_describes_the_reference_and_round_trips() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let p = profile(&mut rng, 800);
    assert_eq!(p.features.len(), 3);
    let Distribution::Numeric {
        mean, std, sample, ..
    } = &p.features[1].distribution
    else {
        panic!("x2 is numeric")
    };
    assert!(mean.abs() < 0.25 && (std - 2.0).abs() < 0.2, "{mean} {std}");
    assert_eq!(sample.len(), 800);
    let Distribution::Categorical { counts, .. } = &p.features[2].distribution else {
        panic!("colour is categorical")
    };
    assert_eq!(counts.iter().sum::<f64>(), 800.0);
    assert!((counts[0] / 800.0 - 0.5).abs() < 0.05);
    let json = serde_json::to_string(&p).unwrap();
    let back: ReferenceProfile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn large_references_keep_a_bounded_sample() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let (table, pred, _) = rows(&mut rng, 12_000, 0.0, W);
    let p = ReferenceProfile::build(
        &encoder(),
        &table,
        Outputs::Classes(&pred),
        None,
        ProfileConfig { max_sample: 1000 },
    )
    .unwrap();
    let Distribution::Numeric { sample, .. } = &p.features[0].distribution else {
        panic!()
    };
    assert_eq!(sample.len(), 1000);
    assert_eq!(p.features[0].count, 12_000);
}

#[test]
fn same_distribution_is_ok_and_a_shift_is_flagged() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let p = Arc::new(profile(&mut rng, 800));
    let mut m = Monitor::new(
        "toy",
        p.clone(),
        config(vec![WindowSpec::Count { rows: 400 }]),
    )
    .unwrap();
    let (t, pred, _) = rows(&mut rng, 400, 0.0, W);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let s = m.status_at(0);
    assert_eq!(s.state, State::Ok, "{}", s.nagios_line());
    assert_eq!(s.windows[0].features[0].method, kiln_monitor::Method::Ks);

    // A one-sigma shift of x1 in the next 400 rows: x1 drifts (and so does the prediction).
    let (t, pred, _) = rows(&mut rng, 400, 1.0, W);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let s = m.status_at(0);
    let w = &s.windows[0];
    assert!(w.features[0].drifted, "{}", s.nagios_line());
    assert!(
        !w.features[1].drifted && !w.features[2].drifted,
        "{}",
        s.nagios_line()
    );
    assert!(s.state >= State::Warning);
    // One of three input features is below the 50 % dataset-drift share.
    assert!(!w.dataset_drift);

    // Doubling red's share: the category drifts too; 2 of 3 features make dataset drift.
    let (t, pred, _) = rows(&mut rng, 400, 1.0, [0.3, 0.3, 0.4]);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let s = m.status_at(0);
    assert!(s.windows[0].features[2].drifted, "{}", s.nagios_line());
    assert_eq!(
        s.windows[0].features[2].method,
        kiln_monitor::Method::Chisquare
    );
    assert!(s.windows[0].dataset_drift);
    assert_eq!(s.state, State::Critical);
    assert!(
        s.nagios_line().starts_with("KILN CRITICAL - model toy: "),
        "{}",
        s.nagios_line()
    );
}

#[test]
fn memory_stays_bounded_under_a_long_stream() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let p = Arc::new(profile(&mut rng, 300));
    let cfg = MonitorConfig {
        max_pending: 2_000,
        ..config(vec![
            WindowSpec::Count { rows: 250 },
            WindowSpec::Time {
                seconds: 60,
                max_rows: 700,
            },
        ])
    };
    let mut m = Monitor::new("toy", p, cfg).unwrap();
    let bound = 250 * 2 + 700 * 2 + 2 * 2_000 + 1024;
    let mut held = Vec::new();
    for batch in 0..200u64 {
        let (t, pred, truth) = rows(&mut rng, 250, 0.0, W);
        // Ten batches a second: the time window sees 600 rows a minute... capped at 700.
        let at = batch * 100;
        let ids = m.observe_at(&t, Outputs::Classes(&pred), at).unwrap();
        // Feedback for every other batch only, so unanswered predictions pile up.
        if batch % 2 == 0 {
            let truths: Vec<Truth> = truth.iter().map(|&c| Truth::Label(c.to_string())).collect();
            m.feedback_at(&ids, &truths, at).unwrap();
        }
        held.push(m.held_items());
        assert!(
            m.held_items() <= bound,
            "batch {batch}: {} items held",
            m.held_items()
        );
    }
    // 50 000 rows later, memory is what it was after the first few thousand.
    assert!(
        held[199] <= held[40] + 1024,
        "{} vs {}",
        held[199],
        held[40]
    );
    let s = m.status_at(199 * 100);
    assert_eq!(s.windows[0].rows, 250);
    assert_eq!(s.windows[1].rows, 700);
    assert_eq!(s.observed_total, 50_000);
}

#[test]
fn time_windows_forget_old_rows() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let p = Arc::new(profile(&mut rng, 300));
    let mut m = Monitor::new(
        "toy",
        p,
        config(vec![WindowSpec::Time {
            seconds: 10,
            max_rows: 10_000,
        }]),
    )
    .unwrap();
    let (t, pred, _) = rows(&mut rng, 100, 0.0, W);
    m.observe_at(&t, Outputs::Classes(&pred), 1_000).unwrap();
    let (t, pred, _) = rows(&mut rng, 50, 0.0, W);
    m.observe_at(&t, Outputs::Classes(&pred), 8_000).unwrap();
    assert_eq!(m.status_at(9_000).windows[0].rows, 150);
    assert_eq!(m.status_at(12_000).windows[0].rows, 50);
    assert_eq!(m.status_at(30_000).windows[0].rows, 0);
}

#[test]
fn feedback_gives_live_accuracy_and_its_state() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let p = Arc::new(profile(&mut rng, 300));
    let mut m = Monitor::new("toy", p, config(vec![WindowSpec::Count { rows: 1000 }])).unwrap();
    let (t, pred, truth) = rows(&mut rng, 600, 0.0, W);
    let ids = m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let truths: Vec<Truth> = truth.iter().map(|&c| Truth::Value(c as f64)).collect();
    let sum = m.feedback_at(&ids, &truths, 0).unwrap();
    assert_eq!((sum.matched, sum.unknown), (600, 0));
    let offline = pred.iter().zip(&truth).filter(|(a, b)| a == b).count() as f64 / 600.0;
    let perf = &m.status_at(0).windows[0].performance;
    assert_eq!(perf.labelled, 600);
    assert_eq!(perf.live, Some(offline));
    assert_eq!(perf.state, State::Ok);
    // The same ids again are unknown now; a label the model does not know is an error.
    assert_eq!(
        m.feedback_at(&ids[..3], &truths[..3], 0).unwrap().unknown,
        3
    );
    let err = m
        .feedback_at(&[1], &[Truth::Label("maybe".into())], 0)
        .unwrap_err();
    assert!(err.to_string().contains("unknown class \"maybe\""), "{err}");

    // Every prediction wrong from now on: accuracy collapses, the window goes CRITICAL.
    let (t, pred, _) = rows(&mut rng, 600, 0.0, W);
    let ids = m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let wrong: Vec<Truth> = pred
        .iter()
        .map(|&c| Truth::Label((1 - c).to_string()))
        .collect();
    m.feedback_at(&ids, &wrong, 0).unwrap();
    let s = m.status_at(0);
    assert_eq!(s.windows[0].performance.state, State::Critical);
    assert_eq!(s.state, State::Critical);
}

#[test]
fn status_json_and_prometheus_text() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let p = Arc::new(profile(&mut rng, 300));
    let mut m = Monitor::new("toy", p, MonitorConfig::default()).unwrap();
    let (t, pred, _) = rows(&mut rng, 200, 0.0, W);
    m.observe_at(&t, Outputs::Classes(&pred), 5_000).unwrap();
    let s = m.status_at(5_000);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["state"], "OK");
    assert_eq!(json["windows"][0]["name"], "last_500");
    assert_eq!(json["windows"][1]["spec"]["kind"], "time");
    assert_eq!(json["windows"][0]["features"][0]["method"], "ks");
    assert!(json["windows"][0]["features"][0]["statistic"].is_f64());
    let back: kiln_monitor::MonitorStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back.windows.len(), 2);
    let text = render_prometheus(&[s]);
    assert!(
        text.contains("# TYPE kiln_monitor_state gauge\nkiln_monitor_state{model=\"toy\"} 0\n"),
        "{text}"
    );
    assert!(text.contains("kiln_monitor_window_rows{model=\"toy\",window=\"last_500\"} 200\n"));
    assert!(text.contains("kiln_monitor_drift_statistic{model=\"toy\",window=\"last_500\",feature=\"x1\",method=\"ks\"} "));
    assert!(text.contains("kiln_monitor_observed_rows_total{model=\"toy\"} 200\n"));
}

/// A one-shot webhook receiver: its URL, and the body of the first POST it gets.
fn webhook_sink() -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        // Read headers and the body announced by content-length.
        loop {
            let n = stream.read(&mut chunk).unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    stream
                        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .unwrap();
                    return text[end + 4..].to_string();
                }
            }
            if n == 0 {
                return String::new();
            }
        }
    });
    (url, server)
}

#[test]
fn webhook_receives_the_state_change() {
    let (url, server) = webhook_sink();
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let p = Arc::new(profile(&mut rng, 300));
    let cfg = MonitorConfig {
        check_every_rows: 100,
        ..config(vec![WindowSpec::Count { rows: 300 }])
    };
    let mut m = Monitor::new("toy", p, cfg)
        .unwrap()
        .with_webhook(Webhook::new(url, Duration::from_secs(5)));
    let (t, pred, _) = rows(&mut rng, 300, 3.0, [0.1, 0.1, 0.8]);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let body = server.join().unwrap();
    let change: kiln_monitor::StateChange = serde_json::from_str(&body).unwrap();
    assert_eq!(change.model, "toy");
    assert_eq!(change.previous, State::Ok);
    assert_eq!(change.state, State::Critical);
}

#[test]
fn offline_report_is_self_contained_html() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let p = profile(&mut rng, 500);
    let (t, pred, _) = rows(&mut rng, 300, 0.8, W);
    let s = batch_status("toy", &p, &t, Outputs::Classes(&pred), Default::default()).unwrap();
    assert!(s.windows[0].features[0].drifted);
    let html = render_html(&p, &s, &t, Outputs::Classes(&pred), "batch.csv").unwrap();
    assert!(html.starts_with("<!doctype html>"));
    // One inline SVG per feature plus the prediction, and nothing fetched from elsewhere.
    assert_eq!(html.matches("<svg").count(), 4);
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(html.contains("x1") && html.contains("colour") && html.contains("WARNING"));

    // Each chart's x-axis labels follow its data: the two predicted classes are "0" and "1"
    // (not "0" and "<other>", as the plotters chart labelled them), colour its categories, and
    // a numeric feature's ticks are round multiples of one step.
    let chart = |name: &str| {
        let start = html
            .find(&format!("aria-label=\"{name}\""))
            .unwrap_or_else(|| panic!("no chart {name}"));
        let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
        let axis = &svg[svg.find("<g class=\"x-axis\"").expect("x axis")..];
        let axis = &axis[..axis.find("</g>").unwrap()];
        axis.split("class=\"tick\"")
            .skip(1)
            .map(|t| {
                let t = &t[t.find('>').unwrap() + 1..];
                t[..t.find('<').unwrap()].to_string()
            })
            .collect::<Vec<String>>()
    };
    assert_eq!(chart("prediction"), ["0", "1"]);
    assert_eq!(chart("colour"), ["blue", "green", "red"]);
    let ticks: Vec<f64> = chart("x2")
        .iter()
        .map(|t| {
            t.replace('\u{2212}', "-")
                .parse()
                .unwrap_or_else(|_| panic!("tick {t}"))
        })
        .collect();
    assert!(ticks.len() >= 3, "{ticks:?}");
    let step = ticks[1] - ticks[0];
    for t in &ticks {
        let k = t / step;
        assert!(
            (k - k.round()).abs() < 1e-9,
            "{t} is not a multiple of {step}: {ticks:?}"
        );
    }
}

#[test]
fn a_status_input_is_a_snapshot_computed_later() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let p = Arc::new(profile(&mut rng, 800));
    let mut m = Monitor::new("toy", p, config(vec![WindowSpec::Count { rows: 400 }])).unwrap();
    let (t, pred, _) = rows(&mut rng, 400, 0.0, W);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let input = m.status_input_at(0);
    let then = m.status_at(0);
    assert_eq!(then.state, State::Ok, "{}", then.nagios_line());
    // Rows observed after the copy do not reach it: the server computes statuses from such a
    // copy outside the lock its inference thread takes.
    let (t, pred, _) = rows(&mut rng, 400, 1.5, W);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    assert_eq!(input.compute(), then);
    let now = m.status_at(0);
    assert!(now.windows[0].features[0].drifted, "{}", now.nagios_line());
    assert_eq!(now.observed_total, 800);
}

#[test]
fn deferred_checks_are_marked_for_the_caller_who_notes_the_state() {
    let (url, server) = webhook_sink();
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let p = Arc::new(profile(&mut rng, 300));
    let cfg = MonitorConfig {
        check_every_rows: 100,
        ..config(vec![WindowSpec::Count { rows: 300 }])
    };
    let mut m = Monitor::new("toy", p, cfg)
        .unwrap()
        .with_webhook(Webhook::new(url, Duration::from_secs(5)))
        .with_deferred_checks();
    let (t, pred, _) = rows(&mut rng, 60, 3.0, [0.1, 0.1, 0.8]);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    assert!(!m.take_check_due(), "60 of 100 rows");
    let (t, pred, _) = rows(&mut rng, 240, 3.0, [0.1, 0.1, 0.8]);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    assert!(m.take_check_due(), "300 rows make a check due");
    assert!(!m.take_check_due(), "taking the mark clears it");
    let status = m.status_input_at(0).compute();
    m.note_state(&status);
    let change: kiln_monitor::StateChange = serde_json::from_str(&server.join().unwrap()).unwrap();
    assert_eq!(change.previous, State::Ok);
    assert_eq!(change.state, State::Critical);
    assert_eq!(change.state, status.state);
}

#[test]
fn a_ks_p_value_that_only_informs_is_the_asymptotic_one() {
    // 2,000 reference rows: x1 is judged by Wasserstein, and KS is reported beside it.
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let p = Arc::new(profile(&mut rng, 2_000));
    let mut m = Monitor::new(
        "toy",
        p.clone(),
        config(vec![WindowSpec::Count { rows: 500 }]),
    )
    .unwrap();
    let (t, pred, _) = rows(&mut rng, 500, 0.1, W);
    m.observe_at(&t, Outputs::Classes(&pred), 0).unwrap();
    let x1 = &m.status_at(0).windows[0].features[0];
    assert_eq!(x1.method, kiln_monitor::Method::Wasserstein);
    let Distribution::Numeric { sample, .. } = &p.features[0].distribution else {
        panic!("x1 is numeric")
    };
    let Some(kiln_data::ColumnData::Number(window)) = t.column("x1").map(|c| &c.data) else {
        panic!("x1 is a number column")
    };
    let exact = kiln_monitor::stats::ks_2samp(sample, window).unwrap();
    let reported = x1.statistics["ks_p_value"];
    assert!((x1.statistics["ks_statistic"] - exact.statistic).abs() < 1e-12);
    assert!(
        (reported - exact.p_value).abs() < 0.01 && reported != exact.p_value,
        "asymptotic {reported} vs exact {}",
        exact.p_value
    );
}
