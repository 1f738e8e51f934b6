"""Logs the peer model for bench/serve_bench.py: the same architecture as kiln's `mnist-mlp`
example (784 → Dense(128, relu) → Dense(10, softmax)) as a scikit-learn MLPClassifier saved
with `mlflow.sklearn.save_model`, served by `mlflow models serve --env-manager local`.

Serving cost does not depend on the weights' values, so the model is fitted for a few
iterations on random pixels (no dataset download); its shapes are what matter.

Usage: python mlflow_mnist.py OUT_DIR
"""

import shutil
import sys
import warnings

import mlflow.sklearn
import numpy as np
from mlflow.models import infer_signature
from sklearn.neural_network import MLPClassifier

out = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.integers(0, 256, size=(2000, 784)).astype(np.float64) / 255.0
y = rng.integers(0, 10, size=2000)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = MLPClassifier(hidden_layer_sizes=(128,), activation="relu", max_iter=3, random_state=0).fit(x, y)
shutil.rmtree(out, ignore_errors=True)
mlflow.sklearn.save_model(
    model,
    out,
    signature=infer_signature(x[:2], model.predict(x[:2])),
    serialization_format="cloudpickle",
)
print(out)
