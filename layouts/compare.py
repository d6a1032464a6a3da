"""Compare: the client within all clients and within similar clients (aggregates only)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids, markup
from layouts.chart_tables import chart_block
from layouts.figures import empty_figure
from layouts.text import T
from model.text.languages import Lang
from model.text.strings import t


def layout(feature_options: Sequence[Mapping[str, str]] = (), lang: Lang = "fr", group_size: int = 100
           ) -> html.Section:
    first = feature_options[0]["value"] if feature_options else None
    return html.Section(id=ids.screen("compare"), className="screen", hidden=True, children=[
        html.H2(T("compare.title", lang)),
        html.P(T("compare.similar_help", lang, count=group_size), className="hint"),
        html.Div(className="compare-controls", children=[
            html.Label(T("compare.choose_feature", lang), htmlFor=ids.COMPARE_FEATURE),
            dcc.Dropdown(id=ids.COMPARE_FEATURE, options=list(feature_options), value=first, clearable=False),
        ]),
        html.Div(id=ids.COMPARE_MESSAGE),
        html.Div(id=ids.COMPARE_SUMMARY, className="compare-summary", role="status"),
        chart_block(dcc.Loading(dcc.Graph(id=ids.COMPARE_DISTRIBUTION, figure=empty_figure(),
                                          config={"displayModeBar": False})),
                    ids.COMPARE_DISTRIBUTION, "charts.distribution_caption", "charts.data_distribution", lang),
        chart_block(dcc.Graph(id=ids.COMPARE_PROFILE, figure=empty_figure(), config={"displayModeBar": False}),
                    ids.COMPARE_PROFILE, "compare.profile_chart", "charts.data_position", lang),
    ])


def summary_block(lines: Sequence[str]) -> dcc.Markdown:
    """The comparison in sentences, one Dash component (layouts/markup.py)."""
    return markup.block(markup.element("ul", [markup.element("li", markup.text(line)) for line in lines],
                                       class_="summary-lines"), "summary-block")


def too_small(count: int, minimum: int, lang: Lang = "fr") -> dbc.Alert:
    return dbc.Alert(t("compare.group_too_small", lang, count=count, minimum=minimum), color="warning",
                     className="group-too-small")
