"""Top bar: title, the manager's back office switch, language switch, signed-in user and sign-out link;
the screen tabs."""
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
            back_office(lang),
            html.Span(T("app.language", lang), className="visually-hidden"),
            dbc.RadioItems(id=ids.LANG, value=lang, inline=True, className="lang-switch",
                           input_class_name="btn-check", label_class_name="btn btn-outline-light btn-sm",
                           label_checked_class_name="active",
                           options=[{"label": "FR", "value": "fr"}, {"label": "EN", "value": "en"}]),
            html.Span(id=ids.USER, className="user"),
            html.A(T("auth.sign_out", lang), id=ids.SIGN_OUT, href="/logout", className="btn btn-light btn-sm"),
        ]),
    ])


def back_office(lang: Lang = "fr") -> html.Div:
    """The manager's tools while a file is open (meeting mode): Model, Drift and the expert mode of Why.

    Shown only while a file is open (the page's classes, assets/screens.css). Opening them asks for a confirmation in a
    dialog, so a client at the desk cannot open them with one stray click; hiding them is one click;
    they are hidden again whenever a file is opened or closed (the store holds the file they were
    opened on).
    """
    return html.Div(id=ids.BACK_OFFICE_WRAP, className="back-office", children=[
        dcc.Store(id=ids.BACK_OFFICE, data=None),
        html.Button(T("backoffice.open", lang), id=ids.BACK_OFFICE_OPEN, type="button",
                    className="btn btn-outline-light btn-sm back-office-open", **{"aria-haspopup": "dialog"}),
        html.Button(T("backoffice.close", lang), id=ids.BACK_OFFICE_CLOSE, type="button",
                    className="btn btn-warning btn-sm back-office-close"),
        dbc.Modal(id=ids.BACK_OFFICE_DIALOG, is_open=False, centered=True, backdrop="static",
                  labelledby=f"{ids.BACK_OFFICE_DIALOG}-title", children=[
            dbc.ModalHeader(dbc.ModalTitle(T("backoffice.title", lang), id=f"{ids.BACK_OFFICE_DIALOG}-title"),
                            close_button=False),
            dbc.ModalBody(html.P(T("backoffice.body", lang), className="mb-0")),
            dbc.ModalFooter([
                # the safe answer first: Enter on an unread dialog keeps the back office closed
                dbc.Button(T("backoffice.cancel", lang), id=ids.BACK_OFFICE_CANCEL, color="primary"),
                dbc.Button(T("backoffice.confirm", lang), id=ids.BACK_OFFICE_CONFIRM, color="warning", outline=True),
            ]),
        ]),
    ])


def tab_kind(name: str) -> str:
    """Which tabs a screen's belongs with: "search" (no file open), "client" (a file open), "manager"."""
    return "client" if name in ids.CLIENT_SCREENS else "manager" if name in ids.MANAGER_SCREENS else "search"


def tab_class(name: str, active: str | None = None) -> str:
    """A tab's classes (callbacks.shell.SHOW_SCREENS writes the same in the browser)."""
    return f"nav-link tab-{tab_kind(name)}" + (" active" if name == active else "")


def tabs(lang: Lang = "fr", active: str = "search") -> html.Nav:
    """One button per screen in a WAI-ARIA tab list: each is reached with Tab and opened with
    Enter or Space, the arrow keys move between them (assets/screens.js). Which are shown depends on
    the mode (callbacks.shell, the page's classes and assets/screens.css): the search screen without
    a client, the client's screens with one, the manager's without one or in the back office.
    """
    return html.Nav(className="screen-nav", **{"aria-label": t("nav.screens_label", lang)}, children=[
        html.Div(id=ids.TABS, className="screen-tabs nav nav-tabs", role="tablist", children=[
            html.Button(t(ids.NAV_KEYS[name], lang), id=ids.tab(name), type="button", role="tab",
                        className=tab_class(name, active),
                        **{"aria-selected": "true" if name == active else "false",
                           "aria-controls": ids.screen(name)})
            for name in ids.SCREENS]),
        dcc.Store(id=ids.SCREEN, data=active),
    ])
