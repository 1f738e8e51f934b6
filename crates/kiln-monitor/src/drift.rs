//! Drift of one batch of values against a feature's reference profile: which test, which
//! threshold, and the verdict.
//!
//! # Defaults (Evidently's data-drift preset, with a multiple-testing correction)
//!
//! | reference rows | feature | test | drift when |
//! |---|---|---|---|
//! | ≤ 1000 | numeric, > 5 distinct values | Kolmogorov–Smirnov | p < α / k |
//! | ≤ 1000 | categorical (or numeric ≤ 5 values), > 2 values seen | chi-square (two-sample) | p < α / k |
//! | ≤ 1000 | two values seen | two-proportion z-test | p < α / k |
//! | > 1000 | numeric, > 5 distinct values | normalised Wasserstein | ≥ 0.1 |
//! | > 1000 | categorical (or numeric ≤ 5 values) | Jensen–Shannon distance | ≥ 0.1 |
//!
//! The chi-square is the two-sample test of homogeneity (`chi2_contingency`), not Evidently's
//! goodness-of-fit against the reference shares, which ignores the reference's own sampling
//! noise and raised too many false alarms (see `bench/RESULTS.md`).
//! `k` is the number of p-value tests in the window (Bonferroni); α defaults to 0.01, stricter
//! than Evidently's per-test 0.05, because a monitor tests every window: with α = 0.05 about one
//! window in twenty would raise a false alarm. "Dataset drift" is declared when at least half
//! of the input features drift. PSI is computed for every feature and reported (threshold 0.1)
//! but decides only when chosen as the method. Everything is overridable through
//! [`DriftConfig`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::profile::{Distribution, FeatureProfile};
use crate::stats;

/// A drift test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Two-sample Kolmogorov–Smirnov p-value (numbers).
    Ks,
    /// Wasserstein distance divided by the reference's standard deviation (numbers).
    Wasserstein,
    /// Population stability index (numbers on reference-decile bins, or categories).
    Psi,
    /// Chi-square p-value on category counts.
    Chisquare,
    /// Two-proportion z-test p-value (two categories).
    Z,
    /// Jensen–Shannon distance of category frequencies.
    Jensenshannon,
}

impl Method {
    /// Whether the statistic is a p-value (drift when below the threshold) rather than a
    /// distance (drift when at or above it).
    pub fn is_p_value(self) -> bool {
        matches!(self, Self::Ks | Self::Chisquare | Self::Z)
    }

    /// Parses `ks`, `wasserstein`, `psi`, `chisquare`, `z`, `jensenshannon`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ks" => Self::Ks,
            "wasserstein" => Self::Wasserstein,
            "psi" => Self::Psi,
            "chisquare" => Self::Chisquare,
            "z" => Self::Z,
            "jensenshannon" | "js" => Self::Jensenshannon,
            _ => return None,
        })
    }
}

/// How p-value thresholds are corrected for testing many features in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// α / k for k p-value tests.
    Bonferroni,
    /// α for every test.
    None,
}

/// Health of a feature, a window or a model; the Nagios convention's first three codes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Nothing wrong.
    #[default]
    Ok,
    /// Drift or degraded quality: look soon.
    Warning,
    /// Dataset drift or badly degraded quality: act.
    Critical,
}

impl State {
    /// The Nagios exit code: 0, 1, 2.
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Warning => 1,
            Self::Critical => 2,
        }
    }

    /// `OK`, `WARNING`, `CRITICAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Drift-test settings; [`DriftConfig::default`] follows Evidently (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DriftConfig {
    /// Family-wise significance level of the p-value tests.
    pub alpha: f64,
    /// Multiple-testing correction.
    pub correction: Correction,
    /// Normalised Wasserstein threshold.
    pub wasserstein: f64,
    /// Jensen–Shannon distance threshold.
    pub jensenshannon: f64,
    /// PSI threshold.
    pub psi: f64,
    /// References with at most this many values use p-value tests, larger ones distances.
    pub small_reference: usize,
    /// Share of drifting input features that makes "dataset drift" (CRITICAL).
    pub drift_share: f64,
    /// Windows with fewer values are not tested.
    pub min_rows: usize,
    /// One method for every feature, instead of the default choice.
    pub method: Option<Method>,
    /// A method per feature name (wins over `method`).
    pub methods: BTreeMap<String, Method>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        Self {
            alpha: 0.01,
            correction: Correction::Bonferroni,
            wasserstein: 0.1,
            jensenshannon: 0.1,
            psi: 0.1,
            small_reference: 1000,
            drift_share: 0.5,
            min_rows: 30,
            method: None,
            methods: BTreeMap::new(),
        }
    }
}

