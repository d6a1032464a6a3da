"""Who may see client data: relationship managers sign in, programs send an API key.

Users and their password hashes live in a JSON file outside git (``USERS_FILE``);
API keys come from ``API_KEYS`` or ``instance/api_keys.txt``. Nothing here is stored
in the repository, and the local demo creates its own account on first start.

    python -m auth add-user NAME        # asks for the password, stores its hash
    python -m auth demo                 # local demo: a 'demo' account and an API key if none exist
"""
from __future__ import annotations

import functools
import getpass
import hmac
import json
import logging
import math
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, make_response, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf  # type: ignore[import-untyped]  # no py.typed
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from api.errors import error_response, is_api_path
from model.monitoring.sign_ins import Limit, SignIns, SignInThrottle, parse_limits
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import RETRY_AFTER_S, StoreUnavailable, ThrottledWarning, store_outage
from settings import Settings, get_settings

#: Paths anyone may reach: the sign-in page, static files and the health probe.
PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/api/v1/health", "/api/v1/openapi.json",
                   "/docs/api", "/favicon.ico", "/_favicon.ico")
API_KEY_HEADER = "X-API-Key"
#: Key of the Flask session holding the sign-in's token (its row in ``sign_ins`` says whether it is still open).
SESSION_TOKEN_KEY = "sign_in"
#: The device cookie (:class:`model.monitoring.sign_ins.SignInThrottle`): signed, a random nonce and the
#: usernames that signed in from this browser (the last few), kept a year.
DEVICE_COOKIE = "pad_device"
DEVICE_COOKIE_DAYS = 365
DEVICE_USERS = 5


def _limits(setting: str, text: str) -> tuple[Limit, ...]:
    try:
        return parse_limits(text)
    except ValueError as exc:
        raise ConfigError(f"{setting}: {exc}") from None


def _key(username: str) -> str:
    return username.strip().casefold()


class ConfigError(RuntimeError):
    """A configured file (users, keys) that cannot be used, named with the reason."""


def _unavailable(exc: StoreUnavailable | ConfigError) -> Response:
    """503 when the sign-ins' database cannot answer (:func:`services.store_outage`), or the users file
    has become unreadable (JSON for programs and Dash, the sign-in page's words for a browser), with
    Retry-After. Nobody is let in on a users file that cannot be read: the last good copy may still
    hold a user the operator was removing."""
    if isinstance(exc, ConfigError):
        _USERS_BROKEN.warn("users file unreadable, sign-in and session checks answered 503: %s", exc)
    lang = _lang()
    if is_api_path(request.path) or request.path.startswith("/_dash") or \
            (request.method != "GET" and request.path != "/login"):
        code = "users_file_unavailable" if isinstance(exc, ConfigError) else "database_unavailable"
        response: Response = error_response(503, code, t("auth.unavailable", lang))
    else:
        response = make_response(login_page(lang, t("auth.unavailable", lang), _safe_next(request.args.get("next"))),
                                 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


#: What a store outage refuses here, in the log's one line a minute.
_REFUSED = "sign-in and session checks answered 503"
_USERS_BROKEN = ThrottledWarning(logging.getLogger(__name__))


class User:
    """A signed-in person, with what flask-login asks of a user (its UserMixin is untyped)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, name: str) -> None:
        self.id = name

    def get_id(self) -> str:
        return self.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, User) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def _write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def load_users(path: Path) -> dict[str, str]:
    """{username: password hash}; a malformed file is refused with its name and the reason."""
    if not path.exists():
        return {}
    try:
        users = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable users file ({exc})") from None
    if not isinstance(users, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in users.items()):
        raise ConfigError(f"{path}: expected a JSON object {{\"username\": \"password hash\"}}")
    # werkzeug's "method$salt$hash" (scrypt or pbkdf2): anything else would be a 500 at that user's sign-in
    unhashed = [k for k, v in users.items()
                if v.count("$") < 2 or v.split("$")[0].split(":")[0] not in ("scrypt", "pbkdf2")]
    if unhashed:
        raise ConfigError(f"{path}: the password of {unhashed[0]!r} is not a password hash "
                          f"(remove the entry, then `python -m auth add-user NAME`)")
    return users


@functools.cache
def _dummy_hash() -> str:
    """What an unknown name's password is checked against, with the method add_user uses: the same
    time as a wrong password. One per process (a hash costs 0.14 s of a core; an app made again, as the
    tests do, needs no new one)."""
    return generate_password_hash(secrets.token_urlsafe(16))


def add_user(path: Path, name: str, password: str) -> None:
    if not name or not name.isprintable() or len(password) < 8:
        raise ConfigError("a user needs a printable name and a password of at least 8 characters")
    users = load_users(path)
    users[name] = generate_password_hash(password)
    _write_private(path, json.dumps(users, indent=2))


def ensure_demo_account(settings: Settings) -> tuple[str, str] | None:
    """Create a 'demo' account with a random password when no users exist yet (local demo)."""
    if load_users(settings.users_file):
        return None
    password = secrets.token_urlsafe(9)
    add_user(settings.users_file, "demo", password)
    _write_private(settings.instance_dir / "demo_credentials.txt", f"demo\n{password}\n")
    return "demo", password


def secret_key(settings: Settings) -> str:
    """The configured key, else one generated once and shared by every worker through a file."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.instance_dir / "secret_key"
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another worker won the race; read its key
    return path.read_text().strip()


def api_keys(settings: Settings) -> tuple[str, ...]:
    if settings.api_keys:
        return settings.api_keys
    path = settings.instance_dir / "api_keys.txt"
    if not path.exists():
        return ()
    return tuple(line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))


