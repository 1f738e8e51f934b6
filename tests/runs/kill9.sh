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
python3 - "$WORK" runs.json "$finished" "$killed" "$KILN" <<'PY'
import json, os, sqlite3, subprocess, sys
work, listing, finished, killed, kiln = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
check = sqlite3.connect(os.path.join(work, "runs", "runs.db")).execute("PRAGMA integrity_check").fetchall()
assert check == [("ok",)], f"integrity_check: {check}"
runs = json.load(open(listing))["runs"]
status = [r["info"]["status"] for r in runs]
assert "RUNNING" not in status, f"runs left RUNNING: {status}"
assert "FAILED" not in status, f"a killed process's run is FAILED, not KILLED: {status}"
done = [r for r in runs if r["info"]["status"] == "FINISHED"]
# A kill can land after the run ended FINISHED (while the process exits): that run is
# complete, so FINISHED may count more runs than the rounds that exited on their own, but
# never fewer, and each FINISHED run's model file is whole and carries the recorded weights.
assert len(done) >= finished, f"{finished} rounds finished, only {len(done)} FINISHED runs"
for r in done:
    tags = r["data"]["tags"]
    assert any(m["key"] == "accuracy" for m in r["data"]["metrics"]), r["info"]["run_id"]
    digest = tags["kiln.weights_sha256"]
    out = os.path.join(work, tags["kiln.output"])
    shown = json.loads(subprocess.run([kiln, "--json", "inspect", out], check=True,
                                      capture_output=True, text=True).stdout)
    assert digest in json.dumps(shown), f"{out}: weights digest {digest[:12]} not in the file"
late = len(done) - finished
dead = [s for s in status if s == "KILLED"]
assert len(dead) + late <= killed, f"{len(dead)} dead + {late} late-killed runs from {killed} kills"
print(f"kill -9: {finished + killed} rounds, {killed} killed ({len(dead)} after their run was "
      f"created, all KILLED; {late} after it ended FINISHED, model file whole), "
      f"{finished} finished and recorded; integrity_check ok")
PY
