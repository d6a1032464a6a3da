"""How a decision looks on screen: its icon, its colour and its words, written once for the
Score screen's badge and the client list (never colour alone: the icon and the words say it too)."""
from __future__ import annotations

from typing import Any

from dash import html

from model.decision import GRANTED, REFER, REFUSED, Decision
from model.text.languages import Lang
from model.text.strings import t

ICONS: dict[Decision, str] = {GRANTED: "✔", REFER: "◆", REFUSED: "✖"}
#: Text colours with at least 4.5:1 contrast on white (WCAG AA).
COLOURS: dict[Decision, str] = {GRANTED: "#005A8C", REFER: "#7A5600", REFUSED: "#B04A00"}


def decision_words(decision: Decision, lang: Lang = "fr") -> str:
    """"✔ Crédit accordé": icon and words, for table cells."""
    return f"{ICONS[decision]} {t(f'decision.{decision}', lang)}"


def decision_badge(decision: Decision, lang: Lang = "fr", model_decision: Decision | None = None) -> html.Div:
    """Decision as icon + words + colour class. After a human review (``model_decision`` given), the
    reviewed decision is the headline, marked as such, and the model's own is a smaller line below."""
    children: list[Any] = [
        html.Span(ICONS[decision], className="decision-icon", **{"aria-hidden": "true"}),
        html.Span(t(f"decision.{decision}", lang), className="decision-text"),
    ]
    if model_decision is not None:
        children += [html.Span(f" ({t('decision.after_review', lang)})", className="decision-reviewed"),
                     html.Div(t("decision.model_decision", lang, decision=decision_words(model_decision, lang)),
                              className="decision-model")]
    return html.Div(className=f"decision decision-{decision}", role="status", children=children)


def decision_cell_style(decision: Decision) -> dict[str, Any]:
    """Inline style of a table cell holding ``decision``'s words: its colour, bold."""
    return {"color": COLOURS[decision], "fontWeight": "600"}
