"""Latency and throughput of GET /api/v1/clients/<id>/score on a real gunicorn server.

Starts gunicorn (2 sync workers by default) on 127.0.0.1 with the given model, or targets a
running server with --url (loopback only), warms it up, then measures two phases with a
few concurrent clients:

* cold:   every request a distinct client id, so every answer is computed (cache miss);
* cached: requests cycle over a few ids already answered, so answers come from the cache.

    python -m benchmarks.serve --model-dir /tmp/bench-model
    python -m benchmarks.serve --model-dir /tmp/bench-model --requests 2000 --repeat 3
    python -m benchmarks.serve --url http://127.0.0.1:8050 --api-key KEY --model-dir artifacts/model

The client ids come from the model's stored population (``MODEL_DIR/<version>/scores.parquet``).
The load generator runs on the same machine as the server and takes CPU from it; the
numbers printed are the client's wall-clock view. ``uptime`` is printed before and after:
on a shared machine, quote medians over --repeat runs together with the load average.

Goals: p50 ≤ 15 ms, p99 ≤ 50 ms, ≥ 200 requests/s with 2 workers.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_REQUESTS = 20_000
MAX_CONCURRENCY = 16


def api_server():
    """WSGI app with only auth and the JSON routes (``benchmarks.serve:api_server()``), to
    measure the API without the dashboard or while the dashboard does not start."""
    from app import create_flask
    from model.scoring import Scorer
    from settings import get_settings

    settings = get_settings()
    server, _ = create_flask(settings, Scorer.load(settings.model_dir))
    return server


@dataclass
class Phase:
    name: str
    latencies_ms: list[float]
    elapsed_s: float
    errors: int

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, int(round(q * len(xs))) - 1))]

    def line(self) -> str:
        return (f"{self.name:7s} n={len(self.latencies_ms):5d} errors={self.errors:3d}  "
                f"p50={self.pct(0.50):6.1f} ms  p90={self.pct(0.90):6.1f} ms  p99={self.pct(0.99):6.1f} ms  "
                f"max={max(self.latencies_ms, default=float('nan')):6.1f} ms  {self.rps:6.1f} req/s")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return " ".join(open("/proc/loadavg").read().split()[:3])


def client_ids(model_dir: Path) -> list[int]:
    import pandas as pd

    from model.artifact import SCORES_FILE, resolve_version_dir

    path = resolve_version_dir(Path(model_dir)) / SCORES_FILE
    return [int(i) for i in pd.read_parquet(path, columns=[]).index]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(host: str, port: int, path: str, key: str, timeout: float = 30.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"X-API-Key": key, "Connection": "close"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def run_phase(name: str, host: str, port: int, key: str, paths: list[str], concurrency: int,
              max_seconds: float) -> Phase:
    """Send ``paths`` with ``concurrency`` threads, each taking the next path; stop at the deadline."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    it = iter(paths)
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                path = next(it, None)
            if path is None:
                return
            t0 = time.perf_counter()
            try:
                status, _ = get(host, port, path, key)
            except OSError:
                status = -1
            ms = (time.perf_counter() - t0) * 1e3
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Phase(name, latencies, time.perf_counter() - start, errors[0])


