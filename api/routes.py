"""The JSON routes of the product, for programs (scoring pipelines, the bank's front office).

Every answer is JSON, errors included: ``{"error": {"code", "message", "field"}}`` with
``field`` naming the offending input (``"application.AMT_CREDIT"``, ``"bureau[2].SK_ID_BUREAU"``,
``"top"``) or ``null``. No route answers HTML or a traceback; bad input is a 4xx, never a 500.
Everything under ``/api/`` except ``/api/v1/health`` needs the ``X-API-Key`` header (``auth.py``).

Routes
------
``GET  /api/v1/health``                  public: ``{"status": "ok", "model_version"}``
``GET  /api/v1/model[?lang=&top=]``      version, threshold, cost weights, CV metrics, top global factors
``GET  /api/v1/clients/<id>/score[?lang=fr|en&top=N]``   score of a client the product knows
``POST /api/v1/predict[?lang=&top=]``    score of a new applicant sent as raw Kaggle-shaped rows

Both scoring routes answer the same shape (:func:`score_payload`): probability, decision,
threshold, margin, base probability, the top-N factors plus one ``"__other__"`` bar whose
contributions add up exactly to ``probability - base_probability``, their labels and
formatted values in the requested language, and the decision sentence.

Predict body
------------
``{"application": {COLUMN: value, ...}, "bureau": [row, ...], "bureau_balance": [...],
"previous_application": [...], "POS_CASH_balance": [...], "installments_payments": [...],
"credit_card_balance": [...]}``; only ``application`` is required. The rows go through
:meth:`model.scoring.Scorer.application_features`, i.e. ``data.load.validate_frame`` then
``model.features.build_features``: the code that built the training features.

Rules, checked in this order (the first failure is reported):

* ``Content-Type: application/json`` (else 415); body at most ``settings.max_request_bytes``
  (else 413); valid UTF-8 JSON without ``NaN``/``Infinity`` literals; a top-level object whose
  keys are the tables above (else 400 ``unknown_field``).
* ``application``: an object whose keys are ``application_test`` columns. ``TARGET`` is
  refused (it is what we predict). ``SK_ID_CURR`` is optional: without it the applicant gets
  the placeholder id :data:`PLACEHOLDER_ID` and the answer's ``client_id`` is ``null``.
* Types (400 ``wrong_type``, naming the field and the expected type): numbers for numeric
  columns (``true``/``false`` are not numbers); whole numbers for the schema's ``int`` columns
  (``3`` or ``3.0``, as in JSON Schema); for categories a string among the schema's levels
  (400 ``invalid_value`` listing them otherwise); ``null`` = missing, allowed for float and
  category columns only.
* Missing values. Kaggle never leaves an ``int`` column blank and the model never saw one
  blank, so we do not send NaN there. Instead:

  - :data:`REQUIRED` (income, credit, annuity, age, employment length) must be given
    (400 ``missing_field``);
  - any other omitted ``int`` column takes the value of the model's *typical client*
    (``Scorer.typical``: training-population median, rounded), or 0 for the
    ``FLAG_DOCUMENT_*`` that are not model inputs on their own (= document not provided).
    The answer lists these in ``"filled_defaults"`` so the caller sees what was assumed;
  - an omitted ``float`` or category column is missing (NaN), exactly as a blank in the
    Kaggle files, which the model handles natively.

* Ranges (400 ``out_of_range``) of the application columns, :data:`RANGES`: amounts ≥ 0
  (income, credit and annuity > 0), ``DAYS_BIRTH`` in [-36500, -6570] (18 to 100 years),
  other day counts ≤ 0 (``DAYS_EMPLOYED`` may be the Kaggle "no employment" 365243),
  ``EXT_SOURCE_*`` and building measures in [0, 1], flags 0/1, etc. Child rows are history
  from bank systems and have no range checks (Kaggle has legitimate negative debts there).
* Child tables: lists (≤ :data:`MAX_CHILD_ROWS` rows each) of objects with that table's
  columns. Their ``int`` columns (keys, day counts, DPD...) are required, others may be
  omitted or ``null``. ``SK_ID_CURR`` may be omitted (it is set to the applicant's) but, if
  given, must equal the applicant's.
* ``AMT_ANNUITY`` being required, the few Kaggle rows without an annuity (6 of 23,000 in the
  demo data) cannot be sent to this route; a real application always has one.
* Whatever ``validate_frame`` still refuses (say a duplicate ``SK_ID_BUREAU``) is a 400
  ``invalid_data`` with its message.

Caching: the answer for a known client is cached in ``services.views`` under
(model version, client id, lang, top); answers to ``/predict`` are never cached.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from data.load import DataError
from data.schema import CHILD_TABLES, TABLES
from model.explain import OTHER
from model.monitoring.scoring_log import record_from_payload as scoring_log_record
from model.scoring import UnknownClient, json_value
from model.text.labels import feature_info
from model.text.languages import DEFAULT_LANG, LANGS, Lang, check_lang
from model.text.narrative import decision_sentence, factor
from model.text.strings import t
from services import Services

API_PREFIX = "/api/"
APPLICATION = "application_test"
#: SK_ID_CURR given to an applicant sent without one (no Kaggle id is negative).
PLACEHOLDER_ID = -1
#: Application columns a new applicant must provide.
REQUIRED = ("AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "DAYS_BIRTH", "DAYS_EMPLOYED")
#: Most rows accepted per child table (the body size limit is the other bound).
MAX_CHILD_ROWS = 5000
#: Largest |integer| accepted (int64 range).
_INT_LIMIT = 2**63 - 1
_DAYS_NO_DATE = 365243
_ID_RE = re.compile(r"[0-9]{1,18}")

_APP = TABLES[APPLICATION]

#: The API's routes and methods (kept in step with create_blueprint; tests check every one).
ROUTES = (("/api/v1/health", ["GET"]), ("/api/v1/model", ["GET"]),
          ("/api/v1/clients/<raw_id>/score", ["GET"]), ("/api/v1/predict", ["POST"]))


def _ranges() -> dict[str, tuple[float | None, float | None, str]]:
    """{column: (low, high, rule in words)} for the application columns (bounds inclusive)."""
    r: dict[str, tuple[float | None, float | None, str]] = {
        "AMT_INCOME_TOTAL": (1e-9, None, "> 0"),
        "AMT_CREDIT": (1e-9, None, "> 0"),
        "AMT_ANNUITY": (1e-9, None, "> 0"),
        "AMT_GOODS_PRICE": (0, None, ">= 0"),
        "DAYS_BIRTH": (-36500, -6570, "between -36500 and -6570 (18 to 100 years old)"),
        "DAYS_EMPLOYED": (-36500, 0, f"between -36500 and 0, or {_DAYS_NO_DATE} (no employment)"),
        "DAYS_REGISTRATION": (-36500, 0, "between -36500 and 0"),
        "DAYS_ID_PUBLISH": (-36500, 0, "between -36500 and 0"),
        "DAYS_LAST_PHONE_CHANGE": (-36500, 0, "between -36500 and 0"),
        "CNT_CHILDREN": (0, 30, "between 0 and 30"),
        "CNT_FAM_MEMBERS": (1, 40, "between 1 and 40"),
        "OWN_CAR_AGE": (0, 100, "between 0 and 100"),
        "REGION_POPULATION_RELATIVE": (0, 1, "between 0 and 1"),
        "REGION_RATING_CLIENT": (1, 3, "1, 2 or 3"),
        "REGION_RATING_CLIENT_W_CITY": (1, 3, "1, 2 or 3"),
        "HOUR_APPR_PROCESS_START": (0, 23, "between 0 and 23"),
    }
    for c in _APP.columns:
        n = c.name
        if c.kind == "float" and (n.startswith("EXT_SOURCE_") or n.endswith(("_AVG", "_MODE", "_MEDI"))):
            r.setdefault(n, (0, 1, "between 0 and 1"))
        elif c.kind == "int" and (n.startswith(("FLAG_", "REG_", "LIVE_"))):
            r.setdefault(n, (0, 1, "0 or 1"))
        elif n.startswith(("AMT_REQ_CREDIT_BUREAU_", "OBS_", "DEF_")):
            r.setdefault(n, (0, None, ">= 0"))
        elif n.startswith("AMT_"):
            r.setdefault(n, (0, None, ">= 0"))
    return r


#: Allowed range of each checked application column: (low, high, rule in words).
RANGES = _ranges()


class ApiError(Exception):
    """A client error answered as ``{"error": {...}}`` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message, "field": field})
    response.status_code = status
    return response


