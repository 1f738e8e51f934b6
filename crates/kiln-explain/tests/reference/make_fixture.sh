#!/usr/bin/env bash
# Regenerates welch_reference.json with pinned numpy/scipy in a git-ignored venv beside it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import numpy, scipy' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "numpy==2.3.5" "scipy==1.16.3"
fi
"$venv/bin/python" "$here/welch_reference.py" "$here/welch_reference.json"
echo "wrote $here/welch_reference.json"
