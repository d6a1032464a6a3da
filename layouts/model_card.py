"""Model: global importance and the model card from the artifact metadata."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.chart_tables import chart_block
from layouts.figures import empty_figure
from layouts.text import T
from model.text.languages import Lang


def card_table(rows: Sequence[tuple[str, str]]) -> html.Table:
    return html.Table(className="table model-card-table", children=html.Tbody(
        [html.Tr([html.Th(k, scope="row"), html.Td(v)]) for k, v in rows]))


def layout(lang: Lang = "fr") -> html.Section:
    return html.Section(id=ids.screen("model"), className="screen", hidden=True, children=[
        html.H2(T("model.title", lang)),
        dbc.Row(className="g-4", children=[
            # the chart gets two thirds of the width: its labels take a good part of it
            dbc.Col(lg=8, children=chart_block(
                dcc.Graph(id=ids.IMPORTANCE, figure=empty_figure(), config={"displayModeBar": False}),
                ids.IMPORTANCE, "explain.global_importance", "charts.data_importance", lang)),
            dbc.Col(lg=4, children=[html.H3(T("model.card", lang), className="h5"), html.Div(id=ids.MODEL_CARD)]),
        ]),
    ])
