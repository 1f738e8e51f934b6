#!/usr/bin/env python3
"""Serving benchmarks for `kiln serve` (see bench/README.md, "serve").

  serve_bench.py compare     kiln (dynamic batching on / off) vs `mlflow models serve` on the
                             MNIST MLP: throughput and p50/p99 at fixed rates, plus maximum
                             throughput; prints the ratio kiln / MLflow.
  serve_bench.py cold-start  process start → first successful /invocations answer, median of N.
  serve_bench.py monitor-cost  monitoring on vs --no-monitor, alternated ROUNDS times (5):
                             medians of max throughput and p99 at 1,000 req/s, and the ratio.
  serve_bench.py latency     p99 at RATE (1,000) req/s over ROUNDS (10) runs, each with the
                             CPU share the hypervisor stole meanwhile (/proc/stat) and the
                             server's own p99 bucket from its /metrics histogram.
  serve_bench.py soak        fixed rate for SOAK_SECONDS (default 600): errors, RSS, steal and
                             the server's own p99 bucket sampled every SOAK_SAMPLE (30) s.

Needs bench/serve_setup.sh (oha, and the MLflow venv for `compare`). Environment:
RATES (default "200,500,1000"), SECONDS_PER_RUN (default 10), CONNECTIONS (max-throughput
runs, default 32), COLD_RUNS (default 10), SOAK_SECONDS (600), SOAK_RATE (1000),
SKIP_MLFLOW=1 (kiln only), KILN (a prebuilt binary instead of
building target/release/kiln; see common.py). Every run is bounded in time (`oha -z`).
"""

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common
from common import BENCH, kiln_binary, log, require_kiln

KILN = kiln_binary()
OHA = BENCH / ".tools" / "bin" / "oha"
MLFLOW_PY = BENCH / ".venv-mlflow" / "bin" / "python"
OUT = common.OUT / "serve"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kiln_model():
    """The `mnist-mlp` example trained one epoch (MNIST is fetched into the kiln cache)."""
    OUT.mkdir(parents=True, exist_ok=True)
    model = OUT / "mnist-mlp.kiln"
    if not model.exists():
        spec = OUT / "mnist-mlp.toml"
        subprocess.run([KILN, "init", "--example", "mnist-mlp", "-o", spec], check=True)
        log("training the MNIST MLP for 1 epoch")
        subprocess.run([KILN, "train", spec, "-o", model, "--epochs", "1", "--quiet"], check=True)
    return model


def mlflow_model():
    path = OUT / "mlflow-mnist-mlp"
    if not (path / "MLmodel").exists():
        subprocess.run([MLFLOW_PY, BENCH / "mlflow_mnist.py", path], check=True, stdout=subprocess.DEVNULL)
    return path


def image():
    rng = random.Random(7)
    return [rng.randrange(256) if 200 < i < 600 else 0 for i in range(784)]


def bodies():
    OUT.mkdir(parents=True, exist_ok=True)
    px = image()
    kiln_body = OUT / "kiln-body.json"
    kiln_body.write_text(json.dumps({"instances": [px]}))
    mlflow_body = OUT / "mlflow-body.json"
    mlflow_body.write_text(json.dumps({"inputs": [[p / 255.0 for p in px]]}))
    return kiln_body, mlflow_body


def post(port, body, timeout=2.0):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", "/invocations", body=body, headers={"content-type": "application/json"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def wait_ready(port, body, proc, limit=120.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if post(port, body) == 200:
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise RuntimeError("server not ready")


def start_kiln(model, port, *flags):
    return subprocess.Popen(
        [KILN, "serve", model, "--port", str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "KILN_LOG": "warn"},
    )


