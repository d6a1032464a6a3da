"""Profile: the client's information by group, groups and fields chosen by the manager."""
from __future__ import annotations

from dash import Input, Output, State

from callbacks.context import Context, as_lang, client_of, lang_of, off_screen
from layouts import ids
from layouts.profile import profile_cards
from model.clients.directory import profile_fields, profile_sections
from model.text.strings import t


def register(app, ctx: Context) -> None:
    @app.callback(Output(ids.PROFILE_FIELDS, "options"), Output(ids.PROFILE_FIELDS, "placeholder"),
                  Input(ids.PROFILE_GROUPS, "value"), Input(ids.LANG, "value"))
    def field_options(groups, lang):
        lang = as_lang(lang)
        fields = profile_fields(ctx.scorer.features, ctx.importance_order, groups or [], per_group=None)
        from model.text.labels import feature_label
        return ([{"label": feature_label(f, lang), "value": f} for g in fields for f in fields[g]],
                t("filter.any", lang))

    @app.callback(Output(ids.PROFILE_BODY, "children"),
                  Input(ids.STATE, "data"), Input(ids.PROFILE_GROUPS, "value"), Input(ids.PROFILE_FIELDS, "value"),
                  Input(ids.TABS, "active_tab"), State(ids.PROFILE_BODY, "children"))
    def show_profile(state, groups, fields, tab, shown):
        blank = off_screen(tab, "profile", (None,), is_blank=shown is None)
        if blank is not None:
            return blank[0]
        lang, client = lang_of(state), client_of(ctx, state)
        if client is None:
            return t("search.no_client", lang)
        row = ctx.scorer.features_of(client).iloc[0]
        sections = profile_sections(row, ctx.scorer.features, ctx.importance_order, groups or [], fields or [], lang)
        return profile_cards(sections, lang)
