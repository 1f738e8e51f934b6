#!/usr/bin/env python3
"""How TCAV scores vary from run to run (issue 19's stability study).

One model (bench/tcav_planted.py's data at p = 0.7, seed 0: two dense relu layers; the trigger
concept `t = 1` at `dense_1`, class pos) is asked REPS times with different seeds, for each
number of runs averaged (RUNS_LIST) at random sets of 50, and for each random-set size
(SIZES) at 20 runs. The variance over repetitions of the mean sign-count score is fitted
against the runs averaged and against the set size on log-log axes. Published finding (and
the issue's target): slope −1 ± 0.2 against runs averaged (repetitions are independent, so
averaging N halves the variance per doubling), 0 ± 0.2 against the random-set size (bigger
random sets do not steady the score).

Environment: KILN (the binary; else the release build), REPS (50), RUNS_LIST ("5 10 20 40"),
SIZES ("20 40 80").
"""

import json
import math
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import env, log, print_table, require_kiln  # noqa: E402
from tcav_planted import SPEC, rows, write  # noqa: E402

REPS = env("REPS", 50)
RUNS_LIST = [int(x) for x in str(env("RUNS_LIST", "5 10 20 40")).split()]
SIZES = [int(x) for x in str(env("SIZES", "20 40 80")).split()]


def slope(xs, ys):
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = statistics.mean(lx), statistics.mean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def main() -> None:
    kiln = require_kiln()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rng = random.Random(7)
        write(work / "train.csv", rows(rng, 3000, 0.7))
        write(work / "test.csv", rows(rng, 1000, 0.7))
        (work / "spec.toml").write_text(SPEC.format(level=0.7).replace('"tanh"', '"relu"'))
        subprocess.run([str(kiln), "train", "spec.toml", "-o", "m.kiln", "--quiet", "--no-track"],
                       cwd=work, check=True, capture_output=True)

        def score(runs: int, size: int, seed: int) -> float:
            out = subprocess.run([str(kiln), "--json", "explain", "tcav", "m.kiln", "--class", "pos",
                                  "--concept", "trigger=t = 1", "--layer", "dense_1", "--runs", str(runs),
                                  "--random-size", str(size), "--seed", str(seed)],
                                 cwd=work, check=True, capture_output=True, text=True)
            return json.loads(out.stdout)["results"][0]["sign_count"]

        by_runs, by_size = [], []
        for runs in RUNS_LIST:
            log(f"{REPS} repetitions at {runs} runs, random sets of 50")
            s = [score(runs, 50, 1000 + i) for i in range(REPS)]
            by_runs.append((runs, statistics.mean(s), statistics.variance(s)))
        for size in SIZES:
            log(f"{REPS} repetitions at 20 runs, random sets of {size}")
            s = [score(20, size, 2000 + i) for i in range(REPS)]
            by_size.append((size, statistics.mean(s), statistics.variance(s)))
    a = slope([r for r, _, _ in by_runs], [v for _, _, v in by_runs])
    b = slope([z for z, _, _ in by_size], [v for _, _, v in by_size])
    print(f"\nTCAV sign count of `trigger` (class pos, dense_1): variance over {REPS} repetitions")
    print_table(["runs averaged", "random set", "mean score", "variance"],
                [[str(r), "50", f"{m:.4f}", f"{v:.3e}"] for r, m, v in by_runs]
                + [["20", str(z), f"{m:.4f}", f"{v:.3e}"] for z, m, v in by_size], right=(0, 1, 2, 3))
    print(f"log-log slope against runs averaged: {a:+.3f} (target −1 ± 0.2: {'pass' if abs(a + 1) <= 0.2 else 'FAIL'})")
    print(f"log-log slope against random-set size: {b:+.3f} (target 0 ± 0.2: {'pass' if abs(b) <= 0.2 else 'FAIL'})")


if __name__ == "__main__":
    main()
