"""What the JSON routes accept: query parameters and the ``/predict`` body, checked into frames.

Every check raises :class:`api.errors.ApiError` naming the offending input; the checks read
the schema's declarations (``data.schema``: tables, columns, kinds, levels, sentinels and
:data:`data.schema.RANGES`), so the validator and the API's documentation cannot drift apart.

Query parameters
----------------
``lang`` one of :data:`model.text.languages.LANGS` (default French); ``top`` a whole number
between 1 and the model's feature count; a client id a positive whole number (400
``invalid_parameter`` / ``invalid_client_id`` otherwise).

Predict body
------------
``{"application": {COLUMN: value, ...}, "bureau": [row, ...], "bureau_balance": [...],
"previous_application": [...], "POS_CASH_balance": [...], "installments_payments": [...],
"credit_card_balance": [...]}``; only ``application`` is required. The rows go through
:meth:`model.scoring.Scorer.application_features`, i.e. ``data.load.validate_frame`` then
``model.features.build_features``: the code that built the training features.

Rules, checked in this order (the first failure is reported):

* ``Content-Type: application/json`` (else 415); body at most ``settings.max_request_bytes``
  (else 413); valid UTF-8 JSON without ``NaN``/``Infinity`` literals nor a key repeated in an
  object (400 ``invalid_json`` naming the key); a top-level object whose
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

* Ranges (400 ``out_of_range``) of the application columns, declared in
  :data:`data.schema.RANGES`: amounts ≥ 0 (income, credit and annuity > 0), ``DAYS_BIRTH`` in
  [-36500, -6570] (18 to 100 years), other day counts ≤ 0 (a column's Kaggle sentinel, i.e.
  ``DAYS_EMPLOYED`` = :data:`data.schema.DAYS_SENTINEL` "no employment", is accepted),
  ``EXT_SOURCE_*`` and building measures in [0, 1], flags 0/1, amounts ≤
  :data:`data.schema.MAX_AMOUNT`, counts ≤ :data:`data.schema.MAX_COUNT`, etc. Child rows are
  history from bank systems and have no business range (Kaggle has legitimate negative debts
  there), only a magnitude bound, :data:`data.schema.MAX_CHILD_MAGNITUDE`, so that the features
  built from them stay finite. A feature that would still be infinite is a 400 ``invalid_data``
  (``Scorer.application_features``), never an answer carrying ``Infinity``.
* Child tables: lists (≤ :data:`MAX_CHILD_ROWS` rows each) of objects with that table's
  columns. Their ``int`` columns (keys, day counts, DPD...) are required, others may be
  omitted or ``null``. ``SK_ID_CURR`` may be omitted (it is set to the applicant's) but, if
  given, must equal the applicant's.
* ``AMT_ANNUITY`` being required, the few Kaggle rows without an annuity (6 of 23,000 in the
  demo data) cannot be sent to this route; a real application always has one.
* Whatever ``validate_frame`` still refuses (say a duplicate ``SK_ID_BUREAU``) is a 400
  ``invalid_data`` with its message (:func:`invalid_data`).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pandas as pd
from flask import Request

from api.errors import ApiError
from data.load import DataError
from data.schema import CHILD_TABLES, MAX_CHILD_MAGNITUDE, TABLES, Column, bounds_of
from model.text.languages import DEFAULT_LANG, LANGS, Lang, check_lang

APPLICATION = "application_test"
#: SK_ID_CURR given to an applicant sent without one (no Kaggle id is negative).
PLACEHOLDER_ID = -1
#: Application columns a new applicant must provide. Declared here, not in ``data.schema``:
#: it is this route's policy for a new application (the model needs them and we do not guess
#: them), not a property of the Kaggle tables, where a few rows leave ``AMT_ANNUITY`` blank.
REQUIRED = ("AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "DAYS_BIRTH", "DAYS_EMPLOYED")
#: Most rows accepted per child table (the body size limit is the other bound).
MAX_CHILD_ROWS = 5000
#: Largest |integer| accepted (int64 range).
_INT_LIMIT = 2**63 - 1
_ID_RE = re.compile(r"[0-9]{1,18}")
_TOP_RE = re.compile(r"[0-9]{1,4}")

_APP = TABLES[APPLICATION]

#: A checked value, as it goes into a frame (NaN or None = missing).
Cell = int | float | str | None


@dataclass(frozen=True)
class ParsedApplication:
    """A checked ``/predict`` body."""

    #: Raw Kaggle-shaped frames for :meth:`model.scoring.Scorer.application_features`.
    frames: dict[str, pd.DataFrame]
    #: Whether the body gave ``SK_ID_CURR`` (else the answer's ``client_id`` is ``null``).
    id_given: bool
    #: The omitted ``int`` columns and the values they were given.
    filled_defaults: dict[str, int]
    #: Tables whose every value was checked here against the schema (types, ranges, required
    #: columns): the application row. Child rows still go through ``validate_frame``, which also
    #: checks their keys are unique.
    checked: tuple[str, ...] = (APPLICATION,)


# --------------------------------------------------------------------------- query parameters

def lang_param(raw: str | None) -> Lang:
    lang = DEFAULT_LANG if raw is None else raw
    if lang not in LANGS:
        raise ApiError(400, "invalid_parameter", f"lang must be one of {', '.join(LANGS)}, got {lang!r}", "lang")
    return check_lang(lang)


def top_param(raw: str | None, default: int, most: int) -> int:
    if raw is None:
        return min(default, most)
    if not _TOP_RE.fullmatch(raw) or not 1 <= int(raw) <= most:
        raise ApiError(400, "invalid_parameter", f"top must be a whole number between 1 and {most}, got {raw!r}",
                       "top")
    return int(raw)


def client_id_param(raw: str) -> int:
    if not _ID_RE.fullmatch(raw):
        raise ApiError(400, "invalid_client_id", f"client id must be a positive whole number, got {raw!r}",
                       "client_id")
    return int(raw)


# --------------------------------------------------------------------------- body

def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object as a dict, refusing a repeated key: ``json`` would keep the last one silently,
    so ``{"AMT_CREDIT": -5, "AMT_CREDIT": 500000}`` would pass the range check a reader sees fail."""
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def read_json_body(req: Request, limit: int) -> object:
    """The request's JSON body (any JSON value), checked for media type, size and syntax."""
    if req.mimetype != "application/json" and not req.mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as JSON with Content-Type: application/json (got {req.mimetype or 'none'!r})")
    if req.content_length is not None and req.content_length > limit:
        raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
    raw = req.get_data(cache=False)
    if len(raw) > limit:
        raise ApiError(413, "payload_too_large", f"body larger than {limit} bytes")
    try:
        body: object = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                                  object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "body is not UTF-8 text") from None
    except _DuplicateKey as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON for this API: key {exc.key!r} appears "
                       "twice in an object", exc.key[:200]) from None
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", f"body is not valid JSON: {str(exc)[:200]}") from None
    return body


