"""What production serving adds around the Flask app: a bounded read of chunked bodies and
gunicorn's own error answers in the API's JSON shape.

* :class:`ChunkedBodyLimit` (WSGI middleware, wrapped in ``app.create_flask``): a request without
  ``Content-Length`` (``Transfer-Encoding: chunked``) escapes ``MAX_CONTENT_LENGTH``, and Werkzeug
  cuts such a body silently at the limit instead of refusing it. The middleware reads at most
  ``limit + 1`` bytes: beyond the limit it answers 413 itself; otherwise the app sees an ordinary
  body with its ``Content-Length``, so Flask, the API and Dash read all of it.
* :func:`json_error_bytes`, written by ``serving_worker.JsonErrorWorker`` (``worker_class`` in ``gunicorn.conf.py``): gunicorn answers requests it
  cannot parse (request line or headers too long, bad ``Content-Length``, invalid HTTP version)
  before the app sees them, in HTML. This gevent worker (idle or slow clients cost a greenlet,
  not a worker) answers them as ``{"error": {"code", "message", "field": null}}``.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from api.errors import HTTP_CODES, error_body, is_api_path

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_READ_SIZE = 64 * 1024


class ChunkedBodyLimit:
    """Refuse (413) a body without ``Content-Length`` longer than ``limit`` bytes; buffer a shorter one.

    Requests with a ``Content-Length`` pass untouched: Flask's ``MAX_CONTENT_LENGTH`` checks them.
    """

    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("CONTENT_LENGTH") or not _has_unsized_body(environ):
            return self.app(environ, start_response)
        body = _read_at_most(environ["wsgi.input"], self.limit + 1)
        if len(body) > self.limit:
            return _too_large(environ, start_response, self.limit)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)


def _has_unsized_body(environ: dict[str, Any]) -> bool:
    """A body whose length only its end tells: chunked, or a server saying the stream ends by itself."""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or bool(environ.get("wsgi.input_terminated"))


def _read_at_most(stream: Any, n: int) -> bytes:
    """Up to ``n`` bytes of ``stream``: a server's ``read(size)`` may return fewer than asked before the end."""
    parts: list[bytes] = []
    left = n
    while left > 0:
        part = stream.read(min(left, _READ_SIZE))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _too_large(environ: dict[str, Any], start_response: StartResponse, limit: int) -> Iterable[bytes]:
    message = f"body larger than {limit} bytes"
    if is_api_path(environ.get("PATH_INFO", "")):
        payload = json.dumps(error_body(HTTP_CODES[413], message)).encode()
        content_type = "application/json"
    else:
        payload = f"Payload too large: {message}.\n".encode()
        content_type = "text/plain; charset=utf-8"
    # the rest of the body is not read: the connection cannot carry another request
    start_response("413 Payload Too Large", [("Content-Type", content_type), ("Content-Length", str(len(payload))),
                                             ("Connection", "close")])
    return [payload]


#: ``code`` of gunicorn's own error answers, by status (gunicorn only says 400 for most parse errors).
_GUNICORN_CODES = {**HTTP_CODES, 400: "malformed_request", 417: "expectation_failed",
                   431: "request_header_fields_too_large", 501: "not_implemented"}


def json_error_bytes(status_int: int, reason: str, mesg: str) -> bytes:
    """A whole HTTP answer carrying gunicorn's error as the API's JSON error shape."""
    code = _GUNICORN_CODES.get(status_int, "bad_request" if status_int < 500 else "internal_error")
    message = mesg or reason
    payload = json.dumps(error_body(code, message[:500])).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n")
    return head.encode("latin-1", "replace") + payload
