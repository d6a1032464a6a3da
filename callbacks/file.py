"""The client's file: the letter link, the score history and the human reviews; the letter's route.

The history and the reviews come from the scoring store (:mod:`model.monitoring`); a review is
recorded by the signed-in manager beside the model's decision, never over it.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import Dash, Input, Output, State, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate
from flask import Flask, Response, abort, request
from flask_login import current_user, login_required

from callbacks.scoring import cached_score
from callbacks.state import client_of, lang_of, off_screen
from layouts import ids
from layouts.file import decision_options, history_table, review_list, review_note, verdict_options
from layouts.simulate import proposal_words
from model.decision import GRANTED
from model.monitoring.reviews import ReviewError
from model.reporting.letter import CounterOffer as LetterOffer
from model.reporting.letter import LetterReview, letter_facts, letter_pdf
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import Services, StoreUnavailable, store_outage

LETTER_URL = "/clients/{client}/letter.pdf"


def letter_url(client: int, lang: Lang) -> str:
    return LETTER_URL.format(client=client) + "?" + urlencode({"lang": lang})


def letter_bytes(services: Services, client: int, lang: Lang) -> bytes:
    """The decision letter of a known client: its score, its counter-offer, its reviews."""
    score = cached_score(services, client)
    offer = None
    if score.decision != GRANTED:
        found = services.simulator.counter_offer(client)
        if found.proposals:
            offer = LetterOffer(tuple(proposal_words(p, lang) for p in found.proposals))
    reviews = tuple(LetterReview(timestamp=r.timestamp, author=r.author, verdict=r.verdict, decision=r.decision,
                                 reason=r.reason) for r in services.reviews.for_client(client))
    facts = letter_facts(score, services.scorer, lang, counter_offer=offer, reviews=reviews)
    return letter_pdf(facts, lang)


def review_message(exc: ReviewError, lang: Lang) -> str:
    """A refused review in the page's language (the store names the field that was wrong)."""
    key = {"reason": "file.review_blank", "decision": "file.review_same", "model_decision": "file.review_not_open",
           "author": "file.review_sign_in"}.get(getattr(exc, "field", None) or "")
    return t(key, lang) if key else str(exc)


def register_letter_route(server: Flask, services: Services) -> None:
    """``GET /clients/<id>/letter.pdf?lang=fr|en``: signed-in managers only; the client's own letter."""
    scorer = services.scorer

    @server.get("/clients/<int:client>/letter.pdf")
    @login_required
    def decision_letter(client: int) -> Response:
        if not scorer.knows(client):
            abort(404)
        lang = as_lang(request.args.get("lang"))
        body = letter_bytes(services, client, lang)
        name = f"{t('file.letter_file', lang)}-{client}.pdf"
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


def register(app: Dash, services: Services) -> None:
    scorer = services.scorer

    @app.callback(
        Output(ids.LETTER_LINK, "href"), Output(ids.HISTORY_BODY, "children"), Output(ids.REVIEW_LIST, "children"),
        Output(ids.REVIEW_FORM_WRAP, "hidden"),
        # the screen's view {lang, client}: set when the screen is shown, {client: None} to blank it
        Input(ids.view("file"), "data"), State(ids.SCREEN, "data"), State(ids.HISTORY_BODY, "children"),
        prevent_initial_call=True,
    )
    def show_file(state: dict[str, Any] | None, screen: str | None, shown: Any) -> tuple[Any, ...]:
        blank = off_screen(screen, "file", ("#", None, None, True), is_blank=shown is None)
        if blank is not None:
            return blank
        lang, client = lang_of(state), client_of(scorer, state)
        if client is None:
            return "#", None, None, True
        decision = cached_score(services, client).decision
        return (letter_url(client, lang),
                history_table(services.scoring_log.history(client), lang).to_plotly_json(),
                review_list(services.reviews.for_client(client), decision, lang).to_plotly_json(),
                decision == GRANTED)

    @app.callback(
        Output(ids.REVIEW_VERDICT, "options"), Output(ids.REVIEW_DECISION, "options"),
        Output(ids.REVIEW_DECISION, "value"), Output(ids.REVIEW_DECISION_WRAP, "hidden"),
        # drawn with the screen (its view: shown, or in another language), then on each verdict chosen
        Input(ids.REVIEW_VERDICT, "value"), State(ids.SCREEN, "data"), Input(ids.view("file"), "data"),
        State(ids.STATE, "data"), prevent_initial_call=True,
    )
    def review_choices(verdict: Any, screen: str | None, _lang: Any, state: dict[str, Any] | None) -> tuple[Any, ...]:
        """In the page's language; the decision after review is asked for an override only, among
        the decisions other than the model's. Drawn when the file's screen is shown."""
        if screen != "file":
            raise PreventUpdate
        lang, client = lang_of(state), client_of(scorer, state)
        model_decision = cached_score(services, client).decision if client is not None else None
        options = decision_options(lang, model_decision)
        override = verdict == "override"
        return verdict_options(lang), options, options[0]["value"] if override and options else None, not override

    @app.callback(
        Output(ids.REVIEW_MESSAGE, "children"), Output(ids.REVIEW_LIST, "children", allow_duplicate=True),
        Output(ids.REVIEW_REASON, "value"), Output(ids.SCORE_REVIEW, "children", allow_duplicate=True),
        Output(ids.view("score"), "data", allow_duplicate=True),
        Input(ids.REVIEW_SUBMIT, "n_clicks"),
        State(ids.REVIEW_VERDICT, "value"), State(ids.REVIEW_DECISION, "value"), State(ids.REVIEW_REASON, "value"),
        State(ids.STATE, "data"), prevent_initial_call=True,
    )
    def record_review(clicks: Any, verdict: Any, decision: Any, reason: Any,
                      state: dict[str, Any] | None) -> tuple[Any, ...]:
        lang, client = lang_of(state), client_of(scorer, state)
        if not clicks or client is None or dash_ctx.triggered_id != ids.REVIEW_SUBMIT:
            return no_update, no_update, no_update, no_update, no_update
        if not getattr(current_user, "is_authenticated", False):
            return t("file.review_sign_in", lang), no_update, no_update, no_update, no_update
        score = cached_score(services, client)
        if verdict == "confirm":
            decision = score.decision          # a confirmation keeps the model's decision
        try:
            with store_outage("reviews not recorded"):
                services.reviews.add(client, str(current_user.get_id()), str(verdict), str(decision),
                                     str(reason or ""), score)
        except ReviewError as exc:
            return review_message(exc, lang), no_update, no_update, no_update, no_update
        except StoreUnavailable:        # nothing recorded: the reason stays in its box, to send again
            return t("file.review_unavailable", lang), no_update, no_update, no_update, no_update
        reviews = services.reviews.for_client(client)
        note = review_note(reviews, lang)
        # the Score screen's view is emptied: drawn again when shown, with the decision after review as headline
        return (t("file.review_saved", lang), review_list(reviews, score.decision, lang).to_plotly_json(), "",
                note.to_plotly_json() if note is not None else None, {"lang": lang, "client": None})
