"""Reason codes: why a client's risk is high, in a few stable codes and sentences a client understands.

A refused client is owed the main reasons (and a manager needs codes that can be counted and
audited), so reasons are *concepts* (:mod:`model.concepts`), never raw features: "Des retards de
paiement sur vos crédits précédents", code ``PAYMENT_DELAYS``, not three contradictory bars on
``INSTAL_DPD_MEAN`` and friends. The rules, written here once for every screen, the letter, the
API, the batch and the scoring store (which all read the list a :class:`model.scoring.Score`
carries, never compute their own):

* only concepts that **raise** the risk are reasons, ranked by their effect, at most
  :data:`MAX_REASONS`;
* a concept raised only by values that were **not provided** is worded as missing information
  ("Information manquante : revenus déclarés"), never as a fact about the client; and, in the
  "what helps" list, a concept that lowers the risk only because values are missing is not
  presented as a merit;
* a **protected concept** (the setting ``PROTECTED_CONCEPTS``: gender, age, family situation and
  social circle by default) is never a reason nor a merit: French and EU law forbid deciding on
  them, and a client must never hear that they are why. Nor is a concept the concepts file marks
  ``reason = false`` (contact details, how the application was made, region of residence): the
  client cannot act on them, or should not be judged on them. Their effect is attributed to no
  reason; the features of an attribute kept out of the model's inputs (``excluded_attributes``)
  are removed before concepts are summed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from model.concepts import OTHER_CONCEPT, ConceptContribution, concept_contributions
from model.explain import Explanation
from model.text.concepts import CONCEPTS
from model.text.languages import Lang

__all__ = ["MAX_REASONS", "PROTECTED_CONCEPTS", "Reason", "ReasonPolicy"]

#: Most reason codes a score carries.
MAX_REASONS = 4
#: Concepts never given as a reason, by default (``settings.Settings.protected_concepts``).
PROTECTED_CONCEPTS: tuple[str, ...] = ("GENDER", "AGE", "FAMILY", "SOCIAL_CIRCLE")


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


@dataclass(frozen=True)
class ReasonPolicy:
    """Which concepts may be told to a client, and how many reasons a score carries."""

    protected: frozenset[str] = frozenset(PROTECTED_CONCEPTS)
    #: features kept out of the model's inputs (they have no effect; dropped before summing)
    excluded_features: frozenset[str] = frozenset(("CODE_GENDER",))
    n: int = MAX_REASONS

    def __post_init__(self) -> None:
        unknown = sorted(c for c in self.protected if c not in CONCEPTS.concepts)
        if unknown:
            raise ValueError(f"PROTECTED_CONCEPTS names unknown concepts {unknown}: "
                             f"choose among {sorted(CONCEPTS.concepts)}")

    @classmethod
    def of(cls, protected: Iterable[str], excluded_features: Iterable[str]) -> ReasonPolicy:
        return cls(frozenset(protected), frozenset(excluded_features))

    @property
    def untold(self) -> frozenset[str]:
        """The concepts never told to a client: a chart shown to him folds them into "other factors"."""
        return frozenset(code for code in CONCEPTS.concepts if not self.tellable(code))

    def tellable(self, code: str) -> bool:
        """True when a client may be told that this concept is a reason (or a merit)."""
        return code != OTHER_CONCEPT and code not in self.protected and CONCEPTS[code].reason

    def _eligible(self, explanation: Explanation) -> list[ConceptContribution]:
        return [c for c in concept_contributions(explanation, exclude=self.excluded_features)
                if c.features and self.tellable(c.code)]

    def factors(self, explanation: Explanation) -> tuple[Reason, ...]:
        """The tellable concepts that raise the risk most, largest first, at most ``n``: the reasons of
        a refusal or referral, and the "raises the risk" list of every screen."""
        raising = sorted((c for c in self._eligible(explanation) if c.log_odds > 0 and c.probability > 0),
                         key=lambda c: (-c.probability, c.code))
        return tuple(Reason(c.code, c.probability, c.only_missing(raising=True), c.features)
                     for c in raising[:self.n])

    def helps(self, explanation: Explanation, n: int = 3) -> list[ConceptContribution]:
        """The tellable concepts that lower the risk most ("what helps"), largest first, at most ``n``;
        a concept that lowers it only because information is missing is left out."""
        lowering = sorted((c for c in self._eligible(explanation)
                           if c.log_odds < 0 and c.probability < 0 and not c.only_missing(raising=False)),
                          key=lambda c: (c.probability, c.code))
        return lowering[:n]
