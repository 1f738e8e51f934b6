//! Character-level language models: training on a small corpus, held-out bits per character,
//! generation, and their errors. The full Shakespeare example runs with `KILN_FULL=1`.

use kiln::lm::{GenerateOptions, LanguageModel};
use kiln::{Metrics, TrainRequest};

use crate::{Work, example, full_runs, real_cache, train};

/// A few thousand characters of sentences over a small vocabulary of words, from a fixed
/// generator: spelling is learnable from context, so a model that reads context must beat the
/// unigram baseline by a wide margin.
pub(crate) fn corpus(chars: usize) -> String {
    const WORDS: &[&str] = &[
        "the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "park", "and", "then", "slept",
        "under", "tree", "while", "birds", "sang",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let mut text = String::new();
    while text.len() < chars {
        let words = 3 + next(6);
        for w in 0..words {
            if w > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[next(WORDS.len())]);
        }
        text.push_str(".\n");
    }
    text
}

pub(crate) const SPEC: &str = r#"name = "tiny-lm"
[data]
source = "corpus.txt"
[language_model]
sequence_length = 12
step = 2
holdout = 0.1
[output]
name = "next_char"
type = "category"
[[layers]]
type = "embedding"
dim = 8
[[layers]]
type = "lstm"
units = 48
return_sequences = true
[[layers]]
type = "gru"
units = 48
[training]
batch_size = 32
epochs = 6
seed = 7
[training.optimizer]
type = "adam"
learning_rate = 0.01
"#;

fn report(result: &kiln::TrainResult) -> kiln::lm::LanguageModelReport {
    match result.metrics.get("heldout") {
        Some(Metrics::LanguageModel(r)) => r.clone(),
        other => panic!("no held-out language-model metrics: {other:?}"),
    }
}

#[test]
#[allow(clippy::print_stderr)]
fn a_small_language_model_beats_the_unigram_baseline_and_generates_reproducibly() {
    let work = Work::new();
    work.write("corpus.txt", &corpus(6000));
    let spec = work.write("lm.toml", SPEC);
    let out = work.path("lm.kiln");
    let result = train(&spec, &out, real_cache(), |_| {});
    let r = report(&result);
    eprintln!("tiny LM: {r}");
    super::golden::assert_weights_hash("tiny LM", &result.file, super::golden::TINY_LM_WEIGHTS);
    assert!(r.chars > 500);
    // The unigram entropy of this text is about 4 bits; spelling alone is worth well over one.
    assert!(
        r.bits_per_char < r.unigram_bits_per_char - 1.0,
        "bits/char {} vs unigram {}",
        r.bits_per_char,
        r.unigram_bits_per_char
    );
    assert!((r.bits_per_char - r.cross_entropy / std::f64::consts::LN_2).abs() < 1e-12);

    let model = LanguageModel::load(&out).expect("load the language model");
    let options = GenerateOptions {
        length: 80,
        temperature: 0.7,
        seed: 3,
    };
    let a: String = model.generate("the cat ", &options).unwrap().collect();
    let b: String = model.generate("the cat ", &options).unwrap().collect();
    assert_eq!(a, b, "the same seed gives the same text");
    assert_eq!(a.chars().count(), 80);
    assert!(a.chars().all(|c| model.vocabulary().id(c).is_some()));
    let c: String = model
        .generate(
            "the cat ",
            &GenerateOptions {
                seed: 4,
                ..options.clone()
            },
        )
        .unwrap()
        .collect();
    assert_ne!(a, c, "another seed gives other text");
    // What it learnt: most generated words are words of the corpus.
    let words: Vec<&str> = a
        .split(|ch: char| !ch.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let known = words
        .iter()
        .filter(|w| corpus(6000).contains(&format!(" {w} ")))
        .count();
    assert!(known * 2 > words.len(), "{a:?}");

    // Unknown prompt characters are named; a temperature of 0 is refused.
    let e = model
        .generate("the Zebra!", &options)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 characters absent") && e.contains("'Z' (U+005A), '!' (U+0021)"),
        "{e}"
    );
    let e = model
        .generate(
            "the",
            &GenerateOptions {
                temperature: 0.0,
                ..options
            },
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("temperature 0 must be a positive number"), "{e}");

    // The table API refuses a language model with a pointer to `generate`.
    let table_model = kiln::TrainedModel::load(&out).unwrap();
    let e = table_model
        .evaluate_selection(&kiln::DataSelection::Test, &real_cache())
        .unwrap_err()
        .to_string();
    assert!(e.contains("kiln generate"), "{e}");
}

#[test]
fn language_model_data_errors_are_clear() {
    let work = Work::new();
    let spec = work.write("lm.toml", SPEC);
    let run = |work: &Work| {
        let request = TrainRequest::new(&spec, work.path("lm.kiln"), real_cache());
        kiln::train_spec(&request, |_| {}).unwrap_err().to_string()
    };
    let e = run(&work);
    assert!(e.contains("corpus.txt"), "{e}");
    work.write("corpus.txt", "too short");
    let e = run(&work);
    assert!(
        e.contains("9 characters") && e.contains("sequence_length = 12"),
        "{e}"
    );
    std::fs::write(work.path("corpus.txt"), b"ok\n\xff\xfe").unwrap();
    let e = run(&work);
    assert!(
        e.contains("corpus.txt:2") && e.contains("0xFF at offset 3"),
        "{e}"
    );
}

/// `kiln init --example shakespeare-char` as shipped (the figure in bench/RESULTS.md); opt-in.
#[test]
#[allow(clippy::print_stderr)]
fn shakespeare_char_full() {
    if !full_runs() {
        return;
    }
    let work = Work::new();
    let spec = work.write("shakespeare-char.toml", &example("shakespeare-char"));
    let result = train(&spec, &work.path("s.kiln"), real_cache(), |_| {});
    let r = report(&result);
    eprintln!("shakespeare-char: {r}");
    assert!(r.bits_per_char < 2.6, "{r}");
}
