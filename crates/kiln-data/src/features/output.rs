//! The output: [`FittedOutput`] (class list, or the target's scaling), the targets it
//! encodes, and the strata of a stratified split.

use std::collections::HashMap;

use kiln_spec::options::OutputTransform;
use kiln_spec::settings::Output;
use kiln_spec::types::OutputKind;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};
use crate::features::binary::binary_pair;
use crate::features::cells::{cell_text, feature_err, first_missing, wrong_type};
use crate::features::encoded::Targets;
use crate::features::levels::sorted_distinct;
use crate::features::number::{mean, nonzero, std};
use crate::table::{Column, ColumnData, Table};

/// The fitted output feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FittedOutput {
    /// Multi-class: the class list, sorted (numerically when every class is a number).
    Category {
        /// Column name.
        name: String,
        /// Class names; a target's class index is its position here.
        classes: Vec<String>,
    },
    /// Two classes: `classes[0]` is encoded 0, `classes[1]` is encoded 1.
    Binary {
        /// Column name.
        name: String,
        /// `[negative, positive]`.
        classes: [String; 2],
    },
    /// Regression; targets are `(y - mean) / std` (`0`/`1` when not standardised).
    Number {
        /// Column name.
        name: String,
        /// Training mean (0 when not standardised).
        mean: f64,
        /// Training standard deviation (1 when not standardised).
        std: f64,
    },
}

impl FittedOutput {
    /// The column this output reads.
    pub fn name(&self) -> &str {
        match self {
            Self::Category { name, .. } | Self::Binary { name, .. } | Self::Number { name, .. } => {
                name
            }
        }
    }
}

impl FittedOutput {
    /// Fits the output on the rows `rows` of its column: the class list, or the target's mean
    /// and standard deviation.
    pub(crate) fn fit(spec: &Output, column: &Column, rows: &[usize]) -> Result<Self> {
        let missing = |row| DataError::Missing {
            column: column.name.clone(),
            row,
        };
        match spec.kind {
            OutputKind::Number => {
                let ColumnData::Number(values) = &column.data else {
                    return Err(wrong_type(column, "number"));
                };
                if let Some(row) = first_missing(column, rows) {
                    return Err(missing(row));
                }
                let (mean, std) = match spec.transform {
                    OutputTransform::None => (0.0, 1.0),
                    OutputTransform::Standardize => {
                        let v: Vec<f64> = rows.iter().map(|&r| values[r]).collect();
                        let m = mean(&v);
                        (m, nonzero(std(&v, m)))
                    }
                };
                Ok(Self::Number {
                    name: spec.name.clone(),
                    mean,
                    std,
                })
            }
            OutputKind::Category | OutputKind::Binary => {
                if matches!(column.data, ColumnData::Image(_)) {
                    return Err(wrong_type(column, "number or text"));
                }
                if let Some(row) = first_missing(column, rows) {
                    return Err(missing(row));
                }
                let classes =
                    sorted_distinct(rows.iter().filter_map(|&r| cell_text(&column.data, r)));
                if spec.kind == OutputKind::Binary {
                    Ok(Self::Binary {
                        name: spec.name.clone(),
                        classes: binary_pair(&spec.name, classes)?,
                    })
                } else {
                    if classes.len() < 2 {
                        return Err(feature_err(
                            &spec.name,
                            format!(
                                "a category output needs at least two classes, found {}",
                                classes.len()
                            ),
                        ));
                    }
                    Ok(Self::Category {
                        name: spec.name.clone(),
                        classes,
                    })
                }
            }
        }
    }

