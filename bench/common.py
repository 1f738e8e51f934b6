"""What the benchmark scripts in bench/ share: their folders, logging, settings from the
environment, the kiln binary (built or given), the PyTorch venv, `kiln train --json` and its
events, and the plain-text tables they print.

Standard library only, so that every python the scripts run under imports it: the system
python3 (train_vs_torch.py, charlm_vs_torch.py, text_cnn_vs_torch.py, serve_bench.py) and the
PyMC venv's (bnn_vs_pymc.py). The scripts import it as `common`: Python puts a script's own
folder first on its path.

Environment read here:
  KILN              a kiln binary to use as is (default: <target>/release/kiln, built first)
  KILN_SKIP_BUILD   1: do not run cargo build
  CARGO_TARGET_DIR  cargo's target folder (default: <repo>/target)
  KILN_CACHE        dataset cache; defaulted to kiln's own default (kiln_cache())
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
TORCH_PYTHON = BENCH / ".venv" / "bin" / "python"

# Messages go to stderr, prefixed with the script's name, so stdout holds only the results.
_PREFIX = f"[{Path(sys.argv[0]).stem}]" if sys.argv and sys.argv[0] else "[bench]"


def log(*parts) -> None:
    """One progress line on stderr."""
    print(_PREFIX, *parts, file=sys.stderr, flush=True)


def env(name: str, default):
    """The environment variable `name` as the type of `default`; `default` when unset or
    empty."""
    value = os.environ.get(name)
    return type(default)(value) if value else default


def kiln_cache() -> Path:
    """$KILN_CACHE, set to kiln's own default when unset (${XDG_CACHE_HOME:-~/.cache}/kiln),
    so that kiln and the peer scripts it starts read the same files."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kiln"
    return Path(os.environ.setdefault("KILN_CACHE", str(default)))


def kiln_binary() -> Path:
    """$KILN, else the release binary in cargo's target folder."""
    override = os.environ.get("KILN")
    if override:
        return Path(override)
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target") / "release" / "kiln"


def build_kiln() -> tuple[Path | None, str | None]:
    """Builds kiln with `cargo build --release --workspace` (not when $KILN names a binary,
    with KILN_SKIP_BUILD=1, or without cargo) and returns (binary, None), or (None, why there
    is none). A failed build falls back to an existing binary, with a log line.

    `--workspace`, not `-p kiln-cli`: `-p` resolves features differently and rebuilds Burn."""
    kiln = kiln_binary()
    if "KILN" not in os.environ and os.environ.get("KILN_SKIP_BUILD") != "1":
        if shutil.which("cargo") is None:
            log("cargo not found: not building kiln")
        else:
            log("cargo build --release --workspace")
            rc = subprocess.run(["cargo", "build", "--release", "--workspace"], cwd=REPO).returncode
            if rc != 0:
                log(f"cargo build failed (exit {rc})")
                if not kiln.is_file():
                    return None, f"cargo build --release --workspace failed (exit {rc})"
                log(f"using the existing {kiln}")
    if not kiln.is_file() or not os.access(kiln, os.X_OK):
        return None, f"no kiln binary at {kiln}"
    return kiln, None


def require_kiln() -> Path:
    """build_kiln(), exiting when there is no binary."""
    kiln, missing = build_kiln()
    if kiln is None:
        sys.exit(missing)
    return kiln


def torch_python() -> Path:
    """Runs bench/setup.sh (the PyTorch venv; idempotent) and returns the venv's python."""
    subprocess.run(["bash", str(BENCH / "setup.sh")], check=True, stdout=sys.stderr)
    return TORCH_PYTHON


def cpu_busy_seconds() -> float:
    """CPU seconds every process on the machine has used since boot (Linux /proc/stat; OSError
    elsewhere). Sampled around a run, minus the run's own CPU time, it gives what other
    processes used meanwhile: on a 2-core machine that decides whether a timing means anything."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class KilnError(RuntimeError):
    """A kiln command failed; the message has the command, its exit status and the end of
    what it wrote."""


def kiln_train(kiln: Path, spec: Path, model: Path, *args: str, timeout: float | None = None) -> list[dict]:
    """Runs `kiln train SPEC -o MODEL --json ARGS...` and returns its JSON events in order
    (lines that are not JSON objects are skipped).

    Raises KilnError when kiln fails, subprocess.TimeoutExpired after `timeout` seconds."""
    cmd = [str(kiln), "train", str(spec), "-o", str(model), "--json", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    events = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise KilnError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}):\n{tail}")
    return events


def events_named(events: list[dict], name: str) -> list[dict]:
    """The events whose `event` is `name` (`epoch`, `evaluated`, `done`, ...)."""
    return [e for e in events if e.get("event") == name]


def first_event(events: list[dict], name: str, **fields) -> dict | None:
    """The first event named `name` whose fields equal `fields` (`split="test"`), or None."""
    return next(
        (e for e in events_named(events, name) if all(e.get(k) == v for k, v in fields.items())),
        None,
    )


def print_table(head: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> None:
    """Prints an aligned plain-text table: the header, a rule, the rows; the columns in
    `right` (indexes) are right-aligned, the others left-aligned."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
