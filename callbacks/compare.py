"""Compare: the client within all clients and within its similar group, for a chosen feature.

Drawn when the screen is shown (its view store, callbacks/shell.py), blanked when its file is closed.
Every bar and colour stands for ``min_group_size`` clients or more (model/clients/similar.py)."""
from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.state import client_of, lang_of
from layouts import ids
from layouts.chart_tables import distribution_table, position_table, table_id
from layouts.compare import summary_block, too_small
from layouts.figures import distribution_figure, empty_figure, position_figure
from model.clients.similar import OTHER_LEVELS, OUTCOMES, WITHHELD, GroupSummary, GroupTooSmall
from model.text.formatting import format_currency, format_number, format_ordinal, format_percent, is_missing
from model.text.labels import (
    FeatureInfo,
    axis_label,
    display_value,
    feature_info,
    feature_label,
    format_info_value,
    level_label,
)
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import Services

#: Units drawn in % on the chart's axis ("(%)" in its title): the dictionary holds them as fractions.
PERCENT_UNITS = frozenset({"ratio", "percent", "rate"})


def axis_scale(info: FeatureInfo) -> float:
    """Factor from display units to the chart's axis units (fractions → %)."""
    return 100.0 if info.unit in PERCENT_UNITS else 1.0


def bin_words(info: FeatureInfo, low: float, high: float, lang: Lang = "fr") -> str:
    """A histogram bin in words, in the axis units: "30 à 35", "10 000 € à 20 000 €", "25 % à 30 %";
    one value for a bin of one whole number (counts, flags): "2", whole values for merged ones: "0 à 3"."""
    width = abs(high - low)
    if width >= 1 and float(low + 0.5).is_integer() and float(high - 0.5).is_integer() and info.unit != "currency" \
            and info.unit not in PERCENT_UNITS:
        # bins of whole values (counts, flags: one bin per value, or merged neighbours): "2", "0 à 3"
        first, last = low + 0.5, high - 0.5
        if first == last:
            return format_number(first, lang)
        return t("charts.range", lang, low=format_number(first, lang), high=format_number(last, lang))
    if info.unit == "currency":
        return t("charts.range", lang, low=format_currency(low, lang), high=format_currency(high, lang))
    dec = 0 if width >= 5 else 1 if width >= 0.5 else 2 if width >= 0.05 else 3
    if info.unit in PERCENT_UNITS:           # already in % (axis units)
        return t("charts.range", lang, low=format_percent(low / 100, lang, dec), high=format_percent(high / 100, lang, dec))
    return t("charts.range", lang, low=format_number(low, lang, dec), high=format_number(high, lang, dec))


def panel(summary: GroupSummary, title: str, lang: Lang = "fr") -> dict[str, Any]:
    """Chart data of one group summary, in axis units (years, €, % …), with each bin in words; the
    outcome counts and the clients whose outcome is withheld (a small split, see model/clients/similar.py)."""
    n = len(summary.levels or []) if summary.kind == "category" else max(0, len(summary.edges or []) - 1)
    out: dict[str, Any] = {"title": title, **{k: list(summary.counts.get(k) or [0] * n) for k in (*OUTCOMES, WITHHELD)}}
    info = feature_info(summary.feature)
    if summary.kind == "category":
        words = [t("compare.other_levels", lang) if lv == OTHER_LEVELS else level_label(info.source or info.name, lv, lang)
                 for lv in summary.levels or []]
        out.update(x=words, labels=words, width=None)
        return out
    e = summary.edges or []
    k = axis_scale(info)
    centres, widths, labels, keep = [], [], [], []
    for i in range(len(e) - 1):
        a, b = display_value(summary.feature, e[i]), display_value(summary.feature, e[i + 1])
        if a is None or b is None:
            continue
        a, b = sorted((a * k, b * k))
        keep.append(i)
        centres.append((a + b) / 2)
        widths.append((b - a) * 0.95)
        labels.append(bin_words(info, a, b, lang))
    for key in (*OUTCOMES, WITHHELD):
        out[key] = [out[key][i] for i in keep]
    out.update(x=centres, width=widths, labels=labels)
    return out


