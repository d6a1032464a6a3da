"""Simulation: the levers a client can change, the simulated score, and the counter-offer.

Everything on this screen is marked "simulation": a simulated score is what the changed
application would get if it were filed, never the client's file, which stays as it is.

The levers are the client's words: an amount and a goods price written as every other screen
writes amounts ("249 400 €" / "€249,400") and read back in the page's language
(:func:`model.text.formatting.parse_amount`), and a term in months chosen among those the data
show; the monthly payment follows at the client's rate (:class:`model.simulation.Loan`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.chart_tables import chart_block
from layouts.decisions import decision_cell_style, decision_words
from layouts.figures import empty_figure
from layouts.text import T
from model.simulation import ANNUITY, CREDIT, GOODS, TERM, CounterOffer, Loan, Proposal
from model.text.formatting import format_currency, format_number, format_percent
from model.text.labels import feature_label
from model.text.languages import Lang
from model.text.strings import t

#: The screen's levers, in reading order: the amount, the term in months (the monthly payment
#: follows), the goods price. The two amounts are text boxes holding formatted amounts.
SCREEN_LEVERS: tuple[str, ...] = (CREDIT, TERM, GOODS)
AMOUNT_LEVERS: tuple[str, ...] = (CREDIT, GOODS)
#: An amount typed once the box holds this many characters is refused by the browser (1e9 € is 16).
MAX_AMOUNT_CHARS = 32


def layout(lang: Lang = "fr") -> html.Section:
    def lever(name: str) -> dbc.Col:
        box = (dbc.Select(id=ids.lever(name), options=[]) if name == TERM else
               dbc.Input(id=ids.lever(name), type="text", inputMode="decimal", debounce=True, autoComplete="off",
                         maxLength=MAX_AMOUNT_CHARS, className="amount-input"))
        return dbc.Col(md=4, children=[dbc.Label(T(f"simulate.lever.{name}", lang), html_for=ids.lever(name)), box])

    levers = [lever(name) for name in SCREEN_LEVERS]
    return html.Section(id=ids.screen("simulate"), className="screen", hidden=True, children=[
        html.Div(className="d-flex justify-content-between align-items-center flex-wrap gap-2", children=[
            html.H2(T("simulate.title", lang)),
            html.Span(T("simulate.badge", lang), className="simulation-badge", role="note"),
        ]),
        html.P(T("simulate.how", lang), className="hint"),
        dbc.Row(className="g-3 align-items-end", children=[
            *levers,
            dbc.Col(md=12, className="d-flex flex-wrap gap-3 align-items-center", children=[
                html.Span(id=ids.SIM_TERM, className="sim-term"),
                dbc.Button(T("simulate.reset", lang), id=ids.SIM_RESET, color="secondary", outline=True, size="sm"),
                html.Span(id=ids.SIM_ERROR, className="text-danger", role="alert"),
            ]),
        ]),
        # no loading overlay: it would re-render the gauge twice per change for a wait of a tenth of a second
        dbc.Row(className="g-4 mt-1", children=[
            dbc.Col(lg=7, children=chart_block(
                dcc.Graph(id=ids.SIM_GAUGE, figure=empty_figure(), config={"displayModeBar": False}),
                ids.SIM_GAUGE, "simulate.gauge_caption", "simulate.data_gauge", lang)),
            dbc.Col(lg=5, className="d-flex flex-column justify-content-center gap-2", children=[
                html.Div(id=ids.SIM_DECISION),
                html.P(id=ids.SIM_PROBABILITY, className="probability-text"),
                html.P(id=ids.SIM_GRADE, className="grade-text"),
                html.Div(id=ids.SIM_CHANGES),
                html.Div(id=ids.SIM_REASONS),
            ]),
        ]),
        html.Section(className="counter-offer mt-4", children=[
            html.H3(T("offer.title", lang), className="h4"),
            html.P(T("offer.how", lang), className="hint"),
            dbc.Button(T("offer.search", lang), id=ids.OFFER_SEARCH, color="primary"),
            dcc.Store(id=ids.OFFER_STORE, data=[]),
            dcc.Loading(type="dot", children=html.Div(id=ids.OFFER_BODY, className="mt-3")),
            html.P(id=ids.OFFER_SHARE, className="hint mt-2"),
        ]),
    ])


def amount_text(value: float | None, lang: Lang) -> str | None:
    """An amount as its box shows it: as every screen writes it ("249 400 €" / "€249,400", no cents).

    The box reads back to a whole number of euros; :func:`same_amount` takes that for the file's own
    amount (249 399,80 € in the file is shown and simulated as the client's 249 400 €)."""
    return None if value is None else format_currency(value, lang)


def same_amount(typed: float | None, own: float | None, lang: Lang) -> bool:
    """Whether a typed amount is the file's own as the screens write it (same whole euros)."""
    if typed is None or own is None:
        return typed is None and own is None
    return format_currency(typed, lang) == format_currency(own, lang)


def term_options(terms: Sequence[int], own: int | None, lang: Lang) -> list[dict[str, str]]:
    """The term dropdown's options: the data's terms, the client's own marked as the application's."""
    return [{"label": t("simulate.term_own" if n == own else "simulate.term_option", lang, months=n),
             "value": str(n)} for n in terms]


def payment_text(loan: Loan | None, levers: Mapping[str, float | None], term: int | None, lang: Lang) -> str:
    """"Monthly payment: €11,881 a month for 24 months, at the application's yearly rate (13.6%)"."""
    if loan is None:
        return t("simulate.payment_unknown", lang)
    payment = levers.get(ANNUITY)
    if payment is None or term is None:
        return ""
    return t("simulate.payment", lang, payment=format_currency(payment, lang), term=format_number(term, lang),
             rate=format_percent(loan.rate, lang, 1))


#: The order the changes are listed in: what the client chose, then the payment that follows.
CHANGE_ORDER: tuple[str, ...] = (CREDIT, TERM, ANNUITY, GOODS)


def changes_list(before: Mapping[str, Any], after: Mapping[str, Any], lang: Lang) -> html.Div:
    """What the simulation changed, "before → after" (amount, term, monthly payment, goods price), so
    nobody mistakes it for the file; "no change" when it is the client's application."""
    changed = [c for c in CHANGE_ORDER if c in after and _words(c, before.get(c), lang) != _words(c, after.get(c), lang)]
    if not changed:
        return html.P(t("simulate.unchanged", lang), className="mb-0")
    items = [html.Li(t("simulate.change", lang, field=_field(c, lang), before=_words(c, before.get(c), lang),
                       after=_words(c, after.get(c), lang))) for c in changed]
    return html.Div([html.H4(t("simulate.changes_title", lang), className="h6"), html.Ul(items, className="mb-0")])


def _field(name: str, lang: Lang) -> str:
    return t("simulate.lever.term", lang) if name == TERM else feature_label(name, lang)


def _words(name: str, value: Any, lang: Lang) -> str:
    if value is None:
        return t("common.not_provided", lang)
    return t("simulate.term_option", lang, months=value) if name == TERM else format_currency(value, lang)


def offer_table(offer: CounterOffer, lang: Lang) -> Any:
    """The proposals, each with its re-scored PD and decision and a button to simulate it."""
    if offer.decision == "granted":
        return html.P(t("offer.not_needed", lang))
    if not offer.proposals:
        return dbc.Alert(t("offer.none", lang, candidates=offer.candidates), color="secondary")
    header = [t("offer.kind", lang), feature_label(CREDIT, lang), t("offer.term", lang), feature_label(ANNUITY, lang),
              t("offer.goods", lang), t("score.probability", lang), t("decision.title", lang), ""]
    rows = [html.Tr([html.Td(t(f"offer.kind_{p.kind}", lang)), html.Td(format_currency(p.levers[CREDIT], lang)),
                     html.Td(t("simulate.term_option", lang, months=p.term)),
                     html.Td(format_currency(p.levers[ANNUITY], lang)),
                     html.Td(_words(GOODS, p.levers.get(GOODS), lang)),
                     html.Td(format_percent(p.probability, lang, 1)),
                     html.Td(decision_words(p.decision, lang), style=decision_cell_style(p.decision)),
                     html.Td(dbc.Button(t("offer.try", lang), id={"type": ids.OFFER_APPLY, "index": i},
                                        size="sm", color="link"))])
            for i, p in enumerate(offer.proposals)]
    return html.Div([
        html.P(t("offer.found", lang, count=len(offer.proposals), candidates=offer.candidates)),
        html.Table(className="table table-sm data-table", children=[
            html.Thead(html.Tr([html.Th(h, scope="col") for h in header])), html.Tbody(rows)]),
    ])


def proposal_words(p: Proposal, lang: Lang) -> str:
    """One proposal in a sentence (the letter's counter-offer lines)."""
    goods = p.levers.get(GOODS)
    text = t("offer.line", lang, amount=format_currency(p.levers[CREDIT], lang), term=format_number(p.term, lang),
             payment=format_currency(p.levers[ANNUITY], lang))
    if goods:
        text += " " + t("offer.line_goods", lang, goods=format_currency(goods, lang))
    return text


def share_text(summary: Mapping[str, Any] | None, lang: Lang) -> str:
    """For what share of refused and of referred files a counter-offer exists, with intervals and samples."""
    rows = (summary or {}).get("by_decision", {})
    refused, refer = rows.get("refused"), rows.get("refer")
    if not refused or not refer or not refused.get("sampled") or not refer.get("sampled"):
        return t("offer.share_unknown", lang)

    def words(row: Mapping[str, Any], prefix: str) -> dict[str, str]:
        low, high = row["interval"]
        return {f"{prefix}share": format_percent(row["share"], lang, 0), f"{prefix}low": format_percent(low, lang, 0),
                f"{prefix}high": format_percent(high, lang, 0), f"{prefix}sampled": format_number(row["sampled"], lang)}
    return t("offer.share", lang, **words(refused, ""), **words(refer, "refer_"))
