"""The shell: URL ⇄ state router, screen switching, translated static texts, signed-in user."""
from __future__ import annotations

import json
from typing import Any

from dash import ALL, Dash, Input, Output, State, no_update
from dash import ctx as dash_ctx
from flask_login import current_user

from callbacks.state import PageState, client_of, lang_of, parse_state, state_query
from layouts import ids
from model.scoring import Scorer
from model.text.languages import as_lang
from model.text.strings import STRINGS, t
from services import Services


def register(app: Dash, services: Services) -> None:
    scorer = services.scorer

    @app.callback(
        Output(ids.URL, "search"), Output(ids.LANG, "value"), Output(ids.STATE, "data"),
        Output(ids.TABS, "active_tab"), Output(ids.CURRENT_CLIENT, "children"),
        Input(ids.URL, "search"), Input(ids.LANG, "value"), Input(ids.SEARCH, "value"),
        Input(ids.CLIENT_TABLE, "active_cell"),
        State(ids.CLIENT_TABLE, "data"), State(ids.STATE, "data"), State(ids.TABS, "active_tab"),
    )
    def route(search: str | None, lang: Any, chosen: Any, cell: dict[str, Any] | None,
              rows: list[dict[str, Any]] | None, state: dict[str, Any] | None, tab: str | None) -> tuple[Any, ...]:
        """The one writer of the state: URL, language switch, search box or list → state."""
        url, lang_value, new, active = next_state(scorer, dash_ctx.triggered_id, search, lang, chosen, cell, rows,
                                                  state, tab)
        return url, lang_value, new, active, no_update if new is no_update else current_client_text(scorer, new)

    # one screen visible at a time (all stay in the page, so their callbacks keep their targets);
    # in the browser: a server round trip here would delay every screen change
    app.clientside_callback(
        f"(tab) => {json.dumps(list(ids.SCREENS))}.map((name) => name !== (tab || 'search'))",
        [Output(ids.screen(n), "hidden") for n in ids.SCREENS], Input(ids.TABS, "active_tab"))

    @app.callback(
        Output({"type": ids.TEXT, "key": ALL}, "children"),
        [Output(ids.tab(n), "label") for n in ids.SCREENS],
        Output(ids.USER, "children"),
        Input(ids.LANG, "value"),
        State({"type": ids.TEXT, "key": ALL}, "id"),
    )
    def translate(value: Any, text_ids: list[dict[str, str]]) -> tuple[Any, ...]:
        lang = as_lang(value)
        size = services.settings.similar_group_size
        texts = [t(i["key"], lang, count=size) if "{count}" in STRINGS[i["key"]][lang] else t(i["key"], lang)
                 for i in text_ids]
        user = ""
        if getattr(current_user, "is_authenticated", False):
            user = t("auth.signed_in_as", lang, user=current_user.get_id())
        return (texts, *[t(ids.NAV_KEYS[n], lang) for n in ids.SCREENS], user)


def next_state(scorer: Scorer, trigger: str | None, search: str | None, lang: Any, chosen: Any,
               cell: dict[str, Any] | None, rows: list[dict[str, Any]] | None, state: dict[str, Any] | None,
               tab: str | None) -> tuple[Any, ...]:
    """(URL query, language switch, state, active tab) after `trigger` changed; no_update where nothing changes."""
    state = dict(state or parse_state(""))
    if trigger in (None, ids.URL):
        new = parse_state(search)
        if new["client"] is not None and not scorer.knows(new["client"]):
            new["client"] = None
        go_score = new["client"] is not None and new["client"] != state.get("client") and tab == "search"
        return no_update, new["lang"], new, "score" if go_score else no_update
    if trigger == ids.LANG:
        state["lang"] = as_lang(lang)
        return state_query(state), no_update, state, no_update
    if trigger == ids.SEARCH:
        if chosen is None or not scorer.knows(int(chosen)):
            return no_update, no_update, no_update, no_update
        state["client"] = int(chosen)
    elif trigger == ids.CLIENT_TABLE:
        if not cell or not rows or cell.get("row", -1) >= len(rows):
            return no_update, no_update, no_update, no_update
        state["client"] = int(rows[cell["row"]]["client"])
    return state_query(state), no_update, state, "score"


def current_client_text(scorer: Scorer, state: PageState | dict[str, Any] | None) -> str:
    lang, client = lang_of(state), client_of(scorer, state)
    return (t("search.current_client", lang, client_id=client) if client is not None
            else t("search.no_client", lang))
