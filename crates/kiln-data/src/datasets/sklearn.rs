//! The scikit-learn tables (`iris`, `wine`, `breast_cancer`, `digits`, `diabetes`), read
//! from the files the scikit-learn wheel ships, with scikit-learn's feature names.

use std::path::Path;

use super::cache::read_text;
use super::catalogue::SklearnSet;
use crate::error::{DataError, Result};
use crate::table::{Column, ColumnData, Table};

const IRIS_FEATURES: &[&str] = &[
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
];

const WINE_FEATURES: &[&str] = &[
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
];

const CANCER_FEATURES: &[&str] = &[
    "mean radius",
    "mean texture",
    "mean perimeter",
    "mean area",
    "mean smoothness",
    "mean compactness",
    "mean concavity",
    "mean concave points",
    "mean symmetry",
    "mean fractal dimension",
    "radius error",
    "texture error",
    "perimeter error",
    "area error",
    "smoothness error",
    "compactness error",
    "concavity error",
    "concave points error",
    "symmetry error",
    "fractal dimension error",
    "worst radius",
    "worst texture",
    "worst perimeter",
    "worst area",
    "worst smoothness",
    "worst compactness",
    "worst concavity",
    "worst concave points",
    "worst symmetry",
    "worst fractal dimension",
];

const DIABETES_FEATURES: &[&str] = &[
    "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6",
];

fn parse_cell(path: &Path, line: usize, column: &str, cell: &str) -> Result<f64> {
    cell.trim().parse().map_err(|_| DataError::Parse {
        path: path.to_path_buf(),
        line: line as u64,
        column: column.to_string(),
        expected: "a number".to_string(),
        found: format!("`{cell}`"),
    })
}

/// Reads rows of numbers separated by `sep` (any run of whitespace when `None`).
fn numeric_rows(path: &Path, text: &str, skip: usize, sep: Option<char>) -> Result<Vec<Vec<f64>>> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(skip) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = match sep {
            Some(c) => line.split(c).collect(),
            None => line.split_whitespace().collect(),
        };
        rows.push(
            cells
                .iter()
                .enumerate()
                .map(|(j, c)| parse_cell(path, i + 1, &format!("x{j}"), c))
                .collect::<Result<Vec<f64>>>()?,
        );
    }
    Ok(rows)
}

fn columns_from_rows(names: &[String], rows: &[Vec<f64>], path: &Path) -> Result<Vec<Column>> {
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(rows.len()); names.len()];
    for (i, row) in rows.iter().enumerate() {
        if row.len() != names.len() {
            return Err(DataError::Csv {
                path: path.to_path_buf(),
                line: i as u64 + 2,
                message: format!("expected {} fields, found {}", names.len(), row.len()),
            });
        }
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(*v);
        }
    }
    Ok(names
        .iter()
        .zip(cols)
        .map(|(n, v)| Column::number(n.clone(), v))
        .collect())
}

/// scikit-learn's format: first line `n_samples,n_features,class names…`, then rows of
/// features and a class index.
fn load_sklearn_classes(path: &Path, feature_names: &[&str]) -> Result<Table> {
    let text = read_text(path)?;
    let header: Vec<&str> = text.lines().next().unwrap_or_default().split(',').collect();
    let bad_header = || DataError::Parse {
        path: path.to_path_buf(),
        line: 1,
        column: "header".to_string(),
        expected: "`n_samples,n_features,class names…`".to_string(),
        found: format!("`{}`", header.join(",")),
    };
    let n_samples: usize = header
        .first()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(bad_header)?;
    let n_features: usize = header
        .get(1)
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(bad_header)?;
    let classes: Vec<String> = header[2..].iter().map(|s| s.trim().to_string()).collect();
    let mut names: Vec<String> = if feature_names.len() == n_features {
        feature_names.iter().map(|s| (*s).to_string()).collect()
    } else {
        (0..n_features).map(|i| format!("x{i}")).collect()
    };
    names.push("target".to_string());
    let rows = numeric_rows(path, &text, 1, Some(','))?;
    if rows.len() != n_samples {
        return Err(DataError::Table {
            message: format!(
                "{}: header says {n_samples} rows, found {}",
                path.display(),
                rows.len()
            ),
        });
    }
    let mut columns = columns_from_rows(&names, &rows, path)?;
    let target = columns.pop().expect("target column");
    let ColumnData::Number(idx) = target.data else {
        unreachable!("numeric rows")
    };
    let labels = idx
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            classes
                .get(v as usize)
                .cloned()
                .map(Some)
                .ok_or_else(|| DataError::Parse {
                    path: path.to_path_buf(),
                    line: i as u64 + 2,
                    column: "target".to_string(),
                    expected: format!("a class index below {}", classes.len()),
                    found: v.to_string(),
                })
        })
        .collect::<Result<_>>()?;
    columns.push(Column::text("target", labels));
    Table::new(columns)
}

/// The table `set` from the cached folder `dir`.
pub(super) fn load(set: SklearnSet, dir: &Path) -> Result<Table> {
    match set {
        SklearnSet::Iris => load_sklearn_classes(&dir.join("iris.csv"), IRIS_FEATURES),
        SklearnSet::Wine => load_sklearn_classes(&dir.join("wine_data.csv"), WINE_FEATURES),
        SklearnSet::BreastCancer => {
            load_sklearn_classes(&dir.join("breast_cancer.csv"), CANCER_FEATURES)
        }
        SklearnSet::Digits => {
            let path = dir.join("digits.csv.gz");
            let rows = numeric_rows(&path, &read_text(&path)?, 0, Some(','))?;
            let mut names: Vec<String> = (0..64)
                .map(|i| format!("pixel_{}_{}", i / 8, i % 8))
                .collect();
            names.push("target".to_string());
            let mut columns = columns_from_rows(&names, &rows, &path)?;
            let target = columns.pop().expect("target column");
            let ColumnData::Number(t) = target.data else {
                unreachable!("numeric rows")
            };
            columns.push(Column::text(
                "target",
                t.into_iter().map(|v| Some(format!("{v:.0}"))).collect(),
            ));
            Table::new(columns)
        }
        SklearnSet::Diabetes => {
            let x_path = dir.join("diabetes_data_raw.csv.gz");
            let y_path = dir.join("diabetes_target.csv.gz");
            let rows = numeric_rows(&x_path, &read_text(&x_path)?, 0, None)?;
            let names: Vec<String> = DIABETES_FEATURES.iter().map(|s| (*s).to_string()).collect();
            let mut columns = columns_from_rows(&names, &rows, &x_path)?;
            let y: Vec<f64> = numeric_rows(&y_path, &read_text(&y_path)?, 0, None)?
                .into_iter()
                .flatten()
                .collect();
            columns.push(Column::number("target", y));
            Table::new(columns)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn sklearn_format_reads_with_class_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("iris.csv");
        fs::write(&p, "3,4,setosa,versicolor,virginica\n5.1,3.5,1.4,0.2,0\n7.0,3.2,4.7,1.4,1\n6.3,3.3,6.0,2.5,2\n").unwrap();
        let t = load_sklearn_classes(&p, IRIS_FEATURES).unwrap();
        assert_eq!(t.names()[0], "sepal length (cm)");
        assert_eq!(
            t.column("target").unwrap().data,
            ColumnData::Text(vec![
                Some("setosa".into()),
                Some("versicolor".into()),
                Some("virginica".into())
            ])
        );
        fs::write(&p, "4,4,a,b\n5.1,3.5,1.4,0.2,0\n").unwrap();
        assert!(load_sklearn_classes(&p, IRIS_FEATURES).is_err());
    }
}
