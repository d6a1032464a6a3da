"""Concepts a person understands, as data: their words and the rules that group the features.

``model/text/data/concepts.toml`` names ~20 concepts ("Notations externes", "Retards de paiement
sur les crédits précédents", …), each with a stable reason code, FR/EN labels, the sentence given
when it raises the risk, and the rules that say which features belong to it. This module reads and
checks that file; the arithmetic on explanations lives in :mod:`model.concepts`, so the words can be
edited (and their checks run) without touching the scoring code.

Why checks at import: a concept file that puts one feature in two concepts, names a feature that
does not exist or has a rule that matches nothing would silently give a client a wrong reason. The
file is therefore checked against the feature registry when it is read, and every error is a
:class:`~model.text.datafiles.DataFileError` naming the file and the entry. A feature that *no*
concept takes is reported when it is looked up (:class:`UnmappedFeatureError`) and by the tests,
which go through every feature: a new feature fails the tests until it is given a concept.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from model import features
from model.text.datafiles import DATA_DIR, DataFileError, _Entry, read_toml
from model.text.languages import LANGS, Lang, check_lang
from model.text.strings import french_spacing

__all__ = ["CONCEPTS", "CONCEPTS_FILE", "Concept", "ConceptBook", "Rule", "UnmappedFeatureError", "load_concepts"]

CONCEPTS_FILE = DATA_DIR / "concepts.toml"
#: Stable reason codes: they are stored with decisions, so they are plain identifiers.
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
_CONCEPT_FIELDS = (*LANGS, "raises")
_CONCEPT_OPTIONS = ("features", "match", "missing_indicators", "reason")
_RULE_KEYS = ("table", "sources", "subset", "prefix", "suffix")
#: What the rules read of ``model.features.feature_provenance(name)`` (table, source, subset).
_Provenance = Mapping[str, object]
#: An explicit feature name beats any rule (rules have at most len(_RULE_KEYS) criteria).
_EXPLICIT = len(_RULE_KEYS) + 1


class UnmappedFeatureError(KeyError):
    """A feature no concept takes (a KeyError, like an unknown feature label); says which file to edit."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "feature without a concept"


@dataclass(frozen=True)
class Rule:
    """Criteria on a feature's provenance and name, all of which must hold; more criteria = stronger."""

    table: str | None = None
    sources: frozenset[str] | None = None
    subset: str | None = None
    prefix: str | None = None
    suffix: str | None = None

    @property
    def strength(self) -> int:
        return sum(v is not None for v in (self.table, self.sources, self.subset, self.prefix, self.suffix))

    def matches(self, name: str, prov: _Provenance) -> bool:
        return ((self.table is None or prov["table"] == self.table)
                and (self.sources is None or prov["source"] in self.sources)
                and (self.subset is None or prov["subset"] == self.subset)
                and (self.prefix is None or name.startswith(self.prefix))
                and (self.suffix is None or name.endswith(self.suffix)))


@dataclass(frozen=True)
class Concept:
    """One concept: its code, words and membership rules."""

    code: str
    label_fr: str
    label_en: str
    raises_fr: str
    raises_en: str
    features: frozenset[str] = frozenset()
    rules: tuple[Rule, ...] = ()
    #: features whose non-zero value means information was not provided (a count of missing scores)
    missing_indicators: frozenset[str] = frozenset()
    #: False: never given to a client as a reason or a merit, whatever the settings (something a client
    #: cannot act on or should not be judged on); protected concepts are a setting (model.reasons)
    reason: bool = True

    def label(self, lang: Lang = "fr") -> str:
        return self.label_fr if check_lang(lang) == "fr" else self.label_en

    def raises(self, lang: Lang = "fr") -> str:
        """The reason as said to a client when this concept raises the risk."""
        return self.raises_fr if check_lang(lang) == "fr" else self.raises_en

    def strength(self, name: str, prov: _Provenance) -> int:
        """How strongly this concept claims ``name`` (0: not at all)."""
        if name in self.features:
            return _EXPLICIT
        return max((r.strength for r in self.rules if r.matches(name, prov)), default=0)


