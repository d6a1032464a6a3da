"""Score and Why screens: gauge, decision, waterfall and sentences of the chosen client.

The Score object is cached by (model version, client); each screen's rendered payload by
(model version, client, language[, expert]) — so a client shown again, or in the other
language, costs no model call.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from dash import Dash, Input, Output, State

from callbacks.history import log_shown
from callbacks.state import client_of, lang_of
from layouts import ids
from layouts import why as why_layout
from layouts.chart_tables import gauge_table, table_id, waterfall_table
from layouts.decisions import decision_badge
from layouts.figures import empty_figure, gauge_figure, waterfall_figure
from layouts.file import review_note
from layouts.score import reasons_block
from model.concepts import concept_top
from model.decision import Decision
from model.explain import OTHER, Explanation
from model.monitoring.reviews import latest_decision
from model.narrative import concept_factors, decision_sentence, top_factors
from model.scoring import Score
from model.text.formatting import format_percent
from model.text.labels import feature_info, format_info_value
from model.text.languages import Lang
from model.text.strings import t
from services import Services, StoreUnavailable, store_outage


def _json(component: Any) -> Any:
    return None if component is None else component.to_plotly_json()


def cached_score(services: Services, client: int) -> Score:
    return services.views.get_or_compute("score", (client,), lambda: services.scorer.score_client(client))


def concept_bars(explanation: Explanation, n: int, lang: Lang, untold: Collection[str] = ()) -> list[dict[str, Any]]:
    """Top-n concepts + one "other factors" bar, for the client: one bar per idea, so the same
    information never appears twice pulling both ways; the bars sum exactly to PD − start. A concept
    never told to a client (``untold``: protected, or not a reason) has no bar of its own."""
    bars = []
    for c in concept_top(explanation, n, untold):
        label = c.label(lang)
        if c.missing:
            label = f"{label} ({t('common.not_provided', lang)})"
        bars.append({"feature": c.code, "label": label, "delta": c.probability})
    return bars


def waterfall_bars(explanation: Explanation, n: int, lang: Lang, expert: bool) -> list[dict[str, Any]]:
    """Top-n feature bars + one "other factors" bar, with raw names in expert mode."""
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


def score_view(services: Services, client: int, lang: Lang, reviewed: Decision | None = None) -> tuple[Any, ...]:
    """Gauge, decision badge, probability line and decision sentence, as plain JSON (the decision
    after review, ``reviewed``, as the headline)."""
    return score_parts(services, cached_score(services, client).with_review(reviewed), lang)


def score_parts(services: Services, s: Score, lang: Lang, simulated: bool = False) -> tuple[Any, ...]:
    """The Score screen's pieces of any score, the client's own or a simulated one (the same words,
    the same gauge: a simulation is marked as such, not drawn differently)."""
    grades = services.scorer.master_scale.labels
    probability = "simulate.probability_value" if simulated else "score.probability_value"
    return (gauge_figure(s.probability, s.rule, lang, simulated=simulated),
            decision_badge(s.decision, lang,
                           s.model_decision if s.reviewed_decision is not None else None).to_plotly_json(),
            t(probability, lang, probability=format_percent(s.probability, lang, 1)),
            t("score.grade_value", lang, grade=s.grade, last=grades[-1]),
            decision_sentence(s.probability, s.rule, lang, s.reviewed_decision),
            _json(reasons_block([r.text(lang) for r in s.reasons], lang)),
            gauge_table(s.probability, s.rule, lang).to_plotly_json())


def why_view(services: Services, client: int, lang: Lang, expert: bool) -> tuple[Any, ...]:
    """Waterfall, the raising / lowering sentences and the waterfall's table, as plain JSON."""
    s = cached_score(services, client)
    e = s.explanation
    n = services.settings.top_factors
    empty = t("explain.no_factor", lang)
    if expert:
        fig = waterfall_figure(e.base_log_odds, waterfall_bars(e, n, lang, True), e.raw_score, lang, unit="log_odds")
        up, down = top_factors(e, services.scorer.typical, lang, n=3)
        raising, lowering = [f.sentence for f in up], [f.sentence for f in down]
    else:
        fig = waterfall_figure(e.base_probability, concept_bars(e, n, lang, services.scorer.reason_policy.untold),
                               s.probability, lang)
        # the score's own ranked factors (its reasons on every screen) and what helps, tellable concepts only
        up_c, down_c = concept_factors(s.factors, services.scorer.reason_policy.helps(e), lang)
        raising, lowering = [f.sentence for f in up_c], [f.sentence for f in down_c]
    return (fig,
            why_layout.factor_list(raising, "up", empty).to_plotly_json(),
            why_layout.factor_list(lowering, "down", empty).to_plotly_json(),
            waterfall_table(fig, lang).to_plotly_json())


def register(app: Dash, services: Services) -> None:
    scorer, views = services.scorer, services.views

    @app.callback(
        Output(ids.GAUGE, "figure"), Output(ids.DECISION, "children"), Output(ids.PROBABILITY_TEXT, "children"),
        Output(ids.GRADE_TEXT, "children"), Output(ids.DECISION_SENTENCE, "children"), Output(ids.REASONS, "children"),
        Output(table_id(ids.GAUGE), "children"), Output(ids.SCORE_EMPTY, "hidden"), Output(ids.SCORE_REVIEW, "children"),
        # the screen's view {lang, client}: set when the Score screen is shown (callbacks/shell.py)
        Input(ids.view("score"), "data"), prevent_initial_call=True,
    )
    def show_score(state: dict[str, Any] | None) -> tuple[Any, ...]:
        lang, client = lang_of(state), client_of(scorer, state)
        if client is None:
            return empty_figure(), None, None, None, None, None, None, False, None
        try:
            with store_outage("dashboard scores withheld (scoring log)"):
                log_shown(services, client, cached_score(services, client))   # once per sign-in, client and model
                # read live, not cached: a review recorded a minute ago shows at once, and is the headline
                reviews = services.reviews.for_client(client)
        except StoreUnavailable:
            # no score is shown without its log row (docs/scoring-log.md): the message instead of the score
            message = t("score.log_unavailable", lang)
            # the gauge's own line is short: a long one is cut at the figure's edges
            return empty_figure(t("score.unavailable_short", lang)), None, None, None, message, None, None, True, None
        reviewed = latest_decision(reviews)
        view = views.get_or_compute("score-view", (client, lang, reviewed or ""),
                                    lambda: score_view(services, client, lang, reviewed))
        return (*view, True, _json(review_note(reviews, lang)))

    @app.callback(
        Output(ids.WATERFALL, "figure"), Output(ids.RAISING, "children"), Output(ids.LOWERING, "children"),
        Output(table_id(ids.WATERFALL), "children"),
        # the screen's view {lang, client, expert}: set when the Why screen is shown (callbacks/shell.py)
        Input(ids.view("why"), "data"), State(ids.EXPERT, "value"), prevent_initial_call=True,
    )
    def show_why(state: dict[str, Any] | None, expert: Any) -> tuple[Any, ...]:
        expert = bool(expert) and bool((state or {}).get("expert"))   # the expert mode: in the back office only
        lang, client = lang_of(state), client_of(scorer, state)
        if client is None:
            return empty_figure(t("search.no_client", lang)), None, None, None
        on = bool(expert)
        return views.get_or_compute("why-view", (client, lang, int(on)), lambda: why_view(services, client, lang, on))
