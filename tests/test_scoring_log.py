"""The score store: every served score is one row, none lost under concurrent writers (processes and a
real gunicorn), rows read back as the records they were, a client's history, the legacy JSON Lines
log imported once, append-only by trigger, and the same schema on PostgreSQL."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
import sqlalchemy as sa

from model.monitoring import scoring_log as scoring_log_module
from model.monitoring import store
from model.monitoring.scoring_log import LegacyLogError, ScoreEvent, ScoringLog, record_from_payload
from model.monitoring.store import SCHEMA_VERSION, StoreError, create_store_engine, engine_for, normalise_url
from tests.services import pg_url  # noqa: F401  (the PostgreSQL fixture; test_retention imports it from here)

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = {"client_id": 7, "model_version": "v1", "probability": 0.2, "threshold": 0.1, "decision": "refused",
           "grade": "D"}


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def log(tmp_path) -> ScoringLog:
    return ScoringLog(engine_for(_url(tmp_path / "product.db")))


def _at(entry: dict, moment: datetime) -> dict:
    return {**entry, "timestamp": moment.isoformat(timespec="milliseconds")}


# --------------------------------------------------------------------------- round trip, history

def test_a_record_reads_back_as_the_same_dict(log):
    features = pd.DataFrame({"A": [float("nan")], "B": [2.5], "C": pd.Categorical(["M"])})
    entry = record_from_payload(PAYLOAD, features, "api")
    assert entry["features"] == {"A": None, "B": 2.5, "C": "M"}
    log.append(entry)
    assert list(log.read()) == [entry]                      # same keys, values, timestamp text
    assert list(next(log.read())) == list(entry)            # ... and the same key order
    assert log.count() == 1 and log.enabled


def test_logging_off_stores_nothing_and_fails_nowhere():
    off = ScoringLog(None)
    off.append(record_from_payload(PAYLOAD, None, "api"))
    assert not off.enabled and list(off.read()) == [] and off.history(7) == [] and off.count() == 0


def test_read_a_period_in_time_order(log):
    start = datetime(2026, 11, 1, tzinfo=UTC)
    # written out of order: reading sorts by time
    for day in (5, 1, 30, 2, 31):
        log.append(_at(record_from_payload({**PAYLOAD, "client_id": day}, {"A": day}, "api"),
                       start + timedelta(days=day - 1)))
    assert [r["client_id"] for r in log.read()] == [1, 2, 5, 30, 31]
    # [since, until): day 31 is at "until" exactly, excluded
    assert [r["client_id"] for r in log.read(since=start + timedelta(days=1), until=start + timedelta(days=30))] \
        == [2, 5, 30]
    assert [r["client_id"] for r in log.read(until=start + timedelta(days=1))] == [1]
    # a bound in another time zone is the same instant
    paris = start.astimezone(ZoneInfo("Europe/Paris"))
    assert [r["client_id"] for r in log.read(since=paris + timedelta(days=30))] == [31]


def test_history_is_one_clients_scores_newest_first(log):
    t0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
    for i, (client, source) in enumerate([(7, "api"), (8, "api"), (7, "dashboard"), (7, "api-predict"),
                                          (8, "dashboard")]):
        log.append(_at(record_from_payload({**PAYLOAD, "client_id": client, "probability": i / 10}, {}, source),
                       t0 + timedelta(hours=i)))
    history = log.history(7)
    assert [e.source for e in history] == ["api-predict", "dashboard", "api"]
    assert [e.probability for e in history] == [0.3, 0.2, 0.0]
    assert history[0] == ScoreEvent(timestamp=t0 + timedelta(hours=3), source="api-predict", model_version="v1",
                                    probability=0.3, grade="D", decision="refused", threshold=0.1)
    assert history[0].timestamp.tzinfo is not None
    assert [e.probability for e in log.history(7, limit=2)] == [0.3, 0.2]
    assert log.history(999) == []


# --------------------------------------------------------------------------- concurrent writers

def _writer(url: str, worker: int, n: int) -> None:
    log = ScoringLog(create_store_engine(url))           # each process its own engine, as a worker
    features = {"A": float(worker), "B": "x" * 3000}      # rows larger than a page: overflow pages too
    for i in range(n):
        log.append(record_from_payload({**PAYLOAD, "client_id": worker * 1000 + i}, features, "test"))


@pytest.mark.slow
def test_four_processes_appending_at_once_lose_and_duplicate_nothing(tmp_path):
    url = _url(tmp_path / "product.db")
    ctx = mp.get_context("spawn")                         # fresh interpreters: nothing shared but the file
    procs = [ctx.Process(target=_writer, args=(url, w, 200)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    records = list(ScoringLog(engine_for(url)).read())
    assert len(records) == 800
    assert sorted(r["client_id"] for r in records) == sorted(w * 1000 + i for w in range(4) for i in range(200))
    assert all(r["features"]["A"] == r["client_id"] // 1000 and len(r["features"]["B"]) == 3000 for r in records)


def test_sqlite_connections_use_wal_and_a_busy_timeout(log):
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store.SQLITE_BUSY_MS
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1          # NORMAL: scores do not wait
    with store.writing(log.engine, durable=True) as conn:                            # ... reviews and imports do
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2          # FULL
    with log.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1          # and the pooled one is reset


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_with_three_workers_logs_every_request_once(tiny_model_dir, tiny_scorer, demo_data_dir, tmp_path):
    """A real server: three workers start at once on an empty database (the schema is created once)
    beside a legacy log (imported once, not three times), then serve concurrent requests; the store
    holds exactly one row per score answered, plus the legacy records."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed")
    legacy = _legacy_file(tmp_path / "scoring_log.jsonl", 30)
    port = _free_port()
    env = {**os.environ, "MODEL_DIR": str(tiny_model_dir), "HOME_CREDIT_DIR": str(demo_data_dir),
           "INSTANCE_DIR": str(tmp_path), "API_KEYS": "k", "SECRET_KEY": "s" * 32, "DRIFT_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("SCORING_LOG", None)
    server = subprocess.Popen([str(gunicorn), "--workers", "3", "--bind", f"127.0.0.1:{port}", "--timeout", "120",
                               "app:create_server()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise AssertionError(f"gunicorn did not start: {server.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.5)
        clients = [int(i) for i in tiny_scorer.population.index[:40]]

        def get(client: int) -> int:
            req = urllib.request.Request(f"{base}/api/v1/clients/{client}/score", headers={"X-API-Key": "k"})
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(get, clients * 5))       # 200 requests, 12 at a time
        assert statuses == [200] * 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    records = list(ScoringLog(engine_for(_url(tmp_path / "product.db"))).read())
    assert len(records) == 230
    assert records[:30] == legacy                                  # the legacy log, once, oldest first
    served = records[30:]
    assert sorted(r["client_id"] for r in served) == sorted(clients * 5)
    assert {r["source"] for r in served} == {"api"}
    assert (tmp_path / "scoring_log.jsonl.imported").exists() and not (tmp_path / "scoring_log.jsonl").exists()


# --------------------------------------------------------------------------- append-only

def test_scores_are_never_updated_nor_deleted(log):
    log.append(record_from_payload(PAYLOAD, {"A": 1}, "api"))
    for statement in ("UPDATE scores SET decision = 'granted'", "DELETE FROM scores"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), log.engine.begin() as conn:
            conn.exec_driver_sql(statement)
    assert [r["decision"] for r in log.read()] == ["refused"] and log.count() == 1


# --------------------------------------------------------------------------- schema

def test_schema_version_is_checked_and_a_second_start_reuses_the_schema(tmp_path):
    url = _url(tmp_path / "product.db")
    first = create_store_engine(url)
    ScoringLog(first).append(record_from_payload(PAYLOAD, {}, "api"))
    second = create_store_engine(url)                       # a second worker: no error, same rows
    assert ScoringLog(second).count() == 1
    with first.connect() as conn:
        assert conn.execute(sa.select(store.schema_version.c.version)).scalar_one() == SCHEMA_VERSION
    # a database written by a future version is refused, not written into
    raw = sa.create_engine(url)
    with raw.begin() as conn:
        conn.execute(sa.update(store.schema_version).values(version=SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}"):
        create_store_engine(url)
    # a database of someone else's tables with our names is refused too
    other = tmp_path / "other.db"
    with sa.create_engine(_url(other)).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE scores (x INTEGER)")
    with pytest.raises(StoreError, match="no schema version"):
        create_store_engine(_url(other))


def test_urls_and_settings(tmp_path):
    from settings import ROOT as SETTINGS_ROOT
    from settings import Settings, get_settings

    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("sqlite:///x.db").drivername == "sqlite"
    assert get_settings({}).database_url == f"sqlite:///{SETTINGS_ROOT / 'instance' / 'product.db'}"
    assert get_settings({"INSTANCE_DIR": str(tmp_path)}).database_url == f"sqlite:///{tmp_path.resolve()}/product.db"
    assert get_settings({"DATABASE_URL": "postgresql://u@h/db"}).database_url == "postgresql://u@h/db"
    # built by hand (tests, benchmarks): the database and the legacy log follow instance_dir
    by_hand = Settings(instance_dir=tmp_path)
    assert by_hand.database_url == f"sqlite:///{tmp_path}/product.db"
    assert by_hand.scoring_log == tmp_path / "scoring_log.jsonl"
    assert get_settings({"SCORING_LOG": "off"}).scoring_log is None


# --------------------------------------------------------------------------- legacy JSON Lines log

def _legacy_file(path: Path, n: int) -> list[dict]:
    t0 = datetime(2026, 10, 1, 8, tzinfo=UTC)
    entries = [_at(record_from_payload({**PAYLOAD, "client_id": 100 + i}, {"A": float(i), "B": None}, "dashboard"),
                   t0 + timedelta(minutes=i)) for i in range(n)]
    path.write_text("".join(json.dumps(e) + "\n" for e in entries) + '{"timestamp": "2026-10-0', encoding="utf-8")
    return entries


def test_a_legacy_log_is_imported_once(log, tmp_path):
    legacy = tmp_path / "scoring_log.jsonl"
    entries = _legacy_file(legacy, 25)
    kept = legacy.read_bytes()
    assert log.import_jsonl(legacy) == 25                   # the truncated last line is skipped
    assert not legacy.exists() and (tmp_path / "scoring_log.jsonl.imported").exists()
    assert log.import_jsonl(legacy) == 0                    # second run: nothing
    legacy.write_bytes(kept)                                # the same file put back (a restored backup)
    assert log.import_jsonl(legacy) == 0 and log.count() == 25
    assert list(log.read()) == entries


def test_a_bad_legacy_line_imports_nothing(log, tmp_path):
    legacy = tmp_path / "bad.jsonl"
    _legacy_file(legacy, 3)
    legacy.write_text("not json\n" + legacy.read_text())
    with pytest.raises(LegacyLogError, match="line 1 is not valid JSON"):
        log.import_jsonl(legacy)
    legacy.write_text('{"timestamp": "2026-10-01T08:00:00+00:00", "source": "api"}\n{"a": 1}\n')
    with pytest.raises(LegacyLogError, match="line 1 is not a scoring record"):
        log.import_jsonl(legacy)
    assert log.count() == 0 and legacy.exists()


def test_the_legacy_log_is_imported_when_the_server_starts(tmp_path):
    from settings import get_settings

    _legacy_file(tmp_path / "scoring_log.jsonl", 12)
    settings = get_settings({"INSTANCE_DIR": str(tmp_path)})
    started = ScoringLog.from_settings(settings)
    assert started.count() == 12 and (tmp_path / "scoring_log.jsonl.imported").exists()
    assert ScoringLog.from_settings(settings).count() == 12       # a restart adds nothing
    off = ScoringLog.from_settings(get_settings({"INSTANCE_DIR": str(tmp_path), "SCORING_LOG": "off"}))
    assert not off.enabled


def test_cli_import_and_stats(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    legacy = tmp_path / "old.jsonl"
    _legacy_file(legacy, 40)
    assert scoring_log_module.main(["import", str(legacy)]) == 0
    assert "imported 40 records" in capsys.readouterr().out
    assert scoring_log_module.main(["stats"]) == 0
    out = capsys.readouterr().out
    assert "rows: 40" in out and "first score: 2026-10-01T08:00:00+00:00" in out
    assert "last score: 2026-10-01T08:39:00+00:00" in out and "bytes per score:" in out and "file size:" in out
    assert scoring_log_module.main(["import", str(tmp_path / "nope.jsonl")]) == 2


# --------------------------------------------------------------------------- PostgreSQL

def test_postgresql_round_trip_history_import_and_append_only(pg_url, tmp_path):
    from model.decision import DecisionRule
    from model.explain import Explanation
    from model.monitoring.reviews import ReviewStore
    from model.scoring import Score

    engine = create_store_engine(pg_url)                        # plain postgresql:// → psycopg 3
    try:
        assert engine.dialect.driver == "psycopg"
        log = ScoringLog(engine)
        t0 = datetime(2026, 11, 3, 10, tzinfo=UTC)
        entries = [_at(record_from_payload({**PAYLOAD, "client_id": 7 + i % 2}, {"A": i, "C": "M", "N": None}, "api"),
                       t0 + timedelta(hours=i)) for i in range(5)]
        for e in reversed(entries):
            log.append(e)
        assert list(log.read()) == entries
        assert [e.timestamp for e in log.history(7)] == [t0 + timedelta(hours=h) for h in (4, 2, 0)]
        assert [r["client_id"] for r in log.read(since=t0 + timedelta(hours=1), until=t0 + timedelta(hours=3))] \
            == [8, 7]
        legacy = tmp_path / "scoring_log.jsonl"
        _legacy_file(legacy, 10)
        assert log.import_jsonl(legacy) == 10 and log.count() == 15
        stats = log.stats()
        assert stats.rows == 15 and stats.first == datetime(2026, 10, 1, 8, tzinfo=UTC) and stats.file_bytes is None
        score = Score(7, 0.4, DecisionRule(0.3, 0.25, 0.35), "E", "v1", Explanation(0.0, 0.0, ()))
        review = ReviewStore(engine).add(7, "alice", "override", "granted", "Revenus vérifiés", score)
        assert ReviewStore(engine).for_client(7) == [review]
        for table in ("scores", "reviews"):
            for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}"):
                with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
                    conn.exec_driver_sql(statement)
        assert log.count() == 15
        assert ScoringLog(create_store_engine(pg_url)).count() == 15      # a second start: schema checked
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the app logs every score

def test_api_and_dashboard_scores_are_logged(tiny_scorer, tmp_path):
    from app import create_app
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(tmp_path), "API_KEYS": "k", "MODEL_DIR": str(tmp_path)})
    app = create_app(settings, tiny_scorer)
    client = app.server.test_client()
    ids = [int(i) for i in tiny_scorer.population.index[:3]]
    for i in ids + ids[:1]:                                     # the repeat is served from cache, logged too
        assert client.get(f"/api/v1/clients/{i}/score", headers={"X-API-Key": "k"}).status_code == 200
    records = list(ScoringLog(engine_for(settings.database_url)).read())
    assert [r["client_id"] for r in records] == ids + ids[:1]
    assert set(records[0]["features"]) == set(tiny_scorer.features)
    assert records[0]["probability"] == tiny_scorer.score_client(ids[0]).probability
    assert (tmp_path / "product.db").exists()

