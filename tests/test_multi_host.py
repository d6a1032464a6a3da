"""Several app hosts (docs/deployment.md): two real gunicorn hosts sharing one Redis and one PostgreSQL.

Both hosts run the product's ``gunicorn.conf.py`` (one worker each, so a host's /api/v1/health cache
figures are the whole host's) with the tiny model, the same ``SECRET_KEY`` and users file, on a
**private** redis-server and a **private** PostgreSQL cluster (tests/services.py) that the tests stop
mid-load and start again, never the machine's own services. The load and the log check are
benchmarks/multi_host.py's, which runs the same scenario at a larger scale with the real model.

The review is written through host A's own Dash callback (``record_review``, over HTTP, signed in)
and read through host B's (``show_file``, the file-history screen's review list).
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import pytest
import requests
from flask import Flask

from auth import add_user
from benchmarks.multi_host import Host, Load, call, check_log, run_load, start_hosts
from layouts import ids
from services import ViewCache, database_unavailable
from settings import get_settings
from tests.helpers import post_login
from tests.services import create_database, private_pg, private_redis, redis_prefix  # noqa: F401  (fixtures)

PASSWORD = "correct horse battery"


# --------------------------------------------------------------------------- the cache alone

def _cache(env: dict[str, str]) -> ViewCache:
    return ViewCache.for_server(Flask(__name__), get_settings(env), "v1")


def test_redis_cache_is_shared_and_a_dead_redis_is_a_counted_miss(redis_prefix, caplog):
    url, prefix = redis_prefix
    a, b = _cache({"CACHE_URL": url, "CACHE_KEY_PREFIX": prefix}), _cache({"CACHE_URL": url, "CACHE_KEY_PREFIX": prefix})
    assert a.lookup("score", (7,), lambda: {"made_by": "a"}) == ({"made_by": "a"}, "miss")
    assert b.lookup("score", (7,), lambda: {"made_by": "b"}) == ({"made_by": "a"}, "hit")     # another "process"
    assert (a.stats(), b.stats()) == ({"backend": "redis", "hits": 0, "misses": 1, "errors": 0},
                                      {"backend": "redis", "hits": 1, "misses": 0, "errors": 0})
    from tests.services import free_port

    dead = _cache({"CACHE_URL": f"redis://127.0.0.1:{free_port()}/0", "CACHE_KEY_PREFIX": prefix})
    with caplog.at_level(logging.WARNING, logger="services"):
        for i in range(5):
            assert dead.lookup("score", (i,), lambda: "computed") == ("computed", "error")
    assert dead.stats() == {"backend": "redis", "hits": 0, "misses": 0, "errors": 5}
    warned = [r for r in caplog.records if "view cache" in r.getMessage()]
    assert len(warned) == 1                      # once a minute, not once per request


def test_cache_url_must_name_redis():
    with pytest.raises(ValueError, match="CACHE_URL is 'memcached://x:1'"):
        get_settings({"CACHE_URL": "memcached://x:1"})
    assert get_settings({}).cache_url == "" and _cache({}).backend == "simple"      # make run: unchanged


# --------------------------------------------------------------------------- two hosts

@pytest.fixture(scope="module")
def database(private_pg) -> str:
    return create_database(private_pg.admin_url)


@pytest.fixture(scope="module")
def hosts(tiny_model_dir, demo_data_dir, private_redis, database, tmp_path_factory):
    users = tmp_path_factory.mktemp("multi-host-users") / "users.json"
    add_user(users, "alice", PASSWORD)
    with start_hosts(["A", "B"], model_dir=tiny_model_dir, data_dir=demo_data_dir, database_url=database,
                     redis_url=private_redis.url, users_file=users, prefix="pad-test:", ready_timeout=90) as both:
        yield both
    for host in both:
        assert "Traceback" not in host.log_tail(100_000), host.log_tail()


@pytest.fixture(scope="module")
def client_ids(tiny_model_dir) -> list[int]:
    from benchmarks.serve import client_ids as model_client_ids

    return model_client_ids(tiny_model_dir)


@pytest.fixture(scope="module")
def n_features(tiny_scorer) -> int:
    return len(tiny_scorer.features)


class Browser:
    """A browser's session with one host (cookies kept), with the test client's methods post_login needs."""

    class Answer:
        def __init__(self, response: requests.Response) -> None:
            self.response, self.status_code = response, response.status_code

        def get_data(self, as_text: bool = False) -> str | bytes:
            return self.response.text if as_text else self.response.content

    def __init__(self, host: Host) -> None:
        self.base, self.session = f"http://127.0.0.1:{host.port}", requests.Session()
        self.session.headers["Connection"] = "close"     # no keep-alive left open: the hosts stop at once

    def get(self, path: str, **kw: Any) -> Browser.Answer:
        return self.Answer(self.session.get(self.base + path, allow_redirects=False, timeout=30, **kw))

    def post(self, path: str, **kw: Any) -> Browser.Answer:
        return self.Answer(self.session.post(self.base + path, allow_redirects=False, timeout=30, **kw))

    def same_cookie_as(self, other: Browser) -> Browser:
        self.session.cookies.set("session", other.session.cookies.get("session"))
        return self

    def callback(self, output_part: str, values: dict[str, Any], changed: str) -> requests.Response:
        """POST /_dash-update-component for the callback whose outputs include ``output_part``, with the
        inputs and states given by "id.property" (the renderer's request, written by hand)."""
        deps = self.session.get(self.base + "/_dash-dependencies", timeout=30).json()
        dep = next(d for d in deps if output_part in d["output"] and d["inputs"][0]["id"] == changed.split(".")[0])
        outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
        body = {"output": dep["output"], "outputs": outputs, "changedPropIds": [changed],
                "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
                "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]]}
        return self.session.post(self.base + "/_dash-update-component", json=body, timeout=30)


def test_signed_in_on_a_is_signed_in_on_b_and_logout_on_a_ends_it(hosts):
    a, b = hosts
    on_a = Browser(a)
    assert on_a.get("/_dash-layout").status_code == 401
    assert post_login(on_a, "alice", PASSWORD).status_code == 302
    on_b = Browser(b).same_cookie_as(on_a)
    assert on_b.get("/_dash-layout").status_code == 200          # same secret, same sign_ins table
    assert on_a.get("/logout").status_code == 302
    assert on_b.get("/_dash-layout").status_code == 401          # the copy of the cookie on B is closed too


def test_failed_sign_ins_are_counted_across_hosts_in_the_database(hosts, database):
    """Issue 28 item 4: the counters were per worker (memory) unless Redis was configured; now every
    worker and host counts in the one database."""
    from sqlalchemy import create_engine, func, select

    from model.monitoring.store import normalise_url, sign_in_failures

    a, b = hosts
    for host in (a, b, a):
        assert post_login(Browser(host), "mallory", "wrong password").status_code == 401
    engine = create_engine(normalise_url(database))
    try:
        with engine.connect() as conn:
            counted = conn.execute(select(func.count()).select_from(sign_in_failures)
                                   .where(sign_in_failures.c.username == "mallory")).scalar_one()
    finally:
        engine.dispose()
    assert counted == 3


def test_an_answer_cached_by_a_is_a_hit_on_b(hosts, client_ids):
    a, b = hosts
    path = f"/api/v1/clients/{client_ids[-1]}/score?lang=en&top=3"
    first, second = call(a, "GET", path), call(b, "GET", path)
    assert (first.status, first.headers["x-cache"]) == (200, "miss")
    assert (second.status, second.headers["x-cache"]) == (200, "hit")
    assert first.json() == second.json()
    assert call(b, "GET", "/api/v1/health").json()["cache"]["hits"] >= 1


def test_a_review_written_on_a_shows_on_b(hosts, client_ids):
    a, b = hosts
    client = next(c for c in reversed(client_ids[-50:-1])         # ids no load phase uses
                  if call(a, "GET", f"/api/v1/clients/{c}/score").json()["decision"] != "granted")
    on_a = Browser(a)
    assert post_login(on_a, "alice", PASSWORD).status_code == 302
    state = {"lang": "en", "client": client}
    reason = "Income checked with the payslips (written on host A)"
    written = on_a.callback(ids.REVIEW_MESSAGE, {f"{ids.REVIEW_SUBMIT}.n_clicks": 1,
                                                 f"{ids.REVIEW_VERDICT}.value": "confirm",
                                                 f"{ids.REVIEW_REASON}.value": reason, f"{ids.STATE}.data": state},
                            changed=f"{ids.REVIEW_SUBMIT}.n_clicks")
    assert written.status_code == 200, written.text
    on_b = Browser(b).same_cookie_as(on_a)
    # the File screen is drawn from its view store (callbacks/shell.py), as the browser sets it when shown
    shown = on_b.callback(ids.REVIEW_LIST, {f"{ids.view('file')}.data": state, f"{ids.SCREEN}.data": "file"},
                          changed=f"{ids.view('file')}.data")
    assert shown.status_code == 200, shown.text
    review_list = shown.json()["response"][ids.REVIEW_LIST]["children"]
    assert reason in json.dumps(review_list, ensure_ascii=False) and "alice" in json.dumps(review_list)


def _phase(client_ids: list[int], k: int, n: int = 30) -> list[int]:
    """Client ids of phase k alone, so each phase's rows are counted apart (the other tests use the last 50)."""
    return client_ids[k * n:(k + 1) * n]


def test_concurrent_load_on_both_hosts_one_row_per_score(hosts, client_ids, database, n_features):
    ids_ = _phase(client_ids, 0)
    load = run_load(hosts, ids_, 300, concurrency=8)
    log = check_log(database, load, ids_, n_features)
    print(f"\nplain load: {load.statuses}, cache {dict(load.cache)}, log {log}")
    assert load.statuses == Counter({200: 300}) and not load.bad
    assert load.cache["miss"] == 2 * len(ids_) and load.cache["hit"] == 300 - 2 * len(ids_)   # shared by A and B
    assert (log.rows, log.lost, log.extra, log.broken) == (300, 0, 0, 0)


def test_redis_stopped_mid_load_every_request_is_still_served(hosts, client_ids, database, n_features,
                                                              private_redis):
    ids_ = _phase(client_ids, 1)
    before = {h.name: call(h, "GET", "/api/v1/health").json()["cache"] for h in hosts}
    load = run_load(hosts, ids_, 300, concurrency=8, steps=[(60, private_redis.stop), (100, private_redis.start)])
    after = {h.name: call(h, "GET", "/api/v1/health").json()["cache"] for h in hosts}
    log = check_log(database, load, ids_, n_features)
    errors = {name: after[name]["errors"] - before[name]["errors"] for name in after}
    print(f"\nRedis stop: {load.statuses}, X-Cache {dict(load.cache)}, hosts' errors {errors}, log {log}")
    assert load.statuses == Counter({200: 300}) and not load.bad
    assert load.cache["error"] > 0 and sum(errors.values()) == load.cache["error"]
    assert (log.rows, log.lost, log.extra, log.broken) == (300, 0, 0, 0)
    for host in hosts:                  # the outage is in each host's log, once, not once per request
        assert host.log_tail(1_000_000).count("view cache (redis)") == 1, host.log_tail()
    path = f"/api/v1/clients/{ids_[0]}/score?lang=fr&top=2"     # Redis back: the cache is shared again
    assert call(hosts[0], "GET", path).headers["x-cache"] == "miss"
    assert call(hosts[1], "GET", path).headers["x-cache"] == "hit"


def test_sign_in_works_while_redis_is_down(hosts, private_redis):
    private_redis.stop()
    try:
        browser = Browser(hosts[1])
        assert post_login(browser, "alice", PASSWORD).status_code == 302       # counted in the database
        assert browser.get("/_dash-layout").status_code == 200
    finally:
        private_redis.start()


def test_postgresql_stopped_mid_load_no_score_without_its_row(hosts, client_ids, database, n_features, private_pg):
    ids_ = _phase(client_ids, 2)
    load = run_load(hosts, ids_, 300, concurrency=8, steps=[(60, private_pg.stop), (100, private_pg.start)])
    log = check_log(database, load, ids_, n_features)
    print(f"\nPostgreSQL stop: {load.statuses}, X-Cache {dict(load.cache)}, log {log}")
    assert set(load.statuses) <= {200, 503} and load.statuses[503] > 0 and not load.bad   # no 500, no HTML
    assert (log.lost, log.broken) == (0, 0) and log.rows == log.served + log.extra
    assert log.extra <= 2           # a row committed as the connection was cut, answered 503: kept, not lost
    for host in hosts:
        assert host.log_tail(1_000_000).count("database unavailable") == 1, host.log_tail()
    after = _phase(client_ids, 3)[:2]                             # restarted: both hosts serve and log again
    assert [call(h, "GET", f"/api/v1/clients/{c}/score").status for h, c in zip(hosts, after)] == [200, 200]
    assert check_log(database, Load(served=Counter(after)), after, n_features).rows == 2


def test_postgresql_down_sign_in_and_session_checks_are_503(hosts, private_pg):
    a, b = hosts
    signed_in = Browser(a)
    assert post_login(signed_in, "alice", PASSWORD).status_code == 302
    private_pg.stop()
    try:
        on_b = Browser(b).same_cookie_as(signed_in)
        layout = on_b.get("/_dash-layout").response
        assert layout.status_code == 503 and layout.json()["error"]["code"] == "database_unavailable"
        assert layout.headers["Retry-After"]
        login = post_login(Browser(a), "alice", PASSWORD, url="/login?lang=en").response
        assert login.status_code == 503 and login.headers["Retry-After"]
        assert "the database cannot be reached" in login.text and "Traceback" not in login.text
        score = call(b, "GET", "/api/v1/clients/100002/score")
        assert score.status in (404, 503)     # an unknown id is a 404 before any logging
    finally:
        private_pg.start()
    assert on_b.get("/_dash-layout").status_code == 200           # the same processes, no restart


def test_dashboard_shows_a_message_instead_of_an_unlogged_score(tiny_scorer, demo_data_dir, private_pg, tmp_path,
                                                                redis_prefix):
    """The Score screen's callback, in process, on a database that stops (sign-in switched off: the
    session check has its own 503 above); its views cached in Redis, so they go through pickle."""
    from app import create_app, services_of

    url, prefix = redis_prefix
    settings = get_settings({"INSTANCE_DIR": str(tmp_path), "HOME_CREDIT_DIR": str(demo_data_dir),
                             "DATABASE_URL": create_database(private_pg.admin_url), "CACHE_URL": url,
                             "CACHE_KEY_PREFIX": prefix, "DRIFT_DIR": str(tmp_path / "reports")})
    app = create_app(settings, tiny_scorer)
    app.server.config["LOGIN_DISABLED"] = True
    client = int(tiny_scorer.population.index[0])
    deps = app.server.test_client().get("/_dash-dependencies").get_json()
    view = ids.view("score")          # the Score screen is drawn from its view store (callbacks/shell.py)
    dep = next(d for d in deps if d["output"].startswith(f"..{ids.GAUGE}.figure...")
               and d["inputs"][0]["id"] == view)
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]

    def show(lang: str) -> Any:
        body = {"output": dep["output"], "outputs": outputs, "changedPropIds": [f"{view}.data"],
                "inputs": [{"id": view, "property": "data", "value": {"lang": lang, "client": client}}],
                "state": []}
        return app.server.test_client().post("/_dash-update-component", json=body)

    first, again = show("fr").get_json()["response"], show("fr").get_json()["response"]
    assert ids.PROBABILITY_TEXT in first and again == first            # the second read back from Redis
    assert services_of(app.server).views.stats()["hits"] >= 1
    private_pg.stop()
    try:
        for lang, words in (("fr", "journal des scores"), ("en", "scoring log")):
            answer = show(lang)
            assert answer.status_code == 200
            response = answer.get_json()["response"]
            assert words in response[ids.DECISION_SENTENCE]["children"]
            assert response[ids.PROBABILITY_TEXT]["children"] is None           # no score shown
    finally:
        private_pg.start()


def test_only_unreachable_database_errors_are_503():
    import sqlalchemy as sa

    down = sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))
    bug = sa.exc.ProgrammingError("INSERT", {}, Exception("syntax error"))
    assert database_unavailable(down, "test") and not database_unavailable(bug, "test")

