//! A fingerprint of the exact training data, stored in the model file.

use sha2::{Digest, Sha256};

use crate::features::{Encoded, Targets};

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
