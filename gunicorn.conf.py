"""gunicorn's settings, in one place (``gunicorn -c gunicorn.conf.py 'app:create_server()'``).

The worker is gevent's (``serving_worker.JsonErrorWorker``): a client that opens a connection and never
finishes its headers holds a greenlet, not one of the few sync workers, so health checks and
other clients are still answered. Scoring is CPU-bound and short, so the greenlets of one worker
take turns; ``WORKERS`` processes (Makefile passes it) share the CPU cores.

gevent patches the standard library here, in the master, before anything else is imported: the
worker class's own patch (in each worker, after the fork) came after the master had imported the app's
modules (``serving_worker`` → ``api`` → ``services`` → ``redis``, which takes ``ssl.SSLContext``
directly), and gevent warned at every start that such an ssl may break.
"""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402  (after the patch, on purpose)

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

#: request line and headers are bounded; beyond: 4xx (JSON, from serving_worker.JsonErrorWorker)
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

#: workers are replaced after this many requests (± jitter, so not all at once): bounds slow memory growth
max_requests = 5000
max_requests_jitter = 500

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
