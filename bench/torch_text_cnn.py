"""PyTorch side of bench/text_cnn_vs_torch.py: the `text-cnn` example's model (MODEL=cnn,
the default) or Keras' text-classification tutorial model (MODEL=avgpool, kiln's
`examples/hello_imdb.rs`), written in PyTorch, trained on the same train/test files.

    bench/.venv/bin/python bench/torch_text_cnn.py TRAIN.jsonl TEST.jsonl

Tokenisation follows kiln's word tokenizer (lowercase, HTML tags removed, apostrophes inside
words dropped, runs of letters and digits), the vocabulary is the 20,000 most frequent training
words (ids 2…, 0 = padding, 1 = out of vocabulary), each review is its first LENGTH ids. The
model: nn.Embedding (U(−0.05, 0.05), Keras' init as in the spec) → dropout 0.2 → Conv1d(64→128,
5, `same`) + relu → max over the real steps → Linear 64 + relu → dropout 0.5 → Linear 1; Adam
1e-3, batch 32, binary cross-entropy. MODEL=avgpool: nn.Embedding(U(−0.05, 0.05)) → dropout
0.2 → mean over the real steps → dropout 0.2 → Linear 1. Prints one JSON line: test accuracy
and training seconds.

Environment: MODEL cnn, VOCAB 20000, LENGTH 400, DIM 64, FILTERS 128, KERNEL 5, HIDDEN 64,
BATCH 32, EPOCHS 3, LR 0.001, SEED 42, TORCH_THREADS 2 (text_cnn_vs_torch.py sets the
avgpool model's VOCAB 10000, LENGTH 250, DIM 16, EPOCHS 10).
"""

import collections
import json
import re
import sys
import time

import torch
import torch.nn as nn

from common import env

VOCAB, LENGTH, DIM = env("VOCAB", 20000), env("LENGTH", 400), env("DIM", 64)
FILTERS, KERNEL, HIDDEN = env("FILTERS", 128), env("KERNEL", 5), env("HIDDEN", 64)
BATCH, EPOCHS, LR, SEED = env("BATCH", 32), env("EPOCHS", 3), env("LR", 0.001), env("SEED", 42)
MODEL = env("MODEL", "cnn")

TAG = re.compile(r"<[^>]*>")
APOSTROPHE = re.compile(r"(?<=[^\W_])['’](?=[^\W_])")
WORD = re.compile(r"[^\W_]+")


def tokens(text):
    text = APOSTROPHE.sub("", TAG.sub(" ", text.lower()))
    return WORD.findall(text)


def read(path):
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    return [tokens(r["text"]) for r in rows], torch.tensor([float(r["label"]) for r in rows])


def encode(docs, vocab):
    x = torch.zeros(len(docs), LENGTH, dtype=torch.long)
    for i, doc in enumerate(docs):
        ids = [vocab.get(w, 1) for w in doc[:LENGTH]]
        if ids:
            x[i, : len(ids)] = torch.tensor(ids)
    return x


class TextCnn(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, DIM)
        nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
        self.drop_in = nn.Dropout(0.2)
        self.conv = nn.Conv1d(DIM, FILTERS, KERNEL, padding="same")
        self.dense = nn.Linear(FILTERS, HIDDEN)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, ids):
        real = (ids != 0).unsqueeze(1)  # [b, 1, t]
        h = self.drop_in(self.embedding(ids)).transpose(1, 2) * real
        h = torch.relu(self.conv(h))
        h = h.masked_fill(~real, float("-inf")).amax(dim=2)
        h = torch.where(torch.isinf(h), torch.zeros_like(h), h)
        return self.head(self.drop(torch.relu(self.dense(h)))).squeeze(1)


class AvgPool(nn.Module):
    """Keras' text-classification tutorial: embedding → dropout → mean over real words →
    dropout → one logit."""

    def __init__(self, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, DIM)
        nn.init.uniform_(self.embedding.weight, -0.05, 0.05)
        self.drop_in = nn.Dropout(0.2)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(DIM, 1)

    def forward(self, ids):
        real = (ids != 0).unsqueeze(2).float()  # [b, t, 1]
        h = self.drop_in(self.embedding(ids)) * real
        h = h.sum(dim=1) / real.sum(dim=1).clamp(min=1.0)
        return self.head(self.drop(h)).squeeze(1)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(env("TORCH_THREADS", 2))
    train_docs, y_train = read(sys.argv[1])
    test_docs, y_test = read(sys.argv[2])
    counts = collections.Counter(w for d in train_docs for w in d)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:VOCAB]
    vocab = {w: i + 2 for i, (w, _) in enumerate(ranked)}
    x_train, x_test = encode(train_docs, vocab), encode(test_docs, vocab)
    model = {"cnn": TextCnn, "avgpool": AvgPool}[MODEL](len(vocab) + 2)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.BCEWithLogitsLoss()
    seconds = []
    for epoch in range(EPOCHS):
        model.train()
        started = time.perf_counter()
        order = torch.randperm(len(y_train))
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        seconds.append(time.perf_counter() - started)
        print(f"[torch] epoch {epoch + 1}: {seconds[-1]:.1f}s", file=sys.stderr, flush=True)
    model.eval()
    with torch.no_grad():
        right = sum(
            ((model(x_test[b : b + 256]) > 0).float() == y_test[b : b + 256]).sum().item()
            for b in range(0, len(y_test), 256)
        )
    print(json.dumps({"test_accuracy": right / len(y_test), "train_seconds": sum(seconds),
                      "epoch_seconds": seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
