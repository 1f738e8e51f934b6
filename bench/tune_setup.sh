#!/usr/bin/env bash
# Creates bench/.venv-optuna with Optuna 5 and numpy for bench/tune_vs_optuna.py.
# Idempotent: does nothing when the venv already imports the pinned versions.
#
# Optuna's TPE needs only numpy (its truncated normal is its own code, no scipy); pip also
# brings Optuna's other plain dependencies (sqlalchemy, alembic, colorlog, tqdm, PyYAML,
# packaging), which the in-memory studies of the benchmark do not use.
#
# Overrides: OPTUNA_SPEC (default optuna==5.0.0), NUMPY_SPEC (default numpy==2.4.6, the
# pin of bench/setup.sh), PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-optuna"
py="${PYTHON:-python3}"
optuna_spec="${OPTUNA_SPEC:-optuna==5.0.0}"
numpy_spec="${NUMPY_SPEC:-numpy==2.4.6}"

want_optuna="${optuna_spec#optuna==}"
want_numpy="${numpy_spec#numpy==}"

versions() {
    "$venv/bin/python" -c 'import optuna,numpy;print("optuna",optuna.__version__,"numpy",numpy.__version__)'
}

ok() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$want_optuna" "$want_numpy" <<'PY' 2>/dev/null
import sys
import numpy, optuna
want_o, want_n = sys.argv[1], sys.argv[2]
# Only an exact pin is compared; any other spec is satisfied by whatever version imports.
o_ok = not want_o[:1].isdigit() or optuna.__version__ == want_o
n_ok = not want_n[:1].isdigit() or numpy.__version__ == want_n
sys.exit(0 if (o_ok and n_ok) else 1)
PY
}

if ok; then
    echo "bench/tune_setup.sh: $venv is ready ($(versions))"
    exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "bench/tune_setup.sh: creating $venv"
    "$py" -m venv "$venv"
fi
echo "bench/tune_setup.sh: installing $optuna_spec $numpy_spec from PyPI"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$optuna_spec" "$numpy_spec"
ok || { echo "bench/tune_setup.sh: optuna/numpy still not importable in $venv" >&2; exit 1; }
echo "bench/tune_setup.sh: done ($(versions))"
