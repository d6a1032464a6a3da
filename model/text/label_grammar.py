"""Labels of aggregated history features, generated in French and English from their provenance.

Hundreds of features are aggregations of a few dozen history columns ("average lateness of
instalment payments, over the last 12 months"); writing each label by hand would let the
two languages and the grammar drift apart. The words are data (``data/history.toml``,
``data/aggregations.toml``); this module only puts them together: the French aggregation
word agrees with its noun ("retard moyen", "annuité moyenne"), "de" elides ("d'échéances"),
a minimum becomes a maximum when the shown value has its sign turned round, subsets and
time windows are added as qualifiers.

Anything it cannot phrase raises :class:`UnknownFeatureError`: there is no generic
fallback, so a new feature without words fails the tests instead of reaching a client as
``BURO_DAYS_CREDIT_MEAN``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.text.datafiles import Phrase, join, load_aggregations, load_history

AGGREGATIONS = load_aggregations()
HISTORY = load_history(AGGREGATIONS.tables)

#: The profile group of each table's features.
TABLE_GROUPS: dict[str, str] = {table: words.group for table, words in AGGREGATIONS.tables.items()}
#: Aggregations a label can be generated for.
AGGS = frozenset(AGGREGATIONS.words) | {"count", "std"}

# Table names as the schema and the feature builder write them, to the names of the data files.
_TABLE_ALIASES = {table.lower(): table for table in AGGREGATIONS.tables} | {
    "application_train": "application", "application_test": "application"}
_VOWELS = "aeiouyhéèêâîôû"


class UnknownFeatureError(KeyError):
    """A name the vocabulary cannot label (neither a raw column nor a describable feature)."""

    def __str__(self) -> str:  # KeyError would show the message with quotes
        return str(self.args[0]) if self.args else "unknown feature"


@dataclass(frozen=True)
class GeneratedLabel:
    """What :func:`aggregate_label` says of a feature."""

    fr: str
    en: str
    unit: str
    transform: str | None
    decimals: int | None
    group: str
    #: the raw column whose category levels the value takes, if any
    column: str | None


def cap(text: str) -> str:
    """Upper-case the first letter only: ``str.capitalize`` would lower-case "ID" and "LASTMONTH"."""
    return text[:1].upper() + text[1:]


def table_key(table: str) -> str:
    """The data files' name of a table, in any case; application_train and application_test are the application."""
    key = _TABLE_ALIASES.get(str(table).lower())
    if key is None:
        raise UnknownFeatureError(f"unknown table {table!r}")
    return key


def column_phrase(table: str, column: str) -> Phrase | None:
    """The phrase of a raw history column, None when the data has none."""
    return HISTORY.columns.get(table, {}).get(column)


def _of(head_fr: str, gender: str) -> str:
    """French "de" + article + head: du retard, de la durée, de l'ancienneté, des mois."""
    if gender in ("mp", "fp"):
        return f"des {head_fr}"
    if head_fr[:1].lower() in _VOWELS:
        return f"de l'{head_fr}"
    return f"du {head_fr}" if gender == "m" else f"de la {head_fr}"


def _de(noun: str) -> str:
    """French "de" with elision: "de mois", "d'échéances"."""
    return f"d'{noun}" if noun[:1].lower() in _VOWELS else f"de {noun}"


def window_phrase(window: Any) -> tuple[str, str]:
    """(fr, en) of a time window: "L365D", "L90D", "L12M", "L3M" (also 365, "365d", {"months": 12})."""
    count: int | None = None
    per = "days"
    if isinstance(window, Mapping):
        for key in ("days", "months"):
            if key in window:
                count, per = int(window[key]), key
                break
    elif isinstance(window, (int, float)) and not isinstance(window, bool):
        count = int(window)
    elif isinstance(window, str):
        m = re.fullmatch(r"L?(\d+)\s*(D|DAYS?|M|MONTHS?)?", window.strip().upper())
        if m:
            count = int(m.group(1))
            per = "months" if (m.group(2) or "D").startswith("M") else "days"
    if count is None or count <= 0:
        raise UnknownFeatureError(f"cannot phrase the window {window!r}")
    if per == "days" and count % 365 == 0:
        count, per = count // 365 * 12, "months"
    fr_word, en_word = ("jours", "days") if per == "days" else ("mois", "months")
    return f"sur les {count} derniers {fr_word}", f"over the last {count} {en_word}"


def _source_phrase(table: str, source: Any, name: str) -> tuple[Phrase, str | None]:
    """The phrase of a provenance source (raw column or derived row value) and the raw column it is."""
    src = str(source)
    phrase = column_phrase(table, src)
    if phrase is not None:
        return phrase, src
    phrase = HISTORY.derived.get(table, {}).get(src)
    if phrase is not None:
        return phrase, None
    raise UnknownFeatureError(f"cannot label feature {name!r}: no phrase for source {source!r} of table {table!r} "
                              f"(add it to model/text/data/history.toml, [derived.{table}])")


