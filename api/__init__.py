"""The JSON API: ``create_blueprint(services)`` gives the ``/api/v1`` routes."""
from api.routes import RANGES, REQUIRED, ROUTES, create_blueprint, parse_predict_body

__all__ = ["RANGES", "REQUIRED", "ROUTES", "create_blueprint", "parse_predict_body"]
