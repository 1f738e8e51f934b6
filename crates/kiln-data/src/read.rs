//! Readers: CSV, JSON lines, Parquet and IDX files into a [`Table`].
//!
//! The format is told from the file name unless given: `.csv`/`.tsv`, `.parquet`/`.pq`,
//! `.jsonl`/`.ndjson`, `.json` (an array of objects), `.idx`/`*-ubyte`; a trailing `.gz`
//! (except on Parquet, which compresses itself) is decompressed on the fly.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::error::{DataError, Result};
use crate::table::{Column, ColumnData, ImageData, Table};

/// A file format kiln reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row (tab-separated for `.tsv`).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// One JSON object per line.
    JsonLines,
    /// One JSON array of objects.
    Json,
    /// IDX (MNIST's format): images (`0x00000803`) or labels (`0x00000801`).
    Idx,
}

impl Format {
    /// The format named `name` (`csv`, `tsv`, `parquet`, `jsonl`, `ndjson`, `json`, `idx`).
    ///
    /// # Errors
    /// [`DataError::BadFormat`] for any other name.
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Ok(Self::Csv),
            "parquet" | "pq" => Ok(Self::Parquet),
            "jsonl" | "ndjson" | "json-lines" | "jsonlines" => Ok(Self::JsonLines),
            "json" => Ok(Self::Json),
            "idx" | "ubyte" => Ok(Self::Idx),
            _ => Err(DataError::BadFormat {
                format: name.to_string(),
            }),
        }
    }

    /// The format told from the file name, ignoring a trailing `.gz`.
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with("-ubyte") || name.ends_with(".idx") {
            return Some(Self::Idx);
        }
        let ext = Path::new(name).extension()?.to_str()?;
        match ext {
            "idx1" | "idx3" => Some(Self::Idx),
            _ => Self::parse(ext).ok(),
        }
    }
}

/// Reads a whole file into a [`Table`].
///
/// `format` overrides the format told from the name (see [`Format::parse`]).
///
/// # Errors
/// Any [`DataError`] a reader reports: I/O, a ragged CSV row, a malformed JSON line, a truncated
/// IDX file, …, each naming the file and, where it has lines, the line.
pub fn read_table(path: &Path, format: Option<&str>) -> Result<Table> {
    let format = match format {
        Some(f) => Format::parse(f)?,
        None => Format::from_path(path).ok_or_else(|| DataError::UnknownFormat {
            path: path.to_path_buf(),
        })?,
    };
    match format {
        Format::Csv => {
            let lower = path.to_string_lossy().to_ascii_lowercase();
            let delimiter = if lower.ends_with(".tsv") || lower.ends_with(".tsv.gz") {
                b'\t'
            } else {
                b','
            };
            read_csv_from(open(path)?, path, delimiter)
        }
        Format::JsonLines => read_json_lines_from(open(path)?, path),
        Format::Json => read_json_array_from(open(path)?, path),
        Format::Parquet => read_parquet(path),
        Format::Idx => {
            let bytes = read_bytes(path)?;
            match bytes.get(..4) {
                Some([0, 0, 8, 1]) => Ok(Table {
                    columns: vec![Column::number(
                        "label",
                        parse_idx_labels(&bytes, path)?
                            .into_iter()
                            .map(f64::from)
                            .collect(),
                    )],
                }),
                _ => Ok(Table {
                    columns: vec![Column {
                        name: "image".to_string(),
                        data: ColumnData::Image(parse_idx_images(&bytes, path)?),
                    }],
                }),
            }
        }
    }
}

/// Opens `path`, decompressing it when its name ends in `.gz`.
fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    Ok(if gz {
        Box::new(BufReader::new(GzDecoder::new(file)))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, file))
    })
}

