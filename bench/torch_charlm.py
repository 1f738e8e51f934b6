"""PyTorch half of bench/charlm_vs_torch.py: the char-level LSTM of kiln's shakespeare-char
example, trained on the same windows of the same corpus file.

Windows, exactly as kiln cuts them (crates/kiln/src/lm.rs): the vocabulary is every distinct
character of the corpus, sorted, with ids 1..; id 0 is padding (an output class that never
occurs). The first round(n·(1−holdout)) characters train: windows text[i:i+L] → text[i+L] for
i = 0, step, 2·step, … with i + L inside that part. Every later character is a held-out target
predicted from the L characters before it. Bits per character = mean held-out cross-entropy
/ ln 2.

Model: Embedding(V, dim) → LSTM(units, all steps) → LSTM(units, final state) → Linear(V),
PyTorch's default initialisation; Adam (eps 1e-7 like kiln's default), shuffled batches each
epoch (last partial batch kept). The held-out set is evaluated after every epoch and the best
epoch's figure is reported, as kiln restores its best epoch by the same held-out loss.
Timed: the training part of each epoch (held-out evaluation excluded), as kiln's epoch
`seconds`. Prints one JSON object.
"""

import argparse
import json
import math
import time

import torch


def windows(text, length, step, holdout):
    n = len(text)
    split = int(round(n * (1.0 - holdout)))
    chars = sorted(set(text))
    index = {c: i + 1 for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    starts = torch.arange(0, split - length, step)
    offsets = torch.arange(length)
    x_train = ids[starts[:, None] + offsets[None, :]]
    y_train = ids[starts + length]
    pos = torch.arange(split, n)
    x_held = ids[pos[:, None] - length + offsets[None, :]]
    y_held = ids[pos]
    return len(chars) + 1, x_train, y_train, x_held, y_held


class CharLstm(torch.nn.Module):
    def __init__(self, vocab, dim, units):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, dim)
        self.lstm1 = torch.nn.LSTM(dim, units, batch_first=True)
        self.lstm2 = torch.nn.LSTM(units, units, batch_first=True)
        self.head = torch.nn.Linear(units, vocab)

    def forward(self, x):
        h, _ = self.lstm1(self.embedding(x))
        _, (h_n, _) = self.lstm2(h)
        return self.head(h_n[-1])


def evaluate(model, x, y, batch):
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = model(x[i : i + batch])
            total += torch.nn.functional.cross_entropy(out, y[i : i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i : i + batch]).sum().item()
    model.train()
    return total / len(x), correct / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)
    p.add_argument("--sequence-length", type=int, default=40)
    p.add_argument("--step", type=int, default=3)
    p.add_argument("--holdout", type=float, default=0.1)
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=0.003)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    with open(a.corpus, encoding="utf-8", newline="") as f:
        text = f.read()
    vocab, x_train, y_train, x_held, y_held = windows(text, a.sequence_length, a.step, a.holdout)
    model = CharLstm(vocab, a.dim, a.units)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, eps=1e-7)
    epochs = []
    for epoch in range(a.epochs):
        started = time.perf_counter()
        order = torch.randperm(len(x_train))
        loss_sum = 0.0
        for i in range(0, len(order), a.batch):
            idx = order[i : i + a.batch]
            out = model(x_train[idx])
            loss = torch.nn.functional.cross_entropy(out, y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
        seconds = time.perf_counter() - started
        val_loss, val_acc = evaluate(model, x_held, y_held, 1024)
        epochs.append(
            {
                "epoch": epoch + 1,
                "loss": loss_sum / len(order),
                "seconds": seconds,
                "val_loss": val_loss,
                "val_accuracy": val_acc,
                "bits_per_char": val_loss / math.log(2),
            }
        )
    best = min(epochs, key=lambda e: e["val_loss"])
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "vocab": vocab,
                "train_windows": len(x_train),
                "heldout_chars": len(x_held),
                "params": sum(p.numel() for p in model.parameters()),
                "epochs": epochs,
                "best_epoch": best["epoch"],
                "bits_per_char": best["bits_per_char"],
                "train_seconds": sum(e["seconds"] for e in epochs),
            }
        )
    )


if __name__ == "__main__":
    main()
