"""Why: the waterfall from the average risk to the client's, and plain sentences."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.chart_tables import chart_block
from layouts.figures import empty_figure
from layouts.text import T
from model.text.languages import Lang


def factor_list(sentences: Sequence[str], direction: str, empty: str) -> html.Ul:
    icon = "▲" if direction == "up" else "▼"
    items = [html.Li([html.Span(icon, className=f"factor-icon factor-{direction}", **{"aria-hidden": "true"}), s])
             for s in sentences] or [html.Li(empty)]
    return html.Ul(items, className="factors")


def layout(lang: Lang = "fr") -> html.Section:
    return html.Section(id=ids.screen("why"), className="screen", hidden=True, children=[
        html.Div(className="d-flex justify-content-between align-items-center flex-wrap gap-2", children=[
            html.H2(T("explain.title", lang)),
            dbc.Switch(id=ids.EXPERT, value=False, label=T("explain.expert", lang)),
        ]),
        html.P(T("explain.how_to_read", lang), className="hint"),
        chart_block(dcc.Graph(id=ids.WATERFALL, figure=empty_figure(), config={"displayModeBar": False}),
                    ids.WATERFALL, "explain.chart_title", "charts.data_waterfall", lang),
        dbc.Row(className="g-4 mt-1", children=[
            dbc.Col(md=6, children=[html.H3(T("explain.increase", lang), className="h5 factor-up"),
                                    html.Div(id=ids.RAISING)]),
            dbc.Col(md=6, children=[html.H3(T("explain.decrease", lang), className="h5 factor-down"),
                                    html.Div(id=ids.LOWERING)]),
        ]),
    ])
