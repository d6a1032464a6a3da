"""The gunicorn worker of production (``worker_class`` in ``gunicorn.conf.py``), apart from
``serving.py`` so that importing the app does not import gevent."""
from __future__ import annotations

import socket
import time
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.ggevent import GeventWorker

from serving import json_error_bytes

#: After one of gunicorn's own error answers, what the client still sends is read and dropped, at most
#: this many bytes for at most this many seconds, before the connection is closed ("lingering close", RFC
#: 9112 §9.6): closed with unread bytes, the connection is reset, and a client still sending its request
#: (a request line longer than gunicorn reads) may lose the answer.
LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2.0


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error`` (which writes HTML), then a lingering close."""
    gunicorn_util.write_nonblock(sock, json_error_bytes(status_int, reason, mesg))
    linger(sock)


def linger(sock: Any, max_bytes: int = LINGER_BYTES, seconds: float = LINGER_SECONDS) -> None:
    """Say the answer is complete (FIN), then drop what the client sends until it closes or a bound is hit."""
    deadline = time.monotonic() + seconds
    try:
        sock.shutdown(socket.SHUT_WR)
        while max_bytes > 0 and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            data = sock.recv(min(max_bytes, 64 * 1024))
            if not data:
                break
            max_bytes -= len(data)
    except OSError:                       # the client is gone, or the time is up: close as usual
        pass


class JsonErrorWorker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker whose own error answers are JSON.

    gevent: a client that never finishes its headers holds a greenlet, not a whole worker.
    ``Worker.handle_error`` picks the status and message (and logs a client's malformed request as
    one warning line, no traceback) and ends with ``gunicorn.util.write_error``, the one place the
    HTML is written and gunicorn offers no hook for; this worker points that function at
    :func:`write_json_error` in its own process, before it serves anything. A request line longer than
    ``limit_request_line`` is answered 414 (gunicorn says 400), like the app's own bound
    (``security.RequestLineLimit``) below it.
    """

    def init_process(self) -> None:
        gunicorn_util.write_error = write_json_error
        super().init_process()

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, LimitRequestLine):
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
            write_json_error(client, 414, "URI Too Long", str(exc))
            return
        super().handle_error(req, client, addr, exc)
