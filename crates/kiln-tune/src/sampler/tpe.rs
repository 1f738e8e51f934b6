//! The tree-structured Parzen estimator (Bergstra et al. 2011), with Optuna 5's defaults:
//! 10 random startup trials, `γ(n) = min(⌈0.1·n⌉, 25)` trials in the good group, recent
//! trials weighted up past 25, 24 candidates drawn from the good model `l(x)` and the one
//! maximising `l(x)/g(x)` kept. Univariate by default (one model per path); `multivariate`
//! models the unconditional paths jointly (Falkner et al. 2018), conditional ones stay
//! univariate; the joint kernels' bandwidths are computed per path as for one (Optuna 5).

use super::parzen::Parzen;
use super::{Sampler, random_value, trial_rng, walk};
use crate::space::{Distribution, ParamValue, Params, Space};
use crate::trial::{Direction, Trial, TrialState, ranked};

/// Optuna's default `γ`: how many trials form the good group.
pub fn default_gamma(n: usize) -> usize {
    (n.div_ceil(10)).min(25)
}

/// Optuna's default weights of `n` observations in trial order: equal up to 25, then a
/// ramp from `1/n` for the oldest to 1 for the 25 most recent.
pub fn default_weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

/// The TPE sampler.
#[derive(Debug, Clone)]
pub struct TpeSampler {
    /// The study's seed.
    pub seed: u64,
    /// What the study optimises.
    pub direction: Direction,
    /// Random trials before modelling starts (complete and pruned trials count).
    pub startup_trials: usize,
    /// Candidates drawn from `l(x)` per suggestion.
    pub candidates: usize,
    /// Model the unconditional paths jointly.
    pub multivariate: bool,
}

impl TpeSampler {
    /// Optuna's defaults: 10 startup trials, 24 candidates, univariate.
    pub fn new(seed: u64, direction: Direction) -> Self {
        Self {
            seed,
            direction,
            startup_trials: 10,
            candidates: 24,
            multivariate: false,
        }
    }
}

/// The good and the bad trials, each in trial order.
fn split<'a>(history: &[&'a Trial], direction: Direction) -> (Vec<&'a Trial>, Vec<&'a Trial>) {
    let mut complete = ranked(history.iter().copied(), direction);
    let mut pruned: Vec<&Trial> = history
        .iter()
        .copied()
        .filter(|t| t.state == TrialState::Pruned)
        .collect();
    let n_below = default_gamma(complete.len() + pruned.len());
    let (mut below, mut above): (Vec<&Trial>, Vec<&Trial>);
    if n_below <= complete.len() {
        above = complete.split_off(n_below);
        below = complete;
        above.extend(pruned);
    } else {
        // Pruned trials that went further rank better; at the same step, by their value.
        pruned.sort_by(|a, b| {
            let last = |t: &Trial| t.intermediate.last().map(|(s, v)| (*s, *v));
            let (sa, sb) = (last(a), last(b));
            sb.map(|x| x.0)
                .cmp(&sa.map(|x| x.0))
                .then_with(|| {
                    let va = direction.loss(sa.map_or(f64::INFINITY, |x| x.1));
                    let vb = direction.loss(sb.map_or(f64::INFINITY, |x| x.1));
                    va.total_cmp(&vb)
                })
                .then(a.number.cmp(&b.number))
        });
        let take = n_below - complete.len();
        above = pruned.split_off(take.min(pruned.len()));
        below = complete;
        below.extend(pruned);
    }
    below.sort_by_key(|t| t.number);
    above.sort_by_key(|t| t.number);
    (below, above)
}

/// The internal rows of `trials` that have every path in `dims`. A trial's values are a map
/// sorted by path, so each row is one merge of that map with the paths in sorted order
/// (a lookup per path would search the map from its root for each of them).
fn observations(trials: &[&Trial], dims: &[(&str, &Distribution)]) -> Vec<Vec<f64>> {
    let mut order: Vec<usize> = (0..dims.len()).collect();
    order.sort_unstable_by_key(|&i| dims[i].0);
    trials
        .iter()
        .filter_map(|t| {
            let mut row = vec![0.0; dims.len()];
            let mut values = t.params.iter();
            for &i in &order {
                let (path, d) = dims[i];
                let v = loop {
                    let (key, v) = values.next()?;
                    match key.as_str().cmp(path) {
                        std::cmp::Ordering::Less => {}
                        std::cmp::Ordering::Equal => break v,
                        std::cmp::Ordering::Greater => return None,
                    }
                };
                row[i] = d.to_internal(v)?;
            }
            Some(row)
        })
        .collect()
}

