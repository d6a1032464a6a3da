"""The JSON routes: every status code, every validation rule, and the same client scored
through both routes.

The app is built here from its Flask parts (auth + the API blueprint, as ``app.create_app``
does), so these tests do not depend on the dashboard's layouts and callbacks; one test goes
through the real ``create_app`` when those exist.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask import Flask

import api
import auth
from data.schema import CHILD_TABLES, DAYS_SENTINEL, RANGES, TABLES, Bounds
from model.explain import OTHER
from settings import Settings
from tests.helpers import request_body, rows_of

KEY = "test-api-key-0123456789"
H = {auth.API_KEY_HEADER: KEY}
PASSWORD = "correct horse battery"


def make_settings(tmp: Path, model_dir: Path, **kw) -> Settings:
    users = tmp / "users.json"
    if not users.exists():
        auth.add_user(users, "alice", PASSWORD)
    return Settings(instance_dir=tmp, users_file=users, api_keys=(KEY,), model_dir=model_dir,
                    secret_key="s" * 32, **kw)


def build_server(settings: Settings, scorer) -> Flask:
    """The Flask side of app.create_app (same config, auth, services and blueprint), plus one page."""
    from app import create_flask

    server, _ = create_flask(settings, scorer)

    @server.get("/")
    def home():
        return "dashboard home"

    return server


@pytest.fixture()
def server(tmp_path, tiny_model_dir, tiny_scorer):
    return build_server(make_settings(tmp_path, tiny_model_dir), tiny_scorer)


@pytest.fixture()
def client(server):
    return server.test_client()


@pytest.fixture(scope="module")
def tables(demo_data_dir):
    from data.load import load_tables

    return load_tables(demo_data_dir)


def assert_error(resp, status: int, code: str | None = None, field: str | None | type = type) -> dict:
    """An error answer: the status, JSON (never HTML), the {"error": {code, message, field}} shape."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    body = json.loads(resp.get_data(as_text=True), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code
    if field is not type:
        assert body["error"]["field"] == field
    return body["error"]


def rich_client(tables, scorer) -> int:
    """A known client with rows in every child table (so every feature family is exercised)."""
    ids = set(tables["application_train"]["SK_ID_CURR"])
    for name in ("bureau", "previous_application", "POS_CASH_balance", "installments_payments",
                 "credit_card_balance"):
        if name in tables:
            ids &= set(tables[name]["SK_ID_CURR"])
    bb = set(tables["bureau"].loc[tables["bureau"]["SK_ID_BUREAU"].isin(tables["bureau_balance"]["SK_ID_BUREAU"]),
                                  "SK_ID_CURR"])
    ids &= bb
    ids = sorted(i for i in ids if scorer.knows(i))
    assert ids, "the demo data should have clients with every kind of history"
    return int(ids[0])


def minimal_application(**extra) -> dict:
    app = {"AMT_INCOME_TOTAL": 180000.0, "AMT_CREDIT": 500000.0, "AMT_ANNUITY": 25000.0,
           "DAYS_BIRTH": -12000, "DAYS_EMPLOYED": -2000}
    app.update(extra)
    return app


def post(client, body, **kw):
    headers = dict(H)
    headers.update(kw.pop("headers", {}))
    return client.post("/api/v1/predict" + kw.pop("query", ""), data=json.dumps(body), headers=headers,
                       content_type=kw.pop("content_type", "application/json"))


# --------------------------------------------------------------------------- health, model

def test_health_is_public_and_names_the_model(client, tiny_scorer):
    resp = client.get("/api/v1/health")
    assert resp.status_code == 200
    body = resp.get_json()
    cache = body.pop("cache")          # this process's view cache figures (docs/deployment.md)
    assert body == {"status": "ok", "model_version": tiny_scorer.version, "store": {"status": "ok"}}
    assert cache["backend"] == "simple" and {"hits", "misses", "errors"} <= set(cache)


