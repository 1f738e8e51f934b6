//! Detection power and false alarms of the live monitor on seeded streams (issue 4).
//!
//! `cargo run --release -p kiln-monitor --example drift_power [-- --trials N --windows N]`
//!
//! Scenarios, each with the default [`MonitorConfig`] (windows of the last 500 requests,
//! Evidently's test choice, α = 0.01 with Bonferroni):
//! - moons (550 reference rows, the `moons-mlp` example's held-out rows): a 0.5σ mean
//!   shift of `x0` starting at request 0 of the shifted stream; one row per request, the state
//!   is checked every 10 requests.
//! - boston (101 reference rows, the rest streamed with replacement), 0.5σ shift of `rm`;
//!   only when the dataset is in the kiln cache or can be fetched.
//! - a category whose frequency doubles (10 % → 20 %), 1000 reference rows.
//! - false alarms: same-distribution streams, state checked on non-overlapping windows.
//!
//! Predictions come from a fixed rule standing in for the model: the monitor tests inputs and
//! predictions the same way whatever produced them.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;

use kiln_data::datasets::make_moons;
use kiln_data::{
    Cache, Column, ColumnData, Encoder, FittedInput, FittedOutput, NumberTransform, Part, Table,
};
use kiln_monitor::{Monitor, MonitorConfig, OwnedOutputs, ProfileConfig, ReferenceProfile, State};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

struct Scenario {
    name: &'static str,
    encoder: Encoder,
    reference: Table,
    /// A fresh same-distribution batch of `n` rows for a seed.
    draw: Box<dyn Fn(usize, u64) -> Table>,
    predict: fn(&Table) -> OwnedOutputs,
    /// A drifted batch of `n` rows for a seed, and the feature it should flag.
    draw_shifted: Box<dyn Fn(usize, u64) -> Table>,
    feature: &'static str,
}

fn numbers(t: &Table, name: &str) -> Vec<f64> {
    match &t.column(name).expect("column").data {
        ColumnData::Number(v) => v.clone(),
        _ => panic!("{name} is not numeric"),
    }
}

fn with_column(t: &Table, name: &str, data: ColumnData) -> Table {
    let mut t = t.clone();
    for c in &mut t.columns {
        if c.name == name {
            c.data = data.clone();
        }
    }
    t
}

fn number_encoder(names: &[&str], output: FittedOutput) -> Encoder {
    Encoder {
        inputs: names
            .iter()
            .map(|n| FittedInput::Number {
                name: (*n).to_string(),
                transform: NumberTransform::None,
                fill: None,
            })
            .collect(),
        output,
    }
}

fn std_of(v: &[f64]) -> f64 {
    kiln_monitor::stats::population_std(v)
}

fn moons() -> Scenario {
    let reference = make_moons(550, 0.2, 0);
    let sigma = std_of(&numbers(&reference, "x0"));
    Scenario {
        name: "moons: x0 + 0.5σ",
        encoder: number_encoder(
            &["x0", "x1"],
            FittedOutput::Binary {
                name: "label".into(),
                classes: ["0".into(), "1".into()],
            },
        ),
        reference,
        draw: Box::new(|n, seed| make_moons(n, 0.2, 1000 + seed)),
        predict: |t| {
            let (a, b) = (numbers(t, "x0"), numbers(t, "x1"));
            // Above or below a sine between the moons.
            OwnedOutputs::Classes(
                a.iter()
                    .zip(&b)
                    .map(|(&x, &y)| usize::from(y < 0.25 - 0.5 * (x - 0.5).abs() + 0.25))
                    .collect(),
            )
        },
        draw_shifted: Box::new(move |n, seed| {
            let t = make_moons(n, 0.2, 1000 + seed);
            let v: Vec<f64> = numbers(&t, "x0").iter().map(|x| x + 0.5 * sigma).collect();
            with_column(&t, "x0", ColumnData::Number(v))
        }),
        feature: "x0",
    }
}