def _type_name(v: object) -> str:
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


def _missing(col: Column) -> Cell:
    return None if col.kind == "category" else math.nan


def _check_value(col: Column, value: object, field: str, nullable: bool) -> Cell:
    """One JSON value against its schema column; returns the value to put in the frame."""
    if value is None:
        if not nullable:
            expected = "a whole number" if col.kind == "int" else "a number"
            raise ApiError(400, "wrong_type", f"{field} cannot be null: expected {expected}", field)
        return _missing(col)
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
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ApiError(400, "out_of_range", f"{field} is too large", field)
    return number


def _check_range(col: Column, value: Cell, field: str) -> None:
    """The column's declared bounds (``data.schema.RANGES``); its Kaggle sentinel is accepted."""
    bounds = bounds_of(col.name)
    if bounds is None or value is None or isinstance(value, str) or math.isnan(value):
        return
    if col.sentinel is not None and value == col.sentinel:
        return
    if not bounds.admits(value):
        raise ApiError(400, "out_of_range", f"{field} must be {bounds.rule_words}, got {value}", field)


def _check_magnitude(value: Cell, field: str) -> None:
    """A child row's number within ±:data:`data.schema.MAX_CHILD_MAGNITUDE` (their only bound)."""
    if isinstance(value, (int, float)) and abs(value) > MAX_CHILD_MAGNITUDE:
        raise ApiError(400, "out_of_range", f"{field} must be between -{MAX_CHILD_MAGNITUDE:.0e} and "
                       f"{MAX_CHILD_MAGNITUDE:.0e}, got {value}", field)


def _int_defaults(typical: Mapping[str, object]) -> dict[str, int]:
    """What an omitted int column of the application becomes (see the module docstring)."""
    out = {}
    for c in _APP.columns:
        if c.kind != "int" or c.name == "SK_ID_CURR" or c.name in REQUIRED:
            continue
        v = typical.get(c.name)
        number = float(v) if isinstance(v, (int, float, np.integer, np.floating)) else math.nan
        out[c.name] = 0 if math.isnan(number) else int(round(number))
    return out


