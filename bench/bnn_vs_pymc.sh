#!/usr/bin/env bash
# kiln vs PyMC: the seed's Bayesian neural network on moons, 50,000 ADVI iterations, in one
# run. Creates bench/.venv-pymc (bench/bnn_setup.sh), builds the kiln binary, then runs
# bench/bnn_vs_pymc.py (see its docstring: RUNS, ITERATIONS, KILN).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
bash "$here/bnn_setup.sh"
target="${CARGO_TARGET_DIR:-$root/target}"
(cd "$root" && cargo build --release --workspace)
export KILN="${KILN:-$target/release/kiln}"
exec "$here/.venv-pymc/bin/python" "$here/bnn_vs_pymc.py" "$@"
