//! One module per subcommand. Each `run` takes its checked flags and returns the exit code.

pub(crate) mod datasets;
pub(crate) mod evaluate;
pub(crate) mod generate;
pub(crate) mod init;
pub(crate) mod inspect;
pub(crate) mod monitor;
pub(crate) mod predict;
pub(crate) mod quickstart;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod train;

use anyhow::Context as _;
use kiln::data::Cache;

/// The dataset cache: `$KILN_CACHE`, else the user's cache folder.
pub(crate) fn cache() -> anyhow::Result<Cache> {
    Cache::from_env().context("cannot find a folder for the dataset cache")
}
