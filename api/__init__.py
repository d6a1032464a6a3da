"""The JSON API: ``create_blueprint(services)`` gives the ``/api/v1`` routes.

``errors`` holds the one error shape (also used by ``auth.py``), ``validation`` what a
request may send (read from ``data.schema``'s declarations), ``routes`` the transport.
"""
from api.routes import ROUTES, create_blueprint, score_payload
from api.validation import REQUIRED, ParsedApplication, parse_predict_body
from data.schema import RANGES

__all__ = ["RANGES", "REQUIRED", "ROUTES", "ParsedApplication", "create_blueprint", "parse_predict_body",
           "score_payload"]