def test_model_summary(client, tiny_scorer):
    resp = client.get("/api/v1/model?lang=en&top=5", headers=H)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["version"] == tiny_scorer.version
    assert body["threshold"] == pytest.approx(tiny_scorer.threshold)
    assert body["cost_weights"] == tiny_scorer.artifact.metadata.cost_weights
    assert body["feature_count"] == len(tiny_scorer.features)
    assert 0.5 < body["cv_metrics"]["auc"] <= 1
    top = body["top_global_importance"]
    assert len(top) == 5 and [r["feature"] for r in top] == [
        r.feature for r in tiny_scorer.importance[:5]]
    assert all(r["label"] and r["label"] != r["feature"] for r in top)
    fr = client.get("/api/v1/model?top=5", headers=H).get_json()["top_global_importance"]
    assert [r["label"] for r in fr] != [r["label"] for r in top]      # French by default


# --------------------------------------------------------------------------- known client

def test_client_score(client, tiny_scorer):
    cid = int(tiny_scorer.population.index[3])
    resp = client.get(f"/api/v1/clients/{cid}/score?lang=en&top=5", headers=H)
    assert resp.status_code == 200
    s = resp.get_json()
    expected = tiny_scorer.score_client(cid)
    assert s["client_id"] == cid
    assert s["probability"] == pytest.approx(expected.probability, abs=1e-12)
    assert s["model_version"] == tiny_scorer.version
    assert s["threshold"] == pytest.approx(tiny_scorer.threshold)
    assert s["decision"] == ("refused" if s["probability"] >= s["threshold"] else "granted")
    assert s["lang"] == "en" and s["decision_sentence"]
    factors = s["top_factors"]
    assert len(factors) == 6 and factors[-1]["feature"] == OTHER and factors[-1]["label"] == "Other factors"
    # the bars, "other" included, add up exactly to the distance from the base probability
    total = sum(f["contribution"] for f in factors)
    assert total == pytest.approx(s["probability"] - s["base_probability"], abs=1e-9)
    # largest effects first, each with words
    effects = [abs(f["contribution"]) for f in factors[:-1]]
    assert effects == sorted(effects, reverse=True)
    for f in factors[:-1]:
        assert f["label"] and f["feature"] not in f["sentence"] and f["value_text"]
        assert f["direction"] == ("up" if f["contribution_log_odds"] > 0 else "down")


def test_client_score_default_top_and_languages(client, tiny_scorer):
    cid = int(tiny_scorer.population.index[0])
    fr = client.get(f"/api/v1/clients/{cid}/score", headers=H).get_json()
    en = client.get(f"/api/v1/clients/{cid}/score?lang=en", headers=H).get_json()
    assert len(fr["top_factors"]) == 11             # settings.top_factors + "other"
    assert fr["lang"] == "fr" and fr["top_factors"][-1]["label"] == "Autres facteurs"
    assert fr["probability"] == en["probability"]
    assert fr["decision_sentence"] != en["decision_sentence"]
    assert [f["feature"] for f in fr["top_factors"]] == [f["feature"] for f in en["top_factors"]]


def test_decisions_follow_the_threshold(client, tiny_scorer):
    probs = tiny_scorer.scores["PROBABILITY"].sort_values()
    ids = [int(i) for i in probs.index[[0, -1]]]
    seen = set()
    for cid in ids:
        s = client.get(f"/api/v1/clients/{cid}/score", headers=H).get_json()
        assert s["decision"] == ("refused" if s["probability"] >= s["threshold"] else "granted")
        assert s["margin"] == pytest.approx(s["probability"] - s["threshold"])
        seen.add(s["decision"])
    assert seen == {"granted", "refused"}           # the lowest and highest scores fall on both sides


def test_unknown_client_is_404(client):
    assert_error(client.get("/api/v1/clients/999999999/score", headers=H), 404, "unknown_client", "client_id")


