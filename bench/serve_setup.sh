#!/usr/bin/env bash
# Tools for the serving benchmarks (bench/serve_bench.py), all git-ignored:
# - bench/.tools/bin/oha: the HTTP load generator (fixed-rate `-q`, JSON output), via cargo.
# - bench/.venv-mlflow: MLflow + scikit-learn, to log the peer model and run `mlflow models serve`.
# Idempotent. Overrides: OHA_VERSION, MLFLOW_SPEC, SKLEARN_SPEC, PYTHON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
oha_version="${OHA_VERSION:-1.16.0}"
mlflow_spec="${MLFLOW_SPEC:-mlflow==3.17.2}"
sklearn_spec="${SKLEARN_SPEC:-scikit-learn==1.7.2}"
py="${PYTHON:-python3}"

if ! "$here/.tools/bin/oha" --version 2>/dev/null | grep -q "$oha_version"; then
    echo "installing oha $oha_version into bench/.tools (a few minutes)" >&2
    cargo install --quiet --locked oha --version "$oha_version" --root "$here/.tools"
fi

venv="$here/.venv-mlflow"
if ! "$venv/bin/python" -c "import mlflow, sklearn" 2>/dev/null; then
    echo "creating bench/.venv-mlflow ($mlflow_spec, $sklearn_spec)" >&2
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$mlflow_spec" "$sklearn_spec"
fi
echo "ok: $("$here/.tools/bin/oha" --version), $("$venv/bin/python" -c 'import mlflow, sklearn; print("mlflow", mlflow.__version__, "sklearn", sklearn.__version__)')"
