"""Reference outputs of PyTorch's nn.LSTM / nn.GRU for kiln-model's recurrent layers.

Run from the repository root with the benchmark venv (bench/setup.sh creates it):

    bench/.venv/bin/python crates/kiln-model/tests/reference/rnn_reference.py

It writes crates/kiln-model/tests/reference/rnn_reference.json, which the Rust test
`recurrent::matches_pytorch` loads: for each case the weights (PyTorch layout), the input, the
output sequence, the final hidden states h_n, and the gradient of loss = sum(output * R) with
respect to the input. Weights and inputs are drawn in float32 (so kiln loads them exactly) and
the reference is computed in float64. Masked cases give per-row lengths; their h_n comes from
pack_padded_sequence, i.e. the state at each row's last real step.
"""

import json
import os

import torch

CASES = [
    # name, cell, input size, units, layers, bidirectional, batch, time, lengths
    ("lstm_1", "lstm", 3, 4, 1, False, 3, 5, None),
    ("lstm_2_layers", "lstm", 3, 4, 2, False, 2, 4, None),
    ("lstm_bidirectional", "lstm", 3, 4, 1, True, 2, 5, None),
    ("lstm_2_layers_bidirectional", "lstm", 2, 3, 2, True, 2, 4, None),
    ("gru_1", "gru", 3, 4, 1, False, 3, 5, None),
    ("gru_2_layers", "gru", 3, 4, 2, False, 2, 4, None),
    ("gru_2_layers_bidirectional", "gru", 2, 3, 2, True, 2, 4, None),
    ("lstm_masked_bidirectional", "lstm", 3, 4, 1, True, 3, 6, [6, 3, 1]),
    ("gru_masked_2_layers", "gru", 3, 4, 2, True, 3, 6, [2, 6, 4]),
]


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(index, name, cell, inputs, units, layers, bidirectional, batch, time, lengths):
    torch.manual_seed(1000 + index)
    cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
    rnn = cls(inputs, units, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    # Weights as float32 values, then the whole computation in float64.
    with torch.no_grad():
        for p in rnn.parameters():
            p.copy_(torch.empty_like(p).uniform_(-0.8, 0.8))
    rnn = rnn.double()
    x = torch.randn(batch, time, inputs, dtype=torch.float32).double().requires_grad_(True)
    r = torch.randn(batch, time, units * (2 if bidirectional else 1), dtype=torch.float32).double()
    dirs = 2 if bidirectional else 1
    weights = []
    for layer in range(layers):
        for d in range(dirs):
            suffix = f"_l{layer}" + ("_reverse" if d == 1 else "")
            weights.append(
                {
                    "weight_ih": flat(getattr(rnn, "weight_ih" + suffix)),
                    "weight_hh": flat(getattr(rnn, "weight_hh" + suffix)),
                    "bias_ih": flat(getattr(rnn, "bias_ih" + suffix)),
                    "bias_hh": flat(getattr(rnn, "bias_hh" + suffix)),
                }
            )
    if lengths is None:
        output, state = rnn(x)
        valid = torch.ones(batch, time, 1, dtype=torch.float64)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        out_packed, state = rnn(packed)
        output, _ = torch.nn.utils.rnn.pad_packed_sequence(
            out_packed, batch_first=True, total_length=time
        )
        valid = (torch.arange(time)[None, :] < torch.tensor(lengths)[:, None]).double()[..., None]
    h_n = state[0] if cell == "lstm" else state
    # Padded positions differ by convention (PyTorch pads with zeros, kiln carries the state):
    # the loss only counts real steps.
    loss = (output * r * valid).sum()
    loss.backward()
    return {
        "name": name,
        "cell": cell,
        "inputs": inputs,
        "units": units,
        "layers": layers,
        "bidirectional": bidirectional,
        "batch": batch,
        "time": time,
        "lengths": lengths,
        "weights": weights,
        "input": flat(x),
        "loss_weights": flat(r),
        "output": flat(output),
        "h_n": flat(h_n),
        "input_grad": flat(x.grad),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = [case(i, *c) for i, c in enumerate(CASES)]
    doc = {
        "generator": "crates/kiln-model/tests/reference/rnn_reference.py",
        "torch": torch.__version__,
        "cases": cases,
    }
    with open(os.path.join(here, "rnn_reference.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
