#!/usr/bin/env python3
"""kiln vs PyTorch: the `text-cnn` example (IMDB reviews → word ids → embedding → conv1d →
global max pooling → dense) on the same train/test files, in one run. MODEL=avgpool runs
Keras' text-classification tutorial model instead (kiln's `examples/hello_imdb.rs`: 10,000
words, 250 ids per review → embedding 16 → dropout → mean over real words → dropout, 10
epochs), by default on all 50,000 reviews.

Runs with the system python3 (standard library only); PyTorch runs in bench/.venv, which
bench/setup.sh creates. Steps:

  1. `cargo build --release --workspace` (skipped with KILN_SKIP_BUILD=1 or when KILN points
     at a binary).
  2. bench/setup.sh (the PyTorch venv; idempotent).
  3. `kiln datasets fetch imdb`; ROWS reviews (every 50,000/ROWS-th from review 7, the rows
     kiln's CI test takes; ROWS=50000 for all) are shuffled with SEED and cut in half into
     bench/out/textcnn_train.jsonl and textcnn_test.jsonl. Both sides read those files.
  4. kiln: `kiln init --example text-cnn` (MODEL=avgpool: the spec AVGPOOL_SPEC below)
     pointed at the files (`data.test`), `kiln train --json`: test accuracy and the sum of the
     epochs' `seconds`.
  5. PyTorch: bench/torch_text_cnn.py, the same model and settings.
  6. A table: test accuracy of both, training seconds, and the ratio; everything also goes to
     bench/out/text_MODEL_vs_torch.json.

Environment: MODEL cnn|avgpool, ROWS (6000 for cnn, 50000 for avgpool), SEED 42,
TORCH_THREADS 2, KILN, KILN_SKIP_BUILD, KILN_CACHE.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from common import (
    BENCH,
    OUT,
    KilnError,
    env,
    events_named,
    first_event,
    kiln_cache,
    kiln_train,
    log,
    print_table,
    require_kiln,
    torch_python,
)


def split_files(kiln: Path, rows: int, seed: int) -> tuple[Path, Path]:
    subprocess.run([str(kiln), "datasets", "fetch", "imdb"], check=True, stdout=sys.stderr)
    reviews = json.loads((kiln_cache() / "imdb" / "reviews.json").read_text())
    stride = max(len(reviews) // rows, 1)
    chosen = [reviews[i] for i in range(7 % stride, len(reviews), stride)][:rows]
    random.Random(seed).shuffle(chosen)
    half = len(chosen) // 2
    OUT.mkdir(exist_ok=True)
    paths = []
    for name, part in (("textcnn_train.jsonl", chosen[:half]), ("textcnn_test.jsonl", chosen[half:])):
        path = OUT / name
        with path.open("w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps({"text": r["t"], "label": r["s"]}) + "\n")
        paths.append(path)
    log(f"{half:,} training and {len(chosen) - half:,} test reviews")
    return paths[0], paths[1]


# The `Sequential` stack of examples/hello_imdb.rs as a spec, with PyTorch's one-logit head
# (`binary`) where the Rust example lets `fit` pick a two-class softmax.
AVGPOOL_SPEC = """name = "imdb-avgpool"

[data]
source = "{train}"
test = "{test}"

[[input]]
name = "text"
type = "text"
max_tokens = 10000
encoding = "sequence"
length = 250

[output]
name = "label"
type = "binary"

[[layers]]
type = "embedding"
dim = 16
init = "uniform"

[[layers]]
type = "dropout"
rate = 0.2

[[layers]]
type = "global_avg_pool1d"

[[layers]]
type = "dropout"
rate = 0.2

[training]
batch_size = 32
epochs = 10
seed = 42

[training.optimizer]
type = "adam"
learning_rate = 0.001
"""


def kiln_spec(kiln: Path, model: str, train: Path, test: Path) -> str:
    if model == "avgpool":
        return AVGPOOL_SPEC.format(train=train, test=test)
    example = subprocess.run([str(kiln), "init", "--example", "text-cnn"], check=True,
                             capture_output=True, text=True).stdout
    spec_text = example.replace('source = "imdb"', f'source = "{train}"\ntest = "{test}"')
    assert spec_text != example, "the example's data source moved"
    return spec_text


def run_kiln(kiln: Path, model_name: str, train: Path, test: Path) -> dict:
    spec_text = kiln_spec(kiln, model_name, train, test)
    spec = OUT / f"text_{model_name}.toml"
    model = OUT / f"text_{model_name}.kiln"
    spec.write_text(spec_text)
    log("kiln train")
    try:
        events = kiln_train(kiln, spec, model, "--no-checkpoint")
    except KilnError as e:
        sys.exit(str(e))
    epochs = events_named(events, "epoch")
    test_eval = first_event(events, "evaluated", split="test")
    return {
        "test_accuracy": test_eval["metrics"]["accuracy"],
        "train_seconds": sum(e["seconds"] for e in epochs),
        "epoch_seconds": [e["seconds"] for e in epochs],
    }


def run_torch(python: Path, model: str, train: Path, test: Path, threads: int) -> dict:
    log("PyTorch")
    settings = {"TORCH_THREADS": str(threads), "MODEL": model}
    if model == "avgpool":
        settings.update(VOCAB="10000", LENGTH="250", DIM="16", EPOCHS="10")
    proc = subprocess.run(
        [str(python), str(BENCH / "torch_text_cnn.py"), str(train), str(test)],
        capture_output=True, text=True, env={**os.environ, **settings},
    )
    if proc.returncode != 0:
        sys.exit(f"torch_text_cnn.py failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    kiln_cache()
    model = env("MODEL", "cnn")
    if model not in ("cnn", "avgpool"):
        sys.exit(f"MODEL is cnn or avgpool, not {model!r}")
    rows = env("ROWS", 50000 if model == "avgpool" else 6000)
    seed, threads = env("SEED", 42), env("TORCH_THREADS", 2)
    kiln = require_kiln()
    python = torch_python()
    train, test = split_files(kiln, rows, seed)
    k = run_kiln(kiln, model, train, test)
    t = run_torch(python, model, train, test, threads)
    ratio = k["train_seconds"] / t["train_seconds"]
    title = {"cnn": "text-cnn, 3 epochs", "avgpool": "embedding + mean pooling, 10 epochs"}[model]
    print(f"\n{title}, {rows:,} IMDB reviews (half train, half test)")
    print_table(
        ["", "test acc", "train s"],
        [[name, f"{r['test_accuracy']:.4f}", f"{r['train_seconds']:.1f}"] for name, r in (("kiln", k), ("PyTorch", t))],
        right=(1, 2),
    )
    print(f"accuracy kiln − PyTorch = {k['test_accuracy'] - t['test_accuracy']:+.4f}; "
          f"training time kiln/PyTorch = {ratio:.2f}")
    (OUT / f"text_{model}_vs_torch.json").write_text(json.dumps(
        {"model": model, "rows": rows, "seed": seed, "kiln": k, "torch": t, "time_ratio": ratio},
        indent=1))


if __name__ == "__main__":
    main()
