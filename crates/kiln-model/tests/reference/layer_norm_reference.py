"""Reference outputs of PyTorch's layer normalisation for kiln-model's `layer_norm` layer.

Run from the repository root with the benchmark venv (bench/setup.sh creates it):

    bench/.venv/bin/python crates/kiln-model/tests/reference/layer_norm_reference.py

It writes crates/kiln-model/tests/reference/layer_norm_reference.json, which the Rust test
`layer_norm::matches_pytorch` loads. Each case normalises the last axis of a `[batch,
features]` or `[batch, time, features]` input, y = (x - mean) / sqrt(var + epsilon) * gamma +
beta with the biased variance (torch.nn.functional.layer_norm, Keras' LayerNormalization), and
holds gamma, beta, the input, the output and the gradients of loss = sum(y * R) with respect
to the input, gamma and beta. Weights and inputs are drawn in float32 (so kiln loads them
exactly); the reference is computed in float64.
"""

import json
import os

import torch
import torch.nn.functional as F

CASES = [
    # name, shape, epsilon, input scale, input offset
    ("vector", [4, 6], 1e-3, 1.0, 0.0),
    ("vector_eps_small_offset", [3, 5], 1e-5, 3.0, 10.0),
    ("sequence", [2, 4, 5], 1e-3, 1.0, -2.0),
    ("two_features", [5, 2], 1e-3, 0.5, 0.0),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(index, name, shape, epsilon, scale, offset):
    torch.manual_seed(3000 + index)
    features = shape[-1]
    gamma = (1.0 + 0.3 * torch.randn(features)).float()
    beta = (0.2 * torch.randn(features)).float()
    x = (torch.randn(*shape) * scale + offset).float()
    r = torch.randn(*shape).float()
    x64 = x.double().requires_grad_(True)
    g64 = gamma.double().requires_grad_(True)
    b64 = beta.double().requires_grad_(True)
    y = F.layer_norm(x64, [features], g64, b64, eps=epsilon)
    (y * r.double()).sum().backward()
    return {
        "name": name,
        "shape": shape,
        "epsilon": epsilon,
        "gamma": flat(gamma),
        "beta": flat(beta),
        "input": flat(x),
        "r": flat(r),
        "output": flat(y),
        "grad_input": flat(x64.grad),
        "grad_gamma": flat(g64.grad),
        "grad_beta": flat(b64.grad),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = {
        "torch": torch.__version__,
        "cases": [case(i, *c) for i, c in enumerate(CASES)],
    }
    with open(os.path.join(here, "layer_norm_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
