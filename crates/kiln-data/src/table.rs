//! The in-memory table every reader produces and every later stage consumes.

use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};

/// Rows × named columns, as read from a file or a built-in dataset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The columns, all of the same length.
    pub columns: Vec<Column>,
}

/// One named column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name (CSV header, Parquet/JSON field, or `image`/`label` for IDX data).
    pub name: String,
    /// The values.
    pub data: ColumnData,
}

/// A column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; a missing value is `NaN`.
    Number(Vec<f64>),
    /// Strings; a missing value is `None`.
    Text(Vec<Option<String>>),
    /// Raw byte strings that need not be valid UTF-8 (emails read from files); a missing value
    /// is `None`. Text features read them per their `utf8` policy or as bytes.
    Bytes(Vec<Option<Vec<u8>>>),
    /// Fixed-size 8-bit images.
    Image(ImageData),
}

/// `n` images of `height × width × channels` bytes, stored row-major, image after image
/// (`[n, height, width, channels]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageData {
    /// Rows of pixels.
    pub height: usize,
    /// Pixels per row.
    pub width: usize,
    /// Channels per pixel (1 for grey).
    pub channels: usize,
    /// All pixels, `n * height * width * channels` bytes.
    pub pixels: Vec<u8>,
}

impl Table {
    /// A table from columns, checking that they all have the same length.
    ///
    /// # Errors
    /// [`DataError::Table`] when two columns differ in length or two share a name.
    pub fn new(columns: Vec<Column>) -> Result<Self> {
        if let Some(first) = columns.first() {
            let n = first.data.len();
            for c in &columns {
                if c.data.len() != n {
                    return Err(DataError::Table {
                        message: format!(
                            "column `{}` has {} rows but column `{}` has {n}",
                            c.name,
                            c.data.len(),
                            first.name
                        ),
                    });
                }
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].iter().any(|d| d.name == c.name) {
                return Err(DataError::Table {
                    message: format!("two columns are named `{}`", c.name),
                });
            }
        }
        Ok(Self { columns })
    }

    /// Number of rows (0 for a table without columns).
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| c.data.len())
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The column called `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column called `name`.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`] listing the columns that exist.
    pub fn require(&self, name: &str) -> Result<&Column> {
        self.column(name).ok_or_else(|| DataError::UnknownColumn {
            name: name.to_string(),
            available: self.names().into_iter().map(str::to_string).collect(),
        })
    }

    /// The column names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }

    /// The rows at `rows`, in that order (indices may repeat).
    ///
    /// # Panics
    /// If an index is out of range.
    #[must_use]
    pub fn take(&self, rows: &[usize]) -> Table {
        Table {
            columns: self
                .columns
                .iter()
                .map(|c| Column {
                    name: c.name.clone(),
                    data: c.data.take(rows),
                })
                .collect(),
        }
    }
}

impl Column {
    /// A column of numbers (`NaN` = missing).
    pub fn number(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Number(values),
        }
    }

    /// A column of strings (`None` = missing).
    pub fn text(name: impl Into<String>, values: Vec<Option<String>>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Text(values),
        }
    }

    /// A column of raw byte strings (`None` = missing).
    pub fn bytes(name: impl Into<String>, values: Vec<Option<Vec<u8>>>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Bytes(values),
        }
    }
}

impl ColumnData {
    /// Number of values (images for an image column).
    pub fn len(&self) -> usize {
        match self {
            Self::Number(v) => v.len(),
            Self::Text(v) => v.len(),
            Self::Bytes(v) => v.len(),
            Self::Image(img) => img.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `number`, `text`, `bytes` or `image`: the word used in error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Number(_) => "number",
            Self::Text(_) => "text",
            Self::Bytes(_) => "bytes",
            Self::Image(_) => "image",
        }
    }

    /// Whether the value at `row` is missing (`NaN` or `None`; images are never missing).
    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            Self::Number(v) => v[row].is_nan(),
            Self::Text(v) => v[row].is_none(),
            Self::Bytes(v) => v[row].is_none(),
            Self::Image(_) => false,
        }
    }

    /// The values at `rows`, in that order.
    ///
    /// # Panics
    /// If an index is out of range.
    #[must_use]
    pub fn take(&self, rows: &[usize]) -> ColumnData {
        match self {
            Self::Number(v) => Self::Number(rows.iter().map(|&r| v[r]).collect()),
            Self::Text(v) => Self::Text(rows.iter().map(|&r| v[r].clone()).collect()),
            Self::Bytes(v) => Self::Bytes(rows.iter().map(|&r| v[r].clone()).collect()),
            Self::Image(img) => {
                let size = img.image_size();
                let mut pixels = Vec::with_capacity(rows.len() * size);
                for &r in rows {
                    pixels.extend_from_slice(img.image(r));
                }
                Self::Image(ImageData { pixels, ..*img })
            }
        }
    }

    /// Appends `other`'s rows to these rows.
    ///
    /// # Panics
    /// If `other` holds another kind of value, or images of another size.
    pub fn append(&mut self, other: &ColumnData) {
        match (self, other) {
            (Self::Number(a), Self::Number(b)) => a.extend_from_slice(b),
            (Self::Text(a), Self::Text(b)) => a.extend_from_slice(b),
            (Self::Bytes(a), Self::Bytes(b)) => a.extend_from_slice(b),
            (Self::Image(a), Self::Image(b)) if a.image_size() == b.image_size() => {
                a.pixels.extend_from_slice(&b.pixels);
            }
            (a, b) => panic!("cannot append {} to {}", b.kind_name(), a.kind_name()),
        }
    }
}

impl ImageData {
    /// Bytes per image: `height * width * channels`.
    pub fn image_size(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels
            .len()
            .checked_div(self.image_size())
            .unwrap_or(0)
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of image `i`, `[height, width, channels]` row-major.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.image_size();
        &self.pixels[i * size..(i + 1) * size]
    }
}
