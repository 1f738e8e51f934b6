"""Reference outputs of PyTorch's conv1d and pooling over time for kiln-model's text CNN layers.

Run from the repository root with the benchmark venv (bench/setup.sh creates it):

    bench/.venv/bin/python crates/kiln-model/tests/reference/conv1d_reference.py

It writes crates/kiln-model/tests/reference/conv1d_reference.json, which the Rust test
`conv1d::matches_pytorch` loads. Each case is a stack conv1d (relu) → [max_pool1d] →
global max or average pooling over a `[batch, time, features]` input (kiln's channels-last
layout; PyTorch's `[batch, channels, time]` is the transpose). For each case the file holds the
weights (PyTorch layout `[filters, features, kernel]`), the input, the conv output, the pooled
output and the gradient of loss = sum(pooled * R) with respect to the input.

Padding follows Keras/TensorFlow: `same` pads floor(total/2) steps before and the rest after.
Masked cases give per-row lengths (right padding) and define what kiln promises: padded steps
enter the convolution as zeros; the steps that stay real are those the unpadded row would have
(`valid`: windows wholly on real steps; `same`: windows starting at a real step, i.e. the input
step j·stride); max pooling keeps the windows wholly on real steps; masked steps are zeroed;
global pooling runs over real steps only, and gives zeros for a row with none.
Weights and inputs are drawn in float32 (so kiln loads them exactly); the reference is computed
in float64.
"""

import json
import os

import torch
import torch.nn.functional as F

CASES = [
    # name, features, filters, kernel, stride, padding, pool, global, batch, time, lengths
    ("valid_max", 3, 4, 3, 1, "valid", None, "max", 2, 7, None),
    ("same_even_kernel_avg", 3, 5, 4, 1, "same", None, "avg", 2, 6, None),
    ("strided_same_max", 2, 3, 3, 2, "same", None, "max", 3, 7, None),
    ("pool_then_max", 3, 4, 2, 1, "valid", 2, "max", 2, 9, None),
    ("masked_max", 3, 4, 3, 1, "valid", None, "max", 3, 8, [8, 4, 1]),
    ("masked_same_avg", 3, 4, 3, 1, "same", None, "avg", 3, 8, [8, 5, 2]),
    ("masked_pool_then_avg", 2, 3, 2, 1, "same", 2, "avg", 3, 9, [9, 5, 3]),
    ("masked_strided_same_max", 3, 4, 3, 2, "same", None, "max", 3, 8, [8, 5, 2]),
    ("masked_strided_valid_avg", 2, 4, 2, 2, "valid", None, "avg", 3, 9, [9, 6, 3]),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def same_pad(time, kernel, stride):
    out = -(-time // stride)
    total = max((out - 1) * stride + kernel - time, 0)
    return total // 2, total - total // 2


def whole_windows(mask, size, stride):
    """mask [b, t] of 0/1 → [b, t']: 1 where the whole window is real."""
    return -F.max_pool1d(-mask.unsqueeze(1), size, stride).squeeze(1)


def conv_mask(mask, kernel, stride, padding):
    if padding == "same":
        return mask[:, ::stride]
    return whole_windows(mask, kernel, stride)


def case(index, name, features, filters, kernel, stride, padding, pool, glob, batch, time, lengths):
    torch.manual_seed(2000 + index)
    weight = torch.randn(filters, features, kernel, dtype=torch.float32) * 0.5
    bias = torch.randn(filters, dtype=torch.float32) * 0.1
    x = torch.randn(batch, time, features, dtype=torch.float32)
    r = torch.randn(batch, filters, dtype=torch.float32)

    w64, b64 = weight.double(), bias.double()
    x64 = x.double().requires_grad_(True)
    mask = None
    if lengths is not None:
        mask = torch.tensor(
            [[1.0 if t < n else 0.0 for t in range(time)] for n in lengths], dtype=torch.float64
        )
    h = x64 * mask.unsqueeze(2) if mask is not None else x64
    h = h.transpose(1, 2)  # [b, features, time]
    if padding == "same":
        h = F.pad(h, same_pad(time, kernel, stride))
    conv = F.relu(F.conv1d(h, w64, b64, stride=stride))  # [b, filters, t']
    if mask is not None:
        mask = conv_mask(mask, kernel, stride, padding)
        conv = conv * mask.unsqueeze(1)
    y = conv
    if pool is not None:
        y = F.max_pool1d(y, pool, pool)
        if mask is not None:
            mask = whole_windows(mask, pool, pool)
            y = y * mask.unsqueeze(1)
    if glob == "max":
        if mask is not None:
            # A row with no real step (shorter than the receptive field) pools to zeros.
            any_real = mask.amax(dim=1, keepdim=True)
            pooled = (y + (mask.unsqueeze(1) - 1.0) * 1e30).amax(dim=2) * any_real
        else:
            pooled = y.amax(dim=2)
    else:
        if mask is not None:
            count = mask.sum(dim=1, keepdim=True).clamp(min=1.0)
            pooled = (y * mask.unsqueeze(1)).sum(dim=2) / count
        else:
            pooled = y.mean(dim=2)
    (pooled * r.double()).sum().backward()
    return {
        "name": name,
        "features": features,
        "filters": filters,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "pool": pool,
        "global": glob,
        "batch": batch,
        "time": time,
        "lengths": lengths,
        "weight": flat(weight),
        "bias": flat(bias),
        "input": flat(x),
        "r": flat(r),
        # [batch, t', filters], kiln's layout.
        "conv": flat(conv.transpose(1, 2)),
        "conv_steps": conv.shape[2],
        "pooled": flat(pooled),
        "input_grad": flat(x64.grad),
    }


def main():
    out = {
        "torch": torch.__version__,
        "cases": [case(i, *c) for i, c in enumerate(CASES)],
    }
    path = os.path.join(os.path.dirname(__file__), "conv1d_reference.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(path + ".tmp", path)
    print(f"wrote {len(CASES)} cases to {path} (torch {torch.__version__})")


if __name__ == "__main__":
    main()
