#!/usr/bin/env bash
# Creates bench/.venv with PyTorch (CPU use only) and numpy for the kiln-vs-PyTorch benchmarks.
# Idempotent: does nothing when the venv already imports the pinned versions.
#
# Only the default PyPI index is reachable from kiln's machines, so this is the plain PyPI
# `torch` wheel. On Linux x86_64 that wheel is a CUDA build and pulls the nvidia-* / triton
# wheels (several GB) as dependencies; there is no official CPU-only torch on PyPI under
# another name, and the CUDA wheel cannot be imported without them. The benchmark never uses
# CUDA (it runs on the CPU with torch.set_num_threads(2)); the extra wheels only cost disk.
#
# Overrides: TORCH_SPEC (default torch==2.15.0), NUMPY_SPEC (default numpy==2.4.6),
# PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
torch_spec="${TORCH_SPEC:-torch==2.15.0}"
numpy_spec="${NUMPY_SPEC:-numpy==2.4.6}"

want_torch="${torch_spec#torch==}"
want_numpy="${numpy_spec#numpy==}"

ok() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$want_torch" "$want_numpy" <<'PY' 2>/dev/null
import sys
import numpy, torch
want_t, want_n = sys.argv[1], sys.argv[2]
# Only an exact pin (a bare version after stripping "torch=="/"numpy==") is compared; any
# other spec ("torch", "torch>=2") is satisfied by whatever version imports.
t_ok = not want_t[:1].isdigit() or torch.__version__.split("+")[0] == want_t
n_ok = not want_n[:1].isdigit() or numpy.__version__ == want_n
sys.exit(0 if (t_ok and n_ok) else 1)
PY
}

if ok; then
    echo "bench/setup.sh: $venv is ready ($("$venv/bin/python" -c 'import torch,numpy;print("torch",torch.__version__,"numpy",numpy.__version__)'))"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "bench/setup.sh: creating $venv"
    "$py" -m venv "$venv"
fi
echo "bench/setup.sh: installing $torch_spec $numpy_spec from PyPI (the Linux torch wheel pulls CUDA wheels: a few GB, once)"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$torch_spec" "$numpy_spec"
ok || { echo "bench/setup.sh: torch/numpy still not importable in $venv" >&2; exit 1; }
echo "bench/setup.sh: done ($("$venv/bin/python" -c 'import torch,numpy;print("torch",torch.__version__,"numpy",numpy.__version__)'))"
