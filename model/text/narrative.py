"""Plain-language sentences about a score, for a relationship manager to read to a client.

Words come from the feature dictionary (``model.text.labels``) and the interface strings
(``model.text.strings``); no model jargon reaches these sentences.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from model.decision import REFUSED, decide
from model.explain import Contribution, Explanation
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


def decision_sentence(probability: float, threshold: float, lang: Lang = "fr") -> str:
    """What was decided, and how far the score is from the threshold."""
    refused = decide(probability, threshold) == REFUSED
    main = t("decision.refused_sentence" if refused else "decision.granted_sentence", lang,
             probability=format_percent(probability, lang, 1), threshold=format_percent(threshold, lang, 1))
    points = format_number(abs(probability - threshold) * 100, lang, 1)
    margin = t("score.margin_above" if refused else "score.margin_below", lang, points=points)
    close = f" {t('score.close_to_threshold', lang)}" if abs(probability - threshold) < CLOSE_CALL else ""
    return f"{main.rstrip('.')} ({margin}).{close}"