def ensure_demo_api_key(settings: Settings) -> str | None:
    if api_keys(settings):
        return None
    key = secrets.token_urlsafe(24)
    _write_private(settings.instance_dir / "api_keys.txt", key + "\n")
    return key


def _utf8(text: str) -> bytes:
    # surrogateescape: a header value never fails to encode, whatever bytes it carried
    return text.encode("utf-8", "surrogateescape")


def valid_api_key(given: str | None, keys: Iterable[str]) -> bool:
    """Constant-time check; on bytes, since compare_digest refuses non-ASCII str (any header is a 401, never a 500)."""
    if not given:
        return False
    given_bytes = _utf8(given)
    return any(hmac.compare_digest(given_bytes, _utf8(k)) for k in keys)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a sign-in link must not send the user elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _lang() -> Lang:
    return as_lang(request.args.get("lang") or request.cookies.get("lang"))


def login_page(lang: Lang, error: str | None = None, next_url: str = "/") -> str:
    msg = f'<div class="alert alert-danger" role="alert">{escape(error)}</div>' if error else ""
    csrf_field = f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(t("app.title", lang))}</title><link rel="stylesheet" href="/assets/login.css"></head>
<body><main class="login"><h1>{escape(t("app.title", lang))}</h1>{msg}
<form method="post" action="/login?next={escape(quote(next_url, safe=''))}&amp;lang={lang}">{csrf_field}
<label for="username">{escape(t("auth.username", lang))}</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{escape(t("auth.password", lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button id="login-submit" type="submit">{escape(t("auth.sign_in", lang))}</button>
</form><p class="lang"><a href="/login?lang={'en' if lang == 'fr' else 'fr'}&amp;next={escape(quote(next_url, safe=''))}">
{'English' if lang == 'fr' else 'Français'}</a></p></main></body></html>"""


class _UsersFile:
    """The users file, read again when it changes: a user removed from it is refused at the next request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, str] = {}
        self.get()

    def get(self) -> dict[str, str]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        if stamp != self._stamp:
            self._users, self._stamp = load_users(self.path), stamp
        return self._users


def init_auth(server: Flask, settings: Settings) -> None:
    """Sign-in for people (a server-side session) and API keys for programs, on every route."""
    manager = LoginManager()
    manager.init_app(server)
    users = _UsersFile(settings.users_file)
    keys = api_keys(settings)
    server.config["API_KEYS"] = keys
    server.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)   # only the sign-in form is checked (below)
    csrf = CSRFProtect(server)
    store = SignIns.for_url(settings.database_url)
    dummy_hash = _dummy_hash()
    throttle = SignInThrottle(store.engine, *(_limits(name, getattr(settings, name.lower()))
                                              for name in ("LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_LIMIT",
                                                           "LOGIN_DEVICE_LIMIT")))
    devices = URLSafeSerializer(str(server.secret_key), salt="device-cookie")

    def _load(user_id: str) -> User | None:
        """The session's user if its sign-in is still open on the server and the user still exists."""
        token = session.get(SESSION_TOKEN_KEY)
        if not isinstance(token, str) or user_id not in users.get():
            return None
        return User(user_id) if store.user_of(token) == user_id else None

    manager.user_loader(_load)

    def _device_cookie() -> dict[str, Any]:
        """The browser's device cookie {"n": nonce, "u": [usernames signed in from it]}, if genuine."""
        try:
            value = devices.loads(request.cookies.get(DEVICE_COOKIE, ""))
        except BadSignature:
            return {}
        ok = isinstance(value, dict) and isinstance(value.get("n"), str) and isinstance(value.get("u"), list)
        return value if ok else {}

    def _too_many(wait_s: float) -> Response:
        lang = _lang()
        response = make_response(login_page(lang, t("auth.too_many_attempts", lang),
                                            _safe_next(request.args.get("next"))), 429)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait_s)))
        return response

    def _remember_device(response: Response, cookie: dict[str, Any], name: str) -> None:
        """The device cookie, issued or extended with ``name`` at a successful sign-in (a year, HttpOnly)."""
        users_seen = [u for u in cookie.get("u", []) if u != _key(name)][-(DEVICE_USERS - 1):] + [_key(name)]
        value = devices.dumps({"n": cookie.get("n") or secrets.token_urlsafe(16), "u": users_seen})
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_DAYS * 86400, httponly=True, samesite="Lax",
                            secure=bool(server.config.get("SESSION_COOKIE_SECURE")))

    @server.route("/login", methods=["GET", "POST"])
    def login() -> ResponseReturnValue:
        lang = _lang()
        next_url = _safe_next(request.args.get("next"))
        if request.method == "POST":
            try:
                csrf.protect()
            except CSRFError:
                return login_page(lang, t("auth.csrf_failed", lang), next_url), 400
            name = request.form.get("username", "")
            password = request.form.get("password", "")
            address = request.remote_addr or "unknown"
            cookie = _device_cookie()
            # the cookie's nonce counts only for a user who signed in from this browser before
            device = cookie["n"] if _key(name) in cookie.get("u", []) else None
            try:
                with store_outage(_REFUSED):
                    wait_s, trusted = throttle.check(address, name, device)
                    if wait_s > 0:
                        return _too_many(wait_s)
                    stored = users.get().get(name)
                    if not (stored and check_password_hash(stored, password)):
                        if not stored:
                            check_password_hash(dummy_hash, password)   # an unknown name costs the same time
                        throttle.failed(address, name, trusted)
                        return login_page(lang, t("auth.bad_credentials", lang), next_url), 401
                    session[SESSION_TOKEN_KEY] = store.open(name, settings.session_hours)
            except (StoreUnavailable, ConfigError) as exc:
                return _unavailable(exc)
            login_user(User(name))
            response = redirect(next_url)
            _remember_device(response, cookie, name)
            return response
        return login_page(lang, None, next_url)

    @server.route("/logout")
    def logout() -> Response:
        token = session.get(SESSION_TOKEN_KEY)
        if isinstance(token, str):
            try:
                with store_outage(_REFUSED):
                    store.revoke(token)
            except StoreUnavailable as exc:
                return _unavailable(exc)   # the session stays: signing out again revokes it everywhere
        logout_user()
        session.clear()
        return redirect("/login")

    @server.before_request
    def _guard() -> Response | None:
        path = request.path
        if server.config.get("LOGIN_DISABLED") or path.startswith(PUBLIC_PREFIXES):
            return None
        if is_api_path(path):
            if valid_api_key(request.headers.get(API_KEY_HEADER), keys):
                return None
            return error_response(401, "unauthorized", f"missing or invalid {API_KEY_HEADER} header")
        try:
            with store_outage(_REFUSED):
                signed_in = current_user.is_authenticated    # loads the sign-in's row (flask-login's user_loader)
        except (StoreUnavailable, ConfigError) as exc:
            return _unavailable(exc)
        if signed_in:
            return None
        if path.startswith("/_dash") or request.method != "GET":
            return error_response(401, "unauthorized", "sign in first")
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'), safe='')}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    settings = get_settings()
    if args == ["demo"]:
        try:
            account = ensure_demo_account(settings)
            key = ensure_demo_api_key(settings)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if account:
            print(f"Demo account created: user '{account[0]}', password '{account[1]}' "
                  f"(also in {settings.instance_dir / 'demo_credentials.txt'})")
        else:
            creds = settings.instance_dir / "demo_credentials.txt"
            hint = f" (demo credentials in {creds})" if creds.exists() else ""
            print(f"Sign in with an account of {settings.users_file}{hint}")
        if key:
            print(f"Demo API key created in {settings.instance_dir / 'api_keys.txt'}")
        return 0
    if len(args) != 2 or args[0] != "add-user":
        print("usage: python -m auth add-user NAME | python -m auth demo", file=sys.stderr)
        return 2
    password = getpass.getpass("password: ")
    try:
        add_user(settings.users_file, args[1], password)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"user {args[1]} stored in {settings.users_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