def _count_label(table: str, subset: str | None) -> tuple[str, str, bool]:
    """"Nombre de <rows>", and whether the rows already say the subset."""
    words = AGGREGATIONS.tables[table]
    rows = words.subset_rows.get(subset) if subset else None
    if rows is not None:
        return f"Nombre {_de(rows[0])}", f"Number of {rows[1]}", True
    if words.rows is None:
        raise UnknownFeatureError(f"cannot count the rows of table {table!r}: no rows in aggregations.toml")
    return f"Nombre {_de(words.rows[0])}", f"Number of {words.rows[1]}", False


def aggregate_label(name: str, table: str, prov: Mapping[str, Any]) -> GeneratedLabel:
    """The label of an aggregation ``prov["agg"]`` of history table ``table`` (see ``labels.info_from_provenance``)."""
    source = prov.get("source")
    agg = str(prov.get("agg") or "raw").lower()
    if table == "application" or agg not in AGGS:
        raise UnknownFeatureError(f"cannot label feature {name!r} (table {table!r}, agg {agg!r}): "
                                  "add a hand-written override to model/text/data/engineered.toml")
    subset = prov.get("subset")
    subset_key = str(subset).lower() if subset else None
    if subset_key is not None and subset_key not in AGGREGATIONS.subsets:
        raise UnknownFeatureError(f"cannot label feature {name!r}: unknown subset {subset!r}")
    transform: str | None = None
    decimals: int | None = 0
    col: str | None = None
    subset_done = False

    if agg == "count":
        fr, en, subset_done = _count_label(table, subset_key)
        unit = "count"
    else:
        if source is None:
            raise UnknownFeatureError(f"cannot label feature {name!r}: {agg!r} without a source")
        phrase, col = _source_phrase(table, source, name)
        fr, en, unit, transform, decimals = _phrase_label(name, table, phrase, agg)

    if subset_key and not subset_done:
        s_fr, s_en = AGGREGATIONS.subsets[subset_key]
        fr, en = f"{fr}, {s_fr}", f"{en}, {s_en}"
    window = prov.get("window")
    if window:
        w_fr, w_en = window_phrase(window)
        fr, en = f"{fr}, {w_fr}", f"{en}, {w_en}"
    return GeneratedLabel(cap(fr), cap(en), unit, transform, decimals, TABLE_GROUPS[table],
                          col if unit == "category" else None)


def _phrase_label(name: str, table: str, phrase: Phrase, agg: str
                  ) -> tuple[str, str, str, str | None, int | None]:
    """(fr, en, unit, transform, decimals) of an aggregation of one phrase."""
    unit, transform, decimals = phrase.unit, phrase.transform, phrase.decimals
    fr = en = ""
    words = AGGREGATIONS.words.get(agg)
    if phrase.unit == "category":
        if words is None or not words.before:
            raise UnknownFeatureError(f"cannot label feature {name!r}: {agg!r} of a category")
    elif phrase.unit == "flag" and agg in ("mean", "sum"):
        if agg == "mean":
            fr = f"Part {join(_of(phrase.head_fr, phrase.gender), phrase.qual_fr, phrase.ctx_fr)}"
            en, unit = f"Share of {phrase.en()}", "percent"
        else:
            fr, en, unit = f"Nombre {_de(phrase.fr())}", f"Number of {phrase.en()}", "count"
        transform, decimals = None, 0
    elif phrase.unit == "flag":
        raise UnknownFeatureError(f"cannot label feature {name!r}: {agg!r} of a yes/no value")
    if words is not None and words.before:
        last = AGGREGATIONS.tables[table].last if agg == "last" else None
        if last is not None:
            fr, en = join(phrase.head_fr, phrase.qual_fr, last[0]), join(phrase.head_en, phrase.qual_en, last[1])
        else:
            fr = join(words.fr[phrase.gender], phrase.head_fr, phrase.qual_fr, phrase.ctx_fr)
            en = join(words.en, phrase.head_en, phrase.qual_en, phrase.ctx_en)
    elif phrase.unit != "flag" and words is not None:
        if phrase.negated and agg in ("min", "max"):
            words = AGGREGATIONS.words["max" if agg == "min" else "min"]
        fr = join(phrase.head_fr, words.fr[phrase.gender], phrase.qual_fr, phrase.ctx_fr)
        en = join(words.en, phrase.head_en, phrase.qual_en, phrase.ctx_en)
    elif agg == "std":
        fr = join("Écart-type", _of(phrase.head_fr, phrase.gender), phrase.qual_fr, phrase.ctx_fr)
        en = join("Standard deviation of the", phrase.head_en, phrase.qual_en, phrase.ctx_en)
    return fr, en, unit, transform, decimals
