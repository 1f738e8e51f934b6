//! Snapshot tests (issue 15): the exact message of every bad spec in
//! `tests/snapshots/bad_specs.txt`, and what each shipped example builds
//! (`tests/snapshots/examples.txt`), must not change when the spec's types are reorganised.
//!
//! A deliberate change is blessed with `KILN_BLESS=1 cargo test -p kiln-spec --test it
//! snapshots`, which rewrites the files; the diff is then reviewed like code.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::with_vocabulary;
use kiln_spec::examples::{NAMES, example};
use kiln_spec::{infer_shapes, parse_spec};

fn snapshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name)
}

fn bless() -> bool {
    std::env::var("KILN_BLESS").is_ok_and(|v| v == "1")
}

/// Compares `actual` with the snapshot file `name` (or rewrites it when blessing), showing the
/// first differing line.
#[track_caller]
fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_path(name);
    if bless() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("read snapshot");
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the snapshot at line {}:\n  snapshot: {:?}\n  now:      {:?}\n\
             (KILN_BLESS=1 rewrites it if the change is intended)",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line),
        );
    }
}

#[test]
fn bad_spec_messages_are_unchanged() {
    let file = std::fs::read_to_string(snapshot_path("bad_specs.txt")).expect("read cases");
    let (preamble, cases) = file.split_once("\n### ").expect("at least one case");
    let mut out = format!("{preamble}\n");
    let mut count = 0;
    for case in cases.split("\n### ") {
        let (name, rest) = case.split_once('\n').expect("a case name line");
        let (spec, _old) = rest
            .split_once("--- message\n")
            .unwrap_or_else(|| panic!("case `{name}` has no `--- message` line"));
        let message = match parse_spec(spec, "spec.toml") {
            Ok(_) => "(no error: the spec is valid)".to_string(),
            Err(e) => e.to_string(),
        };
        assert!(
            !message.contains("\n### ") && !message.starts_with("### "),
            "case `{name}`: the message would break the file format"
        );
        write!(out, "### {name}\n{spec}--- message\n{message}\n\n").unwrap();
        count += 1;
    }
    let out = out.trim_end_matches('\n').to_string() + "\n";
    assert!(count >= 40, "only {count} cases");
    assert_snapshot("bad_specs.txt", &out);
}

/// The input shape and head each example gets from its data (as in `examples.rs`).
fn data_shape(name: &str) -> (&'static [usize], usize) {
    match name {
        "mnist-mlp" | "mnist-cnn" => (&[1, 28, 28], 10),
        "boston" => (&[13], 1),
        "moons-mlp" => (&[2], 2),
        "bnn-moons" => (&[2], 1),
        "shakespeare-char" => (&[40], 66),
        "imdb" | "spam" => (&[10_001], 1),
        "text-cnn" => (&[400], 1),
        other => panic!("no data shape for the example {other}"),
    }
}

#[test]
fn what_each_example_builds_is_unchanged() {
    let mut out = String::from(
        "# What each shipped example builds: its inputs, output, and the layer summary\n\
         # (description, output shape, parameters, trainable) for its data's input shape.\n",
    );
    for &name in NAMES {
        let spec = parse_spec(example(name).expect("example"), name).expect("parses");
        let (input, head) = data_shape(name);
        let vocabulary = if name == "text-cnn" { 20_002 } else { head };
        let layers = with_vocabulary(&spec.layers, vocabulary);
        writeln!(out, "\n## {name}").unwrap();
        for f in &spec.inputs {
            writeln!(out, "input {} {:?}", f.name, f.kind).unwrap();
        }
        writeln!(out, "output {} {:?}", spec.output.name, spec.output.kind).unwrap();
        for s in infer_shapes(&layers, input, head).expect("shapes") {
            writeln!(
                out,
                "{} {} -> {:?} params {} trainable {}",
                s.index, s.desc, s.output, s.params, s.trainable
            )
            .unwrap();
        }
    }
    assert_snapshot("examples.txt", &out);
}
