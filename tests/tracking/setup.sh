#!/usr/bin/env bash
# Creates tests/tracking/.venv (git-ignored) with the pinned real MLflow client the tracking
# tests use: `mlflow-skinny` (MlflowClient and the fluent `mlflow.*` API, no server) and
# `requests` (raw HTTP for the path-traversal checks).
# Idempotent: does nothing when the venv already has the pinned versions.
set -euo pipefail
cd "$(dirname "$0")"
PINS=(mlflow-skinny==3.17.2 requests==2.34.2)
if [ -x .venv/bin/python ] && .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
want = {"mlflow-skinny": "3.17.2", "requests": "2.34.2"}
sys.exit(0 if all(m.version(k) == v for k, v in want.items()) else 1)
PY
then
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
