"""Sign-in for relationship managers and API keys for programs (auth.py), through a server
built like app.create_app (see tests/test_api.py::build_server)."""
from __future__ import annotations

import pytest

import auth
from api.errors import error_body
from settings import Settings, get_settings
from tests.helpers import post_login
from tests.test_api import PASSWORD, H, assert_error, build_server, client, make_settings, server  # noqa: F401


def sign_in(client, user="alice", password=PASSWORD, next_url=None):
    url = "/login" if next_url is None else f"/login?next={next_url}"
    return post_login(client, user, password, url)


def test_login_page_is_public_html_form(client):
    resp = client.get("/login")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert 'name="username"' in html and 'type="password"' in html and 'method="post"' in html
    assert 'lang="fr"' in html
    assert 'lang="en"' in client.get("/login?lang=en").get_data(as_text=True)


def test_protected_page_redirects_to_login(client):
    from urllib.parse import parse_qs, urlsplit

    resp = client.get("/?id=3")
    assert resp.status_code == 302
    location = urlsplit(resp.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == ["/?id=3"]


@pytest.mark.parametrize("user,password", [("alice", "wrong password"), ("bob", PASSWORD), ("", ""),
                                           ("alice", "")])
def test_wrong_credentials_are_401_and_give_no_session(client, user, password):
    resp = sign_in(client, user, password)
    assert resp.status_code == 401 and resp.mimetype == "text/html"
    assert 'name="password"' in resp.get_data(as_text=True)          # the form again, with the message
    assert client.get("/").status_code == 302                        # still not signed in


def test_right_password_opens_a_session(client):
    resp = sign_in(client, next_url="/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and page.get_data(as_text=True) == "dashboard home"


def test_next_is_followed_within_the_site(client):
    resp = sign_in(client, next_url="/clients?id=3")
    assert resp.headers["Location"] == "/clients?id=3"


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example", "http:/evil.example",
                                    "evil.example", "javascript:alert(1)", "/\\evil.example"])
def test_next_open_redirect_is_refused(client, target):
    from urllib.parse import quote, urlsplit

    resp = sign_in(client, next_url=quote(target, safe=""))
    assert resp.status_code == 302
    location = resp.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme == "" and parts.netloc == "" and "\\" not in location   # stays on this site
    assert location.startswith("/") and not location.startswith("//")


def test_logout_ends_the_session(client):
    sign_in(client)
    assert client.get("/").status_code == 200
    resp = client.get("/logout")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("method,path", [("POST", "/_dash-update-component"), ("GET", "/_dash-layout"),
                                         ("GET", "/_dash-dependencies"), ("POST", "/anything")])
def test_dash_requests_get_401_json_when_signed_out(client, method, path):
    resp = client.open(path, method=method, json={})
    assert resp.status_code == 401 and resp.mimetype == "application/json"
    assert resp.get_json()["error"]["code"] == "unauthorized"


def test_public_paths_need_nothing(client):
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/login").status_code == 200


def test_session_does_not_replace_the_api_key(client, tiny_scorer):
    """A signed-in browser still needs the key on /api: the routes are for programs."""
    sign_in(client)
    cid = int(tiny_scorer.population.index[0])
    assert_error(client.get(f"/api/v1/clients/{cid}/score"), 401, "unauthorized")
    assert client.get(f"/api/v1/clients/{cid}/score", headers=H).status_code == 200


def test_api_keys_from_the_instance_file(tmp_path, tiny_model_dir, tiny_scorer):
    (tmp_path / "api_keys.txt").write_text("# comment\nfile-key-1\n\n")
    settings = Settings(instance_dir=tmp_path, users_file=tmp_path / "users.json", model_dir=tiny_model_dir,
                        secret_key="s" * 32)
    c = build_server(settings, tiny_scorer).test_client()
    assert c.get("/api/v1/model", headers={auth.API_KEY_HEADER: "file-key-1"}).status_code == 200
    assert_error(c.get("/api/v1/model", headers={auth.API_KEY_HEADER: "# comment"}), 401)


def test_no_key_configured_refuses_everything(tmp_path, tiny_model_dir, tiny_scorer):
    settings = Settings(instance_dir=tmp_path, users_file=tmp_path / "users.json", model_dir=tiny_model_dir,
                        secret_key="s" * 32)
    c = build_server(settings, tiny_scorer).test_client()
    assert_error(c.get("/api/v1/model", headers={auth.API_KEY_HEADER: ""}), 401)
    assert_error(c.get("/api/v1/model"), 401)


def test_session_cookie_flags(client, server):
    resp = sign_in(client)
    cookies = {c.split("=", 1)[0]: c for c in resp.headers.getlist("Set-Cookie")}
    assert set(cookies) == {"session", auth.DEVICE_COOKIE}
    for cookie in cookies.values():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert server.config["SECRET_KEY"] == "s" * 32


def test_debug_is_off_by_default():
    assert get_settings({}).debug is False
    assert get_settings({"DEBUG": "true"}).debug is False          # only DEBUG=1 turns it on
    assert get_settings({"DEBUG": "1"}).debug is True


def test_built_server_is_not_in_debug(server):
    assert server.debug is False


def test_real_app_debug_off_and_guarded(tmp_path, tiny_model_dir, tiny_scorer):
    from app import create_app

    app = create_app(make_settings(tmp_path, tiny_model_dir), tiny_scorer)
    assert app.server.debug is False
    c = app.server.test_client()
    assert c.get("/").status_code == 302
    resp = c.post("/_dash-update-component", json={})
    assert resp.status_code == 401 and resp.mimetype == "application/json"
    assert c.get("/_dash-layout").status_code == 401
    assert sign_in(c, next_url="/").status_code == 302
    assert c.get("/").status_code == 200
    assert c.get("/_dash-layout").status_code == 200


def test_add_user_refuses_short_passwords(tmp_path):
    with pytest.raises(auth.ConfigError):
        auth.add_user(tmp_path / "u.json", "carol", "short")
    auth.add_user(tmp_path / "u.json", "carol", "long enough pw")
    stored = auth.load_users(tmp_path / "u.json")["carol"]
    assert "long enough pw" not in stored                     # a hash, not the password
    assert (tmp_path / "u.json").stat().st_mode & 0o077 == 0  # owner-only file


def test_401_has_the_api_error_shape(client):
    """auth's 401s (API key, signed-out Dash call) are written by api.errors, like every API error."""
    api_404 = assert_error(client.get("/api/v1/nothing-here", headers=H), 404, "not_found")
    key_401 = assert_error(client.get("/api/v1/model"), 401, "unauthorized", None)
    dash = client.post("/_dash-update-component", json={})
    assert dash.status_code == 401 and dash.mimetype == "application/json"
    dash_401 = dash.get_json()["error"]
    shape = set(error_body("c", "m")["error"])
    assert set(api_404) == set(key_401) == set(dash_401) == shape
    assert dash_401["code"] == "unauthorized" and dash_401["field"] is None