/// The whole file, gunzipped when it starts with gzip's magic bytes.
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| DataError::Idx {
                path: path.to_path_buf(),
                message: format!("gzip: {e}"),
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Whether a cell counts as missing: empty, `NA`, `NaN`, `null`, `?` (and a few spellings).
pub fn is_missing_token(cell: &str) -> bool {
    matches!(
        cell.trim(),
        "" | "NA" | "N/A" | "na" | "NaN" | "nan" | "null" | "NULL" | "None" | "?"
    )
}

/// Parses a cell as a number; `inf`/`nan` words are not numbers here.
fn parse_number(cell: &str) -> Option<f64> {
    let t = cell.trim();
    let first = t.bytes().next()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Builds a column from raw cells: numbers when every non-missing cell is a number, else text.
pub fn infer_column(name: String, cells: Vec<String>) -> Column {
    let mut numbers = Vec::with_capacity(cells.len());
    let mut all_numbers = true;
    for cell in &cells {
        if is_missing_token(cell) {
            numbers.push(f64::NAN);
        } else if let Some(v) = parse_number(cell) {
            numbers.push(v);
        } else {
            all_numbers = false;
            break;
        }
    }
    let data = if all_numbers {
        ColumnData::Number(numbers)
    } else {
        ColumnData::Text(
            cells
                .into_iter()
                .map(|c| {
                    if is_missing_token(&c) {
                        None
                    } else {
                        Some(c.trim().to_string())
                    }
                })
                .collect(),
        )
    };
    Column { name, data }
}

/// Reads CSV with a header row from any reader; `path` is used in error messages only.
///
/// # Errors
/// [`DataError::Csv`] naming the line of a ragged row or of bad CSV.
pub fn read_csv_from(reader: impl Read, path: &Path, delimiter: u8) -> Result<Table> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let csv_err = |e: csv::Error| DataError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, csv::Position::line),
        message: match e.kind() {
            csv::ErrorKind::Io(io) => io.to_string(),
            csv::ErrorKind::Utf8 { err, .. } => format!("invalid utf-8: {err}"),
            _ => e.to_string(),
        },
    };
    let headers: Vec<String> = csv
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.is_empty() || headers.iter().all(String::is_empty) {
        return Err(DataError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: "no header row".to_string(),
        });
    }
    let width = headers.len();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); width];
    let mut record = csv::StringRecord::new();
    while csv.read_record(&mut record).map_err(csv_err)? {
        if record.len() != width {
            // A trailing blank line shows up as a one-field record; skip it.
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            return Err(DataError::Csv {
                path: path.to_path_buf(),
                line: record.position().map_or(0, csv::Position::line),
                message: format!("expected {width} fields, found {}", record.len()),
            });
        }
        for (col, field) in cells.iter_mut().zip(record.iter()) {
            col.push(field.to_string());
        }
    }
    let columns = headers
        .into_iter()
        .zip(cells)
        .enumerate()
        .map(|(i, (h, c))| {
            let name = if h.is_empty() { format!("x{i}") } else { h };
            infer_column(name, c)
        })
        .collect();
    Table::new(columns)
}

/// One JSON value as a cell; `None` = missing.
enum Cell {
    Number(f64),
    Text(String),
}

/// Collects JSON objects into columns in order of first appearance.
#[derive(Default)]
struct JsonColumns {
    names: Vec<String>,
    cells: Vec<Vec<Option<Cell>>>,
    rows: usize,
}

