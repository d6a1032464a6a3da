"""HTTP security headers on every answer: what a browser may load, run, frame, send on and keep.

* ``Cache-Control: no-store`` (and ``Pragma: no-cache`` for HTTP/1.0 caches) on every answer but the
  static files (:data:`STATIC_PREFIXES`): scores, pages, callbacks, the letter and errors carry personal
  data, never kept by a browser or a shared cache;
* HSTS and the session cookie's ``Secure`` flag are on unless the operator serves plain HTTP on loopback
  on purpose (``PLAIN_HTTP_LOOPBACK=1``, ``settings.plain_http_loopback``);
* a request line longer than :data:`MAX_REQUEST_LINE` bytes is a 414 (:class:`RequestLineLimit`).

Written as one ``after_request`` rather than with flask-talisman: the policy depends on the kind of
answer (a JSON answer gets ``default-src 'none'``, the self-contained Evidently report its own inline
scripts) and on Dash's inline-script hashes, known only once the dashboard is built; Talisman's
per-view options would need decorating routes defined elsewhere, and its HTTPS redirect and cookie
handling would duplicate the settings this product already has.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from flask import Flask, request
from flask.wrappers import Response

from api.errors import HTTP_CODES, error_response, is_api_path
from settings import Settings

#: Where the extension keeps the policy of one server.
EXTENSION_KEY = "security_headers"
#: One year, the value HSTS preload lists ask for.
HSTS_SECONDS = 365 * 24 * 3600
#: Paths of files that are the same for everybody (the dashboard's assets, Dash's component bundles,
#: Swagger UI's files): the only answers a browser may cache.
STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/docs/api/static/")
#: What every other answer says to caches: personal data is stored neither by the browser nor by a shared cache.
NO_STORE = "no-store"
#: Longest request line (method, path and query, protocol) the app serves, in bytes: gunicorn's own bound
#: (``limit_request_line`` in gunicorn.conf.py) is about twice this, so that a longer line reaches the app and is
#: answered 414 in the API's shape instead of being cut by the server.
MAX_REQUEST_LINE = 4094


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


def is_static_path(path: str) -> bool:
    """Whether ``path`` is a static file a browser may cache (:data:`STATIC_PREFIXES`)."""
    return path.startswith(STATIC_PREFIXES)


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
        if not is_static_path(request.path):
            headers["Cache-Control"] = NO_STORE        # over whatever a library set: personal data
            headers["Pragma"] = "no-cache"
            headers.pop("Expires", None)
        if self.https:
            headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains")
        return response


# --------------------------------------------------------------------------- where a request comes from

#: Methods that change nothing (RFC 9110 "safe"); every other one is checked by :class:`OriginCheck`.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None when it cannot be read."""
    scheme = scheme.lower()
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None or scheme not in _DEFAULT_PORTS:
        return None
    return scheme, parts.hostname.lower(), port


