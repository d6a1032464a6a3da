"""Find a client: number search with suggestions, filters and a paged list."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import dash_table, dcc, html

from layouts import ids
from layouts.text import T
from model.text.languages import Lang
from model.text.strings import t

COLUMN_KEYS = {"client": "search.client_id", "contract": "filter.contract", "gender": "filter.gender",
               "age_band": "filter.age_band", "income_band": "filter.income_band", "family": "filter.family",
               "probability": "score.probability", "decision": "filter.decision"}


def table_columns(lang: Lang = "fr") -> list[dict[str, str]]:
    return [{"name": t(key, lang), "id": col} for col, key in COLUMN_KEYS.items()]


def filter_control(name: str, options: Sequence[Mapping[str, str]], lang: Lang = "fr") -> html.Div:
    return html.Div(className="filter", children=[
        html.Label(T(f"filter.{name}", lang), htmlFor=ids.filter_id(name)),
        dcc.Dropdown(id=ids.filter_id(name), options=list(options), multi=True, value=[],
                     placeholder=t("filter.any", lang)),
    ])


def layout(options: Mapping[str, Sequence[Mapping[str, str]]] | None = None, lang: Lang = "fr",
           page_size: int = 15) -> html.Section:
    options = options or {}
    return html.Section(id=ids.screen("search"), className="screen", children=[
        html.H2(T("search.title", lang)),
        dbc.Row(className="g-3 align-items-end", children=[
            dbc.Col(md=6, children=[
                html.Label(T("search.client_id", lang), htmlFor=ids.SEARCH),
                dcc.Dropdown(id=ids.SEARCH, options=[], searchable=True, clearable=True,
                             placeholder=t("search.placeholder", lang), className="client-search"),
            ]),
            dbc.Col(md=6, children=html.P(id=ids.CURRENT_CLIENT, className="current-client mb-0")),
        ]),
        html.H3(T("filter.title", lang), className="mt-4"),
        html.Div(className="filters", children=[filter_control(n, options.get(n, []), lang)
                                                 for n in ids.FILTER_NAMES]),
        html.Div(className="d-flex gap-3 align-items-center mt-2", children=[
            dbc.Button(T("filter.reset", lang), id=ids.FILTER_RESET, color="secondary", outline=True, size="sm"),
            html.Strong(id=ids.RESULT_COUNT, role="status"),
            html.Span(id=ids.FILTER_ERROR, className="text-danger"),
        ]),
        html.P(T("search.open_hint", lang), className="hint mt-2"),
        dash_table.DataTable(
            id=ids.CLIENT_TABLE, columns=table_columns(lang), data=[],
            page_action="custom", page_current=0, page_size=page_size, page_count=1,
            cell_selectable=True, style_as_list_view=True,
            style_table={"overflowX": "auto"},
            style_cell={"fontFamily": "inherit", "fontSize": "15px", "padding": "6px 10px", "textAlign": "left",
                        "cursor": "pointer"},
            style_header={"fontWeight": "600", "backgroundColor": "#F1F4F8"},
            style_data_conditional=[
                {"if": {"filter_query": '{decision} contains "✖"', "column_id": "decision"},
                 "color": "#B04A00", "fontWeight": "600"},
                {"if": {"filter_query": '{decision} contains "✔"', "column_id": "decision"},
                 "color": "#005A8C", "fontWeight": "600"},
            ],
        ),
    ])
