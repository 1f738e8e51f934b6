#!/usr/bin/env bash
# Detection power and false alarms of kiln's live monitor on seeded streams (issue 4).
# One command, no server and no Python needed: builds and runs the `drift_power` example of
# kiln-monitor, which prints a Markdown table (see bench/RESULTS.md for the recorded figures).
# Boston is included when `kiln datasets fetch boston` can find or fetch it.
#   bench/monitor_drift.sh [--trials N] [--windows N]     (defaults: 50 trials, 1000 windows)
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --quiet -p kiln-monitor --example drift_power -- "$@"
