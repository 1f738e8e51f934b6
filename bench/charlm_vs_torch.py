#!/usr/bin/env python3
"""kiln vs PyTorch: a character-level LSTM language model on Shakespeare, in one run.

Runs with the system python3 (standard library only); PyTorch runs in bench/.venv, which
bench/setup.sh creates. Steps:

  1. `cargo build --release --workspace` (skipped with KILN_SKIP_BUILD=1 or when KILN points
     at a binary).
  2. bench/setup.sh (the PyTorch venv; idempotent).
  3. `kiln datasets fetch shakespeare`, then the first MAX_CHARS characters of kiln's corpus
     (the 42 works in file-name order joined by a blank line, as kiln's shakespeare_corpus)
     are written to bench/out/charlm_corpus.txt. Both sides read that one file.
  4. kiln: a spec like `kiln init --example shakespeare-char` pointing at the file,
     `kiln train --json`; its held-out bits/char and the sum of its epochs' `seconds`.
  5. PyTorch: bench/torch_charlm.py with the same settings.
  6. A table: bits/char of both (goal: kiln ≤ PyTorch + 0.02), training seconds and the ratio;
     two samples from kiln's model (`kiln generate`, temperatures 0.5 and 1.0). Everything
     goes to bench/out/charlm_vs_torch.json.

Environment (defaults = the shakespeare-char example):
  MAX_CHARS 200000, SEQ 40, STEP 3, HOLDOUT 0.1, DIM 32, UNITS 128, BATCH 128, EPOCHS 5,
  LR 0.003, SEED 42, TORCH_THREADS 2, KILN, KILN_SKIP_BUILD, KILN_CACHE,
  SAMPLE_LENGTH 300, PROMPT "ROMEO:".
"""

from __future__ import annotations

import json
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


def corpus(kiln: Path, max_chars: int) -> Path:
    subprocess.run([str(kiln), "datasets", "fetch", "shakespeare"], check=True, stdout=sys.stderr)
    texts = kiln_cache() / "shakespeare" / "texts"
    files = sorted(p for p in texts.iterdir() if p.suffix == ".txt")
    text = "\n\n".join(p.read_bytes().decode("utf-8") for p in files)
    if max_chars > 0:
        text = text[:max_chars]
    OUT.mkdir(exist_ok=True)
    path = OUT / "charlm_corpus.txt"
    path.write_bytes(text.encode("utf-8"))
    log(f"corpus: {len(text):,} characters from {len(files)} works -> {path}")
    return path


def spec_text(s: dict, corpus_path: Path) -> str:
    return f"""name = "charlm-bench"
[data]
source = "{corpus_path}"
[language_model]
sequence_length = {s['seq']}
step = {s['step']}
holdout = {s['holdout']}
[output]
name = "next_char"
type = "category"
[[layers]]
type = "embedding"
dim = {s['dim']}
[[layers]]
type = "lstm"
units = {s['units']}
return_sequences = true
[[layers]]
type = "lstm"
units = {s['units']}
[training]
batch_size = {s['batch']}
epochs = {s['epochs']}
seed = {s['seed']}
[training.optimizer]
type = "adam"
learning_rate = {s['lr']}
"""


def run_kiln(kiln: Path, s: dict, corpus_path: Path) -> dict:
    spec = OUT / "charlm.toml"
    model = OUT / "charlm.kiln"
    spec.write_text(spec_text(s, corpus_path))
    log("kiln train")
    try:
        events = kiln_train(kiln, spec, model, "--no-checkpoint")
    except KilnError as e:
        sys.exit(str(e))
    epochs = events_named(events, "epoch")
    heldout = first_event(events, "evaluated", split="heldout")
    prepared = first_event(events, "prepared")
    return {
        "model": str(model),
        "bits_per_char": heldout["metrics"]["bits_per_char"],
        "unigram_bits_per_char": heldout["metrics"]["unigram_bits_per_char"],
        "train_seconds": sum(e["seconds"] for e in epochs),
        "train_windows": prepared["train_rows"],
        "heldout_chars": prepared["validation_rows"],
        "epochs": epochs,
    }


def run_torch(python: Path, s: dict, corpus_path: Path) -> dict:
    log("PyTorch")
    args = [
        str(python), str(BENCH / "torch_charlm.py"), "--corpus", str(corpus_path),
        "--sequence-length", str(s["seq"]), "--step", str(s["step"]),
        "--holdout", str(s["holdout"]), "--dim", str(s["dim"]), "--units", str(s["units"]),
        "--batch", str(s["batch"]), "--epochs", str(s["epochs"]), "--lr", str(s["lr"]),
        "--seed", str(s["seed"]), "--threads", str(s["threads"]),
    ]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"torch_charlm.py failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sample(kiln: Path, model: str, temperature: float, length: int, prompt: str) -> str:
    proc = subprocess.run(
        [str(kiln), "generate", model, "--prompt", prompt, "--length", str(length),
         "--temperature", str(temperature), "--seed", "1"],
        capture_output=True, text=True, check=True,
    )
    return proc.stdout


def main() -> None:
    kiln_cache()
    s = {
        "max_chars": env("MAX_CHARS", 200000), "seq": env("SEQ", 40), "step": env("STEP", 3),
        "holdout": env("HOLDOUT", 0.1), "dim": env("DIM", 32), "units": env("UNITS", 128),
        "batch": env("BATCH", 128), "epochs": env("EPOCHS", 5), "lr": env("LR", 0.003),
        "seed": env("SEED", 42), "threads": env("TORCH_THREADS", 2),
    }
    kiln = require_kiln()
    python = torch_python()
    corpus_path = corpus(kiln, s["max_chars"])
    k = run_kiln(kiln, s, corpus_path)
    t = run_torch(python, s, corpus_path)
    if (k["train_windows"], k["heldout_chars"]) != (t["train_windows"], t["heldout_chars"]):
        sys.exit(f"window mismatch: kiln {k['train_windows']}/{k['heldout_chars']}, torch {t['train_windows']}/{t['heldout_chars']}")
    prompt = env("PROMPT", "ROMEO:")
    length = env("SAMPLE_LENGTH", 300)
    samples = {str(temp): sample(kiln, k["model"], temp, length, prompt) for temp in (0.5, 1.0)}
    diff = k["bits_per_char"] - t["bits_per_char"]
    ratio = k["train_seconds"] / t["train_seconds"]
    print(f"\nchar-LSTM on {s['max_chars']:,} characters of Shakespeare: {k['train_windows']:,} training windows, "
          f"{k['heldout_chars']:,} held-out characters, {s['epochs']} epochs")
    print_table(
        ["", "bits/char", "train s"],
        [[name, f"{r['bits_per_char']:.4f}", f"{r['train_seconds']:.1f}"] for name, r in (("kiln", k), ("PyTorch", t))],
        right=(1, 2),
    )
    print(f"unigram baseline {k['unigram_bits_per_char']:.4f} bits/char")
    print(f"kiln − PyTorch = {diff:+.4f} bits/char (goal ≤ +0.02: {'met' if diff <= 0.02 else 'NOT met'}); "
          f"training time kiln/PyTorch = {ratio:.2f}")
    for temp, text in samples.items():
        print(f"\n--- kiln generate --temperature {temp} --seed 1 ---\n{text}")
    OUT.mkdir(exist_ok=True)
    (OUT / "charlm_vs_torch.json").write_text(json.dumps(
        {"settings": s, "kiln": k, "torch": t, "diff": diff, "time_ratio": ratio, "samples": samples},
        indent=1))


if __name__ == "__main__":
    main()