const BOSTON: [&str; 13] = [
    "crim", "zn", "indus", "chas", "nox", "rm", "age", "dis", "rad", "tax", "ptratio", "b", "lstat",
];

fn boston() -> Option<Scenario> {
    let cache = Cache::from_env().ok()?;
    let table = match kiln_data::load("boston", Part::Train, &cache, None) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("boston skipped: {e}");
            return None;
        }
    };
    let mut idx: Vec<usize> = (0..table.len()).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(0));
    let reference = table.take(&idx[..101]);
    let pool = Arc::new(table.take(&idx[101..]));
    let sigma = std_of(&numbers(&reference, "rm"));
    let bootstrap = move |n: usize, seed: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(2000 + seed);
        let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..pool.len())).collect();
        pool.take(&rows)
    };
    let draw = Arc::new(bootstrap);
    let draw2 = draw.clone();
    Some(Scenario {
        name: "boston: rm + 0.5σ",
        encoder: number_encoder(
            &BOSTON,
            FittedOutput::Number {
                name: "medv".into(),
                mean: 0.0,
                std: 1.0,
            },
        ),
        reference,
        draw: Box::new(move |n, seed| draw(n, seed)),
        predict: |t| {
            OwnedOutputs::Values(
                numbers(t, "lstat")
                    .iter()
                    .map(|l| 34.5 - 0.95 * l)
                    .collect(),
            )
        },
        draw_shifted: Box::new(move |n, seed| {
            let t = draw2(n, seed);
            let v: Vec<f64> = numbers(&t, "rm").iter().map(|x| x + 0.5 * sigma).collect();
            with_column(&t, "rm", ColumnData::Number(v))
        }),
        feature: "rm",
    })
}

const PLANS: [&str; 4] = ["basic", "family", "pro", "student"];

fn plans(n: usize, seed: u64, weights: [f64; 4]) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut plan = Vec::with_capacity(n);
    let mut usage = Vec::with_capacity(n);
    for _ in 0..n {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let mut k = 3;
        for (i, w) in weights.iter().enumerate() {
            acc += w;
            if u < acc {
                k = i;
                break;
            }
        }
        plan.push(Some(PLANS[k].to_string()));
        usage.push(rng.random::<f64>() * 10.0);
    }
    Table::new(vec![
        Column::text("plan", plan),
        Column::number("usage", usage),
    ])
    .expect("table")
}

const BASE: [f64; 4] = [0.4, 0.3, 0.2, 0.1];
// `student` doubles from 10 % to 20 %; the others shrink in proportion.
const DOUBLED: [f64; 4] = [0.4 * 8.0 / 9.0, 0.3 * 8.0 / 9.0, 0.2 * 8.0 / 9.0, 0.2];

fn category() -> Scenario {
    Scenario {
        name: "category: student 10% → 20%",
        encoder: Encoder {
            inputs: vec![
                FittedInput::Category {
                    name: "plan".into(),
                    vocabulary: PLANS.iter().map(|s| s.to_string()).collect(),
                    fill: None,
                },
                FittedInput::Number {
                    name: "usage".into(),
                    transform: NumberTransform::None,
                    fill: None,
                },
            ],
            output: FittedOutput::Binary {
                name: "churn".into(),
                classes: ["no".into(), "yes".into()],
            },
        },
        reference: plans(1000, 0, BASE),
        draw: Box::new(|n, seed| plans(n, 3000 + seed, BASE)),
        predict: |t| {
            OwnedOutputs::Classes(
                numbers(t, "usage")
                    .iter()
                    .map(|&u| usize::from(u < 2.0))
                    .collect(),
            )
        },
        draw_shifted: Box::new(|n, seed| plans(n, 3000 + seed, DOUBLED)),
        feature: "plan",
    }
}

fn profile(s: &Scenario) -> Arc<ReferenceProfile> {
    let out = (s.predict)(&s.reference);
    Arc::new(
        ReferenceProfile::build(
            &s.encoder,
            &s.reference,
            out.as_outputs(),
            None,
            ProfileConfig::default(),
        )
        .expect("profile"),
    )
}

