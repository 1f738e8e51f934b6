"""The real MLflow client (mlflow-skinny, pinned in setup.sh) against a live tracking server.

Every value logged through the client is read back through the client and compared exactly:
params, metric histories (steps, timestamps, NaN and ±Inf), tags, dataset inputs, artifact
bytes, run search (filter, order, paging), the model registry (versions from a run, aliases).
Then the error cases a client relies on (error codes), and artifact path traversal at the HTTP
level. One line per check; exits non-zero at the first failure.

Usage: test_mlflow_client.py URL [STORE_DIR] [--mlflow-reference]

With STORE_DIR (the server's store folder), the traversal checks also look for the files they
tried to write outside it, in the folder that holds it. `--mlflow-reference` runs the same
checks against MLflow's own server (`mlflow server`, SQL store), allowing its one known
difference: it stores +Inf/-Inf metric values as ±1.7976931348623157e308, where kiln keeps them.
"""

import http.client
import math
import os
import sys
import tempfile
import time
import urllib.parse
import uuid

# Fail fast: the client retries 5xx answers with backoff, which would hide a server error
# behind minutes of retries.
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")

import mlflow  # noqa: E402
import requests  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import (  # noqa: E402
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    RunStatus,
    RunTag,
)
from mlflow.exceptions import MlflowException  # noqa: E402

REFERENCE = "--mlflow-reference" in sys.argv
ARGS = [a for a in sys.argv[1:] if a != "--mlflow-reference"]
URL = ARGS[0].rstrip("/")
STORE = ARGS[1] if len(ARGS) > 1 else None
# MLflow's SQL store clamps infinities to the largest finite double.
INF = 1.7976931348623157e308 if REFERENCE else float("inf")
TAG = uuid.uuid4().hex[:8]  # so the test can run twice against one store

checks = 0


def ok(name, cond, detail=""):
    global checks
    if not cond:
        print(f"FAIL {name}: {detail}", flush=True)
        sys.exit(1)
    checks += 1
    print(f"ok   {name}", flush=True)


