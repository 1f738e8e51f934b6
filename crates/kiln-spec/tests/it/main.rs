//! Integration tests of kiln-spec: whole specs in, located errors and shapes out.

mod errors;
mod examples;
mod sequences;
mod snapshots;

use kiln_spec::{Spec, SpecError, parse_spec};

/// The smallest valid spec; cases append sections to it. Eight lines, so appended text starts
/// on line 9.
const BASE: &str = r#"[data]
source = "mnist"
[[input]]
name = "image"
type = "image"
[output]
name = "label"
type = "category"
"#;

/// Parses `text` as `spec.toml` and asserts that it fails with a message containing `expected`.
#[track_caller]
fn check(text: &str, expected: &str) -> SpecError {
    match parse_spec(text, "spec.toml") {
        Ok(spec) => panic!("expected an error containing {expected:?}, parsed {spec:#?}"),
        Err(err) => {
            let message = err.to_string();
            assert!(
                message.contains(expected),
                "error message\n  {message}\ndoes not contain\n  {expected}"
            );
            err
        }
    }
}

/// Parses `text`, asserting that it is valid.
#[track_caller]
fn parse_ok(text: &str) -> Spec {
    parse_spec(text, "spec.toml").unwrap_or_else(|e| panic!("{e}"))
}

/// `layers` with every embedding's left-out vocabulary set to `vocab`, as kiln fills it from
/// the data before shape inference.
fn with_vocabulary(layers: &[kiln_spec::LayerSpec], vocab: usize) -> Vec<kiln_spec::LayerSpec> {
    use kiln_spec::LayerSpec;
    layers
        .iter()
        .map(|l| match l {
            LayerSpec::Embedding {
                vocab: None,
                dim,
                mask_zero,
                init,
            } => LayerSpec::Embedding {
                vocab: Some(vocab),
                dim: *dim,
                mask_zero: *mask_zero,
                init: *init,
            },
            other => other.clone(),
        })
        .collect()
}
