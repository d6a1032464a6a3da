"""Issue 28, item 6: a state-changing request sent by a browser from another site is refused (403) and
changes nothing; same-origin requests and programs (no Origin, no Sec-Fetch-Site) pass."""
from __future__ import annotations

import json

import pytest

from benchmarks.fuzz import BASE_APPLICATION
from layouts import ids
from tests.helpers import csrf_token, post_login
from tests.test_api import PASSWORD, H, make_settings

EVIL = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}


@pytest.fixture(scope="module")
def app(tiny_scorer, tiny_model_dir, demo_data_dir, records_cache_dir, tmp_path_factory):
    from app import create_app

    # plain HTTP on loopback, as the test client speaks: https://localhost is another origin (behind a TLS front,
    # the default, it is the server's own: test_https_front_accepts_its_own_https_origin)
    settings = make_settings(tmp_path_factory.mktemp("instance"), tiny_model_dir, data_dir=demo_data_dir,
                             records_cache_dir=records_cache_dir, scoring_log=None, plain_http_loopback=True)
    return create_app(settings, tiny_scorer)


@pytest.fixture
def signed_in(app):
    client = app.server.test_client()
    assert post_login(client, "alice", PASSWORD).status_code == 302
    return client


def _review(client, cid: int, reason: str, headers: dict[str, str]):
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if f"..{ids.REVIEW_MESSAGE}.children" in d["output"])
    outputs = [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in dep["output"].strip(".").split("...")]
    values = {f"{ids.REVIEW_SUBMIT}.n_clicks": 1, f"{ids.REVIEW_VERDICT}.value": "confirm",
              f"{ids.REVIEW_REASON}.value": reason, f"{ids.STATE}.data": {"lang": "en", "client": cid}}
    body = {"output": dep["output"], "outputs": outputs, "changedPropIds": [f"{ids.REVIEW_SUBMIT}.n_clicks"],
            "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in dep["inputs"]],
            "state": [{**s, "value": values.get(f"{s['id']}.{s['property']}")} for s in dep["state"]]}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json",
                       headers=headers)


def _reasons(app, cid: int) -> list[str]:
    from app import services_of

    return [r.reason for r in services_of(app.server).reviews.for_client(cid)]


def test_cross_site_review_is_refused_and_not_recorded(app, signed_in, tiny_scorer):
    cid = int(tiny_scorer.population.index[1])
    for headers in (EVIL, {"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site", "Origin": "http://other.localhost"}, {"Origin": "null"},
                    {"Origin": "http://localhost:8443"}, {"Origin": "https://localhost"}):
        refused = _review(signed_in, cid, "forged", headers)
        assert refused.status_code == 403 and refused.mimetype == "application/json", headers
        assert refused.get_json()["error"]["code"] == "forbidden"
    assert _reasons(app, cid) == []


def test_same_origin_and_headerless_reviews_pass(app, signed_in, tiny_scorer):
    cid = int(tiny_scorer.population.index[2])
    same = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert _review(signed_in, cid, "seen in the meeting", same).status_code == 200
    assert _review(signed_in, cid, "second look", {"Origin": "http://localhost:80"}).status_code == 200
    assert _review(signed_in, cid, "from a program", {}).status_code == 200
    assert sorted(_reasons(app, cid)) == ["from a program", "second look", "seen in the meeting"]


def test_sign_in_form_from_another_site_is_refused(app):
    client = app.server.test_client()
    token = csrf_token(client)
    form = {"username": "alice", "password": PASSWORD, "csrf_token": token}
    refused = client.post("/login", data=form, headers=EVIL)
    assert refused.status_code == 403 and refused.mimetype == "text/plain"
    assert client.get("/_dash-layout").status_code == 401                 # not signed in
    assert client.post("/login", data=form, headers={"Origin": "http://localhost"}).status_code == 302


def test_api_from_programs_still_works_and_from_another_site_does_not(app):
    client = app.server.test_client()
    body = {"application": BASE_APPLICATION}
    ok = client.post("/api/v1/predict", json=body, headers=H)                 # no cookie, no Origin
    assert ok.status_code == 200, ok.get_data(as_text=True)[:300]
    refused = client.post("/api/v1/predict", json=body, headers={**H, **EVIL})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/health", headers=EVIL).status_code == 200      # reads are not checked


def test_https_front_accepts_its_own_https_origin(tiny_scorer, tiny_model_dir, tmp_path):
    from app import create_flask

    server, _ = create_flask(make_settings(tmp_path, tiny_model_dir, session_cookie_secure=True), tiny_scorer)
    client = server.test_client()
    body = {"application": BASE_APPLICATION}
    assert client.post("/api/v1/predict", json=body,
                       headers={**H, "Origin": "https://localhost", "Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert client.post("/api/v1/predict", json=body, headers={**H, "Origin": "https://evil.example"}).status_code == 403
