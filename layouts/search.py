"""Find a client: number search with suggestions, filters and a paged list."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from layouts import ids
from layouts.controls import dropdown_labels
from layouts.decisions import decision_cell_style, decision_words
from layouts.text import T
from model.clients.directory import FILTERS, MISSING, FilterError, filter_levels
from model.text.formatting import format_currency, format_percent
from model.text.labels import level_label
from model.text.languages import Lang
from model.text.strings import t

#: Columns of the list, most useful first: on a narrow screen the last ones scroll out of view,
#: never the probability or the decision.
COLUMN_KEYS = {"client": "search.client_id", "probability": "score.probability", "decision": "filter.decision",
               "contract": "filter.contract", "age_band": "filter.age_band", "income_band": "filter.income_band",
               "family": "filter.family", "gender": "filter.gender"}


#: Filters whose levels are the levels of an application column (the others are bands or decisions).
_COLUMN_FILTERS = ("contract", "gender", "family")


def level_text(name: str, level: str, lang: Lang = "fr") -> str:
    """A filter level as shown in the interface."""
    if level == MISSING:
        return t("common.not_provided", lang).capitalize()
    if name in _COLUMN_FILTERS:
        return level_label(FILTERS[name], level, lang)
    if name == "decision":
        return t(f"decision.{level}", lang)
    if name == "age_band":
        if level.endswith("+"):
            return t("clients.age_band_open", lang, low=level[:-1])
        lo, hi = level.split("-")
        return t("clients.age_band", lang, low=lo, high=int(hi) - 1)
    if name == "income_band":
        if level.startswith("<"):
            return t("clients.income_below", lang, high=format_currency(float(level[1:]), lang))
        if level.endswith("+"):
            return t("clients.income_above", lang, low=format_currency(float(level[:-1]), lang))
        lo, hi = level.split("-")
        return t("clients.income_band", lang, low=format_currency(float(lo), lang),
                 high=format_currency(float(hi), lang))
    raise FilterError(f"unknown filter {name!r}")


def filter_options(directory: pd.DataFrame, lang: Lang = "fr") -> dict[str, list[dict[str, str]]]:
    """Dropdown options {label, value} of every filter."""
    return {name: [{"label": level_text(name, v, lang), "value": v} for v in levels]
            for name, levels in filter_levels(directory).items()}


_LEVEL_COLUMNS = ("contract", "gender", "age_band", "income_band", "family")


def table_rows(rows: pd.DataFrame, lang: Lang = "fr") -> list[dict[str, Any]]:
    """A page of the directory as table records, every value written for people.

    ``decision_code`` is not a column: it carries the decision for the cell colours, so that no
    style has to search the words or the icon.
    """
    out = []
    for client, r in zip(rows.index.tolist(), rows.itertuples(index=False), strict=True):
        out.append({
            "client": int(client),
            **{name: level_text(name, getattr(r, name), lang) for name in _LEVEL_COLUMNS},
            "probability": format_percent(float(r.probability), lang, 1),
            "decision": decision_words(r.decision, lang),
            "decision_code": r.decision,
        })
    return out


def table_columns(lang: Lang = "fr") -> list[dict[str, str]]:
    return [{"name": t(key, lang), "id": col} for col, key in COLUMN_KEYS.items()]


def client_table(records: Sequence[Mapping[str, Any]], lang: Lang = "fr", page: int = 0, pages: int = 1
                 ) -> html.Table:
    """One page of the list as a plain HTML table: each client number is a button that opens the
    file (reached with Tab like any button, so the table never traps the keyboard); the decision is
    icon, words and colour."""
    head = html.Thead(html.Tr([html.Th(c["name"], scope="col", className=f"col-{c['id']}")
                               for c in table_columns(lang)]))
    body = []
    for r in records:
        cells = []
        for col in COLUMN_KEYS:
            if col == "client":
                cells.append(html.Th(scope="row", className="col-client", children=html.Button(
                    str(r["client"]), id={"type": ids.OPEN_CLIENT, "client": int(r["client"])}, type="button",
                    className="btn btn-link open-client",
                    **{"aria-label": t("search.open_client", lang, client_id=r["client"])})))
            elif col == "decision":
                cells.append(html.Td(r["decision"], className="col-decision",
                                     style=decision_cell_style(r["decision_code"])))
            else:
                cells.append(html.Td(r[col], className=f"col-{col}"))
        body.append(html.Tr(cells))
    return html.Table(className="table table-hover client-table mb-0", children=[
        html.Caption(t("search.table_caption", lang, page=page + 1, pages=pages), className="visually-hidden"),
        head, html.Tbody(body)])


def filter_control(name: str, options: Sequence[Mapping[str, str]], lang: Lang = "fr") -> html.Div:
    return html.Div(className="filter", children=[
        html.Label(T(f"filter.{name}", lang), htmlFor=ids.filter_id(name)),
        dcc.Dropdown(id=ids.filter_id(name), options=list(options), multi=True, value=[],
                     placeholder=t("filter.any", lang), labels=dropdown_labels(lang)),
    ])


def layout(options: Mapping[str, Sequence[Mapping[str, str]]] | None = None, lang: Lang = "fr") -> html.Section:
    options = options or {}
    return html.Section(id=ids.screen("search"), className="screen", children=[
        html.H2(T("search.title", lang)),
        dbc.Alert(T("search.manager_only", lang), color="warning", className="manager-only py-2"),
        dbc.Row(className="g-3 align-items-end", children=[
            dbc.Col(md=6, children=[
                html.Label(T("search.client_id", lang), htmlFor=ids.SEARCH),
                dcc.Dropdown(id=ids.SEARCH, options=[], searchable=True, clearable=True,
                             placeholder=t("search.placeholder", lang), className="client-search",
                             labels=dropdown_labels(lang)),
            ]),
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
        html.Div(id=ids.CLIENT_TABLE, className="table-responsive client-table-wrap"),
        dcc.Store(id=ids.CLIENT_PAGE, data=0),
        html.Div(className="d-flex gap-2 align-items-center mt-2 pager", children=[
            dbc.Button(T("search.previous", lang), id=ids.PAGE_PREVIOUS, color="secondary", outline=True, size="sm"),
            html.Span(id=ids.PAGE_INFO, role="status"),
            dbc.Button(T("search.next", lang), id=ids.PAGE_NEXT, color="secondary", outline=True, size="sm"),
        ]),
    ])
