"""The shell: URL ⇄ state router, meeting mode, screen switching, translated static texts, user."""
from __future__ import annotations

import json
from typing import Any

from dash import ALL, Dash, Input, Output, State, no_update
from dash import ctx as dash_ctx
from flask_login import current_user

from callbacks.state import PageState, client_of, lang_of, parse_state, state_query
from layouts import ids
from layouts.controls import dropdown_labels
from layouts.meeting import strip_facts
from model.clients.directory import parse_client_id
from model.clients.file_header import file_header
from model.scoring import Scorer
from model.text.languages import as_lang
from model.text.strings import STRINGS, t
from services import Services

#: Browser side of the mode: the screen of the store is shown; the search tab only without a
#: client, the client's tabs only with one; the page's lang attribute follows the state.
SHOW_SCREENS = f"""(screen, state) => {{
    const names = {json.dumps(list(ids.SCREENS))}, clientScreens = {json.dumps(list(ids.CLIENT_SCREENS))};
    const active = screen || "search", open = !!state && state.client !== null && state.client !== undefined;
    if (state && state.lang) {{ document.documentElement.lang = state.lang; }}
    return [].concat(names.map((n) => n !== active),
                     names.map((n) => open ? n === "search" : clientScreens.includes(n)),
                     names.map((n) => n === active ? "nav-link active" : "nav-link"),
                     names.map((n) => n === active ? "true" : "false"), [!open]);
}}"""


def register(app: Dash, services: Services) -> None:
    scorer = services.scorer

    @app.callback(
        Output(ids.URL, "search"), Output(ids.LANG, "value"), Output(ids.STATE, "data"),
        Output(ids.SCREEN, "data"), Output(ids.SEARCH, "value"),
        Input(ids.URL, "search"), Input(ids.LANG, "value"), Input(ids.SEARCH, "value"),
        Input({"type": ids.OPEN_CLIENT, "client": ALL}, "n_clicks"), Input(ids.CLOSE_CLIENT, "n_clicks"),
        State(ids.STATE, "data"), State(ids.SCREEN, "data"),
    )
    def route(search: str | None, lang: Any, chosen: Any, _opened: Any, _closed: Any,
              state: dict[str, Any] | None, screen: str | None) -> tuple[Any, ...]:
        """The one writer of the state: URL, language switch, search box, list or close button → state."""
        trigger = dash_ctx.triggered_id
        clicked = bool(dash_ctx.triggered and dash_ctx.triggered[0].get("value"))
        return next_state(scorer, trigger, clicked, search, lang, chosen, state, screen)

    # a tab button → the screen shown (in the browser: no server round trip for a screen change)
    app.clientside_callback(
        "() => { const id = window.dash_clientside.callback_context.triggered_id;"
        " return typeof id === 'string' ? id.replace(/^tab-/, '') : window.dash_clientside.no_update; }",
        Output(ids.SCREEN, "data", allow_duplicate=True),
        [Input(ids.tab(n), "n_clicks") for n in ids.SCREENS], prevent_initial_call=True)

    # the screen and the mode → which screens, tabs and strip are visible; the page's lang attribute
    app.clientside_callback(
        SHOW_SCREENS,
        [Output(ids.screen(n), "hidden") for n in ids.SCREENS],
        [Output(ids.tab(n), "hidden") for n in ids.SCREENS],
        [Output(ids.tab(n), "className") for n in ids.SCREENS],
        [Output(ids.tab(n), "aria-selected") for n in ids.SCREENS],
        Output(ids.CLIENT_STRIP, "hidden"),
        Input(ids.SCREEN, "data"), Input(ids.STATE, "data"))

    @app.callback(Output(ids.STRIP_FACTS, "children"), Input(ids.STATE, "data"))
    def show_strip(state: dict[str, Any] | None) -> Any:
        client = client_of(scorer, state)
        if client is None:
            return None
        return strip_facts(file_header(scorer.population, client), lang_of(state))

    @app.callback(
        Output({"type": ids.TEXT, "key": ALL}, "children"),
        [Output(ids.tab(n), "children") for n in ids.SCREENS],
        [Output(d, "labels") for d in ids.DROPDOWNS],
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
        labels = dropdown_labels(lang)
        return (texts, *[t(ids.NAV_KEYS[n], lang) for n in ids.SCREENS], *[labels] * len(ids.DROPDOWNS), user)


def screen_for(client: int | None, screen: str | None) -> str:
    """The screen to show: the search screen (other clients listed) only while no client is open,
    a client's screen only while one is (meeting mode)."""
    screen = screen if screen in ids.SCREENS else "search"
    if client is not None and screen == "search":
        return "score"
    if client is None and screen in ids.CLIENT_SCREENS:
        return "search"
    return screen


def next_state(scorer: Scorer, trigger: Any, clicked: bool, search: str | None, lang: Any, chosen: Any,
               state: dict[str, Any] | None, screen: str | None) -> tuple[Any, ...]:
    """(URL query, language switch, state, screen, search box value) after ``trigger`` changed;
    no_update where nothing changes. ``clicked``: the trigger's value is a real click (a list
    button that has just been drawn fires with no click)."""
    state = dict(state or parse_state(""))
    unchanged = (no_update,) * 5
    if trigger in (None, ids.URL):
        new = parse_state(search)
        if new["client"] is not None and not scorer.knows(new["client"]):
            new["client"] = None
        return no_update, new["lang"], new, _screen_change(new["client"], screen), no_update
    if trigger == ids.LANG:
        state["lang"] = as_lang(lang)
        return state_query(_page(state)), no_update, state, no_update, no_update
    if trigger == ids.SEARCH:
        number = parse_client_id(chosen)
        if number is None or not scorer.knows(number):
            return unchanged
        state["client"] = number
    elif isinstance(trigger, dict) and trigger.get("type") == ids.OPEN_CLIENT:
        number = parse_client_id(trigger.get("client"))
        if not clicked or number is None or not scorer.knows(number):
            return unchanged
        state["client"] = number
    elif trigger == ids.CLOSE_CLIENT:
        if not clicked:
            return unchanged
        state["client"] = None
        return state_query(_page(state)), no_update, state, "search", None
    else:
        return unchanged
    return state_query(_page(state)), no_update, state, "score", no_update


def _screen_change(client: int | None, screen: str | None) -> Any:
    wanted = screen_for(client, screen)
    return no_update if wanted == screen else wanted


def _page(state: dict[str, Any]) -> PageState:
    return {"lang": as_lang(state.get("lang")), "client": state.get("client")}
