"""The Dash app: one process holds the model and every client in memory and serves both
the relationship managers' dashboard and the JSON routes.

    gunicorn --workers 2 --bind 127.0.0.1:8050 'app:create_server()'
    python app.py                      # development server on 127.0.0.1:8050
"""
from __future__ import annotations

from dataclasses import dataclass

from dash import Dash
from flask import Flask
from flask_caching import Cache

import auth
from model.monitoring.scoring_log import ScoringLog
from model.scoring import Scorer
from settings import ROOT, Settings, get_settings


@dataclass(frozen=True)
class Services:
    """What callbacks and routes share: built once per process, read-only afterwards."""

    settings: Settings
    scorer: Scorer
    cache: Cache
    scoring_log: ScoringLog = ScoringLog(None)


def create_app(settings: Settings | None = None, scorer: Scorer | None = None) -> Dash:
    """Build the app; tests pass their own settings and scorer."""
    settings = settings or get_settings()
    scorer = scorer or Scorer.load(settings.model_dir)
    server = Flask(__name__, instance_path=str(settings.instance_dir))
    server.config.update(
        SECRET_KEY=auth.secret_key(settings),
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
        DEBUG=settings.debug,
        PROPAGATE_EXCEPTIONS=False,
    )
    cache = Cache(server, config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600,
                                  "CACHE_THRESHOLD": 5000})
    services = Services(settings=settings, scorer=scorer, cache=cache, scoring_log=ScoringLog(settings.scoring_log))
    server.extensions["credit_services"] = services
    auth.init_auth(server, settings)

    import api
    import callbacks
    import layouts

    server.register_blueprint(api.create_blueprint(services))
    callbacks.drift.register_report_route(server, settings)
    app = Dash(__name__, server=server, title="Prêt à dépenser", update_title=None,
               assets_folder=str(ROOT / "assets"),  # Bootstrap 5.3.6 is served from assets/: no CDN
               suppress_callback_exceptions=True)
    app.layout = layouts.root_layout(services)
    callbacks.register(app, services)
    return app


def create_server():
    """WSGI entry point for gunicorn (``'app:create_server()'``)."""
    return create_app().server


if __name__ == "__main__":
    s = get_settings()
    create_app(s).run(host="127.0.0.1", port=8050, debug=s.debug)
