"""Find a client: suggestions for the typed number, filter options, the paged and filtered list."""
from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from layouts import ids
from layouts.search import filter_options, table_columns, table_rows
from model.clients.directory import FilterError, filter_clients, page, suggest
from model.text.formatting import format_number
from model.text.languages import as_lang
from model.text.strings import t
from services import Services

SUGGESTIONS = 20


def register(app: Dash, services: Services) -> None:
    directory = services.clients.directory

    @app.callback(Output(ids.SEARCH, "options"), Input(ids.SEARCH, "search_value"), State(ids.SEARCH, "value"))
    def suggestions(typed: str | None, current: Any) -> list[dict[str, Any]]:
        if not typed:
            raise PreventUpdate     # the box was cleared or a suggestion chosen: the options stay
        found = suggest(directory, typed, SUGGESTIONS)
        if not found and current is None:
            return []
        if current is not None and int(current) not in found:
            found = [int(current), *found]
        return [{"label": str(i), "value": i} for i in found]

    @app.callback(
        [Output(ids.filter_id(n), "options") for n in ids.FILTER_NAMES],
        [Output(ids.filter_id(n), "placeholder") for n in ids.FILTER_NAMES],
        Output(ids.SEARCH, "placeholder"), Output(ids.CLIENT_TABLE, "columns"),
        Input(ids.LANG, "value"),
    )
    def translate_controls(value: Any) -> tuple[Any, ...]:
        lang = as_lang(value)
        options = services.views.get_or_compute("filter-options", (lang,), lambda: filter_options(directory, lang))
        return (*[options[n] for n in ids.FILTER_NAMES], *[t("filter.any", lang)] * len(ids.FILTER_NAMES),
                t("search.placeholder", lang), table_columns(lang))

    @app.callback(
        [Output(ids.filter_id(n), "value") for n in ids.FILTER_NAMES],
        Input(ids.FILTER_RESET, "n_clicks"), prevent_initial_call=True,
    )
    def reset(_: Any) -> tuple[list[str], ...]:
        return tuple([] for _ in ids.FILTER_NAMES)

    @app.callback(
        Output(ids.CLIENT_TABLE, "data"), Output(ids.CLIENT_TABLE, "page_count"),
        Output(ids.CLIENT_TABLE, "page_current"), Output(ids.RESULT_COUNT, "children"),
        Output(ids.FILTER_ERROR, "children"), Output(ids.CLIENT_TABLE, "active_cell"),
        Input(ids.CLIENT_TABLE, "page_current"), Input(ids.LANG, "value"),
        [Input(ids.filter_id(n), "value") for n in ids.FILTER_NAMES],
    )
    def client_list(page_number: int | None, value: Any, *values: Any) -> tuple[Any, ...]:
        lang = as_lang(value)
        filters = dict(zip(ids.FILTER_NAMES, values, strict=True))
        error = ""
        try:
            rows = filter_clients(directory, filters)
        except FilterError:
            rows, error = directory, t("filter.invalid", lang)
        if dash_ctx.triggered_id not in (None, ids.CLIENT_TABLE):
            page_number = 0              # new filters: back to the first page
        shown, pages = page(rows, page_number or 0, services.settings.page_size)
        number = min(max(int(page_number or 0), 0), pages - 1)
        count = t("search.results", lang, count=format_number(len(rows), lang))
        return table_rows(shown, lang), pages, number, count, error, None
