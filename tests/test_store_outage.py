"""One database-outage policy (issue 29) and a lock held by another process (issue 28, item 1), in
process: :func:`services.store_outage` turns an outage into :class:`services.StoreUnavailable` and
lets a bug through; every web site uses it; a write waits for another process's lock without blocking
and gives up after ``STORE_WAIT_S``; a review sent meanwhile is refused with words, nothing recorded."""
from __future__ import annotations

import ast
import json
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError

from benchmarks.fuzz_callbacks import build_app, dependencies, signed_in_client
from layouts import ids
from model.monitoring import store
from model.monitoring.store import engine_for, health_of, reviews, writing
from model.text.strings import t
from services import StoreUnavailable, store_outage
from settings import ROOT


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))


def test_an_outage_becomes_store_unavailable_and_a_bug_goes_through():
    with pytest.raises(StoreUnavailable) as caught, store_outage("reviews not recorded"):
        raise _locked()
    assert caught.value.refused == "reviews not recorded" and caught.value.retry_after > 0
    with pytest.raises(ProgrammingError), store_outage("reviews not recorded"):
        raise ProgrammingError("SELECT nope", {}, Exception("no such column"))


def test_no_web_module_catches_a_database_error_by_itself():
    """The policy has one home: api/, callbacks/, auth.py and app.py go through services.store_outage."""
    web = [ROOT / "auth.py", ROOT / "app.py", *(ROOT / "api").glob("*.py"), *(ROOT / "callbacks").glob("*.py")]
    offenders = []
    for path in web:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.type is not None and "SQLAlchemyError" in ast.unparse(node.type):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "product.db"
    engine_for(f"sqlite:///{path}")
    return path


def _hold_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)   # another process's connection
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_a_write_waits_for_another_lock_in_tries_that_never_block_then_gives_up(database, monkeypatch):
    engine = engine_for(f"sqlite:///{database}")
    pauses: list[float] = []
    real_sleep = time.sleep
    monkeypatch.setattr(store.time, "sleep", lambda s: (pauses.append(s), real_sleep(s)))
    other = _hold_lock(database)
    try:
        t0 = time.perf_counter()
        with pytest.raises(OperationalError, match="locked"), writing(engine, wait_s=0.5):
            pass
        waited = time.perf_counter() - t0
    finally:
        other.rollback()
        other.close()
    assert 0.4 < waited < 0.8, waited
    # the waiting was done in cooperative pauses (gevent's sleep in a worker), not in SQLite's busy wait
    assert len(pauses) >= 4 and sum(pauses) > 0.3 * waited
    assert health_of(engine).to_dict()["status"] == "unavailable"
    with writing(engine) as conn:                                  # the lock gone: at once
        conn.exec_driver_sql("SELECT 1")
    assert health_of(engine).to_dict() == {"status": "ok"}
    with engine.connect() as conn:                                 # the connection's own busy wait is back
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store.SQLITE_BUSY_MS


def test_a_lock_released_while_waiting_lets_the_write_through(database):
    import threading

    engine = engine_for(f"sqlite:///{database}")
    other = _hold_lock(database)
    threading.Timer(0.3, lambda: (other.rollback(), other.close())).start()
    with writing(engine, wait_s=3) as conn:
        conn.exec_driver_sql("SELECT 1")


def test_readers_never_wait_for_a_writer(database):
    engine = engine_for(f"sqlite:///{database}")
    other = _hold_lock(database)
    try:
        t0 = time.perf_counter()
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(reviews)).scalar_one() == 0
        assert time.perf_counter() - t0 < 0.2
    finally:
        other.rollback()
        other.close()


@pytest.fixture(scope="module")
def app(tiny_model_dir, demo_data_dir, tmp_path_factory):
    return build_app(tiny_model_dir, demo_data_dir, tmp_path_factory.mktemp("outage-instance"))


def _review_request(client, client_id: int) -> dict:
    dep = next(d for d in dependencies(client) if f"{ids.REVIEW_MESSAGE}.children" in d["output"])
    values = {f"{ids.REVIEW_SUBMIT}.n_clicks": 1, f"{ids.REVIEW_VERDICT}.value": "override",
              f"{ids.REVIEW_DECISION}.value": "granted", f"{ids.REVIEW_REASON}.value": "Revenus confirmés.",
              f"{ids.STATE}.data": {"lang": "en", "client": client_id}}
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs, "changedPropIds": [f"{ids.REVIEW_SUBMIT}.n_clicks"],
            "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
            "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]]}


def test_a_review_sent_while_another_process_holds_the_lock_is_refused_with_words(app, tiny_scorer, monkeypatch):
    from app import SERVICES_KEY

    monkeypatch.setattr(store, "STORE_WAIT_S", 0.2)
    client = signed_in_client(app.server)
    refused_client = next(int(i) for i in tiny_scorer.population.index
                          if tiny_scorer.score_client(int(i)).model_decision != "granted")
    body = _review_request(client, refused_client)
    database = Path(str(engine_for(app.server.extensions[SERVICES_KEY].settings.database_url).url.database))
    other = _hold_lock(database)
    try:
        answer = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    finally:
        other.rollback()
        other.close()
    assert answer.status_code == 200
    message = answer.get_json()["response"][ids.REVIEW_MESSAGE]["children"]
    assert message == t("file.review_unavailable", "en")
    with engine_for(f"sqlite:///{database}").connect() as conn:
        assert conn.execute(select(func.count()).select_from(reviews)).scalar_one() == 0   # nothing recorded
    again = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
    assert again.get_json()["response"][ids.REVIEW_MESSAGE]["children"] == t("file.review_saved", "en")


def test_a_database_error_nobody_handles_is_a_503_if_an_outage_and_a_500_if_a_bug(tmp_path, tiny_model_dir,
                                                                                   tiny_scorer):
    from tests.test_api import build_server, make_settings

    server = build_server(make_settings(tmp_path, tiny_model_dir), tiny_scorer)
    server.config["LOGIN_DISABLED"] = True

    @server.get("/_test/outage")
    def outage():
        raise _locked()

    @server.get("/_test/bug")
    def bug():
        raise ProgrammingError("SELECT nope", {}, Exception("no such column"))

    client = server.test_client()
    down = client.get("/_test/outage")
    assert down.status_code == 503 and int(down.headers["Retry-After"]) > 0
    assert down.get_json()["error"]["code"] == "database_unavailable"
    assert client.get("/_test/bug").status_code == 500
