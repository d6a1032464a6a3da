"""The dashboard's rule for the scoring log: one row per file opened (sign-in, client, model), not
per page view, and never a score shown without its row (callbacks/history.py)."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import session
from sqlalchemy.exc import OperationalError

from app import services_of
from auth import SESSION_TOKEN_KEY
from callbacks.history import MAX_MARKS, log_shown
from callbacks.scoring import cached_score


@pytest.fixture(scope="module")
def logged_app(tiny_scorer, demo_data_dir, records_cache_dir, tmp_path_factory):
    """The dashboard with its scoring log on (SQLite under a fresh instance folder)."""
    from app import create_app
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")),
                             "HOME_CREDIT_DIR": str(demo_data_dir), "RECORDS_CACHE_DIR": str(records_cache_dir), "DRIFT_DIR": str(tmp_path_factory.mktemp("reports"))})
    return create_app(settings, tiny_scorer)


class Browser:
    """A browser's Flask session carried from one request to the next, as its cookie would be."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app, self.cookie = app, {} if token is None else {SESSION_TOKEN_KEY: token}

    def show(self, client: int, score: Any = None) -> None:
        services = services_of(self.app.server)
        with self.app.server.test_request_context("/_dash-update-component", method="POST"):
            session.update(self.cookie)
            log_shown(services, client, score if score is not None else cached_score(services, client))
            self.cookie = dict(session)


def _dashboard_rows(app: Any, client: int) -> int:
    return sum(e.source == "dashboard" for e in services_of(app.server).scoring_log.history(client, limit=1000))


def _clients(scorer: Any, n: int) -> list[int]:
    return [int(c) for c in scorer.population.index[100:100 + n]]


def test_one_row_per_file_opened_in_a_sign_in_not_per_display(logged_app, tiny_scorer):
    first, second = _clients(tiny_scorer, 2)
    marie = Browser(logged_app, "marie-sign-in-1")
    for _ in range(3):                                   # three page views, a language switch, the What-if screen…
        marie.show(first)
    assert _dashboard_rows(logged_app, first) == 1
    marie.show(second)                                   # another file: its own row
    marie.show(first)
    assert (_dashboard_rows(logged_app, first), _dashboard_rows(logged_app, second)) == (1, 1)
    # another sign-in (another manager, or the same one signing in again) writes its own row
    Browser(logged_app, "paul-sign-in-1").show(first)
    assert _dashboard_rows(logged_app, first) == 2
    marie.cookie[SESSION_TOKEN_KEY] = "marie-sign-in-2"  # signed in again: the marks of the old sign-in do not count
    marie.show(first)
    assert _dashboard_rows(logged_app, first) == 3
    # another model version is another score: its own row
    score = cached_score(services_of(logged_app.server), first)
    marie.show(first, dataclasses.replace(score, model_version=score.model_version + "-next"))
    assert _dashboard_rows(logged_app, first) == 4


def test_without_a_sign_in_the_browser_session_stands_for_it(logged_app, tiny_scorer):
    client = _clients(tiny_scorer, 3)[2]
    one, other = Browser(logged_app, None), Browser(logged_app, None)
    one.show(client)
    one.show(client)
    assert _dashboard_rows(logged_app, client) == 1
    assert "dashboard_logged" in one.cookie and SESSION_TOKEN_KEY not in one.cookie
    other.show(client)                                 # another browser: another session, its own row
    assert _dashboard_rows(logged_app, client) == 2


def test_a_failed_write_leaves_no_mark_so_the_next_display_writes_the_row(logged_app, tiny_scorer, monkeypatch):
    client = _clients(tiny_scorer, 4)[3]
    services = services_of(logged_app.server)
    real = services.scoring_log.log
    calls = {"n": 0}

    def down_once(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        real(*args, **kwargs)

    monkeypatch.setattr(services.scoring_log, "log", down_once)
    browser = Browser(logged_app, "sign-in-while-the-database-is-down")
    with pytest.raises(OperationalError):             # show_score shows the "not recorded" message, no score
        browser.show(client)
    assert _dashboard_rows(logged_app, client) == 0
    browser.show(client)                               # the database is back: the score is shown with its row
    browser.show(client)
    assert _dashboard_rows(logged_app, client) == 1 and calls["n"] == 2


def test_outside_a_request_every_display_is_written(logged_app, tiny_scorer):
    client = _clients(tiny_scorer, 5)[4]
    services = services_of(logged_app.server)
    log_shown(services, client, cached_score(services, client))
    log_shown(services, client, cached_score(services, client))
    assert _dashboard_rows(logged_app, client) == 2


def test_the_marks_kept_are_bounded(logged_app, tiny_scorer):
    services = services_of(logged_app.server)
    browser = Browser(logged_app, "a-long-day")
    score = cached_score(services, _clients(tiny_scorer, 1)[0])
    for k in range(MAX_MARKS + 5):                     # as many model versions as files in a long day
        browser.show(int(score.client_id), dataclasses.replace(score, model_version=f"v{k}"))
    marks = browser.cookie["dashboard_logged"]["marks"]
    assert len(marks) == MAX_MARKS and len(set(marks)) == MAX_MARKS
