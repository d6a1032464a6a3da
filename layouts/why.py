"""Why: the waterfall from the average risk to the client's, and plain sentences."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids, markup
from layouts.chart_tables import chart_block
from layouts.figures import empty_figure
from layouts.text import T
from model.text.languages import Lang


def factor_list(sentences: Sequence[str], direction: str, empty: str) -> dcc.Markdown:
    """The sentences with their ▲ / ▼ (hidden from screen readers: the heading says which way), as one
    Dash component (layouts/markup.py)."""
    icon = markup.element("span", "▲" if direction == "up" else "▼", class_=f"factor-icon factor-{direction}",
                          aria_hidden="true")
    items = [markup.element("li", icon + markup.text(s)) for s in sentences] or [markup.element("li", markup.text(empty))]
    return markup.block(markup.element("ul", items, class_="factors"), "factor-list")


def layout(lang: Lang = "fr") -> html.Section:
    return html.Section(id=ids.screen("why"), className="screen", hidden=True, children=[
        html.Div(className="d-flex justify-content-between align-items-center flex-wrap gap-2", children=[
            html.H2(T("explain.title", lang)),
            # the expert mode (raw names, log-odds) is the manager's: shown in the back office only
            # (the page's classes, assets/screens.css)
            html.Div(dbc.Switch(id=ids.EXPERT, value=False, label=T("explain.expert", lang)), id=ids.EXPERT_WRAP,
                     className="expert-switch"),
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
