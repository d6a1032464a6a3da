"""Issue 28, item 10: personal data never cached, Secure cookie and HSTS by default (plain HTTP on loopback
only on purpose), a long request line answered 414, and no invisible character of a review reason printed
in the client's letter. The real gunicorn's side of the 414 is in tests/test_server.py."""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.fuzz import BASE_APPLICATION
from layouts import ids
from model.decision import GRANTED, REFUSED
from model.monitoring.reviews import ReviewError, ReviewStore
from model.monitoring.store import engine_for
from model.text.invisible import visible_text
from security import HSTS_SECONDS, MAX_REQUEST_LINE, is_static_path, request_line_bytes
from settings import ROOT, Settings, get_settings
from tests.helpers import post_login
from tests.test_api import PASSWORD, H, make_settings

USER = "alice"
#: Every bidirectional control (embeddings, overrides, isolates, marks) and a few other invisible characters.
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE = BIDI + "\u200b\u200c\u200d\u2060\ufeff\u00ad\x00\x1b\x7f\x9b"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


@pytest.fixture(scope="module")
def app(tiny_scorer, tiny_model_dir, demo_data_dir, records_cache_dir, tmp_path_factory):
    """The whole product (dashboard on top of the API), with the default settings: a TLS front assumed."""
    from app import create_app

    settings = make_settings(tmp_path_factory.mktemp("instance"), tiny_model_dir, data_dir=demo_data_dir,
                             records_cache_dir=records_cache_dir, scoring_log=None)
    return create_app(settings, tiny_scorer)


@pytest.fixture(scope="module")
def refused_client(tiny_scorer) -> int:
    return int(tiny_scorer.scores["PROBABILITY"].idxmax())


@pytest.fixture
def signed_in(app):
    client = app.server.test_client()
    assert post_login(client, USER, PASSWORD).status_code == 302
    return client


def _callback(client, output_part: str, values: dict, changed: str):
    """POST /_dash-update-component for the callback with ``output_part`` among its outputs, as the renderer does."""
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if output_part in d["output"] and d["inputs"][0]["id"] == changed.split(".")[0])
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
    body = {"output": dep["output"], "outputs": outputs, "changedPropIds": [changed],
            "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
            "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]]}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def _review(client, cid: int, reason: str):
    return _callback(client, f"..{ids.REVIEW_MESSAGE}.children",
                     {f"{ids.REVIEW_SUBMIT}.n_clicks": 1, f"{ids.REVIEW_VERDICT}.value": "confirm",
                      f"{ids.REVIEW_REASON}.value": reason, f"{ids.STATE}.data": {"lang": "en", "client": cid}},
                     f"{ids.REVIEW_SUBMIT}.n_clicks")


def _assert_not_stored(resp, what: str) -> None:
    assert resp.headers.get("Cache-Control") == "no-store", (what, resp.status_code, resp.headers.get("Cache-Control"))
    assert resp.headers.get("Pragma") == "no-cache", what


# --------------------------------------------------------------------------- personal data is never cached

def test_every_answer_with_personal_data_says_no_store(app, signed_in, refused_client):
    """Before: no Cache-Control on the score, /predict, callbacks, pages, errors (the letter alone had it)."""
    c, cid = signed_in, refused_client
    answers = {
        "API score": c.get(f"/api/v1/clients/{cid}/score", headers=H),
        "API predict": c.post("/api/v1/predict", json={"application": BASE_APPLICATION}, headers=H),
        "API model": c.get("/api/v1/model", headers=H),
        "API 404": c.get("/api/v1/clients/1/score", headers=H),
        "API 401": c.get(f"/api/v1/clients/{cid}/score"),
        "API 400": c.post("/api/v1/predict", json={"application": {"AMT_CREDIT": "x"}}, headers=H),
        "dashboard page": c.get("/"),
        "client's page": c.get(f"/?client={cid}"),
        "layout": c.get("/_dash-layout"),
        "callback": _callback(c, f"{ids.LETTER_LINK}.href", {f"{ids.view('file')}.data": {"lang": "en", "client": cid},
                                                              f"{ids.SCREEN}.data": "file"}, f"{ids.view('file')}.data"),
        "letter": c.get(f"/clients/{cid}/letter.pdf?lang=en"),
        "page 404": c.get("/no/such/page"),
        "sign-in page": app.server.test_client().get("/login"),
    }
    for what, resp in answers.items():
        _assert_not_stored(resp, what)
    assert answers["API score"].status_code == 200 and answers["callback"].status_code == 200
    assert answers["letter"].mimetype == "application/pdf"


def test_static_files_stay_cacheable(app):
    c = app.server.test_client()
    css = c.get("/assets/login.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    assert all(is_static_path(p) for p in ("/assets/x.css", "/_dash-component-suites/dash/dash.js",
                                           "/docs/api/static/docs.js"))
    assert not any(is_static_path(p) for p in ("/", "/login", "/api/v1/health", "/_dash-update-component",
                                               "/clients/1/letter.pdf", "//assets/x.css", "/docs/api"))