def same_float(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def error_code(fn):
    """Calls fn; returns the MlflowException's error code, or None when it succeeded."""
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    return None


mlflow.set_tracking_uri(URL)
client = MlflowClient()

# --- Experiments ------------------------------------------------------------------------------
exp_name = f"kiln-tracking-{TAG}"
experiment = mlflow.set_experiment(exp_name)
ok("set_experiment creates the experiment", experiment.name == exp_name, experiment)
exp_id = experiment.experiment_id
ok(
    "experiment reads back by id and by name",
    client.get_experiment(exp_id).name == exp_name
    and client.get_experiment_by_name(exp_name).experiment_id == exp_id,
)
ok("experiment is active", client.get_experiment(exp_id).lifecycle_stage == "active")
ok(
    "experiment artifact location is proxied",
    experiment.artifact_location.startswith("mlflow-artifacts:"),
    experiment.artifact_location,
)
ok(
    "creating an existing experiment name: RESOURCE_ALREADY_EXISTS",
    error_code(lambda: client.create_experiment(exp_name)) == "RESOURCE_ALREADY_EXISTS",
)
ok("unknown experiment name reads as None", client.get_experiment_by_name(f"nope-{TAG}") is None)
client.set_experiment_tag(exp_id, "team", "kiln")
ok("experiment tag", client.get_experiment(exp_id).tags.get("team") == "kiln")
found = client.search_experiments(filter_string=f"name = '{exp_name}'")
ok("search_experiments by name", [e.experiment_id for e in found] == [exp_id], found)

# --- One run through the fluent API -----------------------------------------------------------
BINARY = bytes(range(256)) * 17
work = tempfile.mkdtemp(prefix="kiln-tracking-client-")
with open(os.path.join(work, "notes.txt"), "w", encoding="utf-8") as f:
    f.write("héllo, kiln\n")
tree = os.path.join(work, "tree")
os.makedirs(os.path.join(tree, "sub"))
with open(os.path.join(tree, "blob.bin"), "wb") as f:
    f.write(BINARY)
with open(os.path.join(tree, "sub", "deep.json"), "w") as f:
    f.write('{"deep": true}')
empty = os.path.join(work, "empty.txt")
open(empty, "w").close()
model_dir = os.path.join(work, "model")
os.makedirs(model_dir)
with open(os.path.join(model_dir, "MLmodel"), "w") as f:
    f.write("artifact_path: model\nflavors: {}\n")
with open(os.path.join(model_dir, "weights.bin"), "wb") as f:
    f.write(BINARY[:1000])

T0 = 1_700_000_000_000
loss = [(0.9, 0), (0.5, 1), (0.25, 2), (0.125, 3)]
with mlflow.start_run(run_name="first") as active:
    run_id = active.info.run_id
    mlflow.log_param("lr", "0.01")
    mlflow.log_params({"epochs": 4, "optimizer": "adam", "unicode": "ünï ✓"})
    for value, step in loss:
        mlflow.log_metric("loss", value, step=step, timestamp=T0 + step)
    mlflow.log_metrics({"acc": 0.75, "f1": 0.5}, step=7)
    client.log_metric(run_id, "odd", float("nan"), timestamp=T0, step=0)
    client.log_metric(run_id, "odd", float("inf"), timestamp=T0 + 1, step=1)
    client.log_metric(run_id, "odd", float("-inf"), timestamp=T0 + 2, step=2)
    # Two values at one step, different timestamps: both are history.
    client.log_metric(run_id, "twice", 1.0, timestamp=T0 + 10, step=5)
    client.log_metric(run_id, "twice", 2.0, timestamp=T0 + 20, step=5)
    client.log_metric(run_id, "big_step", 3.5, timestamp=T0, step=2**40)
    mlflow.set_tag("stage", "dev")
    mlflow.set_tags({"owner": "kiln", "empty": ""})
    client.log_batch(
        run_id,
        metrics=[Metric("batch_m", float(i), T0 + i, i) for i in range(3)],
        params=[Param("batch_p", "x")],
        tags=[RunTag("batch_t", "y")],
    )
    source = f"https://example.invalid/moons-{TAG}.csv"
    dataset = Dataset(
        name="moons",
        digest="abc123",
        source_type="http",
        source=f'{{"url": "{source}"}}',
        schema='{"mlflow_colspec": [{"type": "double", "name": "x0"}]}',
        profile='{"num_rows": 200}',
    )
    client.log_inputs(
        run_id, [DatasetInput(dataset, tags=[InputTag("mlflow.data.context", "training")])]
    )
    mlflow.log_artifact(os.path.join(work, "notes.txt"))
    mlflow.log_artifact(empty, artifact_path="misc")
    mlflow.log_artifacts(tree, artifact_path="tree")
    mlflow.log_artifacts(model_dir, artifact_path="model")
    ok(
        "run is RUNNING while active",
        client.get_run(run_id).info.status == "RUNNING",
        client.get_run(run_id).info,
    )

run = client.get_run(run_id)
ok("end_run finishes the run", run.info.status == "FINISHED", run.info.status)
ok("end time is set", run.info.end_time is not None and run.info.end_time >= run.info.start_time)
ok("run name", run.info.run_name == "first", run.info.run_name)
ok("run belongs to the experiment", run.info.experiment_id == exp_id)
ok(
    "run artifact uri is proxied",
    run.info.artifact_uri.startswith("mlflow-artifacts:") and run_id in run.info.artifact_uri,
    run.info.artifact_uri,
)
ok(
    "params read back",
    run.data.params
    == {
        "lr": "0.01",
        "epochs": "4",
        "optimizer": "adam",
        "unicode": "ünï ✓",
        "batch_p": "x",
    },
    run.data.params,
)
latest = run.data.metrics
ok("latest loss is the last step's", latest.get("loss") == 0.125, latest)
ok("latest of NaN/+Inf/-Inf is -Inf", latest.get("odd") == -INF, latest)
ok("latest at a repeated step is the later timestamp", latest.get("twice") == 2.0, latest)
ok("metrics from log_metrics and log_batch", latest.get("acc") == 0.75 and latest.get("batch_m") == 2.0)
for key, want in {"stage": "dev", "owner": "kiln", "empty": "", "batch_t": "y"}.items():
    ok(f"tag {key} reads back", run.data.tags.get(key) == want, run.data.tags.get(key))
ok("mlflow.runName tag", run.data.tags.get("mlflow.runName") == "first", run.data.tags)


def history(key):
    got = client.get_metric_history(run_id, key)
    return sorted(((m.step, m.timestamp, m.value) for m in got), key=lambda t: (t[0], t[1]))


ok(
    "loss history: values, steps, timestamps",
    history("loss") == [(s, T0 + s, v) for v, s in loss],
    history("loss"),
)
odd = history("odd")
ok(
    "NaN, +Inf, -Inf survive the round trip",
    len(odd) == 3
    and math.isnan(odd[0][2])
    and odd[1][2] == INF
    and odd[2][2] == -INF
    and [(s, t) for s, t, _ in odd] == [(0, T0), (1, T0 + 1), (2, T0 + 2)],
    odd,
)
ok(
    "two values at one step both kept",
    history("twice") == [(5, T0 + 10, 1.0), (5, T0 + 20, 2.0)],
    history("twice"),
)
ok("int64 step beyond 2^32", history("big_step") == [(2**40, T0, 3.5)], history("big_step"))
ok("unknown metric has empty history", client.get_metric_history(run_id, "nope") == [])

inputs = run.inputs.dataset_inputs
ok("one dataset input", len(inputs) == 1, inputs)
ds = inputs[0].dataset
ok(
    "dataset fields read back",
    (ds.name, ds.digest, ds.source_type, ds.source, ds.schema, ds.profile)
    == (
        dataset.name,
        dataset.digest,
        dataset.source_type,
        dataset.source,
        dataset.schema,
        dataset.profile,
    ),
    ds,
)
ok(
    "dataset input tag",
    [(t.key, t.value) for t in inputs[0].tags] == [("mlflow.data.context", "training")],
    inputs[0].tags,
)

# --- Artifacts --------------------------------------------------------------------------------
top = {(f.path, f.is_dir) for f in client.list_artifacts(run_id)}
ok(
    "top-level artifact listing",
    top == {("notes.txt", False), ("misc", True), ("tree", True), ("model", True)},
    top,
)
listed = {(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, "tree")}
ok(
    "nested listing with sizes",
    listed == {("tree/blob.bin", False, len(BINARY)), ("tree/sub", True, None)},
    listed,
)
down = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree", dst_path=work + "/d")
with open(os.path.join(down, "blob.bin"), "rb") as f:
    ok("binary artifact bytes identical", f.read() == BINARY)
with open(os.path.join(down, "sub", "deep.json")) as f:
    ok("nested artifact bytes identical", f.read() == '{"deep": true}')
text = mlflow.artifacts.load_text(f"runs:/{run_id}/notes.txt")
ok("text artifact identical", text == "héllo, kiln\n", repr(text))
got = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="misc/empty.txt", dst_path=work + "/e")
ok("empty artifact", os.path.getsize(got) == 0)

