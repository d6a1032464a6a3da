"""Score and Why screens: gauge, decision, waterfall and sentences of the chosen client.

The Score object is cached by (model version, client); each screen's rendered payload by
(model version, client, language[, expert]) — so a client shown again, or in the other
language, costs no model call.
"""
from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output

from callbacks.state import client_of, lang_of
from layouts import ids
from layouts import why as why_layout
from layouts.decisions import decision_badge
from layouts.figures import empty_figure, gauge_figure, waterfall_figure
from model.explain import OTHER, Explanation
from model.scoring import Score
from model.text.formatting import format_percent
from model.text.labels import feature_info, format_info_value
from model.text.languages import Lang
from model.text.narrative import decision_sentence, top_factors
from model.text.strings import t
from services import Services


def cached_score(services: Services, client: int) -> Score:
    return services.views.get_or_compute("score", (client,), lambda: services.scorer.score_client(client))


def waterfall_bars(explanation: Explanation, n: int, lang: Lang, expert: bool) -> list[dict[str, Any]]:
    """Top-n bars + one "other factors" bar, labelled for people (or with raw names in expert mode)."""
    bars = []
    for c in explanation.top(n):
        if c.feature == OTHER:
            others = c.value      # the "other factors" bar carries how many factors it groups
            label = t("explain.other_count", lang, count=others) if not expert else f"{OTHER} ({others})"
            bars.append({"feature": OTHER, "label": label, "delta": c.log_odds if expert else c.probability})
            continue
        info = feature_info(c.feature)
        value = format_info_value(info, c.value, lang)
        label = f"{c.feature} = {value}" if expert else t("explain.factor_value", lang, label=info.label(lang),
                                                           value=value)
        bars.append({"feature": c.feature, "label": label, "delta": c.log_odds if expert else c.probability})
    return bars


def score_view(services: Services, client: int, lang: Lang) -> tuple[Any, ...]:
    """Gauge, decision badge, probability line and decision sentence, as plain JSON."""
    s = cached_score(services, client)
    return (gauge_figure(s.probability, s.threshold, lang),
            decision_badge(s.decision, lang).to_plotly_json(),
            t("score.probability_value", lang, probability=format_percent(s.probability, lang, 1)),
            decision_sentence(s.probability, s.threshold, lang))


def why_view(services: Services, client: int, lang: Lang, expert: bool) -> tuple[Any, ...]:
    """Waterfall and the raising / lowering sentences, as plain JSON."""
    s = cached_score(services, client)
    e = s.explanation
    bars = waterfall_bars(e, services.settings.top_factors, lang, expert)
    if expert:
        fig = waterfall_figure(e.base_log_odds, bars, e.raw_score, lang, unit="log_odds")
    else:
        fig = waterfall_figure(e.base_probability, bars, s.probability, lang)
    up, down = top_factors(e, services.scorer.typical, lang, n=3)
    empty = t("explain.no_factor", lang)
    return (fig,
            why_layout.factor_list([f.sentence for f in up], "up", empty).to_plotly_json(),
            why_layout.factor_list([f.sentence for f in down], "down", empty).to_plotly_json())


def register(app: Dash, services: Services) -> None:
    scorer, views = services.scorer, services.views

    @app.callback(
        Output(ids.GAUGE, "figure"), Output(ids.DECISION, "children"), Output(ids.PROBABILITY_TEXT, "children"),
        Output(ids.DECISION_SENTENCE, "children"), Output(ids.SCORE_EMPTY, "hidden"),
        Input(ids.STATE, "data"),
    )
    def show_score(state: dict[str, Any] | None) -> tuple[Any, ...]:
        lang, client = lang_of(state), client_of(scorer, state)
        if client is None:
            return empty_figure(), None, None, None, False
        view = views.get_or_compute("score-view", (client, lang), lambda: score_view(services, client, lang))
        if services.scoring_log.enabled:
            services.scoring_log.log(cached_score(services, client), scorer.feature_values(client), "dashboard")
        return (*view, True)

    @app.callback(
        Output(ids.WATERFALL, "figure"), Output(ids.RAISING, "children"), Output(ids.LOWERING, "children"),
        Input(ids.STATE, "data"), Input(ids.EXPERT, "value"),
    )
    def show_why(state: dict[str, Any] | None, expert: Any) -> tuple[Any, ...]:
        lang, client = lang_of(state), client_of(scorer, state)
        if client is None:
            return empty_figure(t("search.no_client", lang)), None, None
        on = bool(expert)
        return views.get_or_compute("why-view", (client, lang, int(on)), lambda: why_view(services, client, lang, on))
