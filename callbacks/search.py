"""Find a client: suggestions for the typed number, filter options, the paged and filtered list."""
from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from callbacks.state import client_of, lang_of
from layouts import ids
from layouts.search import client_table, filter_options, table_rows
from model.clients.directory import FilterError, filter_clients, page, parse_client_id, suggest
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
        chosen = parse_client_id(current)
        if chosen is not None and chosen not in found:
            found = [chosen, *found]
        return [{"label": str(i), "value": i} for i in found]

    @app.callback(
        [Output(ids.filter_id(n), "options") for n in ids.FILTER_NAMES],
        [Output(ids.filter_id(n), "placeholder") for n in ids.FILTER_NAMES],
        Output(ids.SEARCH, "placeholder"),
        Input(ids.LANG, "value"),
    )
    def translate_controls(value: Any) -> tuple[Any, ...]:
        lang = as_lang(value)
        options = services.views.get_or_compute("filter-options", (lang,), lambda: filter_options(directory, lang))
        return (*[options[n] for n in ids.FILTER_NAMES], *[t("filter.any", lang)] * len(ids.FILTER_NAMES),
                t("search.placeholder", lang))

    @app.callback(
        [Output(ids.filter_id(n), "value") for n in ids.FILTER_NAMES],
        Input(ids.FILTER_RESET, "n_clicks"), prevent_initial_call=True,
    )
    def reset(_: Any) -> tuple[list[str], ...]:
        return tuple([] for _ in ids.FILTER_NAMES)

    @app.callback(
        Output(ids.CLIENT_TABLE, "children"), Output(ids.CLIENT_PAGE, "data"), Output(ids.PAGE_INFO, "children"),
        Output(ids.PAGE_PREVIOUS, "disabled"), Output(ids.PAGE_NEXT, "disabled"),
        Output(ids.RESULT_COUNT, "children"), Output(ids.FILTER_ERROR, "children"),
        Input(ids.PAGE_PREVIOUS, "n_clicks"), Input(ids.PAGE_NEXT, "n_clicks"), Input(ids.STATE, "data"),
        [Input(ids.filter_id(n), "value") for n in ids.FILTER_NAMES],
        State(ids.CLIENT_PAGE, "data"),
    )
    def client_list(_previous: Any, _next: Any, state: dict[str, Any] | None, *values: Any) -> tuple[Any, ...]:
        """One page of the filtered list, in the state's language; nothing while a client is open
        (meeting mode: no other client's row may be in the page shown to the client)."""
        *filter_values, current = values
        lang = lang_of(state)
        if client_of(services.scorer, state) is not None:
            return None, no_update, None, True, True, None, None
        filters = dict(zip(ids.FILTER_NAMES, filter_values, strict=True))
        error = ""
        try:
            rows = filter_clients(directory, filters)
        except FilterError:
            rows, error = directory, t("filter.invalid", lang)
        number = int(current or 0)
        trigger = dash_ctx.triggered_id
        if trigger == ids.PAGE_PREVIOUS:
            number -= 1
        elif trigger == ids.PAGE_NEXT:
            number += 1
        elif trigger != ids.STATE:
            number = 0               # new filters: back to the first page
        shown, pages = page(rows, number, services.settings.page_size)
        number = min(max(number, 0), pages - 1)
        count = t("search.results", lang, count=format_number(len(rows), lang))
        info = t("search.page", lang, page=format_number(number + 1, lang), pages=format_number(pages, lang))
        return (client_table(table_rows(shown, lang), lang, number, pages), number, info,
                number <= 0, number >= pages - 1, count, error)
