//! Predictions apply the stored transforms; bad input is named.

use super::*;
use kiln::TrainedModel;
use kiln::data::read_table;

const SPEC: &str = r#"
name = "colors"
[data]
source = "train.csv"
[data.split]
validation = 0.0
test = 0.25
[[input]]
name = "color"
type = "category"
[[input]]
name = "x"
type = "number"
[output]
name = "y"
type = "category"
[[layers]]
type = "dense"
units = 8
activation = "relu"
[training]
epochs = 40
batch_size = 8
[training.optimizer]
type = "adam"
learning_rate = 0.02
"#;

fn training_csv() -> String {
    // y is "hot" for red, or for any color when x > 5.
    let mut s = String::from("color,x,y\n");
    for i in 0..120 {
        let color = ["red", "green", "blue"][i % 3];
        let x = (i * 7 % 11) as f64;
        let y = if color == "red" || x > 5.0 {
            "hot"
        } else {
            "cold"
        };
        s.push_str(&format!("{color},{x},{y}\n"));
    }
    s
}

fn trained(work: &Work) -> TrainedModel {
    work.write("train.csv", &training_csv());
    let spec = work.write("colors.toml", SPEC);
    let out = work.path("colors.kiln");
    let result = train(&spec, &out, Cache::new(work.path("cache")), |_| {});
    assert!(
        headline(&result, "test") > 0.85,
        "{:?}",
        result.metrics.get("test").map(|m| m.headline())
    );
    TrainedModel::load(&out).expect("load")
}

#[test]
fn predictions_match_evaluation_and_have_probabilities() {
    let work = Work::new();
    let model = trained(&work);
    let table = read_table(
        &work.write("in.csv", "color,x\nred,1\nblue,9\ngreen,2\n"),
        None,
    )
    .unwrap();
    let p = model.predict(&table).expect("predict");
    assert_eq!(p.rows, 3);
    assert_eq!(p.classes, vec!["cold".to_string(), "hot".to_string()]);
    assert_eq!(p.label(0), Some("hot"));
    assert_eq!(p.label(1), Some("hot"));
    assert_eq!(p.label(2), Some("cold"));
    for i in 0..3 {
        let s: f32 = p.probabilities_of(i).iter().sum();
        assert!((s - 1.0).abs() < 1e-5);
    }
}

#[test]
fn unseen_category_goes_to_unknown_bucket_with_a_warning() {
    let work = Work::new();
    let model = trained(&work);
    let table = read_table(&work.write("in.csv", "color,x\npurple,9\nred,1\n"), None).unwrap();
    let p = model
        .predict(&table)
        .expect("unseen categories are not an error");
    assert_eq!(p.rows, 2);
    let w = format!("{:?}", p.warnings);
    assert!(w.contains("color") && w.contains("unknown"), "{w}");
}

#[test]
fn missing_feature_is_named() {
    let work = Work::new();
    let model = trained(&work);
    let table = read_table(&work.write("in.csv", "color\nred\n"), None).unwrap();
    let err = model.predict(&table).expect_err("x is missing").to_string();
    assert!(err.contains('x'), "{err}");
}

#[test]
fn evaluate_rederives_the_test_split() {
    let work = Work::new();
    let model = trained(&work);
    let stored = model.header.metrics["test"].headline().1;
    let (m, warning) = model
        .evaluate_selection(&kiln::DataSelection::Test, &Cache::new(work.path("cache")))
        .expect("evaluate");
    assert!(warning.is_none(), "{warning:?}");
    assert!((m.headline().1 - stored).abs() < 1e-12);
    // Changing the data is detected through the digest.
    let changed = training_csv().replace("red,0,hot", "red,0,cold");
    work.write("train.csv", &changed);
    let (_, warning) = model
        .evaluate_selection(&kiln::DataSelection::Test, &Cache::new(work.path("cache")))
        .expect("evaluate");
    assert!(warning.is_some_and(|w| w.contains("digest")));
}
