"""Find a client: suggestions for the typed number, filter options, the paged and filtered list."""
from __future__ import annotations

from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.context import Context, as_lang
from layouts import ids
from layouts.search import table_columns
from model.clients import directory as directory_mod
from model.text.formatting import format_number
from model.text.strings import t

SUGGESTIONS = 20


def register(app, ctx: Context) -> None:
    @app.callback(Output(ids.SEARCH, "options"), Input(ids.SEARCH, "search_value"), State(ids.SEARCH, "value"))
    def suggestions(typed, current):
        if not typed:
            raise PreventUpdate     # the box was cleared or a suggestion chosen: the options stay
        found = directory_mod.suggest(ctx.directory, typed, SUGGESTIONS)
        if not found and current is None:
            if typed:
                return []
            raise PreventUpdate
        if current is not None and int(current) not in found:
            found = [int(current)] + found
        return [{"label": str(i), "value": i} for i in found]

    @app.callback(
        [Output(ids.filter_id(n), "options") for n in ids.FILTER_NAMES],
        [Output(ids.filter_id(n), "placeholder") for n in ids.FILTER_NAMES],
        Output(ids.SEARCH, "placeholder"), Output(ids.CLIENT_TABLE, "columns"),
        Input(ids.LANG, "value"),
    )
    def translate_controls(lang):
        lang = as_lang(lang)
        key = f"filter-options:{ctx.scorer.version}:{lang}"
        options = ctx.cache.get(key)
        if options is None:
            options = directory_mod.filter_options(ctx.directory, lang)
            ctx.cache.set(key, options)
        return (*[options[n] for n in ids.FILTER_NAMES], *[t("filter.any", lang)] * len(ids.FILTER_NAMES),
                t("search.placeholder", lang), table_columns(lang))

    @app.callback(
        [Output(ids.filter_id(n), "value") for n in ids.FILTER_NAMES],
        Input(ids.FILTER_RESET, "n_clicks"), prevent_initial_call=True,
    )
    def reset(_):
        return tuple([] for _ in ids.FILTER_NAMES)

    @app.callback(
        Output(ids.CLIENT_TABLE, "data"), Output(ids.CLIENT_TABLE, "page_count"),
        Output(ids.CLIENT_TABLE, "page_current"), Output(ids.RESULT_COUNT, "children"),
        Output(ids.FILTER_ERROR, "children"), Output(ids.CLIENT_TABLE, "active_cell"),
        Input(ids.CLIENT_TABLE, "page_current"), Input(ids.LANG, "value"),
        [Input(ids.filter_id(n), "value") for n in ids.FILTER_NAMES],
    )
    def client_list(page_number, lang, *values):
        lang = as_lang(lang)
        filters = dict(zip(ids.FILTER_NAMES, values))
        error = ""
        try:
            rows = directory_mod.filter_clients(ctx.directory, filters)
        except directory_mod.FilterError:
            rows, error = ctx.directory, t("filter.invalid", lang)
        from dash import ctx as dash_ctx
        if dash_ctx.triggered_id not in (None, ids.CLIENT_TABLE):
            page_number = 0              # new filters: back to the first page
        shown, pages = directory_mod.page(rows, page_number or 0, ctx.settings.page_size)
        number = min(max(int(page_number or 0), 0), pages - 1)
        count = t("search.results", lang, count=format_number(len(rows), lang))
        return directory_mod.display_rows(shown, lang), pages, number, count, error, None
