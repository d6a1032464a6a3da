"""Top bar: title, language switch, signed-in user and sign-out link; the screen tabs."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.text import T
from model.text.languages import Lang
from model.text.strings import t


def topbar(lang: Lang = "fr", demo: bool = False) -> html.Header:
    return html.Header(className="topbar", children=[
        html.Div(className="brand", children=[
            html.Span("€", className="brand-mark", **{"aria-hidden": "true"}),
            html.H1(T("app.title", lang), id=ids.TITLE),
            html.Span(T("app.demo_data", lang), className="demo-tag") if demo else None,
        ]),
        html.Div(className="topbar-right", children=[
            html.Span(T("app.language", lang), className="visually-hidden"),
            dbc.RadioItems(id=ids.LANG, value=lang, inline=True, className="lang-switch",
                           input_class_name="btn-check", label_class_name="btn btn-outline-light btn-sm",
                           label_checked_class_name="active",
                           options=[{"label": "FR", "value": "fr"}, {"label": "EN", "value": "en"}]),
            html.Span(id=ids.USER, className="user"),
            html.A(T("auth.sign_out", lang), id=ids.SIGN_OUT, href="/logout", className="btn btn-light btn-sm"),
        ]),
    ])


def tabs(lang: Lang = "fr", active: str = "search") -> html.Nav:
    """One button per screen in a WAI-ARIA tab list: each is reached with Tab and opened with
    Enter or Space, the arrow keys move between them (assets/tabs.js). Which are shown depends on
    the mode (callbacks.shell): the search screen without a client, the client's screens with one.
    """
    return html.Nav(className="screen-nav", **{"aria-label": t("nav.screens_label", lang)}, children=[
        html.Div(id=ids.TABS, className="screen-tabs nav nav-tabs", role="tablist", children=[
            html.Button(t(ids.NAV_KEYS[name], lang), id=ids.tab(name), type="button", role="tab",
                        className="nav-link" + (" active" if name == active else ""),
                        hidden=name in ids.CLIENT_SCREENS,
                        **{"aria-selected": "true" if name == active else "false",
                           "aria-controls": ids.screen(name)})
            for name in ids.SCREENS]),
        dcc.Store(id=ids.SCREEN, data=active),
    ])