@pytest.mark.parametrize("raw", ["abc", "-5", "1.5", "12a", "1" * 30])
def test_client_id_must_be_a_number(client, raw):
    assert_error(client.get(f"/api/v1/clients/{raw}/score", headers=H), 400, "invalid_client_id", "client_id")


@pytest.mark.parametrize("query,field", [("lang=de", "lang"), ("lang=", "lang"), ("top=0", "top"), ("top=x", "top"),
                                         ("top=-1", "top"), ("top=100000", "top"), ("top=2.5", "top")])
def test_bad_parameters_name_the_parameter(client, tiny_scorer, query, field):
    cid = int(tiny_scorer.population.index[0])
    assert_error(client.get(f"/api/v1/clients/{cid}/score?{query}", headers=H), 400, "invalid_parameter", field)
    assert_error(post(client, {"application": minimal_application()}, query=f"?{query}"), 400,
                 "invalid_parameter", field)


def test_known_client_answers_are_cached(client, tiny_scorer, monkeypatch):
    cid = int(tiny_scorer.population.index[1])
    first = client.get(f"/api/v1/clients/{cid}/score?top=3", headers=H).get_json()
    calls = []
    original = tiny_scorer.score_client
    monkeypatch.setattr(tiny_scorer, "score_client", lambda i: calls.append(i) or original(i))
    again = client.get(f"/api/v1/clients/{cid}/score?top=3", headers=H).get_json()
    assert again == first and calls == []                      # same key: served from the cache
    client.get(f"/api/v1/clients/{cid}/score?top=4", headers=H)
    client.get(f"/api/v1/clients/{cid}/score?top=3&lang=en", headers=H)
    assert calls == [cid, cid]                                 # top and lang are part of the key


# --------------------------------------------------------------------------- predict

def test_same_client_same_probability_through_both_routes(client, tables, tiny_scorer):
    cid = rich_client(tables, tiny_scorer)
    body = request_body(tables, cid)
    assert all(body[name] for name in CHILD_TABLES)
    predicted = post(client, body, query="?lang=en&top=5")
    assert predicted.status_code == 200, predicted.get_data(as_text=True)
    p = predicted.get_json()
    known = client.get(f"/api/v1/clients/{cid}/score?lang=en&top=5", headers=H).get_json()
    assert abs(p["probability"] - known["probability"]) < 1e-9
    assert p["client_id"] == cid and p["filled_defaults"] == {}
    assert p["decision"] == known["decision"] and p["decision_sentence"] == known["decision_sentence"]
    assert [f["feature"] for f in p["top_factors"]] == [f["feature"] for f in known["top_factors"]]
    for a, b in zip(p["top_factors"], known["top_factors"]):
        # stored contributions are float32 (explanations.npz): equal to ~1e-8 probability points
        assert a["contribution"] == pytest.approx(b["contribution"], abs=1e-7)


def test_same_client_without_history_tables(client, tables, tiny_scorer):
    """The child tables are optional: without them the score differs but is still a score."""
    cid = rich_client(tables, tiny_scorer)
    body = {"application": request_body(tables, cid)["application"]}
    resp = post(client, body)
    assert resp.status_code == 200
    s = resp.get_json()
    assert 0 < s["probability"] < 1
    assert sum(f["contribution"] for f in s["top_factors"]) == pytest.approx(
        s["probability"] - s["base_probability"], abs=1e-9)


def test_new_applicant_with_minimal_fields(client, tiny_scorer):
    resp = post(client, {"application": minimal_application(), "bureau": []}, query="?top=4")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    s = resp.get_json()
    assert s["client_id"] is None                               # no SK_ID_CURR sent: no id invented in the answer
    assert len(s["top_factors"]) == 5
    assert s["decision"] == ("refused" if s["probability"] >= tiny_scorer.threshold else "granted")
    filled = s["filled_defaults"]
    assert "CNT_CHILDREN" in filled and "FLAG_DOCUMENT_2" in filled and "AMT_CREDIT" not in filled
    assert all(isinstance(v, int) for v in filled.values())
    # a given value is used, not the default
    resp2 = post(client, {"application": minimal_application(CNT_CHILDREN=2, SK_ID_CURR=123)})
    assert "CNT_CHILDREN" not in resp2.get_json()["filled_defaults"] and resp2.get_json()["client_id"] == 123


