"""Faults found by fuzzing the JSON API (issue 16), each with the request that showed it.

Non-finite numbers in a 200 answer, duplicate JSON keys, HTML or redirects under ``/api/``,
OPTIONS and HEAD answers, and HEAD requests written to the scoring log as if a score was served.
"""
from __future__ import annotations

import json

import pytest

from data.schema import MAX_AMOUNT, MAX_CHILD_MAGNITUDE, MAX_COUNT, RANGES, TABLES
from tests.helpers import request_body
from tests.test_api import H, assert_error, client, minimal_application, post, rich_client, server, tables

__all__ = ["client", "server", "tables"]   # fixtures shared with test_api.py


def strict_json(resp) -> object:
    """The body parsed as strict JSON: NaN or Infinity fails the test."""
    def refuse(constant: str) -> object:
        raise AssertionError(f"{constant} in a JSON answer: {resp.get_data(as_text=True)[:300]}")

    return json.loads(resp.get_data(as_text=True), parse_constant=refuse)


# --------------------------------------------------------------------------- item 2: Infinity in a 200

def test_huge_count_is_out_of_range_not_infinity(client, tiny_scorer):
    """The issue's reproducer: 1e300 enquiries overflowed float32 and answered "value": Infinity."""
    resp = post(client, {"application": minimal_application(AMT_REQ_CREDIT_BUREAU_DAY=1e300)}, query=f"?top={len(tiny_scorer.features)}")
    err = assert_error(resp, 400, "out_of_range", "application.AMT_REQ_CREDIT_BUREAU_DAY")
    assert str(MAX_COUNT) in err["message"]


@pytest.mark.parametrize("name", ["AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE",
                                  "OBS_30_CNT_SOCIAL_CIRCLE", "DEF_60_CNT_SOCIAL_CIRCLE",
                                  "AMT_REQ_CREDIT_BUREAU_YEAR"])
def test_formerly_unbounded_columns_have_an_upper_bound(client, name):
    assert RANGES[name].high is not None
    assert_error(post(client, {"application": minimal_application(**{name: 1e38})}), 400, "out_of_range",
                 f"application.{name}")


def test_every_application_number_has_an_upper_bound():
    """No numeric application column left unbounded above, except day counts (bounded by 0) and ids."""
    app = TABLES["application_test"]
    unbounded = [c.name for c in app.columns if c.kind != "category" and c.name != "SK_ID_CURR"
                 and (c.name not in RANGES or RANGES[c.name].high is None)]
    assert unbounded == [], unbounded


def test_huge_child_number_names_the_row_field(client, tables, tiny_scorer):
    body = request_body(tables, rich_client(tables, tiny_scorer))
    assert len(body["bureau"]) >= 1
    i = len(body["bureau"]) - 1
    body["bureau"][i]["AMT_CREDIT_SUM"] = 1e308
    err = assert_error(post(client, body), 400, "out_of_range", f"bureau[{i}].AMT_CREDIT_SUM")
    assert f"{MAX_CHILD_MAGNITUDE:.0e}" in err["message"]
    body["bureau"][i]["AMT_CREDIT_SUM"] = -1e308
    assert_error(post(client, body), 400, "out_of_range", f"bureau[{i}].AMT_CREDIT_SUM")


