"""Score and Why screens: gauge, decision, waterfall and sentences of the chosen client.

The Score object is cached by (model version, client); each screen's rendered payload by
(model version, client, language[, expert]) — so a client shown again, or in the other
language, costs no model call.
"""
from __future__ import annotations

from typing import Any

from dash import Input, Output

from callbacks.context import Context, client_of, lang_of
from layouts import ids
from layouts import score as score_layout
from layouts import why as why_layout
from layouts.figures import empty_figure, gauge_figure, waterfall_figure
from model.explain import OTHER
from model.text.formatting import format_percent
from model.text.labels import feature_info, format_info_value
from model.text.narrative import decision_sentence, top_factors
from model.text.strings import t


def cached_score(ctx: Context, client: int):
    key = f"score:{ctx.scorer.version}:{client}"
    score = ctx.cache.get(key)
    if score is None:
        score = ctx.scorer.score_client(client)
        ctx.cache.set(key, score)
    return score


def waterfall_bars(explanation, n: int, lang: str, expert: bool) -> list[dict[str, Any]]:
    """Top-n bars + one "other factors" bar, labelled for people (or with raw names in expert mode)."""
    bars = []
    top = explanation.top(n)
    for c in top:
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


def register(app, ctx: Context) -> None:
    @app.callback(
        Output(ids.GAUGE, "figure"), Output(ids.DECISION, "children"), Output(ids.PROBABILITY_TEXT, "children"),
        Output(ids.DECISION_SENTENCE, "children"), Output(ids.SCORE_EMPTY, "hidden"),
        Input(ids.STATE, "data"),
    )
    def show_score(state):
        lang, client = lang_of(state), client_of(ctx, state)
        if client is None:
            return empty_figure(), None, None, None, False
        key = f"score-view:{ctx.scorer.version}:{client}:{lang}"
        view = ctx.cache.get(key)
        if view is None:
            s = cached_score(ctx, client)
            view = (gauge_figure(s.probability, s.threshold, lang),
                    score_layout.decision_badge(s.decision, lang).to_plotly_json(),
                    t("score.probability_value", lang, probability=format_percent(s.probability, lang, 1)),
                    decision_sentence(s.probability, s.threshold, lang))
            ctx.cache.set(key, view)
        if ctx.services.scoring_log.enabled:
            ctx.services.scoring_log.log(cached_score(ctx, client), ctx.scorer.feature_values(client), "dashboard")
        return (*view, True)

    @app.callback(
        Output(ids.WATERFALL, "figure"), Output(ids.RAISING, "children"), Output(ids.LOWERING, "children"),
        Input(ids.STATE, "data"), Input(ids.EXPERT, "value"),
    )
    def show_why(state, expert):
        lang, client = lang_of(state), client_of(ctx, state)
        if client is None:
            return empty_figure(t("search.no_client", lang)), None, None
        expert = bool(expert)
        key = f"why-view:{ctx.scorer.version}:{client}:{lang}:{int(expert)}"
        view = ctx.cache.get(key)
        if view is None:
            s = cached_score(ctx, client)
            e = s.explanation
            bars = waterfall_bars(e, ctx.settings.top_factors, lang, expert)
            if expert:
                fig = waterfall_figure(e.base_log_odds, bars, e.raw_score, lang, unit="log_odds")
            else:
                fig = waterfall_figure(e.base_probability, bars, s.probability, lang)
            up, down = top_factors(e, ctx.scorer.typical, lang, n=3)
            empty = t("explain.no_factor", lang)
            view = (fig,
                    why_layout.factor_list([f.sentence for f in up], "up", empty).to_plotly_json(),
                    why_layout.factor_list([f.sentence for f in down], "down", empty).to_plotly_json())
            ctx.cache.set(key, view)
        return view