def start_mlflow(model, port):
    env = {**os.environ, "PATH": f"{MLFLOW_PY.parent}:{os.environ['PATH']}"}
    return subprocess.Popen(
        [MLFLOW_PY.parent / "mlflow", "models", "serve", "-m", model, "-p", str(port), "--env-manager", "local"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def oha_cmd(port, body_file, seconds, rate=None, connections=32):
    cmd = [OHA, "--no-tui", "--output-format", "json", "-z", f"{seconds}s", "-m", "POST",
           "-T", "application/json", "-D", body_file]
    if rate:
        cmd += ["-q", str(rate), "-c", "64", "--latency-correction"]
    else:
        cmd += ["-c", str(connections)]
    cmd.append(f"http://127.0.0.1:{port}/invocations")
    return cmd


def oha(port, body_file, seconds, rate=None, connections=32):
    out = subprocess.run(oha_cmd(port, body_file, seconds, rate, connections),
                         check=True, capture_output=True, text=True).stdout
    return oha_result(out, seconds)


def oha_result(out, seconds):
    r = json.loads(out)
    codes = {str(k): v for k, v in r.get("statusCodeDistribution", {}).items()}
    ok = codes.get("200", 0)
    # oha cancels the requests still in flight when `-z` runs out ("aborted due to deadline"):
    # the client's cut, not an answer, so they are counted apart from errors.
    failures = dict(r.get("errorDistribution", {}))
    cut = sum(v for k, v in failures.items() if "deadline" in k)
    total = sum(codes.values()) + sum(failures.values()) - cut
    pct = r.get("latencyPercentiles", {})
    return {
        "rps_ok": ok / seconds,
        "p50_ms": (pct.get("p50") or float("nan")) * 1e3,
        "p99_ms": (pct.get("p99") or float("nan")) * 1e3,
        "errors": total - ok,
        "requests": total,
        "cut_at_deadline": cut,
        "failures": failures,
    }


def compare():
    seconds = int(os.environ.get("SECONDS_PER_RUN", os.environ.get("SECONDS", "10")))
    rates = [int(r) for r in os.environ.get("RATES", "200,500,1000").split(",")]
    connections = int(os.environ.get("CONNECTIONS", "32"))
    require_kiln()
    model = kiln_model()
    kiln_body, mlflow_body = bodies()
    # `kiln serve` monitors by default (prediction ids, drift windows): "kiln (batching)" is
    # the default server; "--no-monitor" measures what monitoring costs.
    servers = [
        ("kiln (batching)", lambda p: start_kiln(model, p), kiln_body),
        ("kiln (no monitoring)", lambda p: start_kiln(model, p, "--no-monitor"), kiln_body),
        ("kiln (no batching)", lambda p: start_kiln(model, p, "--max-batch", "1"), kiln_body),
    ]
    if os.environ.get("SKIP_MLFLOW") != "1":
        peer = mlflow_model()
        servers.append(("mlflow models serve", lambda p: start_mlflow(peer, p), mlflow_body))
    results = {}
    for name, start, body_file in servers:
        port = free_port()
        proc = start(port)
        try:
            wait_ready(port, body_file.read_bytes(), proc)
            oha(port, body_file, 2, connections=connections)  # warm-up
            runs = {}
            for rate in rates:
                runs[f"{rate}/s"] = oha(port, body_file, seconds, rate=rate)
                log(name, rate, runs[f"{rate}/s"])
            runs["max"] = oha(port, body_file, seconds, connections=connections)
            log(name, "max", runs["max"])
            results[name] = runs
        finally:
            stop(proc)
    print(f"\nMNIST MLP, one image per request, {seconds} s per run, loopback, oha (fixed rates with latency correction)")
    print(f"{'server':22} {'load':>8} {'ok req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, runs in results.items():
        for load, r in runs.items():
            print(f"{name:22} {load:>8} {r['rps_ok']:10.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7d}")
    on, off = results["kiln (batching)"], results["kiln (no monitoring)"]
    print(f"\nmonitoring on / off, max throughput: {on['max']['rps_ok'] / max(off['max']['rps_ok'], 1e-9):.3f} "
          f"({on['max']['rps_ok']:.0f} vs {off['max']['rps_ok']:.0f} req/s)")
    if "mlflow models serve" in results:
        k = results["kiln (batching)"]["max"]["rps_ok"]
        m = results["mlflow models serve"]["max"]["rps_ok"]
        print(f"\nmax throughput ratio kiln / MLflow: {k / max(m, 1e-9):.1f}x ({k:.0f} vs {m:.0f} req/s)")
    (OUT / "compare.json").write_text(json.dumps(results, indent=2))


def monitor_cost():
    """Monitoring on (the default) vs --no-monitor, alternated ROUNDS times (default 5) so drift
    in the machine's load hits both alike: maximum throughput and p99 at 1,000 req/s, medians."""
    rounds = int(os.environ.get("ROUNDS", "5"))
    seconds = int(os.environ.get("SECONDS_PER_RUN", "5"))
    connections = int(os.environ.get("CONNECTIONS", "32"))
    require_kiln()
    model = kiln_model()
    body_file = bodies()[0]
    results = {"on": [], "off": []}
    for r in range(rounds):
        for name, flags in (("on", ()), ("off", ("--no-monitor",))) if r % 2 == 0 else (("off", ("--no-monitor",)), ("on", ())):
            port = free_port()
            proc = start_kiln(model, port, *flags)
            try:
                wait_ready(port, body_file.read_bytes(), proc)
                oha(port, body_file, 2, connections=connections)  # warm-up
                top = oha(port, body_file, seconds, connections=connections)
                fixed = oha(port, body_file, seconds, rate=1000)
                results[name].append({"max_rps": top["rps_ok"], "p99_1000_ms": fixed["p99_ms"]})
                log(name, results[name][-1])
            finally:
                stop(proc)
    med = {k: {m: statistics.median(x[m] for x in v) for m in ("max_rps", "p99_1000_ms")} for k, v in results.items()}
    print(f"monitoring on vs off, MNIST MLP, {rounds} alternated rounds of {seconds} s, medians:")
    for k in ("on", "off"):
        print(f"  monitoring {k:3}: max {med[k]['max_rps']:7.0f} req/s, p99 at 1000 req/s {med[k]['p99_1000_ms']:.2f} ms")
    print(f"throughput on / off: {med['on']['max_rps'] / max(med['off']['max_rps'], 1e-9):.3f}")
    (OUT / "monitor_cost.json").write_text(json.dumps(results, indent=2))


def cold_start():
    runs = int(os.environ.get("COLD_RUNS", "10"))
    require_kiln()
    model = kiln_model()
    body = bodies()[0].read_bytes()
    times = []
    for _ in range(runs):
        port = free_port()
        t0 = time.perf_counter()
        proc = start_kiln(model, port)
        try:
            while True:
                try:
                    if post(port, body, timeout=1.0) == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError("kiln serve exited")
                time.sleep(0.0005)
            times.append((time.perf_counter() - t0) * 1e3)
        finally:
            stop(proc)
    print(f"cold start (spawn → first 200 on /invocations), MNIST MLP, {runs} runs: "
          f"median {statistics.median(times):.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms")


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def cpu_ticks():
    """(steal, total) jiffies over all CPUs from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time is already
    # counted in user and nice.
    return fields[7], sum(fields[:8])


def steal_share(before, after):
    if before is None or after is None or after[1] == before[1]:
        return float("nan")
    return (after[0] - before[0]) / (after[1] - before[1])


def server_histogram(port):
    """The server's own request-duration histogram for /invocations: {le seconds: count}."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
    finally:
        c.close()
    buckets = {}
    for line in text.splitlines():
        if line.startswith("kiln_request_duration_seconds_bucket"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(le)] = int(float(line.rsplit(" ", 1)[1]))
    return buckets


def server_p99_bound(before, after):
    """Upper edge of the histogram bucket holding the 99th percentile of the requests counted
    between two snapshots, in ms: the server's own view, without the client's time."""
    count = after[float("inf")] - before.get(float("inf"), 0)
    for le in sorted(after):
        if after[le] - before.get(le, 0) >= 0.99 * count:
            return le * 1e3
    return float("nan")


def latency():
    """p99 at RATE (1,000) req/s, ROUNDS (10) runs of SECONDS_PER_RUN (5) s against one default
    server, each with the share of CPU time the hypervisor stole from this VM meanwhile
    (/proc/stat `steal`): on a shared host the tail follows the steal, so the table gives both
    and the median over the quiet runs (steal < 2 %) next to the median over all."""
    rounds = int(os.environ.get("ROUNDS", "10"))
    seconds = int(os.environ.get("SECONDS_PER_RUN", "5"))
    rate = int(os.environ.get("RATE", "1000"))
    require_kiln()
    model = kiln_model()
    body_file = bodies()[0]
    port = free_port()
    proc = start_kiln(model, port)
    runs = []
    try:
        wait_ready(port, body_file.read_bytes(), proc)
        oha(port, body_file, 2, connections=32)  # warm-up
        for i in range(rounds):
            before, hist = cpu_ticks(), server_histogram(port)
            r = oha(port, body_file, seconds, rate=rate)
            r["steal"] = steal_share(before, cpu_ticks())
            r["server_p99_le_ms"] = server_p99_bound(hist, server_histogram(port))
            runs.append(r)
            log(i, r)
    finally:
        stop(proc)
    print(f"MNIST MLP, one image per request, {rate} req/s, {rounds} runs of {seconds} s, one server")
    print("(p99 client: oha, from each request's scheduled send time; p99 server: the bucket of "
          "kiln's own histogram that holds it)")
    print(f"{'run':>4} {'p50 ms':>8} {'p99 ms':>8} {'server p99':>11} {'steal %':>8} {'errors':>7}")
    for i, r in enumerate(runs):
        print(f"{i:>4} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {'<= ' + format(r['server_p99_le_ms'], 'g'):>11} "
              f"{100 * r['steal']:8.1f} {r['errors']:7d}")
    quiet = [r for r in runs if r["steal"] < 0.02]
    med = statistics.median(r["p99_ms"] for r in runs)
    print(f"p99 median over all runs {med:.2f} ms; runs with p99 <= 2 ms: "
          f"{sum(r['p99_ms'] <= 2.0 for r in runs)}/{len(runs)}")
    if quiet:
        print(f"p99 median over the {len(quiet)} runs with steal < 2 %: "
              f"{statistics.median(r['p99_ms'] for r in quiet):.2f} ms")
    else:
        print("no run had steal < 2 %")
    (OUT / "latency.json").write_text(json.dumps(runs, indent=2))


def soak():
    """SOAK_SECONDS at SOAK_RATE against one default server, its RSS sampled every
    SOAK_SAMPLE (30) seconds: errors, latency and the RSS curve (flat = no growth)."""
    seconds = int(os.environ.get("SOAK_SECONDS", "600"))
    rate = int(os.environ.get("SOAK_RATE", "1000"))
    every = float(os.environ.get("SOAK_SAMPLE", "30"))
    require_kiln()
    model = kiln_model()
    body_file = bodies()[0]
    port = free_port()
    proc = start_kiln(model, port)
    samples = []
    windows = []  # per sample interval: (steal share, the server's own p99 bound in ms)
    try:
        wait_ready(port, body_file.read_bytes(), proc)
        oha(port, body_file, 5, rate=rate)  # warm-up, so allocator pools are in place
        t0 = time.monotonic()
        ticks, hist = cpu_ticks(), server_histogram(port)
        last_ticks, last_hist = ticks, hist
        samples.append((0.0, rss_kib(proc.pid)))
        load = subprocess.Popen(oha_cmd(port, body_file, seconds, rate=rate),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        while load.poll() is None:
            time.sleep(min(every, 1.0))
            t = time.monotonic() - t0
            if t - samples[-1][0] >= every:
                samples.append((t, rss_kib(proc.pid)))
                now_ticks, now_hist = cpu_ticks(), server_histogram(port)
                windows.append((steal_share(last_ticks, now_ticks),
                                server_p99_bound(last_hist, now_hist)))
                last_ticks, last_hist = now_ticks, now_hist
                log(f"soak {t:5.0f} s: RSS {samples[-1][1] / 1024:.1f} MiB, steal "
                    f"{100 * windows[-1][0]:.1f} %, server p99 <= {windows[-1][1]:g} ms")
        out, _ = load.communicate()
        if load.returncode != 0:
            sys.exit("oha failed")
        samples.append((time.monotonic() - t0, rss_kib(proc.pid)))
        r = oha_result(out, seconds)
        r["steal"] = steal_share(ticks, cpu_ticks())
        r["server_p99_le_ms"] = server_p99_bound(hist, server_histogram(port))
    finally:
        stop(proc)
    rss = [kib / 1024 for _, kib in samples]
    second_half = rss[len(rss) // 2:]
    print(f"soak: {seconds} s at {rate} req/s: {r['requests']} requests, {r['errors']} errors, "
          f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms (server's own p99 <= "
          f"{r['server_p99_le_ms']:g} ms); hypervisor steal {100 * r['steal']:.1f} %")
    print(f"RSS every {every:.0f} s (MiB): " + " ".join(f"{v:.1f}" for v in rss))
    print(f"RSS start {rss[0]:.1f} MiB, end {rss[-1]:.1f} MiB, max {max(rss):.1f} MiB; "
          f"second half min {min(second_half):.1f} max {max(second_half):.1f} MiB")
    print(f"steal % every {every:.0f} s: " + " ".join(f"{100 * w[0]:.1f}" for w in windows))
    print(f"server p99 bound (ms) every {every:.0f} s: " + " ".join(f"{w[1]:g}" for w in windows))
    (OUT / "soak.json").write_text(json.dumps(
        {"result": r, "rss_samples": samples, "steal_and_server_p99": windows}, indent=2))
    if r["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    {"compare": compare, "monitor-cost": monitor_cost, "cold-start": cold_start, "latency": latency,
     "soak": soak}[sys.argv[1] if len(sys.argv) > 1 else "compare"]()
