"""Real clients against a live `kiln serve`: MLflow's documented request bodies sent with
`requests`, and KServe v2 inference through `tritonclient.http`. Every answer must equal
`kiln predict` on the same rows (the expected JSON lines file).

Usage: test_clients.py URL MODEL ROWS.csv EXPECTED.jsonl TOKEN
"""

import csv
import json
import sys

import numpy as np
import requests
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

URL, MODEL, ROWS, EXPECTED, TOKEN = sys.argv[1:6]
AUTH = {"Authorization": f"Bearer {TOKEN}"}

with open(ROWS) as f:
    reader = csv.reader(f)
    COLUMNS = next(reader)
    DATA = [[float(v) for v in row] for row in reader]
with open(EXPECTED) as f:
    WANT = [json.loads(line) for line in f if line.strip()]
assert len(WANT) == len(DATA) > 0

checks = 0


def same(got, want, what):
    global checks
    assert len(got) == len(want), f"{what}: {len(got)} rows, expected {len(want)}"
    for g, w in zip(got, want):
        assert g["label"] == w["label"], f"{what}: {g} vs {w}"
        for k, p in w["probabilities"].items():
            assert abs(g["probabilities"][k] - p) < 1e-6, f"{what}: {g} vs {w}"
    checks += 1


def post(body, content_type="application/json"):
    r = requests.post(
        f"{URL}/invocations",
        data=body if isinstance(body, str) else json.dumps(body),
        headers={"Content-Type": content_type, **AUTH},
        timeout=10,
    )
    assert r.status_code == 200, f"{r.status_code}: {r.text}"
    assert r.headers.get("x-request-id"), "no request id"
    return r.json()["predictions"]


# --- MLflow scoring protocol: the bodies from MLflow's "Deploy MLflow models" docs, with this
# model's columns.
records = [dict(zip(COLUMNS, row)) for row in DATA]
same(post({"dataframe_split": {"columns": COLUMNS, "data": DATA}}), WANT, "dataframe_split")
same(post({"dataframe_records": records}), WANT, "dataframe_records")
same(post({"instances": records}), WANT, "instances (records)")
same(post({"inputs": {c: [row[i] for row in DATA] for i, c in enumerate(COLUMNS)}}), WANT, "inputs (columns)")
same(post({"instances": DATA}), WANT, "instances (tensor)")
csv_body = ",".join(COLUMNS) + "\n" + "\n".join(",".join(repr(v) for v in row) for row in DATA)
same(post(csv_body, "text/csv"), WANT, "text/csv")
r = requests.get(f"{URL}/ping", timeout=10)
assert r.status_code == 200
r = requests.post(f"{URL}/invocations", json={"instances": DATA}, timeout=10)
assert r.status_code == 401, f"no token: {r.status_code}"
r = requests.post(f"{URL}/invocations", json={"dataframe_records": [{"x0": "a"}]}, headers=AUTH, timeout=10)
assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", r.text
checks += 2

# --- Monitoring: each answered row has a prediction id; sending the true labels back gives the
# live accuracy, which must equal the accuracy of the same predictions computed here.
answers = post({"dataframe_split": {"columns": COLUMNS, "data": DATA}})
ids = [a["prediction_id"] for a in answers]
truths = [w["label"] for w in reversed(WANT)]  # some right, some wrong
r = requests.post(f"{URL}/feedback", json={"model": MODEL, "ids": ids, "truths": truths}, headers=AUTH, timeout=10)
assert r.status_code == 200 and r.json() == {"matched": len(ids), "unknown": 0}, r.text
status = requests.get(f"{URL}/monitor", params={"model": MODEL}, headers=AUTH, timeout=10).json()
perf = status["models"][0]["windows"][0]["performance"]
expected = sum(a["label"] == t for a, t in zip(answers, truths)) / len(ids)
assert perf["labelled"] == len(ids) and abs(perf["live"] - expected) < 1e-12, (perf, expected)
checks += 1

# --- KServe v2 through the Triton HTTP client (binary tensors by default, and JSON).
client = triton.InferenceServerClient(url=URL.removeprefix("http://"))
# tritonclient writes Inference-Header-Content-Length into the headers dict it is given, so
# every call gets a fresh copy (a reused dict would send a stale length with a JSON body).
assert client.is_server_live()
assert client.is_server_ready()
assert client.is_model_ready(MODEL, headers=dict(AUTH))
meta = client.get_model_metadata(MODEL, headers=dict(AUTH))
assert [i["name"] for i in meta["inputs"]] == COLUMNS, meta
x = np.array(DATA, dtype=np.float64)
for binary in (True, False):
    inputs = []
    for i, name in enumerate(COLUMNS):
        t = triton.InferInput(name, [len(DATA), 1], "FP64")
        t.set_data_from_numpy(x[:, i : i + 1].copy(), binary_data=binary)
        inputs.append(t)
    outputs = None if binary else [
        triton.InferRequestedOutput("label", binary_data=False),
        triton.InferRequestedOutput("probabilities", binary_data=False),
    ]
    result = client.infer(MODEL, inputs, outputs=outputs, headers=dict(AUTH), request_id="tc-1")
    labels = [l.decode() if isinstance(l, bytes) else str(l) for l in result.as_numpy("label").reshape(-1)]
    probs = result.as_numpy("probabilities")
    keys = result.get_output("probabilities")["parameters"]["keys"]
    got = [
        {"label": labels[r], "probabilities": {k: float(probs[r, j]) for j, k in enumerate(keys)}}
        for r in range(len(DATA))
    ]
    same(got, WANT, f"tritonclient infer (binary={binary})")
    assert result.get_response()["id"] == "tc-1"

# A malformed tensor is a client error the Triton client reports, not a server failure.
bad = triton.InferInput("x0", [1, 3], "FP64")
bad.set_data_from_numpy(np.zeros((1, 3)), binary_data=False)
try:
    client.infer(MODEL, [bad], headers=dict(AUTH))
    raise AssertionError("a malformed tensor was accepted")
except InferenceServerException as e:
    assert "x0" in str(e), e
checks += 1

print(f"python clients: {checks} checks passed (requests {requests.__version__}, tritonclient, numpy {np.__version__})")
