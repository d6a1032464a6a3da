"""The OpenAPI contract and the routes cannot drift: the document is valid OpenAPI 3.1, lists
exactly routes.ROUTES, and what it declares is what the routes do (values built from the
document are accepted; values just past a declared bound, outside an enum or not declared
are refused with a 400 naming the field)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema_rs
import pytest
from flask import Flask
from schemathesis.specs.openapi.definitions import OPENAPI_31

import auth
from api import ROUTES
from api.openapi import DOCS_PATH, OPENAPI_PATH, openapi_path
from settings import Settings

KEY = "test-api-key-openapi-0123456789"
H = {auth.API_KEY_HEADER: KEY}


def make_server(tmp: Path, model_dir: Path, scorer) -> Flask:
    from app import create_flask

    users = tmp / "users.json"
    auth.add_user(users, "alice", "correct horse battery")
    settings = Settings(instance_dir=tmp, users_file=users, api_keys=(KEY,), model_dir=model_dir,
                        secret_key="s" * 32)
    server, _ = create_flask(settings, scorer)
    return server


@pytest.fixture()
def client(tmp_path, tiny_model_dir, tiny_scorer):
    return make_server(tmp_path, tiny_model_dir, tiny_scorer).test_client()


@pytest.fixture()
def doc(client) -> dict:
    resp = client.get(OPENAPI_PATH)          # public: no key
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return json.loads(resp.get_data(as_text=True), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node: dict = doc
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def test_document_is_valid_openapi_31(doc):
    jsonschema_rs.validator_for(OPENAPI_31).validate(doc)
    assert doc["openapi"].startswith("3.1")
    for name, schema in doc["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_every_route_is_documented_and_nothing_else(doc):
    declared = {(openapi_path(path), m.lower()) for path, methods in ROUTES for m in methods}
    documented = {(path, m) for path, item in doc["paths"].items() for m in item}
    assert declared == documented


def test_security_matches_the_guard(client, doc):
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == auth.API_KEY_HEADER
    for path, item in doc["paths"].items():
        for method, op in item.items():
            public = op.get("security", doc["security"]) == []
            url = path.replace("{raw_id}", "1")
            resp = client.open(url, method=method.upper(), json={} if method == "post" else None)
            assert (resp.status_code != 401) == public, (method, path, resp.status_code)
            assert "401" in op["responses"] or public


def app_schema(doc: dict) -> dict:
    return resolve(doc, doc["components"]["schemas"]["Application"])


def valid_value(doc: dict, schema: dict, side: str):
    """A value the schema declares valid: at its lower or upper end (``side`` = "low"/"high")."""
    schema = resolve(doc, schema)
    if "anyOf" in schema:
        return valid_value(doc, schema["anyOf"][0], side)
    if "enum" in schema:
        levels = [v for v in schema["enum"] if v is not None]
        return levels[0] if side == "low" else levels[-1]
    kind = schema["type"][0] if isinstance(schema["type"], list) else schema["type"]
    if kind == "integer":
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 0)
        return int(math.ceil(lo)) if side == "low" else int(hi)
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if side == "low":
        return lo if lo is not None else -1e6
    return hi if hi is not None else 1e6


def body_at(doc: dict, side: str, only_required: bool = False) -> dict:
    schema = app_schema(doc)
    names = schema["required"] if only_required else list(schema["properties"])
    return {"application": {n: valid_value(doc, schema["properties"][n], side) for n in names}}


@pytest.mark.parametrize("side", ["low", "high"])
@pytest.mark.parametrize("only_required", [True, False])
def test_bodies_built_from_the_document_are_accepted(client, doc, side, only_required):
    resp = client.post("/api/v1/predict", json=body_at(doc, side, only_required), headers=H)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    json.loads(resp.get_data(as_text=True), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    answer = resolve(doc, {"$ref": "#/components/schemas/Score"})
    jsonschema_rs.validator_for(answer).validate(resp.get_json())


def test_values_just_past_a_declared_bound_are_refused(client, doc):
    schema = app_schema(doc)
    checked = 0
    for name, prop in schema["properties"].items():
        bounded = prop["anyOf"][0] if "anyOf" in prop else prop
        kind = bounded["type"][0] if isinstance(bounded["type"], list) else bounded["type"]
        for key, direction in (("minimum", -math.inf), ("maximum", math.inf)):
            if key not in bounded:
                continue
            edge = bounded[key]
            outside = edge + (1 if direction > 0 else -1) if kind == "integer" else math.nextafter(edge, direction)
            body = body_at(doc, "low", only_required=True)
            body["application"][name] = outside
            resp = client.post("/api/v1/predict", json=body, headers=H)
            assert resp.status_code == 400, (name, outside, resp.get_data(as_text=True))
            assert resp.get_json()["error"]["field"] == f"application.{name}"
            checked += 1
    assert checked > 40


def test_enums_required_and_undeclared_fields_are_enforced(client, doc):
    schema = app_schema(doc)
    for name in schema["required"]:
        body = body_at(doc, "low", only_required=True)
        del body["application"][name]
        resp = client.post("/api/v1/predict", json=body, headers=H)
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == f"application.{name}"
    enums = [n for n, p in schema["properties"].items() if "enum" in p]
    assert enums
    for name in enums:
        body = body_at(doc, "low", only_required=True)
        body["application"][name] = "not-a-level"
        assert client.post("/api/v1/predict", json=body, headers=H).status_code == 400
    assert schema["additionalProperties"] is False
    body = body_at(doc, "low", only_required=True)
    body["application"]["NOT_A_COLUMN"] = 1
    assert client.post("/api/v1/predict", json=body, headers=H).status_code == 400
    top_level = resolve(doc, doc["components"]["schemas"]["PredictBody"])
    body["application"].pop("NOT_A_COLUMN")
    for table, prop in top_level["properties"].items():
        if table == "application":
            continue
        too_many = {**body, table: [{}] * (prop["maxItems"] + 1)}
        resp = client.post("/api/v1/predict", json=too_many, headers=H)
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == table


def test_query_and_path_parameters_match_the_routes(client, doc, tiny_scorer):
    op = doc["paths"]["/api/v1/clients/{raw_id}/score"]["get"]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    cid = int(tiny_scorer.population.index[0])
    base = f"/api/v1/clients/{cid}/score"
    for lang in params["lang"]["enum"]:
        assert client.get(f"{base}?lang={lang}", headers=H).status_code == 200
    assert client.get(f"{base}?lang=xx", headers=H).status_code == 400
    top = params["top"]
    assert top["maximum"] == len(tiny_scorer.features)
    for ok in (top["minimum"], top["maximum"]):
        assert client.get(f"{base}?top={ok}", headers=H).status_code == 200
    for bad in (top["minimum"] - 1, top["maximum"] + 1):
        assert client.get(f"{base}?top={bad}", headers=H).status_code == 400
    assert "pattern" in params["raw_id"]
    assert client.get("/api/v1/clients/12x/score", headers=H).status_code == 400


def test_docs_page_is_local_and_public(client):
    resp = client.get(DOCS_PATH)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "<script>" not in html and "http" not in html      # no inline script, no CDN
    for asset in ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "docs.js"):
        url = f"{DOCS_PATH}/static/{asset}"
        assert url in html
        got = client.get(url)
        assert got.status_code == 200 and len(got.data) > 100
        got.close()


def test_docs_page_renders_every_operation_in_a_browser(duo, tiny_scorer):
    """Swagger UI, from the app's own files, lists every operation of the contract."""
    from selenium.webdriver.common.by import By

    from tests.helpers import wait_until

    duo.driver.get(f"{duo.server_url}{DOCS_PATH}")
    blocks = wait_until(lambda: (lambda found: found if len(found) >= len(ROUTES) else None)(
        duo.driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")), message="the operations list")
    shown = {b.get_attribute("data-path") for b in blocks}
    assert shown == {openapi_path(path) for path, _ in ROUTES}
    # every script and style came from this server
    sources = duo.driver.execute_script(
        "return [...document.scripts].map(s => s.src).concat("
        "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href))")
    assert sources and all(s.startswith(duo.server_url) for s in sources), sources