def strict_json(resp):
    """Parse as standard JSON: NaN/Infinity are not JSON and break browsers' and Java's parsers."""
    def refuse(name):
        raise AssertionError(f"{name} in a JSON answer")
    return json.loads(resp.get_data(as_text=True), parse_constant=refuse)


def test_answers_are_strict_json_with_missing_values(client, tiny_scorer):
    s = strict_json(post(client, {"application": minimal_application()}, query="?top=30"))
    missing = [f for f in s["top_factors"] if f["value"] is None and f["feature"] != OTHER]
    assert missing, "a minimal applicant has missing features among its top factors"
    assert all(f["value_text"] for f in missing)
    for cid in tiny_scorer.population.index[:20]:
        strict_json(client.get(f"/api/v1/clients/{int(cid)}/score?top=30", headers=H))
    strict_json(client.get("/api/v1/model?top=50", headers=H))


def test_predict_child_rows_get_the_applicant_id(client, tiny_scorer, monkeypatch):
    bureau = [{"SK_ID_BUREAU": 1, "CREDIT_ACTIVE": "Active", "DAYS_CREDIT": -400, "CREDIT_DAY_OVERDUE": 0,
               "CNT_CREDIT_PROLONG": 0, "DAYS_CREDIT_UPDATE": -10, "AMT_CREDIT_SUM": 10000.0}]
    built = []
    original = tiny_scorer.application_features
    monkeypatch.setattr(tiny_scorer, "application_features",
                        lambda frames, **kw: built.append(original(frames, **kw)) or built[-1])
    with_b = post(client, {"application": minimal_application(SK_ID_CURR=5), "bureau": bureau})
    assert with_b.status_code == 200, with_b.get_data(as_text=True)
    # the bureau row was joined to the applicant: his features count one active credit of 10,000
    x = built[-1].loc[5]
    assert x["BURO_COUNT"] == 1 and x["BURO_ACTIVE_AMT_CREDIT_SUM_SUM"] == 10_000