_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
               429: "too_many_requests", 500: "internal_error"}


# --------------------------------------------------------------------------- query parameters

def _lang_param() -> Lang:
    lang = request.args.get("lang", DEFAULT_LANG)
    if lang not in LANGS:
        raise ApiError(400, "invalid_parameter", f"lang must be one of {', '.join(LANGS)}, got {lang!r}", "lang")
    return check_lang(lang)


def _top_param(default: int, most: int) -> int:
    raw = request.args.get("top")
    if raw is None:
        return min(default, most)
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= most:
        raise ApiError(400, "invalid_parameter", f"top must be a whole number between 1 and {most}, got {raw!r}",
                       "top")
    return int(raw)


def _client_id(raw: str) -> int:
    if not _ID_RE.fullmatch(raw):
        raise ApiError(400, "invalid_client_id", f"client id must be a positive whole number, got {raw!r}",
                       "client_id")
    return int(raw)


# --------------------------------------------------------------------------- answer shape

def score_payload(score: Any, typical: Mapping[str, Any], lang: str, top: int) -> dict[str, Any]:
    """The JSON answer of both scoring routes: ``Score.to_dict(top)`` plus words in ``lang``."""
    out = score.to_dict(top)
    factors = []
    for c, d in zip(score.explanation.top(top), out["top_factors"]):
        if c.feature == OTHER:
            d.update(label=t("explain.other", lang), value_text=None, sentence=None)
        else:
            f = factor(c, typical, lang)
            d.update(label=f.label, value_text=f.value, typical_text=f.typical, direction=f.direction,
                     sentence=f.sentence)
        factors.append(d)
    out["top_factors"] = factors
    out["decision_sentence"] = decision_sentence(score.probability, score.threshold, lang)
    out["lang"] = lang
    return out


