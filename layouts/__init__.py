"""The dashboard's layout: pure functions returning components (no I/O, no callbacks).

``root_layout(services)`` is the whole page: top bar, screen tabs, one section per screen
(all present in the page, shown one at a time), and the URL that holds the state
(``?lang=en&client=100002``) so that any gunicorn worker can serve any request.
"""
from __future__ import annotations

from typing import Any

from dash import dcc, html

from layouts import compare, drift, ids, model_card, profile, score, search, topbar, why


def root_layout(services: Any, lang: str = "fr") -> html.Div:
    """Page shell; options that depend on data or language are filled in by callbacks."""
    settings = services.settings
    return html.Div(className="app", lang=lang, children=[
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE, data={"lang": lang, "client": None}),
        topbar.topbar(lang, demo=getattr(settings, "uses_demo_data", False)),
        html.Main(className="container-fluid content", children=[
            topbar.tabs(lang),
            search.layout(None, lang, settings.page_size),
            score.layout(lang),
            why.layout(lang),
            profile.layout(lang),
            compare.layout((), lang, settings.similar_group_size),
            model_card.layout(lang),
            drift.layout(lang),
        ]),
    ])
