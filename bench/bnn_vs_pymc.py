"""kiln vs PyMC: the Bayesian neural network of the PyMC "Bayesian Deep Learning" seed
(Wiecki), fitted by 50,000 iterations of full-batch ADVI on the same moons split.

Run through bench/bnn_vs_pymc.sh, which creates the PyMC venv and builds kiln first.

1. Makes the data once (scikit-learn's make_moons definition with numpy: 1000 points,
   noise 0.2, seed 0; standardised like the seed's `scale(X)`; a seeded 50/50 split) and
   writes bench/out/bnn/{train,test}.csv. Both sides read these files, so the data is
   identical; kiln's spec uses `transform = "none"` because the columns are already scaled.
2. PyMC: the seed's model (2 → 5 tanh → 5 tanh → 1 sigmoid, no biases, N(0, 1) priors,
   random initial values), `pm.fit(50_000, method="advi")` with PyMC's defaults
   (adagrad_window, one MC sample). Timed: the `pm.fit` call (graph compilation included,
   as a user waits for it; PyTensor's compile cache is warm after the first run). Accuracy:
   posterior predictive mean probability over 1,000 draws of the approximation, > 0.5.
3. kiln: `kiln train SPEC --json`; the fit time is the ADVI loop's own `fit_seconds` from
   the model file header (data preparation and evaluation excluded, like PyMC's fit call
   which excludes model construction), accuracy the test accuracy it reports (posterior
   predictive mean of 100 draws, > 0.5).

Environment: RUNS (default 3) fits per side with seeds 0, 1, …, medians reported;
KILN_RUNS / PYMC_RUNS override RUNS for one side (PYMC_RUNS=0 measures kiln alone);
ITERATIONS (default 50000); KILN (path of the kiln binary, default
$CARGO_TARGET_DIR/release/kiln, target/release/kiln without it);
KILN_INIT_SIGMA (kiln's `training.advi.init_sigma`, default kiln's 0.1) and
PYMC_START_SIGMA (PyMC's `start_sigma` for every weight, default PyMC's softplus(0) ≈ 0.69)
to compare the two starts on both sides; KILN_BATCH (kiln's minibatch size, default full
batch). Accuracy varies with the seed (a poor start ends in
a near-linear local optimum of the ELBO, 86 %), so each seed's figure is printed too.
"""

import json
import os
import statistics
import sys
import time

import numpy as np

import common
from common import env, first_event, kiln_binary, kiln_train, print_table

OUT = str(common.OUT / "bnn")
RUNS = env("RUNS", 3)
KILN_RUNS = env("KILN_RUNS", RUNS)
PYMC_RUNS = env("PYMC_RUNS", RUNS)
KILN_INIT_SIGMA = os.environ.get("KILN_INIT_SIGMA")
KILN_BATCH = os.environ.get("KILN_BATCH")
PYMC_START_SIGMA = os.environ.get("PYMC_START_SIGMA")
ITERATIONS = env("ITERATIONS", 50000)
KILN = kiln_binary()


