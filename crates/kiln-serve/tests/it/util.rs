//! Fixtures (models trained once per test binary) and request helpers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kiln::data::{Cache, Column, ColumnData, ImageData, Table};
use kiln::{Sequential, TrainRequest, TrainedModel};
use kiln_serve::wire::row::row_json;
use kiln_serve::{AppState, ModelSource, ServeConfig};
use serde_json::Value;
use tower::ServiceExt;

/// Model files shared by the tests.
pub(crate) struct Fixtures {
    _dir: tempfile::TempDir,
    /// Moons MLP, 3 epochs (`x0`, `x1` → `label` 0/1).
    pub moons: PathBuf,
    /// The same spec trained 1 epoch: other weights, for hot swap.
    pub moons_other: PathBuf,
    /// Regression on a number with a mean fill, a category and a binary input.
    pub mixed: PathBuf,
    /// 4×4 grey images → 3 classes.
    pub image: PathBuf,
    /// Rows of the moons data as CSV (`x0,x1`).
    pub moons_rows_csv: PathBuf,
    /// Rows for the mixed model as CSV.
    pub mixed_rows_csv: PathBuf,
}

pub(crate) fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(build_fixtures)
}

fn train(dir: &Path, spec_name: &str, spec: &str, out: &str, epochs: usize) -> PathBuf {
    let spec_path = dir.join(spec_name);
    std::fs::write(&spec_path, spec).unwrap();
    let mut request = TrainRequest::new(&spec_path, dir.join(out), Cache::new(dir.join("cache")));
    request.epochs = Some(epochs);
    request.checkpoint = false;
    kiln::train_spec(&request, |_| {}).expect("train a fixture model");
    dir.join(out)
}

const MIXED_SPEC: &str = r#"
name = "mixed"
[data]
source = "mixed.csv"
[data.split]
test = 0.2
validation = 0.0
[[input]]
name = "size"
type = "number"
transform = "standardize"
missing = "mean"
[[input]]
name = "color"
type = "category"
[[input]]
name = "fresh"
type = "binary"
[output]
name = "price"
type = "number"
[[layers]]
type = "dense"
units = 8
activation = "relu"
[training]
batch_size = 16
epochs = 2
"#;

fn build_fixtures() -> Fixtures {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let moons_spec = kiln::spec::examples::example("moons-mlp").unwrap();
    let moons = train(d, "moons.toml", moons_spec, "moons.kiln", 3);
    let moons_other = train(d, "moons.toml", moons_spec, "moons-other.kiln", 1);

    // A small deterministic table for the mixed model.
    let colors = ["red", "green", "blue"];
    let mut csv = String::from("size,color,fresh,price\n");
    for i in 0..120 {
        let size = (i % 17) as f64 * 0.5;
        let color = colors[i % 3];
        let fresh = if i % 4 == 0 { "no" } else { "yes" };
        let price = size * 2.0 + (i % 3) as f64 + if fresh == "yes" { 1.0 } else { 0.0 };
        let size_cell = if i % 10 == 7 {
            String::new()
        } else {
            size.to_string()
        };
        csv.push_str(&format!("{size_cell},{color},{fresh},{price}\n"));
    }
    std::fs::write(d.join("mixed.csv"), csv).unwrap();
    let mixed = train(d, "mixed.toml", MIXED_SPEC, "mixed.kiln", 2);

    // Images: class = which third of the image is brightest.
    let n = 60;
    let mut pixels = Vec::with_capacity(n * 16);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 3;
        for p in 0..16 {
            let bright = p * 3 / 16 == class;
            pixels.push(if bright {
                200 + (p as u8)
            } else {
                (i * 7 + p) as u8 % 50
            });
        }
        labels.push(class as f64);
    }
    let table = Table::new(vec![
        Column {
            name: "image".into(),
            data: ColumnData::Image(ImageData {
                height: 4,
                width: 4,
                channels: 1,
                pixels,
            }),
        },
        Column::number("label", labels),
    ])
    .unwrap();
    let model = Sequential::new()
        .flatten()
        .dense(8, kiln::spec::Activation::Relu)
        .adam(0.01)
        .fit(&table, "label", kiln::Fit::epochs(2))
        .expect("train the image fixture");
    let image = d.join("image.kiln");
    save(&model, &image);

    let moons_rows_csv = d.join("moons-rows.csv");
    std::fs::write(
        &moons_rows_csv,
        "x0,x1\n0.1,0.5\n-1.0,0.25\n2.0,-0.5\n0.5,0.5\n1.5,-0.25\n",
    )
    .unwrap();
    let mixed_rows_csv = d.join("mixed-rows.csv");
    std::fs::write(
        &mixed_rows_csv,
        "size,color,fresh\n1.5,red,yes\n,blue,no\n4,purple,yes\n0,green,no\n",
    )
    .unwrap();
    Fixtures {
        _dir: dir,
        moons,
        moons_other,
        mixed,
        image,
        moons_rows_csv,
        mixed_rows_csv,
    }
}