def test_largest_admitted_values_answer_strict_json(client, tables, tiny_scorer):
    """Every amount and count at its upper bound, every child float at ±MAX_CHILD_MAGNITUDE: a 200 whose
    every number is finite (or a 400 invalid_data naming a feature, never Infinity)."""
    body = request_body(tables, rich_client(tables, tiny_scorer))
    app = body["application"]
    for name, bounds in RANGES.items():
        if name.startswith(("AMT_", "OBS_", "DEF_")):
            app[name] = bounds.high
    assert app["AMT_CREDIT"] == MAX_AMOUNT
    for table in ("bureau", "previous_application", "installments_payments", "credit_card_balance"):
        floats = TABLES[table].names_of("float")
        for k, row in enumerate(body.get(table, [])):
            for name in floats:
                row[name] = MAX_CHILD_MAGNITUDE if k % 2 == 0 else -MAX_CHILD_MAGNITUDE
    resp = post(client, body, query=f"?top={len(tiny_scorer.features)}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    payload = strict_json(resp)
    assert isinstance(payload, dict) and 0 <= payload["probability"] <= 1


def test_an_infinite_feature_is_refused_not_served(client, monkeypatch, tiny_scorer):
    """The safety net below the bounds: were a bound missing, the overflowing feature is a 400 naming it."""
    monkeypatch.delitem(RANGES, "AMT_REQ_CREDIT_BUREAU_DAY")
    with pytest.warns(RuntimeWarning, match="overflow"):      # the feature's float32 cast overflowed
        resp = post(client, {"application": minimal_application(AMT_REQ_CREDIT_BUREAU_DAY=1e300)},
                    query=f"?top={len(tiny_scorer.features)}")
    err = assert_error(resp, 400, "invalid_data")
    assert err["field"].startswith("features.") and "infinite" in err["message"]


def test_json_value_never_writes_infinity():
    import numpy as np

    from model.json_values import json_value

    assert [json_value(v) for v in (np.float32("inf"), -np.inf, float("nan"), 1.5)] == [None, None, None, 1.5]


# --------------------------------------------------------------------------- item 15: duplicate keys

@pytest.mark.parametrize("raw,key", [
    ('{"application":{"AMT_CREDIT":-5,"AMT_CREDIT":500000,"AMT_INCOME_TOTAL":1e5,"AMT_ANNUITY":2e4,'
     '"DAYS_BIRTH":-12000,"DAYS_EMPLOYED":-2000}}', "AMT_CREDIT"),
    ('{"application":{"AMT_CREDIT":5e5},"application":{"AMT_CREDIT":5e5}}', "application"),
    ('{"application":{},"bureau":[{"SK_ID_BUREAU":1,"SK_ID_BUREAU":2}]}', "SK_ID_BUREAU"),
])
def test_duplicate_keys_are_refused(client, raw, key):
    resp = client.post("/api/v1/predict", data=raw, headers=H, content_type="application/json")
    err = assert_error(resp, 400, "invalid_json", key)
    assert repr(key) in err["message"] and "twice" in err["message"]


# --------------------------------------------------------------------------- item 11: HTML under /api/

def assert_json_error(resp, status: int) -> None:
    assert resp.status_code == status, (resp.status_code, resp.headers, resp.get_data(as_text=True)[:200])
    assert resp.mimetype == "application/json", resp.headers
    assert "Location" not in resp.headers
    strict_json(resp)


@pytest.mark.parametrize("path", ["/api//v1/health", "/api/v1//health", "/api/v1/health/", "///api///v1///model"])
def test_repeated_slashes_are_a_json_404_not_a_redirect(client, path):
    # PATH_INFO as sent: the test client would read "//api/..." as a host name
    for method in (client.get, client.post):
        assert_json_error(method(path, headers=H, environ_overrides={"PATH_INFO": path}), 404)


def test_leading_slashes_reach_the_route_itself(client):
    """Werkzeug matches a path without its leading slashes: //api/v1/health is the health route (JSON).
    (A guard of the routing, not of a fix: this answered JSON before too.)"""
    resp = client.get("//api/v1/health", environ_overrides={"PATH_INFO": "//api/v1/health"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"


def test_repeated_slashes_never_reach_the_dashboard_page(server):
    """Dash's catch-all serves its page for unknown GET paths: /api//v1/health must not be one."""
    @server.get("/<path:anything>")
    def dashboard_catch_all(anything: str) -> str:
        return "<html>dashboard</html>"

    c = server.test_client()
    for path in ("/api//v1/health", "/api/v1//model", "/api//v1/model"):
        resp = c.get(path, headers=H, environ_overrides={"PATH_INFO": path})
        assert resp.mimetype == "application/json" and resp.status_code == 404, (path, resp.get_data()[:100])


@pytest.mark.parametrize("path,allow", [
    ("/api/v1/health", "GET, HEAD, OPTIONS"), ("/api/v1/model", "GET, HEAD, OPTIONS"),
    ("/api/v1/clients/123/score", "GET, HEAD, OPTIONS"), ("/api/v1/predict", "POST, OPTIONS")])
def test_options_answers_json_with_the_real_methods(client, path, allow):
    resp = client.options(path, headers=H)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Allow"] == allow
    assert strict_json(resp) == {"methods": allow.split(", ")}


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api//v1/health", "/api/"])
def test_options_on_an_unknown_api_path_is_a_json_404(client, path):
    assert_json_error(client.options(path, headers=H, environ_overrides={"PATH_INFO": path}), 404)


def test_405_lists_the_real_methods(client):
    resp = client.delete("/api/v1/predict", headers=H)
    assert_json_error(resp, 405)
    assert resp.headers["Allow"] == "POST, OPTIONS"
    resp = client.put("/api/v1/health", headers=H)
    assert_json_error(resp, 405)
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_head_answers_json_headers_without_a_body(client):
    for path in ("/api/v1/health", "/api/v1/model"):
        resp = client.head(path, headers=H)
        assert resp.status_code == 200 and resp.mimetype == "application/json" and resp.get_data() == b""
    resp = client.head("/api/v1/nope", headers=H)
    assert resp.status_code == 404 and resp.mimetype == "application/json" and resp.get_data() == b""


def test_other_http_errors_are_json(client):
    huge = json.dumps({"application": minimal_application(), "pad": "x" * 3_000_000})
    assert_json_error(client.post("/api/v1/predict", data=huge, headers=H, content_type="application/json"), 413)
    assert_json_error(client.get("/api/v1/model?top=%ZZ&lang=%", headers=H), 400)
    assert_json_error(client.get("/api/v1/clients/%FF%FE/score", headers=H), 400)


# --------------------------------------------------------------------------- item 13: HEAD is no score served

def test_head_writes_no_scoring_log_row(server, tables, tiny_scorer):
    from app import services_of

    log = services_of(server).scoring_log
    assert log.enabled
    cid = rich_client(tables, tiny_scorer)
    c = server.test_client()
    before = log.count()
    assert c.head(f"/api/v1/clients/{cid}/score", headers=H).status_code == 200
    assert log.count() == before
    assert c.get(f"/api/v1/clients/{cid}/score", headers=H).status_code == 200
    assert log.count() == before + 1
