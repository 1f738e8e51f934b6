#!/usr/bin/env bash
# kiln's TPE vs Optuna 5's: bench/tune_setup.sh (the Optuna venv), then bench/tune_vs_optuna.py
# under it (which builds the kiln-tune example and runs both sides). Settings: see the top of
# tune_vs_optuna.py (SEEDS, TRIALS, MODES, OVERHEAD_PARAMS, KILN_REPEATS, ...).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/tune_setup.sh" >&2
exec "$here/.venv-optuna/bin/python" "$here/tune_vs_optuna.py" "$@"
