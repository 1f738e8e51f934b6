//! A fingerprint of the exact training data, stored in the model file.

use sha2::{Digest, Sha256};

use crate::features::{Encoded, Targets};
use crate::table::{ColumnData, Table};

/// sha256 (hex) over every raw row of a table as read (all columns, not only a model's inputs;
/// every row, not a sample): the column count, then per column its name and kind, then its
/// values in row order (numbers as IEEE bits, so `NaN` — a missing number — hashes as itself;
/// strings and bytes length-prefixed, a missing one marked apart from an empty one; image
/// shape and pixels). The same file read twice gives the same digest; changing one cell
/// changes it. This is what a run records as its dataset's digest.
pub fn table_digest(table: &Table) -> String {
    let mut hasher = Sha256::new();
    hasher.update((table.columns.len() as u64).to_le_bytes());
    let text = |hasher: &mut Sha256, v: Option<&[u8]>| match v {
        Some(b) => {
            hasher.update([1u8]);
            hasher.update((b.len() as u64).to_le_bytes());
            hasher.update(b);
        }
        None => hasher.update([0u8]),
    };
    for column in &table.columns {
        text(&mut hasher, Some(column.name.as_bytes()));
        match &column.data {
            ColumnData::Number(values) => {
                hasher.update(b"number");
                for v in values {
                    hasher.update(v.to_bits().to_le_bytes());
                }
            }
            ColumnData::Text(values) => {
                hasher.update(b"text");
                for v in values {
                    text(&mut hasher, v.as_deref().map(str::as_bytes));
                }
            }
            ColumnData::Bytes(values) => {
                hasher.update(b"bytes");
                for v in values {
                    text(&mut hasher, v.as_deref());
                }
            }
            ColumnData::Image(images) => {
                hasher.update(b"image");
                for d in [images.height, images.width, images.channels] {
                    hasher.update((d as u64).to_le_bytes());
                }
                hasher.update(&images.pixels);
            }
        }
    }
    hex::encode(hasher.finalize())
}

/// sha256 (hex) over the split seed, the row shape, and the encoded inputs and targets of
/// `train_rows`, in that order: equal digests mean a model saw exactly the same training data.
///
/// # Panics
/// If a row index is out of range.
pub fn data_digest(
    inputs: &Encoded,
    targets: &Targets,
    train_rows: &[usize],
    split_seed: u64,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(split_seed.to_le_bytes());
    hasher.update((inputs.row_shape.len() as u64).to_le_bytes());
    for &d in &inputs.row_shape {
        hasher.update((d as u64).to_le_bytes());
    }
    let mut buf: Vec<u8> = Vec::with_capacity(inputs.row_len() * 4 + 8);
    for &r in train_rows {
        buf.clear();
        for v in inputs.row(r) {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        match targets {
            Targets::Classes(c) => buf.extend_from_slice(&c[r].to_le_bytes()),
            Targets::Values(v) => buf.extend_from_slice(&v[r].to_le_bytes()),
        }
        hasher.update(&buf);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_digest_sees_every_cell_and_the_difference_between_missing_and_empty() {
        use crate::table::{Column, ColumnData, Table};
        let table = |x: f64, s: Option<&str>| {
            Table::new(vec![
                Column {
                    name: "x".into(),
                    data: ColumnData::Number(vec![1.0, x]),
                },
                Column {
                    name: "s".into(),
                    data: ColumnData::Text(vec![Some("a".into()), s.map(str::to_string)]),
                },
            ])
            .unwrap()
        };
        let a = super::table_digest(&table(2.0, Some("")));
        assert_eq!(a, super::table_digest(&table(2.0, Some(""))));
        assert_ne!(a, super::table_digest(&table(2.5, Some(""))));
        assert_ne!(a, super::table_digest(&table(2.0, None)));
        assert_ne!(
            super::table_digest(&table(f64::NAN, None)),
            super::table_digest(&table(0.0, None))
        );
    }

    use super::*;

    #[test]
    fn digest_depends_on_rows_values_and_seed() {
        let inputs = Encoded {
            data: vec![0.0, 1.0, 2.0, 3.0],
            rows: 2,
            row_shape: vec![2],
        };
        let targets = Targets::Classes(vec![0, 1]);
        let a = data_digest(&inputs, &targets, &[0, 1], 42);
        assert_eq!(a.len(), 64);
        assert_eq!(a, data_digest(&inputs, &targets, &[0, 1], 42));
        assert_ne!(a, data_digest(&inputs, &targets, &[1, 0], 42));
        assert_ne!(a, data_digest(&inputs, &targets, &[0, 1], 43));
        assert_ne!(
            a,
            data_digest(&inputs, &Targets::Classes(vec![0, 2]), &[0, 1], 42)
        );
    }
}
