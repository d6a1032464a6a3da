"""The one error shape of the JSON routes, written once for ``api/`` and for ``auth.py``'s guard.

Every error under :data:`API_PREFIX` (and auth's 401 to programs) answers
``{"error": {"code", "message", "field"}}`` with its HTTP status; ``field`` names the
offending input (``"application.AMT_CREDIT"``, ``"top"``) or is ``null``.
"""
from __future__ import annotations

import re

from flask import Response, jsonify

#: Every path under this prefix is the JSON API (auth asks for a key there; errors are JSON).
API_PREFIX = "/api/"

#: The ``code`` of an error answer that has no more specific one, by HTTP status.
HTTP_CODES: dict[int, str] = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type", 429: "too_many_requests", 500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error answered as ``{"error": {...}}`` with its HTTP status (and ``Retry-After`` seconds for
    a 503 the client should retry)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after


_SLASHES = re.compile(r"/{2,}")


def is_api_path(path: str) -> bool:
    """Whether ``path`` is under :data:`API_PREFIX`, repeated slashes counted as one: ``//api/v1``
    and ``/api//v1`` are API paths too (they get the API's JSON 404, not the dashboard's page)."""
    return _SLASHES.sub("/", path).startswith(API_PREFIX)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str | None]]:
    """The JSON value of an error answer."""
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    """An error answer: :func:`error_body` as JSON with ``status``."""
    response = jsonify(error_body(code, message, field))
    response.status_code = status
    return response


def api_error_response(exc: ApiError) -> Response:
    response = error_response(exc.status, exc.code, exc.message, exc.field)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response