# --- Limits and errors ------------------------------------------------------------------------
ok(
    "re-logging a param with the same value is accepted",
    error_code(lambda: client.log_param(run_id, "lr", "0.01")) is None,
)
ok(
    "re-logging a param with a new value: INVALID_PARAMETER_VALUE",
    error_code(lambda: client.log_param(run_id, "lr", "0.02")) == "INVALID_PARAMETER_VALUE",
)
ok("the param kept its first value", client.get_run(run_id).data.params["lr"] == "0.01")
ok(
    "unknown run: RESOURCE_DOES_NOT_EXIST",
    error_code(lambda: client.get_run("0" * 32)) == "RESOURCE_DOES_NOT_EXIST",
)
ok(
    "logging to an unknown run: RESOURCE_DOES_NOT_EXIST",
    error_code(lambda: client.log_param("f" * 32, "k", "v")) == "RESOURCE_DOES_NOT_EXIST",
)
ok(
    "unknown experiment id: RESOURCE_DOES_NOT_EXIST",
    error_code(lambda: client.get_experiment("987654321")) == "RESOURCE_DOES_NOT_EXIST",
)

# MlflowClient.log_batch splits big batches itself (1000 metrics, 100 params/tags per request);
# the tracking store underneath sends one request, which must be refused over the limits.
limits_run = client.create_run(exp_id, run_name="limits").info.run_id
many = [Metric("m", float(i), T0 + i, i) for i in range(1001)]
client.log_batch(limits_run, metrics=many)
ok("1001 metrics through MlflowClient.log_batch (split by the client)", len(client.get_metric_history(limits_run, "m")) == 1001)
store = client._tracking_client.store
ok(
    "one request with 1001 metrics: INVALID_PARAMETER_VALUE",
    error_code(lambda: store.log_batch(limits_run, metrics=many, params=[], tags=[]))
    == "INVALID_PARAMETER_VALUE",
)
ok(
    "one request with 101 params: INVALID_PARAMETER_VALUE",
    error_code(
        lambda: store.log_batch(
            limits_run, metrics=[], params=[Param(f"p{i}", "v") for i in range(101)], tags=[]
        )
    )
    == "INVALID_PARAMETER_VALUE",
)
ok(
    "a refused batch logs nothing",
    client.get_run(limits_run).data.params == {} and len(client.get_metric_history(limits_run, "m")) == 1001,
)
if REFERENCE:
    # MLflow's server truncates to 6000 characters by default (MLFLOW_TRUNCATE_LONG_VALUES).
    store.log_param(limits_run, Param("long", "x" * 6001))
    ok("a param value over 6000 characters is truncated", client.get_run(limits_run).data.params["long"] == "x" * 6000)
