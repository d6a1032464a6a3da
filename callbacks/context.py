"""What the callbacks share, built once per process at start-up (read-only afterwards).

The client directory and the similarity index are derived from the scorer's population;
nothing per-user is kept here (the state of a page lives in its URL).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import pandas as pd
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from layouts import ids
from model.clients import directory as directory_mod
from model.clients.similar import SimilarityIndex, choose_features
from model.text.labels import UnknownFeatureError, feature_info

LANGS = ("fr", "en")
#: Features offered in the comparison dropdown / drawn in the position chart.
COMPARE_CHOICES = 15
POSITION_FEATURES = 8


@dataclass
class Context:
    services: Any
    directory: pd.DataFrame
    index: SimilarityIndex
    importance_order: list[str]          # features by global importance (labelled ones only)
    compare_features: list[str]
    position_features: list[str]
    build_seconds: float

    @property
    def scorer(self):
        return self.services.scorer

    @property
    def settings(self):
        return self.services.settings

    @property
    def cache(self):
        return self.services.cache


def _labelled(names: list[str]) -> list[str]:
    out = []
    for n in names:
        try:
            feature_info(n)
        except (UnknownFeatureError, KeyError):
            continue
        out.append(n)
    return out


def build_context(services: Any) -> Context:
    t0 = time.perf_counter()
    scorer = services.scorer
    settings = services.settings
    directory = directory_mod.build_directory(scorer.population, scorer.scores, scorer.threshold)
    importance = list(scorer.global_importance.get("importance", []))
    order = _labelled([r["feature"] for r in importance]) or _labelled(list(scorer.features))
    features = choose_features([{"feature": f} for f in order], scorer.population, n=10)
    index = SimilarityIndex.build(scorer.population, features, scorer.scores,
                                  min_group_size=settings.min_group_size)
    numeric = [f for f in order if f not in scorer.cat_features]
    return Context(services, directory, index, order, order[:COMPARE_CHOICES], numeric[:POSITION_FEATURES],
                   time.perf_counter() - t0)


# -- URL state ------------------------------------------------------------------------------
def parse_state(search: str | None) -> dict[str, Any]:
    """{"lang", "client"} from a query string; anything invalid falls back to the defaults."""
    q = parse_qs((search or "").lstrip("?"))
    lang = (q.get("lang") or ["fr"])[0]
    raw = (q.get("client") or [""])[0]
    return {"lang": lang if lang in LANGS else "fr", "client": int(raw) if raw.isdigit() else None}


def state_query(state: dict[str, Any]) -> str:
    params = {}
    if state.get("lang", "fr") != "fr":
        params["lang"] = state["lang"]
    if state.get("client") is not None:
        params["client"] = int(state["client"])
    return "?" + urlencode(params) if params else ""


def off_screen(active_tab: str | None, screen: str, blank: tuple, is_blank: bool = False) -> tuple | None:
    """What a screen's callback returns while its screen is hidden, or None to render it.

    Hidden screens are not rendered on every client change (that would make the visible
    screen wait behind them); they are blanked instead, once, so that no other client's
    data stays in the page, and rendered when their tab is opened. Opening another tab
    leaves them as they are.
    """
    if (active_tab or "search") == screen:
        return None
    if is_blank or dash_ctx.triggered_id == ids.TABS:
        raise PreventUpdate
    return blank


def as_lang(value: Any) -> str:
    """The language switch's value, or French for anything else."""
    return value if value in LANGS else "fr"


def lang_of(state: dict[str, Any] | None) -> str:
    return as_lang((state or {}).get("lang"))


def client_of(ctx: Context, state: dict[str, Any] | None) -> int | None:
    client = (state or {}).get("client")
    if client is None:
        return None
    try:
        client = int(client)
    except (TypeError, ValueError):
        return None
    return client if ctx.scorer.knows(client) else None
