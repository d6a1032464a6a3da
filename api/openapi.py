"""The API's contract as an OpenAPI 3.1 document, and the page where the bank's developers read and try it.

The document is generated from the declarations the validator reads (``data.schema``'s tables,
kinds, levels, sentinels and :data:`data.schema.RANGES`; :mod:`api.validation`'s
:data:`~api.validation.REQUIRED`, :data:`~api.validation.MAX_CHILD_ROWS`, the id and ``top``
rules, :data:`model.text.languages.LANGS`) and the error shape of :mod:`api.errors`, so the
contract cannot say something the routes do not do. ``tests/test_openapi.py`` checks both
ways: examples built from the document are accepted, values just past a declared bound refused.

``GET /api/v1/openapi.json`` (public, like ``/api/v1/health``) answers the document;
``GET /docs/api`` is a read-only Swagger UI page served from vendored files
(``api/static/swagger-ui/``, no CDN), whose "Try it out" needs the ``X-API-Key`` given through
its Authorize button.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, url_for
from flask.blueprints import BlueprintSetupState

from api.errors import HTTP_CODES
from api.validation import _ID_RE, _INT_LIMIT, APPLICATION, MAX_CHILD_ROWS, REQUIRED
from data.schema import CHILD_TABLES, TABLES, Column, bounds_of
from model.decision import DECISIONS
from model.text.languages import DEFAULT_LANG, LANGS

JsonSchema = dict[str, Any]

#: Where the document is served (public: auth.PUBLIC_PREFIXES).
OPENAPI_PATH = "/api/v1/openapi.json"
#: The documentation page (public, read-only; not under /api/, where every answer is JSON).
DOCS_PATH = "/docs/api"
STATIC = Path(__file__).parent / "static"
_API_KEY_HEADER = "X-API-Key"   # auth.API_KEY_HEADER; auth imports api, so the name is checked by a test
_SECURITY_SCHEME = "ApiKey"
_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(flask_rule: str) -> str:
    """A Flask rule as an OpenAPI path template: ``/clients/<raw_id>/score`` → ``/clients/{raw_id}/score``."""
    return _FLASK_PARAM.sub(r"{\1}", flask_rule)


# --------------------------------------------------------------------------- values, from data.schema

def column_schema(col: Column, nullable: bool) -> JsonSchema:
    """What ``api.validation._check_value`` and ``_check_range`` accept for one column."""
    if col.kind == "category":
        schema: JsonSchema = {"type": "string", "enum": list(col.levels)}
    elif col.kind == "int":
        schema = {"type": "integer", "minimum": -_INT_LIMIT, "maximum": _INT_LIMIT}
    else:
        schema = {"type": "number"}
    bounds = bounds_of(col.name) if col.kind != "category" else None
    if bounds is not None and col.kind != "category":
        if bounds.low is not None:
            schema["minimum"] = bounds.low
        if bounds.high is not None:
            schema["maximum"] = bounds.high
        schema["description"] = bounds.rule_words
    if col.sentinel is not None and bounds is not None:
        schema = {"anyOf": [schema, {"const": col.sentinel, "description": "Kaggle's sentinel"}]}
    if nullable:
        if "anyOf" in schema:
            schema["anyOf"].append({"type": "null"})
        else:
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
    return schema


def application_schema() -> JsonSchema:
    """The ``application`` object of ``/predict`` (``application_test``'s columns; TARGET refused)."""
    table = TABLES[APPLICATION]
    props = {c.name: column_schema(c, nullable=c.kind != "int" and c.name not in REQUIRED) for c in table.columns}
    props["SK_ID_CURR"] = {"type": "integer", "minimum": 0, "maximum": _INT_LIMIT,
                           "description": "optional: without it the answer's client_id is null"}
    return {"type": "object", "properties": props, "required": list(REQUIRED), "additionalProperties": False,
            "description": "omitted int columns take the typical client's value (listed in filled_defaults); "
                           "omitted float and category columns are missing"}


def child_row_schema(table: str) -> JsonSchema:
    """One row of a child table: its int columns required, others nullable; no range checks."""
    spec = TABLES[table]
    props = {c.name: column_schema_unbounded(c) for c in spec.columns}
    required = [c.name for c in spec.columns if c.kind == "int" and c.name != "SK_ID_CURR"]
    if "SK_ID_CURR" in spec:
        props["SK_ID_CURR"] = {**props["SK_ID_CURR"],
                               "description": "optional; if given, the applicant's SK_ID_CURR"}
    return {"type": "object", "properties": props, "required": required, "additionalProperties": False}


def column_schema_unbounded(col: Column) -> JsonSchema:
    """A child column: its kind and levels (child rows have no range checks)."""
    if col.kind == "category":
        return {"type": ["string", "null"], "enum": [*col.levels, None]}
    if col.kind == "int":
        return {"type": "integer", "minimum": -_INT_LIMIT, "maximum": _INT_LIMIT}
    return {"type": ["number", "null"]}


def predict_body_schema() -> JsonSchema:
    props: dict[str, JsonSchema] = {"application": {"$ref": "#/components/schemas/Application"}}
    for table in CHILD_TABLES:
        props[table] = {"type": ["array", "null"], "maxItems": MAX_CHILD_ROWS,
                        "items": {"$ref": f"#/components/schemas/{table}_row"},
                        "description": TABLES[table].description}
    return {"type": "object", "properties": props, "required": ["application"], "additionalProperties": False}


# --------------------------------------------------------------------------- answers

ERROR_SCHEMA: JsonSchema = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "field"], "additionalProperties": False,
        "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                       "field": {"type": ["string", "null"],
                                 "description": "the offending input, e.g. application.AMT_CREDIT or top"}}}},
}