else:
    # kiln refuses it, as MLflow does with MLFLOW_TRUNCATE_LONG_VALUES=false: a value never
    # changes silently.
    ok(
        "a param value over 6000 characters: INVALID_PARAMETER_VALUE",
        error_code(lambda: store.log_param(limits_run, Param("long", "x" * 6001)))
        == "INVALID_PARAMETER_VALUE",
    )
ok(
    "a batch re-logging a param with a new value: INVALID_PARAMETER_VALUE",
    error_code(lambda: client.log_batch(run_id, params=[Param("lr", "9")])) == "INVALID_PARAMETER_VALUE",
)
client.set_terminated(limits_run, status="KILLED")
ok("set_terminated with a status", client.get_run(limits_run).info.status == "KILLED")

# --- Search -----------------------------------------------------------------------------------
search_exp = client.create_experiment(f"kiln-search-{TAG}")
made = []
for i in range(7):
    r = client.create_run(search_exp, run_name=f"r{i}", tags={"group": "even" if i % 2 == 0 else "odd"})
    client.log_param(r.info.run_id, "idx", str(i))
    client.log_metric(r.info.run_id, "score", i / 10, timestamp=T0, step=0)
    if i != 5:
        client.set_terminated(r.info.run_id)
    made.append(r.info.run_id)


def search_all(filter_string, order_by, page):
    ids, token, pages = [], None, 0
    while True:
        got = client.search_runs(
            [search_exp], filter_string, max_results=page, order_by=order_by, page_token=token
        )
        ids += [r.info.run_id for r in got]
        pages += 1
        token = got.token
        if not token:
            return ids, pages


ids, pages = search_all("metrics.score > 0.15 and tags.group = 'even'", ["metrics.score DESC"], 1)
ok("filter + order_by + paging across pages", ids == [made[6], made[4], made[2]] and pages >= 3, (ids, pages))
ids, pages = search_all("", ["params.idx ASC"], 2)
ok("all runs, ordered by a param, 2 per page", ids == made and pages == 4, (ids, pages))
ids, _ = search_all("attributes.status = 'RUNNING'", [], 10)
ok("filter on run status", ids == [made[5]], ids)
ids, _ = search_all("params.idx = '3'", [], 10)
ok("filter on a param", ids == [made[3]], ids)
ids, _ = search_all("metrics.score <= 0.1", ["metrics.score ASC"], 10)
ok("filter <= on a metric", ids == [made[0], made[1]], ids)
got = client.search_runs([search_exp], "metrics.score > 0.55")
ok("search returns full runs", len(got) == 1 and got[0].data.params == {"idx": "6"}, got)