# --------------------------------------------------------------------------- Secure cookie and HSTS by default

def test_secure_cookie_and_hsts_are_the_default_and_one_setting_turns_them_off():
    assert Settings().session_cookie_secure and not Settings().plain_http_loopback
    default = get_settings({})
    assert default.session_cookie_secure and not default.plain_http_loopback     # before: False without a setting
    plain = get_settings({"PLAIN_HTTP_LOOPBACK": "1"})
    assert plain.plain_http_loopback and not plain.session_cookie_secure
    for value in ("0", "", "true", "yes"):                                     # only "1" turns the defaults off
        assert get_settings({"PLAIN_HTTP_LOOPBACK": value}).session_cookie_secure, value
    assert not Settings(plain_http_loopback=True).session_cookie_secure


def test_default_server_sends_secure_cookie_and_hsts(app):
    c = app.server.test_client()
    signed = post_login(c, USER, PASSWORD)
    assert signed.status_code == 302
    cookie = signed.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    for resp in (signed, c.get("/login"), c.get("/api/v1/health"), c.get("/assets/login.css")):
        assert resp.headers["Strict-Transport-Security"] == f"max-age={HSTS_SECONDS}; includeSubDomains"


def test_plain_http_on_loopback_drops_secure_and_hsts(tmp_path, tiny_model_dir, tiny_scorer):
    from tests.test_api import build_server

    c = build_server(make_settings(tmp_path, tiny_model_dir, plain_http_loopback=True), tiny_scorer).test_client()
    signed = post_login(c, USER, PASSWORD)
    assert signed.status_code == 302
    assert "Secure" not in signed.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in signed.headers
    assert "Strict-Transport-Security" not in c.get("/api/v1/health").headers
    _assert_not_stored(c.get("/api/v1/health"), "health")


#: Run in a process of its own: gunicorn.conf.py patches the standard library with gevent when it is read,
#: which must not happen to the tests' process (its threads serve dash_duo's apps).
_CONF_PROBE = """
import json, logging, runpy, sys
from types import SimpleNamespace
names = runpy.run_path(sys.argv[1])
def start(*binds):
    server = SimpleNamespace(cfg=SimpleNamespace(bind=list(binds)), log=logging.getLogger("probe"))
    try:
        names["on_starting"](server)
    except RuntimeError as exc:
        return str(exc)
    return None
print(json.dumps({"limit_request_line": names["limit_request_line"],
                  "loopback": {b: names["is_loopback"](b) for b in sys.argv[2:]},
                  "start": {b: start("127.0.0.1:8050", b) for b in sys.argv[2:]}}))
"""
LOOPBACK_BINDS = ("127.0.0.1:8050", "127.0.0.2:80", "localhost:8050", "[::1]:8050", "unix:/run/pad.sock")
EXPOSED_BINDS = ("0.0.0.0:8050", "192.168.1.10:8050", "[::]:8050", "pad.example:443", "fd://3", "8050")


