//! Permutation importance (Breiman 2001, as scikit-learn's `permutation_importance`): a
//! feature matters as much as the model's score drops when that feature's values are
//! shuffled across the rows, breaking its link with the target while keeping its
//! distribution. Shuffles are seeded: feature `j`'s repeat `r` is ChaCha8 stream
//! `j · 2³² + r` of the seed, so a feature's shuffles do not depend on the others.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::{ExplainError, Result};

/// One feature's importance.
#[derive(Debug, Clone, PartialEq)]
pub struct Importance {
    /// The feature (an input column, however many columns it encodes to).
    pub feature: String,
    /// Mean drop of the score over the repeats (baseline − shuffled).
    pub mean: f64,
    /// Standard deviation of the drops (population, as scikit-learn's).
    pub std: f64,
    /// Each repeat's drop.
    pub drops: Vec<f64>,
}

/// The shuffle of `rows` rows for feature `feature`'s repeat `repeat`.
pub fn shuffle(rows: usize, seed: u64, feature: usize, repeat: usize) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((feature as u64) << 32) | repeat as u64);
    let mut order: Vec<usize> = (0..rows).collect();
    order.shuffle(&mut rng);
    order
}

/// Importance of each of `features` over `rows` rows: `score(j, order)` scores the model
/// with feature `j`'s value in row `i` taken from row `order[i]` (higher is better);
/// `baseline` is the unshuffled score.
///
/// # Errors
/// [`ExplainError::Setting`] for no repeats or fewer than 2 rows; the score's errors.
pub fn permutation_importance(
    features: &[String],
    rows: usize,
    repeats: usize,
    seed: u64,
    baseline: f64,
    mut score: impl FnMut(usize, &[usize]) -> Result<f64>,
) -> Result<Vec<Importance>> {
    if repeats == 0 {
        return Err(ExplainError::Setting {
            setting: "repeats",
            message: "at least 1".to_string(),
        });
    }
    if rows < 2 {
        return Err(ExplainError::Setting {
            setting: "rows",
            message: format!("shuffling needs at least 2 rows, got {rows}"),
        });
    }
    features
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let drops = (0..repeats)
                .map(|r| Ok(baseline - score(j, &shuffle(rows, seed, j, r))?))
                .collect::<Result<Vec<f64>>>()?;
            let mean = drops.iter().sum::<f64>() / repeats as f64;
            let var = drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / repeats as f64;
            Ok(Importance {
                feature: name.clone(),
                mean,
                std: var.sqrt(),
                drops,
            })
        })
        .collect()
}