# --------------------------------------------------------------------------- predict body

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _read_json_body(limit: int) -> Any:
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as JSON with Content-Type: application/json (got {request.mimetype or 'none'!r})")
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "body is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {str(exc)[:200]}") from None


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _check_value(table: str, name: str, value: Any, field: str, nullable: bool) -> Any:
    """One JSON value against its schema column; returns the value to put in the frame."""
    col = TABLES[table].column(name)
    if value is None:
        if not nullable:
            expected = "a whole number" if col.kind == "int" else "a number"
            raise ApiError(400, "wrong_type", f"{field} cannot be null: expected {expected}", field)
        return np.nan if col.kind != "category" else None
    if col.kind == "category":
        if not isinstance(value, str):
            raise ApiError(400, "wrong_type", f"{field} must be a string (one of the listed levels), "
                           f"got {_type_name(value)}", field)
        if value not in col.levels:
            levels = ", ".join(repr(lv) for lv in col.levels)
            raise ApiError(400, "invalid_value", f"{field} must be one of {levels}; got {value!r}", field)
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        expected = "a whole number" if col.kind == "int" else "a number"
        raise ApiError(400, "wrong_type", f"{field} must be {expected}, got {_type_name(value)}", field)
    if col.kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ApiError(400, "wrong_type", f"{field} must be a whole number, got {value!r}", field)
        if abs(value) > _INT_LIMIT:
            raise ApiError(400, "out_of_range", f"{field} is too large", field)
        return int(value)
    try:
        value = float(value)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ApiError(400, "out_of_range", f"{field} is too large", field)
    return value


def _check_range(name: str, value: Any, field: str) -> None:
    rule = RANGES.get(name)
    if rule is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return
    if name == "DAYS_EMPLOYED" and value == _DAYS_NO_DATE:
        return
    lo, hi, words = rule
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ApiError(400, "out_of_range", f"{field} must be {words}, got {value}", field)


def _int_defaults(typical: Mapping[str, Any]) -> dict[str, int]:
    """What an omitted int column of the application becomes (see the module docstring)."""
    out = {}
    for c in _APP.columns:
        if c.kind != "int" or c.name == "SK_ID_CURR" or c.name in REQUIRED:
            continue
        v = typical.get(c.name)
        out[c.name] = int(round(float(v))) if v is not None and not pd.isna(v) else 0
    return out