def _conf_probe(env: dict[str, str]) -> dict:
    """What gunicorn.conf.py says of each bind address, read as gunicorn reads it, with ``env`` set."""
    base = {k: v for k, v in os.environ.items() if k not in ("PLAIN_HTTP_LOOPBACK", "BIND", "HOST", "PORT")}
    done = subprocess.run([sys.executable, "-c", _CONF_PROBE, str(GUNICORN_CONF), *LOOPBACK_BINDS, *EXPOSED_BINDS],
                          cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_gunicorn_refuses_plain_http_off_loopback():
    plain = _conf_probe({"PLAIN_HTTP_LOOPBACK": "1"})
    for bind in LOOPBACK_BINDS:
        assert plain["loopback"][bind] and plain["start"][bind] is None, bind
    for bind in EXPOSED_BINDS:
        assert not plain["loopback"][bind], bind
        assert "PLAIN_HTTP_LOOPBACK=1" in plain["start"][bind] and "loopback interface only" in plain["start"][bind]
    secure = _conf_probe({})                                         # the secure defaults: any address
    assert all(problem is None for problem in secure["start"].values())
    assert secure["limit_request_line"] == 8190 > MAX_REQUEST_LINE


def test_real_gunicorn_stops_at_once_on_plain_http_off_loopback(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PLAIN_HTTP_LOOPBACK": "1", "HOST": "0.0.0.0", "PORT": str(port), "INSTANCE_DIR": str(tmp_path)}
    env.pop("BIND", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    done = subprocess.run([str(gunicorn), "-c", "gunicorn.conf.py", "app:create_server()"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Error: PLAIN_HTTP_LOOPBACK=1" in done.stderr and f"0.0.0.0:{port}" in done.stderr
    assert "Traceback" not in done.stderr and "Booting worker" not in done.stderr


# --------------------------------------------------------------------------- a long request line is a 414

def _line_of(total: int, prefix: str, method: str = "GET") -> str:
    """A path and query whose request line ``METHOD path HTTP/1.1`` is ``total`` bytes long."""
    fixed = len(f"{method} {prefix} HTTP/1.1")
    return prefix + "a" * (total - fixed)


def test_a_request_line_over_the_bound_is_414_json_under_api(app, signed_in):
    """Before: answered as usual here, and cut by gunicorn (400, or a connection reset) in production."""
    c = app.server.test_client()
    resp = c.get(_line_of(4200, "/api/v1/clients/1/score?pad="), headers=H)
    assert resp.status_code == 414 and resp.mimetype == "application/json"
    error = resp.get_json()["error"]
    assert error == {"code": "uri_too_long", "field": None, "message": error["message"]}
    assert "4200 bytes" in error["message"] and str(MAX_REQUEST_LINE) in error["message"]
    _assert_not_stored(resp, "414")
    assert c.get(_line_of(4200, "/api/v1/nothing-here?")).status_code == 414      # before any key or route
    dash = signed_in.post(_line_of(5000, "/_dash-update-component?x=", "POST"), json={})
    assert dash.status_code == 414 and dash.get_json()["error"]["code"] == "uri_too_long"
    page = c.get(_line_of(4200, "/?q="))
    assert page.status_code == 414 and page.mimetype == "text/plain"
    assert "URI too long" in page.get_data(as_text=True)


def test_a_request_line_at_the_bound_is_served(app):
    c = app.server.test_client()
    assert c.get(_line_of(MAX_REQUEST_LINE, "/api/v1/health?pad=")).status_code == 200
    assert c.get(_line_of(MAX_REQUEST_LINE + 1, "/api/v1/health?pad=")).status_code == 414


def test_request_line_bytes_counts_what_was_sent():
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/api/v1/health?x=%C3%A9", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/api/v1/health", "QUERY_STRING": "x=%C3%A9"}
    assert request_line_bytes(environ) == len("GET /api/v1/health?x=%C3%A9 HTTP/1.1")
    del environ["RAW_URI"]                           # another server: path and query as WSGI gives them
    assert request_line_bytes(environ) == len("GET /api/v1/health?x=%C3%A9 HTTP/1.1")


# --------------------------------------------------------------------------- invisible characters of a review

def test_visible_text_drops_bidi_and_other_invisible_characters_only():
    assert visible_text(f"Garant{INVISIBLE} solvable") == "Garant solvable"
    kept = "Revenus\u00a0: 2\u202f000 €\nvus\tle 3 déc. — ok ‘ÀÉ’ ∑ 日本 عربي"   # spaces, letters, symbols kept
    assert visible_text(kept) == kept


def test_a_review_reason_is_stored_without_invisible_characters(tmp_path):
    """Before: stored as typed, bidirectional controls included."""
    from tests.test_reviews import REFUSED as REFUSED_SCORE

    store = ReviewStore(engine_for(f"sqlite:///{tmp_path / 'product.db'}"))
    typed = f"  Garant {BIDI[4]}éfuser{BIDI[2]} solvable\u200b ajouté\x00.  "
    review = store.add(7, "alice", "override", GRANTED, typed, REFUSED_SCORE)
    assert review.reason == "Garant éfuser solvable ajouté."
    assert store.for_client(7)[0].reason == review.reason
    with pytest.raises(ReviewError, match="blank") as caught:        # nothing but invisible characters: blank
        store.add(7, "alice", "override", GRANTED, f" {INVISIBLE} ", REFUSED_SCORE)
    assert caught.value.field == "reason"


def test_the_letter_prints_no_invisible_character_even_of_an_old_review(tiny_scorer, refused_client, tmp_path,
                                                                         caplog):
    """Before: the letter printed them as stored (pdftotext read them back; no glyph for some)."""
    from model.reporting.letter import LetterReview, letter_facts, letter_pdf
    from tests.test_letter import read_pdf

    if subprocess.run(["which", "pdftotext"], capture_output=True).returncode:
        pytest.skip("poppler-utils not installed")
    old = LetterReview(datetime(2026, 11, 30, 14, 0, tzinfo=UTC), f"md{BIDI[4]}upont", "confirm", REFUSED,
                       f"Garant {BIDI[4]}éfuser{BIDI[2]} solvable{INVISIBLE} vu{BIDI[6]} le 3{BIDI[8]}.")
    facts = letter_facts(tiny_scorer.score_client(refused_client), tiny_scorer, "fr", reviews=(old,))
    with caplog.at_level(logging.WARNING):
        text, pages = read_pdf(letter_pdf(facts, "fr"), tmp_path)
    assert pages <= 2
    assert "Garant éfuser solvable vu le 3." in text and "(mdupont)" in text
    assert not set(INVISIBLE) & set(text), sorted(hex(ord(ch)) for ch in set(INVISIBLE) & set(text))
    assert not [r for r in caplog.records if "missing the following glyphs" in r.getMessage()]


def test_a_review_typed_with_bidi_controls_reads_in_order_in_the_letter(app, signed_in, tiny_scorer, tmp_path):
    """End to end: recorded through the dashboard's callback, read back from the letter's route."""
    from app import services_of
    from tests.test_letter import read_pdf

    if subprocess.run(["which", "pdftotext"], capture_output=True).returncode:
        pytest.skip("poppler-utils not installed")
    p = tiny_scorer.scores["PROBABILITY"]
    cid = int(p[p >= tiny_scorer.rule.refer_high].index[-1])
    assert _review(signed_in, cid, f"Vu {BIDI[4]}éfuser{BIDI[2]} au guichet").status_code == 200
    assert [r.reason for r in services_of(app.server).reviews.for_client(cid)] == ["Vu éfuser au guichet"]
    letter = signed_in.get(f"/clients/{cid}/letter.pdf?lang=fr")
    assert letter.status_code == 200
    _assert_not_stored(letter, "letter")
    text, _ = read_pdf(letter.data, tmp_path)
    assert "Vu éfuser au guichet" in text and not set(BIDI) & set(text)


def test_the_file_screen_shows_no_invisible_character_of_an_old_review():
    """A reason stored before the rule (the database may hold one) is shown without its bidi controls too."""
    from types import SimpleNamespace

    from layouts.file import review_list

    old = SimpleNamespace(timestamp=datetime(2026, 1, 5, tzinfo=UTC), author="bob", verdict="override",
                          decision=GRANTED, reason="Revenus \u202eésifitsuj\u202c confirmés")
    shown = json.dumps(review_list([old], REFUSED, "fr").to_plotly_json(), default=str, ensure_ascii=False)
    assert "\u202e" not in shown and "\u202c" not in shown and "Revenus ésifitsuj confirmés" in shown


def test_the_favicon_dash_asks_for_needs_no_sign_in(tmp_path, tiny_model_dir, tiny_scorer):
    """A favicon fetch during the sign-in rendered a second /login, whose new CSRF token made the form
    being typed answer "expired" (a flaky browser test)."""
    from tests.test_api import build_server

    client = build_server(make_settings(tmp_path, tiny_model_dir), tiny_scorer).test_client()
    assert client.get("/_favicon.ico").status_code != 302