BAD_BODIES = [
    # (body, code, field)
    ([1, 2], "invalid_body", None),
    ("text", "invalid_body", None),
    ({}, "missing_field", "application"),
    ({"application": minimal_application(), "extra": 1}, "unknown_field", "extra"),
    ({"application": [1]}, "wrong_type", "application"),
    ({"application": minimal_application(COLOUR="red")}, "unknown_field", "application.COLOUR"),
    ({"application": minimal_application(TARGET=0)}, "unknown_field", "application.TARGET"),
    ({"application": {k: v for k, v in minimal_application().items() if k != "AMT_CREDIT"}},
     "missing_field", "application.AMT_CREDIT"),
    ({"application": minimal_application(AMT_CREDIT="500000")}, "wrong_type", "application.AMT_CREDIT"),
    ({"application": minimal_application(AMT_CREDIT=None)}, "wrong_type", "application.AMT_CREDIT"),
    ({"application": minimal_application(FLAG_MOBIL=True)}, "wrong_type", "application.FLAG_MOBIL"),
    ({"application": minimal_application(CNT_CHILDREN=1.5)}, "wrong_type", "application.CNT_CHILDREN"),
    ({"application": minimal_application(CNT_CHILDREN=None)}, "wrong_type", "application.CNT_CHILDREN"),
    ({"application": minimal_application(SK_ID_CURR="100002")}, "wrong_type", "application.SK_ID_CURR"),
    ({"application": minimal_application(CODE_GENDER=1)}, "wrong_type", "application.CODE_GENDER"),
    ({"application": minimal_application(CODE_GENDER="Female")}, "invalid_value", "application.CODE_GENDER"),
    ({"application": minimal_application(DAYS_BIRTH=-1000)}, "out_of_range", "application.DAYS_BIRTH"),
    ({"application": minimal_application(DAYS_BIRTH=-40000)}, "out_of_range", "application.DAYS_BIRTH"),
    ({"application": minimal_application(DAYS_EMPLOYED=100)}, "out_of_range", "application.DAYS_EMPLOYED"),
    ({"application": minimal_application(AMT_CREDIT=-5.0)}, "out_of_range", "application.AMT_CREDIT"),
    ({"application": minimal_application(AMT_INCOME_TOTAL=0)}, "out_of_range", "application.AMT_INCOME_TOTAL"),
    ({"application": minimal_application(EXT_SOURCE_2=1.5)}, "out_of_range", "application.EXT_SOURCE_2"),
    ({"application": minimal_application(FLAG_DOCUMENT_3=2)}, "out_of_range", "application.FLAG_DOCUMENT_3"),
    ({"application": minimal_application(SK_ID_CURR=-3)}, "out_of_range", "application.SK_ID_CURR"),
    ({"application": minimal_application(), "bureau": {"SK_ID_BUREAU": 1}}, "wrong_type", "bureau"),
    ({"application": minimal_application(), "bureau": [3]}, "wrong_type", "bureau[0]"),
    ({"application": minimal_application(), "previous_application": [{"SK_ID_PREV": 1, "COLOUR": 1}]},
     "unknown_field", "previous_application[0].COLOUR"),
    ({"application": minimal_application(SK_ID_CURR=7), "POS_CASH_balance": [
        {"SK_ID_PREV": 1, "SK_ID_CURR": 8, "MONTHS_BALANCE": -1, "SK_DPD": 0, "SK_DPD_DEF": 0}]},
     "invalid_value", "POS_CASH_balance[0].SK_ID_CURR"),
    ({"application": minimal_application(), "bureau_balance": [{"SK_ID_BUREAU": 1, "STATUS": "C"}]},
     "missing_field", "bureau_balance[0].MONTHS_BALANCE"),
    ({"application": minimal_application(), "bureau_balance": [
        {"SK_ID_BUREAU": 1, "MONTHS_BALANCE": -1, "STATUS": "Z"}]}, "invalid_value", "bureau_balance[0].STATUS"),
]


@pytest.mark.parametrize("body,code,field", BAD_BODIES, ids=[f"{c}:{f}" for _, c, f in BAD_BODIES])
def test_predict_validation(client, body, code, field):
    err = assert_error(post(client, body), 400, code, field)
    if field and "." in field:
        assert field.split(".")[-1] in err["message"]


def test_wrong_type_names_the_expected_type(client):
    err = assert_error(post(client, {"application": minimal_application(AMT_CREDIT="a lot")}), 400, "wrong_type")
    assert "number" in err["message"] and "string" in err["message"]
    err = assert_error(post(client, {"application": minimal_application(CNT_CHILDREN=0.5)}), 400, "wrong_type")
    assert "whole number" in err["message"]


def test_data_error_from_the_loader_is_a_400(client):
    row = {"SK_ID_BUREAU": 1, "CREDIT_ACTIVE": "Active", "DAYS_CREDIT": -400, "CREDIT_DAY_OVERDUE": 0,
           "CNT_CREDIT_PROLONG": 0, "DAYS_CREDIT_UPDATE": -10}
    err = assert_error(post(client, {"application": minimal_application(), "bureau": [row, row]}), 400,
                       "invalid_data", "bureau.SK_ID_BUREAU")
    assert "duplicate key 1" in err["message"]


@pytest.mark.parametrize("raw", [b"{not json", b'{"application": NaN}', b'{"application": {"AMT_CREDIT": Infinity}}',
                                 b"\xff\xfe", b""])
def test_malformed_json_is_a_400(client, raw):
    resp = client.post("/api/v1/predict", data=raw, headers=H, content_type="application/json")
    assert_error(resp, 400, "invalid_json")


