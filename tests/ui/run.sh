#!/usr/bin/env bash
# Browser tests of `kiln ui` and `kiln serve --ui` in headless Chromium (tests/ui/ui.mjs),
# on a store of 10,000 runs plus two real trained models:
#
#   tests/ui/run.sh [N]        (N runs to populate, default 10000: the issue's figure)
#
# In a fresh temp dir (KILN_TRACKING_URI and KILN_CACHE there): starts `kiln ui` and, as the
# tests' independent source of truth, `kiln tracking` on the same store; trains the moons
# example twice (3 and 5 epochs) so run pages show real evaluations; registers both as versions
# of `moons` and moves the `champion` alias 2 -> 1 (an alias history of two moves); starts
# `kiln serve moons.kiln --ui` and sends it 50 predictions (its live page has traffic); runs a
# 6-trial `kiln tune` study of the same example (a study's page) and writes its `kiln report`;
# populates N runs through the MLflow REST API (populate.mjs); writes `kiln report` HTML for
# the first run and its model file; then runs ui.mjs. Screenshots, timings.json and the
# servers' logs land in $UI_ARTIFACTS (default tests/ui/artifacts). Every server is stopped
# with SIGTERM at the end and must exit 0.
#
# Builds nothing: needs the `kiln` binary from `cargo test --workspace` (honours
# CARGO_TARGET_DIR) and tests/ui/setup.sh (Chromium, playwright-core) first.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/tests/ui"
N="${1:-10000}"
KILN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/kiln"
[ -x "$KILN" ] || { echo "no $KILN: build it first (cargo build -p kiln-cli)" >&2; exit 1; }
[ -d "$HERE/node_modules/playwright-core" ] && [ -x /usr/bin/chromium ] \
    || { echo "run tests/ui/setup.sh first" >&2; exit 1; }
