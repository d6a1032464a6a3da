"""The production server: gunicorn with ``gunicorn.conf.py`` (gevent worker, JSON errors) and the
chunked-body limit of ``serving.ChunkedBodyLimit``.

One real gunicorn (one worker, on purpose: idle clients must not take it) serves the tiny model
for the whole module; the middleware is also checked through Flask's test client.
"""
from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from settings import ROOT, Settings
from tests.helpers import request_body

KEY = "server-test-key-0123456789"
LIMIT = 256 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def raw(port: int, data: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is and read the whole answer (the server closes the connection)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                part = s.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            chunks.append(part)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    return int(lines[0].split()[1]), headers, body


def assert_json_error(status: int, headers: dict[str, str], body: bytes, expected: int | tuple[int, ...]) -> dict:
    assert status in ((expected,) if isinstance(expected, int) else expected), body[:300]
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "field"} and error["field"] is None
    assert b"<html" not in body.lower()
    return dict(error)


@pytest.fixture(scope="module")
def gunicorn(tiny_model_dir, demo_data_dir, records_cache_dir, tmp_path_factory):
    instance = tmp_path_factory.mktemp("server-instance")
    port = free_port()
    env = dict(os.environ, MODEL_DIR=str(tiny_model_dir), HOME_CREDIT_DIR=str(demo_data_dir),
               INSTANCE_DIR=str(instance), RECORDS_CACHE_DIR=str(records_cache_dir),
               USERS_FILE=str(instance / "users.json"), API_KEYS=KEY,
               SECRET_KEY=secrets.token_hex(16), DEBUG="0", HOST="127.0.0.1", PORT=str(port), WORKERS="1",
               OMP_NUM_THREADS="1")
    env.pop("SCORING_LOG", None)   # on: every score served is logged
    log = open(instance / "gunicorn.log", "wb")
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn_bin), "-c", "gunicorn.conf.py", "app:create_server()"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 40
    while True:
        assert proc.poll() is None, (instance / "gunicorn.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "gunicorn not ready"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.3)
    yield port, instance / "gunicorn.log"
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def call(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 20) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"X-API-Key": KEY, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read()
    finally:
        conn.close()


def test_a_start_prints_no_warning(gunicorn):
    """Issue 29: every start printed gevent's MonkeyPatchWarning (ssl imported before the patch), the first
    thing a newcomer reads; gunicorn.conf.py now patches before anything imports ssl."""
    _, log = gunicorn
    text = log.read_text()
    assert "Booting worker" in text
    assert "Warning" not in text and "Traceback" not in text, text[-3000:]


def test_idle_connections_do_not_block_health(gunicorn):
    port, _ = gunicorn
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    try:
        for s in idle:
            s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")   # headers never finished
        time.sleep(0.2)
        t0 = time.perf_counter()
        status, _, _ = call(port, "GET", "/api/v1/health", timeout=5)
        assert status == 200
        assert time.perf_counter() - t0 < 1.0
    finally:
        for s in idle:
            s.close()


def chunked(path: str, payload: bytes, chunk: int = 64 * 1024) -> bytes:
    parts = [f"POST {path} HTTP/1.1\r\nHost: x\r\nX-API-Key: {KEY}\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()]
    for i in range(0, len(payload), chunk):
        piece = payload[i:i + chunk]
        parts.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


def test_chunked_body_over_the_limit_is_413_json(gunicorn):
    port, _ = gunicorn
    # valid JSON, then spaces past the limit, then garbage: was cut at the limit and answered 200
    payload = b'{"application": {}}' + b" " * (300 * 1024) + b"garbage"
    status, headers, body = raw(port, chunked("/api/v1/predict", payload))
    assert assert_json_error(status, headers, body, 413)["code"] == "payload_too_large"


def test_chunked_body_under_the_limit_is_read_whole(gunicorn, demo_data_dir):
    from data.load import load_tables

    port, _ = gunicorn
    tables = load_tables(demo_data_dir)
    cid = int(tables["application_test"]["SK_ID_CURR"].iloc[0])
    payload = json.dumps(request_body(tables, cid)).encode()
    status, headers, body = raw(port, chunked("/api/v1/predict", payload, chunk=1000))
    assert status == 200, body[:300]
    assert "probability" in json.dumps(json.loads(body))


def test_request_line_too_long_is_json(gunicorn):
    port, log = gunicorn
    # beyond gunicorn's own bound (8,190 bytes): gunicorn answers, in JSON whatever the path
    status, headers, body = raw(port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert_json_error(status, headers, body, (400, 414))
    assert "Traceback" not in log.read_text()


def whole_answer(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data``, then read the whole answer (its Content-Length, or to the end when it has none); a
    connection reset fails the test. A kept-alive connection is not waited on until its keep-alive ends."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        time.sleep(0.05)                     # a client busy elsewhere: the answer must still be there
        received = b""
        while b"\r\n\r\n" not in received and (part := s.recv(65536)):
            received += part
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        length = int(headers["content-length"]) if "content-length" in headers else None
        while (length is None or len(body) < length) and (part := s.recv(65536)):
            body += part
    return int(lines[0].split()[1]), headers, body


def test_api_request_line_over_4_kb_is_414_json_never_a_reset(gunicorn):
    """Issue 28, item 10. Before: gunicorn's 400 malformed_request from 4,095 bytes, and a connection reset
    from 8 KB on. Now the app answers 414 up to gunicorn's 8,190 bytes, gunicorn itself beyond, both in
    the API's JSON shape, and the connection is closed only once the request is read (no reset)."""
    port, log = gunicorn
    for size in (4_200, 8_190, 9_000, 100_000):
        for path in (b"/api/v1/clients/100002/score?pad=", b"/api/v1/health?"):
            line = b"GET " + path + b"a" * (size - len(path) - 13) + b" HTTP/1.1"
            assert len(line) == size
            status, headers, body = whole_answer(port, line + f"\r\nHost: x\r\nX-API-Key: {KEY}\r\n\r\n".encode())
            assert assert_json_error(status, headers, body, 414)["code"] == "uri_too_long", (size, path)
    status, headers, body = whole_answer(port, b"GET /?" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 414 and headers["content-type"].startswith("text/plain")      # a page: plain text
    assert "Traceback" not in log.read_text()


def test_scores_over_gunicorn_are_never_stored_and_carry_hsts(gunicorn, tiny_model_dir):
    """Issue 28, item 10: the secure defaults of a server started as production starts it (no setting)."""
    import pandas as pd

    from model.artifact import SCORES_FILE, resolve_version_dir

    port, _ = gunicorn
    cid = int(pd.read_parquet(resolve_version_dir(tiny_model_dir) / SCORES_FILE, columns=[]).index[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", f"/api/v1/clients/{cid}/score", headers={"X-API-Key": KEY})
        resp = conn.getresponse()
        resp.read()
    finally:
        conn.close()
    assert resp.status == 200
    assert resp.getheader("Cache-Control") == "no-store" and resp.getheader("Pragma") == "no-cache"
    assert resp.getheader("Strict-Transport-Security", "").startswith("max-age=")


def test_bad_content_length_is_json_400(gunicorn):
    port, log = gunicorn
    status, headers, body = raw(port, b"POST /api/v1/predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}")
    assert_json_error(status, headers, body, 400)
    status, headers, body = raw(port, b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")
    assert_json_error(status, headers, body, 400)
    too_many = b"".join(b"X-H%d: v\r\n" % i for i in range(150))
    status, headers, body = raw(port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + too_many + b"\r\n")
    assert_json_error(status, headers, body, (400, 431))
    assert "Traceback" not in log.read_text()


def test_predict_and_known_client_score_still_200(gunicorn, tiny_model_dir, demo_data_dir):
    import pandas as pd

    from data.load import load_tables
    from model.artifact import SCORES_FILE, resolve_version_dir

    port, _ = gunicorn
    cid = int(pd.read_parquet(resolve_version_dir(tiny_model_dir) / SCORES_FILE, columns=[]).index[0])
    status, ctype, body = call(port, "GET", f"/api/v1/clients/{cid}/score")
    assert status == 200 and ctype.startswith("application/json"), body[:300]
    tables = load_tables(demo_data_dir)
    payload = json.dumps(request_body(tables, cid)).encode()
    status, _, body = call(port, "POST", "/api/v1/predict", payload, {"Content-Type": "application/json"})
    assert status == 200, body[:300]


def _timed(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=40)
    try:
        conn.request(method, path, body=body, headers={"X-API-Key": KEY, "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read(), time.perf_counter() - t0
    finally:
        conn.close()


def test_a_write_lock_held_by_another_process_is_a_503_in_time_and_health_answers(gunicorn, tiny_model_dir,
                                                                                   demo_data_dir):
    """Issue 28 item 1: SQLite's own busy wait froze the gevent worker for as long as another process held
    the lock (health included); now a write waits at most 1 s without freezing the worker, then 503."""
    from concurrent.futures import ThreadPoolExecutor

    from data.load import load_tables
    from model.artifact import SCORES_FILE, resolve_version_dir

    port, log = gunicorn
    cid = int(pd_index_first(resolve_version_dir(tiny_model_dir) / SCORES_FILE))
    payload = json.dumps(request_body(load_tables(demo_data_dir), cid)).encode()
    assert _timed(port, "POST", "/api/v1/predict", payload)[0] == 200      # the database is usable before
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\ntime.sleep(float(sys.argv[2]))", str(log.parent / "product.db"), "8"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with ThreadPoolExecutor(3) as pool:
            writes = [pool.submit(_timed, port, "POST", "/api/v1/predict", payload) for _ in range(3)]
            time.sleep(0.05)
            health_times = []
            while not all(w.done() for w in writes):
                status, _, _, elapsed = _timed(port, "GET", "/api/v1/health")
                assert status == 200
                health_times.append(elapsed)
                time.sleep(0.01)
            answered = [w.result() for w in writes]
        for status, headers, body, elapsed in answered:
            assert status == 503, body[:300]
            assert json.loads(body)["error"]["code"] == "scoring_log_unavailable"
            assert int(headers["retry-after"]) > 0
            assert elapsed < 3.0, elapsed       # the issue: every request answered within 3 s
        # health p95 under a second (the p99 goal, measured by benchmarks/db_lock.py on 400 probes)
        assert sorted(health_times)[int(0.95 * len(health_times))] < 1.0 and max(health_times) < 3.0, health_times
        store = json.loads(_timed(port, "GET", "/api/v1/health")[2])["store"]
        assert store["status"] == "unavailable" and "locked" in store["reason"]
    finally:
        holder.kill()
        holder.wait()
    assert _timed(port, "POST", "/api/v1/predict", payload)[0] == 200      # the lock gone, scores again
    assert json.loads(_timed(port, "GET", "/api/v1/health")[2])["store"] == {"status": "ok"}
    assert "Traceback" not in log.read_text()


def pd_index_first(path: Path) -> int:
    import pandas as pd
    return int(pd.read_parquet(path, columns=[]).index[0])


# --- the middleware alone, through Flask's test client -------------------------------------------

@pytest.fixture()
def test_client(tmp_path, tiny_model_dir, tiny_scorer):
    from app import create_flask

    settings = Settings(instance_dir=tmp_path, users_file=tmp_path / "users.json", api_keys=(KEY,),
                        model_dir=tiny_model_dir, secret_key="s" * 32)
    server, _ = create_flask(settings, tiny_scorer)

    server.config["LOGIN_DISABLED"] = True   # the page below stands for any signed-in POST (a Dash callback)

    @server.post("/echo")
    def echo():
        from flask import request
        return str(len(request.get_data()))

    return server.test_client()


def unsized(client, path: str, payload: bytes, **kw):
    """A body without Content-Length, as a server passes a chunked one."""
    import io
    return client.post(path, input_stream=io.BytesIO(payload), headers={"X-API-Key": KEY, "Transfer-Encoding": "chunked",
                                                                        **kw.pop("headers", {})},
                       environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True}, **kw)


def test_middleware_refuses_unsized_body_over_limit(test_client):
    resp = unsized(test_client, "/api/v1/predict", b"{}" + b" " * (LIMIT + 10), content_type="application/json")
    assert resp.status_code == 413 and resp.mimetype == "application/json"
    assert resp.get_json()["error"]["code"] == "payload_too_large"
    resp = unsized(test_client, "/echo", b"x" * (LIMIT + 1))
    assert resp.status_code == 413 and resp.mimetype == "text/plain"


def test_middleware_passes_unsized_body_at_limit_whole(test_client):
    resp = unsized(test_client, "/echo", b"x" * LIMIT)
    assert resp.status_code == 200 and resp.get_data(as_text=True) == str(LIMIT)