def make_moons(n=1000, noise=0.2, seed=0):
    """scikit-learn's make_moons (shuffle=True) reimplemented with numpy."""
    rng = np.random.RandomState(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    X = np.vstack(
        [
            np.append(np.cos(outer), 1 - np.cos(inner)),
            np.append(np.sin(outer), 1 - np.sin(inner) - 0.5),
        ]
    ).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    idx = rng.permutation(n)
    X, y = X[idx], y[idx]
    X += rng.normal(scale=noise, size=X.shape)
    return X, y


def write_data():
    X, y = make_moons()
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # sklearn.preprocessing.scale
    rng = np.random.RandomState(1)
    idx = rng.permutation(len(y))
    train, test = idx[:500], idx[500:]
    os.makedirs(OUT, exist_ok=True)
    for name, rows in (("train", train), ("test", test)):
        with open(os.path.join(OUT, f"{name}.csv"), "w") as f:
            f.write("x0,x1,label\n")
            for i in rows:
                f.write(f"{float(X[i, 0])!r},{float(X[i, 1])!r},{int(y[i])}\n")
    return X[train], y[train], X[test], y[test]


SPEC = """
name = "bnn-moons-bench"

[data]
source = "train.csv"
test = "test.csv"

[data.split]
test = 0.0
validation = 0.0

[[input]]
name = "x0"
type = "number"
transform = "none"

[[input]]
name = "x1"
type = "number"
transform = "none"

[output]
name = "label"
type = "binary"

[[layers]]
type = "dense"
units = 5
activation = "tanh"
bias = false
bayesian = {{ prior_sigma = 1.0 }}

[[layers]]
type = "dense"
units = 5
activation = "tanh"
bias = false
bayesian = {{ prior_sigma = 1.0 }}

[training]
method = "advi"
seed = {seed}

[training.advi]
iterations = {iterations}
{extra}"""


def run_kiln(seed):
    spec = os.path.join(OUT, f"kiln-{seed}.toml")
    with open(spec, "w") as f:
        extra = f"init_sigma = {float(KILN_INIT_SIGMA)!r}\n" if KILN_INIT_SIGMA else ""
        if KILN_BATCH:
            extra += f"batch_size = {int(KILN_BATCH)}\n"
        f.write(SPEC.format(seed=seed, iterations=ITERATIONS, extra=extra))
    out = os.path.join(OUT, f"kiln-{seed}.kiln")
    events = kiln_train(KILN, spec, out)
    acc = first_event(events, "evaluated", split="test")["metrics"]["accuracy"]
    fit = first_event(events, "done")["advi"]["fit_seconds"]
    return acc, fit


def run_pymc(seed, X_train, y_train, X_test, y_test):
    import pymc as pm
    import pytensor

    floatX = pytensor.config.floatX
    rng = np.random.default_rng(seed)
    n_hidden = 5
    init_1 = rng.standard_normal(size=(2, n_hidden)).astype(floatX)
    init_2 = rng.standard_normal(size=(n_hidden, n_hidden)).astype(floatX)
    init_out = rng.standard_normal(size=n_hidden).astype(floatX)
    with pm.Model() as model:
        ann_input = pm.Data("ann_input", X_train.astype(floatX))
        ann_output = pm.Data("ann_output", y_train)
        w1 = pm.Normal("w_in_1", 0, sigma=1, shape=(2, n_hidden), initval=init_1)
        w2 = pm.Normal("w_1_2", 0, sigma=1, shape=(n_hidden, n_hidden), initval=init_2)
        w3 = pm.Normal("w_2_out", 0, sigma=1, shape=(n_hidden,), initval=init_out)
        act_1 = pm.math.tanh(pm.math.dot(ann_input, w1))
        act_2 = pm.math.tanh(pm.math.dot(act_1, w2))
        act_out = pm.math.sigmoid(pm.math.dot(act_2, w3))
        pm.Bernoulli("out", act_out, observed=ann_output, total_size=y_train.shape[0])
        start_sigma = None
        if PYMC_START_SIGMA:
            # A scalar fills each variable's slice of PyMC's flat rho.
            sd = float(PYMC_START_SIGMA)
            start_sigma = {"w_in_1": sd, "w_1_2": sd, "w_2_out": sd}
        start = time.perf_counter()
        approx = pm.fit(
            n=ITERATIONS,
            method=pm.ADVI(random_seed=seed, start_sigma=start_sigma),
            progressbar=False,
        )
        fit = time.perf_counter() - start
    draws = approx.sample(draws=1000, random_seed=seed).posterior
    W1 = draws["w_in_1"].values.reshape(-1, 2, n_hidden)
    W2 = draws["w_1_2"].values.reshape(-1, n_hidden, n_hidden)
    W3 = draws["w_2_out"].values.reshape(-1, n_hidden)
    h1 = np.tanh(np.einsum("nd,sdh->snh", X_test, W1))
    h2 = np.tanh(np.einsum("snh,shk->snk", h1, W2))
    p = 1.0 / (1.0 + np.exp(-np.einsum("snk,sk->sn", h2, W3)))
    acc = float(((p.mean(axis=0) > 0.5) == (y_test == 1)).mean())
    return acc, fit


def summary(runs):
    """Median fit time and accuracy of a side's runs (None when it did not run)."""
    if not runs:
        return None, None
    return (
        statistics.median(x["fit_seconds"] for x in runs),
        statistics.median(x["accuracy"] for x in runs),
    )


def main():
    X_train, y_train, X_test, y_test = write_data()
    print(f"data: {len(y_train)} train / {len(y_test)} test rows in {OUT}", flush=True)
    results = {"kiln": [], "pymc": []}
    for r in range(KILN_RUNS):
        acc, fit = run_kiln(r)
        results["kiln"].append({"seed": r, "accuracy": acc, "fit_seconds": fit})
        print(f"kiln seed {r}: accuracy {acc:.4f}, fit {fit:.3f} s", flush=True)
    for r in range(PYMC_RUNS):
        acc, fit = run_pymc(r, X_train, y_train, X_test, y_test)
        results["pymc"].append({"seed": r, "accuracy": acc, "fit_seconds": fit})
        print(f"pymc seed {r}: accuracy {acc:.4f}, fit {fit:.2f} s", flush=True)
    med = {}
    acc = {}
    for side, runs in results.items():
        med[side], acc[side] = summary(runs)
    print()
    batch = f"kiln batch {KILN_BATCH}" if KILN_BATCH else "full batch"
    print(f"{ITERATIONS} ADVI iterations, {batch}; medians over seeds 0, 1, ...")
    rows = []
    for side, name in (("kiln", "kiln"), ("pymc", "PyMC")):
        runs = results[side]
        if not runs:
            continue
        good = sum(x["accuracy"] >= 0.95 for x in runs)
        seeds = " ".join(f"{x['accuracy']:.3f}" for x in runs)
        rows.append(
            [name, str(len(runs)), f"{acc[side]:.4f}", f"{med[side]:.3f}", f"{good}/{len(runs)}", seeds]
        )
    print_table(["", "runs", "accuracy", "fit (s)", ">= 0.95", "per seed"], rows, right=(1, 2, 3, 4))
    version = None
    if results["pymc"]:
        import pymc

        version = pymc.__version__
        print(f"(pymc {version})")
    ratio = None
    if med["kiln"] and med["pymc"]:
        ratio = med["pymc"] / med["kiln"]
        print(f"ratio: kiln is {ratio:.1f}x faster")
    results.update(
        {
            "iterations": ITERATIONS,
            "median_fit_seconds": med,
            "median_accuracy": acc,
            "ratio": ratio,
            "pymc_version": version,
            "kiln_init_sigma": KILN_INIT_SIGMA,
            "pymc_start_sigma": PYMC_START_SIGMA,
        }
    )
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=2)

if __name__ == "__main__":
    sys.exit(main())
