//! The reference profile: what the inputs and the model's outputs looked like on validation
//! data, stored in the model file's header so that serving compares live traffic with it.

use kiln_data::read::format_number;
use kiln_data::{ColumnData, Encoder, FittedInput, FittedOutput, Table};
use serde::{Deserialize, Serialize};

use crate::error::{MonitorError, Result};
use crate::stats;

/// Format version of [`ReferenceProfile`].
pub const PROFILE_VERSION: u32 = 1;

/// Most reference values kept per numeric feature (for KS and Wasserstein).
pub const DEFAULT_MAX_SAMPLE: usize = 5_000;

/// Numeric features with at most this many distinct reference values are tested as
/// categories (Evidently's rule).
pub const DISCRETE_MAX_LEVELS: usize = 5;

/// A profile of a model's inputs and outputs on reference (validation) data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceProfile {
    /// Format version ([`PROFILE_VERSION`]).
    pub version: u32,
    /// Reference rows profiled.
    pub rows: usize,
    /// One profile per monitored input feature (images give two: `col:mean`, `col:std`).
    pub features: Vec<FeatureProfile>,
    /// The model's outputs on the reference rows: predicted class or predicted value.
    pub prediction: FeatureProfile,
    /// What the model predicts.
    pub task: TaskProfile,
    /// The validation metric (accuracy or MAE), when known.
    pub metric: Option<ReferenceMetric>,
}

/// What the model predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskProfile {
    /// Class labels (binary or multi-class).
    Classification {
        /// Class names; a predicted class is an index here.
        classes: Vec<String>,
    },
    /// Numbers.
    Regression,
}

/// The metric the model reached on the reference rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceMetric {
    /// `accuracy` (higher is better) or `mae` (lower is better).
    pub name: String,
    /// Its value.
    pub value: f64,
}

/// Where a monitored feature's values come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum FeatureSource {
    /// A table column, as is.
    Column {
        /// Column name.
        column: String,
    },
    /// Mean pixel value (0–255) of an image column.
    ImageMean {
        /// Column name.
        column: String,
    },
    /// Standard deviation of the pixel values of an image column.
    ImageStd {
        /// Column name.
        column: String,
    },
    /// Length in bytes of a text column's values (text is monitored through its length
    /// distribution; a missing value counts as missing).
    TextLength {
        /// Column name.
        column: String,
    },
    /// The model's output.
    Prediction,
}

/// Profile of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureProfile {
    /// Name shown in reports (`x1`, `image:mean`, `prediction`).
    pub name: String,
    /// Where its values come from.
    pub source: FeatureSource,
    /// Non-missing reference values.
    pub count: usize,
    /// Share of reference rows where the value is missing.
    pub missing_rate: f64,
    /// The distribution.
    pub distribution: Distribution,
}

/// A feature's reference distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// Numbers.
    Numeric {
        /// Mean of all reference values.
        mean: f64,
        /// Population standard deviation of all reference values.
        std: f64,
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
        /// Sorted reference values: all of them, or evenly spaced order statistics when there
        /// are more than the profile's `max_sample`.
        sample: Vec<f64>,
        /// PSI bin edges (the reference deciles, deduplicated).
        psi_edges: Vec<f64>,
        /// Reference counts in the PSI bins.
        psi_counts: Vec<f64>,
        /// The distinct values and their counts when there are at most
        /// [`DISCRETE_MAX_LEVELS`]: such features are tested as categories.
        #[serde(default)]
        levels: Option<Vec<(f64, f64)>>,
    },
    /// Categories.
    Categorical {
        /// Known categories; a value outside them counts as the extra last bucket `<other>`.
        categories: Vec<String>,
        /// Reference counts, `categories.len() + 1` long (the last is `<other>`).
        counts: Vec<f64>,
    },
}

/// Options for [`ReferenceProfile::build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileConfig {
    /// Most reference values kept per numeric feature.
    pub max_sample: usize,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        Self {
            max_sample: DEFAULT_MAX_SAMPLE,
        }
    }
}

