#!/usr/bin/env python3
"""`kiln tune` on the MNIST MLP (issue 18's study): TPE vs random over study seeds, and ASHA vs
no pruning, in one run.

The space is the issue's: learning rate log-uniform [1e-4, 1e-1], the dense layer's units
int [32, 512] on a log scale, the dropout rate uniform [0, 0.5], batch size one of 32 … 512;
10 % of the training images are the validation split, trials are selected on validation
accuracy and the best trial's test accuracy is reported once. Each study runs with WORKERS
workers in a fresh runs store.

What it prints, per study: the best validation accuracy, that trial's test accuracy, the wall
time; then TPE's and random's medians over the seeds; then, for ASHA (TPE, the first seed),
the wall time it took to reach the unpruned study's best validation accuracy minus 0.1 point,
as a fraction of the unpruned study's wall time.

Settings (environment): TRIALS (40), EPOCHS (5), SEEDS (3), WORKERS (1), SAMPLERS
("tpe random"), ASHA (1 = run the ASHA study), ASHA_TRIALS (the ASHA study's trials; TRIALS
unless set: a pruned trial costs less, so ASHA can afford more in the same time), KILN (the
binary; else the release build),
STUDIES (instead of SEEDS/SAMPLERS/ASHA: the studies to run, e.g. "tpe:none:0 tpe:asha:0").

Besides wall time, each study reports the epochs it trained (a pruned trial's epochs are the
values it reported), a measure of its cost that other load on the machine does not change.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import OUT, env, kiln_cache, log, print_table, require_kiln  # noqa: E402

TRIALS = env("TRIALS", 40)
EPOCHS = env("EPOCHS", 5)
SEEDS = env("SEEDS", 3)
WORKERS = env("WORKERS", 1)
SAMPLERS = env("SAMPLERS", "tpe random").split()
ASHA = env("ASHA", 1)
ASHA_TRIALS = env("ASHA_TRIALS", TRIALS)

SPACE = """
[tune]
metric = "validation.accuracy"
direction = "maximize"
trials = {trials}
sampler = "{sampler}"
pruner = "{pruner}"
seed = {seed}
[tune.space]
"training.optimizer.learning_rate" = {{ log_uniform = [1e-4, 1e-1] }}
"layers.1.units" = {{ int = [32, 512], log = true }}
"layers.2.rate" = {{ uniform = [0.0, 0.5] }}
"training.batch_size" = {{ choice = [32, 64, 128, 256, 512] }}
"""


def study(kiln: Path, work: Path, sampler: str, pruner: str, seed: int) -> dict:
    """Runs one study; returns its figures and the arrival time of each trial."""
    trials = ASHA_TRIALS if pruner == "asha" else TRIALS
    spec = work / f"mnist-{sampler}-{pruner}-{seed}.toml"
    base = subprocess.run([str(kiln), "init", "--example", "mnist-mlp"], check=True,
                          capture_output=True, text=True).stdout
    # 10 % validation; no schedule (its length would follow the searched epochs otherwise).
    base = base.replace("validation = 0.0", "validation = 0.1")
    base = base.replace("epochs = 5", f"epochs = {EPOCHS}")
    cut = base.find("[training.lr_schedule]")
    if cut >= 0:
        base = base[:cut]
    spec.write_text(base + SPACE.format(trials=trials, sampler=sampler, pruner=pruner, seed=seed))
    env_ = dict(os.environ, KILN_TRACKING_URI=str(work / f"runs-{sampler}-{pruner}-{seed}"))
    start = time.monotonic()
    proc = subprocess.Popen([str(kiln), "--json", "tune", str(spec), "--workers", str(WORKERS)],
                            stdout=subprocess.PIPE, text=True, env=env_)
    arrivals = []
    done = None
    for line in proc.stdout:
        event = json.loads(line)
        if event.get("event") == "trial":
            arrivals.append((time.monotonic() - start, event))
        elif event.get("event") == "done":
            done = event
    if proc.wait() != 0 or done is None:
        sys.exit(f"kiln tune failed for {sampler}/{pruner}/{seed}")
    wall = time.monotonic() - start
    best = done["best"]
    shown = json.loads(subprocess.run([str(kiln), "--json", "runs", "show", best["run_id"]],
                                      check=True, capture_output=True, text=True,
                                      env=env_).stdout)
    metrics = {m["key"]: m["value"] for m in shown["run"]["data"]["metrics"]}
    per_trial = []
    for t in arrivals:
        trial = json.loads(subprocess.run([str(kiln), "--json", "runs", "show", t[1]["run_id"]],
                                          check=True, capture_output=True, text=True,
                                          env=env_).stdout)
        reported = len(trial["history"].get("tune.intermediate", []))
        per_trial.append(reported if pruner != "none" else EPOCHS)
    epochs = sum(per_trial)
    return {
        "sampler": sampler, "pruner": pruner, "seed": seed, "trials": trials, "wall": wall,
        "best_val": best["value"], "test": metrics.get("test.accuracy"),
        "best_params": best["params"], "pruned": done["pruned"], "failed": done["failed"],
        "epochs": epochs,
        "arrivals": [(t, e["state"], e["value"], n) for (t, e), n in zip(arrivals, per_trial)],
    }


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def main() -> None:
    kiln = require_kiln()
    kiln_cache()
    OUT.mkdir(exist_ok=True)
    results = []
    plan = os.environ.get("STUDIES")
    if plan:
        studies = [(x.split(":")[0], x.split(":")[1], int(x.split(":")[2])) for x in plan.split()]
    else:
        studies = [(sampler, "none", seed) for seed in range(SEEDS) for sampler in SAMPLERS]
        if ASHA:
            studies.append(("tpe", "asha", 0))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for sampler, pruner, seed in studies:
            n = ASHA_TRIALS if pruner == "asha" else TRIALS
            log(f"{sampler}/{pruner} seed {seed}: {n} trials, {EPOCHS} epochs, {WORKERS} worker(s)")
            results.append(study(kiln, work, sampler, pruner, seed))
            r = results[-1]
            log(f"  best validation {r['best_val']:.4f} (test {r['test']}), {r['wall']:.0f} s, "
                f"{r['epochs']} epochs, {r['pruned']} pruned")
            (OUT / "tune_mnist.json").write_text(json.dumps(results, indent=1))
    rows = [[r["sampler"], r["pruner"], str(r["seed"]), str(r["trials"]), f"{100 * r['best_val']:.2f}",
             f"{100 * r['test']:.2f}" if r["test"] is not None else "-", str(r["pruned"]),
             f"{r['wall']:.0f}", str(r["epochs"])] for r in results]
    print(f"\nkiln tune, MNIST MLP: {EPOCHS} epochs a trial, {WORKERS} worker(s)")
    print_table(["sampler", "pruner", "seed", "trials", "best val %", "its test %", "pruned",
                 "wall s", "epochs"], rows, right=(3, 4, 5, 6, 7, 8))
    for sampler in sorted({r["sampler"] for r in results if r["pruner"] == "none"}):
        vals = [r["best_val"] for r in results if r["sampler"] == sampler and r["pruner"] == "none"]
        tests = [r["test"] for r in results if r["sampler"] == sampler and r["pruner"] == "none"]
        print(f"{sampler}: median best validation {100 * median(vals):.2f} %, "
              f"median test of the best {100 * median(tests):.2f} % over {len(vals)} seeds")
    plain = next((r for r in results if r["sampler"] == "tpe" and r["pruner"] == "none"
                  and r["seed"] == 0), None)
    asha = next((r for r in results if r["pruner"] == "asha"), None)
    if plain and asha:
        target = plain["best_val"] - 0.001
        reach = next((t for t, state, v, _ in asha["arrivals"]
                      if state == "COMPLETE" and v is not None and v >= target), None)
        epochs_to_reach = 0
        for t, state, v, n in asha["arrivals"]:
            epochs_to_reach += n
            if t == reach:
                break
        if reach is None:
            print(f"ASHA never reached {100 * target:.2f} % (its best {100 * asha['best_val']:.2f} %)")
        else:
            print(f"ASHA reached {100 * target:.2f} % (unpruned best − 0.1 point) after {reach:.0f} s "
                  f"= {reach / plain['wall']:.2f} of the unpruned study's {plain['wall']:.0f} s; "
                  f"its whole study took {asha['wall']:.0f} s ({asha['wall'] / plain['wall']:.2f}) "
                  f"and {asha['epochs']} epochs vs {plain['epochs']} ({asha['epochs'] / plain['epochs']:.2f}); "
                  f"{epochs_to_reach} epochs to reach it ({epochs_to_reach / plain['epochs']:.2f})")


if __name__ == "__main__":
    main()
