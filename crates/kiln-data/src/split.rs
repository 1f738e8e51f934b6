//! Seeded, optionally stratified train / validation / test splits and k-fold partitions.
//!
//! Rows are always shuffled with a ChaCha8 generator seeded by the split seed: never a tail
//! split, and the same seed gives the same split on every machine.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};

/// Row indices of the three parts of a split, each in shuffled order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Split {
    /// Rows to fit on.
    pub train: Vec<usize>,
    /// Rows to monitor during training (early stopping, schedules).
    pub validation: Vec<usize>,
    /// Rows held out for the final evaluation.
    pub test: Vec<usize>,
}

fn check_fraction(name: &str, f: f64) -> Result<()> {
    if f.is_finite() && (0.0..1.0).contains(&f) {
        Ok(())
    } else {
        Err(DataError::Split {
            message: format!("`{name}` must be in [0, 1), found {f}"),
        })
    }
}

fn check_strata(n: usize, strata: Option<&[usize]>) -> Result<()> {
    match strata {
        Some(s) if s.len() != n => Err(DataError::Split {
            message: format!("{} strata labels for {n} rows", s.len()),
        }),
        _ => Ok(()),
    }
}

/// Rounds a fraction of `n` to a count.
fn count(n: usize, fraction: f64) -> usize {
    ((n as f64) * fraction).round() as usize
}

/// Splits `total` over groups of sizes `sizes` in proportion, by largest remainder, so that the
/// parts sum to `total` exactly and no group gives more than it has.
fn allocate(sizes: &[usize], total: usize) -> Vec<usize> {
    let n: usize = sizes.iter().sum();
    if n == 0 {
        return vec![0; sizes.len()];
    }
    let quotas: Vec<f64> = sizes
        .iter()
        .map(|&s| s as f64 * total as f64 / n as f64)
        .collect();
    let mut out: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
    let mut left = total.saturating_sub(out.iter().sum());
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    // Largest fractional part first; ties go to the lower class index (stable sort).
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa)
    });
    while left > 0 {
        let before = left;
        for &g in &order {
            if left > 0 && out[g] < sizes[g] {
                out[g] += 1;
                left -= 1;
            }
        }
        if left == before {
            break;
        }
    }
    out
}

/// Groups the shuffled rows `perm` by stratum, keeping the shuffled order inside each group.
fn groups(perm: &[usize], strata: &[usize]) -> Vec<Vec<usize>> {
    let classes = strata.iter().max().map_or(0, |m| m + 1);
    let mut out = vec![Vec::new(); classes];
    for &r in perm {
        out[strata[r]].push(r);
    }
    out
}