/// Drift of one feature in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// Feature name.
    pub name: String,
    /// `numeric` or `categorical` (numeric features with ≤ 5 values are tested as categories).
    pub kind: String,
    /// The test that decides.
    pub method: Method,
    /// Its statistic (a p-value for `ks`, `chisquare`, `z`); `null` when the window has fewer
    /// than `min_rows` values.
    pub statistic: Option<f64>,
    /// The threshold it is compared with (already corrected for multiple tests).
    pub threshold: f64,
    /// Whether the feature drifted.
    pub drifted: bool,
    /// `OK`, or `WARNING` when drifted.
    pub state: State,
    /// Non-missing values in the window.
    pub rows: usize,
    /// Share of missing values in the window.
    pub missing_rate: f64,
    /// Share of missing values in the reference.
    pub reference_missing_rate: f64,
    /// Every statistic computed for this feature: `ks_statistic`, `ks_p_value`,
    /// `wasserstein_normed`, `psi`, `chisquare_statistic`, `chisquare_p_value`, `z_p_value`,
    /// `jensenshannon`, `mean`, `reference_mean`. `ks_p_value` is scipy's `auto` (exact up to
    /// 10,000 values) where KS is the deciding method, the asymptotic Kolmogorov p-value where
    /// it is only reported.
    pub statistics: BTreeMap<String, f64>,
}

impl DriftConfig {
    /// The method for `feature` given the reference and the distinct values `seen`
    /// (categories present in the reference or the current window).
    pub fn method_for(&self, feature: &FeatureProfile, seen: usize) -> Method {
        if let Some(&m) = self.methods.get(&feature.name) {
            return m;
        }
        let small = feature.count <= self.small_reference;
        let discrete = feature.is_discrete();
        if let Some(m) = self.method {
            // A test that cannot apply to this feature falls back to the default choice.
            let fits = match m {
                Method::Psi => true,
                Method::Ks | Method::Wasserstein => {
                    matches!(feature.distribution, Distribution::Numeric { .. })
                }
                Method::Chisquare | Method::Z | Method::Jensenshannon => discrete,
            };
            if fits {
                return m;
            }
        }
        match (small, discrete) {
            (true, false) => Method::Ks,
            (true, true) if seen <= 2 => Method::Z,
            (true, true) => Method::Chisquare,
            (false, false) => Method::Wasserstein,
            (false, true) => Method::Jensenshannon,
        }
    }

    /// The uncorrected threshold of `method`.
    pub fn threshold(&self, method: Method) -> f64 {
        match method {
            Method::Ks | Method::Chisquare | Method::Z => self.alpha,
            Method::Wasserstein => self.wasserstein,
            Method::Jensenshannon => self.jensenshannon,
            Method::Psi => self.psi,
        }
    }
}

/// A window's values of one feature, prepared for testing.
pub(crate) struct Prepared<'a> {
    feature: &'a FeatureProfile,
    /// Non-missing values, sorted (numbers) or bucket counts (discrete).
    present: Vec<f64>,
    counts: Option<(Vec<f64>, Vec<f64>)>,
    rows: usize,
    missing_rate: f64,
    pub(crate) method: Method,
}

impl<'a> Prepared<'a> {
    /// `values` holds the window's extracted values (`NaN` = missing).
    pub(crate) fn new(feature: &'a FeatureProfile, values: &[f64], config: &DriftConfig) -> Self {
        let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        present.sort_by(f64::total_cmp);
        let missing_rate = if values.is_empty() {
            0.0
        } else {
            (values.len() - present.len()) as f64 / values.len() as f64
        };
        let counts = discrete_counts(feature, &present);
        let seen = counts.as_ref().map_or(usize::MAX, |(r, c)| {
            r.iter()
                .zip(c)
                .filter(|(r, c)| **r > 0.0 || **c > 0.0)
                .count()
        });
        let method = config.method_for(feature, seen);
        Self {
            feature,
            rows: present.len(),
            present,
            counts,
            missing_rate,
            method,
        }
    }

    /// Whether this feature's test counts towards the multiple-testing correction.
    pub(crate) fn counts_as_p_test(&self, config: &DriftConfig) -> bool {
        self.method.is_p_value() && self.rows >= config.min_rows.max(1)
    }

