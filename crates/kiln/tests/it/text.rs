//! Text classification on real data: IMDB sentiment (Chollet's chapter-3 bag of words) and
//! SpamAssassin (raw emails). CI runs IMDB on a seeded subset of reviews and SpamAssassin in
//! full; `KILN_FULL=1` runs the full IMDB example (25,000 train / 25,000 test reviews).

use kiln::data::{ColumnData, Part};

use super::*;

/// Reviews kept for the CI run of IMDB: enough for a real vocabulary, quick to train.
const IMDB_SUBSET: usize = 6_000;

/// Writes `rows` seeded-random IMDB reviews as JSON lines `{"text": …, "label": 0|1}`.
fn imdb_subset(work: &Work, rows: usize) -> PathBuf {
    let table = kiln::data::load("imdb", Part::All, &real_cache(), None).expect("imdb");
    let (Some(ColumnData::Text(text)), Some(ColumnData::Number(label))) = (
        table.column("text").map(|c| &c.data),
        table.column("label").map(|c| &c.data),
    ) else {
        panic!("imdb has text and label columns")
    };
    // Every 50,000 / rows-th review from a seeded start: negatives come first in the file, so
    // a stride takes both classes in their proportions.
    let stride = text.len() / rows;
    let mut out = String::new();
    for i in (7..text.len()).step_by(stride).take(rows) {
        let line = serde_json::json!({ "text": text[i], "label": label[i] });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    work.write("imdb-subset.jsonl", &out)
}

fn classification(result: &TrainResult, split: &str) -> kiln::eval::ClassificationReport {
    match result.metrics.get(split) {
        Some(Metrics::Classification(r)) => r.clone(),
        other => panic!("no classification metrics for {split}: {other:?}"),
    }
}

#[test]
fn imdb_bag_of_words_on_a_subset_reaches_82_percent() {
    if full_runs() {
        return; // the full test below covers it
    }
    let work = Work::new();
    imdb_subset(&work, IMDB_SUBSET);
    let spec = example("imdb").replace("source = \"imdb\"", "source = \"imdb-subset.jsonl\"");
    let spec = work.write("imdb.toml", &spec);
    let result = train(&spec, &work.path("imdb.kiln"), real_cache(), |_| {});
    let acc = headline(&result, "test");
    eprintln!("imdb, {IMDB_SUBSET} reviews (half for test), 4 epochs: test accuracy {acc:.4}");
    assert!(acc >= 0.82, "test accuracy {acc} < 0.82");
}

#[test]
fn imdb_full_reaches_88_percent() {
    if !full_runs() {
        return;
    }
    let work = Work::new();
    let spec = work.write("imdb.toml", &example("imdb"));
    let result = train(&spec, &work.path("imdb.kiln"), real_cache(), |_| {});
    let acc = headline(&result, "test");
    eprintln!("imdb, 25,000 train / 25,000 test reviews: test accuracy {acc:.4}");
    assert!(acc >= 0.88, "test accuracy {acc} < 0.88");
}

/// The text CNN (`kiln init --example text-cnn`): word ids → embedding → conv1d → global max
/// pooling, on the same seeded subset as the bag of words (3,000 training reviews, 200 words
/// each; `bench/text_cnn_vs_torch.py` trains the same model in PyTorch on these reviews with
/// 400 words: 80.30 % against kiln's 80.53 %; `KILN_FULL=1` runs all 25,000). The model file
/// then scores its test split and raw reviews as training did: the vocabulary, truncation and
/// padding travel in the file.
#[test]
fn imdb_text_cnn_on_a_subset_reaches_75_percent_and_predicts_as_it_trained() {
    if full_runs() {
        return; // the full test below covers it
    }
    let work = Work::new();
    let data = imdb_subset(&work, IMDB_SUBSET);
    // The first 200 words of each review (the example reads 400) halve the CI time.
    let spec = example("text-cnn")
        .replace("source = \"imdb\"", "source = \"imdb-subset.jsonl\"")
        .replace("length = 400 ", "length = 200 ");
    let spec = work.write("text-cnn.toml", &spec);
    let out = work.path("text-cnn.kiln");
    let result = train(&spec, &out, real_cache(), |_| {});
    let acc = headline(&result, "test");
    eprintln!("text-cnn, {IMDB_SUBSET} reviews (half for test), 3 epochs: test accuracy {acc:.4}");
    assert!(acc >= 0.75, "test accuracy {acc} < 0.75");

    let model = kiln::TrainedModel::load(&out).expect("load");
    let (again, warning) = model
        .evaluate_selection(&kiln::DataSelection::Test, &real_cache())
        .expect("re-derived test split");
    assert_eq!(warning, None);
    assert_eq!(
        again.headline().1,
        acc,
        "the model file scores its test split as training did"
    );

    let table = kiln::data::read_table(&data, None).expect("the subset reads");
    let predictions = model.predict(&table).expect("predict raw reviews");
    let Some(ColumnData::Number(labels)) = table.column("label").map(|c| &c.data) else {
        panic!("a label column")
    };
    let right = (0..predictions.rows)
        .filter(|&i| predictions.label(i) == Some(if labels[i] == 1.0 { "1" } else { "0" }))
        .count();
    let by_hand = right as f64 / predictions.rows as f64;
    let evaluated = model.evaluate(&table).expect("evaluate").headline().1;
    assert!(
        (by_hand - evaluated).abs() < 1e-12,
        "predict's labels give {by_hand}, evaluate gives {evaluated}"
    );
}

#[test]
fn imdb_text_cnn_full_reaches_88_percent() {
    if !full_runs() {
        return;
    }
    let work = Work::new();
    let spec = work.write("text-cnn.toml", &example("text-cnn"));
    let result = train(&spec, &work.path("text-cnn.kiln"), real_cache(), |_| {});
    let acc = headline(&result, "test");
    eprintln!("text-cnn, 25,000 train / 25,000 test reviews: test accuracy {acc:.4}");
    assert!(acc >= 0.88, "test accuracy {acc} < 0.88");
}

#[test]
fn spam_assassin_reaches_97_percent_with_spam_f1_reported() {
    let work = Work::new();
    let spec = work.write("spam.toml", &example("spam"));
    let result = train(&spec, &work.path("spam.kiln"), real_cache(), |_| {});
    let report = classification(&result, "test");
    let spam = report
        .per_class
        .iter()
        .find(|c| c.class == "spam")
        .expect("a spam row in the report");
    eprintln!(
        "spam: test accuracy {:.4}, spam precision {:.4} recall {:.4} F1 {:.4} ({} test emails)",
        report.accuracy, spam.precision, spam.recall, spam.f1, report.count
    );
    assert!(
        report.accuracy >= 0.97,
        "test accuracy {} < 0.97",
        report.accuracy
    );
    assert!(spam.f1 >= 0.95, "spam F1 {} < 0.95", spam.f1);
}

/// Keras' text-classification tutorial through the Rust `Sequential` API
/// (`examples/hello_imdb.rs`): raw reviews → 10,000 words, 250 per review → embedding 16 →
/// dropout → mean over real words → dropout → softmax, Adam 1e-3, 10 epochs. CI trains on the
/// first 5,000 of the 25,000 training reviews and scores the first 5,000 test reviews;
/// `KILN_FULL=1` runs all of them (88.02 % measured, against the tutorial's mid-80s).
#[test]
fn sequential_text_api_learns_imdb_sentiment() {
    let (train, test) = kiln::datasets::imdb().expect("imdb");
    let (train, test, floor) = if full_runs() {
        (train, test, 0.87)
    } else {
        let first = |t: &kiln::data::Table| t.take(&(0..5_000).collect::<Vec<_>>());
        (first(&train), first(&test), 0.80)
    };
    let model = kiln::Sequential::new()
        .text_vectorization(10_000, 250)
        .embedding(16)
        .dropout(0.2)
        .global_avg_pool1d()
        .dropout(0.2)
        .adam(0.001)
        .fit(&train, "label", kiln::Fit::epochs(10))
        .expect("fit");
    let acc = model.evaluate(&test).expect("evaluate").headline().1;
    eprintln!(
        "Sequential text API, {} train / {} test reviews, 10 epochs: test accuracy {acc:.4}",
        train.len(),
        test.len()
    );
    assert!(acc >= floor, "test accuracy {acc} < {floor}");
}

/// The recurrent and convolutional layers of the `Sequential` text API train end to end: a GRU
/// and a conv1d → max-pool → global-max stack, each on 2,000 reviews cut to 100 words, scored
/// on 2,000 test reviews (chance is 50 %, its standard error 1.1 points; measured: GRU 61.2 %,
/// conv1d 73.5 %).
#[test]
fn sequential_text_api_trains_recurrent_and_conv_stacks() {
    let (train, test) = kiln::datasets::imdb().expect("imdb");
    let first = |t: &kiln::data::Table, n: usize| t.take(&(0..n).collect::<Vec<_>>());
    let (train, test) = (first(&train, 2_000), first(&test, 2_000));
    let stacks = [
        (
            "gru",
            0.57,
            kiln::Sequential::new()
                .text_vectorization(5_000, 100)
                .embedding(16)
                .gru(16),
        ),
        (
            "conv1d",
            0.68,
            kiln::Sequential::new()
                .text_vectorization(5_000, 100)
                .embedding(16)
                .conv1d(32, 5, kiln::spec::Activation::Relu)
                .max_pool1d(2)
                .global_max_pool1d(),
        ),
    ];
    for (name, floor, stack) in stacks {
        let started = std::time::Instant::now();
        let model = stack
            .adam(0.003)
            .fit(&train, "label", kiln::Fit::epochs(4))
            .expect("fit");
        let acc = model.evaluate(&test).expect("evaluate").headline().1;
        eprintln!(
            "{name}: test accuracy {acc:.4} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        assert!(acc >= floor, "{name}: test accuracy {acc} < {floor}");
    }
}