_NUMBER = {"type": "number"}
_FACTOR: JsonSchema = {
    "type": "object", "required": ["feature", "value", "contribution", "contribution_log_odds", "label"],
    "properties": {
        "feature": {"type": "string"}, "value": {}, "contribution": _NUMBER, "contribution_log_odds": _NUMBER,
        "label": {"type": "string"}, "value_text": {"type": ["string", "null"]},
        "typical_text": {"type": ["string", "null"]}, "direction": {"type": ["string", "null"]},
        "sentence": {"type": ["string", "null"]}},
}
SCORE_SCHEMA: JsonSchema = {
    "type": "object",
    "required": ["client_id", "probability", "grade", "threshold", "refer_band", "decision", "model_decision",
                 "reviewed", "margin", "model_version", "reason_codes", "base_probability", "top_factors",
                 "decision_sentence", "reasons", "lang"],
    "properties": {
        "client_id": {"type": ["integer", "null"]},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "grade": {"type": "string"}, "threshold": _NUMBER,
        "refer_band": {"type": "array", "items": _NUMBER, "minItems": 2, "maxItems": 2},
        "decision": {"type": "string", "enum": list(DECISIONS),
                     "description": "the decision: a reviewing manager's when the file was reviewed, else the model's"},
        "model_decision": {"type": "string", "enum": list(DECISIONS),
                           "description": "the model's own decision from the probability, before any review"},
        "reviewed": {"type": "boolean", "description": "true when a manager reviewed the file (decision is theirs)"},
        "reason_codes": {"type": "array", "maxItems": 4, "items": {"type": "string"},
                         "description": "the codes of reasons, in order (empty for a grant); never a protected "
                                        "concept (PROTECTED_CONCEPTS)"},
        "margin": _NUMBER, "model_version": {"type": "string"},
        "base_probability": _NUMBER,
        "top_factors": {"type": "array", "items": _FACTOR,
                        "description": "the top factors plus one __other__ bar; contributions add up to "
                                       "probability - base_probability"},
        "decision_sentence": {"type": "string"},
        "reasons": {"type": "array", "maxItems": 4, "items": {
            "type": "object", "required": ["code", "text", "points", "missing"],
            "properties": {"code": {"type": "string"}, "text": {"type": "string"}, "points": _NUMBER,
                           "missing": {"type": "boolean"}}}},
        "lang": {"type": "string", "enum": list(LANGS)},
        "filled_defaults": {"type": "object", "additionalProperties": {"type": "integer"},
                            "description": "/predict only: omitted int columns and the values assumed"},
    },
}
HEALTH_SCHEMA: JsonSchema = {"type": "object", "required": ["status", "model_version"],
                             "properties": {"status": {"const": "ok"}, "model_version": {"type": "string"},
                                            "cache": {"type": "object", "description": "this process's view "
                                                      "cache since start: backend, hits, misses, errors"},
                                            "store": {"type": "object", "required": ["status"], "description":
                                                      "the database as this process last saw it (no query): "
                                                      "unavailable since its last outage until a write succeeds",
                                                      "properties": {"status": {"enum": ["ok", "unavailable"]},
                                                                     "since": {"type": "string"},
                                                                     "reason": {"type": "string"}}}}}
