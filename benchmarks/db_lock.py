"""Another process holds the database's write lock (a backup, a ``sqlite3`` shell, a migration): what
do health and the scoring routes answer meanwhile, and how fast?

    python -m benchmarks.db_lock                          # artifacts/model, data/demo, 2 workers, 30 s lock
    python -m benchmarks.db_lock --hold 10 --workers 1

Starts gunicorn (``gunicorn.conf.py``, gevent workers) on a private instance folder, scores a few
known clients so the database is in use, then holds ``BEGIN EXCLUSIVE`` on its ``product.db`` from
another process for ``--hold`` seconds while two loops run: health every 50 ms, and known clients'
scores (each needs its scoring-log row) from 4 threads. Printed: health p50/p99/max and its statuses;
the scores' statuses, how many 503s carried ``Retry-After``, and their p50/p99/max time; then one score
after the lock is gone. Issue 28's goal: health p99 < 1 s, every request answered within 3 s.
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.load import HOST, Server, start_server
from benchmarks.serve import client_ids

ROOT = Path(__file__).resolve().parents[1]
_HOLDER = ("import sqlite3, sys, time\n"
           "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
           "c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(float(sys.argv[2]))\n")


def timed_get(server: Server, path: str) -> tuple[int, float, bool]:
    """(status, seconds, whether a Retry-After came back); status -1 for a connection error."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, server.port, timeout=120)
    try:
        conn.request("GET", path, headers={"X-API-Key": server.key, "Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0, resp.getheader("Retry-After") is not None
    except OSError:
        return -1, time.perf_counter() - t0, False
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(name: str, answers: list[tuple[int, float, bool]]) -> str:
    times = [a[1] for a in answers]
    statuses = dict(sorted(Counter(a[0] for a in answers).items()))
    retry = sum(a[2] for a in answers if a[0] == 503)
    return (f"{name}: {len(answers)} requests, statuses {statuses}, 503 with Retry-After {retry}; "
            f"p50 {statistics.median(times) * 1000:.0f} ms, p99 {percentile(times, 0.99) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, default=ROOT / "artifacts" / "model")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data" / "demo")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--hold", type=float, default=30.0, help="seconds the other process holds the lock")
    args = p.parse_args(argv)
    ids = client_ids(args.model_dir)
    with start_server(args.model_dir, args.data_dir, args.workers) as server:
        for cid in ids[:4]:
            timed_get(server, f"/api/v1/clients/{cid}/score")
        holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(server.instance / "product.db"), str(args.hold)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        stop = time.monotonic() + args.hold - 0.5
        health: list[tuple[int, float, bool]] = []
        scores: list[tuple[int, float, bool]] = []

        def probe() -> None:
            while time.monotonic() < stop:
                health.append(timed_get(server, "/api/v1/health"))
                time.sleep(0.05)

        def score(offset: int) -> None:
            i = offset
            while time.monotonic() < stop:
                scores.append(timed_get(server, f"/api/v1/clients/{ids[i % len(ids)]}/score"))
                i += 4

        threads = [threading.Thread(target=probe)] + [threading.Thread(target=score, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        holder.wait()
        after = timed_get(server, f"/api/v1/clients/{ids[0]}/score")
    print(f"lock held {args.hold:.0f} s by another process, {args.workers} gevent workers")
    print(summary("health", health))
    print(summary("scores (need the log)", scores))
    print(f"after the lock: score {after[0]} in {after[1] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