ARTIFACTS="${UI_ARTIFACTS:-$HERE/artifacts}"
export UI_ARTIFACTS="$ARTIFACTS"
mkdir -p "$ARTIFACTS"
# Only what an earlier run left (never the folder: UI_ARTIFACTS may name any folder).
rm -f "$ARTIFACTS"/*.png "$ARTIFACTS"/*.log "$ARTIFACTS"/*.html "$ARTIFACTS"/timings.json

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    # The servers' logs are worth keeping beside the screenshots, above all on a failure.
    cp "$WORK"/*.log "$ARTIFACTS/" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export KILN_TRACKING_URI="$WORK/store" KILN_CACHE="$WORK/cache"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T0="$(now)"

# start NAME ARGS...: runs `kiln --json ARGS` in the background and waits (up to 30 s) for the
# one JSON line it prints when it listens; sets URL. A server that exits first fails the test
# with its log. (Not called in $(...): the server must be this shell's child, for the trap.)
start() {
    local name="$1"
    shift
    "$KILN" --json "$@" > "$name.out" 2> "$name.log" &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 600); do
        grep -q listening "$name.out" 2>/dev/null && break
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "kiln $* exited before listening:" >&2
            tail -20 "$name.log" >&2
            exit 1
        fi
        sleep 0.05
    done
    grep -q listening "$name.out" || { echo "kiln $* printed no listening line in 30 s:" >&2; tail -20 "$name.log" >&2; exit 1; }
    URL="$(node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]; console.log(JSON.parse(l).listening)' "$WORK/$name.out")"
}

start ui ui --port 0
UI_URL="$URL"
start tracking tracking --port 0
API_URL="$URL"
echo "kiln ui at $UI_URL, kiln tracking at $API_URL"

# Two real runs with evaluations, curves and a spec: 3 and 5 epochs, so their params differ.
T="$(now)"
"$KILN" init --example moons-mlp -o moons.toml >/dev/null
"$KILN" --json train moons.toml -o moons.kiln --quiet --set training.epochs=3 > train1.jsonl
"$KILN" --json train moons.toml -o moons5.kiln --quiet --set training.epochs=5 > train2.jsonl
run_id() { node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n").map((x) => x && JSON.parse(x)).find((e) => e && e.event === "tracked"); console.log(l.run_id)' "$WORK/$1"; }
RUN1="$(run_id train1.jsonl)"
RUN2="$(run_id train2.jsonl)"
"$KILN" models register moons "$RUN1" >/dev/null
"$KILN" models register moons "$RUN2" >/dev/null
"$KILN" models alias moons champion 2 >/dev/null
"$KILN" models alias moons champion 1 >/dev/null
echo "trained and registered $RUN1 (moons v1, champion) and $RUN2 (v2) in $(since "$T") s"

# A tiny study (6 trials of 5 epochs over two paths, one of them a log-scaled integer), so
# a study's run page and its offline report have trials, history, slices and importance.
T="$(now)"
cp moons.toml study.toml
cat >> study.toml <<'TOML'

[tune]
trials = 6
[tune.space]
"training.optimizer.learning_rate" = { log_uniform = [1e-3, 1e-1] }
"layers.0.units" = { int = [2, 16], log = true }
TOML
"$KILN" --json tune study.toml --set training.epochs=5 > tune.jsonl 2> tune.log
STUDY="$(node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").split("\n").map((x) => x && JSON.parse(x)).find((e) => e && e.event === "study"); console.log(l.run_id)' "$WORK/tune.jsonl")"
"$KILN" report "$STUDY" -o "$WORK/study.html" > report-study.log 2>&1 || { echo "kiln report $STUDY failed:"; tail -5 report-study.log; }
echo "study $STUDY (6 trials) and its report in $(since "$T") s"

# A serving server with the UI mounted, and traffic for its live page: 50 predictions of
# moons-like points (the example's inputs are x0 and x1).
start serve serve moons.kiln --port 0 --ui
LIVE_URL="$URL"
node --input-type=module - "$LIVE_URL" <<'JS'
const url = process.argv[2];
for (let i = 0; i < 50; i++) {
    const res = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: ['x0', 'x1'], data: [[Math.cos(i / 8), Math.sin(i / 8)]] } }),
    });
    if (!res.ok) throw new Error(`prediction ${i}: HTTP ${res.status}: ${await res.text()}`);
}
JS
echo "kiln serve --ui at $LIVE_URL: 50 predictions sent"

T="$(now)"
node "$HERE/populate.mjs" "$API_URL" "$N"
POPULATE_S="$(since "$T")"

# The offline reports of the first run and of its model file. A failure here is reported by
# ui.mjs (the file is missing) with the other checks still run.
"$KILN" report "$RUN1" -o "$WORK/run.html" > report-run.log 2>&1 || { echo "kiln report $RUN1 failed:"; tail -5 report-run.log; }
"$KILN" report moons.kiln -o "$WORK/model.html" > report-model.log 2>&1 || { echo "kiln report moons.kiln failed:"; tail -5 report-model.log; }
cp "$WORK"/*.html "$ARTIFACTS/" 2>/dev/null || true

T="$(now)"
status=0
node "$HERE/ui.mjs" --ui "$UI_URL" --api "$API_URL" --live "$LIVE_URL" \
    --trained "$RUN1=$WORK/train1.jsonl" --trained "$RUN2=$WORK/train2.jsonl" \
    --model moons --kiln "$KILN" --report-run "$WORK/run.html" --report-model "$WORK/model.html" \
    --study "$STUDY" --report-study "$WORK/study.html" || status=$?
BROWSER_S="$(since "$T")"

# Every server drains and exits 0 on SIGTERM.
for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]}"; do
    if ! wait "$pid"; then
        echo "a server (pid $pid) did not exit cleanly on SIGTERM" >&2
        status=1
    fi
done
PIDS=()
echo "ui tests: populate $POPULATE_S s, browser checks $BROWSER_S s, all $(since "$T0") s"
exit "$status"
