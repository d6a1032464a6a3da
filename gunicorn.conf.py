"""gunicorn's settings, in one place (``gunicorn -c gunicorn.conf.py 'app:create_server()'``).

The worker is gevent's (``serving_worker.JsonErrorWorker``): a client that opens a connection and never
finishes its headers holds a greenlet, not one of the few sync workers, so health checks and
other clients are still answered. Scoring is CPU-bound and short, so the greenlets of one worker
take turns; ``WORKERS`` processes (Makefile passes it) share the CPU cores.

gevent patches the standard library here, in the master, before anything else is imported: the
worker class's own patch (in each worker, after the fork) came after the master had imported the app's
modules (``serving_worker`` → ``api`` → ``services`` → ``redis``, which takes ``ssl.SSLContext``
directly), and gevent warned at every start that such an ssl may break.

``PLAIN_HTTP_LOOPBACK=1`` (plain HTTP on purpose: the session cookie without ``Secure``, no HSTS) is
refused at start unless every bound address is loopback (:func:`on_starting`): ``make run`` sets it for
its demo on 127.0.0.1; a server other machines reach is served behind TLS, with the secure defaults.
"""
from gevent import monkey

monkey.patch_all()

import ipaddress  # noqa: E402  (after the patch, on purpose)
import os  # noqa: E402
from typing import Any  # noqa: E402

from gunicorn.util import parse_address  # noqa: E402

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}")
workers = int(os.environ.get("WORKERS", "2"))
worker_class = "serving_worker.JsonErrorWorker"
#: greenlets per worker: idle keep-alive and slow connections included
worker_connections = 1000

#: a worker silent this long (the model loads in a few seconds) is killed and replaced
timeout = 120
#: on SIGTERM / reload, requests in flight get this long to finish
graceful_timeout = 30
#: seconds an idle keep-alive connection stays open (behind a proxy: above the proxy's own)
keepalive = 5

#: request line and headers are bounded; beyond: 4xx (JSON, from serving_worker.JsonErrorWorker). The request
#: line's bound is gunicorn's largest: the app itself answers 414 beyond 4,094 bytes (security.MAX_REQUEST_LINE),
#: in the API's JSON shape, after gunicorn has read the whole request (no connection reset)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

#: workers are replaced after this many requests (± jitter, so not all at once): bounds slow memory growth
max_requests = 5000
max_requests_jitter = 500

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


def is_loopback(address: str) -> bool:
    """Whether the ``bind`` address ``address`` serves this machine only: a loopback IP address, ``localhost``
    or a Unix socket; an inherited ``fd://`` or anything unreadable is not."""
    try:
        parsed = parse_address(address)
    except RuntimeError:
        return False
    if isinstance(parsed, str):           # unix:/path
        return True
    if isinstance(parsed, int):           # fd://N, bound by whoever passed it
        return False
    host = parsed[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def on_starting(server: Any) -> None:
    """Before binding: refuse ``PLAIN_HTTP_LOOPBACK=1`` on an address other machines reach (gunicorn prints
    ``Error: ...`` and exits with status 1), and say in the log when a server runs without the secure defaults."""
    # imported here: gunicorn reads this file before it moves to --chdir and puts that folder on sys.path
    from settings import get_settings  # noqa: PLC0415

    try:
        plain = get_settings().plain_http_loopback
    except ValueError:
        return                            # a bad setting stops the worker with its own line
    if not plain:
        return
    exposed = [b for b in server.cfg.bind if not is_loopback(b)]
    if exposed:
        raise RuntimeError(f"PLAIN_HTTP_LOOPBACK=1 serves plain HTTP, without Secure cookies nor HSTS, and is "
                           f"for the loopback interface only; bound to {', '.join(exposed)}: serve behind TLS "
                           "without PLAIN_HTTP_LOOPBACK, or bind 127.0.0.1")
    server.log.info("PLAIN_HTTP_LOOPBACK=1: plain HTTP on %s (loopback), session cookie without Secure, no HSTS",
                    ", ".join(server.cfg.bind))
