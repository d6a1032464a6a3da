"""The dashboard's layout: pure functions returning components (no I/O, no callbacks).

``root_layout(settings)`` is the whole page: top bar, screen tabs, one section per screen
(all present in the page, shown one at a time, each filled from its view store when shown), and
the URL that holds the state (``?lang=en&client=100002``) so that any gunicorn worker can serve
any request.
"""
from __future__ import annotations

from dash import dcc, html

from layouts import compare, drift, file, ids, meeting, model_card, profile, score, search, simulate, topbar, why
from model.text.languages import Lang
from settings import Settings


def root_layout(settings: Settings, lang: Lang = "fr") -> html.Div:
    """Page shell; options that depend on data or language are filled in by callbacks."""
    return html.Div(id=ids.APP, className="app", lang=lang, children=[
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE, data={"lang": lang, "client": None}),
        *[dcc.Store(id=ids.view(n), data=None) for n in ids.VIEW_SCREENS], dcc.Store(id=ids.SIM_SCREEN, data=None),
        topbar.topbar(lang, demo=settings.uses_demo_data),
        html.Main(className="container-fluid content", children=[
            topbar.tabs(lang),
            meeting.strip(lang),
            search.layout(None, lang),
            score.layout(lang),
            why.layout(lang),
            simulate.layout(lang),
            profile.layout(lang),
            compare.layout((), lang, settings.similar_group_size),
            file.layout(lang),
            model_card.layout(lang),
            drift.layout(lang),
        ]),
    ])
