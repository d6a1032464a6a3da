"""Health checks while clients hold connections open without finishing their headers.

Opens ``--idle`` connections to a real gunicorn (``gunicorn.conf.py``) that send half a request
and then nothing, and polls ``/api/v1/health`` ``--polls`` times meanwhile. With sync workers,
two such clients froze the server; the gevent worker gives each one a greenlet. Goal: p99 < 1 s,
no failure.

    python -m benchmarks.slow_clients --idle 10 --polls 200 --workers 2
"""
from __future__ import annotations

import argparse
import socket
import sys
import time

from benchmarks.load import HOST, common_args, request, start_server


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_args(p)
    p.add_argument("--idle", type=int, default=10, help="connections that never finish their headers")
    p.add_argument("--polls", type=int, default=200)
    a = p.parse_args(argv)
    with start_server(a.model_dir, a.data_dir, a.workers) as server:
        idle = []
        for _ in range(a.idle):
            s = socket.create_connection((HOST, server.port), timeout=5)
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            idle.append(s)
        time.sleep(0.5)
        latencies, failures = [], 0
        try:
            for _ in range(a.polls):
                t0 = time.perf_counter()
                status, _, _ = request(server, "GET", "/api/v1/health", timeout=5)
                latencies.append((time.perf_counter() - t0) * 1e3)
                failures += status != 200
            still_open = sum(1 for s in idle if _open(s))
        finally:
            for s in idle:
                s.close()
    xs = sorted(latencies)
    p50, p99 = xs[len(xs) // 2], xs[min(len(xs) - 1, int(round(0.99 * len(xs))) - 1)]
    print(f"idle connections: {a.idle} (still open at the end: {still_open}), workers: {a.workers}")
    print(f"health polls: {len(xs)}  failures: {failures}  p50={p50:.1f} ms  p99={p99:.1f} ms  max={xs[-1]:.1f} ms")
    return 0 if failures == 0 and p99 < 1000 else 1


def _open(s: socket.socket) -> bool:
    """True while the server has not closed the idle connection."""
    s.setblocking(False)
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


if __name__ == "__main__":
    sys.exit(main())
