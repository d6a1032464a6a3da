"""The client's file over time: the decision letter, every score served before, and human reviews.

A client may ask "what did you tell me last month?", "can I have that in writing?" and
"I want a person to look at my file": this screen answers the three. A review is recorded
beside the model's decision, never over it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from layouts import ids
from layouts.decisions import decision_cell_style, decision_words
from layouts.text import T
from model.decision import DECISIONS, Decision
from model.text.formatting import format_date, format_percent
from model.text.invisible import visible_text
from model.text.languages import Lang
from model.text.strings import t


def layout(lang: Lang = "fr") -> html.Section:
    return html.Section(id=ids.screen("file"), className="screen", hidden=True, children=[
        html.H2(T("file.title", lang)),
        html.Section(className="mb-4", children=[
            html.H3(T("file.letter_section", lang), className="h4"),
            html.P(T("file.letter_how", lang), className="hint"),
            html.A(T("file.letter_download", lang), id=ids.LETTER_LINK, className="btn btn-primary", href="#",
                   target="_blank", rel="noopener"),
        ]),
        html.Section(className="mb-4", children=[
            html.H3(T("file.history_title", lang), className="h4"),
            html.Div(id=ids.HISTORY_BODY),
        ]),
        html.Section(children=[
            html.H3(T("file.review_title", lang), className="h4"),
            html.P(T("file.review_how", lang), className="hint"),
            html.Div(id=ids.REVIEW_LIST),
            html.Div(id=ids.REVIEW_FORM_WRAP, children=review_form(lang)),
            html.Div(id=ids.REVIEW_MESSAGE, role="status", className="mt-2"),
        ]),
    ])


def review_form(lang: Lang) -> html.Div:
    """Confirm or override, the decision after review, and the written reason (required)."""
    return html.Div(className="review-form card card-body", children=[
        dbc.Label(T("file.review_verdict", lang), html_for=ids.REVIEW_VERDICT),
        dbc.RadioItems(id=ids.REVIEW_VERDICT, value="confirm", inline=True,
                       options=verdict_options(lang)),
        html.Div(id=ids.REVIEW_DECISION_WRAP, hidden=True, children=[
            dbc.Label(T("file.review_decision", lang), html_for=ids.REVIEW_DECISION, className="mt-2"),
            dbc.Select(id=ids.REVIEW_DECISION, options=decision_options(lang)),
        ]),
        dbc.Label(T("file.review_reason", lang), html_for=ids.REVIEW_REASON, className="mt-2"),
        dbc.Textarea(id=ids.REVIEW_REASON, maxLength=2000, rows=3, required=True),
        dbc.Button(T("file.review_submit", lang), id=ids.REVIEW_SUBMIT, color="primary", className="mt-2"),
    ])


def verdict_options(lang: Lang) -> list[dict[str, str]]:
    return [{"label": t("file.review_confirm", lang), "value": "confirm"},
            {"label": t("file.review_override", lang), "value": "override"}]


def decision_options(lang: Lang, model_decision: Decision | None = None) -> list[dict[str, str]]:
    """The decisions a review may lead to; an override offers only those other than the model's."""
    return [{"label": t(f"decision.{d}", lang), "value": d} for d in DECISIONS if d != model_decision]


def history_table(events: Sequence[Any], lang: Lang) -> Any:
    """Every score of this client served before, newest first (the scoring store's rows)."""
    if not events:
        return html.P(t("file.history_none", lang))
    header = [t("file.history_when", lang), t("file.history_source", lang), t("file.history_model", lang),
              t("score.probability", lang), t("score.grade", lang), t("file.history_model_decision", lang)]
    rows = [html.Tr([html.Td(format_date(e.timestamp, lang)), html.Td(t(f"file.history_source_{_source(e.source)}",
                                                                           lang)),
                     html.Td(e.model_version), html.Td(format_percent(e.probability, lang, 1)), html.Td(e.grade or "—"),
                     html.Td(decision_words(e.decision, lang), style=decision_cell_style(e.decision))])
            for e in events]
    return html.Table(className="table table-sm data-table", children=[
        html.Thead(html.Tr([html.Th(h, scope="col") for h in header])), html.Tbody(rows)])


def _source(source: str) -> str:
    return source if source in ("api", "api-predict", "dashboard") else "other"


def review_list(reviews: Sequence[Any], model_decision: Decision, lang: Lang) -> html.Div:
    """The decision after review first (the latest review's), the model's own (unchanged), then every
    review recorded, oldest first."""
    items = [html.Li(className="review", children=[
        html.Strong(t("file.review_line", lang, when=format_date(r.timestamp, lang), author=r.author,
                      verdict=t(f"file.review_{r.verdict}", lang))),
        html.Span(" — "), html.Span(decision_words(r.decision, lang), style=decision_cell_style(r.decision)),
        html.Blockquote(visible_text(r.reason), className="review-reason"),   # rows stored before the rule
    ]) for r in reviews]
    current = [] if not reviews else [html.P(className="review-current", children=[
        html.Strong(t("file.review_current", lang)), " ",
        html.Span(decision_words(reviews[-1].decision, lang), style=decision_cell_style(reviews[-1].decision))])]
    return html.Div([
        *current,
        html.P([t("file.review_model_decision", lang), " ",
                html.Span(decision_words(model_decision, lang), style=decision_cell_style(model_decision))]),
        html.Ul(items, className="reviews") if items else html.P(t("file.review_none", lang)),
    ])


def review_note(reviews: Sequence[Any], lang: Lang) -> html.P | None:
    """On the Score screen: the latest human review beside the model's decision (None without one)."""
    if not reviews:
        return None
    r = reviews[-1]
    return html.P(className="review-note", children=[
        t("file.review_note", lang, when=format_date(r.timestamp, lang), author=r.author,
          verdict=t(f"file.review_{r.verdict}", lang)), " ",
        html.Span(decision_words(r.decision, lang), style=decision_cell_style(r.decision))])
