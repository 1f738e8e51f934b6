#!/usr/bin/env bash
# Creates tests/clients/.venv (git-ignored) with the pinned real clients the serving tests use:
# `requests` (MLflow's documented request bodies) and `tritonclient[http]` (KServe v2).
# Idempotent: does nothing when the venv already has the pinned versions.
set -euo pipefail
cd "$(dirname "$0")"
PINS=(requests==2.34.2 "tritonclient[http]==2.73.0" numpy==2.2.6)
if [ -x .venv/bin/python ] && .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
want = {"requests": "2.34.2", "tritonclient": "2.73.0", "numpy": "2.2.6"}
sys.exit(0 if all(m.version(k) == v for k, v in want.items()) else 1)
PY
then
    exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
