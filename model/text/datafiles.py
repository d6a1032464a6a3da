"""The product's words as data: reading and checking the TOML files of ``model/text/data/``.

The words live in files a translator can edit without reading Python; the code that puts
them together (French agreement, units, number formats) stays in :mod:`model.text.labels`,
:mod:`model.text.label_grammar` and :mod:`model.text.strings`. Each file is read once, at
import, and checked entry by entry, so a typo (an unknown unit, a missing English text, a
misspelt field) stops the application at start-up with :class:`DataFileError` naming the
file and the entry, instead of showing a wrong or empty label to a client later.

The loaders return plain records and apply no typography: French spacing is applied by the
modules that build the final text.
"""
from __future__ import annotations

import string
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from model.text.languages import LANGS, Lang

DATA_DIR = Path(__file__).parent / "data"

UNITS = frozenset({"years", "days", "months", "currency", "ratio", "percent", "count", "score", "flag",
                   "category", "hour", "rate", "area", "none"})
KINDS = frozenset({"numeric", "category", "flag"})
TRANSFORMS = frozenset({None, "days_to_years", "days_ago", "months_ago"})
GROUPS = frozenset({"identity", "income_employment", "loan", "housing", "history_bureau", "history_previous",
                    "history_payments", "history_cards", "documents", "contact", "region", "external_scores"})
#: Gender and number of a French head noun: masculine, feminine, masculine plural, feminine plural.
GENDERS = ("m", "f", "mp", "fp")
#: Units whose values are written as durations ("32 ans"): values.toml must name them all.
DURATION_UNITS = ("years", "days", "months")
#: Transforms that show a raw value with its sign turned round (days before the application).
NEGATING_TRANSFORMS = frozenset({"days_to_years", "days_ago", "months_ago"})

#: A text in both languages, French first.
Pair = tuple[str, str]


class DataFileError(ValueError):
    """A data file that cannot be used, with the file and the entry a translator must fix."""

    def __init__(self, path: Path, entry: str | None, problem: str) -> None:
        self.path, self.entry, self.problem = path, entry, problem
        where = f" [{entry}]" if entry else ""
        super().__init__(f"{_shown(path)}{where}: {problem}")


def _shown(path: Path) -> str:
    """The path from the repository root when it is inside it: short and clickable in a traceback."""
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parents[2]))
    except ValueError:
        return str(path)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a format string."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed file; a syntax error names the file (tomllib's own message only has the line)."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise DataFileError(path, None, f"not valid TOML: {exc}") from None


class _Entry:
    """One table of a data file, read field by field; every error names the file and the entry."""

    def __init__(self, path: Path, where: str, raw: object, required: Collection[str] = (),
                 optional: Collection[str] = ()) -> None:
        self.path, self.where = path, where
        if not isinstance(raw, dict):
            shape = "{ fr = \"...\", en = \"...\" }" if set(required) == set(LANGS) else "a table"
            self.fail(f"expected {shape}, got {raw!r}")
        self.raw: dict[str, Any] = raw
        missing = [key for key in required if key not in raw]
        if missing:
            langs = [key for key in missing if key in LANGS]
            self.fail(f"no {', '.join(langs)} text" if langs == missing else f"missing {', '.join(missing)}")
        unknown = sorted(set(raw) - set(required) - set(optional))
        if unknown and (required or optional):
            self.fail(f"unknown field {', '.join(unknown)} (expected {', '.join([*required, *optional])})")

    def fail(self, problem: str) -> NoReturn:
        raise DataFileError(self.path, self.where, problem)

    def sub(self, key: str, required: Collection[str] = (), optional: Collection[str] = ()) -> _Entry:
        return _Entry(self.path, f"{self.where}.{key}" if self.where else key, self.raw.get(key), required, optional)

    def keys(self) -> list[str]:
        return list(self.raw)

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{key} must be a non-empty text, got {value!r}")
        return value

    def check(self, value: object, allowed: Collection[str | None], what: str) -> None:
        if value not in allowed:
            names = ", ".join(sorted(a for a in allowed if a is not None))
            self.fail(f"unknown {what} {value!r} (expected one of {names})")

    def choice(self, key: str, allowed: Collection[str | None], what: str) -> str | None:
        value = self.raw.get(key)
        self.check(value, allowed, what)
        return None if value is None else str(value)

    def required_choice(self, key: str, allowed: Collection[str], what: str) -> str:
        value = self.choice(key, allowed, what)
        if value is None:
            self.fail(f"missing {key}")
        return value

    def integer(self, key: str) -> int | None:
        value = self.raw.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            self.fail(f"{key} must be a whole number, got {value!r}")
        return value

    def flag(self, key: str) -> bool | None:
        value = self.raw.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(f"{key} must be true or false, got {value!r}")
        return value

    def langs(self) -> dict[Lang, str]:
        """The fr and en texts of this entry (both required by the constructor)."""
        return {lang: self.text(lang) for lang in LANGS}

    def pair(self, key: str, blank: bool = False) -> Pair:
        """A ``{ fr = ..., en = ... }`` field; ``blank`` lets a language be empty (no qualifier)."""
        entry = self.sub(key, LANGS)
        if blank:
            texts = [entry.raw[lang] for lang in LANGS]
            if not all(isinstance(text, str) for text in texts):
                entry.fail(f"texts must be strings, got {texts!r}")
            return texts[0], texts[1]
        fr, en = (entry.text(lang) for lang in LANGS)
        return fr, en

    def pairs(self) -> dict[str, Pair]:
        """A table of ``name = { fr = ..., en = ... }``."""
        return {name: self.pair(name) for name in self.keys()}

    def template(self, fields: Collection[str]) -> dict[Lang, str]:
        """The fr and en texts of this entry, which must use exactly these ``{placeholders}``."""
        texts = self.langs()
        for lang, text in texts.items():
            if placeholders(text) != set(fields):
                self.fail(f"the {lang} text must use the placeholders {', '.join(sorted(fields))}, got {text!r}")
        return texts


