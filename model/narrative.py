"""Plain-language sentences about a score, for a relationship manager to read to a client.

Words come from the feature dictionary (``model.text.labels``) and the interface strings
(``model.text.strings``); no model jargon reaches these sentences.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model.concepts import ConceptContribution
from model.decision import REFER, Decision, DecisionRule, refused
from model.explain import Contribution, Explanation
from model.reasons import Reason
from model.text.concepts import CONCEPTS
from model.text.formatting import format_number, format_percent
from model.text.labels import feature_info, format_info_value
from model.text.languages import Lang
from model.text.strings import t

#: Below this distance to the threshold (probability points), the decision is called a close call.
CLOSE_CALL = 0.02


@dataclass(frozen=True)
class Factor:
    feature: str
    label: str
    value: str
    typical: str
    direction: str        # "up" raises the risk, "down" lowers it
    points: float         # effect in probability points (signed)
    sentence: str


def factor(c: Contribution, typical: Mapping[str, Any], lang: Lang = "fr") -> Factor:
    """One contribution as a sentence with the client's value and the typical client's."""
    info = feature_info(c.feature)
    value = format_info_value(info, c.value, lang)
    is_category = info.kind == "category"
    typical_value = format_info_value(info, typical.get(c.feature), lang)
    direction = "up" if c.log_odds > 0 else "down"
    sentence = t(f"explain.sentence_{direction}", lang, label=info.label(lang), value=value,
                 typical_label=t("explain.typical_mode" if is_category else "explain.typical_median", lang),
                 typical=typical_value)
    return Factor(c.feature, info.label(lang), value, typical_value, direction, c.probability, sentence)


def top_factors(explanation: Explanation, typical: Mapping[str, Any], lang: Lang = "fr",
                n: int = 3) -> tuple[list[Factor], list[Factor]]:
    """The n factors that raise the risk most, and the n that lower it most."""
    return ([factor(c, typical, lang) for c in explanation.raising(n)],
            [factor(c, typical, lang) for c in explanation.lowering(n)])


def decision_sentence(probability: float, rule: DecisionRule, lang: Lang = "fr",
                      reviewed: Decision | None = None) -> str:
    """What was decided, and how far the PD is from the threshold; after a human review, the
    reviewed decision first and the model's own beside it, labelled as such."""
    decision, threshold = rule.decide(probability), rule.threshold
    words = {"probability": format_percent(probability, lang, 1), "threshold": format_percent(threshold, lang, 1)}
    if reviewed is not None:
        return t("decision.reviewed_sentence", lang, decision=t(f"decision.{reviewed}", lang),
                 model=t(f"decision.{decision}", lang), **words)
    if decision == REFER:
        return t("decision.refer_sentence", lang, **words)
    main = t(f"decision.{decision}_sentence", lang, **words)
    points = format_number(abs(probability - threshold) * 100, lang, 1)
    above = bool(refused(probability, threshold))
    margin = t("score.margin_above" if above else "score.margin_below", lang, points=points)
    close = f" {t('score.close_to_threshold', lang)}" if abs(probability - threshold) < CLOSE_CALL else ""
    return f"{main.rstrip('.')} ({margin}).{close}"


# --------------------------------------------------------------------------------------
# Concept-level sentences (model.concepts): one sentence per idea, no feature values
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConceptFactor:
    """A concept as a sentence for a client: no feature name or value, so it cannot contradict itself."""

    code: str
    label: str
    direction: str        # "up" raises the risk, "down" lowers it
    points: float         # effect in probability points (signed), as Factor.points
    missing: bool         # raised only by information not provided
    sentence: str


def _raising_factor(r: Reason, lang: Lang) -> ConceptFactor:
    return ConceptFactor(r.code, r.label(lang), "up", r.points, r.missing, r.text(lang))


def _lowering_factor(c: ConceptContribution, lang: Lang) -> ConceptFactor:
    label = c.label(lang)
    return ConceptFactor(c.code, label, "down", c.probability, False, CONCEPTS.template("helps", lang, concept=label))


def concept_factors(factors: Sequence[Reason], helps: Sequence[ConceptContribution],
                    lang: Lang = "fr") -> tuple[list[ConceptFactor], list[ConceptFactor]]:
    """The concepts that raise the risk (a score's carried factors, its reason codes, worded for a
    client) and those that lower it ("what helps", ``ReasonPolicy.helps``)."""
    return [_raising_factor(r, lang) for r in factors], [_lowering_factor(c, lang) for c in helps]
