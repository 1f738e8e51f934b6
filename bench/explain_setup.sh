#!/usr/bin/env bash
# Adds Captum and safetensors to bench/.venv (PyTorch, made by bench/setup.sh) for
# bench/explain_vs_captum.py. Idempotent.
#
# Overrides: CAPTUM_SPEC (default captum==0.9.0), SAFETENSORS_SPEC (default safetensors==0.8.0).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/setup.sh"
py="$here/.venv/bin/python"
captum_spec="${CAPTUM_SPEC:-captum==0.9.0}"
safetensors_spec="${SAFETENSORS_SPEC:-safetensors==0.8.0}"
if "$py" - "${captum_spec#captum==}" "${safetensors_spec#safetensors==}" <<'PY' 2>/dev/null; then
import sys
import captum, safetensors
sys.exit(0 if (captum.__version__, safetensors.__version__) == (sys.argv[1], sys.argv[2]) else 1)
PY
    echo "bench/explain_setup.sh: captum and safetensors are ready"
    exit 0
fi
"$py" -m pip install --quiet "$captum_spec" "$safetensors_spec"
"$py" -c 'import captum, safetensors; print("bench/explain_setup.sh: captum", captum.__version__, "safetensors", safetensors.__version__)'