/// Splits `n` rows into train / validation / test.
///
/// `test` is a fraction of all rows; `validation` a fraction of the rows left after the test
/// rows are taken (as in the spec's `[data.split]`). When `strata` (one class index per row) is
/// given, each class is split in the same proportions, with counts rounded so that the parts'
/// totals are the same as without stratification.
///
/// # Errors
/// [`DataError::Split`] for a fraction outside `[0, 1)`, strata of the wrong length, or a split
/// that leaves no training row.
pub fn split_indices(
    n: usize,
    strata: Option<&[usize]>,
    validation: f64,
    test: f64,
    seed: u64,
) -> Result<Split> {
    check_fraction("validation", validation)?;
    check_fraction("test", test)?;
    check_strata(n, strata)?;
    let n_test = count(n, test);
    let n_val = count(n - n_test, validation);
    if n > 0 && n_test + n_val >= n {
        return Err(DataError::Split {
            message: format!(
                "{n} rows leave no training row after {n_test} test and {n_val} validation rows"
            ),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut rng);

    let Some(strata) = strata else {
        return Ok(Split {
            test: perm[..n_test].to_vec(),
            validation: perm[n_test..n_test + n_val].to_vec(),
            train: perm[n_test + n_val..].to_vec(),
        });
    };

    let groups = groups(&perm, strata);
    let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
    let test_counts = allocate(&sizes, n_test);
    let rest: Vec<usize> = sizes.iter().zip(&test_counts).map(|(s, t)| s - t).collect();
    let val_counts = allocate(&rest, n_val);
    let mut split = Split::default();
    for ((g, &t), &v) in groups.iter().zip(&test_counts).zip(&val_counts) {
        split.test.extend_from_slice(&g[..t]);
        split.validation.extend_from_slice(&g[t..t + v]);
        split.train.extend_from_slice(&g[t + v..]);
    }
    // Interleave the classes again: order each part by the shuffled position.
    let mut rank = vec![0; n];
    for (i, &r) in perm.iter().enumerate() {
        rank[r] = i;
    }
    for part in [&mut split.train, &mut split.validation, &mut split.test] {
        part.sort_unstable_by_key(|&r| rank[r]);
    }
    Ok(split)
}

/// Partitions `n` rows into `k` folds; returns `(train, validation)` row indices per fold.
///
/// Every row is a validation row in exactly one fold. Fold sizes differ by at most one; when
/// `strata` is given, each class's count per fold differs by at most one too.
///
/// # Errors
/// [`DataError::Split`] when `k < 2`, `k > n`, or the strata have the wrong length.
pub fn k_fold(
    n: usize,
    strata: Option<&[usize]>,
    k: usize,
    seed: u64,
) -> Result<Vec<(Vec<usize>, Vec<usize>)>> {
    if k < 2 || k > n {
        return Err(DataError::Split {
            message: format!("k-fold needs 2 <= k <= rows, found k = {k} for {n} rows"),
        });
    }
    check_strata(n, strata)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut rng);
    let order: Vec<usize> = match strata {
        Some(s) => groups(&perm, s).concat(),
        None => perm,
    };
    // Dealing rows round-robin keeps each class (consecutive in `order`) spread evenly.
    let mut fold_of = vec![0; n];
    for (i, &r) in order.iter().enumerate() {
        fold_of[r] = i % k;
    }
    Ok((0..k)
        .map(|f| {
            let (val, train): (Vec<usize>, Vec<usize>) =
                order.iter().copied().partition(|&r| fold_of[r] == f);
            (train, val)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut v: Vec<usize>) -> Vec<usize> {
        v.sort_unstable();
        v
    }

    #[test]
    fn sizes_cover_and_determinism() {
        let s = split_indices(1000, None, 0.1, 0.2, 7).unwrap();
        assert_eq!(
            (s.train.len(), s.validation.len(), s.test.len()),
            (720, 80, 200)
        );
        let all = sorted([s.train.clone(), s.validation.clone(), s.test.clone()].concat());
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(s, split_indices(1000, None, 0.1, 0.2, 7).unwrap());
        assert_ne!(s, split_indices(1000, None, 0.1, 0.2, 8).unwrap());
        // Shuffled, not a tail split.
        assert_ne!(s.test, (0..200).collect::<Vec<_>>());
    }

    #[test]
    fn stratified_keeps_proportions_and_totals() {
        // 3 classes: 500 / 300 / 101 rows.
        let strata: Vec<usize> = (0..901)
            .map(|i| {
                if i < 500 {
                    0
                } else if i < 800 {
                    1
                } else {
                    2
                }
            })
            .collect();
        let plain = split_indices(901, None, 0.1, 0.2, 1).unwrap();
        let s = split_indices(901, Some(&strata), 0.1, 0.2, 1).unwrap();
        assert_eq!(s.test.len(), plain.test.len());
        assert_eq!(s.validation.len(), plain.validation.len());
        assert_eq!(s.train.len(), plain.train.len());
        let per_class = |rows: &[usize]| {
            let mut c = [0usize; 3];
            for &r in rows {
                c[strata[r]] += 1;
            }
            c
        };
        let t = per_class(&s.test);
        assert_eq!(t.iter().sum::<usize>(), 180);
        for (got, size) in t.iter().zip([500.0, 300.0, 101.0]) {
            assert!((*got as f64 - size * 0.2).abs() <= 1.0, "{t:?}");
        }
        let v = per_class(&s.validation);
        for (got, size) in v.iter().zip([400.0, 240.0, 81.0]) {
            assert!((*got as f64 - size * 0.1).abs() <= 1.0, "{v:?}");
        }
        let all = sorted([s.train.clone(), s.validation.clone(), s.test.clone()].concat());
        assert_eq!(all, (0..901).collect::<Vec<_>>());
        assert_eq!(s, split_indices(901, Some(&strata), 0.1, 0.2, 1).unwrap());
    }

    #[test]
    fn bad_fractions_are_errors() {
        assert!(split_indices(10, None, 1.5, 0.2, 0).is_err());
        assert!(split_indices(10, None, 0.1, -0.1, 0).is_err());
        assert!(split_indices(10, None, f64::NAN, 0.1, 0).is_err());
        assert!(split_indices(10, Some(&[0, 1]), 0.1, 0.1, 0).is_err());
        assert!(split_indices(2, None, 0.5, 0.5, 0).is_err());
        assert!(k_fold(10, None, 1, 0).is_err());
        assert!(k_fold(3, None, 4, 0).is_err());
    }

    #[test]
    fn k_fold_validation_covers_each_row_once() {
        let strata: Vec<usize> = (0..103).map(|i| i % 3).collect();
        for s in [None, Some(strata.as_slice())] {
            let folds = k_fold(103, s, 5, 3).unwrap();
            assert_eq!(folds.len(), 5);
            let mut seen = vec![0; 103];
            for (train, val) in &folds {
                assert_eq!(train.len() + val.len(), 103);
                assert!(val.len() == 20 || val.len() == 21);
                for &r in val {
                    seen[r] += 1;
                    assert!(!train.contains(&r));
                }
            }
            assert!(seen.iter().all(|&c| c == 1));
        }
        let folds = k_fold(103, Some(&strata), 5, 3).unwrap();
        for (_, val) in &folds {
            for c in 0..3 {
                let n = val.iter().filter(|&&r| strata[r] == c).count();
                assert!((6..=7).contains(&n), "class {c}: {n}");
            }
        }
    }
}
