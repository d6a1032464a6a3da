"""The feature dictionary: what every column and engineered feature is called, in what
unit it is shown, and how a value is written for a relationship manager (French first,
English second).

The words are data, in ``model/text/data/`` (read and checked by :mod:`model.text.datafiles`);
this module looks them up. Three sources of labels, and no fourth:

* every raw column of the eight Kaggle tables is described in ``application.toml`` and
  ``history.toml`` (building measures ``*_AVG/_MODE/_MEDI`` and ``FLAG_DOCUMENT_N`` are
  generated from small base tables); :func:`column_info` gives them per table,
  :func:`feature_info` gives the application columns, which are the model's direct inputs;
* a few important hand-made ratios have hand-written labels (``engineered.toml``,
  :data:`ENGINEERED_OVERRIDES`);
* every other engineered feature gets a label *generated* from its provenance
  (``model.features.feature_provenance(name)``: table, source column, aggregation,
  subset, window) by :func:`info_from_provenance` (grammar in :mod:`model.text.label_grammar`).

There is no generic fallback: a name that none of these can describe raises
:class:`UnknownFeatureError`, so a new unlabelled feature fails the tests instead of
reaching a client as ``BURO_DAYS_CREDIT_MEAN``.

Labels carry no unit: the unit is in the formatted value ("32 ans"). Use
:func:`axis_label` where a bare number is shown (chart axes): "Âge (ans)".

Values are written by :func:`format_info_value` in the feature's unit (numbers, amounts
and dates themselves by :mod:`model.text.formatting`):

* Units ``ratio``, ``percent`` and ``rate`` all hold fractions (0.38) and are shown as
  percentages. ``AMT_INCOME_TOTAL`` is a monthly income, on the payment's period (see its entry in
  ``data/application.toml``), so "Mensualité / revenu mensuel 16 %" compares like with like.
* Day counts before the application (``DAYS_BIRTH`` and the like, negative in Kaggle) are
  shown as positive durations in years; an age is given in completed years (floor).
* ``365243`` in the sentinel columns of :mod:`data.schema` means "no date": for
  ``DAYS_EMPLOYED`` it marks pensioners and the unemployed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from data.schema import DAYS_PER_YEAR, TABLES
from model import features
from model.text.datafiles import (
    GROUPS,
    KINDS,
    TRANSFORMS,
    UNITS,
    load_application,
    load_engineered,
    load_levels,
    load_values,
)
from model.text.formatting import NBSP, format_currency, format_number, format_percent, is_missing
from model.text.label_grammar import TABLE_GROUPS, UnknownFeatureError, aggregate_label, cap, column_phrase, table_key
from model.text.languages import Lang, check_lang
from model.text.strings import french_spacing, t

__all__ = [
    "ENGINEERED_OVERRIDES", "GROUPS", "KINDS", "TRANSFORMS", "UNITS", "FeatureInfo", "UnknownFeatureError",
    "axis_label", "column_info", "display_value", "feature_info", "feature_label", "format_column_value",
    "format_info_value", "format_value", "humanise_level", "info_from_provenance", "level_label",
]

_APPLICATION = load_application()
_LEVELS = load_levels()
_VALUES = load_values()

#: Hand-written labels of the hand-made features: name -> (fr, en, unit, group, decimals, transform).
ENGINEERED_OVERRIDES: dict[str, tuple[str, str, str, str, int | None, str | None]] = {
    name: (w.fr, w.en, w.unit, w.group, w.decimals, w.transform) for name, w in load_engineered().items()}


@dataclass(frozen=True)
class FeatureInfo:
    """How one column or feature is named and shown."""

    name: str
    label_fr: str
    label_en: str
    unit: str
    kind: str
    transform: str | None
    group: str
    #: decimals used by :func:`format_value` (None: decided by the unit)
    decimals: int | None = None
    #: the raw column whose category levels / sentinel apply (itself for raw columns)
    source: str | None = None
    #: Kaggle table the value comes from ("application" for the main application file)
    table: str = "application"
    #: value that means "no date" (Kaggle's 365243), if any
    sentinel: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.unit not in UNITS:
            problems.append(f"unit {self.unit!r}")
        if self.kind not in KINDS:
            problems.append(f"kind {self.kind!r}")
        if self.transform not in TRANSFORMS:
            problems.append(f"transform {self.transform!r}")
        if self.group not in GROUPS:
            problems.append(f"group {self.group!r}")
        if not self.label_fr or not self.label_en:
            problems.append("empty label")
        if problems:
            raise ValueError(f"bad FeatureInfo for {self.name}: " + ", ".join(problems))
        object.__setattr__(self, "label_fr", french_spacing(self.label_fr))

    def label(self, lang: Lang = "fr") -> str:
        return self.label_fr if check_lang(lang) == "fr" else self.label_en


def _kind_of(unit: str) -> str:
    return "flag" if unit == "flag" else "category" if unit == "category" else "numeric"


def level_label(column: str, level: Any, lang: Lang = "fr") -> str:
    """A category level as shown to a client: translated where we have it (``levels.toml``), else
    the raw level made readable (:func:`humanise_level`)."""
    i = 0 if check_lang(lang) == "fr" else 1
    text = str(level)
    pair = _LEVELS.columns.get(column, {}).get(text) or _LEVELS.common.get(text)
    return pair[i] if pair else humanise_level(text)


def humanise_level(level: str) -> str:
    """A raw level nobody translated, as words: "low_normal" → "Low normal", "Trade: type 7" →
    "Trade (type 7)", "Business Entity Type 3" → "Business entity (type 3)", "CASH LOANS" → "Cash loans"."""
    text = re.sub(r"\s+", " ", level.replace("_", " ")).strip()
    text = re.sub(r"\s*:\s*type\s+(\d+)$", r" (type \1)", text, flags=re.IGNORECASE)
    text = re.sub(r"^(.*\S)\s+type\s+(\d+)$", lambda m: f"{m.group(1)} (type {m.group(2)})", text,
                  flags=re.IGNORECASE)
    words = text.split(" ")
    if text.isupper() and (len(words) > 1 or len(text) > 4):
        text = text.capitalize()                   # a shouted phrase or long code: sentence case
    elif len(words) > 1:                           # sentence case, short codes ("POS", "HR") kept
        text = " ".join(w if i == 0 or (w.isupper() and len(w) <= 4) else w.lower() for i, w in enumerate(words))
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------------------
# Raw columns
# --------------------------------------------------------------------------------------
def _sentinel(table: str, column: str) -> int | None:
    schema_table = "application_train" if table == "application" else table
    if schema_table in TABLES and column in TABLES[schema_table]:
        return TABLES[schema_table].column(column).sentinel
    return None


@cache
def _application_info(name: str) -> FeatureInfo:
    w = _APPLICATION[name]
    return FeatureInfo(name, w.fr, w.en, w.unit, _kind_of(w.unit), w.transform, w.group, w.decimals, name,
                       "application", _sentinel("application", name))


@cache
def column_info(table: str, column: str) -> FeatureInfo:
    """A raw Kaggle column of ``table`` (schema name; application_train/test both mean the application)."""
    key = table_key(table)
    if key == "application":
        if column not in _APPLICATION:
            raise UnknownFeatureError(f"no label for application column {column!r}")
        return _application_info(column)
    phrase = column_phrase(key, column)
    if phrase is None:
        raise UnknownFeatureError(f"no label for column {column!r} of table {key!r}")
    return FeatureInfo(column, cap(phrase.fr()), cap(phrase.en()), phrase.unit, _kind_of(phrase.unit),
                       phrase.transform, TABLE_GROUPS[key], phrase.decimals, column, key, _sentinel(key, column))


# --------------------------------------------------------------------------------------
# Engineered features: hand-written overrides, then generation from provenance
# --------------------------------------------------------------------------------------
def _override_info(name: str) -> FeatureInfo | None:
    spec = ENGINEERED_OVERRIDES.get(name)
    if spec is None:
        return None
    fr, en, unit, group, decimals, transform = spec
    return FeatureInfo(name, fr, en, unit, _kind_of(unit), transform, group, decimals, None, "application", None)


def _ratio_from_formula(name: str, prov: Mapping[str, Any], table: str) -> FeatureInfo:
    """"A / B" of two known features or columns → "label A / label b"."""
    formula = str(prov.get("formula") or "")
    m = re.fullmatch(r"\s*([A-Z0-9_]+)\s*/\s*([A-Z0-9_]+)\s*", formula)
    if not m:
        raise UnknownFeatureError(f"cannot label ratio feature {name!r}: formula {formula!r} is not 'A / B'; "
                                  "add a hand-written override")
    num, den = feature_info(m.group(1)), feature_info(m.group(2))
    fr = f"{num.label_fr} / {den.label_fr[:1].lower() + den.label_fr[1:]}"
    en = f"{num.label_en} / {den.label_en[:1].lower() + den.label_en[1:]}"
    return FeatureInfo(name, fr, en, "ratio", "numeric", None, TABLE_GROUPS[table], 0, None, table, None)


def info_from_provenance(name: str, prov: Mapping[str, Any]) -> FeatureInfo:
    """Label, unit and group of a feature from its provenance dict (see ``model.features.feature_provenance``).

    Keys read: ``table`` (Kaggle table), ``source`` (raw column or derived row value; None for
    a count), ``agg`` (raw, count, sum, mean, min, max, std, last, first, median, ratio),
    ``subset`` (ACTIVE, CLOSED, APPROVED, REFUSED, LASTMONTH), ``window`` (L365D, L90D, L12M,
    L3M), ``formula`` (for ratios). Anything it cannot phrase raises :class:`UnknownFeatureError`:
    there is no generic fallback.
    """
    if "table" not in prov:
        raise UnknownFeatureError(f"cannot label feature {name!r}: provenance has no table")
    table = table_key(prov["table"])
    source = prov.get("source")
    agg = str(prov.get("agg") or "raw").lower()
    if agg == "raw":
        if source is None:
            raise UnknownFeatureError(f"cannot label feature {name!r}: raw feature without a source column")
        base = column_info(table, str(source))
        return FeatureInfo(name, base.label_fr, base.label_en, base.unit, base.kind, base.transform, base.group,
                           base.decimals, base.source, table, base.sentinel)
    if agg == "ratio":
        return _ratio_from_formula(name, prov, table)
    g = aggregate_label(name, table, prov)
    return FeatureInfo(name, g.fr, g.en, g.unit, _kind_of(g.unit), g.transform, g.group, g.decimals, g.column, table,
                       None)


@cache
def feature_info(name: str) -> FeatureInfo:
    """A model input: an application column, a hand-labelled ratio, or a feature described by its provenance.

    Raises :class:`UnknownFeatureError` (a ``KeyError``) when no label can be built.
    """
    if name in _APPLICATION:
        return _application_info(name)
    override = _override_info(name)
    if override is not None:
        return override
    try:
        prov = features.feature_provenance(name)
    except KeyError as exc:
        raise UnknownFeatureError(f"unknown feature {name!r}: {exc}") from exc
    if prov is None:
        raise UnknownFeatureError(f"unknown feature {name!r}: no provenance")
    return info_from_provenance(name, prov)


def feature_label(name: str, lang: Lang = "fr") -> str:
    return feature_info(name).label(lang)


def axis_label(name: str, lang: Lang = "fr") -> str:
    """The label with its display unit, for chart axes: "Âge (ans)", "Loan amount (€)"."""
    info = feature_info(name)
    words = _VALUES.axis_units.get(info.unit)
    return f"{info.label(lang)} ({words[check_lang(lang)]})" if words else info.label(lang)


# --------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------
_TRUE = {"1", "1.0", "y", "yes", "true", "oui"}
_FALSE = {"0", "0.0", "n", "no", "false", "non"}


def _plural(n: float, words: tuple[str, str], lang: str) -> str:
    """French: singular below 2 ("0 jour", "1,5 an"); English: singular for exactly 1."""
    singular = abs(n) < 2 if lang == "fr" else abs(n) == 1
    return words[0] if singular else words[1]


def display_value(name: str, value: Any) -> float | None:
    """The number in display units, for charts: DAYS_BIRTH -12005 → 32.87 (years); ratios stay fractions.

    None for missing values, sentinels and categories.
    """
    return _display(feature_info(name), value)


def _display(info: FeatureInfo, value: Any) -> float | None:
    if is_missing(value) or info.kind == "category":
        return None
    if info.kind == "flag":
        b = _as_bool(value)
        return None if b is None else float(b)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if info.sentinel is not None and x == info.sentinel:
        return None
    if info.transform == "days_to_years":
        return abs(x) / DAYS_PER_YEAR
    if info.transform in ("days_ago", "months_ago"):
        return -x if x else 0.0
    return x


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    try:
        return float(value) != 0
    except (TypeError, ValueError):
        return None


def format_value(name: str, value: Any, lang: Lang = "fr") -> str:
    """A value as a relationship manager would read it to a client (see the module docstring)."""
    return format_info_value(feature_info(name), value, lang)


def format_column_value(table: str, column: str, value: Any, lang: Lang = "fr") -> str:
    """Same as :func:`format_value` for a raw column of any Kaggle table."""
    return format_info_value(column_info(table, column), value, lang)


def format_info_value(info: FeatureInfo, value: Any, lang: Lang = "fr") -> str:
    """Same as :func:`format_value` for a caller that already holds the :class:`FeatureInfo` (e.g. from
    :func:`info_from_provenance`), so no name lookup is needed."""
    lang = check_lang(lang)
    if is_missing(value):
        return t("common.not_provided", lang)
    if info.kind == "category":
        return level_label(info.source or info.name, value, lang)
    if info.kind == "flag":
        b = _as_bool(value)
        return t("common.not_provided", lang) if b is None else _VALUES.yes_no[lang][0 if b else 1]
    try:
        raw = float(value)
    except (TypeError, ValueError):
        return str(value)
    if info.sentinel is not None and raw == info.sentinel:
        return _VALUES.sentinels.get(info.source or info.name, _VALUES.no_date)[lang]
    x = _display(info, raw)
    assert x is not None
    unit = info.unit
    dec = info.decimals
    if unit in ("ratio", "percent", "rate"):
        return format_percent(x, lang, 0 if dec is None else dec)
    if unit == "currency":
        return format_currency(x, lang, 0 if dec is None else dec)
    if unit in _VALUES.durations:
        dec = (1 if unit == "years" else 0) if dec is None else dec
        if unit == "years" and dec == 0:
            x = math.floor(x + 1e-9) if x >= 0 else math.ceil(x - 1e-9)   # completed years
        else:
            x = round(x, dec)
        if float(x).is_integer():
            dec = 0
        return f"{format_number(x, lang, dec)}{NBSP}{_plural(x, _VALUES.durations[unit][lang], lang)}"
    if unit == "hour":
        h = int(round(x)) % 24
        return f"{h}{NBSP}h" if lang == "fr" else f"{h:02d}:00"
    if unit == "count":
        dec = 1 if dec is None else dec
        return format_number(x, lang, 0 if float(round(x, dec)).is_integer() else dec)
    if unit == "score":
        return format_number(x, lang, 2 if dec is None else dec)
    if unit == "area":
        return format_number(x, lang, 3 if dec is None else dec)
    return format_number(x, lang, (0 if float(x).is_integer() else 2) if dec is None else dec)