impl JsonColumns {
    fn push(&mut self, value: serde_json::Value, path: &Path, line: u64) -> Result<()> {
        let serde_json::Value::Object(map) = value else {
            return Err(DataError::Json {
                path: path.to_path_buf(),
                line,
                message: "expected a JSON object".to_string(),
            });
        };
        for (key, v) in map {
            let cell = match v {
                serde_json::Value::Null => None,
                serde_json::Value::Bool(b) => Some(Cell::Text(b.to_string())),
                serde_json::Value::Number(n) => Some(Cell::Number(n.as_f64().unwrap_or(f64::NAN))),
                serde_json::Value::String(s) => Some(Cell::Text(s)),
                other => {
                    return Err(DataError::Parse {
                        path: path.to_path_buf(),
                        line,
                        column: key,
                        expected: "a number, string, boolean or null".to_string(),
                        found: if other.is_array() {
                            "an array"
                        } else {
                            "an object"
                        }
                        .to_string(),
                    });
                }
            };
            let idx = match self.names.iter().position(|n| *n == key) {
                Some(i) => i,
                None => {
                    self.names.push(key);
                    self.cells.push((0..self.rows).map(|_| None).collect());
                    self.names.len() - 1
                }
            };
            let col = &mut self.cells[idx];
            // A key repeated in one object: the last value wins.
            if col.len() > self.rows {
                col.pop();
            }
            col.push(cell);
        }
        self.rows += 1;
        for col in &mut self.cells {
            if col.len() < self.rows {
                col.push(None);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Table> {
        let columns = self
            .names
            .into_iter()
            .zip(self.cells)
            .map(|(name, cells)| {
                let numeric = cells.iter().all(|c| !matches!(c, Some(Cell::Text(_))));
                let data = if numeric {
                    ColumnData::Number(
                        cells
                            .into_iter()
                            .map(|c| match c {
                                Some(Cell::Number(v)) => v,
                                _ => f64::NAN,
                            })
                            .collect(),
                    )
                } else {
                    ColumnData::Text(
                        cells
                            .into_iter()
                            .map(|c| match c {
                                Some(Cell::Number(v)) => Some(format_number(v)),
                                Some(Cell::Text(s)) => Some(s),
                                None => None,
                            })
                            .collect(),
                    )
                };
                Column { name, data }
            })
            .collect();
        Table::new(columns)
    }
}

/// Renders a number the way a user wrote it: `3` for integers, `2.5` otherwise.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        v.to_string()
    }
}

/// Reads JSON lines (one object per line, blank lines skipped) from any reader.
///
/// # Errors
/// [`DataError::Json`] / [`DataError::Parse`] naming the line.
pub fn read_json_lines_from(reader: impl BufRead, path: &Path) -> Result<Table> {
    let mut cols = JsonColumns::default();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = line.map_err(|e| DataError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| DataError::Json {
                path: path.to_path_buf(),
                line: line_no,
                message: e.to_string(),
            })?;
        cols.push(value, path, line_no)?;
    }
    cols.finish()
}

/// Reads a JSON array of objects from any reader.
///
/// # Errors
/// [`DataError::Json`] when the text is not a JSON array of flat objects.
pub fn read_json_array_from(reader: impl Read, path: &Path) -> Result<Table> {
    let value: serde_json::Value =
        serde_json::from_reader(reader).map_err(|e| DataError::Json {
            path: path.to_path_buf(),
            line: e.line() as u64,
            message: e.to_string(),
        })?;
    let serde_json::Value::Array(items) = value else {
        return Err(DataError::Json {
            path: path.to_path_buf(),
            line: 1,
            message: "expected a JSON array of objects".to_string(),
        });
    };
    let mut cols = JsonColumns::default();
    for item in items {
        cols.push(item, path, 0)?;
    }
    cols.finish()
}

