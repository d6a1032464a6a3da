"""Two app hosts sharing one Redis and one PostgreSQL: plain load, then a Redis stop, then a PostgreSQL stop.

    python -m benchmarks.multi_host                                  # artifacts/model, data/demo
    python -m benchmarks.multi_host --requests 6000 --concurrency 16 --workers 2

Starts a private ``redis-server`` and a private PostgreSQL cluster (``tests/services.py``: nothing of
the machine's own services is touched), then two gunicorn hosts (the product's ``gunicorn.conf.py``)
on two free ports, with the same ``SECRET_KEY``, ``CACHE_URL`` and ``DATABASE_URL``. Each phase sends ``--requests`` GET /api/v1/clients/<id>/score spread
over both hosts by ``--concurrency`` threads, on client ids of its own, and prints:

* requests, 200s, 503s (JSON ``scoring_log_unavailable`` with Retry-After), anything else;
* cache hits / misses / errors, from the answers' ``X-Cache`` header (every worker of both hosts);
* the scoring log checked against the answers: rows of those clients vs scores served (200s),
  **lost** (a 200 without its row) and **extra** (a row without a 200: the database committed it
  but the answer was a 503, which a connection cut after COMMIT can cause), and rows that do not
  read back whole.

The Redis stop and the PostgreSQL stop happen mid-load (after a quarter of the requests) and the
service is started again a quarter later, so each phase also shows that the same processes serve
and log again without a restart. tests/test_multi_host.py runs the same code with the tiny model.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
KEY = "multi-host-key"


@dataclass
class Host:
    """One app host: a gunicorn master and its workers on a port of its own."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass(frozen=True)
class Answer:
    status: int             # -1: no answer (connection refused or cut)
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(host: Host, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None,
         timeout: float = 30) -> Answer:
    conn = http.client.HTTPConnection(HOST, host.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"X-API-Key": KEY, "Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    except OSError as exc:
        return Answer(-1, {}, str(exc).encode())
    finally:
        conn.close()


def free_port() -> int:
    from tests.services import free_port as _free_port

    return _free_port()


@contextmanager
def start_hosts(names: Sequence[str], *, model_dir: Path, data_dir: Path, database_url: str, redis_url: str,
                users_file: Path, workers: int = 1, prefix: str = "pad:", ready_timeout: float = 180,
                extra_env: dict[str, str] | None = None) -> Iterator[list[Host]]:
    """gunicorn hosts sharing ``database_url`` (scores, reviews, sign-ins and their failures) and ``redis_url`` (views' cache), one
    ``SECRET_KEY`` and one users file; each its own port and ``INSTANCE_DIR``. Started together."""
    secret = secrets.token_hex(32)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with tempfile.TemporaryDirectory(prefix="multi-host-") as tmp:
        hosts: list[Host] = []
        logs = []
        try:
            for name in names:
                instance = Path(tmp) / name
                instance.mkdir()
                port = free_port()
                env = dict(os.environ, MODEL_DIR=str(model_dir.resolve()), HOME_CREDIT_DIR=str(data_dir.resolve()),
                           INSTANCE_DIR=str(instance), USERS_FILE=str(users_file), API_KEYS=KEY, SECRET_KEY=secret,
                           DATABASE_URL=database_url, CACHE_URL=redis_url, CACHE_KEY_PREFIX=prefix,
                           DEBUG="0", HOST=HOST, PORT=str(port),
                           WORKERS=str(workers), LOG_LEVEL="warning", OMP_NUM_THREADS="1")
                env["PLAIN_HTTP_LOOPBACK"] = "1"        # plain HTTP on 127.0.0.1: a client keeps its session cookie
                env.update(extra_env or {})
                env.pop("SCORING_LOG", None)            # on: every score served is logged
                log = open(instance / "gunicorn.log", "wb")
                logs.append(log)
                proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "app:create_server()"], cwd=ROOT,
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
                hosts.append(Host(name, port, proc, instance / "gunicorn.log"))
            deadline = time.monotonic() + ready_timeout
            for host in hosts:
                while call(host, "GET", "/api/v1/health", timeout=2).status != 200:
                    if host.proc.poll() is not None:
                        raise RuntimeError(f"host {host.name} exited:\n{host.log_tail()}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"host {host.name} not ready after {ready_timeout:.0f} s:\n{host.log_tail()}")
                    time.sleep(0.2)
            yield hosts
        finally:
            for host in hosts:
                host.proc.send_signal(signal.SIGINT)    # quick shutdown: the load is over
            for host in hosts:
                try:
                    host.proc.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    host.proc.kill()
                    host.proc.wait()
            for log in logs:
                log.close()


# --------------------------------------------------------------------------- load

#: One step of a phase: after this many more answers, run this (stop or start a service).
Step = tuple[int, Callable[[], None]]


@dataclass
class Load:
    """What the clients saw."""

    served: Counter[int] = field(default_factory=Counter)     # 200s per client id
    statuses: Counter[int] = field(default_factory=Counter)
    cache: Counter[str] = field(default_factory=Counter)      # X-Cache of the 200s
    bad: list[str] = field(default_factory=list)              # neither a 200 nor the 503 of the choice made

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())


