"""Issue 28 items 3 and 4: failed sign-ins are counted in the database (every worker and host shares
them), and a known manager cannot be locked out by someone guessing his password from many addresses
(OWASP's device cookies: :class:`model.monitoring.sign_ins.SignInThrottle`)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import auth
from model.monitoring.sign_ins import Limit, parse_limits
from model.monitoring.store import engine_for, sign_in_failures
from tests.helpers import post_login
from tests.test_api import PASSWORD, build_server, make_settings


@pytest.fixture()
def settings(tmp_path, tiny_model_dir):
    made = make_settings(tmp_path, tiny_model_dir)
    auth.add_user(made.users_file, "bob", PASSWORD)
    return made


@pytest.fixture()
def server(settings, tiny_scorer):
    return build_server(settings, tiny_scorer)


def _from(server, address):
    c = server.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def _attack(server, user: str, attempts: int, first_address: int = 1) -> list[int]:
    """``attempts`` wrong passwords for ``user``, each from a new address and a new browser."""
    return [post_login(_from(server, f"203.0.{(first_address + i) // 250}.{(first_address + i) % 250 + 1}"),
                       user, "wrong password").status_code for i in range(attempts)]


def _age_failures(settings, minutes: float) -> None:
    """Time passes for the throttle: every failure counted so far is made ``minutes`` older."""
    column = sign_in_failures.c.at
    with engine_for(settings.database_url).begin() as conn:
        rows = conn.execute(select(sign_in_failures.c.id, column)).all()
        for row_id, at in rows:
            conn.execute(update(sign_in_failures).where(sign_in_failures.c.id == row_id)
                         .values(at=at - timedelta(minutes=minutes)))


def test_limits_are_read_in_the_usual_notation():
    assert parse_limits("5 per minute; 20 per hour") == (Limit(5, 60), Limit(20, 3600))
    assert parse_limits("10 per 15 minutes") == (Limit(10, 900),)
    assert parse_limits("3/second, 7 per day") == (Limit(3, 1), Limit(7, 86400))
    for bad in ("", "five per minute", "5 per fortnight", "0 per minute", "5 per 0 minutes"):
        with pytest.raises(ValueError):
            parse_limits(bad)


def test_a_bad_limit_setting_is_refused_at_start_naming_it(tmp_path, tiny_model_dir, tiny_scorer):
    with pytest.raises(auth.ConfigError, match="LOGIN_ACCOUNT_LIMIT: cannot read the limit 'ten a minute'"):
        build_server(make_settings(tmp_path, tiny_model_dir, login_account_limit="ten a minute"), tiny_scorer)


def test_a_known_manager_signs_in_from_his_browser_whatever_the_attack(server):
    """Before: ~10 failures for a user from any addresses, then his right password answered 429 for up
    to an hour. Now his own browser (a device cookie from an earlier sign-in) is judged by its own
    failures only."""
    own = _from(server, "192.0.2.10")
    assert post_login(own, "bob", PASSWORD).status_code == 302
    assert own.get_cookie(auth.DEVICE_COOKIE) is not None
    own.get("/logout")
    answers = _attack(server, "bob", 40)
    assert answers[:10] == [401] * 10 and set(answers[10:]) == {429}      # the account is closed to strangers
    assert post_login(own, "bob", PASSWORD).status_code == 302            # not to bob's own browser
    # a new browser of bob's waits the account's window, no more (15 minutes after the last failure counted)
    fresh = post_login(_from(server, "192.0.2.11"), "bob", PASSWORD)
    assert fresh.status_code == 429 and 0 < int(fresh.headers["Retry-After"]) <= 15 * 60


def test_the_account_window_ends_a_stranger_lockout_within_minutes(server, settings):
    assert set(_attack(server, "bob", 12)[10:]) == {429}
    _age_failures(settings, 15)
    assert post_login(_from(server, "192.0.2.20"), "bob", PASSWORD).status_code == 302


def test_guesses_on_one_account_are_a_few_dozen_an_hour_whatever_the_addresses(server, settings):
    """Every 401 is one password tried; from 160 addresses over one hour, at most 40 are."""
    tried = 0
    for quarter in range(4):
        tried += _attack(server, "bob", 40, first_address=quarter * 40).count(401)
        _age_failures(settings, 15)
    assert tried == 40


def test_a_device_cookie_is_trusted_for_its_users_only_and_only_while_it_is_not_guessing(server, settings):
    own = _from(server, "192.0.2.30")
    assert post_login(own, "bob", PASSWORD).status_code == 302
    own.get("/logout")
    # bob's own browser guessing: 5 failures are its own; then it is judged as a stranger (its address's
    # 5 failures a minute are spent too)
    assert [post_login(own, "bob", "wrong").status_code for _ in range(6)] == [401] * 5 + [429]
    assert post_login(own, "bob", PASSWORD).status_code == 429
    _age_failures(settings, 15)                                   # its own window over: trusted again
    _attack(server, "alice", 12)                                  # alice's account is closed to strangers
    assert post_login(own, "alice", PASSWORD).status_code == 429  # bob's cookie says nothing of alice
    _attack(server, "bob", 12, first_address=100)
    assert post_login(own, "bob", PASSWORD).status_code == 302    # ... and it is bob's
    forged = _from(server, "192.0.2.31")
    forged.set_cookie(auth.DEVICE_COOKIE, "eyJuIjoieCIsInUiOlsiYm9iIl19.forged")
    assert post_login(forged, "bob", PASSWORD).status_code == 429  # a forged cookie is no cookie


def test_failures_are_counted_once_for_every_worker(settings, tiny_scorer):
    """Before: each worker kept its own counters (5 a minute per address became 5 per worker)."""
    workers = [build_server(settings, tiny_scorer) for _ in range(2)]
    answers = [post_login(_from(workers[i % 2], "198.51.100.7"), "alice", "wrong").status_code for i in range(8)]
    assert answers == [401] * 5 + [429] * 3
    with engine_for(settings.database_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(sign_in_failures)).scalar_one() == 5


def test_failures_past_every_window_are_deleted(server, settings):
    _attack(server, "bob", 3)
    _age_failures(settings, 61)
    _attack(server, "bob", 1, first_address=50)
    with engine_for(settings.database_url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(sign_in_failures)).scalar_one() == 1
