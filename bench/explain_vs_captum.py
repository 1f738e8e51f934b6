#!/usr/bin/env python3
"""kiln explain's attributions against Captum's on the same weights (issue 19).

A small table model (the `planted` data of crates/kiln-cli/tests/it/explain.rs: `y` depends on
`signal` and `color`, not on `noise`) is trained by kiln; `kiln inspect --export-weights`
writes its weights as safetensors, and the same network is built in PyTorch from them. For N
test rows, kiln's integrated gradients (Gauss–Legendre, the steps kiln reports for the row)
and gradient × input are compared with Captum's `IntegratedGradients(method="gausslegendre")`
and `InputXGradient` on the same encoded rows, baseline zeros, target the class kiln
explained. Per row, pass when every value agrees to |a − b| ≤ 1e-5·max|a| + 1e-6.

Run it with bench/explain_vs_captum.sh (Captum and safetensors in bench/.venv). Environment:
ROWS (50), KILN (the binary; else the release build).
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from captum.attr import InputXGradient, IntegratedGradients
from safetensors.numpy import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import env, log, print_table, require_kiln  # noqa: E402

ROWS = env("ROWS", 50)

SPEC = """
name = "planted"
[data]
source = "planted.csv"
[data.split]
test = 0.3
validation = 0.1
[[input]]
name = "signal"
type = "number"
[[input]]
name = "noise"
type = "number"
[[input]]
name = "color"
type = "category"
[output]
name = "y"
type = "category"
[[layers]]
type = "dense"
units = 16
activation = "tanh"
[[layers]]
type = "dense"
units = 8
activation = "relu"
[training]
batch_size = 32
epochs = 40
seed = 1
[training.optimizer]
type = "adam"
learning_rate = 0.01
"""

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
               "gelu": torch.nn.GELU, "elu": torch.nn.ELU}


def planted_csv() -> str:
    """The Rust test's generator (64-bit LCG), 1,500 rows."""
    state = 42
    rows = ["signal,noise,color,y"]
    for _ in range(1500):
        values = []
        for _ in range(3):
            state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            values.append((state >> 11) / (1 << 53) * 2 - 1)
        signal, noise, c = values
        color = "red" if c < -0.33 else ("green" if c < 0.33 else "blue")
        y = "yes" if signal + (0.8 if color == "red" else 0.0) > 0.2 else "no"
        rows.append(f"{signal:.5f},{noise:.5f},{color},{y}")
    return "\n".join(rows) + "\n"


def torch_model(network: dict, weights: dict) -> torch.nn.Sequential:
    """The kiln network in PyTorch: each dense layer (Burn's weight is [in, out]) and its
    activation, then the head."""
    modules = []
    for i, layer in enumerate(network["layers"] + [{"type": "dense", "activation": None}]):
        if layer["type"] == "dropout":
            continue
        if layer["type"] != "dense":
            sys.exit(f"layer {i}: {layer['type']} is not built here (dense and dropout only)")
        w = weights[f"layers.{i}.Dense.linear.weight"]
        b = weights.get(f"layers.{i}.Dense.linear.bias")
        linear = torch.nn.Linear(w.shape[0], w.shape[1], bias=b is not None)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))
            if b is not None:
                linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        act = layer.get("activation")
        if act and act not in ("linear", "none"):
            modules.append(ACTIVATIONS[act]())
    return torch.nn.Sequential(*modules).eval()


def run(kiln: Path, *args: str, cwd: Path) -> str:
    return subprocess.run([str(kiln), *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def main() -> None:
    kiln = require_kiln()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "planted.csv").write_text(planted_csv())
        (work / "planted.toml").write_text(SPEC)
        log("training the planted model")
        run(kiln, "train", "planted.toml", "-o", "planted.kiln", "--quiet", "--no-track", cwd=work)
        shown = json.loads(run(kiln, "--json", "inspect", "planted.kiln", "--export-weights",
                               "planted.safetensors", cwd=work))
        weights = load_file(str(work / "planted.safetensors"))
        model = torch_model(shown["header"]["network"], weights)
        reports = {}
        for method in ("integrated-gradients", "gradient-x-input"):
            log(f"kiln explain attributions --method {method}, {ROWS} rows")
            reports[method] = json.loads(run(kiln, "--json", "explain", "attributions",
                                             "planted.kiln", "test", "--rows", str(ROWS),
                                             "--method", method, cwd=work))
    ig, ixg = IntegratedGradients(model), InputXGradient(model)
    rows, failures, worst = [], 0, 0.0
    for method, report in reports.items():
        diffs, bounds, outputs, steps = [], [], [], []
        for r in report["rows"]:
            x = torch.tensor([r["input"]], dtype=torch.float32)
            target = r["column"]
            assert not r["negated"], "a binary head is not compared here"
            if method == "integrated-gradients":
                theirs = ig.attribute(x, baselines=torch.zeros_like(x), target=target,
                                      n_steps=r["steps"], method="gausslegendre")
                steps.append(r["steps"])
            else:
                theirs = ixg.attribute(x.clone().requires_grad_(True), target=target)
            a = np.asarray(r["values"], dtype=np.float64)
            b = theirs.detach().numpy()[0].astype(np.float64)
            bound = 1e-5 * np.abs(a).max() + 1e-6
            diff = np.abs(a - b).max()
            diffs.append(diff)
            bounds.append(bound)
            failures += int(diff > bound)
            worst = max(worst, diff / bound)
            out = model(x)[0, target].item()
            outputs.append(abs(out - r["output"]))
        passed = sum(d <= b for d, b in zip(diffs, bounds))
        rows.append([method, str(len(diffs)), f"{max(diffs):.2e}", f"{min(bounds):.2e}",
                     f"{passed}/{len(diffs)}", f"{max(outputs):.2e}",
                     f"{min(steps)}–{max(steps)}" if steps else "-"])
    print(f"\nkiln explain vs Captum on the same weights ({ROWS} test rows of the planted model); "
          "pass: |a − b| ≤ 1e-5·max|a| + 1e-6 per row")
    print_table(["method", "rows", "max |a − b|", "smallest bound", "rows within", "max |output diff|",
                 "steps"], rows, right=(1, 2, 3, 4, 5))
    print(f"worst row: {worst:.3f} of its bound; {'PASS' if failures == 0 else f'FAIL ({failures} rows)'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
