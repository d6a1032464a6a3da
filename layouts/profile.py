"""Profile: the client's descriptive information, in readable groups the manager chooses."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.text import T
from model.text.languages import Lang
from model.text.strings import t

#: Groups offered, in reading order; the first five are shown by default.
GROUPS = ("identity", "income_employment", "loan", "housing", "history_bureau", "history_previous",
          "history_payments", "history_cards", "external_scores", "region", "contact", "documents")
DEFAULT_GROUPS = ["identity", "income_employment", "loan", "housing", "history_bureau"]


def group_options(lang: Lang = "fr") -> list[dict[str, str]]:
    return [{"label": t(f"profile.group.{g}", lang), "value": g} for g in GROUPS]


def profile_cards(sections: Sequence[tuple[str, Sequence[tuple[str, str]]]], lang: Lang = "fr") -> list:
    """One card per group: a two-column description list (label, formatted value)."""
    if not sections:
        return [html.P(t("profile.empty", lang), className="text-muted")]
    cards = []
    for group, rows in sections:
        cards.append(html.Div(**{"data-group": group}, children=dbc.Card(className="profile-card", children=[
            dbc.CardHeader(html.H3(t(f"profile.group.{group}", lang), className="h6 mb-0")),
            dbc.CardBody(html.Dl(className="profile-list mb-0", children=[
                part for label, value in rows for part in (html.Dt(label), html.Dd(value))])),
        ])))
    return cards


def layout(lang: Lang = "fr") -> html.Section:
    return html.Section(id=ids.screen("profile"), className="screen", hidden=True, children=[
        html.H2(T("profile.title", lang)),
        dbc.Row(className="g-3", children=[
            dbc.Col(md=8, children=[
                html.Label(T("profile.choose_groups", lang), htmlFor=ids.PROFILE_GROUPS),
                dbc.Checklist(id=ids.PROFILE_GROUPS, options=group_options(lang), value=list(DEFAULT_GROUPS),
                              inline=True, className="group-checklist"),
            ]),
            dbc.Col(md=4, children=[
                html.Label(T("profile.choose_fields", lang), htmlFor=ids.PROFILE_FIELDS),
                dcc.Dropdown(id=ids.PROFILE_FIELDS, options=[], value=[], multi=True),
            ]),
        ]),
        html.Div(id=ids.PROFILE_BODY, className="profile-grid mt-3"),
    ])
