"""Simulation screen: the levers → a simulated score; the counter-offer search.

Thin: the scores come from :class:`model.simulation.Simulator` (the ``/predict`` path on the
client's changed rows), the pieces from :func:`callbacks.scoring.score_parts` and
:mod:`layouts.simulate`. Nothing here writes to the client's file, and no simulation is written to
the scoring log: a simulation is not an application. When the levers are exactly the client's
application, the screen shows the client's own score and reasons (the Score screen's), not a
re-score, and that display is logged by the Score screen's rule (:func:`callbacks.history.log_shown`).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import ALL, Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate

from callbacks.history import log_shown
from callbacks.scoring import cached_score, score_parts
from callbacks.state import client_of, lang_of
from layouts import ids
from layouts.chart_tables import table_id
from layouts.figures import empty_figure
from layouts.simulate import (
    SCREEN_LEVERS,
    amount_text,
    changes_list,
    offer_table,
    payment_text,
    same_amount,
    share_text,
    term_options,
)
from model.simulation import ANNUITY, CREDIT, GOODS, LEVERS, TERM, SimulationError, read_summary, whole_months
from model.text.formatting import AmountError, format_currency, parse_amount
from model.text.labels import feature_label
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import Services, StoreUnavailable, store_outage

#: What the result pieces show while nothing can be simulated (no client, a lever left empty).
_BLANK = (empty_figure(), None, None, None, None, None, None)
#: The largest amount a lever admits (:func:`model.simulation.check_levers`), as the message says it.
LARGEST_AMOUNT = 1e9


class LeverText(ValueError):
    """An amount box whose text is not an amount (or is empty): the field and what was typed."""

    def __init__(self, field: str, text: Any) -> None:
        super().__init__(f"{field}: {text!r}")
        self.field, self.text = field, text


def screen_levers(services: Services, client: int, values: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """The levers shown ({amount text, term, goods price text}) as the application's: each amount read in
    the page's language (the file's own when the same euros are shown), the term chosen (the client's
    own when none is), the monthly payment that follows at the client's rate, and the term itself.

    Raises :class:`LeverText` for an amount box that holds no amount, :class:`SimulationError` for a
    term not offered."""
    simulator = services.simulator
    own = simulator.levers(client)
    loan = simulator.loan(client)
    read: dict[str, float | None] = {}
    for name in (CREDIT, GOODS):
        try:
            typed = parse_amount(values.get(name), lang)
        except AmountError:
            raise LeverText(name, values.get(name)) from None
        if typed is None and own[name] is not None:
            raise LeverText(name, "")            # an emptied box: say so, never simulate the file's value silently
        read[name] = own[name] if same_amount(typed, own[name], lang) else typed
    if loan is None:                             # no payment in the file: the term cannot be simulated
        return {CREDIT: read[CREDIT], ANNUITY: own[ANNUITY], GOODS: read[GOODS], TERM: None}
    term = values.get(TERM)
    months = loan.term if term in (None, "") else whole_months(term)
    levers = simulator.levers_for(client, read[CREDIT], months, read[GOODS])
    return {**levers, TERM: months}


def simulation_view(services: Services, client: int, values: Mapping[str, Any], lang: Lang) -> tuple[Any, ...]:
    """Gauge, badge, PD, grade, changes, reasons, gauge table, payment line and error of the levers shown.

    The client's own application shows the client's own score and reasons (the Score screen's);
    anything else is scored through the ``/predict`` path and marked as a simulation."""
    simulator = services.simulator
    loan = simulator.loan(client)
    own = {**simulator.levers(client), TERM: loan.term if loan is not None else None}
    try:
        chosen = screen_levers(services, client, values, lang)
        if all(chosen[k] == own[k] for k in LEVERS):
            score, simulated = cached_score(services, client), False
            with store_outage("dashboard scores withheld (scoring log)"):
                log_shown(services, client, score)  # the client's score shown here too: its row, once per sign-in
        else:
            score = simulator.simulate(client, {k: chosen[k] for k in LEVERS if chosen[k] is not None}).score
            simulated = True
    except LeverText as exc:
        return (*_BLANK, None, lever_text_error(exc, lang))
    except SimulationError as exc:
        return (*_BLANK, None, simulation_error(exc, lang))
    except StoreUnavailable:
        return (*_BLANK, None, t("score.log_unavailable", lang))
    gauge, badge, probability, grade, _sentence, reasons, table = score_parts(services, score, lang,
                                                                              simulated=simulated)
    if not simulated:                            # the client's own score: not marked as a simulation
        probability = html.Span(probability, className="client-own").to_plotly_json()
    return (gauge, badge, probability, grade, changes_list(own, chosen, lang).to_plotly_json(), reasons, table,
            payment_text(loan, chosen, chosen[TERM], lang), None)


def lever_text_error(exc: LeverText, lang: Lang) -> str:
    """An amount box that holds no amount, in the page's language, with an example of one."""
    field = feature_label(exc.field, lang)
    if not str(exc.text or "").strip():
        return t("simulate.invalid", lang, field=field, largest=format_currency(LARGEST_AMOUNT, lang))
    return t("simulate.unreadable", lang, text=str(exc.text).strip()[:40], field=field,
             example=format_currency(250_000, lang))


def simulation_error(exc: SimulationError, lang: Lang) -> str:
    """The problem in the page's language, naming the field."""
    if exc.field == ANNUITY and "exceed" in str(exc):
        return t("simulate.annuity_above_credit", lang)
    if exc.field == TERM:
        return t("simulate.invalid_term", lang)
    field = feature_label(exc.field, lang) if exc.field in LEVERS else str(exc.field)
    return t("simulate.invalid", lang, field=field, largest=format_currency(LARGEST_AMOUNT, lang))


def shown_levers(levers: Mapping[str, Any], lang: Lang) -> list[Any]:
    """The screen's levers as their boxes show them: amounts formatted in the page's language, the term."""
    term = levers.get(TERM)
    return [amount_text(levers.get(CREDIT), lang), None if term is None else str(term),
            amount_text(levers.get(GOODS), lang)]


def reformatted(text: Any, old: Lang, new: Lang) -> Any:
    """An amount box's text in the page's new language (the text as it was when it is not an amount)."""
    try:
        value = parse_amount(text, old)
    except AmountError:
        return text
    return text if value is None else amount_text(value, new)


def register(app: Dash, services: Services) -> None:
    scorer, simulator = services.scorer, services.simulator
    lever_inputs = [ids.lever(n) for n in SCREEN_LEVERS]

    @app.callback(
        [Output(i, "value") for i in lever_inputs], Output(ids.lever(TERM), "options"),
        Input(ids.SIM_SCREEN, "data"), Input(ids.SIM_RESET, "n_clicks"),
        Input({"type": ids.OFFER_APPLY, "index": ALL}, "n_clicks"), Input(ids.LANG, "value"),
        State(ids.STATE, "data"), State(ids.OFFER_STORE, "data"), [State(i, "value") for i in lever_inputs],
    )
    def fill_levers(screen: str | None, _reset: Any, _apply: Any, lang_value: Any, state: dict[str, Any] | None,
                    offers: list[dict[str, float]] | None, *shown: Any) -> list[Any]:
        """The client's own values when the screen opens or on reset; a proposal's on its button; the
        same values in the other language on the language switch; nothing once the file is closed
        (another client is opened only from the search screen). Amounts are written as every screen
        writes them, the term's options are the data's terms with the client's own marked.

        Not an input of the client change itself: a callback less on the path of every client opened.
        """
        trigger = dash_ctx.triggered_id
        client = client_of(scorer, state)
        blank = all(v is None for v in shown)
        if client is None or screen == "search":
            if blank:               # nothing to clear: the hidden gauge is not redrawn for nothing
                raise PreventUpdate
            return [None] * len(SCREEN_LEVERS) + [[]]  # the file is closed: nothing of this client stays
        # the switch's value is the new language; the state still holds the one the boxes were written in
        lang = as_lang(lang_value) if trigger == ids.LANG else lang_of(state)
        loan = simulator.loan(client)
        options = term_options(simulator.term_options(client), loan.term if loan is not None else None, lang)
        if trigger == ids.LANG:
            if blank:
                raise PreventUpdate
            old = lang_of(state)
            return [reformatted(shown[0], old, lang), no_update, reformatted(shown[2], old, lang), options]
        if isinstance(trigger, dict) and trigger.get("type") == ids.OFFER_APPLY:
            if not dash_ctx.triggered[0].get("value") or not offers or trigger["index"] >= len(offers):
                raise PreventUpdate
            return [*shown_levers(offers[trigger["index"]], lang), options]
        if screen != "simulate" or (trigger == ids.SIM_SCREEN and not blank):
            raise PreventUpdate
        return [*shown_levers({**simulator.levers(client), TERM: loan.term if loan is not None else None}, lang),
                options]

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
        return simulation_view(services, client, dict(zip(SCREEN_LEVERS, values)), lang)

    @app.callback(
        Output(ids.OFFER_BODY, "children"), Output(ids.OFFER_STORE, "data"), Output(ids.OFFER_SHARE, "children"),
        Input(ids.OFFER_SEARCH, "n_clicks"), Input(ids.SIM_SCREEN, "data"), Input(ids.LANG, "value"),
        State(ids.STATE, "data"), State(ids.OFFER_BODY, "children"), State(ids.OFFER_SHARE, "children"),
    )
    def show_offer(clicks: Any, screen: Any, _lang: Any, state: dict[str, Any] | None, body: Any,
                   shown_share: Any) -> tuple[Any, ...]:
        trigger = dash_ctx.triggered_id
        if trigger == ids.SIM_SCREEN and screen != "search":
            raise PreventUpdate               # the proposals stay while the file is open
        lang, client = lang_of(state), client_of(scorer, state)
        share = share_text(read_summary(services.settings.drift_dir, scorer.version), lang)
        if client is None or trigger != ids.OFFER_SEARCH or not clicks:
            if body is None and share == shown_share:
                raise PreventUpdate           # nothing to clear or translate: no redraw
            return None, [], share                # the file closed or another language: proposals gone
        offer = simulator.counter_offer(client)
        return (offer_table(offer, lang).to_plotly_json(), [{**p.levers, TERM: p.term} for p in offer.proposals],
                share)
