"""The shell: URL ⇄ state router, meeting mode and the manager's back office, screen switching (which
screen is drawn), translated static texts, user."""
from __future__ import annotations

import json
from typing import Any

from dash import ALL, Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate
from flask import request
from flask.wrappers import Response
from flask_login import current_user

from api.errors import error_response
from callbacks.state import (
    PageState,
    as_state,
    callback_request_problem,
    client_of,
    lang_of,
    parse_state,
    state_query,
    value_kinds,
)
from layouts import ids
from layouts.controls import dropdown_labels
from layouts.meeting import strip_facts
from model.clients.directory import parse_client_id
from model.clients.file_header import file_header
from model.scoring import Scorer
from model.text.languages import Lang, as_lang
from model.text.strings import STRINGS, t
from services import Services

#: The ids the browser's side of the screens needs (assets/screens.js ``dash_clientside.screens.show``).
_SCREENS_CONFIG = json.dumps({
    "names": list(ids.SCREENS), "client": list(ids.CLIENT_SCREENS), "manager": list(ids.MANAGER_SCREENS),
    "viewed": list(ids.VIEW_SCREENS), "screen": ids.screen(""), "tab": ids.tab(""), "view": ids.view(""),
    "strip": ids.CLIENT_STRIP, "sim": ids.SIM_SCREEN, "search": ids.SEARCH, "heading": ids.FILE_HEADING})

#: Run on every tab clicked, state change, back office or expert switch: which screen is shown and
#: drawn (assets/screens.js). A tab clicked sets the screen store (read by the file's and the back
#: office's callbacks).
SHOW_SCREENS = f"""(...args) => {{
    const c = {_SCREENS_CONFIG}, dc = window.dash_clientside, ctx = dc.callback_context;
    const [state, backOffice, expert, stored, simScreen, ...views] = args.slice(c.names.length);
    const clicked = ctx.triggered_id;
    let screen = stored;
    if (typeof clicked === "string" && clicked.startsWith(c.tab)) {{
        screen = clicked.slice(c.tab.length);
        if (screen !== stored) {{ dc.set_props("{ids.SCREEN}", {{data: screen}}); }}
    }}
    return dc.screens.show(c, screen, state, backOffice, expert, simScreen, views);
}}"""

#: A client chosen in the search box or the list: its Score screen is shown and drawn at once, while
#: the server's ``route`` confirms the state (the gauge no longer waits for that round trip). None of
#: the inputs is an output of ``route``, so the renderer does not hold this back until the route has
#: answered. A number the product does not know draws nothing (every callback reads a view's client
#: through the scorer) and the route leaves the state as it was.
PREVIEW_FILE = f"""(chosen, _opened, state, simScreen, ...views) => {{
    const c = {_SCREENS_CONFIG}, dc = window.dash_clientside, ctx = dc.callback_context;
    const clicked = ctx.triggered_id, value = ctx.triggered && ctx.triggered.length ? ctx.triggered[0].value : null;
    const number = clicked === c.search ? chosen : clicked && clicked.type === "{ids.OPEN_CLIENT}" && value ? clicked.client : null;
    const open = state && state.client !== null && state.client !== undefined;
    if (open || number === null || number === undefined || !/^[0-9]{{1,12}}$/.test(String(number))) {{ return dc.no_update; }}
    const lang = (state && state.lang) || "fr";
    return dc.screens.show(c, "score", {{lang: lang, client: Number(number)}}, null, false, simScreen, views);
}}"""

#: The back office: "Manager's tools" opens a confirmation dialog; its confirmation opens the back office
#: on this file (the store holds the client); "Hide" closes it at once (the expert mode off, back to
#: Score from a manager's screen). A file opened or closed closes it too (``route``).
BACK_OFFICE = f"""(_open, _close, _confirm, _cancel, state, office, screen) => {{
    const nu = window.dash_clientside.no_update;
    const id = window.dash_clientside.callback_context.triggered_id;
    const client = state && state.client !== undefined && state.client !== null ? state.client : null;
    if (id === "{ids.BACK_OFFICE_OPEN}") {{ return client === null ? [nu, nu, nu, nu] : [nu, true, nu, nu]; }}
    if (id === "{ids.BACK_OFFICE_CONFIRM}") {{ return client === null ? [null, false, nu, nu] : [client, false, nu, nu]; }}
    if (id === "{ids.BACK_OFFICE_CANCEL}") {{ return [nu, false, nu, nu]; }}
    if (id === "{ids.BACK_OFFICE_CLOSE}") {{
        return [null, false, false, {json.dumps(list(ids.MANAGER_SCREENS))}.includes(screen) ? "score" : nu];
    }}
    return [nu, nu, nu, nu];
}}"""


