//! The sections a model file or checkpoint holds, by name, and the byte codecs of those that
//! are not another library's format.
//!
//! | section        | in                         | bytes                                       |
//! |----------------|----------------------------|---------------------------------------------|
//! | `weights`      | network models, checkpoints | burnpack (Burn's own format)               |
//! | `best_weights` | checkpoints                | burnpack: the best epoch's weights so far    |
//! | `optimizer`    | checkpoints                | `kiln_train::OptimizerState::to_bytes`       |
//! | `posterior`    | Bayesian (ADVI) models     | JSON of `kiln_bayes::Posterior`              |
//! | `elbo`         | Bayesian (ADVI) models     | [`f32_values`]: the ELBO of every iteration  |

/// A network's weights (burnpack).
pub const WEIGHTS: &str = "weights";
/// A checkpoint's best weights so far (burnpack).
pub const BEST_WEIGHTS: &str = "best_weights";
/// A checkpoint's optimiser state.
pub const OPTIMIZER: &str = "optimizer";
/// A Bayesian model's posterior (JSON).
pub const POSTERIOR: &str = "posterior";
/// A Bayesian model's ELBO trace (f32, little-endian).
pub const ELBO: &str = "elbo";

/// `values` as f32, little-endian, one after another.
pub fn f32_bytes(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

/// Reads what [`f32_bytes`] wrote (a trailing partial value is ignored).
pub fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_values_round_trip_bit_for_bit() {
        let values = [0.0f32, -1.5, f32::MIN_POSITIVE, 3.0e38, f32::NAN];
        let back = f32_values(&f32_bytes(values));
        assert_eq!(back.len(), values.len());
        for (a, b) in values.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(f32_bytes([1.0f32]), [0, 0, 0x80, 0x3f]);
        assert_eq!(f32_values(&[0, 0, 0x80, 0x3f, 7]), [1.0]);
    }
}
