"""The page's state, ``{lang, client}``, as the URL and the store hold it, and the rules that
read it: any gunicorn worker can serve any request because nothing per-user is kept server-side.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypedDict
from urllib.parse import parse_qs, urlencode

from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from layouts import ids
from model.clients.directory import parse_client_id
from model.scoring import Scorer
from model.text.languages import DEFAULT_LANG, Lang, as_lang

#: A page's query string is a few dozen characters; a longer one is not read (no state).
MAX_QUERY = 2048


class PageState(TypedDict):
    lang: Lang
    client: int | None


def parse_state(search: Any) -> PageState:
    """{"lang", "client"} from a query string; anything invalid (not a string included) falls back to
    the defaults."""
    q = parse_qs(search.lstrip("?")) if isinstance(search, str) and len(search) <= MAX_QUERY else {}
    raw = (q.get("client") or [""])[0]
    return {"lang": as_lang((q.get("lang") or [DEFAULT_LANG])[0]),
            "client": parse_client_id(raw)}


def as_state(value: Any) -> dict[str, Any]:
    """A stored state (the state store, a screen's view store) as sent back by the page: anything
    that is not a dict is no state at all (``{}``, read as the defaults by the rules below)."""
    return value if isinstance(value, dict) else {}


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


def lang_of(state: Any) -> Lang:
    """The state's language; the default for anything else (no state, a forged one)."""
    return as_lang(as_state(state).get("lang"))


def client_of(scorer: Scorer, state: Any) -> int | None:
    """The state's client if the product knows it, else None (a stale or forged URL shows no one)."""
    client = parse_client_id(as_state(state).get("client"))
    return client if client is not None and scorer.knows(client) else None


# --------------------------------------------------------------------------- the seam: callback requests

#: What a property may hold, as the renderer sends it (``None``, a property not set, is always allowed).
def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


KINDS: dict[str, Callable[[Any], bool]] = {
    "count": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "scalar": _scalar,
    "scalars": lambda v: isinstance(v, list) and all(_scalar(x) for x in v),
    "scalar_or_scalars": lambda v: _scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v)),
    "dict": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "any": lambda v: True,
}

#: The kind of a property of a kind of component (``n_clicks`` of anything is a count).
PROPERTY_KINDS: dict[tuple[str, str], str] = {
    ("Location", "search"): "str", ("Location", "pathname"): "str", ("Location", "hash"): "str",
    ("RadioItems", "value"): "scalar", ("Select", "value"): "scalar", ("Input", "value"): "scalar",
    ("Textarea", "value"): "str", ("Switch", "value"): "bool", ("Checklist", "value"): "scalars",
    ("Dropdown", "search_value"): "str", ("DatePickerRange", "start_date"): "str",
    ("DatePickerRange", "end_date"): "str",
}

#: Deeper JSON than this is never sent by the page (component trees sent back as State included).
MAX_DEPTH = 100
#: Integers the browser can send exactly (JavaScript's safe integers).
MAX_INT = 2**53


def value_kinds(layout: Any, stores: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """(component id, property) → kind, for every component of the initial layout; ``stores`` gives
    the kind of a dcc.Store's ``data`` (a store not named there: the kind of its first value)."""
    found: dict[tuple[str, str], str] = {}
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not hasattr(node, "to_plotly_json"):
            continue
        cid, kind = getattr(node, "id", None), type(node).__name__
        if isinstance(cid, str):
            for (component, prop), k in PROPERTY_KINDS.items():
                if component == kind:
                    found[(cid, prop)] = k
            if kind == "Dropdown":
                found[(cid, "value")] = "scalars" if getattr(node, "multi", False) else "scalar_or_scalars"
            if kind == "Store":
                initial = getattr(node, "data", None)
                found[(cid, "data")] = stores.get(cid) or (
                    "dict" if isinstance(initial, dict) else "list" if isinstance(initial, list)
                    else "str" if isinstance(initial, str) else "count" if KINDS["count"](initial) else "any")
        stack.append(getattr(node, "children", None))
    return found


def _sane(value: Any, depth: int = 0) -> bool:
    """JSON the browser can write: finite numbers, safe integers, bounded nesting."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return -MAX_INT <= value <= MAX_INT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_sane(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _sane(v, depth + 1) for k, v in value.items())
    return False


def _entry_problem(spec: Mapping[str, Any], entry: Any, kinds: Mapping[tuple[str, str], str]) -> str | None:
    where = f"{spec['id']}.{spec['property']}"
    if isinstance(spec["id"], str) and spec["id"].startswith("{"):       # a pattern: a list of matches
        pattern = json.loads(spec["id"])
        if not isinstance(entry, list):
            return f"{where}: a list of components expected"
        for match in entry:
            cid = match.get("id") if isinstance(match, dict) else None
            if (not isinstance(cid, dict) or match.get("property") != spec["property"] or set(cid) != set(pattern)
                    or any(not isinstance(v, list) and cid[k] != v for k, v in pattern.items())):
                return f"{where}: a component of another pattern"
            kind = "dict" if spec["property"] == "id" else "count" if spec["property"] == "n_clicks" else "any"
            if match.get("value") is not None and not KINDS[kind](match["value"]):
                return f"{where}: not a {kind}"
        return None
    if not isinstance(entry, dict) or entry.get("id") != spec["id"] or entry.get("property") != spec["property"]:
        return f"{where}: another component or property"
    kind = "count" if spec["property"] == "n_clicks" else kinds.get((spec["id"], spec["property"]), "any")
    value = entry.get("value")
    if value is not None and not KINDS[kind](value):
        return f"{where}: not a {kind}"
    return None


def callback_request_problem(body: Any, callbacks: Mapping[str, Mapping[str, Any]],
                             kinds: Mapping[tuple[str, str], str]) -> str | None:
    """Why a ``POST /_dash-update-component`` body is not one the page can send, or None.

    The one seam where callback inputs enter: the body names a server-side callback, gives its inputs
    and states in their declared order (a list of matches for a pattern), every value sane JSON
    (:func:`_sane`) of the kind its property holds (:data:`KINDS`, from the component). The values'
    contents are still read by the rules above (:func:`as_state`, :func:`lang_of`, :func:`client_of`),
    which take anything.
    """
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "a JSON object with an output expected"
    callback = callbacks.get(body["output"])
    if callback is None or callback.get("callback") is None:
        return "no such server-side callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds: a list of strings expected"
    if not _sane(body):
        return "a value the page never sends (non-finite, too large or too deep)"
    for part in ("inputs", "state"):
        specs, entries = callback.get(part) or [], body.get(part, [])
        if not isinstance(entries, list) or len(entries) != len(specs):
            return f"{part}: {len(specs)} expected"
        for spec, entry in zip(specs, entries):
            problem = _entry_problem(spec, entry, kinds)
            if problem:
                return f"{part}: {problem}"
    outputs, many = body.get("outputs"), body["output"].startswith("..")
    if many:
        expected = body["output"].strip(".").count("...") + 1
        if (not isinstance(outputs, list) or len(outputs) != expected
                or not all(_is_output(o) or (isinstance(o, list) and all(_is_output(x) for x in o)) for o in outputs)):
            return f"outputs: {expected} expected"
    elif not (_is_output(outputs) or (isinstance(outputs, list) and all(_is_output(x) for x in outputs))):
        return "outputs: one expected"
    return None


def _is_output(value: Any) -> bool:
    return (isinstance(value, dict) and isinstance(value.get("id"), (str, dict))
            and isinstance(value.get("property"), str))
