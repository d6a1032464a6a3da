"""A worker killed (``kill -9``) under load: gunicorn replaces it; what did the clients and the
scoring log see?

Runs the mixed load of ``load.py`` on a real gunicorn (``gunicorn.conf.py``), kills one worker
(a child of the master, found with psutil) after ``--kill-after`` seconds, and prints the
requests that failed (at most the ones that worker had in flight), whether the worker was
replaced, and the scoring log against the scores served: 0 lost, 0 duplicated, 0 malformed.

    python -m benchmarks.kill_worker --requests 3000 --workers 2 --kill-after 5
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time

import psutil

from benchmarks.load import check_log, common_args, mix, report, run, start_server


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_args(p)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--kill-after", type=float, default=5.0, help="seconds of load before the kill")
    a = p.parse_args(argv)
    reqs = mix(a.model_dir, a.data_dir, a.requests)
    with start_server(a.model_dir, a.data_dir, a.workers) as server:
        master = psutil.Process(server.proc.pid)
        before = sorted(c.pid for c in master.children())
        killed: list[int] = []

        def killer() -> None:
            time.sleep(a.kill_after)
            victim = master.children()[0].pid
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

        t = threading.Thread(target=killer, daemon=True)
        t.start()
        res = run(server, reqs, a.concurrency)
        t.join()
        deadline = time.monotonic() + 120
        while len(master.children()) < a.workers and time.monotonic() < deadline:
            time.sleep(0.5)
        after = sorted(c.pid for c in master.children())
        time.sleep(0.5)
        check = check_log(server, a.model_dir, res.served)
    print(f"workers before: {before}  killed: {killed}  after: {after}")
    report(res, check)
    failed = sum(res.unexpected.values())
    print(f"requests failed: {failed} (concurrency {a.concurrency}: at most the ones the killed worker held)")
    ok = killed and len(after) == a.workers and check.lost == 0 and check.duplicated == 0 and check.malformed == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
