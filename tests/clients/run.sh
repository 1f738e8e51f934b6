#!/usr/bin/env bash
# Starts a live `kiln serve` on a model trained here (moons, 2 epochs) and runs the real
# Python clients against it (tests/clients/test_clients.py), then checks that SIGTERM stops
# the server cleanly. Needs tests/clients/setup.sh first. Run from anywhere; honours
# CARGO_TARGET_DIR. ~20 s after the build.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
KILN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/kiln"
# `cargo test --workspace` (run first in .ci/run) already built this binary from this tree;
# building it again with `-p kiln-cli` would resolve features differently and rebuild Burn.
[ -x "$KILN" ] || cargo build --quiet -p kiln-cli --profile test
PY="$ROOT/tests/clients/.venv/bin/python"
[ -x "$PY" ] || { echo "run tests/clients/setup.sh first" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export KILN_CACHE="$WORK/cache"
export KILN_TRACKING_URI="$WORK/runs"
"$KILN" init --example moons-mlp -o moons.toml >/dev/null
"$KILN" train moons.toml -o moons.kiln --epochs 2 --quiet
printf 'x0,x1\n0.1,0.5\n-1.0,0.25\n2.0,-0.5\n0.5,0.5\n1.5,-0.25\n-0.5,0.9\n' > rows.csv
"$KILN" predict moons.kiln rows.csv -o expected.jsonl 2>/dev/null
echo "client-test-token" > token

"$KILN" --json serve moons.kiln --port 0 --token-file token > serve.out 2> serve.log &
SERVER=$!
for _ in $(seq 1 200); do
    grep -q listening serve.out 2>/dev/null && break
    sleep 0.05
done
URL="$("$PY" -c 'import json,sys; print(json.loads(open("serve.out").readline())["listening"])')"
"$PY" "$ROOT/tests/clients/test_clients.py" "$URL" moons-mlp rows.csv expected.jsonl client-test-token

kill -TERM "$SERVER"
if ! wait "$SERVER"; then
    echo "kiln serve did not exit cleanly on SIGTERM" >&2
    cat serve.log >&2
    exit 1
fi
SERVER=""
grep -q "drained" serve.log || { echo "no drain in the log" >&2; cat serve.log >&2; exit 1; }
echo "kiln serve: SIGTERM drained and exited 0"
