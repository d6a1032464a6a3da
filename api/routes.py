"""The JSON routes of the product, for programs (scoring pipelines, the bank's front office).

Transport only: each route reads its parameters through :mod:`api.validation`, asks the
:class:`model.scoring.Scorer` and serialises the answer. Every answer is JSON, errors
included, in the one shape of :mod:`api.errors`: ``{"error": {"code", "message", "field"}}``
with ``field`` naming the offending input (``"application.AMT_CREDIT"``,
``"bureau[2].SK_ID_BUREAU"``, ``"top"``) or ``null``. No route answers HTML or a traceback;
bad input is a 4xx, never a 500. Everything under ``/api/`` except ``/api/v1/health`` needs
the ``X-API-Key`` header (``auth.py``).

Routes
------
``GET  /api/v1/health``                  public: ``{"status": "ok", "model_version", "cache", "store"}``
                                         (``store``: ``ok``, or ``unavailable`` since when and why, as
                                         this process last saw the database; no query, so it never waits)
``GET  /api/v1/model[?lang=&top=]``      version, threshold, cost weights, CV metrics, top global factors
``GET  /api/v1/clients/<id>/score[?lang=fr|en&top=N]``   score of a client the product knows
``POST /api/v1/predict[?lang=&top=]``    score of a new applicant sent as raw Kaggle-shaped rows
                                         (the body and its rules: :mod:`api.validation`)

Both scoring routes answer the same shape (:func:`score_payload`): probability, decision,
threshold, margin, base probability, the top-N factors plus one ``"__other__"`` bar whose
contributions add up exactly to ``probability - base_probability``, their labels and
formatted values in the requested language, and the decision sentence.

Caching: the answer for a known client is cached in ``services.views`` under
(model version, client id, lang, top), and says how in its ``X-Cache`` header (``hit``, ``miss``, or
``error`` when the cache's backend failed and the answer was computed without it); answers to
``/predict`` are never cached. ``/api/v1/health`` adds this process's cache figures (``cache``).

No score is served without its log row: when the scoring log cannot be written (the database is
down), both scoring routes answer 503 ``scoring_log_unavailable`` with ``Retry-After``
(docs/scoring-log.md).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from api import openapi
from api.errors import HTTP_CODES, ApiError, api_error_response, error_response, is_api_path
from api.validation import (
    client_id_param,
    invalid_data,
    lang_param,
    parse_predict_body,
    read_json_body,
    top_param,
)
from data.load import DataError
from model.explain import OTHER
from model.json_values import json_value
from model.monitoring.reviews import latest_decision
from model.monitoring.scoring_log import record_from_payload as scoring_log_record
from model.narrative import decision_sentence, factor
from model.scoring import Score, UnknownClient
from model.text.labels import feature_info
from model.text.languages import Lang
from model.text.strings import t
from services import Services, StoreUnavailable, store_outage

T = TypeVar("T")

#: The API's routes and methods (kept in step with create_blueprint; tests check every one).
ROUTES = (("/api/v1/health", ["GET"]), ("/api/v1/model", ["GET"]),
          ("/api/v1/clients/<raw_id>/score", ["GET"]), ("/api/v1/predict", ["POST"]),
          ("/api/v1/openapi.json", ["GET"]))


def from_store(call: Callable[[], T], what: str, code: str, message: str) -> T:
    """``call()`` (a read or write of the product's database); a database that cannot be reached is a
    503 to retry with ``code`` and ``message``. Other database errors are bugs: they stay 500s."""
    try:
        with store_outage(f"API scores answered 503 ({what})"):
            return call()
    except StoreUnavailable as exc:
        raise ApiError(503, code, message, retry_after=exc.retry_after) from None


def logged_or_unavailable(append: Callable[[], None]) -> None:
    """Run ``append`` (a scoring log write): no score is served without its log row."""
    from_store(append, "scoring log", "scoring_log_unavailable", "the scoring log cannot record this score just "
               "now, and no score is served without its log row: retry later")


def score_payload(score: Score, typical: Mapping[str, object], lang: Lang, top: int) -> dict[str, object]:
    """The JSON answer of both scoring routes: ``Score.to_dict(top)`` plus words in ``lang``, and the
    reasons the score carries (up to 4 for a refusal or a referral, the same on every screen)."""
    out = score.to_dict(top)
    factors: list[dict[str, object]] = []
    for c, d in zip(score.explanation.top(top), out["top_factors"]):
        row: dict[str, object] = dict(d)
        if c.feature == OTHER:
            row.update(label=t("explain.other", lang), value_text=None, sentence=None)
        else:
            f = factor(c, typical, lang)
            row.update(label=f.label, value_text=f.value, typical_text=f.typical, direction=f.direction,
                       sentence=f.sentence)
        factors.append(row)
    payload: dict[str, object] = {**out, "top_factors": factors}
    payload["decision_sentence"] = decision_sentence(score.probability, score.rule, lang, score.reviewed_decision)
    payload["reasons"] = [{"code": r.code, "text": r.text(lang), "points": r.points, "missing": r.missing}
                          for r in score.reasons]
    payload["lang"] = lang
    return payload


# --------------------------------------------------------------------------- blueprint

def create_blueprint(services: Services) -> Blueprint:
    """The ``/api/v1`` routes, with JSON error handlers for everything under ``/api/``."""
    bp = Blueprint("api", __name__, url_prefix="/api")
    settings, scorer, views = services.settings, services.scorer, services.views
    n_features = len(scorer.features)
    defaults_top = settings.top_factors

    def lang_top() -> tuple[Lang, int]:
        return lang_param(request.args.get("lang")), top_param(request.args.get("top"), defaults_top, n_features)

    @bp.get("/v1/health")
    def health() -> Response:
        return jsonify(status="ok", model_version=scorer.version, cache=views.stats(), store=services.store_health())

    @bp.get("/v1/model")
    def model_info() -> Response:
        lang, top = lang_top()
        meta = scorer.artifact.metadata
        chosen = dict((meta.cv_metrics or {}).get("chosen", {}))
        importance = scorer.importance[:top]
        return jsonify(
            version=meta.version,
            created_at=meta.created_at,
            threshold=scorer.threshold,
            decision_rule=scorer.rule.to_dict(),
            calibration=scorer.calibration.method,
            risk_grades=scorer.master_scale.table(),
            excluded_attributes=list(meta.excluded_attributes),
            cost_weights=dict(meta.cost_weights),
            cv_metrics={k: json_value(v) for k, v in chosen.items() if not isinstance(v, (dict, list))},
            feature_count=n_features,
            categorical_feature_count=len(scorer.cat_features),
            include_children=scorer.include_children,
            top_global_importance=[
                {"feature": row.feature, "label": feature_info(row.feature).label(lang),
                 "mean_abs_shap": row.mean_abs_shap} for row in importance],
            lang=lang,
        )

    @bp.get("/v1/clients/<string:raw_id>/score")
    def client_score(raw_id: str) -> Response:
        client_id = client_id_param(raw_id)
        lang, top = lang_top()

        if not scorer.knows(client_id):
            raise ApiError(404, "unknown_client", f"no client {client_id}", "client_id")
        # the decision after a human review is the decision (read live: a review a minute old counts)
        decision = latest_decision(from_store(lambda: services.reviews.for_client(client_id), "reviews",
                                              "reviews_unavailable", "the file's reviews cannot be read just now, "
                                              "and no score is served without its reviewed decision: retry later"))

        def answer() -> dict[str, object]:
            try:
                score = scorer.score_client(client_id).with_review(decision)
            except UnknownClient:
                raise ApiError(404, "unknown_client", f"no client {client_id}", "client_id") from None
            return score_payload(score, scorer.typical, lang, top)

        payload, cached = views.lookup("api-score", (client_id, lang, top, decision or ""), answer)
        # the log holds the scores served: a HEAD answer carries no score (its body is dropped)
        if services.scoring_log.enabled and request.method != "HEAD":
            record = scoring_log_record(payload, scorer.feature_values(client_id), "api")
            logged_or_unavailable(lambda: services.scoring_log.append(record))
        response = jsonify(payload)
        response.headers["X-Cache"] = cached
        return response

    @bp.post("/v1/predict")
    def predict() -> Response:
        lang, top = lang_top()
        parsed = parse_predict_body(read_json_body(request, settings.max_request_bytes), scorer.typical)
        try:
            features = scorer.application_features(parsed.frames, checked=parsed.checked)
            score = scorer.score_features(features, int(features.index[0]) if parsed.id_given else None)
        except DataError as exc:
            raise invalid_data(exc) from None
        payload = score_payload(score, scorer.typical, lang, top)
        if not parsed.id_given:
            payload["client_id"] = None
        payload["filled_defaults"] = parsed.filled_defaults
        logged_or_unavailable(lambda: services.scoring_log.log(score, features, "api-predict"))
        return jsonify(payload)

    openapi.register(bp, n_features, scorer.version)   # GET /api/v1/openapi.json and the /docs/api page

    # Dash serves its page for any unknown GET path (a catch-all rule), which would answer
    # HTML 200 to /api/v1/typo or to GET /api/v1/predict. This rule is more specific than
    # Dash's, so every /api/ path ends here when no API route matched, and we answer the
    # 404 or 405 the API's own routes imply.
    own_routes = Map([Rule(path, methods=methods, endpoint=path) for path, methods in ROUTES], merge_slashes=False)

    def allowed_methods(path: str) -> list[str]:
        """The methods of the API route at ``path`` (HEAD with GET, OPTIONS always), [] for no route."""
        methods = set(own_routes.bind("localhost").allowed_methods(path))
        return [m for m in ("GET", "HEAD", "POST") if m in methods] + ["OPTIONS"] if methods else []

    @bp.before_app_request
    def _api_paths_stay_api() -> Response | None:
        """An API path answered by a route outside the API (Dash's catch-all page for
        ``/api//v1/health``, whose repeated slash our catch-all below cannot match) is a JSON 404;
        OPTIONS under /api/ is JSON, with the route's real methods: Werkzeug's own answer is
        text/html and, through the catch-all below, would list PUT, PATCH and DELETE."""
        if not is_api_path(request.path):
            return None
        endpoint = request.endpoint or ""
        if request.routing_exception is None and not endpoint.startswith(f"{bp.name}."):
            return error_response(404, "not_found", f"no route {request.path}")
        if request.method != "OPTIONS":
            return None
        methods = allowed_methods(request.path)
        if not methods:
            return error_response(404, "not_found", f"no route {request.path}")
        response = jsonify(methods=methods)
        response.headers["Allow"] = ", ".join(methods)
        return response

    @bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def _no_route(rest: str) -> Response:
        own_routes.bind("localhost").match(request.path, method=request.method)  # raises 404 / 405
        raise ApiError(404, "not_found", f"no route {request.path}")            # pragma: no cover

    bp.register_error_handler(ApiError, api_error_response)

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response | HTTPException:
        if isinstance(exc, HTTPException):
            return _http_error(exc)
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error; it has been logged")

    @bp.app_errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response | HTTPException:
        """JSON for any HTTP error under /api/ (404 of an unknown route, 405, 413...); others unchanged."""
        if not is_api_path(request.path) or exc.code is None:
            return exc
        code = HTTP_CODES.get(exc.code, "error")
        if exc.code >= 500:
            original = getattr(exc, "original_exception", None)
            if original is not None:
                current_app.logger.error("unhandled error on %s %s", request.method, request.path,
                                         exc_info=original)
            return error_response(exc.code, code, "internal error; it has been logged")
        message = {404: f"no route {request.path}", 405: f"{request.method} is not allowed on {request.path}",
                   413: "body too large"}.get(exc.code, exc.description or exc.name)
        response = error_response(exc.code, code, message)
        if exc.code == 405 and (methods := allowed_methods(request.path)):
            response.headers["Allow"] = ", ".join(methods)
        return response

    return bp