/// The model's outputs for a batch of rows, as the monitor needs them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outputs<'a> {
    /// Predicted class index per row (an index into the model's class list).
    Classes(&'a [usize]),
    /// Predicted value per row (regression, in the output's units).
    Values(&'a [f64]),
}

impl Outputs<'_> {
    /// Rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Classes(c) => c.len(),
            Self::Values(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn as_f64(&self) -> Vec<f64> {
        match self {
            Self::Classes(c) => c.iter().map(|&c| c as f64).collect(),
            Self::Values(v) => v.to_vec(),
        }
    }
}

/// [`Outputs`] that own their values.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedOutputs {
    /// Predicted class index per row.
    Classes(Vec<usize>),
    /// Predicted value per row.
    Values(Vec<f64>),
}

impl OwnedOutputs {
    /// Borrowed view for [`crate::Monitor::observe`].
    pub fn as_outputs(&self) -> Outputs<'_> {
        match self {
            Self::Classes(c) => Outputs::Classes(c),
            Self::Values(v) => Outputs::Values(v),
        }
    }
}

/// Index of the largest value in each row of `k` probabilities (first on ties).
pub fn argmax_rows(probabilities: &[f32], k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    probabilities
        .chunks(k)
        .map(|row| {
            let mut best = 0;
            for (i, &p) in row.iter().enumerate() {
                if p > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}

impl ReferenceProfile {
    /// Profiles `table` (the reference rows: validation inputs) and the model's `outputs` on
    /// them, with the features the `encoder` reads.
    ///
    /// # Errors
    /// [`MonitorError::Input`] when a column is missing or of the wrong kind, or the outputs
    /// do not match the rows or the encoder's output.
    pub fn build(
        encoder: &Encoder,
        table: &Table,
        outputs: Outputs<'_>,
        metric: Option<ReferenceMetric>,
        config: ProfileConfig,
    ) -> Result<Self> {
        if outputs.len() != table.len() {
            return Err(MonitorError::Input(format!(
                "{} outputs for {} reference rows",
                outputs.len(),
                table.len()
            )));
        }
        let mut features = Vec::new();
        for input in &encoder.inputs {
            for skeleton in skeletons(input) {
                let values = skeleton.extract(table)?;
                features.push(skeleton.fitted(&values, config));
            }
        }
        let (task, prediction) = match (&encoder.output, outputs) {
            (FittedOutput::Category { classes, .. }, Outputs::Classes(c)) => (classes.clone(), c),
            (FittedOutput::Binary { classes, .. }, Outputs::Classes(c)) => (classes.to_vec(), c),
            (FittedOutput::Number { .. }, Outputs::Values(v)) => {
                let skeleton =
                    FeatureProfile::numeric_skeleton("prediction", FeatureSource::Prediction);
                return Ok(Self {
                    version: PROFILE_VERSION,
                    rows: table.len(),
                    features,
                    prediction: skeleton.fitted(v, config),
                    task: TaskProfile::Regression,
                    metric,
                });
            }
            _ => {
                return Err(MonitorError::Input(
                    "the outputs do not match the model's output kind".to_string(),
                ));
            }
        };
        if let Some(&bad) = prediction.iter().find(|&&c| c >= task.len()) {
            return Err(MonitorError::Input(format!(
                "predicted class {bad} but the model has {} classes",
                task.len()
            )));
        }
        let skeleton = FeatureProfile {
            name: "prediction".to_string(),
            source: FeatureSource::Prediction,
            count: 0,
            missing_rate: 0.0,
            distribution: Distribution::Categorical {
                categories: task.clone(),
                counts: Vec::new(),
            },
        };
        let values: Vec<f64> = prediction.iter().map(|&c| c as f64).collect();
        Ok(Self {
            version: PROFILE_VERSION,
            rows: table.len(),
            features,
            prediction: skeleton.fitted(&values, config),
            task: TaskProfile::Classification { classes: task },
            metric,
        })
    }

    /// Every monitored feature's values for the rows of `table`, feature by feature (see
    /// [`FeatureProfile::extract`]).
    ///
    /// # Errors
    /// A missing column or one of the wrong kind, named.
    pub fn extract(&self, table: &Table) -> Result<Vec<Vec<f64>>> {
        self.features.iter().map(|f| f.extract(table)).collect()
    }
}

fn skeletons(input: &FittedInput) -> Vec<FeatureProfile> {
    let column = || input.name().to_string();
    match input {
        FittedInput::Number { name, .. } => vec![FeatureProfile::numeric_skeleton(
            name,
            FeatureSource::Column { column: column() },
        )],
        FittedInput::Binary {
            name,
            positive,
            negative,
            ..
        } => vec![FeatureProfile::categorical_skeleton(
            name,
            column(),
            vec![negative.clone(), positive.clone()],
        )],
        FittedInput::Category {
            name, vocabulary, ..
        } => vec![FeatureProfile::categorical_skeleton(
            name,
            column(),
            vocabulary.clone(),
        )],
        FittedInput::Image { name, .. } => vec![
            FeatureProfile::numeric_skeleton(
                &format!("{name}:mean"),
                FeatureSource::ImageMean { column: column() },
            ),
            FeatureProfile::numeric_skeleton(
                &format!("{name}:std"),
                FeatureSource::ImageStd { column: column() },
            ),
        ],
        FittedInput::Text { name, .. } => vec![FeatureProfile::numeric_skeleton(
            &format!("{name}:length"),
            FeatureSource::TextLength { column: column() },
        )],
    }
}

impl FeatureProfile {
    fn numeric_skeleton(name: &str, source: FeatureSource) -> Self {
        Self {
            name: name.to_string(),
            source,
            count: 0,
            missing_rate: 0.0,
            distribution: Distribution::Numeric {
                mean: 0.0,
                std: 0.0,
                min: 0.0,
                max: 0.0,
                sample: Vec::new(),
                psi_edges: Vec::new(),
                psi_counts: Vec::new(),
                levels: None,
            },
        }
    }

    fn categorical_skeleton(name: &str, column: String, categories: Vec<String>) -> Self {
        Self {
            name: name.to_string(),
            source: FeatureSource::Column { column },
            count: 0,
            missing_rate: 0.0,
            distribution: Distribution::Categorical {
                categories,
                counts: Vec::new(),
            },
        }
    }

    /// Whether the feature is tested as categories (categorical, or numeric with few levels).
    pub fn is_discrete(&self) -> bool {
        match &self.distribution {
            Distribution::Categorical { .. } => true,
            Distribution::Numeric { levels, .. } => levels.is_some(),
        }
    }

    /// Fills the statistics from the extracted `values` (`NaN` = missing).
    fn fitted(mut self, values: &[f64], config: ProfileConfig) -> Self {
        let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        self.count = present.len();
        self.missing_rate = if values.is_empty() {
            0.0
        } else {
            (values.len() - present.len()) as f64 / values.len() as f64
        };
        match &mut self.distribution {
            Distribution::Categorical { categories, counts } => {
                *counts = vec![0.0; categories.len() + 1];
                for &v in &present {
                    counts[v as usize] += 1.0;
                }
            }
            Distribution::Numeric {
                mean,
                std,
                min,
                max,
                sample,
                psi_edges,
                psi_counts,
                levels,
            } => {
                let mut sorted = present.clone();
                sorted.sort_by(f64::total_cmp);
                let n = sorted.len();
                if n > 0 {
                    *mean = sorted.iter().sum::<f64>() / n as f64;
                    *std = stats::population_std(&sorted);
                    *min = sorted[0];
                    *max = sorted[n - 1];
                }
                *psi_edges = stats::psi_edges(&sorted);
                *psi_counts = stats::bin_counts(psi_edges, &sorted);
                let mut distinct: Vec<(f64, f64)> = Vec::new();
                for &v in &sorted {
                    match distinct.last_mut() {
                        Some((last, c)) if *last == v => *c += 1.0,
                        _ => {
                            distinct.push((v, 1.0));
                            if distinct.len() > DISCRETE_MAX_LEVELS {
                                break;
                            }
                        }
                    }
                }
                *levels = (n > 0 && distinct.len() <= DISCRETE_MAX_LEVELS).then_some(distinct);
                *sample = if n <= config.max_sample.max(2) {
                    sorted
                } else {
                    let k = config.max_sample.max(2);
                    (0..k)
                        .map(|i| {
                            sorted[((i as f64) * (n - 1) as f64 / (k - 1) as f64).round() as usize]
                        })
                        .collect()
                };
            }
        }
        self
    }

    /// This feature's value for every row of `table`: numbers as they are, categories as an
    /// index into the known categories (`categories.len()` for any other value), `NaN` for a
    /// missing value. The prediction pseudo-feature cannot be extracted from a table.
    ///
    /// # Errors
    /// [`MonitorError::Input`] naming a missing column or one of the wrong kind.
    pub fn extract(&self, table: &Table) -> Result<Vec<f64>> {
        let column = match &self.source {
            FeatureSource::Column { column }
            | FeatureSource::ImageMean { column }
            | FeatureSource::ImageStd { column }
            | FeatureSource::TextLength { column } => column,
            FeatureSource::Prediction => {
                return Err(MonitorError::Input(
                    "the prediction is not a table column".to_string(),
                ));
            }
        };
        let col = table.column(column).ok_or_else(|| {
            MonitorError::Input(format!(
                "column `{column}` is missing (columns: {})",
                table.names().join(", ")
            ))
        })?;
        let wrong = |expected: &str| {
            MonitorError::Input(format!(
                "column `{column}`: expected {expected}, found {}",
                col.data.kind_name()
            ))
        };
        match (&self.source, &self.distribution, &col.data) {
            (FeatureSource::ImageMean { .. }, _, ColumnData::Image(img)) => Ok((0..img.len())
                .map(|i| pixel_stats(img.image(i)).0)
                .collect()),
            (FeatureSource::ImageStd { .. }, _, ColumnData::Image(img)) => Ok((0..img.len())
                .map(|i| pixel_stats(img.image(i)).1)
                .collect()),
            (FeatureSource::ImageMean { .. } | FeatureSource::ImageStd { .. }, _, _) => {
                Err(wrong("images"))
            }
            (FeatureSource::TextLength { .. }, _, ColumnData::Text(v)) => Ok(v
                .iter()
                .map(|s| s.as_ref().map_or(f64::NAN, |s| s.len() as f64))
                .collect()),
            (FeatureSource::TextLength { .. }, _, ColumnData::Bytes(v)) => Ok(v
                .iter()
                .map(|s| s.as_ref().map_or(f64::NAN, |s| s.len() as f64))
                .collect()),
            (FeatureSource::TextLength { .. }, _, _) => Err(wrong("text")),
            (_, Distribution::Numeric { .. }, ColumnData::Number(v)) => Ok(v.clone()),
            (_, Distribution::Numeric { .. }, _) => Err(wrong("numbers")),
            (_, Distribution::Categorical { categories, .. }, data) => {
                let index = |s: &str| {
                    categories
                        .iter()
                        .position(|c| c == s)
                        .unwrap_or(categories.len()) as f64
                };
                match data {
                    ColumnData::Text(v) => Ok(v
                        .iter()
                        .map(|s| s.as_deref().map_or(f64::NAN, index))
                        .collect()),
                    ColumnData::Number(v) => Ok(v
                        .iter()
                        .map(|&x| {
                            if x.is_nan() {
                                f64::NAN
                            } else {
                                index(&format_number(x))
                            }
                        })
                        .collect()),
                    ColumnData::Image(_) | ColumnData::Bytes(_) => Err(wrong("text or numbers")),
                }
            }
        }
    }
}

/// Mean and population standard deviation of an image's bytes.
fn pixel_stats(pixels: &[u8]) -> (f64, f64) {
    if pixels.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = pixels.len() as f64;
    let mean = pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / n;
    let var = pixels
        .iter()
        .map(|&p| (f64::from(p) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}