    /// Encodes the output column of `table`: class indices, or (standardised) values.
    ///
    /// # Errors
    /// [`DataError::UnknownColumn`], [`DataError::WrongType`], [`DataError::Missing`], or
    /// [`DataError::Feature`] for a class not seen in training.
    pub(crate) fn encode(&self, table: &Table) -> Result<Targets> {
        let column = table.require(self.name())?;
        let missing = |row| DataError::Missing {
            column: column.name.clone(),
            row,
        };
        match self {
            Self::Number { mean, std, .. } => {
                let ColumnData::Number(values) = &column.data else {
                    return Err(wrong_type(column, "number"));
                };
                values
                    .iter()
                    .enumerate()
                    .map(|(r, &v)| {
                        if v.is_nan() {
                            Err(missing(r))
                        } else {
                            Ok(((v - mean) / std) as f32)
                        }
                    })
                    .collect::<Result<_>>()
                    .map(Targets::Values)
            }
            Self::Category { .. } | Self::Binary { .. } => {
                let classes = self.class_names().unwrap_or_default();
                if matches!(column.data, ColumnData::Image(_)) {
                    return Err(wrong_type(column, "number or text"));
                }
                let index = class_index(classes);
                (0..table.len())
                    .map(|r| {
                        let v = cell_text(&column.data, r).ok_or_else(|| missing(r))?;
                        lookup_class(&index, &v)
                            .map(|i| i as i64)
                            .ok_or_else(|| {
                                feature_err(
                                    &column.name,
                                    format!(
                                        "row {r}: class `{v}` was not seen in training; known classes: {}",
                                        classes.join(", ")
                                    ),
                                )
                            })
                    })
                    .collect::<Result<_>>()
                    .map(Targets::Classes)
            }
        }
    }

    /// Turns a network output of a regression model back into the target's units.
    pub(crate) fn decode_value(&self, value: f32) -> f64 {
        match self {
            Self::Number { mean, std, .. } => f64::from(value) * std + mean,
            _ => f64::from(value),
        }
    }

    /// Class index per row of `table` for stratified splits; `None` for regression or when the
    /// output column is absent. Missing values and classes not seen in training get the index
    /// `classes.len()`, so that they form a stratum of their own.
    pub(crate) fn strata(&self, table: &Table) -> Option<Vec<usize>> {
        let classes = self.class_names()?;
        let column = table.column(self.name())?;
        let index = class_index(classes);
        Some(
            (0..table.len())
                .map(|r| {
                    cell_text(&column.data, r)
                        .and_then(|v| lookup_class(&index, &v))
                        .unwrap_or(classes.len())
                })
                .collect(),
        )
    }

    /// The class names of a classification output (index = class index), `None` for
    /// regression.
    pub(crate) fn class_names(&self) -> Option<&[String]> {
        match self {
            Self::Category { classes, .. } => Some(classes),
            Self::Binary { classes, .. } => Some(classes),
            Self::Number { .. } => None,
        }
    }

    /// Width of the network's output: the number of classes for a category output, 1 for
    /// binary and number outputs.
    pub(crate) fn size(&self) -> usize {
        match self {
            Self::Category { classes, .. } => classes.len(),
            Self::Binary { .. } | Self::Number { .. } => 1,
        }
    }
}

/// Class index per row of `table` for a classification output, computed from the whole column
/// (sorted distinct values): what a stratified split needs before any encoder is fitted.
/// `None` for a regression output.
///
/// # Errors
/// [`DataError::UnknownColumn`], [`DataError::WrongType`] or [`DataError::Missing`].
pub fn strata_for(table: &Table, output: &Output) -> Result<Option<Vec<usize>>> {
    if output.kind == OutputKind::Number {
        return Ok(None);
    }
    let column = table.require(&output.name)?;
    let rows: Vec<usize> = (0..table.len()).collect();
    Ok(FittedOutput::fit(output, column, &rows)?.strata(table))
}

fn class_index(classes: &[String]) -> HashMap<String, usize> {
    classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.trim().to_ascii_lowercase(), i))
        .collect()
}

fn lookup_class(index: &HashMap<String, usize>, v: &str) -> Option<usize> {
    index.get(&v.trim().to_ascii_lowercase()).copied()
}
