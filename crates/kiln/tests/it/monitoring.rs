//! The reference profile travels in the model file; feedback accuracy equals offline accuracy.

use std::sync::Arc;

use super::*;
use kiln::TrainedModel;
use kiln::data::ColumnData;
use kiln::monitor::{Monitor, MonitorConfig, Truth, WindowSpec};

#[test]
fn profile_round_trips_and_live_accuracy_equals_offline_accuracy() {
    let work = Work::new();
    let spec = work.write("moons.toml", &example("moons-mlp"));
    let out = work.path("moons.kiln");
    let result = train(&spec, &out, Cache::new(work.path("cache")), |r| {
        r.epochs = Some(3)
    });
    let model = TrainedModel::load(&out).expect("load");
    let profile = model.header.profile.clone().expect("a profile is stored");
    // The profile written equals the one computed in memory, so it survived the file.
    assert_eq!(Some(&profile), result.file.header.profile.as_ref());
    // Every held-out row: validation and test.
    assert_eq!(
        profile.rows,
        model.header.data.validation_rows + model.header.data.test_rows
    );
    let names: Vec<&str> = profile.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["x0", "x1"]);
    let metric = profile.metric.clone().expect("the validation metric");
    assert_eq!(metric.name, "accuracy");
    assert_eq!(metric.value, headline(&result, "validation"));

    // Feed the model's own test rows through a monitor and send back the true labels.
    let table = kiln::data::datasets::make_moons(400, 0.2, 11);
    let predictions = model.predict(&table).expect("predict");
    let outputs = kiln::monitor_outputs(&predictions);
    let config = MonitorConfig {
        windows: vec![WindowSpec::Count { rows: 1000 }],
        ..MonitorConfig::default()
    };
    let mut monitor = Monitor::new("moons", Arc::new(profile), config).unwrap();
    let ids = monitor.observe(&table, outputs.as_outputs()).unwrap();
    let ColumnData::Number(labels) = &table.require("label").unwrap().data else {
        panic!("moons labels are numbers")
    };
    // Labels sent back as JSON numbers (`0`, `1`), as a client would.
    let truths: Vec<Truth> = labels.iter().map(|&l| Truth::Value(l)).collect();
    assert_eq!(monitor.feedback(&ids, &truths).unwrap().matched, 400);
    let live = monitor.status().windows[0].performance.live.unwrap();
    let Metrics::Classification(offline) = model.evaluate(&table).unwrap() else {
        panic!("classification")
    };
    assert!(
        (live - offline.accuracy).abs() < 1e-12,
        "live {live} vs offline {}",
        offline.accuracy
    );
}
