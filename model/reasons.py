"""Reason codes: why a client's risk is high, in a few stable codes and sentences a client understands.

A refused client is owed the main reasons (and a manager needs codes that can be counted and
audited), so reasons are *concepts* (:mod:`model.concepts`), never raw features: "Des retards de
paiement sur vos crédits précédents", code ``PAYMENT_DELAYS``, not three contradictory bars on
``INSTAL_DPD_MEAN`` and friends. Three rules keep them honest:

* only concepts that **raise** the risk are reasons, ranked by their effect, at most ``n``;
* a concept raised only by values that were **not provided** is worded as missing information
  ("Information manquante : revenus déclarés"), never as a fact about the client; and, in the
  "what helps" list (:func:`lowering_concepts`), a concept that lowers the risk only because values
  are missing is not presented as a merit;
* a **protected attribute** (``CODE_GENDER`` by default, and any concept flagged ``protected``) is
  never named: its features are removed before concepts are summed, so its effect is attributed to
  no reason, and a concept left without members disappears.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from model.concepts import OTHER_CONCEPT, ConceptContribution, concept_contributions
from model.decision import GRANTED, Decision
from model.explain import Explanation
from model.text.concepts import CONCEPTS
from model.text.languages import Lang

__all__ = ["EXCLUDED", "Reason", "lowering_concepts", "reason_codes"]

#: Protected attributes never given as a reason (nor as a merit).
#: Most reason codes a refusal or referral carries.
MAX_REASONS = 4
EXCLUDED: tuple[str, ...] = ("CODE_GENDER",)


@dataclass(frozen=True)
class Reason:
    """One reason the risk is high."""

    code: str                  # stable concept code (stored with decisions)
    points: float              # effect in probability points, as Factor.points (0.071 = 7.1 points)
    missing: bool              # raised only by information not provided
    features: tuple[str, ...]  # the concept's features in the explanation

    def label(self, lang: Lang = "fr") -> str:
        return CONCEPTS[self.code].label(lang)

    def text(self, lang: Lang = "fr") -> str:
        """The reason as said to a client (missing information is said to be missing)."""
        if self.missing:
            return CONCEPTS.template("missing", lang, concept=_decap(self.label(lang)))
        return CONCEPTS[self.code].raises(lang)


def _decap(text: str) -> str:
    return text[:1].lower() + text[1:]


def _eligible(explanation: Explanation, excluded: Iterable[str]) -> list[ConceptContribution]:
    return [c for c in concept_contributions(explanation, exclude=excluded)
            if c.code != OTHER_CONCEPT and c.features and not CONCEPTS[c.code].protected]


def reason_codes(explanation: Explanation, n: int = 4, excluded: Iterable[str] = EXCLUDED) -> list[Reason]:
    """The concepts that raise the risk most, largest first, at most ``n`` (see the module docstring)."""
    raising = sorted((c for c in _eligible(explanation, excluded) if c.log_odds > 0 and c.probability > 0),
                     key=lambda c: (-c.probability, c.code))
    return [Reason(c.code, c.probability, c.only_missing(raising=True), c.features) for c in raising[:n]]


def lowering_concepts(explanation: Explanation, n: int = 3,
                      excluded: Iterable[str] = EXCLUDED) -> list[ConceptContribution]:
    """The concepts that lower the risk most ("what helps"), largest first, at most ``n``; a concept
    that lowers it only because information is missing is left out."""
    lowering = sorted((c for c in _eligible(explanation, excluded)
                       if c.log_odds < 0 and c.probability < 0 and not c.only_missing(raising=False)),
                      key=lambda c: (c.probability, c.code))
    return lowering[:n]


def decision_reasons(explanation: Explanation, decision: Decision, n: int = MAX_REASONS,
                     excluded: Iterable[str] = EXCLUDED) -> list[Reason]:
    """The reason codes a decision carries: up to ``n`` for a refusal or a referral, none for a grant.

    Written once for the API, the Score screen and the decision letter, so they give the same reasons.
    """
    return [] if decision == GRANTED else reason_codes(explanation, n, excluded)
