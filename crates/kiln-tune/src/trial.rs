//! Trials and what a study optimises.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::space::Params;

/// Whether lower or higher objective values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better (losses, errors).
    Minimize,
    /// Higher is better (accuracy, R²).
    Maximize,
}

impl Direction {
    /// Reads `minimize` / `maximize`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "minimize" => Some(Self::Minimize),
            "maximize" => Some(Self::Maximize),
            _ => None,
        }
    }

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minimize => "minimize",
            Self::Maximize => "maximize",
        }
    }

    /// Whether `a` is strictly better than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Self::Minimize => a < b,
            Self::Maximize => a > b,
        }
    }

    /// `value` as a loss (lower is better).
    pub fn loss(self, value: f64) -> f64 {
        match self {
            Self::Minimize => value,
            Self::Maximize => -value,
        }
    }
}

/// Where a trial stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TrialState {
    /// Being evaluated.
    Running,
    /// Finished with a value.
    Complete,
    /// Stopped early by the pruner; its value is the last one it reported.
    Pruned,
    /// Failed (a NaN, an error); it has no value.
    Failed,
}

impl TrialState {
    /// The name as stored (`COMPLETE`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Complete => "COMPLETE",
            Self::Pruned => "PRUNED",
            Self::Failed => "FAILED",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "RUNNING" => Some(Self::Running),
            "COMPLETE" => Some(Self::Complete),
            "PRUNED" => Some(Self::Pruned),
            "FAILED" => Some(Self::Failed),
            _ => None,
        }
    }

    /// Whether the trial has ended.
    pub fn is_finished(self) -> bool {
        self != Self::Running
    }
}

impl fmt::Display for TrialState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an intermediate value was reported: `index` counts epochs (from 1) within `group`
/// (a cross-validation fold, 0 without folds). Pruners compare a trial only with values at
/// the same group and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Step {
    /// The fold (0 without cross-validation).
    pub group: u32,
    /// The epoch within the group, from 1.
    pub index: u32,
}

/// One trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// 0-based number in the study.
    pub number: usize,
    /// The values it tried.
    pub params: Params,
    /// Where it stands.
    pub state: TrialState,
    /// The objective (complete), or the last reported value (pruned).
    pub value: Option<f64>,
    /// Values reported on the way (epochs), in order.
    pub intermediate: Vec<(Step, f64)>,
}

impl Trial {
    /// A trial just started.
    pub fn running(number: usize, params: Params) -> Self {
        Self {
            number,
            params,
            state: TrialState::Running,
            value: None,
            intermediate: Vec::new(),
        }
    }

    /// The value reported at `step`.
    pub fn at(&self, step: Step) -> Option<f64> {
        self.intermediate
            .iter()
            .rev()
            .find(|(s, _)| *s == step)
            .map(|(_, v)| *v)
    }
}

/// The complete trials with a finite value, best first (ties in trial order).
pub fn ranked<'a>(
    trials: impl IntoIterator<Item = &'a Trial>,
    direction: Direction,
) -> Vec<&'a Trial> {
    let mut done: Vec<&Trial> = trials
        .into_iter()
        .filter(|t| t.state == TrialState::Complete && t.value.is_some_and(f64::is_finite))
        .collect();
    done.sort_by(|a, b| {
        direction
            .loss(a.value.unwrap_or(f64::NAN))
            .total_cmp(&direction.loss(b.value.unwrap_or(f64::NAN)))
            .then(a.number.cmp(&b.number))
    });
    done
}

/// The best complete trial.
pub fn best(trials: &[Trial], direction: Direction) -> Option<&Trial> {
    trials
        .iter()
        .filter(|t| t.state == TrialState::Complete)
        .filter(|t| t.value.is_some_and(f64::is_finite))
        .fold(None, |best: Option<&Trial>, t| match best {
            Some(b)
                if !direction.better(t.value.unwrap_or(f64::NAN), b.value.unwrap_or(f64::NAN)) =>
            {
                Some(b)
            }
            _ => Some(t),
        })
}
