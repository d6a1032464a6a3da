"""Simulation screen: the levers → a simulated score; the counter-offer search.

Thin: the scores come from :class:`model.simulation.Simulator` (the ``/predict`` path on the
client's changed rows), the pieces from :func:`callbacks.scoring.score_parts` and
:mod:`layouts.simulate`. Nothing here writes to the client's file or to the scoring log: a
simulation is not an application.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import ALL, Dash, Input, Output, State, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from callbacks.scoring import score_parts
from callbacks.state import client_of, lang_of
from layouts import ids
from layouts.chart_tables import table_id
from layouts.figures import empty_figure
from layouts.simulate import changes_list, offer_table, share_text, term_text
from model.simulation import ANNUITY, LEVERS, SimulationError, read_summary
from model.text.labels import feature_label
from model.text.languages import Lang
from model.text.strings import t
from services import Services

#: What the result pieces show while nothing can be simulated (no client, a lever left empty).
_BLANK = (empty_figure(), None, None, None, None, None, None)


def simulation_view(services: Services, client: int, values: Mapping[str, Any], lang: Lang) -> tuple[Any, ...]:
    """Gauge, badge, PD, grade, changes, reasons, gauge table, term and error of one simulation."""
    try:
        sim = services.simulator.simulate(client, {k: v for k, v in values.items() if v is not None})
    except SimulationError as exc:
        return (*_BLANK, term_text(values, lang), simulation_error(exc, lang))
    gauge, badge, probability, grade, _sentence, reasons, table = score_parts(services, sim.score, lang,
                                                                              simulated=True)
    changes = changes_list(services.simulator.levers(client), sim.levers, sim.changed, lang)
    return (gauge, badge, probability, grade, changes.to_plotly_json() if changes else None, reasons, table,
            term_text(sim.levers, lang), None)


def simulation_error(exc: SimulationError, lang: Lang) -> str:
    """The problem in the page's language, naming the field."""
    if exc.field == ANNUITY and "exceed" in str(exc):
        return t("simulate.annuity_above_credit", lang)
    return t("simulate.invalid", lang, field=feature_label(exc.field, lang) if exc.field in LEVERS else exc.field)


def register(app: Dash, services: Services) -> None:
    scorer, simulator = services.scorer, services.simulator
    lever_inputs = [ids.lever(n) for n in LEVERS]

    @app.callback(
        [Output(i, "value") for i in lever_inputs],
        Input(ids.SCREEN, "data"), Input(ids.SIM_RESET, "n_clicks"),
        Input({"type": ids.OFFER_APPLY, "index": ALL}, "n_clicks"),
        State(ids.STATE, "data"), State(ids.OFFER_STORE, "data"), [State(i, "value") for i in lever_inputs],
    )
    def fill_levers(screen: str | None, _reset: Any, _apply: Any, state: dict[str, Any] | None,
                    offers: list[dict[str, float]] | None, *shown: Any) -> list[Any]:
        """The client's own values when the screen opens or on reset; a proposal's on its button;
        nothing once the file is closed (another client is opened only from the search screen).

        Not an input of the client change itself: a callback less on the path of every client opened.
        """
        trigger = dash_ctx.triggered_id
        client = client_of(scorer, state)
        blank = all(v is None for v in shown)
        if client is None or screen == "search":
            if blank:               # nothing to clear: the hidden gauge is not redrawn for nothing
                raise PreventUpdate
            return [None] * len(LEVERS)          # the file is closed: nothing of this client stays
        if isinstance(trigger, dict) and trigger.get("type") == ids.OFFER_APPLY:
            if not dash_ctx.triggered[0].get("value") or not offers or trigger["index"] >= len(offers):
                raise PreventUpdate
            chosen = offers[trigger["index"]]
            return [chosen.get(n, no_update) for n in LEVERS]
        if screen != "simulate" or (trigger == ids.SCREEN and not blank):
            raise PreventUpdate
        levers = simulator.levers(client)
        return [levers[n] for n in LEVERS]

    @app.callback(
        Output(ids.SIM_GAUGE, "figure"), Output(ids.SIM_DECISION, "children"), Output(ids.SIM_PROBABILITY, "children"),
        Output(ids.SIM_GRADE, "children"), Output(ids.SIM_CHANGES, "children"), Output(ids.SIM_REASONS, "children"),
        Output(table_id(ids.SIM_GAUGE), "children"), Output(ids.SIM_TERM, "children"), Output(ids.SIM_ERROR, "children"),
        [Input(i, "value") for i in lever_inputs], Input(ids.STATE, "data"), State(ids.SIM_PROBABILITY, "children"),
    )
    def show_simulation(*args: Any) -> tuple[Any, ...]:
        *values, state, shown = args
        lang, client = lang_of(state), client_of(scorer, state)
        if client is None or all(v is None for v in values):
            if shown is None:       # already blank: no redraw of the hidden gauge
                raise PreventUpdate
            return (*_BLANK, None, None)
        return simulation_view(services, client, dict(zip(LEVERS, values)), lang)

    @app.callback(
        Output(ids.OFFER_BODY, "children"), Output(ids.OFFER_STORE, "data"), Output(ids.OFFER_SHARE, "children"),
        Input(ids.OFFER_SEARCH, "n_clicks"), Input(ids.SCREEN, "data"), Input(ids.LANG, "value"),
        State(ids.STATE, "data"), State(ids.OFFER_BODY, "children"), State(ids.OFFER_SHARE, "children"),
    )
    def show_offer(clicks: Any, screen: Any, _lang: Any, state: dict[str, Any] | None, body: Any,
                   shown_share: Any) -> tuple[Any, ...]:
        trigger = dash_ctx.triggered_id
        if trigger == ids.SCREEN and screen != "search":
            raise PreventUpdate               # the proposals stay while the file is open
        lang, client = lang_of(state), client_of(scorer, state)
        share = share_text(read_summary(services.settings.drift_dir, scorer.version), lang)
        if client is None or trigger != ids.OFFER_SEARCH or not clicks:
            if body is None and share == shown_share:
                raise PreventUpdate           # nothing to clear or translate: no redraw
            return None, [], share                # the file closed or another language: proposals gone
        offer = simulator.counter_offer(client)
        return (offer_table(offer, lang).to_plotly_json(), [dict(p.levers) for p in offer.proposals], share)
