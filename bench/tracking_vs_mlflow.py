"""kiln's tracking server against `mlflow server` (SQLite backend, defaults), in one run, on
the same work through MLflow's REST API with 20 concurrent clients:

1. create-run: 10,000 runs;
2. log-batch of 20 params + 10 metrics per run (filling the store: 10,000 runs x 20 params x
   10 metrics), then log-batch of 10 metrics (steps 1..) for throughput;
3. search: `metrics.m0 > 0.5 and params.p0 = 'v3'`, order_by `metrics.m1 DESC`,
   max_results 100, over those 10,000 runs.

Prints requests per second for the writes, median/p95 search latency, and the kiln/MLflow
ratios, as one JSON object on the last line.

Usage: bench/tracking_vs_mlflow.sh [--runs 10000] [--clients 20] [--only kiln|mlflow]
(which makes bench/.venv-mlflow-server with the pinned `mlflow` and builds kiln as
bench/common.py does), or: python tracking_vs_mlflow.py [KILN_BINARY] ... with `mlflow`
(the full package, for `mlflow server`) importable by that Python.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PARAMS = 20
METRICS = 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive HTTP connection per thread."""

    local = threading.local()

    def __init__(self, host, port):
        self.host, self.port = host, port

    def post(self, path, body):
        conn = getattr(self.local, "conn", None)
        if conn is None or getattr(self.local, "target", None) != (self.host, self.port):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self.local.conn, self.local.target = conn, (self.host, self.port)
        data = json.dumps(body)
        for attempt in range(3):
            try:
                conn.request("POST", path, data, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                text = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{path}: {resp.status} {text[:300]!r}")
                return json.loads(text)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                conn.close()
                conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
                self.local.conn = conn
        raise RuntimeError(f"{path}: connection kept failing")


def wait_up(port, proc, name):
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not start")


def parallel(clients, jobs, fn):
    """Runs fn over jobs with `clients` threads; returns (seconds, results)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(fn, jobs))
    return time.perf_counter() - start, results


def workload(name, client, runs, clients):
    now = int(time.time() * 1000)
    api = "/api/2.0/mlflow"
    exp = "0"

    def create(i):
        return client.post(f"{api}/runs/create", {"experiment_id": exp, "start_time": now + i,
                                                  "run_name": f"r{i}"})["run"]["info"]["run_id"]

    secs, ids = parallel(clients, range(runs), create)
    out = {"create_run_per_s": runs / secs}
    rng = random.Random(0)
    values = [[rng.random() for _ in range(METRICS)] for _ in range(runs)]

    def fill(i):
        client.post(f"{api}/runs/log-batch", {
            "run_id": ids[i],
            "params": [{"key": f"p{k}", "value": f"v{(i + k) % 10}"} for k in range(PARAMS)],
            "metrics": [{"key": f"m{k}", "value": values[i][k], "timestamp": now, "step": 0}
                        for k in range(METRICS)],
        })

    secs, _ = parallel(clients, range(runs), fill)
    out["fill_batch_per_s"] = runs / secs

    def batch(i):
        client.post(f"{api}/runs/log-batch", {
            "run_id": ids[i % runs],
            "metrics": [{"key": f"m{k}", "value": values[i % runs][k], "timestamp": now + 1,
                         "step": 1 + i // runs} for k in range(METRICS)],
        })

    n = runs
    secs, _ = parallel(clients, range(n), batch)
    out["log_batch_per_s"] = n / secs

    query = {"experiment_ids": [exp], "filter": "metrics.m0 > 0.5 and params.p0 = 'v3'",
             "order_by": ["metrics.m1 DESC"], "max_results": 100}
    first = client.post(f"{api}/runs/search", query)
    out["search_hits"] = len(first.get("runs", []))

    def search(_):
        t = time.perf_counter()
        client.post(f"{api}/runs/search", query)
        return time.perf_counter() - t

    searches = 200
    secs, lat = parallel(clients, range(searches), search)
    out["search_per_s"] = searches / secs
    lat.sort()
    out["search_median_ms"] = statistics.median(lat) * 1000
    out["search_p95_ms"] = lat[int(0.95 * len(lat)) - 1] * 1000

    def alone(_):
        t = time.perf_counter()
        client.post(f"{api}/runs/search", query)
        return time.perf_counter() - t

    _, single = parallel(1, range(30), alone)
    out["search_single_client_median_ms"] = statistics.median(single) * 1000
    print(name, json.dumps({k: round(v, 2) for k, v in out.items()}), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kiln", nargs="?", help="the kiln binary (default: as bench/common.py builds it)")
    ap.add_argument("--runs", type=int, default=10000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--only", choices=["kiln", "mlflow"], help="run one side (for profiling)")
    args = ap.parse_args()
    if args.kiln is None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import common

        binary, why = common.build_kiln()
        if binary is None:
            raise SystemExit(why)
        args.kiln = str(binary)
    work = tempfile.mkdtemp(prefix="tracking-bench-")
    procs = []
    try:
        k = m = None
        kport = free_port()
        env = dict(os.environ, KILN_TRACKING_URI=os.path.join(work, "kiln-store"))
        kiln = subprocess.Popen([args.kiln, "tracking", "--port", str(kport)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(kiln)
        wait_up(kport, kiln, "kiln tracking")
        if args.only != "mlflow":
            k = workload("kiln", Client("127.0.0.1", kport), args.runs, args.clients)
        kiln.terminate()
        if args.only == "kiln":
            return
        mport = free_port()
        mlflow = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(mport),
             "--backend-store-uri", f"sqlite:///{work}/mlflow.db",
             "--artifacts-destination", f"{work}/mlflow-artifacts"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=work)
        procs.append(mlflow)
        wait_up(mport, mlflow, "mlflow server")
        import mlflow as mlflow_module
        m = workload(f"mlflow {mlflow_module.__version__}", Client("127.0.0.1", mport), args.runs,
                     args.clients)
        if k is None:
            return
        ratios = {key: k[key] / m[key] for key in k if key.endswith("per_s")}
        ratios.update({key: m[key] / k[key] for key in k if key.endswith("_ms")})
        print(json.dumps({"runs": args.runs, "clients": args.clients, "kiln": k, "mlflow": m,
                          "kiln_advantage": ratios}))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