def parse_predict_body(body: Any, typical: Mapping[str, Any]) -> tuple[dict[str, pd.DataFrame], bool, dict[str, int]]:
    """Check a /predict body; returns (raw frames for Scorer.application_features, id given?, defaults used)."""
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", f"body must be a JSON object, got {_type_name(body)}")
    known = ("application",) + CHILD_TABLES
    for key in body:
        if key not in known:
            raise ApiError(400, "unknown_field", f"unknown field {key!r}; expected {', '.join(known)}", key)
    if "application" not in body:
        raise ApiError(400, "missing_field", "application is required", "application")
    app = body["application"]
    if not isinstance(app, dict):
        raise ApiError(400, "wrong_type", f"application must be an object, got {_type_name(app)}", "application")

    row: dict[str, Any] = {}
    for name, value in app.items():
        field = f"application.{name}"
        if name == "TARGET":
            raise ApiError(400, "unknown_field", "application.TARGET is what the model predicts: do not send it",
                           field)
        if name not in _APP:
            raise ApiError(400, "unknown_field", f"unknown field {field}", field)
        nullable = _APP.column(name).kind != "int" and name not in REQUIRED
        value = _check_value(APPLICATION, name, value, field, nullable=nullable)
        _check_range(name, value, field)
        row[name] = value
    for name in REQUIRED:
        if name not in row:
            raise ApiError(400, "missing_field", f"application.{name} is required", f"application.{name}")
    id_given = "SK_ID_CURR" in row
    if id_given and row["SK_ID_CURR"] < 0:
        raise ApiError(400, "out_of_range", "application.SK_ID_CURR must be >= 0", "application.SK_ID_CURR")
    client = row.get("SK_ID_CURR", PLACEHOLDER_ID)
    row["SK_ID_CURR"] = client
    filled = {k: v for k, v in _int_defaults(typical).items() if k not in row}
    row.update(filled)
    for c in _APP.columns:
        row.setdefault(c.name, None if c.kind == "category" else np.nan)
    frames = {APPLICATION: _typed_frame(APPLICATION, {c: [row[c]] for c in _APP.column_names})}

    for table in CHILD_TABLES:
        if table not in body or body[table] is None:
            continue
        frames[table] = _child_frame(table, body[table], client)
    return frames, id_given, filled


def _child_frame(table: str, rows: Any, client: int) -> pd.DataFrame:
    spec = TABLES[table]
    if not isinstance(rows, list):
        raise ApiError(400, "wrong_type", f"{table} must be an array of objects, got {_type_name(rows)}", table)
    if len(rows) > MAX_CHILD_ROWS:
        raise ApiError(400, "out_of_range", f"{table} has {len(rows)} rows; at most {MAX_CHILD_ROWS}", table)
    has_client = "SK_ID_CURR" in spec
    out: dict[str, list[Any]] = {c: [] for c in spec.column_names}
    for i, r in enumerate(rows):
        where = f"{table}[{i}]"
        if not isinstance(r, dict):
            raise ApiError(400, "wrong_type", f"{where} must be an object, got {_type_name(r)}", where)
        for name in r:
            if name not in spec:
                raise ApiError(400, "unknown_field", f"unknown field {where}.{name}", f"{where}.{name}")
        for col in spec.columns:
            field = f"{where}.{col.name}"
            if col.name == "SK_ID_CURR" and has_client:
                value = r.get("SK_ID_CURR", client)
                value = _check_value(table, col.name, value, field, nullable=False)
                if value != client:
                    raise ApiError(400, "invalid_value", f"{field} is {value}, not the applicant's "
                                   f"SK_ID_CURR ({client})", field)
            elif col.name not in r:
                if col.kind == "int":
                    raise ApiError(400, "missing_field", f"{field} is required (whole number)", field)
                value = None if col.kind == "category" else np.nan
            else:
                value = _check_value(table, col.name, r[col.name], field, nullable=col.kind != "int")
            out[col.name].append(value)
    return _typed_frame(table, out)


def _typed_frame(table: str, columns: Mapping[str, list[Any]]) -> pd.DataFrame:
    """Checked values as a frame with numeric columns already numeric (validate_frame's fast path)."""
    data: dict[str, Any] = {}
    for col in TABLES[table].columns:
        values = columns[col.name]
        if col.kind == "int":
            data[col.name] = np.array(values, dtype=np.int64)
        elif col.kind == "float":
            data[col.name] = np.array(values, dtype=np.float64)
        else:
            data[col.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(next(iter(columns.values()), []))))


# --------------------------------------------------------------------------- blueprint

