"""Score: the gauge, the decision in words, colour and icon, and the distance to the threshold."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.chart_tables import chart_block
from layouts.figures import empty_figure
from layouts.text import T
from model.text.languages import Lang
from model.text.strings import t


def layout(lang: Lang = "fr") -> html.Section:
    return html.Section(id=ids.screen("score"), className="screen", hidden=True, children=[
        html.H2(T("nav.score", lang), className="visually-hidden"),
        html.P(id=ids.SCORE_EMPTY, children=T("search.no_client", lang), className="h5 text-muted"),
        dbc.Row(className="g-4", children=[
            # no loading spinner: the gauge is drawn in well under a second, a spinner would only flash
            dbc.Col(lg=7, children=chart_block(
                dcc.Graph(id=ids.GAUGE, figure=empty_figure(), config={"displayModeBar": False}),
                ids.GAUGE, "score.gauge_caption", "charts.data_gauge", lang)),
            dbc.Col(lg=5, className="d-flex flex-column justify-content-center gap-3", children=[
                html.Div(id=ids.DECISION),
                html.Div(id=ids.SCORE_REVIEW),
                html.P(id=ids.PROBABILITY_TEXT, className="probability-text"),
                html.P(id=ids.GRADE_TEXT, className="grade-text"),
                html.P(id=ids.DECISION_SENTENCE, className="lead"),
                html.Div(id=ids.REASONS),
                html.P(T("score.threshold_help", lang), className="hint"),
            ]),
        ]),
    ])


def reasons_block(reasons: Sequence[str], lang: Lang = "fr") -> html.Div | None:
    """The reason codes of a refusal or referral, as a titled list (nothing for a grant)."""
    if not reasons:
        return None
    return html.Div(className="reasons", children=[
        html.H3(t("score.reasons_title", lang), className="h6"),
        html.Ol([html.Li(r) for r in reasons], className="mb-0"),
    ])
