#!/usr/bin/env bash
# Starts a tracking server on a fresh store and runs the pinned MLflow client against it
# (tests/tracking/test_mlflow_client.py). Needs tests/tracking/setup.sh first. Run from
# anywhere; honours CARGO_TARGET_DIR.
#
# Until `kiln tracking --port 0 --store DIR` exists, the server is kiln-tracking's example
# binary (`crates/kiln-tracking/examples/tracking_server.rs`), which serves the same router.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/examples/tracking_server"
[ -x "$SERVER_BIN" ] || cargo build --quiet -p kiln-tracking --example tracking_server
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
"$SERVER_BIN" "$WORK/store" > "$WORK/server.out" 2> "$WORK/server.log" &
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
