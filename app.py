"""The Dash app: one process holds the model and every client in memory and serves both
the relationship managers' dashboard and the JSON routes.

    gunicorn --workers 2 --bind 127.0.0.1:8050 'app:create_server()'
    python app.py                      # development server on 127.0.0.1:8050
"""
from __future__ import annotations

import logging
import sys

from dash import Dash
from dash.exceptions import DependencyException
from flask import Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError

import api
import auth
import callbacks
import layouts
from api.errors import error_response
from callbacks.drift import register_report_route
from callbacks.file import register_letter_route
from data.load import DataError
from layouts.drift import REPORT_URL
from model.artifact import ArtifactError
from model.monitoring.store import StoreError
from model.scoring import Scorer
from model.startup_checks import check_known_rows, check_served_data
from model.text.languages import DEFAULT_LANG
from security import init_security_headers, security_headers
from services import Services, StoreUnavailable, outage_of
from serving import ChunkedBodyLimit
from settings import ROOT, Settings, get_settings

#: Where ``server.extensions`` keeps the process's :class:`Services` (tests and benchmarks read it).
SERVICES_KEY = "credit_services"


def create_flask(settings: Settings, scorer: Scorer) -> tuple[Flask, Services]:
    """The Flask side alone: configuration, sign-in, services and the JSON routes.

    ``create_app`` adds the dashboard on top; tests and the API benchmark use this directly
    so that they run the very server configuration production runs.
    """
    server = Flask(__name__, instance_path=str(settings.instance_dir))
    # Werkzeug answers "//" in a path with a 308 to the merged path (HTML, and a redirect no API
    # client expects): a path is matched as sent, so /api//v1/health is the API's JSON 404
    server.url_map.merge_slashes = False
    server.config.update(
        SECRET_KEY=auth.secret_key(settings),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,   # behind a TLS front only
        JSON_SORT_KEYS=False,
        DEBUG=settings.debug,
        PROPAGATE_EXCEPTIONS=False,
    )
    services = Services.build(server, settings, scorer)
    server.extensions[SERVICES_KEY] = services
    init_security_headers(server, settings)
    auth.init_auth(server, settings)
    server.register_blueprint(api.create_blueprint(services))
    server.register_error_handler(SQLAlchemyError, _database_error)
    server.register_error_handler(StoreUnavailable, _database_error)
    # chunked bodies carry no Content-Length, so MAX_CONTENT_LENGTH alone does not bound them
    server.wsgi_app = ChunkedBodyLimit(server.wsgi_app, settings.max_request_bytes)  # type: ignore[method-assign]
    return server, services


def _database_error(exc: Exception) -> Response:
    """Where no screen or route says better, a database that cannot answer is a 503 to retry (JSON, with
    Retry-After), by the one policy of :func:`services.store_outage`; any other database error is a bug
    and stays a 500."""
    if not isinstance(exc, StoreUnavailable):
        unavailable = outage_of(exc, f"{request.path} answered 503")
        if unavailable is None:
            raise exc
        exc = unavailable
    response = error_response(503, "database_unavailable", str(exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _unknown_dash_file(_exc: DependencyException) -> tuple[str, int]:
    """Dash raises for a component file it does not serve (``/_dash-component-suites/x/y.js``): that
    is a 404 of a public path, not a server fault worth a traceback in the log."""
    return "Not found", 404


def create_app(settings: Settings | None = None, scorer: Scorer | None = None) -> Dash:
    """Build the app; tests pass their own settings and scorer."""
    settings = settings or get_settings()
    scorer = scorer or Scorer.load(settings.model_dir)
    server, services = create_flask(settings, scorer)
    register_report_route(server, settings)
    security_headers(server).relax(REPORT_URL)     # Evidently's self-contained report: inline scripts
    register_letter_route(server, services)
    # Dash 4's annotations say server: bool | Callable and update_title: str; its documentation and
    # code take a Flask instance and None (no "Updating..." title)
    app = Dash(__name__, server=server, title="Prêt à dépenser", update_title=None,  # type: ignore[arg-type]
               assets_folder=str(ROOT / "assets"),  # Bootstrap 5.3.6 is served from assets/: no CDN
               suppress_callback_exceptions=True)
    # the page's language from the first byte (screen readers, hyphenation); the shell keeps it in
    # step with the language switch
    app.index_string = app.index_string.replace("<html>", f'<html lang="{DEFAULT_LANG}">', 1)
    app.layout = layouts.root_layout(settings)
    callbacks.register(app, services)
    server.register_error_handler(DependencyException, _unknown_dash_file)
    security_headers(server).allow_scripts(app.csp_hashes())   # after every callback: Dash's inline scripts
    return app


def services_of(server: Flask) -> Services:
    """The :class:`Services` a server was built with."""
    services: Services = server.extensions[SERVICES_KEY]
    return services


#: gunicorn's exit status for "Worker failed to boot" (``Arbiter.WORKER_BOOT_ERROR``): the arbiter
#: stops at once instead of restarting a worker that can never start.
WORKER_BOOT_ERROR = 3


def create_server() -> Flask:
    """WSGI entry point for gunicorn (``'app:create_server()'``).

    A broken model, data folder, database or users file, a model whose files are not those recorded at
    training or that no longer scores its known clients as at training, and a model trained on another
    data folder than the one served stop the process with their one-line reason (stderr and gunicorn's
    error log) and exit status 3, never a traceback: the operator has a file to fix, not a bug.
    """
    try:
        settings = get_settings()
        server: Flask = create_app(settings).server
        services = services_of(server)
        check_known_rows(services.scorer)
        check_served_data(services.scorer, settings.data_dir)
        services.simulator.warm_up()   # the client files, before the first meeting asks for them
    except (ArtifactError, DataError, StoreError, auth.ConfigError) as exc:
        line = f"cannot start: {exc}"
        gunicorn_log = logging.getLogger("gunicorn.error")
        if gunicorn_log.handlers:     # under gunicorn: its error log (stderr unless --error-logfile)
            gunicorn_log.error(line)
        else:
            print(line, file=sys.stderr, flush=True)
        raise SystemExit(WORKER_BOOT_ERROR) from None
    return server


if __name__ == "__main__":
    s = get_settings()
    create_app(s).run(host="127.0.0.1", port=8050, debug=s.debug)
