"""HTTP security headers on every answer: what a browser may load, run, frame and send on.

Written as one ``after_request`` rather than with flask-talisman: the policy depends on the kind of
answer (a JSON answer gets ``default-src 'none'``, the self-contained Evidently report its own inline
scripts) and on Dash's inline-script hashes, known only once the dashboard is built; Talisman's
per-view options would need decorating routes defined elsewhere, and its HTTPS redirect and cookie
handling would duplicate the settings this product already has.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Flask, request
from flask.wrappers import Response

from settings import Settings

#: Where the extension keeps the policy of one server.
EXTENSION_KEY = "security_headers"
#: One year, the value HSTS preload lists ask for.
HSTS_SECONDS = 365 * 24 * 3600


def _policy(directives: Mapping[str, Iterable[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _page_directives(scripts: Iterable[str]) -> dict[str, list[str]]:
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'", *scripts],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }


def page_policy(script_hashes: Iterable[str] = ()) -> str:
    """The dashboard's and sign-in page's CSP: nothing from elsewhere, no inline script but Dash's own.

    Styles stay 'unsafe-inline': Dash and plotly write ``style`` attributes on the fly.
    """
    return _policy(_page_directives(script_hashes))   # Dash's csp_hashes() come quoted


#: JSON answers are data, never a document: nothing may load or run in them.
JSON_POLICY = _policy({"default-src": ["'none'"], "frame-ancestors": ["'none'"]})

#: Evidently's report is one self-contained HTML file with its scripts and styles inline; it is
#: opened by a link (never framed), so only the inline code is relaxed, on that route alone.
INLINE_REPORT_POLICY = _policy(_page_directives(["'unsafe-inline'"]))


class SecurityHeaders:
    """The headers of one server; ``allow_scripts`` and ``relax`` adjust them once the routes are known."""

    def __init__(self, settings: Settings) -> None:
        self.https = settings.session_cookie_secure
        self.page = page_policy()
        self.relaxed: dict[str, str] = {}

    def allow_scripts(self, hashes: Iterable[str]) -> None:
        """Allow these inline scripts (CSP hashes, e.g. ``dash_app.csp_hashes()``) on every page."""
        self.page = page_policy(hashes)

    def relax(self, path: str, policy: str = INLINE_REPORT_POLICY) -> None:
        """Give one path its own policy (a self-contained report with inline scripts)."""
        self.relaxed[path] = policy

    def apply(self, response: Response) -> Response:
        if response.mimetype == "application/json":
            csp = JSON_POLICY
        else:
            csp = self.relaxed.get(request.path, self.page)
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if self.https:
            headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains")
        return response


def init_security_headers(server: Flask, settings: Settings) -> SecurityHeaders:
    """Security headers on every answer of ``server`` (pages, JSON, assets, errors)."""
    headers = SecurityHeaders(settings)
    server.extensions[EXTENSION_KEY] = headers
    server.after_request(headers.apply)
    return headers


def security_headers(server: Flask) -> SecurityHeaders:
    """The :class:`SecurityHeaders` a server was built with."""
    headers: SecurityHeaders = server.extensions[EXTENSION_KEY]
    return headers
