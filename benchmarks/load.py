"""Mixed load on a real gunicorn (``gunicorn.conf.py``), then the scoring log checked against the
scores served.

10,000 requests by default at concurrency 16: health, model card, known clients' scores,
``/predict`` bodies, and a few bad requests that must answer 4xx. Printed: counts by status,
unexpected answers (5xx, connection errors, non-JSON), p50/p95/p99 latency, and the scoring log
compared with the 200 scores served: ``lost`` (served, no row), ``duplicated`` (a row more than
served) and ``malformed`` (rows that do not read back or miss a field).

    python -m benchmarks.load                       # artifacts/model, data/demo, 2 workers
    python -m benchmarks.load --requests 2000 --workers 1 --model-dir /tmp/m --data-dir /tmp/d

``slow_clients.py`` and ``kill_worker.py`` start their server with :func:`start_server` here.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.serve import client_ids, free_port, uptime

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


@dataclass
class Server:
    port: int
    key: str
    instance: Path
    proc: subprocess.Popen[bytes]


@contextmanager
def start_server(model_dir: Path, data_dir: Path, workers: int, ready_timeout: float = 180) -> Iterator[Server]:
    """gunicorn -c gunicorn.conf.py 'app:create_server()' on a free loopback port, a tmp INSTANCE_DIR."""
    with tempfile.TemporaryDirectory(prefix="bench-instance-") as tmp:
        instance = Path(tmp)
        port, key = free_port(), secrets.token_hex(16)
        env = dict(os.environ, MODEL_DIR=str(model_dir.resolve()), HOME_CREDIT_DIR=str(data_dir.resolve()),
                   INSTANCE_DIR=str(instance), USERS_FILE=str(instance / "users.json"), API_KEYS=key,
                   SECRET_KEY=secrets.token_hex(16), DEBUG="0", HOST=HOST, PORT=str(port), WORKERS=str(workers),
                   LOG_LEVEL="warning", OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
        env.pop("SCORING_LOG", None)
        log = open(instance / "gunicorn.log", "wb")
        gunicorn = Path(sys.executable).with_name("gunicorn")
        proc = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py", "app:create_server()"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        server = Server(port, key, instance, proc)
        try:
            deadline = time.monotonic() + ready_timeout
            while request(server, "GET", "/api/v1/health", timeout=2)[0] != 200:
                if proc.poll() is not None:
                    raise SystemExit("gunicorn exited:\n" + (instance / "gunicorn.log").read_text()[-3000:])
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn not ready after {ready_timeout:.0f} s")
                time.sleep(0.5)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def request(server: Server, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
            timeout: float = 30) -> tuple[int, bytes, str]:
    """(status, body, content type); status -1 for a connection error."""
    headers = {"X-API-Key": server.key, "Connection": "close"}
    if content_type:
        headers["Content-Type"] = content_type
    conn = http.client.HTTPConnection(HOST, server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.getheader("Content-Type", "")
    except OSError as exc:
        return -1, str(exc).encode(), ""
    finally:
        conn.close()


@dataclass(frozen=True)
class Req:
    kind: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None
    expect_4xx: bool = False


def mix(model_dir: Path, data_dir: Path, n: int, seed: int = 1) -> list[Req]:
    """``n`` requests: 5 % health, 5 % model, 60 % known-client scores, 25 % predict, 5 % bad."""
    from data.load import load_tables
    from tests.helpers import request_body

    rng = random.Random(seed)
    ids = client_ids(model_dir)
    tables = load_tables(data_dir)
    known = set(int(i) for i in tables["application_train"]["SK_ID_CURR"]) | set(
        int(i) for i in tables["application_test"]["SK_ID_CURR"])
    body_ids = [i for i in rng.sample(ids, min(200, len(ids))) if i in known][:40]
    bodies = [json.dumps(request_body(tables, i)).encode() for i in body_ids]
    bad = [Req("bad", "GET", "/api/v1/clients/not-a-number/score", expect_4xx=True),
           Req("bad", "GET", "/api/v1/clients/1/score", expect_4xx=True),            # unknown client
           Req("bad", "POST", "/api/v1/predict", b"{not json", "application/json", expect_4xx=True),
           Req("bad", "POST", "/api/v1/predict", b"{}", "text/plain", expect_4xx=True),
           Req("bad", "GET", "/api/v1/nowhere", expect_4xx=True)]
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(Req("health", "GET", "/api/v1/health"))
        elif r < 0.10:
            out.append(Req("model", "GET", "/api/v1/model"))
        elif r < 0.70:
            out.append(Req("score", "GET", f"/api/v1/clients/{rng.choice(ids)}/score"))
        elif r < 0.95 and bodies:
            out.append(Req("predict", "POST", "/api/v1/predict", rng.choice(bodies), "application/json"))
        else:
            out.append(rng.choice(bad))
    return out


@dataclass
class Results:
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    #: (source, client_id, probability) of every 200 score served
    served: Counter[tuple[str, int | None, float]] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    def pct(self, q: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, max(0, int(round(q * len(xs))) - 1))] if xs else float("nan")


def run(server: Server, reqs: list[Req], concurrency: int, stop: Callable[[], bool] = lambda: False) -> Results:
    res = Results()
    lock = threading.Lock()
    it = iter(reqs)

    def worker() -> None:
        while not stop():
            with lock:
                r = next(it, None)
            if r is None:
                return
            t0 = time.perf_counter()
            status, body, ctype = request(server, r.method, r.path, r.body, r.content_type)
            ms = (time.perf_counter() - t0) * 1e3
            problem = None
            payload = None
            if status == -1:
                problem = "connection error"
            elif status >= 500:
                problem = f"{status}"
            elif not ctype.startswith("application/json"):
                problem = f"non-JSON {status}"
            else:
                try:
                    payload = json.loads(body)
                except ValueError:
                    problem = f"invalid JSON {status}"
            if problem is None and (r.expect_4xx != (400 <= status < 500)):
                problem = f"{r.kind} answered {status}"
            with lock:
                res.statuses[status] += 1
                res.latencies_ms.append(ms)
                if problem:
                    res.unexpected[problem] += 1
                if status == 200 and r.kind in ("score", "predict") and isinstance(payload, dict):
                    source = "api" if r.kind == "score" else "api-predict"
                    res.served[(source, payload.get("client_id"), round(float(payload["probability"]), 9))] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res.elapsed_s = time.perf_counter() - t0
    return res


@dataclass
class LogCheck:
    rows: int
    lost: int
    duplicated: int
    malformed: int


def check_log(server: Server, model_dir: Path, served: Counter[tuple[str, int | None, float]]) -> LogCheck:
    """The scoring log's rows against the scores served (a multiset on source, client, probability)."""
    from model.monitoring.scoring_log import ScoringLog
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(server.instance), "MODEL_DIR": str(model_dir)})
    log = ScoringLog.from_settings(settings)
    rows: Counter[tuple[str, int | None, float]] = Counter()
    malformed = 0
    for rec in log.read():
        try:
            prob = float(rec["probability"])
            ok = (0 <= prob <= 1 and rec.get("decision") and rec.get("model_version") and rec.get("timestamp")
                  and isinstance(rec.get("features"), dict) and rec["features"])
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            malformed += 1
            continue
        cid = rec.get("client_id")
        rows[(str(rec["source"]), None if cid is None else int(cid), round(prob, 9))] += 1
    lost = sum((served - rows).values())
    duplicated = sum((rows - served).values())
    return LogCheck(sum(rows.values()) + malformed, lost, duplicated, malformed)


