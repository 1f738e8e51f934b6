#!/usr/bin/env bash
# kiln explain vs Captum: bench/explain_setup.sh (Captum in bench/.venv), then the comparison.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/explain_setup.sh" >&2
exec "$here/.venv/bin/python" "$here/explain_vs_captum.py" "$@"