def _problem(answer: Answer) -> str | None:
    """Why an answer is neither a score nor the documented 503, or None."""
    if answer.status == 200:
        return None if answer.headers.get("x-cache") in ("hit", "miss", "error") else "200 without X-Cache"
    if answer.status != 503:
        return f"{answer.status}: {answer.body[:200]!r}"
    try:
        error = answer.json()["error"]
    except (ValueError, TypeError, KeyError):
        return f"503 not JSON: {answer.body[:200]!r}"
    # the file's reviews are read before the score (its decision after review), then the score is logged:
    # a database down answers 503 at either step, never a score without its reviews or its row
    if error.get("code") not in ("reviews_unavailable", "scoring_log_unavailable") \
            or not answer.headers.get("retry-after"):
        return f"503 {error} (Retry-After {answer.headers.get('retry-after')})"
    return None


def run_load(hosts: Sequence[Host], client_ids: Sequence[int], requests: int, concurrency: int,
             steps: Sequence[Step] = ()) -> Load:
    """``requests`` score requests, the i-th to host i mod len(hosts) for client i mod len(ids) (each id
    in both languages, so each answer is cached twice and asked several times), ``concurrency`` at once;
    ``steps`` run in a thread of their own while the load goes on (all of them, even if the load ends first)."""
    load, lock = Load(), threading.Lock()
    done = threading.Semaphore(0)

    def one(i: int) -> None:
        client = client_ids[i % len(client_ids)]
        lang = ("fr", "en")[(i // len(client_ids)) % 2]
        answer = call(hosts[i % len(hosts)], "GET", f"/api/v1/clients/{client}/score?lang={lang}")
        with lock:
            load.statuses[answer.status] += 1
            if answer.status == 200:
                load.served[client] += 1
                load.cache[answer.headers.get("x-cache", "?")] += 1
            if (problem := _problem(answer)) is not None:
                load.bad.append(f"{hosts[i % len(hosts)].name} client {client}: {problem}")
        done.release()

    def controller() -> None:
        for after, action in steps:
            for _ in range(after):
                if not done.acquire(timeout=120):
                    break
            action()

    ctl = threading.Thread(target=controller, daemon=True)
    ctl.start()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    for _ in steps:                  # the load ended: let the remaining steps run at once
        done.release()
    for _ in range(requests):
        done.release()
    ctl.join(timeout=120)
    return load


# --------------------------------------------------------------------------- the log checked

@dataclass(frozen=True)
class LogCheck:
    rows: int          # rows of the phase's clients written by the API
    served: int        # 200s
    lost: int          # 200s without their row
    extra: int         # rows without a 200
    broken: int        # rows that do not read back whole (features missing)


def check_log(database_url: str, load: Load, client_ids: Sequence[int], n_features: int) -> LogCheck:
    """The phase's clients' ``api`` rows, counted and read back through :class:`ScoringLog`."""
    from model.monitoring.scoring_log import ScoringLog
    from model.monitoring.store import engine_for

    wanted = set(client_ids)
    rows: Counter[int] = Counter()
    broken = 0
    for record in ScoringLog(engine_for(database_url)).read():
        if record.get("source") != "api" or record.get("client_id") not in wanted:
            continue
        rows[int(record["client_id"])] += 1
        features = record.get("features") or {}
        if len(features) != n_features or record.get("probability") is None:
            broken += 1
    lost = sum(max(0, n - rows[c]) for c, n in load.served.items())
    extra = sum(max(0, n - load.served[c]) for c, n in rows.items())
    return LogCheck(sum(rows.values()), sum(load.served.values()), lost, extra, broken)


def cache_figures(hosts: Sequence[Host]) -> dict[str, object]:
    """Each host's /api/v1/health ``cache`` (the figures of the worker that answered)."""
    out: dict[str, object] = {}
    for host in hosts:
        answer = call(host, "GET", "/api/v1/health", timeout=5)
        out[host.name] = answer.json().get("cache") if answer.status == 200 else answer.status
    return out


def report(name: str, load: Load, log: LogCheck, hosts: Sequence[Host]) -> None:
    other = {s: n for s, n in load.statuses.items() if s not in (200, 503)}
    print(f"{name}: requests {load.requests}, 200s {load.statuses[200]}, 503s {load.statuses[503]}, "
          f"other {other or 0}; cache (X-Cache) hits {load.cache['hit']}, misses {load.cache['miss']}, "
          f"errors {load.cache['error']}")
    print(f"{'':{len(name)}}  log: rows {log.rows} vs scores served {log.served}; lost {log.lost}, "
          f"extra {log.extra}, broken {log.broken}; unexpected answers {len(load.bad)}")
    print(f"{'':{len(name)}}  hosts' /api/v1/health cache (the answering worker's): {cache_figures(hosts)}")
    for line in load.bad[:5]:
        print(f"{'':{len(name)}}  ! {line}")


def main(argv: list[str] | None = None) -> int:
    from auth import add_user
    from benchmarks.serve import client_ids as model_client_ids
    from model.scoring import Scorer
    from tests.services import PrivatePostgres, PrivateRedis, create_database

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, default=ROOT / "artifacts" / "model")
    p.add_argument("--data-dir", type=Path, default=ROOT / "data" / "demo")
    p.add_argument("--requests", type=int, default=3000, help="per phase")
    p.add_argument("--concurrency", type=int, default=12)
    p.add_argument("--workers", type=int, default=1, help="gunicorn workers per host")
    p.add_argument("--clients", type=int, default=300, help="client ids per phase")
    args = p.parse_args(argv)
    n_features = len(Scorer.load(args.model_dir).features)
    ids = model_client_ids(args.model_dir)
    redis, pg = PrivateRedis(), PrivatePostgres()
    redis.start()
    pg.start()
    failures = 0
    try:
        database_url = create_database(pg.admin_url)
        with tempfile.TemporaryDirectory(prefix="multi-host-users-") as tmp:
            users = Path(tmp) / "users.json"
            add_user(users, "alice", secrets.token_urlsafe(12))
            t0 = time.monotonic()
            with start_hosts(["A", "B"], model_dir=args.model_dir, data_dir=args.data_dir, database_url=database_url,
                             redis_url=redis.url, users_file=users, workers=args.workers) as hosts:
                print(f"two hosts × {args.workers} worker(s) ready in {time.monotonic() - t0:.1f} s; "
                      f"{args.requests} requests per phase at concurrency {args.concurrency}, "
                      f"{args.clients} clients per phase")
                q = args.requests // 4
                phases: list[tuple[str, list[Step]]] = [
                    ("plain load    ", []), ("Redis stopped ", [(q, redis.stop), (q, redis.start)]),
                    ("PostgreSQL off", [(q, pg.stop), (q, pg.start)])]
                for k, (name, steps) in enumerate(phases):
                    phase_ids = ids[k * args.clients:(k + 1) * args.clients]
                    t = time.monotonic()
                    load = run_load(hosts, phase_ids, args.requests, args.concurrency, steps)
                    elapsed = time.monotonic() - t
                    log = check_log(database_url, load, phase_ids, n_features)
                    report(f"{name} ({elapsed:.1f} s)", load, log, hosts)
                    failures += log.lost + log.broken + len(load.bad)
                after = ids[3 * args.clients:3 * args.clients + 2]
                served = [call(h, "GET", f"/api/v1/clients/{c}/score").status for h, c in zip(hosts, after)]
                recheck = check_log(database_url, Load(served=Counter(after)), after, n_features)
                print(f"after the restarts: answers {served}, rows {recheck.rows} of 2, lost {recheck.lost}")
                failures += sum(s != 200 for s in served) + recheck.lost
                for host in hosts:           # the outages in the server's log: a line a minute, no traceback
                    text = host.log_tail(50_000_000)
                    print(f"host {host.name} log: {text.count('Traceback')} tracebacks, "
                          f"{text.count('view cache (redis)')} cache warnings, "
                          f"{text.count('database unavailable')} database warnings")
                    failures += text.count("Traceback")
    finally:
        redis.stop()
        pg.remove()
    print("OK" if not failures else f"FAILED: {failures} problems")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
