"""An explanation told in concepts a person understands: one bar per idea, not per feature.

The model sees 442 features, many of them views of one thing: three external scores and their
mean, minimum, maximum, product… Their SHAP contributions pull in opposite directions (the
highest score +7 points, the lowest −4), which reads as a contradiction. A *concept*
(``model/text/data/concepts.toml``, read by :mod:`model.text.concepts`) adds up the contributions
of all its features, so "Notations externes" is one bar with one sign.

Why here and not in :mod:`model.text`: this is arithmetic on an :class:`~model.explain.Explanation`
(used by reason codes, charts and sentences alike); the text package only holds the words and rules.

The sums are exact by construction, whatever the mapping from log-odds to probability: a concept's
``log_odds`` and ``probability`` are the sums (``math.fsum``) of its members' own
``Contribution.log_odds`` and ``Contribution.probability``, so the concepts add up to the features
(to float rounding, ~1e-16). A stored explanation keeps only its largest contributions; the rest
(``Explanation.omitted_log_odds``, ``n_omitted`` features) cannot be split into concepts and is one
:data:`OTHER_CONCEPT` remainder, last in the list. Each omitted feature is smaller than every stored
one of its sign, but there are ~400 of them: on the small demo model the remainder is ~20 % of the
total |effect| (median). To make it vanish, training can store each client's per-concept sums
(``shap[:, :-1] @ membership(features)[1]``, a few floats per client) beside the top features.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model.explain import Contribution, Explanation
from model.text.concepts import CONCEPTS
from model.text.formatting import is_missing
from model.text.languages import Lang

__all__ = ["OTHER_CONCEPT", "ConceptContribution", "concept_contributions", "concept_of", "concept_top",
           "is_missing_contribution", "membership"]

#: Code of the remainder bar: concepts not shown and features too small to be stored.
OTHER_CONCEPT = "OTHER"


def concept_of(feature: str) -> str:
    """The code of the one concept ``feature`` belongs to (UnmappedFeatureError if none)."""
    return CONCEPTS.concept_of(feature)


def membership(features: Sequence[str]) -> tuple[list[str], npt.NDArray[np.float64]]:
    """The concept codes (file order) and the 0/1 (features × concepts) matrix of who belongs where.

    ``phi @ matrix`` turns SHAP rows into per-concept sums in one product, for batch use
    (training, monitoring) without building an Explanation per client.
    """
    codes = list(CONCEPTS.concepts)
    column = {code: j for j, code in enumerate(codes)}
    matrix = np.zeros((len(features), len(codes)))
    for i, name in enumerate(features):
        matrix[i, column[concept_of(name)]] = 1.0
    return codes, matrix


def is_missing_contribution(c: Contribution) -> bool:
    """True when ``c`` speaks of information not provided: a missing value, or a non-zero count of
    missing values (a concept's ``missing_indicators``, e.g. the number of external scores not given)."""
    if is_missing(c.value):
        return True
    concept = CONCEPTS[concept_of(c.feature)]
    if c.feature in concept.missing_indicators:
        try:
            return float(c.value) > 0
        except (TypeError, ValueError):
            return False
    return False


@dataclass(frozen=True)
class ConceptContribution:
    """The summed effect of one concept's features on one client's score."""

    code: str
    log_odds: float
    probability: float                       # probability points, as Contribution.probability
    features: tuple[str, ...]                # member features present in the explanation, largest first
    missing: bool                            # every member with a non-zero effect has no value
    contributions: tuple[Contribution, ...] = ()

    def label(self, lang: Lang = "fr") -> str:
        if self.code == OTHER_CONCEPT:
            return CONCEPTS.template("other", lang)
        return CONCEPTS[self.code].label(lang)

    @property
    def direction(self) -> str:
        """"up" raises the risk, "down" lowers it (as :class:`model.narrative.Factor`)."""
        return "up" if self.log_odds > 0 else "down"

    def only_missing(self, raising: bool) -> bool:
        """True when every member pushing the risk up (``raising``) or down has no value.

        A concept that lowers the risk only because information is missing is no merit of the
        client, and one that raises it only for that reason is worded as missing information.
        """
        side = [c for c in self.contributions if (c.log_odds > 0 if raising else c.log_odds < 0)]
        return bool(side) and all(is_missing_contribution(c) for c in side)


def _effect(c: ConceptContribution) -> tuple[float, float, str]:
    return (-abs(c.probability), -abs(c.log_odds), c.code)


def concept_contributions(explanation: Explanation, *, exclude: Iterable[str] = ()) -> list[ConceptContribution]:
    """One entry per concept present, largest |effect| first, then the :data:`OTHER_CONCEPT` remainder
    of a stored explanation (omitted features), if any.

    The entries add up to the feature contributions plus the omitted remainder (see the module
    docstring). ``exclude`` leaves features out entirely (reason codes drop protected attributes so
    their effect is attributed to no reason); the sums then no longer reach the score.
    """
    skip = frozenset(exclude)
    members: dict[str, list[Contribution]] = {}
    for c in explanation.contributions:
        if c.feature not in skip:
            members.setdefault(concept_of(c.feature), []).append(c)
    if explanation.concept_log_odds:
        # exact totals over every feature, stored at training: no remainder to carry
        scale = explanation.scale
        totals = dict(explanation.concept_log_odds)
        # the totals are stored in float32: the rounding residue goes to the largest concept, so
        # the bars still add up exactly to the score
        largest = max(totals, key=lambda code: abs(totals[code]))
        totals[largest] += (explanation.raw_score - explanation.base_log_odds) - math.fsum(totals.values())
        out = []
        for code, total in totals.items():
            listed = members.get(code, [])
            if not listed and total == 0.0:
                continue
            combined = _combine(code, listed)
            out.append(ConceptContribution(code, total, total * scale, combined.features, combined.missing,
                                           combined.contributions))
        out.sort(key=_effect)
        return out
    out = [_combine(code, cs) for code, cs in members.items()]
    out.sort(key=_effect)
    if explanation.n_omitted or explanation.omitted_log_odds:
        lo = float(explanation.omitted_log_odds)
        out.append(ConceptContribution(OTHER_CONCEPT, lo, lo * explanation.scale, (), False))
    return out


def _combine(code: str, cs: list[Contribution]) -> ConceptContribution:
    effective = [c for c in cs if c.log_odds != 0]
    missing = bool(effective) and all(is_missing_contribution(c) for c in effective)
    return ConceptContribution(code, math.fsum(c.log_odds for c in cs), math.fsum(c.probability for c in cs),
                               tuple(c.feature for c in cs), missing, tuple(cs))


def concept_top(explanation: Explanation, n: int = 6, untold: Collection[str] = ()) -> list[ConceptContribution]:
    """The n concepts with the largest effect plus one :data:`OTHER_CONCEPT` bar for the rest.

    The remainder is the total minus the bars shown (as ``Explanation.top`` does), so the bars
    always add up exactly to the sum of all concepts; it is left out when nothing remains.
    Concepts in ``untold`` (never told to a client: ``ReasonPolicy.untold``) never get a bar of
    their own: their effect is in the remainder, so no chart names them as a reason.
    """
    every = concept_contributions(explanation)
    concepts = [c for c in every if c.code != OTHER_CONCEPT and c.code not in untold]
    head = concepts[:n]
    shown = {c.code for c in head}
    rest = [c for c in every if c.code not in shown]
    if not rest:
        return head
    shown_lo = math.fsum(c.log_odds for c in head)
    shown_p = math.fsum(c.probability for c in head)
    other = ConceptContribution(OTHER_CONCEPT, math.fsum(c.log_odds for c in every) - shown_lo,
                                math.fsum(c.probability for c in every) - shown_p,
                                tuple(f for c in rest for f in c.features), False,
                                tuple(x for c in rest for x in c.contributions))
    return [*head, other]
