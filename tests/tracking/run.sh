#!/usr/bin/env bash
# Starts `kiln tracking` on a fresh store and runs the pinned MLflow client against it
# (tests/tracking/test_mlflow_client.py), then checks that SIGTERM stops the server cleanly.
# Needs tests/tracking/setup.sh first. Run from anywhere; honours CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
KILN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/kiln"
# `cargo test --workspace` (run first in .ci/run) already built this binary from this tree.
[ -x "$KILN" ] || cargo build --quiet -p kiln-cli --profile test
PY="$ROOT/tests/tracking/.venv/bin/python"
[ -x "$PY" ] || { echo "run tests/tracking/setup.sh first" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER=""
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/store"
KILN_TRACKING_URI="$WORK/store" "$KILN" --json tracking --port 0 > "$WORK/server.out" 2> "$WORK/server.log" &
SERVER=$!
for _ in $(seq 1 200); do
    grep -q listening "$WORK/server.out" 2>/dev/null && break
    sleep 0.05
done
URL="$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"])' "$WORK/server.out")"
cd "$WORK"
if ! "$PY" "$ROOT/tests/tracking/test_mlflow_client.py" "$URL" "$WORK/store"; then
    echo "--- server log" >&2
    tail -50 "$WORK/server.log" >&2
    exit 1
fi

# What the Python client logged sits beside kiln's own runs: `kiln runs` reads it back.
KILN_TRACKING_URI="$WORK/store" "$KILN" --json runs list --all -n 1000 \
    --filter "run_name = 'first' and params.lr = '0.01' and params.optimizer = 'adam'" > "$WORK/listed.json"
"$PY" - "$WORK/listed.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
assert len(runs) == 1, f"kiln runs list found {len(runs)} runs named 'first' with lr 0.01"
run = runs[0]
assert run["data"]["params"]["unicode"] == "ünï ✓", run["data"]["params"]
assert run["data"]["params"]["epochs"] == "4", run["data"]["params"]
latest = {m["key"]: (m["value"], m["step"], m["timestamp"]) for m in run["data"]["metrics"]}
assert latest["loss"] == (0.125, 3, 1_700_000_000_003), latest["loss"]
assert latest["acc"][:2] == (0.75, 7) and latest["f1"][:2] == (0.5, 7), latest
print(f"ok   kiln runs list reads the client's run {run['info']['run_id']} back "
      f"({len(run['data']['params'])} params, {len(run['data']['metrics'])} metrics)")
PY

kill -TERM "$SERVER"
if ! wait "$SERVER"; then
    echo "kiln tracking did not exit cleanly on SIGTERM" >&2
    tail -20 "$WORK/server.log" >&2
    exit 1
fi
SERVER=""
echo "kiln tracking: SIGTERM drained and exited 0"
