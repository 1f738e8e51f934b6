#!/usr/bin/env bash
# kill -9 during training runs: every run is recorded, and a killed process leaves neither a
# corrupt store nor a run stuck RUNNING.
#
#   tests/runs/kill9.sh [RUNS]      (default 10, as CI runs it; the issue's figure is 100)
#
# Each round trains the moons example (tracked) and kills it with SIGKILL at a random moment
# (or lets it finish, one round in four). Then: SQLite's integrity_check is `ok`; every round
# that finished is a FINISHED run with its model file; no run is RUNNING (the ones killed after
# their run was created are KILLED); and the counts add up. Needs the `kiln` binary from
# `cargo test --workspace` (or builds it). Honours CARGO_TARGET_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ROUNDS="${1:-10}"
KILN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/kiln"
[ -x "$KILN" ] || (cd "$ROOT" && cargo build --quiet -p kiln-cli --profile test)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export KILN_CACHE="$WORK/cache" KILN_TRACKING_URI="$WORK/runs"
"$KILN" init --example moons-mlp -o moons.toml >/dev/null
finished=0
killed=0
for i in $(seq 1 "$ROUNDS"); do
    # About 4 s of training (20,000 rows, 30 epochs), so kills land in every phase.
    "$KILN" train moons.toml -o "m$i.kiln" --quiet --no-checkpoint --set training.epochs=30 \
        --set data.generate.samples=20000 --set training.early_stopping.patience=1000 \
        >/dev/null 2>"err$i.log" &
    pid=$!
    if (( RANDOM % 4 == 0 )); then
        if wait "$pid"; then finished=$((finished + 1)); else echo "round $i failed:"; cat "err$i.log"; exit 1; fi
    else
        # A random moment in the run (start-up, data, epochs, saving).
        sleep "$(python3 -c "import random; print(round(random.uniform(0.02, 3.2), 3))")"
        if kill -9 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            killed=$((killed + 1))
        else
            # It finished before the kill.
            if wait "$pid"; then finished=$((finished + 1)); else echo "round $i failed:"; cat "err$i.log"; exit 1; fi
        fi
    fi
done
# Opening the store (any kiln runs command) sweeps dead owners to KILLED.
"$KILN" --json runs list --all -n 100000 > runs.json
python3 - "$WORK/runs/runs.db" runs.json "$finished" "$killed" <<'PY'
import json, sqlite3, sys
db, listing, finished, killed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
check = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchall()
assert check == [("ok",)], f"integrity_check: {check}"
runs = json.load(open(listing))["runs"]
status = [r["info"]["status"] for r in runs]
done = [r for r in runs if r["info"]["status"] == "FINISHED"]
assert "RUNNING" not in status, f"runs left RUNNING: {status}"
assert len(done) == finished, f"{finished} rounds finished, {len(done)} FINISHED runs"
for r in done:
    assert "kiln.weights_sha256" in r["data"]["tags"], r["info"]["run_id"]
    assert any(m["key"] == "accuracy" for m in r["data"]["metrics"]), r["info"]["run_id"]
assert "FAILED" not in status, f"a killed process's run is FAILED, not KILLED: {status}"
dead = [s for s in status if s == "KILLED"]
assert len(dead) <= killed, f"{len(dead)} dead runs from {killed} kills"
print(f"kill -9: {finished + killed} rounds, {killed} killed ({len(dead)} after their run was "
      f"created, all KILLED), {finished} finished and recorded; integrity_check ok")
PY