def report(res: Results, check: LogCheck | None) -> None:
    n = sum(res.statuses.values())
    print(f"requests: {n} in {res.elapsed_s:.1f} s ({n / res.elapsed_s:.0f} req/s)")
    print("by status: " + ", ".join(f"{k}: {v}" for k, v in sorted(res.statuses.items())))
    print("unexpected: " + (", ".join(f"{k}: {v}" for k, v in res.unexpected.most_common()) or "none"))
    print(f"latency ms: p50={res.pct(0.5):.1f} p95={res.pct(0.95):.1f} p99={res.pct(0.99):.1f} "
          f"max={max(res.latencies_ms, default=float('nan')):.1f}")
    if check is not None:
        print(f"scoring log: served 200 scores={sum(res.served.values())} rows={check.rows} lost={check.lost} "
              f"duplicated={check.duplicated} malformed={check.malformed}")


def common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-dir", type=Path, default=ROOT / "artifacts" / "model")
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("HOME_CREDIT_DIR", ROOT / "data" / "demo")))
    p.add_argument("--workers", type=int, default=2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common_args(p)
    p.add_argument("--requests", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, default=16)
    a = p.parse_args(argv)
    reqs = mix(a.model_dir, a.data_dir, a.requests)
    print(uptime())
    with start_server(a.model_dir, a.data_dir, a.workers) as server:
        res = run(server, reqs, a.concurrency)
        time.sleep(0.5)
        check = check_log(server, a.model_dir, res.served)
    report(res, check)
    print(uptime())
    return 1 if res.unexpected or check.lost or check.duplicated or check.malformed else 0


if __name__ == "__main__":
    sys.exit(main())
