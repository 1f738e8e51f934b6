//! Pruners: whether a running trial should stop after reporting a value.
//!
//! Both compare a trial only with values reported at the same [`Step`] (the same epoch of
//! the same fold), so with cross-validation a fold is judged against the same fold of other
//! trials.

use std::collections::BTreeMap;

use crate::trial::{Direction, Step, Trial, TrialState};

/// How trials are stopped early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pruner {
    /// Never.
    None,
    /// Optuna's `MedianPruner`: after `startup_trials` complete trials and past
    /// `warmup_steps`, stop a trial whose best value so far (in its group) is worse than
    /// the median of complete trials' values at the same step.
    Median {
        /// Complete trials needed before pruning starts.
        startup_trials: usize,
        /// Steps of each group never pruned.
        warmup_steps: u32,
    },
    /// Asynchronous successive halving (Li et al. 2020; Optuna's `SuccessiveHalvingPruner`):
    /// at rung steps `min_resource · η^r` a trial continues only if its value is in the top
    /// `1/η` of every value reported at that step so far (the top one always continues).
    Asha {
        /// The first rung's step.
        min_resource: u32,
        /// η.
        reduction_factor: u32,
    },
}

impl Pruner {
    /// Reads `none` / `median` / `asha` with kiln's defaults (median: 5 startup trials, no
    /// warm-up; ASHA: rungs at epochs 1, 3, 9, 27, …).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(Self::None),
            "median" => Some(Self::Median {
                startup_trials: 5,
                warmup_steps: 0,
            }),
            "asha" => Some(Self::Asha {
                min_resource: 1,
                reduction_factor: 3,
            }),
            _ => None,
        }
    }

    /// The name as written.
    pub fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Median { .. } => "median",
            Self::Asha { .. } => "asha",
        }
    }

    /// Whether `trial` (which has just reported `value` at `step`, already in its
    /// intermediate values) should stop, given every trial of the study so far.
    pub fn should_prune(
        &self,
        direction: Direction,
        trial: &Trial,
        step: Step,
        value: f64,
        trials: &BTreeMap<usize, Trial>,
    ) -> bool {
        if !value.is_finite() {
            return false; // a NaN fails the trial; it is not pruned
        }
        match *self {
            Self::None => false,
            Self::Median {
                startup_trials,
                warmup_steps,
            } => {
                let complete: Vec<&Trial> = trials
                    .values()
                    .filter(|t| t.state == TrialState::Complete && t.number != trial.number)
                    .collect();
                if complete.len() < startup_trials || step.index <= warmup_steps {
                    return false;
                }
                let mut others: Vec<f64> = complete
                    .iter()
                    .filter_map(|t| t.at(step))
                    .filter(|v| v.is_finite())
                    .collect();
                if others.is_empty() {
                    return false;
                }
                others.sort_by(f64::total_cmp);
                let m = others.len();
                let median = if m % 2 == 1 {
                    others[m / 2]
                } else {
                    0.5 * (others[m / 2 - 1] + others[m / 2])
                };
                let best_so_far = trial
                    .intermediate
                    .iter()
                    .filter(|(s, v)| {
                        s.group == step.group && s.index <= step.index && v.is_finite()
                    })
                    .map(|(_, v)| *v)
                    .fold(None, |b: Option<f64>, v| match b {
                        Some(b) if !direction.better(v, b) => Some(b),
                        _ => Some(v),
                    })
                    .unwrap_or(value);
                direction.better(median, best_so_far)
            }
            Self::Asha {
                min_resource,
                reduction_factor,
            } => {
                let eta = reduction_factor.max(2);
                let mut rung = min_resource.max(1);
                while rung < step.index {
                    rung = rung.saturating_mul(eta);
                }
                if rung != step.index {
                    return false;
                }
                let mut competing: Vec<f64> = trials
                    .values()
                    .filter_map(|t| t.at(step))
                    .filter(|v| v.is_finite())
                    .collect();
                competing.sort_by(|a, b| direction.loss(*a).total_cmp(&direction.loss(*b)));
                let keep = (competing.len() / eta as usize).max(1);
                let threshold = competing[keep - 1];
                direction.better(threshold, value)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Params;

    fn trial(number: usize, state: TrialState, values: &[f64]) -> Trial {
        Trial {
            number,
            params: Params::new(),
            state,
            value: values.last().copied(),
            intermediate: values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    (
                        Step {
                            group: 0,
                            index: i as u32 + 1,
                        },
                        *v,
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn median_prunes_below_the_median_of_complete_trials() {
        let p = Pruner::parse("median").unwrap();
        let mut trials = BTreeMap::new();
        for (n, acc) in [0.5, 0.6, 0.7, 0.8, 0.9].into_iter().enumerate() {
            trials.insert(n, trial(n, TrialState::Complete, &[acc, acc + 0.05]));
        }
        let s1 = Step { group: 0, index: 1 };
        let low = trial(5, TrialState::Running, &[0.65]);
        let high = trial(6, TrialState::Running, &[0.75]);
        assert!(p.should_prune(Direction::Maximize, &low, s1, 0.65, &trials));
        assert!(!p.should_prune(Direction::Maximize, &high, s1, 0.75, &trials));
        // Minimising the same numbers flips the verdicts.
        assert!(!p.should_prune(Direction::Minimize, &low, s1, 0.65, &trials));
        // Another fold's values are not compared.
        let other = Step { group: 1, index: 1 };
        assert!(!p.should_prune(Direction::Maximize, &low, other, 0.65, &trials));
        // Fewer than 5 complete trials: no pruning.
        trials.remove(&0);
        assert!(!p.should_prune(Direction::Maximize, &low, s1, 0.65, &trials));
    }

    #[test]
    fn asha_keeps_the_top_third_at_rungs_only() {
        let p = Pruner::parse("asha").unwrap();
        let mut trials = BTreeMap::new();
        // Nine trials reported at epoch 1: 0.1 … 0.9 (maximising); top third ≥ 0.7.
        for n in 0..9 {
            trials.insert(n, trial(n, TrialState::Running, &[0.1 * (n + 1) as f64]));
        }
        let s1 = Step { group: 0, index: 1 };
        let check = |n: usize| {
            p.should_prune(
                Direction::Maximize,
                &trials[&n],
                s1,
                trials[&n].value.unwrap(),
                &trials,
            )
        };
        assert!(check(5)); // 0.6
        assert!(!check(6)); // 0.7
        assert!(!check(8));
        // Epoch 2 is not a rung (rungs 1, 3, 9): never pruned there.
        let s2 = Step { group: 0, index: 2 };
        assert!(!p.should_prune(Direction::Maximize, &trials[&0], s2, 0.0, &trials));
        // The first trial at a rung always continues.
        let lone: BTreeMap<usize, Trial> = [(0, trial(0, TrialState::Running, &[0.1]))].into();
        assert!(!p.should_prune(Direction::Maximize, &lone[&0], s1, 0.1, &lone));
    }
}
