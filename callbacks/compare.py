"""Compare: the client within all clients and within its similar group, for a chosen feature."""
from __future__ import annotations

from typing import Any

import numpy as np
from dash import Dash, Input, Output, State

from callbacks.state import client_of, lang_of, off_screen
from layouts import ids
from layouts.compare import summary_block, too_small
from layouts.figures import distribution_figure, empty_figure, position_figure
from model.clients.similar import GroupSummary, GroupTooSmall
from model.text.formatting import format_percent
from model.text.labels import axis_label, display_value, feature_info, feature_label, format_info_value, level_label
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import Services


def panel(summary: GroupSummary, title: str, lang: Lang = "fr") -> dict[str, Any]:
    """Chart data of one group summary, in display units (years, €, …)."""
    out = {"title": title, "repaid": summary.counts["repaid"], "defaulted": summary.counts["defaulted"],
           "unknown": summary.counts["unknown"]}
    if summary.kind == "category":
        info = feature_info(summary.feature)
        out.update(x=[level_label(info.source or info.name, lv, lang) for lv in summary.levels], width=None)
        return out
    e = summary.edges
    centres, widths, keep = [], [], []
    for i in range(len(e) - 1):
        a, b = display_value(summary.feature, e[i]), display_value(summary.feature, e[i + 1])
        if a is None or b is None:
            continue
        keep.append(i)
        centres.append((a + b) / 2)
        widths.append(abs(b - a) * 0.95)
    for k in ("repaid", "defaulted", "unknown"):
        out[k] = [out[k][i] for i in keep]
    out.update(x=centres, width=widths)
    return out


EMPTY = empty_figure()


def register(app: Dash, services: Services) -> None:
    choices = services.clients.compare_features

    @app.callback(Output(ids.COMPARE_FEATURE, "options"), Output(ids.COMPARE_FEATURE, "value"),
                  Input(ids.LANG, "value"), State(ids.COMPARE_FEATURE, "value"))
    def feature_options(value: Any, current: str | None) -> tuple[list[dict[str, str]], str | None]:
        lang = as_lang(value)
        options = [{"label": feature_label(f, lang), "value": f} for f in choices]
        return options, current if current in choices else (choices or [None])[0]

    @app.callback(
        Output(ids.COMPARE_DISTRIBUTION, "figure"), Output(ids.COMPARE_SUMMARY, "children"),
        Output(ids.COMPARE_MESSAGE, "children"), Output(ids.COMPARE_PROFILE, "figure"),
        Input(ids.STATE, "data"), Input(ids.COMPARE_FEATURE, "value"), Input(ids.TABS, "active_tab"),
        State(ids.COMPARE_SUMMARY, "children"),
    )
    def compare(state: dict[str, Any] | None, feature: str | None, tab: str | None, shown: Any) -> tuple[Any, ...]:
        lang, client = lang_of(state), client_of(services.scorer, state)
        if client is None or feature is None or feature not in services.scorer.features:
            return empty_figure(t("search.no_client", lang)), None, None, empty_figure()
        blank = off_screen(tab, "compare", (EMPTY, None, None, EMPTY), is_blank=shown is None)
        if blank is not None:
            return blank
        return services.views.get_or_compute("compare-view", (client, feature, lang),
                                             lambda: compare_view(services, client, feature, lang))


def compare_view(services: Services, client: int, feature: str, lang: Lang) -> tuple[Any, ...]:
    """Distribution chart, summary lines, too-small message and position chart, as plain JSON."""
    idx = services.clients.similar
    population = services.scorer.population
    k = services.settings.similar_group_size
    group = idx.neighbours(client, k)
    info = feature_info(feature)
    raw = population.at[client, feature]
    lines = [t("compare.client_value", lang, value=format_info_value(info, raw, lang))]
    everyone = idx.group_summary(None, feature)
    panels = [panel(everyone, t("compare.all_clients", lang), lang)]
    message = None
    try:
        similar = idx.group_summary(group, feature)
        panels.append(panel(similar, t("compare.similar_count", lang, count=similar.size), lang))
        rate = similar.default_rate
        lines.append(t("compare.similar_default_rate", lang, count=similar.size,
                       rate=format_percent(rate, lang, 1)) if rate is not None else t("compare.no_default_rate", lang))
    except GroupTooSmall as exc:
        message = too_small(exc.size, exc.minimum, lang)
    if everyone.default_rate is not None:
        lines.append(t("compare.all_default_rate", lang, rate=format_percent(everyone.default_rate, lang, 1)))
    if info.kind == "category":
        client_x = None if raw is None or (isinstance(raw, float) and np.isnan(raw)) else \
            level_label(info.source or info.name, raw, lang)
    else:
        client_x = display_value(feature, raw)
        pct = idx.percentile(feature, None if client_x is None else float(raw))
        if pct is not None:
            lines.append(t("compare.client_position", lang, percentile=int(round(pct))))
    fig = distribution_figure(panels, client_x, axis_label(feature, lang), lang).to_plotly_json()
    # the client against the group's medians, as percentiles of all clients
    position = empty_figure()
    if message is None:
        feats = services.clients.position_features
        medians = idx.medians(group, feats)
        values = population.loc[client, feats]
        rows = [{"label": feature_label(f, lang),
                 "client": idx.percentile(f, None if values[f] != values[f] else float(values[f])),
                 "group": idx.percentile(f, medians[f])} for f in feats]
        position = position_figure(rows, lang).to_plotly_json()
    return fig, summary_block(lines).to_plotly_json(), message and message.to_plotly_json(), position
