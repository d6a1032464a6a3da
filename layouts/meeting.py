"""The strip that names the open client file on every client screen (meeting mode)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from layouts import ids
from layouts.text import T
from model.clients.file_header import FileHeader
from model.text.languages import Lang
from model.text.strings import t


def strip(lang: Lang = "fr") -> html.Section:
    """Hidden until a client is open; :func:`strip_facts` fills its facts. Sticky, so the client's
    number stays in view on every screen, however far down the manager scrolls."""
    return html.Section(id=ids.CLIENT_STRIP, className="client-strip", hidden=True,
                        **{"aria-label": t("meeting.strip_label", lang)}, children=[
        html.Div(id=ids.STRIP_FACTS, className="client-strip-facts"),
        html.P(T("meeting.mode", lang), className="client-strip-mode mb-0"),
        dbc.Button(T("meeting.close", lang), id=ids.CLOSE_CLIENT, color="light", size="sm",
                   className="client-strip-close", title=t("meeting.close_label", lang)),
    ])


def strip_facts(header: FileHeader, lang: Lang = "fr") -> list[html.Span]:
    number, credit, opened = header.lines(lang)
    return [html.Strong(number, className="client-strip-number"),
            html.Span(credit, className="client-strip-credit"),
            html.Span(opened, className="client-strip-date")]
