//! `kiln tracking`: the runs store over MLflow's tracking REST API.

use std::process::ExitCode;

use crate::flags::TrackingArgs;

pub(crate) fn run(_args: &TrackingArgs, _json: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("kiln tracking is not wired up yet")
}