def _file(path: Path, sections: Collection[str]) -> _Entry:
    """The top-level table of a file that must have exactly these sections."""
    return _Entry(path, "", read_toml(path), sections, ())


# --------------------------------------------------------------------------------------
# UI strings
# --------------------------------------------------------------------------------------
def load_strings(path: Path = DATA_DIR / "strings.toml") -> dict[str, dict[str, str]]:
    """``{key: {"fr": ..., "en": ...}}``, both languages with the same placeholders."""
    strings: dict[str, dict[str, str]] = {}
    top = _Entry(path, "", read_toml(path))
    for key in top.keys():
        entry = top.sub(key, LANGS)
        texts: dict[str, str] = {lang: text for lang, text in entry.langs().items()}
        fields = {lang: placeholders(text) for lang, text in texts.items()}
        if len({frozenset(f) for f in fields.values()}) > 1:
            entry.fail(f"the languages have different placeholders: {fields}")
        strings[key] = texts
    return strings


# --------------------------------------------------------------------------------------
# Feature dictionary
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Words:
    """A hand-written label and how its value is shown."""

    fr: str
    en: str
    unit: str
    group: str
    transform: str | None = None
    decimals: int | None = None


_WORD_FIELDS = ("unit", "group")
_WORD_OPTIONS = ("transform", "decimals")


def _words(entry: _Entry, fr: str, en: str, unit: str) -> Words:
    """Words with the group, transform and decimals of ``entry``."""
    return Words(fr, en, unit, entry.required_choice("group", GROUPS, "group"),
                 entry.choice("transform", TRANSFORMS, "transform"), entry.integer("decimals"))


def _labelled(entry: _Entry) -> Words:
    return _words(entry, entry.text("fr"), entry.text("en"), entry.required_choice("unit", UNITS, "unit"))


def load_application(path: Path = DATA_DIR / "application.toml") -> dict[str, Words]:
    """The application columns, building measures and supporting documents expanded to one entry per column."""
    top = _file(path, ("columns", "building", "documents"))
    table = top.sub("columns")
    columns = {name: _labelled(table.sub(name, LANGS + _WORD_FIELDS, _WORD_OPTIONS)) for name in table.keys()}

    building = top.sub("building", (*LANGS, "group", "decimals", "measures", "stats"))
    template = building.template(("measure", "stat"))
    stats = building.sub("stats").pairs()
    measures = building.sub("measures")
    for measure in measures.keys():
        entry = measures.sub(measure, (*LANGS, "unit"))
        word, unit = entry.langs(), entry.required_choice("unit", UNITS, "unit")
        for stat, (stat_fr, stat_en) in stats.items():
            columns[f"{measure}_{stat}"] = _words(building, template["fr"].format(measure=word["fr"], stat=stat_fr),
                                                  template["en"].format(measure=word["en"], stat=stat_en), unit)

    documents = top.sub("documents", (*LANGS, "first", "last", "unit", "group"))
    first, last = documents.integer("first"), documents.integer("last")
    if first is None or last is None or first > last:
        documents.fail(f"first ({first}) must not be after last ({last})")
    texts, unit = documents.template(("number",)), documents.required_choice("unit", UNITS, "unit")
    for number in range(first, last + 1):
        columns[f"FLAG_DOCUMENT_{number}"] = _words(documents, texts["fr"].format(number=number),
                                                    texts["en"].format(number=number), unit)
    return columns


