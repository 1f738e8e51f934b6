#!/usr/bin/env bash
# Creates bench/.venv-pymc with PyMC (and its PyTensor) for bench/bnn_vs_pymc.sh.
# Idempotent: does nothing when the venv already imports the pinned version.
#
# Overrides: PYMC_SPEC (default pymc==5.28.5, the newest PyMC 5 for Python 3.11),
# PYTHON (default python3). PyTensor compiles its C kernels with the system g++ on first use.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-pymc"
py="${PYTHON:-python3}"
pymc_spec="${PYMC_SPEC:-pymc==5.28.5}"
want="${pymc_spec#pymc==}"

ok() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$want" <<'PY' 2>/dev/null
import sys
import pymc
want = sys.argv[1]
sys.exit(0 if (not want[:1].isdigit() or pymc.__version__ == want) else 1)
PY
}

if ok; then
    echo "bench/bnn_setup.sh: $venv is ready (pymc $("$venv/bin/python" -c 'import pymc;print(pymc.__version__)'))"
    exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "bench/bnn_setup.sh: creating $venv"
    "$py" -m venv "$venv"
fi
echo "bench/bnn_setup.sh: installing $pymc_spec from PyPI"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$pymc_spec"
ok || { echo "bench/bnn_setup.sh: pymc still not importable in $venv" >&2; exit 1; }
echo "bench/bnn_setup.sh: done (pymc $("$venv/bin/python" -c 'import pymc;print(pymc.__version__)'))"
