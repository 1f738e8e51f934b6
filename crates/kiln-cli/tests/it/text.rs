//! Text inputs end to end: the same raw text is tokenised the same way by `kiln train` (its
//! test evaluation), `kiln predict` and the library, and bad text input gets clear messages.

use kiln::TrainedModel;
use kiln::data::text::TextCell;
use kiln::data::{FittedInput, read_table};

use crate::util::Dir;

const POSITIVE: &[&str] = &[
    "great",
    "loved",
    "wonderful",
    "superb",
    "brilliant",
    "Don't miss",
];
const NEGATIVE: &[&str] = &["awful", "boring", "terrible", "hated", "waste", "Dull"];
const NEUTRAL: &[&str] = &[
    "the", "movie", "film", "plot", "actors", "it", "was", "and", "a", "Ça", "ending",
];

/// A small deterministic generator (xorshift64*), so the reviews need no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// `n` reviews as JSON lines `{"review": …, "sentiment": "pos"|"neg"}`, with HTML line breaks,
/// capitals and punctuation that the word tokenizer has to strip.
fn reviews(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut out = String::new();
    for i in 0..n {
        let positive = i % 2 == 0;
        let mut words = Vec::new();
        for _ in 0..6 + rng.below(7) {
            let pick = rng.below(10);
            let list = if pick < 6 {
                NEUTRAL
            } else if (pick < 9) == positive {
                POSITIVE
            } else {
                NEGATIVE
            };
            words.push(list[rng.below(list.len())].to_string());
        }
        let mut text = words.join(" ");
        if rng.below(3) == 0 {
            text.push_str("!<br /><br />THE END.");
        }
        let line = serde_json::json!({
            "review": text,
            "sentiment": if positive { "pos" } else { "neg" },
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

fn spec(extra: &str) -> String {
    format!(
        r#"name = "reviews"

[data]
source = "reviews.jsonl"
test = "test.jsonl"

[data.split]
validation = 0.0

[[input]]
name = "review"
type = "text"
max_tokens = 40
{extra}
[output]
name = "sentiment"
type = "binary"

[[layers]]
type = "dense"
units = 8
activation = "relu"

[training]
epochs = 12
batch_size = 16

[training.optimizer]
type = "adam"
learning_rate = 0.01
"#
    )
}

#[test]
fn text_is_tokenised_the_same_by_train_predict_and_the_library() {
    let dir = Dir::new();
    dir.write("reviews.jsonl", reviews(600, 7));
    dir.write("test.jsonl", reviews(200, 8));
    dir.write("spec.toml", spec(""));
    let train = dir.kiln(&["train", "spec.toml", "-o", "m.kiln", "--json"]);
    train.success();
    let events = train.json_lines();
    let prepared = events
        .iter()
        .find(|e| e["event"] == "prepared")
        .expect("prepared event");
    let note = prepared["notes"][0]
        .as_str()
        .expect("a note on the text input");
    assert!(
        note.starts_with("input `review`: word, lowercase, no html tokens, vocabulary "),
        "{note}"
    );
    let width = prepared["input_shape"][0].as_u64().unwrap() as usize;
    let test = events
        .iter()
        .find(|e| e["event"] == "evaluated" && e["split"] == "test")
        .expect("test evaluation");
    let accuracy = test["metrics"]["accuracy"].as_f64().unwrap();
    let log_loss = test["metrics"]["log_loss"].as_f64().unwrap();
    // A review carries ~3 words of its sentiment and ~1 of the other among ~6 neutral ones, so
    // even the best classifier errs on ties; chance is 50 %.
    assert!(accuracy >= 0.75, "test accuracy {accuracy}");

    // `kiln predict` on the same file gives the probabilities behind the stored log loss.
    let predict = dir.kiln(&["predict", "m.kiln", "test.jsonl"]);
    predict.success();
    let rows = predict.json_lines();
    let truth = read_table(&dir.path("test.jsonl"), None).unwrap();
    let Some(kiln::data::ColumnData::Text(labels)) = truth.column("sentiment").map(|c| &c.data)
    else {
        panic!("sentiment is text")
    };
    assert_eq!(rows.len(), labels.len());
    let cli_loss: f64 = rows
        .iter()
        .zip(labels)
        .map(|(row, label)| {
            let p = row["probabilities"][label.as_deref().unwrap()]
                .as_f64()
                .unwrap();
            -p.clamp(1e-15, 1.0 - 1e-15).ln()
        })
        .sum::<f64>()
        / rows.len() as f64;
    assert!(
        (cli_loss - log_loss).abs() < 1e-5,
        "predict's log loss {cli_loss} ≠ train's {log_loss}"
    );

    // The library, on the table read from the same file, gives the same numbers bit for bit.
    let model = TrainedModel::load(&dir.path("m.kiln")).unwrap();
    let predictions = model.predict(&truth).unwrap();
    for (i, row) in rows.iter().enumerate() {
        for (class, p) in predictions
            .classes
            .iter()
            .zip(predictions.probabilities_of(i))
        {
            let cli = row["probabilities"][class].as_f64().unwrap() as f32;
            assert_eq!(cli, *p, "row {i} class {class}");
        }
    }

    // And the stored vocabulary tokenises a raw review as the rules say.
    let [FittedInput::Text { text, .. }] = model.header.encoder.inputs.as_slice() else {
        panic!("one text input")
    };
    assert_eq!(text.width(), width);
    let ids = text
        .ids(TextCell::Str("GREAT film!<br />Don't miss, Ça"))
        .unwrap();
    let tokens: Vec<&str> = ids
        .iter()
        .map(|&id| text.vocabulary.token(id).unwrap())
        .collect();
    assert_eq!(tokens, ["great", "film", "dont", "miss", "ça"]);

    // A review of only unknown words, and an empty one, are predicted with a warning each.
    dir.write(
        "odd.jsonl",
        "{\"review\": \"zzz qqq xyzzy\"}\n{\"review\": \"<br />\"}\n",
    );
    let odd = dir.kiln(&["predict", "m.kiln", "odd.jsonl"]);
    odd.success();
    assert_eq!(odd.json_lines().len(), 2);
    assert!(
        odd.stderr
            .contains("1 row has only tokens outside the training vocabulary (e.g. row 0)"),
        "{}",
        odd.stderr
    );
    assert!(
        odd.stderr.contains("1 row has no tokens (e.g. row 1)"),
        "{}",
        odd.stderr
    );

    served_like_predict(&dir);

    let inspect = dir.kiln(&["inspect", "m.kiln"]);
    inspect.success();
    assert!(
        inspect
            .stdout
            .contains("review  text  word, lowercase, no html tokens"),
        "{}",
        inspect.stdout
    );
}

#[test]
fn sequence_encoding_reports_the_length_it_chose() {
    let dir = Dir::new();
    dir.write("reviews.jsonl", reviews(40, 1));
    dir.write("test.jsonl", reviews(10, 2));
    dir.write(
        "spec.toml",
        spec("encoding = \"sequence\"\n").replace(
            "[[layers]]\ntype = \"dense\"",
            "[[layers]]\ntype = \"flatten\"\n\n[[layers]]\ntype = \"dense\"",
        ),
    );
    // Token ids are not magnitudes: a sequence must feed an embedding layer first.
    dir.kiln(&["train", "spec.toml"]).fails_with(&[
        "spec.toml:",
        "input `review` has encoding = \"sequence\" (token ids), so the first layer must be an `embedding`, found `flatten`",
    ]);
}

#[test]
fn bad_text_input_is_refused_with_a_reason() {
    let dir = Dir::new();
    dir.write("reviews.jsonl", reviews(200, 3));
    dir.write("test.jsonl", reviews(20, 4));

    // A vocabulary too wide for the memory allowed: refused with the estimate before training.
    dir.write(
        "wide.toml",
        spec("").replace("max_tokens = 40", "max_tokens = 1000"),
    );
    let run = dir
        .command(&["train", "wide.toml"])
        .env("KILN_MEMORY_LIMIT", "16K")
        .output()
        .unwrap();
    crate::util::Run::new(&["train", "wide.toml"], run).fails_with(&[
        "encoding 200 rows × ",
        "more than the 16.0 KiB available",
        "lower max_tokens",
    ]);
    assert!(!dir.path("reviews.kiln").exists());

    // Texts that hold no token at all.
    let lines = |review: &dyn Fn(usize) -> String| -> String {
        (0..10)
            .map(|i| {
                let sentiment = if i % 2 == 0 { "pos" } else { "neg" };
                format!(
                    "{{\"review\": {}, \"sentiment\": \"{sentiment}\"}}\n",
                    review(i)
                )
            })
            .collect()
    };
    dir.write(
        "empty.jsonl",
        lines(&|i| {
            if i % 3 == 0 {
                "\"\"".into()
            } else {
                "\"... !! <br />\"".into()
            }
        }),
    );
    dir.write(
        "empty.toml",
        spec("")
            .replace("reviews.jsonl", "empty.jsonl")
            .replace("test = \"test.jsonl\"\n", ""),
    );
    dir.kiln(&["train", "empty.toml"])
        .fails_with(&["feature `review`", "hold no tokens"]);

    // Invalid UTF-8 cannot reach a JSON or CSV file (the readers reject it), only raw-bytes
    // sources; what each policy does is tested in kiln-data. A number column is not text.
    dir.write("numbers.jsonl", lines(&|i| i.to_string()));
    dir.write(
        "numbers.toml",
        spec("")
            .replace("reviews.jsonl", "numbers.jsonl")
            .replace("test = \"test.jsonl\"\n", ""),
    );
    dir.kiln(&["train", "numbers.toml"])
        .fails_with(&["column `review`: expected text, found number"]);
}

/// Raw texts a tokenizer has to clean: HTML, capitals, punctuation, non-ASCII, emoji, words
/// never seen, an empty text and the spellings kiln's CSV reader takes as missing.
const RAW_TEXTS: &[&str] = &[
    "GREAT film!<br />Don't miss, Ça",
    "<p>Awful &amp; <b>BORING</b></p> plot...",
    "  Ça, ÇA, ça — wonderful!!! 🎬🍿  ",
    "Dull.Dull.Dull;terrible?",
    "zzz qqq xyzzy",
    "",
    "?",
    "NA",
    "the movie was superb <br/><br/>THE END.",
];

/// `kiln serve` answers the same raw texts exactly as `kiln predict` does, through MLflow JSON
/// records, a CSV body and KServe v2 BYTES tensors.
fn served_like_predict(dir: &Dir) {
    let mut jsonl = String::new();
    let mut csv = String::from("review\n");
    for text in RAW_TEXTS {
        jsonl.push_str(&serde_json::json!({ "review": text }).to_string());
        jsonl.push('\n');
        // In a CSV file an empty cell, `?` or `NA` is a missing value, which a text feature
        // without a `missing` strategy refuses (checked below for serve and predict alike).
        if !["", "?", "NA"].contains(text) {
            csv.push_str(&format!("\"{}\"\n", text.replace('"', "\"\"")));
        }
    }
    dir.write("missing.csv", "review\n\"fine\"\nNA\n");
    dir.kiln(&["predict", "m.kiln", "missing.csv"])
        .fails_with(&["missing value in column `review` at row 1"]);
    dir.write("raw.jsonl", &jsonl);
    dir.write("raw.csv", &csv);
    let predicted = |file: &str| -> Vec<serde_json::Value> {
        let run = dir.kiln(&["predict", "m.kiln", file]);
        run.success();
        run.json_lines()
    };
    let from_jsonl = predicted("raw.jsonl");
    let from_csv = predicted("raw.csv");
    let test_rows = predicted("test.jsonl");
    assert_eq!(from_jsonl.len(), RAW_TEXTS.len());

    let (mut child, addr) = crate::serve::serve(dir, &["m.kiln", "--name", "reviews"]);
    let answer = |content_type: &str, body: &[u8]| -> Vec<serde_json::Value> {
        let (status, answer) = crate::serve::post_as(&addr, "/invocations", content_type, body);
        assert_eq!(status, 200, "{answer}");
        let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
        v["predictions"].as_array().unwrap().clone()
    };
    let records: Vec<serde_json::Value> = RAW_TEXTS
        .iter()
        .map(|t| serde_json::json!({ "review": t }))
        .collect();
    let served_json = answer(
        "application/json",
        serde_json::json!({ "dataframe_records": records })
            .to_string()
            .as_bytes(),
    );
    let served_csv = answer("text/csv", csv.as_bytes());
    let (missing_status, missing_answer) =
        crate::serve::post_as(&addr, "/invocations", "text/csv", b"review\n\"fine\"\nNA\n");
    let test_texts: Vec<serde_json::Value> = std::str::from_utf8(&dir.read("test.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["review"].clone())
        .collect();
    let served_test = answer(
        "application/json",
        serde_json::json!({ "dataframe_split": {
            "columns": ["review"],
            "data": test_texts.iter().map(|t| vec![t.clone()]).collect::<Vec<_>>(),
        }})
        .to_string()
        .as_bytes(),
    );
    let (status, v2) = crate::serve::post(
        &addr,
        "/v2/models/reviews/infer",
        &serde_json::json!({ "inputs": [{
            "name": "review", "shape": [RAW_TEXTS.len()], "datatype": "BYTES", "data": RAW_TEXTS,
        }]})
        .to_string(),
    );
    // Invalid UTF-8 cannot be text in a CSV body either: refused with the row, not mangled.
    let (bad_status, bad) = crate::serve::post_as(
        &addr,
        "/invocations",
        "text/csv",
        b"review\n\"ok\"\nbad \xff\xfe\n",
    );
    let _ = child.kill();
    let _ = child.wait();

    let strip = |rows: &[serde_json::Value]| -> Vec<serde_json::Value> {
        rows.iter()
            .map(|r| {
                let mut r = r.clone();
                if let Some(o) = r.as_object_mut() {
                    o.remove("row");
                    o.remove("prediction_id");
                }
                r
            })
            .collect()
    };
    assert_eq!(
        strip(&served_json),
        strip(&from_jsonl),
        "JSON records vs predict"
    );
    assert_eq!(
        strip(&served_csv),
        strip(&from_csv),
        "CSV body vs predict on the CSV file"
    );
    assert_eq!(
        strip(&served_test),
        strip(&test_rows),
        "test reviews vs predict"
    );
    assert!(
        (400..500).contains(&missing_status) && missing_answer.contains("column `review` at row 1"),
        "a missing text in a CSV body is refused as predict refuses it: {missing_status} {missing_answer}"
    );
    assert_eq!(status, 200, "{v2}");
    let v2: serde_json::Value = serde_json::from_str(&v2).unwrap();
    let label = v2["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "label")
        .unwrap();
    let want_labels: Vec<&serde_json::Value> = from_jsonl.iter().map(|r| &r["label"]).collect();
    assert_eq!(
        label["data"].as_array().unwrap().iter().collect::<Vec<_>>(),
        want_labels,
        "v2 labels vs predict"
    );
    assert_eq!(bad_status, 400, "{bad}");
    assert!(
        bad.contains("CSV row 1") && bad.to_lowercase().contains("utf-8"),
        "{bad}"
    );
}