/// Writes an in-memory model as a model file.
pub(crate) fn save(model: &TrainedModel, path: &Path) {
    let file = kiln::artifact::ModelFile {
        header: model.header.clone(),
        sections: vec![(
            "weights".to_string(),
            kiln::model::weights::to_bytes(model.network().expect("a network model")).unwrap(),
        )],
    };
    file.write(path).unwrap();
}

/// `kiln predict`'s answer: the file read by kiln's own reader, predicted by the library, one
/// JSON object per row.
pub(crate) fn reference(model: &Path, rows_file: &Path) -> Vec<Value> {
    let model = TrainedModel::load(model).unwrap();
    let table = kiln::data::read_table(rows_file, None).unwrap();
    let p = model.predict(&table).unwrap();
    (0..p.rows).map(|i| row_json(&p, i)).collect()
}

/// A server state serving `sources` with `config`.
pub(crate) fn state_with(config: ServeConfig, sources: &[(&str, &Path)]) -> Arc<AppState> {
    let sources: Vec<ModelSource> = sources
        .iter()
        .map(|(name, path)| ModelSource {
            path: path.to_path_buf(),
            name: Some((*name).to_string()),
            version: None,
        })
        .collect();
    AppState::load(config, &sources, None).unwrap()
}

/// The moons model alone as `moons`.
pub(crate) fn moons_state() -> Arc<AppState> {
    state_with(ServeConfig::default(), &[("moons", &fixtures().moons)])
}

/// An answer: status, headers and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request through the router (no socket).
pub(crate) async fn send(state: &Arc<AppState>, request: Request<Body>) -> Answer {
    answer(kiln_serve::app(Arc::clone(state)), request).await
}

/// Sends one request through the router of a server listening on `addr` (no socket).
pub(crate) async fn send_on(state: &Arc<AppState>, addr: &str, request: Request<Body>) -> Answer {
    let addr = addr.parse().unwrap();
    answer(
        kiln_serve::app_listening_on(Arc::clone(state), addr),
        request,
    )
    .await
}

async fn answer(router: axum::Router, request: Request<Body>) -> Answer {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// `POST path` with a JSON body.
pub(crate) fn post_json(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

pub(crate) fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

/// Asserts two prediction lists are equal up to float rounding.
pub(crate) fn assert_same_predictions(got: &[Value], want: &[Value]) {
    assert_eq!(got.len(), want.len(), "row count: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(close(g, w), "{g} vs {w}");
    }
}

/// Equal up to float rounding (1e-6 relative), ignoring prediction ids: the same rows in a batch of another size may
/// round differently in the last bits.
pub(crate) fn close(g: &Value, w: &Value) -> bool {
    match (g, w) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            (a - b).abs() <= 1e-6 * (1.0 + b.abs())
        }
        // The prediction id a monitored server adds is not part of the prediction.
        (Value::Object(a), Value::Object(b)) => {
            let fields = |o: &serde_json::Map<String, Value>| {
                o.keys().filter(|k| *k != kiln_serve::PREDICTION_ID).count()
            };
            fields(a) == fields(b)
                && a.iter()
                    .filter(|(k, _)| *k != kiln_serve::PREDICTION_ID)
                    .all(|(k, v)| b.get(k).is_some_and(|w| close(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x, y))
        }
        _ => g == w,
    }
}

/// A [`kiln_serve::BatchObserver`] that holds the worker after each batch until opened: makes
/// "the worker is busy" deterministic in tests.
#[derive(Default)]
pub(crate) struct Gate {
    open: std::sync::Mutex<bool>,
    changed: std::sync::Condvar,
    /// Batches observed.
    pub batches: std::sync::atomic::AtomicUsize,
}

impl Gate {
    pub(crate) fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }

    /// Waits until `n` batches have been observed.
    pub(crate) fn wait_batches(&self, n: usize) {
        let start = std::time::Instant::now();
        while self.batches.load(std::sync::atomic::Ordering::SeqCst) < n {
            assert!(start.elapsed().as_secs() < 30, "no batch observed");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
}

impl kiln_serve::BatchObserver for Gate {
    fn observe(&self, _: &kiln_serve::ModelId, _: &Table, _: &kiln::Predictions) {
        self.batches
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
    }
}

/// Waits until `model`'s queue holds `n` requests.
pub(crate) fn wait_queue(state: &AppState, model: &str, n: usize) {
    let start = std::time::Instant::now();
    loop {
        let depth = state
            .queue_depths()
            .into_iter()
            .find(|(m, _)| m == model)
            .map_or(0, |(_, d)| d);
        if depth >= n {
            return;
        }
        assert!(start.elapsed().as_secs() < 30, "queue never reached {n}");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// A value from the metrics text, e.g. `kiln_batch_size_rows_count{model="moons"}`.
pub(crate) fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("{name} not in\n{text}"))
}
