//! `kiln train` on a language-model spec, then `kiln generate`.

use crate::util::Dir;

const SPEC: &str = r#"name = "tiny-lm"
[data]
source = "corpus.txt"
[language_model]
sequence_length = 8
[output]
name = "next_char"
type = "category"
[[layers]]
type = "embedding"
dim = 4
[[layers]]
type = "lstm"
units = 16
[training]
batch_size = 32
epochs = 1
"#;

fn trained(dir: &Dir) {
    let text = "to be or not to be, that is the question.\n".repeat(40);
    dir.write("corpus.txt", text);
    dir.write("lm.toml", SPEC);
    let run = dir.kiln(&["train", "lm.toml", "-o", "lm.kiln"]);
    run.success();
    assert!(
        run.stdout.contains("Held-out text: bits/char"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("heldout bits_per_char"),
        "{}",
        run.stdout
    );
}

#[test]
fn generate_streams_seeded_text_and_names_unknown_characters() {
    let dir = Dir::new();
    trained(&dir);
    let args = [
        "generate",
        "lm.kiln",
        "--prompt",
        "to be",
        "--length",
        "30",
        "--temperature",
        "0.8",
        "--seed",
        "5",
    ];
    let a = dir.kiln(&args);
    a.success();
    let b = dir.kiln(&args);
    assert_eq!(a.stdout, b.stdout, "same seed, same text");
    let text = a.stdout.trim_end_matches('\n');
    assert!(text.starts_with("to be"), "{text:?}");
    assert_eq!(text.chars().count(), "to be".len() + 30, "{text:?}");

    let json = dir.kiln(&[
        "generate", "lm.kiln", "--prompt", "to", "-n", "12", "--json",
    ]);
    json.success();
    let v = json.json();
    assert_eq!(v["text"].as_str().unwrap().chars().count(), 12);

    dir.kiln(&["generate", "lm.kiln", "--prompt", "To be? Yes"])
        .fails_with(&[
            "absent from the model's vocabulary",
            "'T' (U+0054)",
            "'?' (U+003F)",
            "'Y'",
        ]);
    dir.kiln(&["generate", "lm.kiln", "--temperature=-1"])
        .fails_with(&["temperature -1 must be a positive number"]);
    // `kiln serve` generates the same text for the same seed (Triton's generate extension;
    // `text_output` is the continuation without the prompt).
    let (mut child, addr) = crate::serve::serve(&dir, &["lm.kiln", "--name", "lm"]);
    let (status, answer) = crate::serve::post(
        &addr,
        "/v2/models/lm/generate",
        r#"{"text_input": "to be", "parameters": {"max_tokens": 30, "temperature": 0.8, "seed": 5}}"#,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{answer}");
    let served: serde_json::Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(
        format!("to be{}\n", served["text_output"].as_str().unwrap()),
        a.stdout,
        "served text differs from `kiln generate`"
    );

    let inspect = dir.kiln(&["inspect", "lm.kiln"]);
    inspect.success();
    assert!(inspect.stdout.contains("bits/char"), "{}", inspect.stdout);
}

#[test]
fn generate_refuses_a_table_model() {
    let dir = Dir::new();
    dir.trained_moons();
    dir.kiln(&["generate", "moons.kiln", "--prompt", "x"])
        .fails_with(&["not a language model"]);
}