def load_engineered(path: Path = DATA_DIR / "engineered.toml") -> dict[str, Words]:
    """Hand-written labels of hand-made features, by feature name."""
    top = _Entry(path, "", read_toml(path))
    return {name: _labelled(top.sub(name, LANGS + _WORD_FIELDS, _WORD_OPTIONS)) for name in top.keys()}


@dataclass(frozen=True)
class Phrase:
    """A noun phrase split so an aggregation word fits in: "<head> moyen <qual> <ctx>".

    ``gender`` is m, f, mp or fp (French adjective and article). ``ctx`` names the rows
    ("des crédits déclarés au bureau de crédit"). ``negated``: the display transform turns
    the raw value's sign round (days before the application shown as a positive duration),
    so a raw minimum is a displayed maximum.
    """

    head_fr: str
    qual_fr: str
    ctx_fr: str
    gender: str
    head_en: str
    qual_en: str
    ctx_en: str
    unit: str
    transform: str | None = None
    decimals: int | None = None
    negated: bool = False

    def fr(self) -> str:
        return join(self.head_fr, self.qual_fr, self.ctx_fr)

    def en(self) -> str:
        return join(self.head_en, self.qual_en, self.ctx_en)


def join(*parts: str) -> str:
    """Words with one space between them, empty parts left out."""
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class History:
    """Phrases of the history tables: raw ``columns`` and ``derived`` row values, by table then name."""

    columns: dict[str, dict[str, Phrase]]
    derived: dict[str, dict[str, Phrase]]


_PHRASE_FIELDS = ("head", "gender", "unit")
_PHRASE_OPTIONS = ("qual", "context", "transform", "decimals", "negated")


def _phrase(entry: _Entry, contexts: Mapping[str, Pair]) -> Phrase:
    head_fr, head_en = entry.pair("head")
    qual_fr, qual_en = entry.pair("qual", blank=True) if "qual" in entry.raw else ("", "")
    context = entry.required_choice("context", contexts, "context") if "context" in entry.raw else None
    ctx_fr, ctx_en = ("", "") if context is None else contexts[context]
    transform = entry.choice("transform", TRANSFORMS, "transform")
    negated = entry.flag("negated")
    return Phrase(head_fr, qual_fr, ctx_fr, entry.required_choice("gender", GENDERS, "gender"), head_en, qual_en,
                  ctx_en, entry.required_choice("unit", UNITS, "unit"), transform, entry.integer("decimals"),
                  transform in NEGATING_TRANSFORMS if negated is None else negated)


def load_history(tables: Collection[str], path: Path = DATA_DIR / "history.toml") -> History:
    """The phrases of every history table (``tables``: the table names the grammar knows)."""
    top = _file(path, ("contexts", "shared", "columns", "derived"))
    contexts = top.sub("contexts").pairs()
    shared_entry = top.sub("shared")
    shared = {name: _phrase(shared_entry.sub(name, _PHRASE_FIELDS, _PHRASE_OPTIONS), contexts)
              for name in shared_entry.keys()}
    sections: list[dict[str, dict[str, Phrase]]] = []
    for section in ("columns", "derived"):
        by_table: dict[str, dict[str, Phrase]] = {}
        for table in top.sub(section).keys():
            top.sub(section).check(table, tables, "table")
            entries = top.sub(section).sub(table)
            phrases: dict[str, Phrase] = {}
            for name in entries.keys():
                raw = entries.raw[name]
                if isinstance(raw, str):
                    _Entry(path, f"{entries.where}.{name}", {}).check(raw, shared, "shared phrase")
                    phrases[name] = shared[raw]
                else:
                    phrases[name] = _phrase(entries.sub(name, _PHRASE_FIELDS, _PHRASE_OPTIONS), contexts)
            by_table[table] = phrases
        sections.append(by_table)
    return History(*sections)


