"""The shell: URL ⇄ state router, screen switching, translated static texts, signed-in user."""
from __future__ import annotations

import json

from dash import ALL, Input, Output, State, no_update
from dash import ctx as dash_ctx
from flask_login import current_user

from callbacks.context import Context, as_lang, client_of, lang_of, parse_state, state_query
from layouts import ids
from model.text.strings import t


def register(app, ctx: Context) -> None:
    @app.callback(
        Output(ids.URL, "search"), Output(ids.LANG, "value"), Output(ids.STATE, "data"),
        Output(ids.TABS, "active_tab"), Output(ids.CURRENT_CLIENT, "children"),
        Input(ids.URL, "search"), Input(ids.LANG, "value"), Input(ids.SEARCH, "value"),
        Input(ids.CLIENT_TABLE, "active_cell"),
        State(ids.CLIENT_TABLE, "data"), State(ids.STATE, "data"), State(ids.TABS, "active_tab"),
    )
    def route(search, lang, chosen, cell, rows, state, tab):
        """The one writer of the state: URL, language switch, search box or list → state."""
        url, lang_value, new, active = next_state(ctx, dash_ctx.triggered_id, search, lang, chosen, cell, rows,
                                                  state, tab)
        return url, lang_value, new, active, no_update if new is no_update else current_client_text(ctx, new)

    # one screen visible at a time (all stay in the page, so their callbacks keep their targets);
    # in the browser: a server round trip here would delay every screen change
    app.clientside_callback(
        "(tab) => %s.map((name) => name !== (tab || 'search'))" % json.dumps(list(ids.SCREENS)),
        [Output(ids.screen(n), "hidden") for n in ids.SCREENS], Input(ids.TABS, "active_tab"))

    @app.callback(
        Output({"type": ids.TEXT, "key": ALL}, "children"),
        [Output(ids.tab(n), "label") for n in ids.SCREENS],
        Output(ids.USER, "children"),
        Input(ids.LANG, "value"),
        State({"type": ids.TEXT, "key": ALL}, "id"),
    )
    def translate(lang, text_ids):
        lang = as_lang(lang)
        size = ctx.settings.similar_group_size
        texts = [t(i["key"], lang, count=size) if "{count}" in _raw(i["key"], lang) else t(i["key"], lang)
                 for i in text_ids]
        user = ""
        if getattr(current_user, "is_authenticated", False):
            user = t("auth.signed_in_as", lang, user=current_user.get_id())
        return (texts, *[t(ids.NAV_KEYS[n], lang) for n in ids.SCREENS], user)


def next_state(ctx: Context, trigger: str | None, search, lang, chosen, cell, rows, state, tab) -> tuple:
    """(URL query, language switch, state, active tab) after `trigger` changed; no_update where nothing changes."""
    state = dict(state or {"lang": "fr", "client": None})
    if trigger in (None, ids.URL):
        new = parse_state(search)
        if new["client"] is not None and not ctx.scorer.knows(new["client"]):
            new["client"] = None
        go_score = new["client"] is not None and new["client"] != state.get("client") and tab == "search"
        return no_update, new["lang"], new, "score" if go_score else no_update
    if trigger == ids.LANG:
        state["lang"] = lang if lang in ("fr", "en") else "fr"
        return state_query(state), no_update, state, no_update
    if trigger == ids.SEARCH:
        if chosen is None or not ctx.scorer.knows(int(chosen)):
            return no_update, no_update, no_update, no_update
        state["client"] = int(chosen)
    elif trigger == ids.CLIENT_TABLE:
        if not cell or not rows or cell.get("row", -1) >= len(rows):
            return no_update, no_update, no_update, no_update
        state["client"] = int(rows[cell["row"]]["client"])
    return state_query(state), no_update, state, "score"


def current_client_text(ctx: Context, state: dict | None) -> str:
    lang, client = lang_of(state), client_of(ctx, state)
    return (t("search.current_client", lang, client_id=client) if client is not None
            else t("search.no_client", lang))


def _raw(key: str, lang: str) -> str:
    from model.text.strings import STRINGS
    return STRINGS[key][lang]