/// Reads a Parquet file: numeric columns become numbers, strings text, booleans `true`/`false`
/// text, nulls missing.
///
/// # Errors
/// [`DataError::Parquet`] when the file is not Parquet or holds an unsupported column type.
pub fn read_parquet(path: &Path) -> Result<Table> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{
        Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type,
        UInt32Type, UInt64Type,
    };
    use arrow_schema::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let pq_err = |e: &dyn std::fmt::Display| DataError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| pq_err(&e))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| pq_err(&e))?;
    let mut columns: Vec<Column> = schema
        .fields()
        .iter()
        .map(|f| {
            let data = match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean => {
                    Ok(ColumnData::Text(Vec::new()))
                }
                t if t.is_numeric() => Ok(ColumnData::Number(Vec::new())),
                t => Err(pq_err(&format!(
                    "column `{}` has type {t}, which kiln does not read",
                    f.name()
                ))),
            }?;
            Ok(Column {
                name: f.name().clone(),
                data,
            })
        })
        .collect::<Result<_>>()?;

    macro_rules! numbers {
        ($out:expr, $arr:expr, $($t:ty),*) => {
            match $arr.data_type() {
                $(t if *t == <$t as arrow_array::types::ArrowPrimitiveType>::DATA_TYPE => {
                    let a = $arr.as_primitive::<$t>();
                    $out.extend((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) as f64 }));
                })*
                t => return Err(pq_err(&format!("unsupported numeric type {t}"))),
            }
        };
    }

    for batch in reader {
        let batch = batch.map_err(|e| pq_err(&e))?;
        for (col, arr) in columns.iter_mut().zip(batch.columns()) {
            match &mut col.data {
                ColumnData::Number(out) => {
                    numbers!(
                        out,
                        arr,
                        Float64Type,
                        Float32Type,
                        Int8Type,
                        Int16Type,
                        Int32Type,
                        Int64Type,
                        UInt8Type,
                        UInt16Type,
                        UInt32Type,
                        UInt64Type
                    );
                }
                ColumnData::Text(out) => match arr.data_type() {
                    DataType::Boolean => {
                        let a = arr.as_boolean();
                        out.extend(
                            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_string())),
                        );
                    }
                    DataType::Utf8 => {
                        let a = arr.as_string::<i32>();
                        out.extend(
                            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_string())),
                        );
                    }
                    DataType::LargeUtf8 => {
                        let a = arr.as_string::<i64>();
                        out.extend(
                            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_string())),
                        );
                    }
                    _ => {
                        let a = arr.as_string_view();
                        out.extend(
                            (0..a.len()).map(|i| (!a.is_null(i)).then(|| a.value(i).to_string())),
                        );
                    }
                },
                ColumnData::Image(_) | ColumnData::Bytes(_) => {
                    unreachable!("parquet columns are read as numbers or text")
                }
            }
        }
    }
    Table::new(columns)
}

fn idx_err(path: &Path, message: String) -> DataError {
    DataError::Idx {
        path: path.to_path_buf(),
        message,
    }
}

/// Checks an IDX header of unsigned bytes with `dims` dimensions; returns the dimensions.
fn idx_header(bytes: &[u8], path: &Path, dims: u8, what: &str) -> Result<Vec<usize>> {
    let header = 4 + 4 * usize::from(dims);
    let expected = 0x0800 | u32::from(dims);
    if let Some(m) = bytes.get(..4) {
        let magic = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
        if magic != expected {
            return Err(idx_err(
                path,
                format!("not an IDX {what} file: magic 0x{magic:08x}, expected 0x{expected:08x}"),
            ));
        }
    }
    if bytes.len() < header {
        return Err(idx_err(
            path,
            format!(
                "file is too short for an IDX {what} header: expected {header} bytes, found {}",
                bytes.len()
            ),
        ));
    }
    Ok((0..usize::from(dims))
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect())
}

/// Parses IDX image bytes (magic `0x00000803`, `[n, rows, cols]` unsigned bytes).
///
/// # Errors
/// [`DataError::Idx`] for a foreign magic number or truncated data.
pub fn parse_idx_images(bytes: &[u8], path: &Path) -> Result<ImageData> {
    let dims = idx_header(bytes, path, 3, "image")?;
    let (n, height, width) = (dims[0], dims[1], dims[2]);
    let need = n * height * width;
    let data = &bytes[16..];
    if data.len() < need {
        return Err(idx_err(
            path,
            format!(
                "expected {need} bytes of image data, found {} (the file is truncated)",
                data.len()
            ),
        ));
    }
    Ok(ImageData {
        height,
        width,
        channels: 1,
        pixels: data[..need].to_vec(),
    })
}

/// Parses IDX label bytes (magic `0x00000801`, `[n]` unsigned bytes).
///
/// # Errors
/// [`DataError::Idx`] for a foreign magic number or truncated data.
pub fn parse_idx_labels(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let n = idx_header(bytes, path, 1, "label")?[0];
    let data = &bytes[8..];
    if data.len() < n {
        return Err(idx_err(
            path,
            format!(
                "expected {n} bytes of label data, found {} (the file is truncated)",
                data.len()
            ),
        ));
    }
    Ok(data[..n].to_vec())
}

/// Reads an IDX image file (gzipped or not).
///
/// # Errors
/// [`DataError::Io`] or [`DataError::Idx`].
pub fn read_idx_images(path: &Path) -> Result<ImageData> {
    parse_idx_images(&read_bytes(path)?, path)
}