/// Requests (one row each) after the shift starts until the feature is flagged, checking
/// every `every` requests; `None` if not within `limit`.
fn detection_delay(
    s: &Scenario,
    p: &Arc<ReferenceProfile>,
    seed: u64,
    limit: usize,
) -> (Option<usize>, Option<usize>) {
    let mut m = Monitor::new(s.name, p.clone(), MonitorConfig::default()).expect("monitor");
    let warm = (s.draw)(500, seed);
    m.observe_at(&warm, (s.predict)(&warm).as_outputs(), 0)
        .expect("observe");
    let stream = (s.draw_shifted)(limit, seed + 1_000_000);
    let every = 10;
    let (mut feature_at, mut state_at) = (None, None);
    for start in (0..limit).step_by(every) {
        for r in start..(start + every).min(limit) {
            let row = stream.take(&[r]);
            m.observe_at(&row, (s.predict)(&row).as_outputs(), 0)
                .expect("observe");
        }
        let st = m.status_at(0);
        let w = &st.windows[0];
        let done = start + every;
        if feature_at.is_none() && w.features.iter().any(|f| f.name == s.feature && f.drifted) {
            feature_at = Some(done);
        }
        if state_at.is_none() && st.state != State::Ok {
            state_at = Some(done);
        }
        if feature_at.is_some() && state_at.is_some() {
            break;
        }
    }
    (feature_at, state_at)
}

/// Share of non-overlapping 500-row windows of a same-distribution stream whose state is not OK.
fn false_alarms(s: &Scenario, p: &Arc<ReferenceProfile>, windows: usize) -> (usize, usize) {
    let mut m = Monitor::new(s.name, p.clone(), MonitorConfig::default()).expect("monitor");
    let mut alarms = 0;
    for w in 0..windows {
        let batch = (s.draw)(500, 10_000_000 + w as u64);
        m.observe_at(&batch, (s.predict)(&batch).as_outputs(), 0)
            .expect("observe");
        if m.status_at(0).state != State::Ok {
            alarms += 1;
        }
    }
    (alarms, windows)
}

fn median(v: &mut [usize]) -> usize {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let mut trials = 50usize;
    let mut windows = 1000usize;
    let args: Vec<String> = std::env::args().collect();
    for pair in args[1..].chunks(2) {
        match (pair[0].as_str(), pair.get(1).and_then(|v| v.parse().ok())) {
            ("--trials", Some(n)) => trials = n,
            ("--windows", Some(n)) => windows = n,
            _ => {
                eprintln!("usage: drift_power [--trials N] [--windows N]");
                std::process::exit(2);
            }
        }
    }
    let mut scenarios = vec![moons()];
    scenarios.extend(boston());
    scenarios.push(category());
    println!(
        "| scenario | reference rows | detected ≤ 500 requests | median requests to flag the feature | worst | median to non-OK state | false alarms (non-OK windows of 500 rows) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for s in &scenarios {
        let p = profile(s);
        let mut feature = Vec::new();
        let mut state = Vec::new();
        let mut missed = 0;
        for t in 0..trials {
            match detection_delay(s, &p, t as u64, 500) {
                (Some(f), st) => {
                    feature.push(f);
                    state.extend(st);
                }
                (None, st) => {
                    missed += 1;
                    state.extend(st);
                }
            }
        }
        let (alarms, n) = false_alarms(s, &p, windows);
        let detected = trials - missed;
        let worst = feature
            .iter()
            .max()
            .copied()
            .map_or("–".into(), |v| v.to_string());
        let med = if feature.is_empty() {
            "–".into()
        } else {
            median(&mut feature).to_string()
        };
        let med_state = if state.is_empty() {
            "–".into()
        } else {
            median(&mut state).to_string()
        };
        println!(
            "| {} | {} | {detected}/{trials} | {med} | {worst} | {med_state} | {alarms}/{n} = {:.2} % |",
            s.name,
            s.reference.len(),
            100.0 * alarms as f64 / n as f64
        );
    }
}
