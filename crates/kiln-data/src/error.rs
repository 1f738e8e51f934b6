//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading, fetching, encoding or splitting data.
///
/// Each variant carries the context a user needs to fix the problem: the file, the line, the
/// column, what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A CSV file is malformed (a ragged row, bad quoting, invalid UTF-8).
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong with the line.
        message: String,
    },
    /// A value could not be parsed as what its column (or format) requires.
    #[error("{}:{line}: column `{column}`: expected {expected}, found {found}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number (0 when the format has no lines).
        line: u64,
        /// The column or field.
        column: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A JSON-lines or JSON file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A Parquet file could not be read.
    #[error("{}: parquet: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What the Parquet reader reported.
        message: String,
    },
    /// An IDX file (MNIST's format) is truncated or is not an IDX file of the expected kind.
    #[error("{}: {message}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong, e.g. `expected 47040000 bytes of image data, found 1000`.
        message: String,
    },
    /// The file format could not be told from the name, or is not supported.
    #[error(
        "{}: cannot tell the file format from its name; set `format = \"csv\"|\"parquet\"|\"jsonl\"|\"idx\"` in the spec",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// A format name that kiln does not read.
    #[error("unknown format `{format}`; expected one of csv, parquet, jsonl, idx")]
    BadFormat {
        /// The format as written.
        format: String,
    },
    /// A value is missing and the feature's policy is `error`.
    #[error(
        "missing value in column `{column}` at row {row}; set `missing = \"mean\"|\"median\"|\"mode\"|\"constant\"` in the spec"
    )]
    Missing {
        /// The column.
        column: String,
        /// 0-based row index in the table.
        row: usize,
    },
    /// A column named in the spec is not in the data.
    #[error("no column `{name}` in the data; available: {}", available.join(", "))]
    UnknownColumn {
        /// The name asked for.
        name: String,
        /// The columns that exist.
        available: Vec<String>,
    },
    /// A column holds a different kind of values than the feature needs.
    #[error("column `{column}`: expected {expected}, found {found}")]
    WrongType {
        /// The column.
        column: String,
        /// What the feature needs.
        expected: String,
        /// What the column holds.
        found: String,
    },
    /// A setting of a feature or output is invalid (an unknown transform, a binary column with
    /// three values, a constant fill without `fill`, …).
    #[error("feature `{feature}`: {message}")]
    Feature {
        /// The feature (column) name.
        feature: String,
        /// What is wrong.
        message: String,
    },
    /// Invalid split or batch parameters.
    #[error("invalid split: {message}")]
    Split {
        /// What is wrong.
        message: String,
    },
    /// A built-in dataset could not be downloaded; the message says where to place the files
    /// by hand.
    #[error("cannot fetch dataset `{dataset}`: {message}")]
    Fetch {
        /// The dataset.
        dataset: String,
        /// What failed and how to work around it.
        message: String,
    },
    /// A downloaded or cached file does not have the recorded sha256.
    #[error("{}: sha256 mismatch: expected {expected}, found {found}", path.display())]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The recorded digest.
        expected: String,
        /// The digest of the file on disk.
        found: String,
    },
    /// A name that is neither a built-in dataset nor an existing file.
    #[error("unknown dataset `{name}`; built-in datasets: {}", available.join(", "))]
    UnknownDataset {
        /// The name asked for.
        name: String,
        /// The built-in datasets.
        available: Vec<String>,
    },
    /// A dataset has no such part (e.g. `iris:test`).
    #[error("dataset `{dataset}` has no part `{part}`; {message}")]
    UnknownPart {
        /// The dataset.
        dataset: String,
        /// The part asked for.
        part: String,
        /// Which parts exist.
        message: String,
    },
    /// The encoded inputs would not fit in memory; refused before anything is allocated.
    #[error(
        "encoding {rows} rows × {width} values needs {} of memory, more than the {} available (set KILN_MEMORY_LIMIT to change the limit); {advice}",
        crate::memory::human_bytes(*bytes),
        crate::memory::human_bytes(*budget)
    )]
    TooLarge {
        /// Rows to encode.
        rows: usize,
        /// Values per row.
        width: usize,
        /// The estimate: `rows × width × 4` bytes.
        bytes: u64,
        /// What may be used.
        budget: u64,
        /// What to change.
        advice: String,
    },
    /// Columns of different lengths, or a table that cannot be built.
    #[error("invalid table: {message}")]
    Table {
        /// What is wrong.
        message: String,
    },
}

impl DataError {
    /// An [`DataError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for `Result<T, DataError>`.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