#: The kind of each store's data the page writes (:func:`callbacks.state.value_kinds`); a store not
#: named here holds the kind of its first value.
STORE_KINDS: dict[str, str] = {
    ids.STATE: "dict", **{ids.view(n): "dict" for n in ids.VIEW_SCREENS}, ids.DRIFT_PERIOD_RESULT: "dict",
    ids.SCREEN: "str", ids.SIM_SCREEN: "str", ids.BACK_OFFICE: "count", ids.CLIENT_PAGE: "count",
    ids.OFFER_STORE: "list",
}


def check_callback_requests(app: Dash) -> None:
    """Every ``POST /_dash-update-component`` checked before Dash reads it: a body the page cannot send
    (another shape, a value of the wrong kind, NaN, an integer beyond JavaScript's) is a 400 JSON answer,
    never a callback run on it (:func:`callbacks.state.callback_request_problem`). Registered after the
    sign-in's guard, so a signed-out request is still a 401."""
    kinds = value_kinds(app.layout, STORE_KINDS)

    def _check() -> Response | None:
        if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
            return None
        problem = callback_request_problem(request.get_json(silent=True), app.callback_map, kinds)
        return error_response(400, "invalid_callback", problem) if problem else None

    app.server.before_request(_check)


def register(app: Dash, services: Services) -> None:
    scorer = services.scorer
    check_callback_requests(app)

    @app.callback(
        Output(ids.URL, "search"), Output(ids.LANG, "value"), Output(ids.STATE, "data"),
        Output(ids.SCREEN, "data"), Output(ids.STRIP_FACTS, "children"),
        Output(ids.BACK_OFFICE, "data"), Output(ids.EXPERT, "value"),
        Input(ids.URL, "search"), Input(ids.LANG, "value"), Input(ids.SEARCH, "value"),
        Input({"type": ids.OPEN_CLIENT, "client": ALL}, "n_clicks"), Input(ids.CLOSE_CLIENT, "n_clicks"),
        State(ids.STATE, "data"), State(ids.SCREEN, "data"), State(ids.BACK_OFFICE, "data"), State(ids.EXPERT, "value"),
    )
    def route(search: Any, lang: Any, chosen: Any, _opened: Any, _closed: Any,
              state: Any, screen: Any, office: Any, expert: Any) -> tuple[Any, ...]:
        """The one writer of the state: URL, language switch, search box, list or close button → state,
        URL and screen.
        In the same answer (a request less on every file opened): the file's strip, and the back office
        and its expert mode closed whenever the file changes (opened, closed, another one)."""
        trigger = dash_ctx.triggered_id
        clicked = bool(dash_ctx.triggered and dash_ctx.triggered[0].get("value"))
        # the search box is emptied in the browser when the file closes (assets/screens.js): not an output
        # here, so that choosing a client draws its file before this answer (PREVIEW_FILE)
        *out, _search = next_state(scorer, trigger, clicked, search, lang, chosen, state, screen)
        new = out[2]
        if new is no_update:
            return (*out, no_update, no_update, no_update)
        other_file = new.get("client") != as_state(state).get("client")
        # only what changes: every value returned is an update of the page (see SHOW_SCREENS)
        return (*out, strip_view(scorer, new), None if other_file and office is not None else no_update,
                False if other_file and expert else no_update)

    # a tab clicked, the state, the back office or the expert switch → the page's classes (which screen,
    # tabs and buttons show), the tabs' state, the screens' view stores (which screen is drawn), the
    # page's lang attribute, the file's heading focused: all in the browser
    app.clientside_callback(
        SHOW_SCREENS,
        Output(ids.APP, "className"),
        [Input(ids.tab(n), "n_clicks") for n in ids.SCREENS],
        Input(ids.STATE, "data"), Input(ids.BACK_OFFICE, "data"), Input(ids.EXPERT, "value"),
        State(ids.SCREEN, "data"), State(ids.SIM_SCREEN, "data"),
        [State(ids.view(n), "data") for n in ids.VIEW_SCREENS])

    app.clientside_callback(
        PREVIEW_FILE,
        Output(ids.APP, "className", allow_duplicate=True),
        Input(ids.SEARCH, "value"), Input({"type": ids.OPEN_CLIENT, "client": ALL}, "n_clicks"),
        State(ids.STATE, "data"), State(ids.SIM_SCREEN, "data"),
        [State(ids.view(n), "data") for n in ids.VIEW_SCREENS], prevent_initial_call=True)

    app.clientside_callback(
        BACK_OFFICE,
        Output(ids.BACK_OFFICE, "data", allow_duplicate=True), Output(ids.BACK_OFFICE_DIALOG, "is_open"),
        Output(ids.EXPERT, "value", allow_duplicate=True), Output(ids.SCREEN, "data", allow_duplicate=True),
        Input(ids.BACK_OFFICE_OPEN, "n_clicks"), Input(ids.BACK_OFFICE_CLOSE, "n_clicks"),
        Input(ids.BACK_OFFICE_CONFIRM, "n_clicks"), Input(ids.BACK_OFFICE_CANCEL, "n_clicks"),
        State(ids.STATE, "data"), State(ids.BACK_OFFICE, "data"), State(ids.SCREEN, "data"),
        prevent_initial_call=True)

    @app.callback(
        Output({"type": ids.TEXT, "key": ALL}, "children"),
        [Output(ids.tab(n), "children") for n in ids.SCREENS],
        [Output(d, "labels") for d in ids.DROPDOWNS],
        Output(ids.USER, "children"),
        Input(ids.LANG, "value"),
        State({"type": ids.TEXT, "key": ALL}, "id"),
    )
    def translate(value: Any, _text_ids: Any) -> tuple[Any, ...]:
        lang = as_lang(value)
        # one text per text the answer goes to (the outputs' ids, the same as ``text_ids`` from the page):
        # a forged request with fewer or other ids gets as many texts as it asks for, never a 500
        targets = dash_ctx.outputs_list[0] if dash_ctx.outputs_list else None
        if not isinstance(targets, list):
            raise PreventUpdate
        size = services.settings.similar_group_size
        texts = [_text(o.get("id") if isinstance(o, dict) else None, lang, size) for o in targets]
        user = ""
        if getattr(current_user, "is_authenticated", False):
            user = t("auth.signed_in_as", lang, user=current_user.get_id())
        labels = dropdown_labels(lang)
        return (texts, *[t(ids.NAV_KEYS[n], lang) for n in ids.SCREENS], *[labels] * len(ids.DROPDOWNS), user)