def create_blueprint(services: Services) -> Blueprint:
    """The ``/api/v1`` routes, with JSON error handlers for everything under ``/api/``."""
    bp = Blueprint("api", __name__, url_prefix="/api")
    settings, scorer, views = services.settings, services.scorer, services.views
    n_features = len(scorer.features)
    defaults_top = settings.top_factors

    @bp.get("/v1/health")
    def health() -> Response:
        return jsonify(status="ok", model_version=scorer.version)

    @bp.get("/v1/model")
    def model_info() -> Response:
        lang = _lang_param()
        top = _top_param(defaults_top, n_features)
        meta = scorer.artifact.metadata
        chosen = dict((meta.cv_metrics or {}).get("chosen", {}))
        importance = scorer.importance[:top]
        return jsonify(
            version=meta.version,
            created_at=meta.created_at,
            threshold=scorer.threshold,
            cost_weights=dict(meta.cost_weights),
            cv_metrics={k: json_value(v) for k, v in chosen.items() if not isinstance(v, (dict, list))},
            feature_count=n_features,
            categorical_feature_count=len(scorer.cat_features),
            include_children=scorer.include_children,
            top_global_importance=[
                {"feature": row.feature, "label": feature_info(row.feature).label(lang),
                 "mean_abs_shap": row.mean_abs_shap} for row in importance],
            lang=lang,
        )

    @bp.get("/v1/clients/<string:raw_id>/score")
    def client_score(raw_id: str) -> Response:
        client_id = _client_id(raw_id)
        lang = _lang_param()
        top = _top_param(defaults_top, n_features)
        def answer() -> dict[str, Any]:
            try:
                score = scorer.score_client(client_id)
            except UnknownClient:
                raise ApiError(404, "unknown_client", f"no client {client_id}", "client_id") from None
            return score_payload(score, scorer.typical, lang, top)

        payload = views.get_or_compute("api-score", (client_id, lang, top), answer)
        if services.scoring_log.enabled:
            services.scoring_log.append(scoring_log_record(payload, scorer.feature_values(client_id), "api"))
        return jsonify(payload)

    @bp.post("/v1/predict")
    def predict() -> Response:
        lang = _lang_param()
        top = _top_param(defaults_top, n_features)
        body = _read_json_body(settings.max_request_bytes)
        frames, id_given, filled = parse_predict_body(body, scorer.typical)
        try:
            features = scorer.application_features(frames)
            score = scorer.score_features(features, int(features.index[0]) if id_given else None)
        except DataError as exc:
            table = exc.file.removeprefix("request.")
            table = "application" if table == APPLICATION else table
            field = f"{table}.{exc.column}" if exc.column else table
            raise ApiError(400, "invalid_data", str(exc), field) from None
        payload = score_payload(score, scorer.typical, lang, top)
        if not id_given:
            payload["client_id"] = None
        payload["filled_defaults"] = filled
        services.scoring_log.log(score, features, "api-predict")
        return jsonify(payload)

    # Dash serves its page for any unknown GET path (a catch-all rule), which would answer
    # HTML 200 to /api/v1/typo or to GET /api/v1/predict. This rule is more specific than
    # Dash's, so every /api/ path ends here when no API route matched, and we answer the
    # 404 or 405 the API's own routes imply.
    own_routes = Map([Rule(path, methods=methods, endpoint=path) for path, methods in ROUTES])

    @bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def _no_route(rest: str) -> Response:
        own_routes.bind("localhost").match(request.path, method=request.method)  # raises 404 / 405
        raise ApiError(404, "not_found", f"no route {request.path}")            # pragma: no cover

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error; it has been logged")

    @bp.app_errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        """JSON for any HTTP error under /api/ (404 of an unknown route, 405, 413...); others unchanged."""
        if not request.path.startswith(API_PREFIX) or exc.code is None:
            return exc
        if exc.code >= 500:
            original = getattr(exc, "original_exception", None)
            if original is not None:
                current_app.logger.error("unhandled error on %s %s", request.method, request.path,
                                         exc_info=original)
            return error_response(exc.code, _HTTP_CODES.get(exc.code, "error"), "internal error; it has been logged")
        message = {404: f"no route {request.path}", 405: f"{request.method} is not allowed on {request.path}",
                   413: "body too large"}.get(exc.code, exc.description or exc.name)
        response = error_response(exc.code, _HTTP_CODES.get(exc.code, "error"), message)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    return bp

