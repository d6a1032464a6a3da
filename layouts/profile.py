"""Profile: the client's descriptive information, in readable groups the manager chooses."""
from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids, markup
from layouts.text import T
from model.clients.profile import ProfileSection
from model.text.languages import Lang
from model.text.strings import t

#: Groups offered, in reading order (what a manager talks about first: the credit, income and
#: employment, the person); the first five are shown by default.
GROUPS = ("loan", "income_employment", "identity", "housing", "history_bureau", "history_previous",
          "history_payments", "history_cards", "external_scores", "region", "contact", "documents")
DEFAULT_GROUPS = ["loan", "income_employment", "identity", "housing", "history_bureau"]


def group_options(lang: Lang = "fr") -> list[dict[str, str]]:
    return [{"label": t(f"profile.group.{g}", lang), "value": g} for g in GROUPS]


def in_reading_order(groups: Sequence[str]) -> list[str]:
    """The chosen groups in the order of :data:`GROUPS`, whatever order they were ticked in."""
    chosen = set(groups)
    return [g for g in GROUPS if g in chosen] + [g for g in groups if g not in GROUPS]


def hidden_note(count: int, lang: Lang = "fr") -> str:
    return t("profile.hidden_one", lang) if count == 1 else t("profile.hidden_many", lang, count=count)


def profile_cards(sections: Sequence[ProfileSection], lang: Lang = "fr") -> list:
    """One card per group with something provided: a two-column description list (label,
    formatted value) and how many fields were not provided; then one line naming the groups
    where nothing is provided. Each card is one Dash component (layouts/markup.py): a profile
    of a hundred fields as Dash components took half a second to show."""
    if not sections:
        return [html.P(t("profile.empty", lang), className="profile-note")]
    cards: list = []
    empty = []
    for section in sections:
        if not section.rows:
            empty.append(t(f"profile.group.{section.group}", lang))
            continue
        body = [markup.element("dl", [markup.element("dt", markup.text(label)) + markup.element("dd", markup.text(value))
                                      for label, value in section.rows], class_="profile-list mb-0")]
        if section.hidden:
            body.append(markup.element("p", markup.text(hidden_note(section.hidden, lang)),
                                       class_="profile-hidden mb-0 mt-2"))
        card = markup.element("div", [
            markup.element("div", markup.element("h3", markup.text(t(f"profile.group.{section.group}", lang)),
                                                 class_="h6 mb-0"), class_="card-header"),
            markup.element("div", body, class_="card-body")], class_="card profile-card")
        cards.append(markup.block(markup.element("div", card, data_group=section.group), "profile-card-wrap"))
    if empty:
        cards.append(html.P(t("profile.empty_groups", lang, groups=", ".join(empty)),
                            className="profile-note profile-empty-groups"))
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
