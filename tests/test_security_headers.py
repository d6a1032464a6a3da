"""Issue 16: every answer carries the security headers; the dashboard still draws under its CSP (real Chromium)."""
from __future__ import annotations

import shutil

import pytest

from model.monitoring.drift import HTML_FILE
from security import HSTS_SECONDS
from tests.helpers import goto, post_login, serve
from tests.helpers import wait_until as _wait
from tests.test_api import PASSWORD, H, make_settings

USER = "alice"


@pytest.fixture(scope="module")
def real_app(tiny_scorer, tiny_model_dir, demo_data_dir, drift_report_dir, records_cache_dir, tmp_path_factory):
    """The dashboard with a real Evidently report in its drift folder, built by the suite from the tiny
    model's clients (conftest.drift_report_dir), never the working copy's ``reports/``."""
    from app import create_app

    instance = tmp_path_factory.mktemp("instance")
    drift_dir = tmp_path_factory.mktemp("drift")
    shutil.copy(drift_report_dir / HTML_FILE, drift_dir / HTML_FILE)
    settings = make_settings(instance, tiny_model_dir, drift_dir=drift_dir, data_dir=demo_data_dir,
                             records_cache_dir=records_cache_dir, session_cookie_secure=False)
    return create_app(settings, tiny_scorer)


def _csp(resp) -> dict[str, list[str]]:
    policy = resp.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def _common(resp) -> None:
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in resp.headers          # only behind HTTPS (setting)


def test_pages_assets_and_login_have_the_page_policy(real_app):
    c = real_app.server.test_client()
    for path in ("/login", "/assets/login.css", "/"):
        resp = c.get(path)
        _common(resp)
        csp = _csp(resp)
        assert csp["default-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"]
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert post_login(c, USER, PASSWORD).status_code == 302
    home = c.get("/")
    script_src = _csp(home)["script-src"]
    assert all(h in script_src for h in real_app.csp_hashes())   # Dash's inline renderer script
    assert len(script_src) > 1


def test_json_answers_have_a_strict_policy(real_app):
    c = real_app.server.test_client()
    for resp in (c.get("/api/v1/health"), c.get("/api/v1/model", headers=H), c.get("/api/v1/model"),
                 c.post("/_dash-update-component", json={})):
        assert resp.mimetype == "application/json"
        _common(resp)
        assert _csp(resp) == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


def test_drift_report_alone_allows_inline_scripts(real_app):
    c = real_app.server.test_client()
    assert post_login(c, USER, PASSWORD).status_code == 302
    resp = c.get("/reports/drift")
    assert resp.status_code == 200
    assert "<script" in resp.get_data(as_text=True)           # Evidently's report: inline scripts to allow
    _common(resp)
    csp = _csp(resp)
    assert "'unsafe-inline'" in csp["script-src"] and csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in _csp(c.get("/"))["script-src"]


def test_https_setting_gives_secure_cookie_and_hsts(tmp_path, tiny_model_dir, tiny_scorer):
    from tests.test_api import build_server

    srv = build_server(make_settings(tmp_path, tiny_model_dir, session_cookie_secure=True), tiny_scorer)
    c = srv.test_client()
    resp = post_login(c, USER, PASSWORD)
    assert resp.status_code == 302
    assert "Secure" in resp.headers["Set-Cookie"]
    assert resp.headers["Strict-Transport-Security"] == f"max-age={HSTS_SECONDS}; includeSubDomains"
    assert c.get("/api/v1/health").headers["Strict-Transport-Security"].startswith("max-age=")


def _csp_problems(duo) -> list[dict]:
    return [e for e in duo.get_logs() or [] if "Content Security Policy" in e.get("message", "")
            or "Refused to" in e.get("message", "")]


@pytest.mark.browser
@pytest.mark.slow
def test_dashboard_draws_its_charts_under_the_csp(real_app, dash_duo, tiny_scorer):
    """Signed in through the real form (CSRF token included), a client's gauge and waterfall drawn, no violation."""
    from layouts import ids

    real_app.server.config["LOGIN_DISABLED"] = False
    serve(dash_duo, real_app)
    dash_duo.driver.get(dash_duo.server_url)
    _wait(lambda: "/login" in dash_duo.driver.current_url, message="redirect to /login")
    dash_duo.find_element("#username").send_keys(USER)
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("#login-submit").click()
    _wait(lambda: dash_duo.find_element(f"#{ids.USER}").text.endswith(USER), message="signed-in user shown")
    client = int(tiny_scorer.scores.index[0])
    goto(dash_duo, f"/?client={client}")                    # the file opened from the list, as a link does
    _wait(lambda: dash_duo.find_element(f"#{ids.GAUGE} .number").text, message="gauge drawn")
    dash_duo.find_element(f"#{ids.tab('why')}").click()
    _wait(lambda: dash_duo.driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot'); return g && g.data && g.data.length;",
        f"#{ids.WATERFALL}"), message="waterfall drawn")
    assert _csp_problems(dash_duo) == []
    dash_duo.driver.get(f"{dash_duo.server_url}/reports/drift")
    _wait(lambda: dash_duo.driver.execute_script("return document.querySelectorAll('.js-plotly-plot, svg').length"),
          message="drift report drawn")
    assert _csp_problems(dash_duo) == []
