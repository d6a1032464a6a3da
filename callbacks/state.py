"""The page's state, ``{lang, client}``, as the URL and the store hold it, and the rules that
read it: any gunicorn worker can serve any request because nothing per-user is kept server-side.
"""
from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import parse_qs, urlencode

from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from layouts import ids
from model.clients.directory import parse_client_id
from model.scoring import Scorer
from model.text.languages import DEFAULT_LANG, Lang, as_lang


class PageState(TypedDict):
    lang: Lang
    client: int | None


def parse_state(search: str | None) -> PageState:
    """{"lang", "client"} from a query string; anything invalid falls back to the defaults."""
    q = parse_qs((search or "").lstrip("?"))
    raw = (q.get("client") or [""])[0]
    return {"lang": as_lang((q.get("lang") or [DEFAULT_LANG])[0]),
            "client": parse_client_id(raw)}


def state_query(state: PageState) -> str:
    params: dict[str, Any] = {}
    if state.get("lang", DEFAULT_LANG) != DEFAULT_LANG:
        params["lang"] = state["lang"]
    if state.get("client") is not None:
        params["client"] = state["client"]
    return "?" + urlencode(params) if params else ""


def off_screen(active_tab: str | None, screen: str, blank: tuple[Any, ...], is_blank: bool = False
               ) -> tuple[Any, ...] | None:
    """What a screen's callback returns while its screen is hidden, or None to render it.

    Hidden screens are not rendered on every client change (that would make the visible
    screen wait behind them); they are blanked instead, once, so that no other client's
    data stays in the page, and rendered when their tab is opened. Opening another tab
    leaves them as they are.
    """
    if (active_tab or "search") == screen:
        return None
    if is_blank or dash_ctx.triggered_id == ids.SCREEN:
        raise PreventUpdate
    return blank


def lang_of(state: PageState | dict[str, Any] | None) -> Lang:
    return as_lang((state or {}).get("lang"))


def client_of(scorer: Scorer, state: PageState | dict[str, Any] | None) -> int | None:
    """The state's client if the product knows it, else None (a stale or forged URL shows no one)."""
    client = parse_client_id((state or {}).get("client"))
    return client if client is not None and scorer.knows(client) else None
