#!/usr/bin/env python3
"""kiln's TPE vs Optuna 5's, side by side in one run: search quality and sampler overhead.

Runs under bench/.venv-optuna's python (bench/tune_setup.sh makes it; tune_vs_optuna.sh runs
both). kiln's side is the example binary `crates/kiln-tune/examples/tune_bench.rs`, built
first with `cargo build --release -p kiln-tune --example tune_bench` (only that small crate);
Optuna runs in this process.

Quality (issue 18): Branin (2-D) and Hartmann-6, TRIALS trials, seeds 0 … SEEDS−1, three
settings: univariate TPE, multivariate TPE, random. Optuna: `TPESampler(n_startup_trials=10,
multivariate=…, seed=s)` (its defaults otherwise) or `RandomSampler(seed=s)`, every parameter
`suggest_float(name, low, high)`; kiln: `TpeSampler::new(s)` (10 startup trials, 24
candidates, γ = min(⌈0.1n⌉, 25), prior weight 1, magic clip) with the same `multivariate`, or
`RandomSampler`, 1 worker, lag 1. Per function and setting: the median over seeds of the best
value after TRIALS trials minus f*, for both; their difference as a percentage of
f(x₀) − f*, x₀ being the midpoint of the domain; pass when |difference| ≤ 1 %. And whether
TPE's median beats random's, per side.

Overhead: a TPE study of OVERHEAD_TRIALS trials over P parameters `x0 … x{P−1}`, each
uniform on [−10, 10], objective the sum of squares, for P in OVERHEAD_PARAMS. Optuna:
`study.ask()` + P × `trial.suggest_float` + `study.tell(trial, value)` over an in-memory
study with `TPESampler(seed=r, multivariate=…)`, timed as one loop; kiln: `optimize` (1
worker, lag 1), timed by the example around the whole call. Figure: wall seconds / trials /
P, in µs; median over OPTUNA_REPEATS and KILN_REPEATS runs; ratio kiln/Optuna (goal ≤ 0.1).
Univariate and multivariate TPE, `multivariate` set explicitly on both sides (a kiln spec's
default and Optuna 5's for a single-objective study are multivariate). kiln's runs are then
repeated with every trial recorded in a fresh runs store (`kiln_tune::record::recording`);
the "store ms/trial" column is the extra wall time per trial (goal ≤ 0.1 ms).

Environment:
  SEEDS              quality seeds (default 20)
  TRIALS             quality trials per study (default 100)
  FUNCTIONS          default branin,hartmann6
  SETTINGS           quality settings, default tpe,tpe-mv,random
  MODES              default quality,overhead
  OVERHEAD_PARAMS    default 1,4,16
  OVERHEAD_TRIALS    default 1000
  OVERHEAD_SETTINGS  default tpe,tpe-mv (univariate, multivariate)
  KILN_REPEATS       kiln overhead runs per point (default 3)
  OPTUNA_REPEATS     Optuna overhead runs per point (default 1)
  TUNE_BENCH         the example binary to use as is (default: built into <target>/release/examples)
  KILN_SKIP_BUILD    1: do not run cargo build
  CARGO_TARGET_DIR   cargo's target folder (default <repo>/target)

Everything (every seed's values, every timing, the load of other processes during each
overhead run) goes to bench/out/tune_vs_optuna.json.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, REPO, cpu_busy_seconds, env, log, print_table

import numpy as np
import optuna

SETTING_NAMES = {"tpe": "TPE univariate", "tpe-mv": "TPE multivariate", "random": "random"}


# ---------------------------------------------------------------- the test functions


def branin(x):
    b = 5.1 / (4 * np.pi**2)
    c = 5 / np.pi
    t = 1 / (8 * np.pi)
    return float((x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * np.cos(x[0]) + 10)


H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
H_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
H_P = np.array(
    [
        [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
        [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
        [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
    ]
)


def hartmann6(x):
    x = np.asarray(x)
    return float(-(H_ALPHA * np.exp(-(H_A * (x - H_P) ** 2).sum(axis=1))).sum())


FUNCTIONS = {
    # name: (function, domain [(param, low, high)], f*)
    "branin": (branin, [("x1", -5.0, 10.0), ("x2", 0.0, 15.0)], 0.3978873577297382),
    "hartmann6": (hartmann6, [(f"x{i}", 0.0, 1.0) for i in range(6)], -3.322368011415515),
}


# ---------------------------------------------------------------- kiln's side


def tune_bench() -> Path:
    """The example binary: $TUNE_BENCH, else built with cargo (only kiln-tune)."""
    override = os.environ.get("TUNE_BENCH")
    if override:
        return Path(override)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    binary = target / "release" / "examples" / "tune_bench"
    if os.environ.get("KILN_SKIP_BUILD") != "1" and shutil.which("cargo"):
        cmd = ["cargo", "build", "--release", "-p", "kiln-tune", "--example", "tune_bench"]
        log(" ".join(cmd))
        rc = subprocess.run(cmd, cwd=REPO, stdout=sys.stderr).returncode
        if rc != 0:
            log(f"cargo build failed (exit {rc})")
    if not binary.is_file():
        sys.exit(f"no tune_bench binary at {binary}")
    return binary


def children_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def kiln(binary: Path, *args: str) -> dict:
    """Runs the example and returns its JSON, with `other_load`: the cores' worth of CPU that
    other processes used while it ran."""
    b0, c0, t0 = cpu_busy_seconds(), children_cpu_seconds(), time.monotonic()
    proc = subprocess.run([str(binary), *args], capture_output=True, text=True)
    wall = time.monotonic() - t0
    own = children_cpu_seconds() - c0
    if proc.returncode != 0:
        sys.exit(f"`{binary} {' '.join(args)}` failed (exit {proc.returncode}):\n{proc.stderr}")
    result = json.loads(proc.stdout)
    result["other_load"] = max(0.0, (cpu_busy_seconds() - b0 - own) / wall)
    return result


# ---------------------------------------------------------------- Optuna's side


def optuna_sampler(setting: str, seed: int):
    if setting == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(n_startup_trials=10, multivariate=setting == "tpe-mv", seed=seed)


def optuna_quality(function: str, setting: str, seeds: int, trials: int) -> dict:
    f, domain, _ = FUNCTIONS[function]
    per_seed = []
    t0 = time.monotonic()
    for seed in range(seeds):
        study = optuna.create_study(direction="minimize", sampler=optuna_sampler(setting, seed))

        def objective(trial):
            return f([trial.suggest_float(name, low, high) for name, low, high in domain])

        study.optimize(objective, n_trials=trials)
        per_seed.append([t.value for t in study.trials])
    return {
        "best": [min(v) for v in per_seed],
        "values": per_seed,
        "seconds": time.monotonic() - t0,
    }


def optuna_overhead(params: int, trials: int, multivariate: bool, seed: int) -> dict:
    """ask / P × suggest_float / tell over an in-memory study, timed as one loop."""
    names = [f"x{i}" for i in range(params)]
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=multivariate),
    )
    b0, c0 = cpu_busy_seconds(), time.process_time()
    t0 = time.perf_counter()
    finished = []
    for _ in range(trials):
        trial = study.ask()
        value = sum(trial.suggest_float(n, -10.0, 10.0) ** 2 for n in names)
        study.tell(trial, value)
        finished.append(time.perf_counter() - t0)
    wall = time.perf_counter() - t0
    own = time.process_time() - c0
    return {
        "seconds": wall,
        "us_per_trial_param": wall * 1e6 / (trials * params),
        "finished_at": finished,
        "other_load": max(0.0, (cpu_busy_seconds() - b0 - own) / wall),
    }


# ---------------------------------------------------------------- the runs


def bootstrap_interval(kiln_gaps: list[float], optuna_gaps: list[float], scale: float) -> tuple[float, float]:
    """A 95 % bootstrap interval of (kiln's median − Optuna's median) / scale in %, seeds
    resampled with replacement on each side (2,000 resamples, fixed generator): how much of
    a difference the seeds alone make."""
    rng = np.random.default_rng(0)
    k, o = np.asarray(kiln_gaps), np.asarray(optuna_gaps)
    diffs = [
        np.median(rng.choice(k, k.size)) - np.median(rng.choice(o, o.size)) for _ in range(2000)
    ]
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return 100.0 * float(lo) / scale, 100.0 * float(hi) / scale


def pct(x: float) -> str:
    return f"{x:+.2f} %"


def quality(binary: Path, out: dict) -> None:
    seeds, trials = env("SEEDS", 20), env("TRIALS", 100)
    functions = env("FUNCTIONS", "branin,hartmann6").split(",")
    settings = env("SETTINGS", "tpe,tpe-mv,random").split(",")
    rows, results = [], []
    for function in functions:
        f, domain, f_min = FUNCTIONS[function]
        x0 = [0.5 * (lo + hi) for _, lo, hi in domain]
        scale = f(x0) - f_min
        medians = {}
        for setting in settings:
            args = ["quality", "--function", function, "--seeds", str(seeds), "--trials", str(trials)]
            args += ["--sampler", "random"] if setting == "random" else ["--sampler", "tpe"]
            if setting == "tpe-mv":
                args.append("--multivariate")
            log(f"{function} {setting}: kiln, {seeds} seeds × {trials} trials")
            k = kiln(binary, *args)
            assert abs(k["f_x0"] - f(x0)) < 1e-9 and abs(k["f_min"] - f_min) < 1e-12, "same function"
            log(f"{function} {setting}: Optuna, {seeds} seeds × {trials} trials")
            o = optuna_quality(function, setting, seeds, trials)
            k_med = statistics.median(b - f_min for b in k["best"])
            o_med = statistics.median(b - f_min for b in o["best"])
            diff = 100.0 * (k_med - o_med) / scale
            interval = bootstrap_interval([b - f_min for b in k["best"]], [b - f_min for b in o["best"]], scale)
            medians[setting] = (k_med, o_med)
            # Optuna against itself: the medians of disjoint groups of 20 of its seeds, and how
            # often two such groups differ by more than the 1 % target (the target's noise floor).
            o_gaps = [b - f_min for b in o["best"]]
            groups = [statistics.median(o_gaps[i:i + 20]) for i in range(0, len(o_gaps) - 19, 20)]
            pairs = [(a, b) for i, a in enumerate(groups) for b in groups[i + 1:]]
            self_20 = None
            if pairs:
                self_20 = {
                    "group_medians": groups,
                    "spread_pct": 100.0 * (max(groups) - min(groups)) / scale,
                    "pairs_over_1pct": sum(abs(a - b) / scale > 0.01 for a, b in pairs),
                    "pairs": len(pairs),
                }
                log(f"  Optuna vs Optuna, {len(groups)} disjoint groups of 20 seeds: medians spread "
                    f"{self_20['spread_pct']:.2f} % of f(x0) - f*; {self_20['pairs_over_1pct']} of "
                    f"{len(pairs)} pairs differ by more than 1 %")
            results.append(
                {
                    "function": function,
                    "setting": setting,
                    "f_min": f_min,
                    "x0": x0,
                    "f_x0": f(x0),
                    "kiln_median_gap": k_med,
                    "optuna_median_gap": o_med,
                    "diff_pct_of_range": diff,
                    "diff_pct_bootstrap_95": interval,
                    "pass": setting == "random" or abs(diff) <= 1.0,
                    "optuna_self_20": self_20,
                    "kiln": {k2: k[k2] for k2 in ("best", "values", "seconds")},
                    "optuna": o,
                }
            )
            rows.append(
                [
                    function,
                    SETTING_NAMES[setting],
                    f"{k_med:.4g}",
                    f"{o_med:.4g}",
                    pct(diff),
                    f"{interval[0]:+.1f} … {interval[1]:+.1f} %",
                    "-" if setting == "random" else ("pass" if abs(diff) <= 1.0 else "FAIL"),
                    f"{k['seconds']:.1f} / {o['seconds']:.1f}",
                ]
            )
        for side, i in (("kiln", 0), ("Optuna", 1)):
            if "random" in medians:
                for s in ("tpe", "tpe-mv"):
                    if s in medians:
                        beats = bool(medians[s][i] < medians["random"][i])
                        out.setdefault("tpe_beats_random", []).append(
                            {"function": function, "side": side, "setting": s, "beats": beats}
                        )
        log(f"{function}: f(x0) - f* = {scale:.6g} at x0 = {x0}")
    out["quality"] = results
    print(f"\nQuality: median over {seeds} seeds of (best after {trials} trials − f*); "
          "difference kiln − Optuna as % of f(x₀) − f*, x₀ = the domain's midpoint; target |·| ≤ 1 %")
    print_table(
        ["function", "setting", "kiln", "Optuna 5", "diff % of f(x0)-f*", "95 % bootstrap", "1 % target", "seconds kiln / Optuna"],
        rows,
        right=(2, 3, 4, 5, 7),
    )
    for function in functions:
        f, domain, f_min = FUNCTIONS[function]
        x0 = [0.5 * (lo + hi) for _, lo, hi in domain]
        print(f"  {function}: f* = {f_min:.6g}, x0 = {x0}, f(x0) = {f(x0):.6g}")
    for b in out.get("tpe_beats_random", []):
        print(f"  {b['function']}: {b['side']} {SETTING_NAMES[b['setting']]} "
              f"{'beats' if b['beats'] else 'does NOT beat'} random (median)")


def overhead(binary: Path, out: dict) -> None:
    trials = env("OVERHEAD_TRIALS", 1000)
    params_list = [int(p) for p in env("OVERHEAD_PARAMS", "1,4,16").split(",")]
    settings = env("OVERHEAD_SETTINGS", "tpe,tpe-mv").split(",")
    k_reps, o_reps = env("KILN_REPEATS", 3), env("OPTUNA_REPEATS", 1)
    rows, results = [], []
    for setting in settings:
        mv = setting == "tpe-mv"
        for p in params_list:
            o_runs = []
            for r in range(o_reps):
                log(f"overhead {setting} P={p}: Optuna run {r + 1}/{o_reps}, {trials} trials")
                o_runs.append(optuna_overhead(p, trials, mv, seed=r))
                log(f"  {o_runs[-1]['seconds']:.1f} s, others used {o_runs[-1]['other_load']:.2f} cores")
            log(f"overhead {setting} P={p}: kiln, {k_reps} runs of {trials} trials")
            args = ["overhead", "--params", str(p), "--trials", str(trials), "--repeats", str(k_reps), "--store"]
            if mv:
                args.append("--multivariate")
            k = kiln(binary, *args)
            k_us = statistics.median(k["us_per_trial_param"])
            o_us = statistics.median(r["us_per_trial_param"] for r in o_runs)
            ratio = k_us / o_us
            # The same studies with every trial recorded in a fresh runs store: extra ms per trial.
            store_ms = statistics.median(
                (s - m) / trials * 1e3 for s, m in zip(k["store_seconds"], k["seconds"])
            )
            results.append(
                {
                    "setting": setting,
                    "params": p,
                    "trials": trials,
                    "kiln_us_per_trial_param": k_us,
                    "optuna_us_per_trial_param": o_us,
                    "ratio": ratio,
                    "pass": ratio <= 0.1,
                    "store_ms_per_trial": store_ms,
                    "store_pass": store_ms <= 0.1,
                    "kiln": k,
                    "optuna": o_runs,
                }
            )
            rows.append(
                [
                    SETTING_NAMES[setting],
                    str(p),
                    f"{k_us:.1f}",
                    f"{o_us:.1f}",
                    f"{ratio:.3f}",
                    "pass" if ratio <= 0.1 else "FAIL",
                    f"{statistics.median(k['seconds']):.2f} / {statistics.median(r['seconds'] for r in o_runs):.1f}",
                    f"{store_ms:+.3f}",
                    f"{k['other_load']:.2f} / {max(r['other_load'] for r in o_runs):.2f}",
                ]
            )
    out["overhead"] = results
    print(f"\nOverhead: ask + tell wall time per trial per parameter, {trials}-trial TPE study, "
          f"objective sum of squares; median of {k_reps} kiln run(s) and {o_reps} Optuna run(s); goal ratio ≤ 0.1")
    print("store ms/trial: kiln's same studies again with every trial recorded in a fresh runs store, "
          "minus in memory, per trial (median of the runs' differences); goal ≤ 0.1 ms")
    print_table(
        ["setting", "params", "kiln µs", "Optuna µs", "kiln/Optuna", "≤ 0.1×", "study s kiln / Optuna",
         "store ms/trial", "others' cores k / O"],
        rows,
        right=(1, 2, 3, 4, 6, 7, 8),
    )


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    binary = tune_bench()
    modes = env("MODES", "quality,overhead").split(",")
    out = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "optuna": optuna.__version__,
        "numpy": np.__version__,
        "binary": str(binary),
    }
    print(f"optuna {optuna.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, {platform.platform()}")
    if "quality" in modes:
        quality(binary, out)
    if "overhead" in modes:
        overhead(binary, out)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "tune_vs_optuna.json"
    path.write_text(json.dumps(out))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