    /// Runs the tests; `p_tests` is the number of p-value tests in the window.
    pub(crate) fn test(self, config: &DriftConfig, p_tests: usize) -> FeatureDrift {
        let mut threshold = config.threshold(self.method);
        if self.method.is_p_value() && config.correction == Correction::Bonferroni && p_tests > 1 {
            threshold /= p_tests as f64;
        }
        let mut statistics = BTreeMap::new();
        let kind = if self.counts.is_some() {
            "categorical"
        } else {
            "numeric"
        };
        let enough = self.rows >= config.min_rows.max(1);
        if enough {
            fill_statistics(
                self.feature,
                self.method,
                &self.present,
                self.counts.as_ref(),
                &mut statistics,
            );
        }
        let key = match self.method {
            Method::Ks => "ks_p_value",
            Method::Wasserstein => "wasserstein_normed",
            Method::Psi => "psi",
            Method::Chisquare => "chisquare_p_value",
            Method::Z => "z_p_value",
            Method::Jensenshannon => "jensenshannon",
        };
        let statistic = statistics.get(key).copied();
        let drifted = statistic.is_some_and(|s| {
            if self.method.is_p_value() {
                s < threshold
            } else {
                s >= threshold
            }
        });
        FeatureDrift {
            name: self.feature.name.clone(),
            kind: kind.to_string(),
            method: self.method,
            statistic,
            threshold,
            drifted,
            state: if drifted { State::Warning } else { State::Ok },
            rows: self.rows,
            missing_rate: self.missing_rate,
            reference_missing_rate: self.feature.missing_rate,
            statistics,
        }
    }
}

/// Reference and current counts over the buckets of a discrete feature, or `None` for a
/// continuous one.
fn discrete_counts(feature: &FeatureProfile, present: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    match &feature.distribution {
        Distribution::Categorical { counts, .. } => {
            let mut cur = vec![0.0; counts.len()];
            for &v in present {
                let i = (v as usize).min(cur.len() - 1);
                cur[i] += 1.0;
            }
            Some((counts.clone(), cur))
        }
        Distribution::Numeric {
            levels: Some(levels),
            ..
        } => {
            let mut reference: Vec<f64> = levels.iter().map(|l| l.1).collect();
            reference.push(0.0);
            let mut cur = vec![0.0; levels.len() + 1];
            for &v in present {
                let i = levels.iter().position(|l| l.0 == v).unwrap_or(levels.len());
                cur[i] += 1.0;
            }
            Some((reference, cur))
        }
        Distribution::Numeric { levels: None, .. } => None,
    }
}

fn fill_statistics(
    feature: &FeatureProfile,
    method: Method,
    present: &[f64],
    counts: Option<&(Vec<f64>, Vec<f64>)>,
    out: &mut BTreeMap<String, f64>,
) {
    let mut put = |k: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    if let Distribution::Numeric {
        mean,
        std,
        sample,
        psi_edges,
        psi_counts,
        ..
    } = &feature.distribution
    {
        put("reference_mean", Some(*mean));
        put(
            "mean",
            Some(present.iter().sum::<f64>() / present.len() as f64),
        );
        if !sample.is_empty() {
            // The exact p-value walks a lattice of reference × window size (half a second for
            // 5,000 × 10,000); where KS only informs, the asymptotic one says the same.
            let exact_max_n = if method == Method::Ks {
                stats::KS_EXACT_MAX_N
            } else {
                0
            };
            let ks = stats::ks_sorted_exact_up_to(sample, present, exact_max_n);
            put("ks_statistic", Some(ks.statistic));
            put("ks_p_value", Some(ks.p_value));
            put(
                "wasserstein_normed",
                Some(stats::wasserstein_sorted(sample, present) / stats::scale_of(*std)),
            );
            put(
                "psi",
                stats::psi(psi_counts, &stats::bin_counts(psi_edges, present)),
            );
        }
    }
    if let Some((reference, current)) = counts {
        // Only buckets seen on either side take part (Evidently's union of values).
        let keep: Vec<usize> = (0..reference.len())
            .filter(|&i| reference[i] > 0.0 || current[i] > 0.0)
            .collect();
        let r: Vec<f64> = keep.iter().map(|&i| reference[i]).collect();
        let c: Vec<f64> = keep.iter().map(|&i| current[i]).collect();
        // The deciding chi-square is the two-sample homogeneity test: Evidently's
        // goodness-of-fit form treats the reference shares as exact and raised 2.8 % false
        // alarms per window at α = 0.01 with a 1000-row reference (bench/RESULTS.md). The
        // goodness-of-fit p-value is reported too.
        if let Some(gof) = stats::chisquare_counts(&r, &c) {
            put("chisquare_gof_p_value", Some(gof.p_value));
        }
        if let Some(chi) = stats::chisquare_homogeneity(&r, &c) {
            put("chisquare_statistic", Some(chi.statistic));
            put("chisquare_p_value", Some(chi.p_value));
        } else if r.len() == 1 {
            // One value on both sides: nothing changed.
            put("chisquare_statistic", Some(0.0));
            put("chisquare_p_value", Some(1.0));
        }
        let (rn, cn): (f64, f64) = (r.iter().sum(), c.iter().sum());
        put(
            "z_p_value",
            match r.len() {
                1 => Some(1.0),
                2 => stats::z_test(r[0], rn, c[0], cn),
                _ => None,
            },
        );
        put("jensenshannon", stats::jensenshannon(&r, &c));
        put("psi", stats::psi(&r, &c));
    }
}