/// Reads an IDX label file (gzipped or not).
///
/// # Errors
/// [`DataError::Io`] or [`DataError::Idx`].
pub fn read_idx_labels(path: &Path) -> Result<Vec<u8>> {
    parse_idx_labels(&read_bytes(path)?, path)
}

/// Encodes images as IDX bytes (magic `0x00000803`): the inverse of [`parse_idx_images`],
/// for tests and tools. Only single-channel images have an IDX form.
///
/// # Panics
/// If `images.channels != 1`.
pub fn idx_image_bytes(images: &ImageData) -> Vec<u8> {
    assert_eq!(images.channels, 1, "IDX images are single-channel");
    let mut out = Vec::with_capacity(16 + images.pixels.len());
    out.extend_from_slice(&0x0803u32.to_be_bytes());
    for d in [images.len(), images.height, images.width] {
        out.extend_from_slice(
            &u32::try_from(d)
                .expect("IDX dimension fits u32")
                .to_be_bytes(),
        );
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Encodes labels as IDX bytes (magic `0x00000801`).
pub fn idx_label_bytes(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&0x0801u32.to_be_bytes());
    out.extend_from_slice(
        &u32::try_from(labels.len())
            .expect("IDX dimension fits u32")
            .to_be_bytes(),
    );
    out.extend_from_slice(labels);
    out
}

/// `path` made absolute against `base` when relative.
pub(crate) fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_infers_types_and_missing_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "t.csv",
            b"a,b,c,d\n1,x,1.5,NA\n2,,?,3\n-3e2,z,NaN,null\n",
        );
        let t = read_table(&p, None).unwrap();
        assert_eq!(t.names(), ["a", "b", "c", "d"]);
        assert_eq!(t.len(), 3);
        assert_eq!(
            t.column("a").unwrap().data,
            ColumnData::Number(vec![1.0, 2.0, -300.0])
        );
        assert_eq!(
            t.column("b").unwrap().data,
            ColumnData::Text(vec![Some("x".into()), None, Some("z".into())])
        );
        let ColumnData::Number(c) = &t.column("c").unwrap().data else {
            panic!("c is numeric")
        };
        assert_eq!(c[0], 1.5);
        assert!(c[1].is_nan() && c[2].is_nan());
        let ColumnData::Number(d) = &t.column("d").unwrap().data else {
            panic!("d is numeric")
        };
        assert!(d[0].is_nan() && d[1] == 3.0 && d[2].is_nan());
    }

    #[test]
    fn gzipped_csv_reads() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"x,y\n1,a\n2,b\n").unwrap();
        let p = write(dir.path(), "t.csv.gz", &gz.finish().unwrap());
        let t = read_table(&p, None).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.column("x").unwrap().data,
            ColumnData::Number(vec![1.0, 2.0])
        );
    }

    #[test]
    fn ragged_csv_row_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "bad.csv", b"a,b,c\n1,2,3\n4,5,6\n7,8\n");
        let err = read_table(&p, None).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DataError::Csv { line: 4, .. }), "{msg}");
        assert!(
            msg.ends_with("bad.csv:4: expected 3 fields, found 2"),
            "{msg}"
        );
    }

    #[test]
    fn json_lines_read_with_missing_keys_and_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "t.jsonl",
            b"{\"a\": 1, \"b\": \"x\", \"c\": true}\n\n{\"a\": 2.5, \"c\": false}\n{\"a\": null, \"b\": \"y\"}\n",
        );
        let t = read_table(&p, None).unwrap();
        assert_eq!(t.names(), ["a", "b", "c"]);
        let ColumnData::Number(a) = &t.column("a").unwrap().data else {
            panic!()
        };
        assert_eq!(&a[..2], &[1.0, 2.5]);
        assert!(a[2].is_nan());
        assert_eq!(
            t.column("b").unwrap().data,
            ColumnData::Text(vec![Some("x".into()), None, Some("y".into())])
        );
        assert_eq!(
            t.column("c").unwrap().data,
            ColumnData::Text(vec![Some("true".into()), Some("false".into()), None])
        );

        let bad = write(dir.path(), "bad.ndjson", b"{\"a\": 1}\n{\"a\": \n");
        let err = read_table(&bad, None).unwrap_err();
        assert!(matches!(err, DataError::Json { line: 2, .. }), "{err}");
        let nested = write(dir.path(), "n.jsonl", b"{\"a\": [1]}\n");
        let err = read_table(&nested, None).unwrap_err();
        assert!(err.to_string().contains("column `a`"), "{err}");
    }

    #[test]
    fn parquet_round_trip() {
        use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        let batch = RecordBatch::try_from_iter([
            (
                "x",
                Arc::new(Float64Array::from(vec![Some(1.5), None, Some(-2.0)])) as ArrayRef,
            ),
            ("n", Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("a"), Some("b"), None])) as ArrayRef,
            ),
        ])
        .unwrap();
        let file = File::create(&p).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();

        let t = read_table(&p, None).unwrap();
        assert_eq!(t.names(), ["x", "n", "s"]);
        let ColumnData::Number(x) = &t.column("x").unwrap().data else {
            panic!()
        };
        assert_eq!(x[0], 1.5);
        assert!(x[1].is_nan());
        assert_eq!(x[2], -2.0);
        assert_eq!(
            t.column("n").unwrap().data,
            ColumnData::Number(vec![1.0, 2.0, 3.0])
        );
        assert_eq!(
            t.column("s").unwrap().data,
            ColumnData::Text(vec![Some("a".into()), Some("b".into()), None])
        );
    }

    #[test]
    fn idx_round_trip_plain_and_gzipped() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let images = ImageData {
            height: 2,
            width: 3,
            channels: 1,
            pixels: (0..18).collect(),
        };
        let p = write(dir.path(), "img-idx3-ubyte", &idx_image_bytes(&images));
        assert_eq!(read_idx_images(&p).unwrap(), images);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&idx_label_bytes(&[3, 1, 4])).unwrap();
        let q = write(dir.path(), "lab-idx1-ubyte.gz", &gz.finish().unwrap());
        assert_eq!(read_idx_labels(&q).unwrap(), vec![3, 1, 4]);
        let t = read_table(&q, None).unwrap();
        assert_eq!(
            t.column("label").unwrap().data,
            ColumnData::Number(vec![3.0, 1.0, 4.0])
        );
        let t = read_table(&p, None).unwrap();
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn truncated_or_foreign_idx_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageData {
            height: 28,
            width: 28,
            channels: 1,
            pixels: vec![0; 28 * 28 * 10],
        };
        let mut bytes = idx_image_bytes(&images);
        bytes.truncate(16 + 1000);
        let p = write(dir.path(), "t-ubyte", &bytes);
        let err = read_idx_images(&p).unwrap_err().to_string();
        assert!(
            err.contains("expected 7840 bytes of image data, found 1000"),
            "{err}"
        );
        let q = write(dir.path(), "l-ubyte", &idx_label_bytes(&[1, 2]));
        let err = read_idx_images(&q).unwrap_err().to_string();
        assert!(
            err.contains("not an IDX image file: magic 0x00000801"),
            "{err}"
        );
        let r = write(dir.path(), "short-ubyte", &[0, 0]);
        assert!(read_idx_labels(&r).is_err());
    }

    #[test]
    fn formats_from_names() {
        let f = |s: &str| Format::from_path(Path::new(s));
        assert_eq!(f("a.csv"), Some(Format::Csv));
        assert_eq!(f("a.CSV.gz"), Some(Format::Csv));
        assert_eq!(f("a.parquet"), Some(Format::Parquet));
        assert_eq!(f("a.ndjson"), Some(Format::JsonLines));
        assert_eq!(f("a.jsonl.gz"), Some(Format::JsonLines));
        assert_eq!(f("train-images-idx3-ubyte"), Some(Format::Idx));
        assert_eq!(f("train-images-idx3-ubyte.gz"), Some(Format::Idx));
        assert_eq!(f("a.txt"), None);
        assert!(matches!(
            read_table(Path::new("a.txt"), None),
            Err(DataError::UnknownFormat { .. })
        ));
    }
}