@dataclass(frozen=True)
class TableWords:
    """How generated labels speak of one table's rows."""

    group: str
    #: what one row is, for "Nombre de …"
    rows: Pair | None
    #: the row a "last" aggregation reads ("de la dernière demande précédente")
    last: Pair | None
    #: "Nombre de …" for a subset of the rows, by lower-case subset name
    subset_rows: dict[str, Pair]


@dataclass(frozen=True)
class AggregationWords:
    """An aggregation word: French by gender of the head noun, English, and its place in French."""

    fr: dict[str, str]
    en: str
    before: bool


@dataclass(frozen=True)
class Aggregations:
    """Everything of aggregations.toml."""

    tables: dict[str, TableWords]
    subsets: dict[str, Pair]
    words: dict[str, AggregationWords]


def load_aggregations(path: Path = DATA_DIR / "aggregations.toml") -> Aggregations:
    """Table words, subsets and aggregation words; a subset's rows must name a known subset."""
    top = _file(path, ("tables", "subsets", "aggregations"))
    subsets = top.sub("subsets").pairs()
    tables: dict[str, TableWords] = {}
    for table in top.sub("tables").keys():
        entry = top.sub("tables").sub(table, ("group",), ("rows", "last", "subset_rows"))
        subset_rows = entry.sub("subset_rows").pairs() if "subset_rows" in entry.raw else {}
        for subset in subset_rows:
            entry.sub("subset_rows").check(subset, subsets, "subset")
        tables[table] = TableWords(entry.required_choice("group", GROUPS, "group"),
                                   entry.pair("rows") if "rows" in entry.raw else None,
                                   entry.pair("last") if "last" in entry.raw else None, subset_rows)
    words: dict[str, AggregationWords] = {}
    for agg in top.sub("aggregations").keys():
        entry = top.sub("aggregations").sub(agg, (*LANGS, "place"))
        french = entry.sub("fr", GENDERS)
        words[agg] = AggregationWords({gender: french.text(gender) for gender in GENDERS}, entry.text("en"),
                                      entry.required_choice("place", ("before", "after"), "place") == "before")
    return Aggregations(tables, subsets, words)


@dataclass(frozen=True)
class Levels:
    """Category levels shown to a client: per column, and the codes every column shares."""

    columns: dict[str, dict[str, Pair]]
    common: dict[str, Pair]


def load_levels(path: Path = DATA_DIR / "levels.toml") -> Levels:
    """Translated levels; keys are the levels exactly as Kaggle writes them (case and spaces count)."""
    top = _file(path, ("common", "columns"))
    columns = top.sub("columns")
    return Levels({column: columns.sub(column).pairs() for column in columns.keys()}, top.sub("common").pairs())


@dataclass(frozen=True)
class ValueWords:
    """Words of shown values, by language."""

    yes_no: dict[Lang, Pair]
    no_date: dict[Lang, str]
    #: what a column's sentinel ("no date") means, when it means more
    sentinels: dict[str, dict[Lang, str]]
    #: unit shown after a chart axis label, by unit
    axis_units: dict[str, dict[Lang, str]]
    #: (singular, plural) of a duration unit
    durations: dict[str, dict[Lang, Pair]]


def load_values(path: Path = DATA_DIR / "values.toml") -> ValueWords:
    """Value words; every duration unit must have its words, or a duration would be shown without one."""
    top = _file(path, ("yes_no", "no_date", "sentinels", "axis_units", "durations"))

    def two(entry: _Entry, first: str, second: str) -> dict[Lang, Pair]:
        out: dict[Lang, Pair] = {}
        for lang in LANGS:
            words = entry.sub(lang, (first, second))
            out[lang] = words.text(first), words.text(second)
        return out

    axis_units: dict[str, dict[Lang, str]] = {}
    for unit in top.sub("axis_units").keys():
        top.sub("axis_units").check(unit, UNITS, "unit")
        axis_units[unit] = top.sub("axis_units").sub(unit, LANGS).langs()
    durations: dict[str, dict[Lang, Pair]] = {}
    for unit in DURATION_UNITS:
        durations[unit] = two(top.sub("durations", DURATION_UNITS).sub(unit, LANGS), "singular", "plural")
    return ValueWords(two(top.sub("yes_no", LANGS), "yes", "no"), top.sub("no_date", LANGS).langs(),
                      {column: top.sub("sentinels").sub(column, LANGS).langs()
                       for column in top.sub("sentinels").keys()},
                      axis_units, durations)
