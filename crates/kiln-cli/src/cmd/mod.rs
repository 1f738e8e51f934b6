//! One module per subcommand. Each `run` takes its checked flags and returns the exit code.

pub(crate) mod datasets;
pub(crate) mod evaluate;
pub(crate) mod explain;
pub(crate) mod generate;
pub(crate) mod init;
pub(crate) mod inspect;
pub(crate) mod models;
pub(crate) mod monitor;
pub(crate) mod predict;
pub(crate) mod quickstart;
pub(crate) mod report;
pub(crate) mod runs;
pub(crate) mod serve;
pub(crate) mod tracking;
pub(crate) mod train;
pub(crate) mod tune;

use anyhow::Context as _;
use kiln::data::Cache;

/// The dataset cache: `$KILN_CACHE`, else the user's cache folder.
pub(crate) fn cache() -> anyhow::Result<Cache> {
    Cache::from_env().context("cannot find a folder for the dataset cache")
}

static TRACKING_URI: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Remembers `--tracking-uri` for the commands that open the runs store.
pub(crate) fn set_tracking_uri(uri: Option<String>) {
    let _ = TRACKING_URI.set(uri);
}

/// The runs store `--tracking-uri`, `$KILN_TRACKING_URI` or the user's data folder names.
pub(crate) fn store() -> anyhow::Result<std::sync::Arc<kiln::runs::Store>> {
    let root = match TRACKING_URI.get().and_then(Option::as_deref) {
        Some(uri) => kiln::runs::root_from_uri(uri)?,
        None => kiln::runs::default_root()?,
    };
    let store = kiln::runs::Store::open(&root)
        .with_context(|| format!("cannot open the runs store at {}", root.display()))?;
    // Runs whose process died are marked KILLED before anyone looks at them.
    store.sweep_dead_runs()?;
    Ok(std::sync::Arc::new(store))
}

/// How a command records its run, or `None` (`--no-track`, or a store that cannot be
/// opened: then a warning, and the command goes on unrecorded).
pub(crate) fn tracking(args: &crate::flags::TrackArgs) -> Option<kiln::Tracking> {
    if args.no_track {
        return None;
    }
    match store() {
        Ok(store) => Some(kiln::Tracking {
            experiment: args.experiment.clone(),
            run_name: args.run_name.clone(),
            ..kiln::Tracking::new(store)
        }),
        Err(e) => {
            eprintln!(
                "warning: this run is not recorded: {e:#} (pass --no-track to skip recording)"
            );
            None
        }
    }
}

/// The bearer token in `--token-file` (trimmed), or `None` without the flag; an unreadable or
/// empty file is an error (`kiln serve`, `kiln tracking`).
pub(crate) fn read_token(path: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let token = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?
        .trim()
        .to_string();
    anyhow::ensure!(
        !token.is_empty(),
        "the token file {} is empty",
        path.display()
    );
    Ok(Some(token))
}
