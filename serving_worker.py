"""The gunicorn worker of production (``worker_class`` in ``gunicorn.conf.py``), apart from
``serving.py`` so that importing the app does not import gevent."""
from __future__ import annotations

from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.workers.ggevent import GeventWorker

from serving import json_error_bytes


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error`` (which writes HTML)."""
    gunicorn_util.write_nonblock(sock, json_error_bytes(status_int, reason, mesg))


class JsonErrorWorker(GeventWorker):  # type: ignore[misc]
    """gunicorn's gevent worker whose own error answers are JSON.

    gevent: a client that never finishes its headers holds a greenlet, not a whole worker.
    ``Worker.handle_error`` picks the status and message (and logs a client's malformed request as
    one warning line, no traceback) and ends with ``gunicorn.util.write_error``, the one place the
    HTML is written and gunicorn offers no hook for; this worker points that function at
    :func:`write_json_error` in its own process, before it serves anything.
    """

    def init_process(self) -> None:
        gunicorn_util.write_error = write_json_error
        super().init_process()