class OriginCheck:
    """Refuse a state-changing request that a browser sent from another site (cross-site request forgery).

    OWASP's CSRF cheat sheet, "Fetch Metadata headers" and "Verifying Origin With Standard Headers", as a
    defence in depth on top of SameSite=Lax cookies and the sign-in form's token. For every method but
    GET, HEAD, OPTIONS and TRACE, on every path (the dashboard's ``/_dash-update-component``, the sign-in
    form, the JSON API, whatever authenticates it):

    * ``Sec-Fetch-Site: cross-site`` or ``same-site`` (another origin of the same site, e.g. a sibling
      subdomain) is refused; ``same-origin`` and ``none`` (the user's own action) pass on to the next check;
    * an ``Origin`` header that is not this server's origin is refused, ``Origin: null`` (sandboxed or
      redirected requests) included. The server's origin is the scheme and ``Host`` of the request,
      default ports filled in; behind a TLS front (the default: every server but one on plain HTTP on
      loopback, ``PLAIN_HTTP_LOOPBACK=1``) ``https://<Host>`` is accepted too, as the front may speak
      plain HTTP to the server. There is no proxy setting that rewrites ``Host`` in this product; a front
      must pass the browser's ``Host`` on.
    * a request with neither header passes: browsers send at least one of them on every state-changing
      request they make (Origin on every POST since 2020), so their absence means a program (curl, an API
      client, a test) that carries no ambient credentials of a victim's browser.

    A refusal is a 403: JSON (the API's error shape) under ``/api/`` and ``/_dash``, plain text elsewhere.
    """

    def __init__(self, settings: Settings) -> None:
        self.https_front = settings.session_cookie_secure

    def own_origins(self) -> set[tuple[str, str, int]]:
        schemes = {request.scheme} | ({"https"} if self.https_front else set())
        return {o for o in (_origin(s, request.host) for s in schemes) if o is not None}

    def problem(self) -> str | None:
        """Why the current request is refused, or None."""
        if request.method in SAFE_METHODS:
            return None
        site = (request.headers.get("Sec-Fetch-Site") or "").strip().lower()
        if site in ("cross-site", "same-site"):
            return f"a {site} request may not change anything here"
        origin = request.headers.get("Origin")
        if origin is None:
            return None
        parts = urlsplit(origin.strip()) if origin.strip().lower() != "null" else None
        own = _origin(parts.scheme, parts.netloc) if parts is not None and not parts.path.strip("/") else None
        if own is None or own not in self.own_origins():
            return f"a request from origin {origin[:100]!r} may not change anything here"
        return None

    def check(self) -> Response | str | tuple[str, int, dict[str, str]] | None:
        problem = self.problem()
        if problem is None:
            return None
        if is_api_path(request.path) or request.path.startswith("/_dash"):
            return error_response(403, "forbidden", problem)
        return f"Forbidden: {problem}.\n", 403, {"Content-Type": "text/plain; charset=utf-8"}


# --------------------------------------------------------------------------- how long a request line is

def request_line_bytes(environ: Mapping[str, object]) -> int:
    """Bytes of the request line as the client sent it: ``METHOD target PROTOCOL``.

    The target is the raw one (``RAW_URI``, set by gunicorn and Werkzeug) or, from another server, the
    path and query as WSGI gives them (their percent-escapes undone, so never longer than sent).
    """
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not isinstance(target, str):
        query = str(environ.get("QUERY_STRING") or "")
        target = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}" + (f"?{query}" if query else "")
    line = f"{environ.get('REQUEST_METHOD', '')} {target} {environ.get('SERVER_PROTOCOL', '')}"
    return len(line.encode("latin-1", "replace"))      # WSGI strings are bytes decoded as Latin-1


class RequestLineLimit:
    """A request line over ``limit`` bytes is a 414: the API's JSON error under ``/api/`` and ``/_dash``,
    plain text elsewhere. No route of the product needs a long URL (a client's data is a POSTed body)."""

    def __init__(self, limit: int = MAX_REQUEST_LINE) -> None:
        self.limit = limit

    def check(self) -> Response | tuple[str, int, dict[str, str]] | None:
        length = request_line_bytes(request.environ)
        if length <= self.limit:
            return None
        message = f"request line of {length} bytes, longer than {self.limit}"
        if is_api_path(request.path) or request.path.startswith("/_dash"):
            return error_response(414, HTTP_CODES[414], message)
        return f"URI too long: {message}.\n", 414, {"Content-Type": "text/plain; charset=utf-8"}


def init_security_headers(server: Flask, settings: Settings) -> SecurityHeaders:
    """Security headers on every answer of ``server`` (pages, JSON, assets, errors), the request line's
    bound (:class:`RequestLineLimit`) and the origin check of every state-changing request
    (:class:`OriginCheck`), both run before the sign-in's checks."""
    headers = SecurityHeaders(settings)
    server.extensions[EXTENSION_KEY] = headers
    server.after_request(headers.apply)
    server.before_request(RequestLineLimit().check)
    server.before_request(OriginCheck(settings).check)
    return headers


def security_headers(server: Flask) -> SecurityHeaders:
    """The :class:`SecurityHeaders` a server was built with."""
    headers: SecurityHeaders = server.extensions[EXTENSION_KEY]
    return headers