MODEL_SCHEMA: JsonSchema = {
    "type": "object",
    "required": ["version", "threshold", "decision_rule", "feature_count", "top_global_importance", "lang"],
    "properties": {
        "version": {"type": "string"}, "created_at": {"type": ["string", "null"]}, "threshold": _NUMBER,
        "decision_rule": {"type": "object", "additionalProperties": _NUMBER},
        "calibration": {"type": "string"}, "risk_grades": {"type": "array", "items": {"type": "object"}},
        "excluded_attributes": {"type": "array", "items": {"type": "string"}},
        "cost_weights": {"type": "object"}, "cv_metrics": {"type": "object"},
        "feature_count": {"type": "integer"}, "categorical_feature_count": {"type": "integer"},
        "include_children": {"type": "boolean"},
        "top_global_importance": {"type": "array", "items": {
            "type": "object", "required": ["feature", "label", "mean_abs_shap"],
            "properties": {"feature": {"type": "string"}, "label": {"type": "string"},
                           "mean_abs_shap": _NUMBER}}},
        "lang": {"type": "string", "enum": list(LANGS)},
    },
}

_ERROR_WHY = {400: "invalid input (the field is named)", 401: "missing or wrong X-API-Key",
              404: "unknown client or route", 405: "method not allowed (see Allow)",
              413: "body too large", 414: "request line (method, path and query) too long", 415: "body is not application/json",
              429: "too many requests",
              500: "internal error (logged)",
              503: "scoring_log_unavailable or reviews_unavailable: the score could not be logged, or the file's "
                   "reviews read, so none is served (see Retry-After)"}


def _errors(*statuses: int) -> dict[str, JsonSchema]:
    return {str(s): {"$ref": f"#/components/responses/{HTTP_CODES[s]}"} for s in statuses}


def _ok(description: str, schema: JsonSchema) -> dict[str, JsonSchema]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


# --------------------------------------------------------------------------- the document