@pytest.mark.parametrize("raw,code,field", [
    (b'{"application": {"AMT_INCOME_TOTAL": 1e400}}', "out_of_range", "application.AMT_INCOME_TOTAL"),
    (b'{"application": {"AMT_GOODS_PRICE": 1' + b"0" * 400 + b'}}', "out_of_range", "application.AMT_GOODS_PRICE"),
    (b'{"application": {"CNT_CHILDREN": 1' + b"0" * 30 + b'}}', "out_of_range", "application.CNT_CHILDREN"),
    (b'{"application": {"CNT_CHILDREN": 1e400}}', "wrong_type", "application.CNT_CHILDREN"),
    (b"[" * 100_000 + b"]" * 100_000, "invalid_json", None),
])
def test_extreme_numbers_and_nesting_are_400s(client, raw, code, field):
    resp = client.post("/api/v1/predict", data=raw, headers=H, content_type="application/json")
    assert_error(resp, 400, code, field)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_predict_needs_json_content_type(client, content_type):
    resp = client.post("/api/v1/predict", data=json.dumps({"application": minimal_application()}), headers=H,
                       content_type=content_type)
    assert_error(resp, 415, "unsupported_media_type")


def test_body_too_large_is_a_413(client, server):
    limit = server.config["MAX_CONTENT_LENGTH"]
    body = {"application": minimal_application(),
            "bureau": [{"SK_ID_BUREAU": i, "CREDIT_ACTIVE": "Active", "DAYS_CREDIT": -400, "CREDIT_DAY_OVERDUE": 0,
                        "CNT_CREDIT_PROLONG": 0, "DAYS_CREDIT_UPDATE": -10} for i in range(limit // 60)]}
    assert len(json.dumps(body)) > limit
    assert_error(post(client, body), 413, "payload_too_large")


def test_body_limit_is_the_setting(tmp_path, tiny_model_dir, tiny_scorer):
    """A smaller max_request_bytes is honoured by the route itself, even without Flask's limit."""
    server = build_server(make_settings(tmp_path, tiny_model_dir, max_request_bytes=200), tiny_scorer)
    server.config["MAX_CONTENT_LENGTH"] = None
    c = server.test_client()
    assert post(c, {"application": minimal_application()}).status_code == 200
    assert_error(post(c, {"application": minimal_application(), "bureau": [], "previous_application": [],
                          "installments_payments": [], "credit_card_balance": [], "POS_CASH_balance": [],
                          "bureau_balance": []}), 413, "payload_too_large")


# --------------------------------------------------------------------------- HTTP errors under /api

def test_unknown_api_route_is_json_404(client):
    assert_error(client.get("/api/v1/nothing-here", headers=H), 404, "not_found")
    assert_error(client.get("/api/v2/clients/1/score", headers=H), 404, "not_found")


def test_wrong_method_is_json_405(client, tiny_scorer):
    resp = client.get("/api/v1/predict", headers=H)
    assert_error(resp, 405, "method_not_allowed")
    assert "POST" in resp.headers["Allow"]
    cid = int(tiny_scorer.population.index[0])
    assert_error(client.delete(f"/api/v1/clients/{cid}/score", headers=H), 405, "method_not_allowed")


def test_unexpected_error_is_json_500_and_logged(client, tiny_scorer, monkeypatch, caplog):
    def boom(_cid):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(tiny_scorer, "score_client", boom)
    cid = int(tiny_scorer.population.index[5])
    with caplog.at_level(logging.ERROR):
        resp = client.get(f"/api/v1/clients/{cid}/score?top=7", headers=H)
    err = assert_error(resp, 500, "internal_error")
    assert "secret" not in err["message"]
    assert any("secret internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_html_errors_outside_the_api_are_unchanged(client):
    from tests.helpers import post_login

    assert post_login(client, "alice", PASSWORD).status_code == 302
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"


# --------------------------------------------------------------------------- API key

@pytest.mark.parametrize("headers", [{}, {auth.API_KEY_HEADER: "wrong"}, {auth.API_KEY_HEADER: ""},
                                     {"Authorization": f"Bearer {KEY}"}])
def test_api_needs_the_key(client, tiny_scorer, headers):
    cid = int(tiny_scorer.population.index[0])
    for resp in (client.get(f"/api/v1/clients/{cid}/score", headers=headers),
                 client.get("/api/v1/model", headers=headers),
                 client.post("/api/v1/predict", json={"application": minimal_application()}, headers=headers),
                 client.get("/api/v1/nothing", headers=headers)):
        assert_error(resp, 401, "unauthorized")


# --------------------------------------------------------------------------- the real app

def test_routes_through_the_real_app(tmp_path, tiny_model_dir, tiny_scorer):
    from app import create_app

    app = create_app(make_settings(tmp_path, tiny_model_dir), tiny_scorer)
    assert app.server.debug is False
    c = app.server.test_client()
    cid = int(tiny_scorer.population.index[0])
    assert c.get("/api/v1/health").status_code == 200
    s = c.get(f"/api/v1/clients/{cid}/score", headers=H)
    assert s.status_code == 200 and s.get_json()["client_id"] == cid
    assert_error(c.get("/api/v1/clients/abc/score", headers=H), 400, "invalid_client_id")
    assert_error(c.get("/api/v1/nothing", headers=H), 404, "not_found")
    assert_error(c.get("/api/v1/predict", headers=H), 405, "method_not_allowed")
    assert_error(c.post("/api/v1/predict", data="x", content_type="text/plain", headers=H), 415)
    assert_error(c.get(f"/api/v1/clients/{cid}/score"), 401, "unauthorized")
    p = post(c, {"application": minimal_application()})
    assert p.status_code == 200


def test_ranges_cover_the_documented_columns():
    for name in ("AMT_INCOME_TOTAL", "DAYS_BIRTH", "EXT_SOURCE_1", "EXT_SOURCE_3", "FLAG_DOCUMENT_21",
                 "APARTMENTS_AVG", "CNT_CHILDREN", "HOUR_APPR_PROCESS_START"):
        assert name in api.RANGES
    assert (api.RANGES["DAYS_BIRTH"].low, api.RANGES["DAYS_BIRTH"].high) == (-36500, -6570)
    assert set(api.REQUIRED) <= set(TABLES["application_test"].column_names)


def test_demo_applications_pass_the_ranges(tables):
    """Every application row of the generated data is a valid request (the checks are not too strict)."""
    for source in ("application_train", "application_test"):
        frame = tables[source].drop(columns=["TARGET"], errors="ignore").head(400)
        for row in rows_of(frame):
            api.parse_predict_body({"application": row}, {})


def test_routes_table_matches_the_blueprint(server):
    """api.ROUTES drives the JSON 404/405 answers; it must list exactly the real routes."""
    real = {(str(r.rule).replace("<string:raw_id>", "<raw_id>"), frozenset(r.methods - {"HEAD", "OPTIONS"}))
            for r in server.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint != "api._no_route"}
    assert real == {(path, frozenset(m)) for path, m in api.ROUTES}


def _outside(bounds: Bounds, kind: str) -> list[float]:
    """Values just outside the declared bounds (whole numbers for int columns)."""
    step = 1 if kind == "int" else 1e-6
    return [b for b in ((bounds.low - step) if bounds.low is not None else None,
                        (bounds.high + step) if bounds.high is not None else None) if b is not None]


def test_every_declared_range_is_enforced(client):
    """The validator reads data.schema.RANGES: each bounded column refuses low-ε and high+ε, and takes
    its bounds themselves."""
    app = TABLES["application_test"]
    assert RANGES and set(RANGES) <= set(app.column_names)
    for name, bounds in RANGES.items():
        kind = app.column(name).kind
        field = f"application.{name}"
        outside = _outside(bounds, kind)
        assert outside, f"{name} has bounds without a bound"
        for value in outside:
            err = assert_error(post(client, {"application": minimal_application(**{name: value})}), 400,
                               "out_of_range", field)
            assert bounds.rule_words in err["message"], err
        for value in (bounds.low, bounds.high):
            if value is not None:
                api.parse_predict_body({"application": minimal_application(**{name: value})}, {})


def test_sentinel_comes_from_the_schema(client):
    assert TABLES["application_test"].column("DAYS_EMPLOYED").sentinel == DAYS_SENTINEL
    api.parse_predict_body({"application": minimal_application(DAYS_EMPLOYED=DAYS_SENTINEL)}, {})
    assert_error(post(client, {"application": minimal_application(DAYS_EMPLOYED=DAYS_SENTINEL + 1)}), 400,
                 "out_of_range", "application.DAYS_EMPLOYED")


def test_validator_reads_the_declaration(client, monkeypatch):
    """Changing the schema's declaration changes what the API accepts: there is no second copy."""
    monkeypatch.setitem(RANGES, "OWN_CAR_AGE", Bounds(0, 5, "between 0 and 5 (test)"))
    err = assert_error(post(client, {"application": minimal_application(OWN_CAR_AGE=6.0)}), 400, "out_of_range",
                       "application.OWN_CAR_AGE")
    assert "between 0 and 5 (test)" in err["message"]


def test_parsed_application(tiny_scorer):
    parsed = api.parse_predict_body({"application": minimal_application(SK_ID_CURR=42)}, tiny_scorer.typical)
    assert isinstance(parsed, api.ParsedApplication)
    assert parsed.id_given and set(parsed.frames) == {"application_test"}
    assert int(parsed.frames["application_test"]["SK_ID_CURR"].iloc[0]) == 42
    assert "CNT_CHILDREN" in parsed.filled_defaults and "AMT_CREDIT" not in parsed.filled_defaults
    anonymous = api.parse_predict_body({"application": minimal_application()}, {})
    assert not anonymous.id_given
    assert int(anonymous.frames["application_test"]["SK_ID_CURR"].iloc[0]) == api.validation.PLACEHOLDER_ID


def test_scores_carry_grade_referral_band_and_reason_codes(client, tiny_scorer):
    """The JSON routes return the calibrated PD, its grade, the decision with its referral band and,
    for a refusal or a referral, up to four reason codes that never name an excluded attribute."""
    rule, scores = tiny_scorer.rule, tiny_scorer.scores["PROBABILITY"]
    picks = {"granted": scores.index[scores < rule.refer_low][0],
             "refer": scores.index[(scores >= rule.refer_low) & (scores < rule.refer_high)][0],
             "refused": scores.index[scores >= rule.refer_high][0]}
    for decision, cid in picks.items():
        body = client.get(f"/api/v1/clients/{int(cid)}/score?lang=en", headers=H).get_json()
        assert body["decision"] == decision
        assert body["probability"] == pytest.approx(float(scores.loc[cid]), abs=1e-6)
        assert body["grade"] == tiny_scorer.master_scale.grade_of(body["probability"])
        assert body["refer_band"] == [pytest.approx(rule.refer_low), pytest.approx(rule.refer_high)]
        reasons = body["reasons"]
        if decision == "granted":
            assert reasons == []
        else:
            assert 1 <= len(reasons) <= 4 and all(r["points"] > 0 and r["text"] for r in reasons)
            assert [r["points"] for r in reasons] == sorted((r["points"] for r in reasons), reverse=True)
            assert not any("GENDER" in r["code"] or "gender" in r["text"].lower() for r in reasons)
    model = client.get("/api/v1/model", headers=H).get_json()
    assert model["decision_rule"]["threshold"] == pytest.approx(tiny_scorer.threshold)
    assert model["excluded_attributes"] == list(Settings.excluded_attributes) and model["calibration"] in ("none", "platt", "isotonic")
    assert [g["grade"] for g in model["risk_grades"]] == list(tiny_scorer.master_scale.labels)