@dataclass(frozen=True)
class ConceptBook:
    """Every concept of one file, and the feature → concept lookup."""

    path: Path
    concepts: dict[str, Concept]
    #: shared texts by name (missing, helps, other) and language; missing/helps take {concept}
    templates: dict[str, dict[Lang, str]]
    _cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, code: str) -> Concept:
        return self.concepts[code]

    def template(self, name: str, lang: Lang = "fr", **kwargs: str) -> str:
        return self.templates[name][check_lang(lang)].format(**kwargs)

    def concept_of(self, name: str) -> str:
        """The code of the one concept that takes feature ``name``.

        Raises :class:`UnmappedFeatureError` for an unknown feature or one no concept takes, and
        :class:`DataFileError` when two concepts take it equally strongly.
        """
        hit = self._cache.get(name)
        if hit is None:
            hit = self._cache[name] = self._resolve(name)
        return hit

    def _resolve(self, name: str) -> str:
        try:
            prov = features.feature_provenance(name)
        except KeyError:
            raise UnmappedFeatureError(f"unknown feature {name!r}: it belongs to no concept of "
                                       f"{self.path.name}") from None
        claims = [(c.strength(name, prov), code) for code, c in self.concepts.items()]
        best = max(s for s, _ in claims)
        if best == 0:
            raise UnmappedFeatureError(f"feature {name!r} belongs to no concept: add it to a concept of "
                                       f"model/text/data/{self.path.name}")
        winners = sorted(code for s, code in claims if s == best)
        if len(winners) > 1:
            raise DataFileError(self.path, f"concepts.{winners[0]}",
                                f"feature {name!r} is claimed equally by {', '.join(winners)}")
        return winners[0]

    def unmapped(self, names: Iterable[str]) -> list[str]:
        """The names no concept takes (for tests and start-up checks)."""
        out = []
        for name in names:
            try:
                self.concept_of(name)
            except UnmappedFeatureError:
                out.append(name)
        return out


def _names(entry: _Entry, key: str) -> list[str]:
    value = entry.raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        entry.fail(f"{key} must be a list of names, got {value!r}")
    return list(value)


def _rule(entry: _Entry, known: Collection[str]) -> Rule:
    for key in ("table", "subset", "prefix", "suffix"):
        if key in entry.raw:
            entry.text(key)
    sources = frozenset(_names(entry, "sources")) if "sources" in entry.raw else None
    if not entry.raw:
        entry.fail(f"a rule needs at least one of {', '.join(_RULE_KEYS)}")
    rule = Rule(entry.raw.get("table"), sources, entry.raw.get("subset"), entry.raw.get("prefix"),
                entry.raw.get("suffix"))
    if not any(rule.matches(name, features.feature_provenance(name)) for name in known):
        entry.fail(f"rule {entry.raw!r} matches no feature (a misspelt table or column?)")
    return rule


def _concept(top: _Entry, code: str, known: Collection[str]) -> Concept:
    entry = top.sub(code, _CONCEPT_FIELDS, _CONCEPT_OPTIONS)
    if not _CODE.fullmatch(code):
        entry.fail("a concept code is written in capitals, digits and underscores (EXT_SCORES)")
    fr, en = entry.langs().values()
    raises = entry.sub("raises", LANGS).langs()
    names = _names(entry, "features")
    indicators = _names(entry, "missing_indicators")
    for name in (*names, *indicators):
        if name not in known:
            entry.fail(f"unknown feature {name!r}")
    rules_raw = entry.raw.get("match", [])
    if not isinstance(rules_raw, list):
        entry.fail(f"match must be a list of rules, got {rules_raw!r}")
    rules = tuple(_rule(_Entry(entry.path, f"{entry.where}.match[{i}]", raw, (), _RULE_KEYS), known)
                  for i, raw in enumerate(rules_raw))
    if not names and not rules:
        entry.fail("a concept needs features or match rules")
    return Concept(code, french_spacing(fr), en, french_spacing(raises["fr"]), raises["en"], frozenset(names), rules,
                   frozenset(indicators), entry.flag("reason") is not False)


def load_concepts(path: Path = CONCEPTS_FILE) -> ConceptBook:
    """Read and check the concepts file (see the module docstring for what is checked)."""
    top = _Entry(path, "", read_toml(path), ("templates", "concepts"), ())
    templates_entry = top.sub("templates", ("missing", "helps", "other"))
    templates: dict[str, dict[Lang, str]] = {}
    for name, fields in (("missing", ("concept",)), ("helps", ("concept",)), ("other", ())):
        texts = templates_entry.sub(name, LANGS).template(fields)
        templates[name] = {lang: french_spacing(text) if lang == "fr" else text for lang, text in texts.items()}
    known = features.feature_columns(True)
    known_set = frozenset(known)
    table = top.sub("concepts")
    if not table.keys():
        table.fail("no concept")
    concepts = {code: _concept(table, code, known_set) for code in table.keys()}
    owner: dict[str, str] = {}
    for code, concept in concepts.items():
        for name in concept.features:
            if name in owner:
                table.sub(code).fail(f"feature {name!r} is already listed by concept {owner[name]}")
            owner[name] = code
    book = ConceptBook(path, concepts, templates)
    for name in known:           # ambiguities are errors of the file: found now, not in front of a client
        try:
            book.concept_of(name)
        except UnmappedFeatureError:
            pass                 # reported by the tests (and by concept_of when looked up)
    return book


CONCEPTS: ConceptBook = load_concepts()