EMPTY = empty_figure()


def register(app: Dash, services: Services) -> None:
    choices = services.clients.compare_features   # model/clients/book.py: readable fields first

    @app.callback(Output(ids.COMPARE_FEATURE, "options"), Output(ids.COMPARE_FEATURE, "value"),
                  Input(ids.LANG, "value"), State(ids.COMPARE_FEATURE, "value"))
    def feature_options(value: Any, current: str | None) -> tuple[list[dict[str, str]], Any]:
        """The choices in the page's language; the value set only when it is not one of them (setting
        it again would redraw the comparison for nothing)."""
        lang = as_lang(value)
        options = [{"label": feature_label(f, lang), "value": f} for f in choices]
        return options, no_update if current in choices else (choices or [None])[0]

    @app.callback(
        Output(ids.COMPARE_DISTRIBUTION, "figure"), Output(ids.COMPARE_SUMMARY, "children"),
        Output(ids.COMPARE_MESSAGE, "children"), Output(ids.COMPARE_PROFILE, "figure"),
        Output(table_id(ids.COMPARE_DISTRIBUTION), "children"), Output(table_id(ids.COMPARE_PROFILE), "children"),
        Input(ids.view("compare"), "data"), Input(ids.COMPARE_FEATURE, "value"),
        State(ids.COMPARE_SUMMARY, "children"), prevent_initial_call=True,
    )
    def compare(view: dict[str, Any] | None, feature: str | None, shown: Any) -> tuple[Any, ...]:
        """The comparison of the screen's view {lang, client}; blank once its file is closed."""
        lang, client = lang_of(view), client_of(services.scorer, view)
        if client is None or feature is None or feature not in choices:
            if shown is None:
                raise PreventUpdate           # already blank: nothing redrawn
            return EMPTY, None, None, EMPTY, None, None
        return services.views.get_or_compute("compare-view", (client, feature, lang),
                                             lambda: compare_view(services, client, feature, lang))


def compare_view(services: Services, client: int, feature: str, lang: Lang) -> tuple[Any, ...]:
    """Distribution chart, summary lines, too-small message, position chart and the two charts'
    tables, as plain JSON."""
    idx = services.clients.similar
    population = services.scorer.population
    k = services.settings.similar_group_size
    group = idx.neighbours(client, k)
    info = feature_info(feature)
    raw = population.at[client, feature]
    client_words = format_info_value(info, raw, lang)
    lines = [t("compare.client_value", lang, value=client_words)]
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
    client_x: float | str | None
    if info.kind == "category":
        client_x = None if is_missing(raw) else level_label(info.source or info.name, raw, lang)
    else:
        shown = display_value(feature, raw)
        client_x = None if shown is None else shown * axis_scale(info)
        pct = idx.percentile(feature, None if shown is None else float(raw))
        if pct is not None:
            lines.append(t("charts.client_position", lang, ordinal=format_ordinal(int(round(pct)), lang)))
    if client_x is None:
        lines.append(t("charts.client_missing", lang))
    lines.append(t("compare.small_groups", lang, count=idx.min_group_size))
    x_title = axis_label(feature, lang)
    fig = distribution_figure(panels, client_x, x_title, lang, client_text=client_words).to_plotly_json()
    dist_table = distribution_table(panels, x_title, lang).to_plotly_json()
    # the client against the group's medians, as percentiles of all clients
    position, pos_table = empty_figure(), None
    if message is None:
        feats = services.clients.position_features
        medians = idx.medians(group, feats)
        values = population.loc[client, feats]
        rows = [{"label": feature_label(f, lang),
                 "client": idx.percentile(f, None if values[f] != values[f] else float(values[f])),
                 "group": idx.percentile(f, medians[f])} for f in feats]
        position = position_figure(rows, lang).to_plotly_json()
        pos_table = position_table(rows, lang).to_plotly_json()
    return (fig, summary_block(lines).to_plotly_json(), message and message.to_plotly_json(), position,
            dist_table, pos_table)