impl TpeSampler {
    /// Internal values for `dims` maximising `l(x)/g(x)` over candidates drawn from `l`.
    fn model(
        &self,
        below: &[&Trial],
        above: &[&Trial],
        dims: &[(&str, &Distribution)],
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> Vec<f64> {
        let dists: Vec<&Distribution> = dims.iter().map(|(_, d)| *d).collect();
        let ob = observations(below, dims);
        let oa = observations(above, dims);
        let l = Parzen::fit(&ob, &default_weights(ob.len()), &dists);
        let g = Parzen::fit(&oa, &default_weights(oa.len()), &dists);
        let candidates = l.sample(rng, self.candidates);
        let mut best = 0;
        let mut best_score = f64::NEG_INFINITY;
        for (i, c) in candidates.iter().enumerate() {
            let score = l.log_pdf(c) - g.log_pdf(c);
            if score > best_score {
                best_score = score;
                best = i;
            }
        }
        candidates[best].clone()
    }
}

impl Sampler for TpeSampler {
    fn suggest(&self, space: &Space, history: &[&Trial], number: usize, fixed: &Params) -> Params {
        let mut rng = trial_rng(self.seed, number);
        let seen = history
            .iter()
            .filter(|t| matches!(t.state, TrialState::Complete | TrialState::Pruned))
            .count();
        if seen < self.startup_trials {
            return walk(space, fixed, |i, _| {
                random_value(&space.dimensions[i].distribution, &mut rng)
            });
        }
        let (below, above) = split(history, self.direction);
        let mut joint: Params = Params::new();
        if self.multivariate {
            let dims: Vec<(&str, &Distribution)> = space
                .dimensions
                .iter()
                .filter(|d| d.when.is_none() && !fixed.contains_key(&d.path))
                .map(|d| (d.path.as_str(), &d.distribution))
                .collect();
            if !dims.is_empty() {
                let x = self.model(&below, &above, &dims, &mut rng);
                for ((path, d), v) in dims.iter().zip(x) {
                    joint.insert((*path).to_string(), d.from_internal(v));
                }
            }
        }
        walk(space, fixed, |i, _| {
            let d = &space.dimensions[i];
            if let Some(v) = joint.get(&d.path) {
                return v.clone();
            }
            let x = self.model(
                &below,
                &above,
                &[(d.path.as_str(), &d.distribution)],
                &mut rng,
            );
            let v: ParamValue = d.distribution.from_internal(x[0]);
            v
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_and_weights_match_optuna() {
        assert_eq!(
            [0, 1, 10, 11, 100, 250, 1000].map(default_gamma),
            [0, 1, 1, 2, 10, 25, 25]
        );
        assert_eq!(default_weights(3), vec![1.0; 3]);
        let w = default_weights(30);
        // numpy.linspace(1/30, 1, 5) then 25 ones.
        let expect = [
            1.0 / 30.0,
            0.275,
            0.516_666_666_666_666_7,
            0.758_333_333_333_333_3,
            1.0,
        ];
        for (a, b) in w.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert_eq!(w.len(), 30);
        assert!(w[5..].iter().all(|&x| x == 1.0));
    }

    #[test]
    fn pruned_trials_fill_the_good_group_by_how_far_they_went() {
        use crate::trial::Step;
        let t = |n: usize, state: TrialState, value: Option<f64>, steps: u32| Trial {
            number: n,
            params: Params::new(),
            state,
            value,
            intermediate: (1..=steps)
                .map(|i| (Step { group: 0, index: i }, value.unwrap_or(0.0)))
                .collect(),
        };
        // 12 trials → γ = 2; one complete, so one pruned joins it: the one that went
        // furthest (trial 2, 5 steps), not the one with the best value.
        let mut history = vec![t(0, TrialState::Complete, Some(0.5), 10)];
        history.push(t(1, TrialState::Pruned, Some(0.01), 1));
        history.push(t(2, TrialState::Pruned, Some(0.9), 5));
        for n in 3..12 {
            history.push(t(n, TrialState::Pruned, Some(0.3), 2));
        }
        let refs: Vec<&Trial> = history.iter().collect();
        let (below, above) = split(&refs, Direction::Minimize);
        assert_eq!(
            below.iter().map(|t| t.number).collect::<Vec<_>>(),
            vec![0, 2]
        );
        assert_eq!(above.len(), 10);
    }
}
