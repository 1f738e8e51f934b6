#!/usr/bin/env bash
# kiln tracking vs `mlflow server` (SQLite backend, defaults): create-run, log-batch and
# search through MLflow's REST API with 20 concurrent clients. See bench/README.md.
# Makes bench/.venv-mlflow-server (git-ignored) with the pinned MLflow on first use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-mlflow-server"
spec="${MLFLOW_SPEC:-mlflow==3.17.2}"
if ! "$venv/bin/python" -c "import mlflow.server" 2>/dev/null; then
    echo "creating bench/.venv-mlflow-server ($spec)" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec"
fi
exec "$venv/bin/python" "$here/tracking_vs_mlflow.py" "$@"