def parse_predict_body(body: object, typical: Mapping[str, object]) -> ParsedApplication:
    """Check a /predict body into raw frames for ``Scorer.application_features``."""
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

    row: dict[str, Cell] = {}
    for name, value in app.items():
        field = f"application.{name}"
        if name == "TARGET":
            raise ApiError(400, "unknown_field", "application.TARGET is what the model predicts: do not send it",
                           field)
        if name not in _APP:
            raise ApiError(400, "unknown_field", f"unknown field {field}", field)
        col = _APP.column(name)
        checked = _check_value(col, value, field, nullable=col.kind != "int" and name not in REQUIRED)
        _check_range(col, checked, field)
        row[name] = checked
    for name in REQUIRED:
        if name not in row:
            raise ApiError(400, "missing_field", f"application.{name} is required", f"application.{name}")
    id_given = "SK_ID_CURR" in row
    client = PLACEHOLDER_ID
    if id_given:
        given = row["SK_ID_CURR"]
        if not isinstance(given, int) or given < 0:     # an int column: _check_value gave an int
            raise ApiError(400, "out_of_range", "application.SK_ID_CURR must be >= 0", "application.SK_ID_CURR")
        client = given
    row["SK_ID_CURR"] = client
    filled = {k: v for k, v in _int_defaults(typical).items() if k not in row}
    row.update(filled)
    for c in _APP.columns:
        row.setdefault(c.name, _missing(c))
    frames = {APPLICATION: _typed_frame(APPLICATION, {c: [row[c]] for c in _APP.column_names})}

    for table in CHILD_TABLES:
        if table not in body or body[table] is None:
            continue
        frames[table] = _child_frame(table, body[table], client)
    return ParsedApplication(frames, id_given, filled)


def _child_frame(table: str, rows: object, client: int) -> pd.DataFrame:
    spec = TABLES[table]
    if not isinstance(rows, list):
        raise ApiError(400, "wrong_type", f"{table} must be an array of objects, got {_type_name(rows)}", table)
    if len(rows) > MAX_CHILD_ROWS:
        raise ApiError(400, "out_of_range", f"{table} has {len(rows)} rows; at most {MAX_CHILD_ROWS}", table)
    has_client = "SK_ID_CURR" in spec
    out: dict[str, list[Cell]] = {c: [] for c in spec.column_names}
    for i, r in enumerate(rows):
        where = f"{table}[{i}]"
        if not isinstance(r, dict):
            raise ApiError(400, "wrong_type", f"{where} must be an object, got {_type_name(r)}", where)
        for name in r:
            if name not in spec:
                raise ApiError(400, "unknown_field", f"unknown field {where}.{name}", f"{where}.{name}")
        for col in spec.columns:
            field = f"{where}.{col.name}"
            value: Cell
            if col.name == "SK_ID_CURR" and has_client:
                value = _check_value(col, r.get("SK_ID_CURR", client), field, nullable=False)
                if value != client:
                    raise ApiError(400, "invalid_value", f"{field} is {value}, not the applicant's "
                                   f"SK_ID_CURR ({client})", field)
            elif col.name not in r:
                if col.kind == "int":
                    raise ApiError(400, "missing_field", f"{field} is required (whole number)", field)
                value = _missing(col)
            else:
                value = _check_value(col, r[col.name], field, nullable=col.kind != "int")
                _check_magnitude(value, field)
            out[col.name].append(value)
    return _typed_frame(table, out)


def _typed_frame(table: str, columns: Mapping[str, list[Cell]]) -> pd.DataFrame:
    """Checked values as a frame with numeric columns already numeric (validate_frame's fast path)."""
    data: dict[str, np.ndarray | pd.Series] = {}
    for col in TABLES[table].columns:
        values = columns[col.name]
        if col.kind == "int":
            data[col.name] = np.array(values, dtype=np.int64)
        elif col.kind == "float":
            data[col.name] = np.array(values, dtype=np.float64)
        else:
            data[col.name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(next(iter(columns.values()), []))))


def invalid_data(exc: DataError) -> ApiError:
    """What ``validate_frame`` refused, as a 400 naming the request's field."""
    table = exc.file.removeprefix("request.")
    table = "application" if table == APPLICATION else table
    field = f"{table}.{exc.column}" if exc.column else table
    return ApiError(400, "invalid_data", str(exc), field)
