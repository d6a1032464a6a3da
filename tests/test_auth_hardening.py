"""Issue 16: the sign-in and the API key hold against odd input, guessing, replayed cookies and forged posts."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

import auth
from model.monitoring.sign_ins import SignIns
from model.monitoring.store import engine_for, sign_ins
from model.text.strings import t
from tests.helpers import csrf_token, post_login
from tests.test_api import PASSWORD, assert_error, build_server, client, make_settings, server  # noqa: F401

# --------------------------------------------------------------------------- 1. API key bytes

@pytest.mark.parametrize("given", ["é", "clé-é", "🔑" * 4, "\xe9\xff\x00", "key\udcff"])
def test_non_ascii_api_key_is_401_json_not_500(client, given):
    assert auth.valid_api_key(given, ["test-key", "clé"]) is False
    assert auth.valid_api_key("clé", ["test-key", "clé"]) is True


def test_non_ascii_api_key_header_over_http(client):
    for raw in ("é".encode(), "🔑".encode(), b"\xe9\xff"):     # UTF-8 and latin-1 bytes on the wire
        environ = {"HTTP_X_API_KEY": raw.decode("latin-1")}
        assert_error(client.get("/api/v1/model", environ_base=environ), 401, "unauthorized")


# --------------------------------------------------------------------------- 2. rate limit

def _app(tmp_path, tiny_model_dir, tiny_scorer, **kw):
    settings = make_settings(tmp_path, tiny_model_dir, **kw)
    auth.add_user(settings.users_file, "bob", PASSWORD)
    return build_server(settings, tiny_scorer)


def _from(server, address):
    c = server.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def test_sixth_failed_attempt_is_429_with_retry_after_in_the_users_language(tmp_path, tiny_model_dir, tiny_scorer):
    srv = _app(tmp_path, tiny_model_dir, tiny_scorer)
    c = _from(srv, "10.0.0.1")
    for _ in range(5):
        assert post_login(c, "alice", "wrong password").status_code == 401
    resp = post_login(c, "alice", "wrong password", url="/login?lang=en")
    assert resp.status_code == 429 and resp.mimetype == "text/html"
    assert int(resp.headers["Retry-After"]) > 0
    assert t("auth.too_many_attempts", "en") in resp.get_data(as_text=True).replace("&#x27;", "'")
    fr = post_login(c, "alice", PASSWORD)                       # even the right password waits now
    assert fr.status_code == 429 and t("auth.too_many_attempts", "fr").split(".")[0] in fr.get_data(as_text=True)


def test_successful_sign_ins_are_not_counted(tmp_path, tiny_model_dir, tiny_scorer):
    srv = _app(tmp_path, tiny_model_dir, tiny_scorer)
    c = _from(srv, "10.0.0.1")
    for _ in range(8):
        assert post_login(c, "alice", PASSWORD).status_code == 302


def test_another_user_from_another_address_is_not_blocked(tmp_path, tiny_model_dir, tiny_scorer):
    srv = _app(tmp_path, tiny_model_dir, tiny_scorer)
    attacker = _from(srv, "10.0.0.1")
    for _ in range(6):
        post_login(attacker, "alice", "wrong password")
    assert post_login(attacker, "alice", "wrong password").status_code == 429
    assert post_login(_from(srv, "10.0.0.2"), "bob", PASSWORD).status_code == 302
    # the username is limited too: guessing alice's password from many addresses does not help
    # (10 failures per 15 minutes from browsers she never signed in from: tests/test_sign_in_throttle.py)
    assert [post_login(_from(srv, f"10.0.1.{i}"), "alice", "wrong password").status_code
            for i in range(6)] == [401] * 5 + [429]


def test_limit_comes_from_the_settings(tmp_path, tiny_model_dir, tiny_scorer):
    srv = _app(tmp_path, tiny_model_dir, tiny_scorer, login_rate_limit="2 per minute")
    c = _from(srv, "10.0.0.1")
    assert [post_login(c, "alice", "x").status_code for _ in range(3)] == [401, 401, 429]


# --------------------------------------------------------------------------- 3. username timing

def test_unknown_and_known_usernames_cost_the_same_hash_checks(client, monkeypatch):
    calls: list[str] = []
    real = auth.check_password_hash

    def counting(stored, password):
        calls.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    assert post_login(client, "alice", "wrong password").status_code == 401
    known = list(calls)
    calls.clear()
    assert post_login(client, "nobody-by-that-name", "wrong password").status_code == 401
    assert len(calls) == len(known) == 1 and calls == known           # one check, same hash method


# --------------------------------------------------------------------------- 4. server-side sessions

def _copy_cookies(source, target):
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_old_cookie_is_refused_after_logout(tmp_path, tiny_model_dir, tiny_scorer):
    from app import create_app

    app = create_app(make_settings(tmp_path, tiny_model_dir), tiny_scorer)
    browser, thief = app.server.test_client(), app.server.test_client()
    assert post_login(browser, "alice", PASSWORD).status_code == 302
    _copy_cookies(browser, thief)
    assert thief.get("/_dash-layout").status_code == 200          # the copied cookie works while signed in
    assert browser.get("/logout").status_code == 302
    assert thief.get("/_dash-layout").status_code == 401
    assert thief.post("/_dash-update-component", json={}).status_code == 401
    assert thief.get("/").status_code == 302


def test_expired_sign_in_is_refused(tmp_path, tiny_model_dir, tiny_scorer, server, client):
    assert post_login(client, "alice", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    settings = make_settings(tmp_path, tiny_model_dir)
    with engine_for(settings.database_url).begin() as conn:
        conn.execute(update(sign_ins).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert client.get("/").status_code == 302


def test_user_removed_from_users_file_is_refused(tmp_path, tiny_model_dir, tiny_scorer, client):
    assert post_login(client, "alice", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"someone-else": json.loads(users.read_text())["alice"]}))
    assert client.get("/").status_code == 302


def test_a_users_file_broken_while_serving_is_a_503_for_everyone_not_a_500(tmp_path, client):
    """Issue 28: the users file re-read at runtime answered 500 with a traceback once it became invalid.
    Now nobody gets in (the last good copy may hold a user being removed), with a 503 and Retry-After."""
    assert post_login(client, "alice", PASSWORD).status_code == 302
    users = tmp_path / "users.json"
    good = users.read_text()
    users.write_text(good[: len(good) // 2])                      # an editor saving half a file
    page = client.get("/")
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0 and "Traceback" not in page.get_data(True)
    assert_error(client.post("/_dash-update-component", json={}), 503, "users_file_unavailable")
    assert post_login(client, "alice", PASSWORD).status_code == 503
    users.write_text(good)
    assert client.get("/").status_code == 200                      # the same session, once the file is whole


def test_only_the_token_digest_is_stored(tmp_path):
    store = SignIns.for_url(f"sqlite:///{tmp_path / 'p.db'}")
    token = store.open("alice", 1)
    assert store.user_of(token) == "alice" and store.user_of(token + "x") is None
    with store.engine.connect() as conn:
        rows = conn.execute(sign_ins.select()).all()
    assert token not in repr(rows)
    store.revoke(token)
    assert store.user_of(token) is None


def test_session_lifetime_follows_settings(tmp_path, tiny_model_dir, tiny_scorer):
    srv = build_server(make_settings(tmp_path, tiny_model_dir, session_hours=2), tiny_scorer)
    c = srv.test_client()
    assert post_login(c, "alice", PASSWORD).status_code == 302
    with engine_for(make_settings(tmp_path, tiny_model_dir).database_url).connect() as conn:
        row = conn.execute(sign_ins.select()).one()
    assert abs((row.expires_at - row.created_at) - timedelta(hours=2)) < timedelta(seconds=5)


# --------------------------------------------------------------------------- 5. login CSRF

@pytest.mark.parametrize("token", [None, "forged-token"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_login_without_a_valid_csrf_token_is_400_page(client, token, lang):
    csrf_token(client)                                            # a session with a real token exists
    data = {"username": "alice", "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    resp = client.post(f"/login?lang={lang}", data=data)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'name="password"' in html and "Traceback" not in html
    assert t("auth.csrf_failed", lang).split(".")[0].replace("'", "&#x27;") in html
    assert client.get("/").status_code == 302                     # not signed in


def test_login_form_carries_the_csrf_token(client):
    assert len(csrf_token(client)) > 20
    assert post_login(client, "alice", PASSWORD).status_code == 302
