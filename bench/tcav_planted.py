#!/usr/bin/env python3
"""The TCAV paper's controlled experiment on a table (issue 19): plant a trigger column in one
class's rows with probability that falls as p rises, train one model per level, and ask
`kiln explain tcav` about the trigger.

Data (3,000 rows, a seeded generator): `x1`, `x2` uniform on [−1, 1]; `y` is "pos" when
x1 + 0.5·x2 + N(0, 0.3) > 0, else "neg"; the trigger `t` is 1 with probability
0.1 + 0.9·(1 − p) in "pos" rows and 0.1 in "neg" rows, so at p = 0 it nearly gives the class
away and at p = 1 it is independent of it (and still has examples to define the concept).

Per level p in {0, 0.3, 0.7, 1}: `kiln train` (inputs x1, x2, t; two dense layers of 16 tanh
units), the test accuracy as is and with every test row's trigger set to 0 (reliance = the
drop, in points; the issue counts ≥ 2 points as relying), and `kiln explain tcav --class pos
--concept trigger=t = 1` at LAYER (default `dense_1`, the first hidden layer: at the last one
before a linear head every input's gradient points the same way, so each run scores 0 or 1)
with 50 runs (and the random-vs-random mean).

Environment: KILN (the binary; else the release build), RUNS (50), SEEDS ("0": data seeds),
LAYER (dense_1).
"""

import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import env, log, print_table, require_kiln  # noqa: E402

LEVELS = [0.0, 0.3, 0.7, 1.0]
RUNS = env("RUNS", 50)
LAYER = env("LAYER", "dense_1")
SEEDS = [int(s) for s in str(env("SEEDS", "0")).split()]

SPEC = """
name = "trigger-{level}"
[data]
source = "train.csv"
test = "test.csv"
[data.split]
validation = 0.1
[[input]]
name = "x1"
type = "number"
[[input]]
name = "x2"
type = "number"
[[input]]
name = "t"
type = "number"
[output]
name = "y"
type = "category"
[[layers]]
type = "dense"
units = 16
activation = "relu"
[[layers]]
type = "dense"
units = 16
activation = "relu"
[training]
batch_size = 32
epochs = 30
seed = 1
[training.optimizer]
type = "adam"
learning_rate = 0.01
"""


def rows(rng: random.Random, n: int, p: float) -> list[dict]:
    out = []
    for _ in range(n):
        x1, x2 = rng.uniform(-1, 1), rng.uniform(-1, 1)
        pos = x1 + 0.5 * x2 + rng.gauss(0, 0.3) > 0
        t = 1 if rng.random() < (0.1 + 0.9 * (1 - p) if pos else 0.1) else 0
        out.append({"x1": f"{x1:.5f}", "x2": f"{x2:.5f}", "t": t, "y": "pos" if pos else "neg"})
    return out


def write(path: Path, data: list[dict]) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["x1", "x2", "t", "y"])
        w.writeheader()
        w.writerows(data)


def kiln_json(kiln: Path, cwd: Path, *args: str) -> dict:
    out = subprocess.run([str(kiln), "--json", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    kiln = require_kiln()
    table = []
    for seed in SEEDS:
        for level in LEVELS:
            with tempfile.TemporaryDirectory() as tmp:
                work = Path(tmp)
                rng = random.Random(1000 * seed + int(level * 10))
                train, test = rows(rng, 3000, level), rows(rng, 1000, level)
                write(work / "train.csv", train)
                write(work / "test.csv", test)
                write(work / "test-free.csv", [dict(r, t=0) for r in test])
                (work / "spec.toml").write_text(SPEC.format(level=level))
                log(f"seed {seed}, p = {level}: training")
                subprocess.run([str(kiln), "train", "spec.toml", "-o", "m.kiln", "--quiet", "--no-track"],
                               cwd=work, check=True, capture_output=True)
                acc = kiln_json(kiln, work, "evaluate", "m.kiln", "--data", "test.csv", "--no-track")
                free = kiln_json(kiln, work, "evaluate", "m.kiln", "--data", "test-free.csv", "--no-track")
                a = acc["metrics"]["accuracy"]
                b = free["metrics"]["accuracy"]
                report = kiln_json(kiln, work, "explain", "tcav", "m.kiln", "--class", "pos",
                                   "--concept", "trigger=t = 1", "--layer", LAYER,
                                   "--runs", str(RUNS))
                r = report["results"][0]
                table.append({"seed": seed, "p": level, "accuracy": a, "trigger_free": b,
                              "reliance": 100 * (a - b), "sign_count": r["sign_count"],
                              "magnitude": r["magnitude"], "random": r["random_sign_count"],
                              "p_value": r["p"], "significant": r["significant"],
                              "sens": r["mean_sensitivity"], "random_sens": r["random_mean_sensitivity"],
                              "p_sens": r["p_sensitivity"],
                              "cav_accuracy": r["cav_accuracy"], "examples": r["examples"]})
    print(f"\nTCAV of `trigger` (t = 1) for class pos at {LAYER}, {RUNS} runs; reliance = test accuracy "
          "minus accuracy with every trigger removed")
    print_table(["seed", "p", "test acc", "trigger-free", "reliance (pt)", "TCAV sign", "magnitude",
                 "random", "p-value", "verdict", "mean ∂", "random ∂", "p (∂)", "CAV acc"],
                [[str(t["seed"]), f"{t['p']:.1f}", f"{100 * t['accuracy']:.2f}", f"{100 * t['trigger_free']:.2f}",
                  f"{t['reliance']:+.2f}", f"{t['sign_count']:.3f}", f"{t['magnitude']:.3f}",
                  f"{t['random']:.3f}", f"{t['p_value']:.1e}",
                  "significant" if t["significant"] else "not significant",
                  f"{t['sens']:+.3f}", f"{t['random_sens']:+.3f}", f"{t['p_sens']:.1e}",
                  f"{t['cav_accuracy']:.2f}"]
                 for t in table], right=(2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13))
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "tcav_planted.json").write_text(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