def start_gunicorn(model_dir: Path, workers: int, port: int, key: str, target: str,
                   instance: Path) -> subprocess.Popen:
    env = dict(os.environ, MODEL_DIR=str(model_dir), API_KEYS=key, INSTANCE_DIR=str(instance),
               USERS_FILE=str(instance / "users.json"), SECRET_KEY=secrets.token_hex(16), DEBUG="0",
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    cmd = [str(gunicorn), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
           "--timeout", "60", target]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def worker_memory(master_pid: int) -> list[dict[str, float]]:
    """Resident and peak resident memory (MiB) of each gunicorn worker, from /proc."""
    out = []
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return out
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        kib = {k: float(fields[k].split()[0]) for k in ("VmRSS", "VmHWM") if k in fields}
        out.append({"pid": int(pid), "rss_mib": kib.get("VmRSS", 0) / 1024, "peak_rss_mib": kib.get("VmHWM", 0) / 1024})
    return out


def wait_ready(host: str, port: int, proc: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {proc.returncode}")
        try:
            status, _ = get(host, port, "/api/v1/health", "", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"server on {host}:{port} not ready after {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, required=True, help="model served (and source of client ids)")
    p.add_argument("--url", help="target a running server (loopback only) instead of starting gunicorn")
    p.add_argument("--api-key", help="X-API-Key for --url (a random key is used for the server started here)")
    p.add_argument("--app", choices=("full", "api"), default="full",
                   help="full: app:create_server() (dashboard + API); api: the JSON routes only")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--requests", type=int, default=1000, help="requests per phase")
    p.add_argument("--cached-ids", type=int, default=20, help="distinct ids cycled in the cached phase")
    p.add_argument("--max-seconds", type=float, default=60.0, help="time limit per phase")
    p.add_argument("--repeat", type=int, default=1, help="run both phases this many times; medians are printed")
    p.add_argument("--lang", default="fr")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    a = p.parse_args(argv)
    if not 1 <= a.concurrency <= MAX_CONCURRENCY:
        p.error(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if not 1 <= a.requests <= MAX_REQUESTS:
        p.error(f"--requests must be between 1 and {MAX_REQUESTS}")

    ids = client_ids(a.model_dir)
    warm = 10 * a.workers
    need = warm + a.repeat * a.requests
    if len(ids) < need:
        p.error(f"the model knows {len(ids)} clients; cold phases need {need} distinct ids")

    proc = None
    tmp = tempfile.TemporaryDirectory(prefix="bench-serve-")
    if a.url:
        parts = urlsplit(a.url)
        if parts.hostname not in LOOPBACK:
            p.error("--url must be on the loopback interface (127.0.0.1, localhost, ::1)")
        host, port = parts.hostname, parts.port or 80
        key = a.api_key or os.environ.get("API_KEY", "")
    else:
        host, port, key = "127.0.0.1", free_port(), secrets.token_urlsafe(16)
        target = "app:create_server()" if a.app == "full" else "benchmarks.serve:api_server()"
        proc = start_gunicorn(a.model_dir.resolve(), a.workers, port, key, target, Path(tmp.name))
    print(f"before: {uptime()}")
    started = time.perf_counter()
    memory: dict[str, list[dict[str, float]]] = {}
    try:
        wait_ready(host, port, proc, timeout=180)
        if proc is not None:
            # workers load the model and build the dashboard's indexes when they boot
            print(f"server ready (first worker answering) {time.perf_counter() - started:.1f} s after start")
        q = f"?lang={a.lang}"
        # warm-up: every worker loads lazy state (typical client, labels, CatBoost caches)
        run_phase("warm-up", host, port, key, [f"/api/v1/clients/{i}/score{q}" for i in ids[:warm]],
                  a.concurrency, a.max_seconds)
        cached_ids = ids[:a.cached_ids]
        prime = [f"/api/v1/clients/{i}/score{q}" for i in cached_ids] * (4 * a.workers)
        run_phase("prime", host, port, key, prime, a.concurrency, a.max_seconds)
        runs: list[tuple[Phase, Phase]] = []
        for r in range(a.repeat):
            fresh = ids[warm + r * a.requests: warm + (r + 1) * a.requests]
            cold = run_phase("cold", host, port, key, [f"/api/v1/clients/{i}/score{q}" for i in fresh],
                             a.concurrency, a.max_seconds)
            cached = run_phase("cached", host, port, key,
                               [f"/api/v1/clients/{cached_ids[k % len(cached_ids)]}/score{q}"
                                for k in range(a.requests)], a.concurrency, a.max_seconds)
            print(f"run {r + 1}/{a.repeat}:\n  {cold.line()}\n  {cached.line()}")
            runs.append((cold, cached))
        if proc is not None:
            memory["after_runs"] = worker_memory(proc.pid)
            for w in memory["after_runs"]:
                print(f"worker {w['pid']}: RSS {w['rss_mib']:.0f} MiB, peak {w['peak_rss_mib']:.0f} MiB")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        tmp.cleanup()
    print(f"after:  {uptime()}")

    summary = {}
    for k, name in enumerate(("cold", "cached")):
        phases = [run[k] for run in runs]
        summary[name] = {
            "p50_ms": statistics.median(ph.pct(0.50) for ph in phases),
            "p99_ms": statistics.median(ph.pct(0.99) for ph in phases),
            "rps": statistics.median(ph.rps for ph in phases),
            "errors": sum(ph.errors for ph in phases),
            "requests": sum(len(ph.latencies_ms) for ph in phases),
        }
    print(f"median of {a.repeat} run(s), {a.workers} workers, concurrency {a.concurrency}, app={a.app}:")
    for name, s in summary.items():
        ok = s["p50_ms"] <= 15 and s["p99_ms"] <= 50 and s["rps"] >= 200
        print(f"  {name:7s} p50={s['p50_ms']:.1f} ms  p99={s['p99_ms']:.1f} ms  {s['rps']:.0f} req/s  "
              f"errors={s['errors']}  goal {'met' if ok else 'NOT met'} (p50<=15, p99<=50, >=200/s)")
    if a.json:
        a.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(a).items()}, "summary": summary,
                                      "memory": memory},
                                     indent=2))
    return 0 if all(s["errors"] == 0 for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