@cache
def openapi_document(feature_count: int, model_version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every JSON route, for a model of ``feature_count`` features."""
    lang = {"name": "lang", "in": "query", "required": False, "description": "language of the words",
            "schema": {"type": "string", "enum": list(LANGS), "default": DEFAULT_LANG}}
    top = {"name": "top", "in": "query", "required": False,
           "description": "how many factors (default: settings.top_factors, at most the feature count)",
           "schema": {"type": "integer", "minimum": 1, "maximum": feature_count}}
    client_id = {"name": "raw_id", "in": "path", "required": True, "description": "the client's SK_ID_CURR",
                 "schema": {"type": "string", "pattern": f"^{_ID_RE.pattern}$"}}
    public: list[dict[str, list[str]]] = []
    common = (400, 405, 414, 429, 500)
    paths = {
        "/api/v1/health": {"get": {
            "operationId": "health", "summary": "liveness and the model version (public)", "security": public,
            "responses": {**_ok("alive", {"$ref": "#/components/schemas/Health"}), **_errors(405, 429, 500)}}},
        "/api/v1/model": {"get": {
            "operationId": "model", "summary": "the model: version, threshold, cost weights, CV metrics, "
                                               "top global factors", "parameters": [lang, top],
            "responses": {**_ok("the model", {"$ref": "#/components/schemas/Model"}),
                          **_errors(*common, 401)}}},
        "/api/v1/clients/{raw_id}/score": {"get": {
            "operationId": "client_score", "summary": "score of a client the product knows",
            "parameters": [client_id, lang, top],
            "responses": {**_ok("the score (header X-Cache: hit, miss or error)",
                                {"$ref": "#/components/schemas/Score"}),
                          **_errors(*common, 401, 404, 503)}}},
        "/api/v1/predict": {"post": {
            "operationId": "predict", "summary": "score of a new applicant sent as raw Kaggle-shaped rows",
            "parameters": [lang, top],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/PredictBody"}}}},
            "responses": {**_ok("the score", {"$ref": "#/components/schemas/Score"}),
                          **_errors(*common, 401, 413, 415, 503)}}},
        OPENAPI_PATH: {"get": {
            "operationId": "openapi", "summary": "this document (public)", "security": public,
            "responses": {**_ok("the OpenAPI 3.1 document", {"type": "object"}), **_errors(405, 429, 500)}}},
    }
    schemas: dict[str, JsonSchema] = {
        "Error": ERROR_SCHEMA, "Health": HEALTH_SCHEMA, "Model": MODEL_SCHEMA, "Score": SCORE_SCHEMA,
        "PredictBody": predict_body_schema(), "Application": application_schema(),
        **{f"{table}_row": child_row_schema(table) for table in CHILD_TABLES},
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {"title": "Prêt à dépenser: credit scoring API", "version": model_version,
                 "description": "Every answer is JSON; errors are {\"error\": {code, message, field}}. "
                                "Send the X-API-Key header (health and this document are public)."},
        "servers": [{"url": "/"}],
        "security": [{_SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "securitySchemes": {_SECURITY_SCHEME: {"type": "apiKey", "in": "header", "name": _API_KEY_HEADER}},
            "schemas": schemas,
            "responses": {HTTP_CODES[s]: {"description": why, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}} for s, why in _ERROR_WHY.items()},
        },
    }


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Prêt à dépenser: API</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{spec}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


def docs_blueprint() -> Blueprint:
    """``/docs/api``: Swagger UI from the app's own files, reading :data:`OPENAPI_PATH`."""
    bp = Blueprint("api_docs", __name__, static_folder=str(STATIC), static_url_path=f"{DOCS_PATH}/static")

    @bp.get(DOCS_PATH)
    def docs_page() -> Response:
        html = _PAGE.format(css=url_for("api_docs.static", filename="swagger-ui/swagger-ui.css"),
                            bundle=url_for("api_docs.static", filename="swagger-ui/swagger-ui-bundle.js"),
                            init=url_for("api_docs.static", filename="docs.js"), spec=OPENAPI_PATH)
        return Response(html, mimetype="text/html")

    return bp


def register(api_bp: Blueprint, feature_count: int, model_version: str) -> None:
    """Add ``openapi.json`` to the API blueprint (prefix ``/api``) and the docs page to its app."""

    def openapi_json() -> Response:
        return jsonify(openapi_document(feature_count, model_version))

    api_bp.add_url_rule("/v1/openapi.json", "openapi", openapi_json, methods=["GET"])

    def add_docs(state: BlueprintSetupState) -> None:
        app = state.app
        if "api_docs" not in app.blueprints:
            app.register_blueprint(docs_blueprint())

    api_bp.record_once(add_docs)