client.delete_run(made[0])
from mlflow.entities import ViewType  # noqa: E402

deleted = client.search_runs([search_exp], run_view_type=ViewType.DELETED_ONLY)
ok("a deleted run is found only among deleted ones", [r.info.run_id for r in deleted] == [made[0]], deleted)
active = client.search_runs([search_exp], max_results=50)
ok("and not among active ones", made[0] not in [r.info.run_id for r in active])
ok("its lifecycle stage", client.get_run(made[0]).info.lifecycle_stage == "deleted")
ok(
    "logging to a deleted run: INVALID_PARAMETER_VALUE",
    error_code(lambda: client.log_param(made[0], "late", "x")) == "INVALID_PARAMETER_VALUE",
)
client.restore_run(made[0])
ok("restored", client.get_run(made[0]).info.lifecycle_stage == "active")
client.log_metric(run_id, "after_end", 1.0, timestamp=T0, step=0)
ok(
    "logging to a finished run is accepted",
    [m.value for m in client.get_metric_history(run_id, "after_end")] == [1.0],
)
default_run = client.create_run("0", run_name="in-default")
ok("a run in the Default experiment", default_run.info.experiment_id == "0")
ok("the Default experiment", client.get_experiment("0").name == "Default")

# --- Model registry ---------------------------------------------------------------------------
model = f"kiln-model-{TAG}"
v1 = mlflow.register_model(f"runs:/{run_id}/model", model)
ok("register_model from a run gives version 1", str(v1.version) == "1", v1)
v2 = mlflow.register_model(f"runs:/{run_id}/model", model)
ok("registering again gives version 2", str(v2.version) == "2", v2)
mv = client.get_model_version(model, "1")
ok("version's run id", mv.run_id == run_id, mv)
ok("version's source is the run's model folder", mv.source.endswith(f"{run_id}/artifacts/model"), mv.source)
ok("version is READY", mv.status == "READY", mv.status)
ok("registered model reads back", client.get_registered_model(model).name == model)
client.set_registered_model_alias(model, "champion", "1")
ok("alias set", client.get_model_version_by_alias(model, "champion").version == "1")
client.set_registered_model_alias(model, "champion", "2")
ok("alias moved", client.get_model_version_by_alias(model, "champion").version == "2")
ok(
    "registered model lists its alias",
    client.get_registered_model(model).aliases == {"champion": "2"},
    client.get_registered_model(model).aliases,
)
ok("version lists its alias", client.get_model_version(model, "2").aliases == ["champion"])
client.delete_registered_model_alias(model, "champion")
code = error_code(lambda: client.get_model_version_by_alias(model, "champion"))
ok("deleted alias no longer resolves", code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"), code)
downloaded = mlflow.artifacts.download_artifacts(f"models:/{model}/1", dst_path=work + "/m")
with open(os.path.join(downloaded, "weights.bin"), "rb") as f:
    ok("models:/ URI downloads the version's files", f.read() == BINARY[:1000])
ok(
    "unknown registered model: RESOURCE_DOES_NOT_EXIST",
    error_code(lambda: client.get_registered_model(f"nope-{TAG}")) == "RESOURCE_DOES_NOT_EXIST",
)
ok(
    "unknown model version: RESOURCE_DOES_NOT_EXIST",
    error_code(lambda: client.get_model_version(model, "99")) == "RESOURCE_DOES_NOT_EXIST",
)

# Descriptions, tags, searches, latest versions, rename, delete.
client.update_model_version(model, "1", description="the first one")
ok("version description", client.get_model_version(model, "1").description == "the first one")
client.update_registered_model(model, description="kiln's model")
ok("model description", client.get_registered_model(model).description == "kiln's model")
client.set_registered_model_tag(model, "team", "kiln")
client.set_model_version_tag(model, "1", "validated", "yes")
ok("model tag", client.get_registered_model(model).tags == {"team": "kiln"})
ok("version tag", client.get_model_version(model, "1").tags == {"validated": "yes"})
client.delete_registered_model_tag(model, "team")
client.delete_model_version_tag(model, "1", "validated")
ok(
    "tags deleted",
    client.get_registered_model(model).tags == {} and client.get_model_version(model, "1").tags == {},
)
found = client.search_model_versions(f"name = '{model}'")
ok("search_model_versions by name", sorted(v.version for v in found) == ["1", "2"], found)
found = client.search_model_versions(f"run_id = '{run_id}'")
ok("search_model_versions by run", sorted(v.version for v in found) == ["1", "2"], found)
found = client.search_registered_models(filter_string=f"name = '{model}'")
ok("search_registered_models by name", [m.name for m in found] == [model], found)
ok("latest version", [v.version for v in client.get_latest_versions(model)] == ["2"])
renamed = f"{model}-renamed"
client.rename_registered_model(model, renamed)
ok(
    "rename keeps the versions",
    client.get_model_version(renamed, "2").run_id == run_id,
)
ok(
    "the old name is gone",
    error_code(lambda: client.get_registered_model(model)) == "RESOURCE_DOES_NOT_EXIST",
)
client.delete_model_version(renamed, "1")
ok(
    "deleted version: RESOURCE_DOES_NOT_EXIST",
    error_code(lambda: client.get_model_version(renamed, "1")) == "RESOURCE_DOES_NOT_EXIST",
)

# --- Artifact path traversal over HTTP -------------------------------------------------------
ART = "/api/2.0/mlflow-artifacts/artifacts"
marker = f"kiln-escape-{TAG}"
parsed = urllib.parse.urlsplit(URL)
prefix = parsed.path.rstrip("/")


def raw(method, path, body=None):
    """Sends the path exactly as written: no client-side dot-segment removal."""
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    conn.request(method, prefix + path, body=body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


exp_part = f"{exp_id}/{run_id}/artifacts"
attempts = [
    f"{ART}/{exp_part}/../../../../../{marker}",
    f"{ART}/../../{marker}",
    f"{ART}/{exp_part}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/{marker}",
    f"{ART}/{exp_part}/%2E%2E%2F%2E%2E%2F{marker}",
    f"{ART}//tmp/{marker}",
    f"{ART}/%2Ftmp%2F{marker}",
    f"{ART}/{exp_part}/sub/./../../../{marker}",
]
if not REFERENCE:
    # A backslash is an ordinary file-name character on POSIX (MLflow's server writes a file
    # named `..\\..\\name` inside the run), a separator on Windows: kiln refuses it.
    attempts.append(f"{ART}/{exp_part}/..%5c..%5c{marker}")
for path in attempts:
    status, data = raw("PUT", path, body=b"escaped")
    ok(f"PUT {path[len(ART):]} refused", status in (400, 403, 404), (status, data[:200]))
for path in [
    f"{ART}/{exp_part}/../../../../../../../../etc/passwd",
    f"{ART}/{exp_part}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    f"{ART}/%2Fetc%2Fpasswd",
]:
    status, data = raw("GET", path)
    ok(f"GET {path[len(ART):]} refused", status in (400, 403, 404) and b"root:" not in data, (status, data[:200]))
for listing in ["../..", "/etc", f"{exp_part}/../../..", "%2e%2e"]:
    r = requests.get(URL + ART, params={"path": listing}, timeout=30)
    ok(f"list ?path={listing} refused", r.status_code in (400, 403, 404), (r.status_code, r.text[:200]))
r = requests.put(f"{URL}{ART}/{exp_part}/%2e%2e/%2e%2e/{marker}", data=b"escaped", timeout=30)
ok("requests PUT with percent-encoded dots refused", r.status_code in (400, 403, 404), r.status_code)
for place in ["/tmp", "/"] + ([os.path.dirname(os.path.abspath(STORE))] if STORE else []):
    escaped = [p for p, _, names in os.walk(place) if marker in names] if place != "/" else []
    if place == "/":
        escaped = [marker] if os.path.exists("/" + marker) else []
    ok(f"nothing written under {place}", not escaped, escaped)

print(f"{checks} checks passed against {URL}", flush=True)
