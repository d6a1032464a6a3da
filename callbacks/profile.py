"""Profile: the client's information by group, groups and fields chosen by the manager."""
from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.state import client_of, lang_of
from layouts import ids
from layouts.profile import group_options, in_reading_order, profile_cards
from model.clients.profile import profile_fields, profile_sections
from model.text.labels import feature_label
from model.text.languages import as_lang
from model.text.strings import t
from services import Services


def register(app: Dash, services: Services) -> None:
    scorer, order = services.scorer, services.clients.importance_order

    @app.callback(Output(ids.PROFILE_GROUPS, "options"), Input(ids.LANG, "value"))
    def translate_groups(value: Any) -> list[dict[str, str]]:
        """The group checkboxes follow the language switch (the layout builds them once)."""
        return group_options(as_lang(value))

    @app.callback(Output(ids.PROFILE_FIELDS, "options"), Output(ids.PROFILE_FIELDS, "placeholder"),
                  Input(ids.PROFILE_GROUPS, "value"), Input(ids.LANG, "value"))
    def field_options(groups: list[str] | None, value: Any) -> tuple[list[dict[str, str]], str]:
        lang = as_lang(value)
        fields = profile_fields(scorer.features, order, in_reading_order(groups or []), per_group=None)
        return ([{"label": feature_label(f, lang), "value": f} for g in fields for f in fields[g]],
                t("filter.any", lang))

    @app.callback(Output(ids.PROFILE_BODY, "children"),
                  Input(ids.view("profile"), "data"), Input(ids.PROFILE_GROUPS, "value"),
                  Input(ids.PROFILE_FIELDS, "value"), State(ids.PROFILE_BODY, "children"), prevent_initial_call=True)
    def show_profile(view: dict[str, Any] | None, groups: list[str] | None, fields: list[str] | None,
                     shown: Any) -> Any:
        """The profile of the screen's view {lang, client} (set when the screen is shown, callbacks/shell.py);
        blank once its file is closed."""
        lang, client = lang_of(view), client_of(scorer, view)
        if client is None:
            if shown is None:
                raise PreventUpdate           # already blank
            return None
        row = scorer.features_of(client).iloc[0]
        sections = profile_sections(row, scorer.features, order, in_reading_order(groups or []), fields or [], lang)
        return profile_cards(sections, lang)
