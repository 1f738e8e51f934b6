//! [`SpecError`]: everything that can be wrong with a spec, located in its text when possible.

use std::path::PathBuf;

/// Everything that can be wrong with a spec.
///
/// Messages are lowercase with no trailing period; `Display` prefixes them with
/// `file:line:column` whenever the location is known.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The spec file could not be read.
    #[error("cannot read spec {}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid TOML.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// File name used in messages.
        file: String,
        /// 1-based line.
        line: u32,
        /// 1-based column, in characters.
        column: u32,
        /// What the TOML parser expected.
        message: String,
    },
    /// Valid TOML, but a key, type or value the spec does not accept.
    #[error("{file}:{line}:{column}: {message}{}", expectation(expected, allowed))]
    Invalid {
        /// File name used in messages.
        file: String,
        /// 1-based line of the offending key or value.
        line: u32,
        /// 1-based column, in characters.
        column: u32,
        /// Dotted path of the offending key, e.g. `layers[2].units` (`input[0]` for the first
        /// `[[input]]`); empty when unknown.
        field: String,
        /// What is wrong.
        message: String,
        /// What would have been accepted, in words (e.g. `a number in [0, 1)`); may be empty.
        expected: String,
        /// The accepted values when they form a closed set (layer types, transforms, keys).
        allowed: Box<[String]>,
    },
    /// The layer stack does not fit the input shape (see [`crate::shapes`]).
    #[error("{}: {message}", layer_label(*layer, layer_desc))]
    Shape {
        /// Index into `layers` (`layers.len()` for the head kiln appends).
        layer: usize,
        /// The layer in words, e.g. `conv2d 32 3×3 relu` or `head dense 10`.
        layer_desc: String,
        /// What is wrong.
        message: String,
    },
    /// A semantic check failed where no location in the text is known (e.g. a spec built in
    /// code and checked with [`Spec::validate`](crate::Spec::validate), or a conflict between two defaults).
    #[error("{}{message}", file_prefix(file))]
    Check {
        /// File name used in messages; empty when the spec did not come from a file.
        file: String,
        /// Dotted path of the offending key.
        field: String,
        /// What is wrong, including what was expected.
        message: String,
    },
}

pub(crate) fn expectation(expected: &str, allowed: &[String]) -> String {
    if !allowed.is_empty() {
        format!("; expected one of: {}", allowed.join(", "))
    } else if !expected.is_empty() {
        format!("; expected {expected}")
    } else {
        String::new()
    }
}

fn layer_label(layer: usize, desc: &str) -> String {
    // The head is not one of `layers`, so it has no index a user could look up.
    if desc.starts_with("head ") {
        desc.to_string()
    } else {
        format!("layers[{layer}] ({desc})")
    }
}

fn file_prefix(file: &str) -> String {
    if file.is_empty() {
        String::new()
    } else {
        format!("{file}: ")
    }
}
