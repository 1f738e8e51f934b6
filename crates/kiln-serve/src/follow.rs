//! Serving `models:/NAME@ALIAS`: a thread that asks the runs store where the alias points,
//! every [`FOLLOW_INTERVAL`], and swaps the served model when it moved
//! ([`AppState::swap_file`]: requests in flight finish on the old model, none fails). The lag
//! from `kiln models alias` to the new model answering is at most the interval plus the time
//! to load the file.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kiln_runs::{ModelUri, Store};

use crate::state::AppState;

/// How often an alias is looked up.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(500);

/// Starts following `uri` (an alias) for the model served as `served_name`, whose file is now
/// `current`. Runs until the server begins to drain.
pub fn follow_alias(
    state: Arc<AppState>,
    store: Arc<Store>,
    uri: ModelUri,
    served_name: String,
    current: PathBuf,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("kiln-follow-{served_name}"))
        .spawn(move || {
            let mut current = current;
            while !state.is_draining() {
                std::thread::sleep(FOLLOW_INTERVAL);
                let resolved = match store.resolve_model_uri(&uri) {
                    Ok(r) => r,
                    Err(e) => {
                        // The alias was removed or the store is busy: keep serving what we have.
                        tracing::warn!(model = %served_name, error = %e, "cannot resolve the followed alias; serving the last version");
                        continue;
                    }
                };
                if resolved.path == current {
                    continue;
                }
                match state.swap_file(&served_name, &resolved.path) {
                    Ok(_) => {
                        tracing::info!(
                            model = %served_name,
                            version = resolved.version.version,
                            alias = resolved.alias.as_deref().unwrap_or(""),
                            "alias moved; now serving the version it points at"
                        );
                        current = resolved.path;
                    }
                    Err(e) => {
                        tracing::warn!(model = %served_name, error = %e, "the alias moved to a file that does not load; still serving the previous version");
                        // Do not retry the same broken file every interval.
                        current = resolved.path;
                    }
                }
            }
        })
}