def _text(text_id: Any, lang: Lang, size: int) -> str:
    """A static text's words; nothing for an id that names no text (a forged request)."""
    key = text_id.get("key") if isinstance(text_id, dict) else None
    if not isinstance(key, str) or key not in STRINGS:
        return ""
    return t(key, lang, count=size) if "{count}" in STRINGS[key][lang] else t(key, lang)


def strip_view(scorer: Scorer, state: dict[str, Any]) -> Any:
    """The strip's facts of the state's file (nothing without one); the client's number is the file's
    heading, which takes the focus when the file opens (SHOW_SCREENS) so a screen reader announces it."""
    client = client_of(scorer, state)
    if client is None:
        return None
    number, *rest = strip_facts(file_header(scorer.population, client), lang_of(state))
    heading = html.H2(number, id=ids.FILE_HEADING, className="file-heading", tabIndex="-1",
                      **{"data-client": str(client)})
    return [heading, *rest]


def screen_for(client: int | None, screen: str | None) -> str:
    """The screen to show: the search screen (other clients listed) only while no client is open,
    a client's screen only while one is (meeting mode); the manager's screens without a file (a file
    is always opened with the back office closed)."""
    screen = screen if isinstance(screen, str) and screen in ids.SCREENS else "search"
    if client is not None and screen not in ids.CLIENT_SCREENS:
        return "score"
    if client is None and screen in ids.CLIENT_SCREENS:
        return "search"
    return screen


def next_state(scorer: Scorer, trigger: Any, clicked: bool, search: Any, lang: Any, chosen: Any,
               state: Any, screen: Any) -> tuple[Any, ...]:
    """(URL query, language switch, state, screen, search box value) after ``trigger`` changed;
    no_update where nothing changes. ``clicked``: the trigger's value is a real click (a list
    button that has just been drawn fires with no click)."""
    state = dict(as_state(state) or parse_state(""))
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
    return {"lang": as_lang(state.get("lang")), "client": parse_client_id(state.get("client"))}
