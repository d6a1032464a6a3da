"""Server-side sign-in sessions: a cookie carries a random token, the database says whether it still opens.

A signed cookie alone stays valid until it expires, even after the user signed out or was removed;
keeping each sign-in as a row lets logout (and expiry) end it for every copy of the cookie. Only the
token's SHA-256 is stored, so a copy of the database opens no session.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from model.monitoring.store import AUTHOR_MAX, engine_for, sign_in_failures, sign_ins, writing


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class SignIns:
    """The sign-ins of one database: open one, find whose it is, revoke it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def for_url(cls, database_url: str) -> SignIns:
        return cls(engine_for(database_url))

    def open(self, username: str, hours: float) -> str:
        """A new session token for ``username``, valid ``hours`` from now."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with writing(self.engine) as conn:
            conn.execute(insert(sign_ins).values(token_sha256=_digest(token), username=username, created_at=now,
                                                 expires_at=now + timedelta(hours=hours), revoked_at=None))
        return token

    def user_of(self, token: str) -> str | None:
        """The username of a session still open (neither revoked nor expired), else None."""
        query = select(sign_ins.c.username).where(sign_ins.c.token_sha256 == _digest(token),
                                                  sign_ins.c.revoked_at.is_(None),
                                                  sign_ins.c.expires_at > datetime.now(UTC))
        with self.engine.connect() as conn:
            name: str | None = conn.execute(query).scalar_one_or_none()
        return name

    def revoke(self, token: str) -> None:
        with writing(self.engine) as conn:
            conn.execute(update(sign_ins).where(sign_ins.c.token_sha256 == _digest(token),
                                                sign_ins.c.revoked_at.is_(None))
                         .values(revoked_at=datetime.now(UTC)))


# --------------------------------------------------------------------------- failed sign-ins

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT_RE = re.compile(r"^\s*(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    """At most ``count`` failures in any ``seconds``."""

    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds} s"


def parse_limits(text: str) -> tuple[Limit, ...]:
    """``"5 per minute; 20 per hour"`` (also ``"10 per 15 minutes"``, ``"5/minute"``) as limits;
    ValueError naming the part it cannot read."""
    limits = []
    for part in (p for p in re.split(r"[;,]", text) if p.strip()):
        match = _LIMIT_RE.match(part)
        if match is None or int(match.group(1)) < 1 or match.group(2) == "0":
            raise ValueError(f"cannot read the limit {part.strip()!r}: expected e.g. '5 per minute' or "
                             "'10 per 15 minutes'")
        limits.append(Limit(int(match.group(1)), int(match.group(2) or 1) * _UNITS[match.group(3).lower()]))
    if not limits:
        raise ValueError("no limit given: expected e.g. '5 per minute; 20 per hour'")
    return tuple(limits)


def device_digest(nonce: str) -> str:
    """The stored form of a device cookie's nonce (a copy of the database names no cookie)."""
    return _digest(nonce)


class SignInThrottle:
    """Failed sign-ins counted in the product's database, shared by every worker and host.

    OWASP's guidance against online guessing (Authentication Cheat Sheet, "Slow down online guessing
    attacks with device cookies"): a limit per account is what stops a password guessed from many
    addresses, but alone it lets anyone lock a known user out. So a browser in which the user signed in
    before carries a *device cookie* and is judged by its own failures only; every other attempt is
    judged by its address's failures and by the account's failures from untrusted browsers.

    * ``address``: failures from one address (``LOGIN_RATE_LIMIT``, default 5 a minute, 20 an hour);
    * ``account``: failures on one username from browsers without its device cookie
      (``LOGIN_ACCOUNT_LIMIT``, default 10 per 15 minutes: at most 40 guesses an hour on an account,
      whatever the number of addresses and workers);
    * ``device``: failures from one device cookie (``LOGIN_DEVICE_LIMIT``, default 5 per 15 minutes);
      beyond it the cookie is no longer trusted and the browser is judged as any other.

    An attacker can therefore keep a user out only of a browser he never signed in from, and for at
    most the account window after the attack stops.
    """

    def __init__(self, engine: Engine, address: tuple[Limit, ...], account: tuple[Limit, ...],
                 device: tuple[Limit, ...]) -> None:
        self.engine = engine
        self.limits = {"address": address, "username": account, "device": device}
        self._keep_s = max(lim.seconds for lims in self.limits.values() for lim in lims)

    def _wait_s(self, conn: Connection, column: str, value: str, now: datetime, **extra: object) -> float:
        """Seconds until ``value`` is under every limit of ``column`` again (0 when it is now)."""
        wait = 0.0
        for lim in self.limits[column]:
            query = (select(sign_in_failures.c.at)
                     .where(sign_in_failures.c[column] == value, sign_in_failures.c.at > now - timedelta(seconds=lim.seconds),
                            *(sign_in_failures.c[k] == v for k, v in extra.items()))
                     .order_by(sign_in_failures.c.at.desc()).offset(lim.count - 1).limit(1))
            at = conn.execute(query).scalar_one_or_none()
            if at is not None:
                wait = max(wait, (at + timedelta(seconds=lim.seconds) - now).total_seconds())
        return wait

    def check(self, address: str, username: str, device: str | None) -> tuple[float, str | None]:
        """(seconds this attempt must wait, 0 when it may be tried; the device cookie's nonce if the
        browser is trusted, else None). ``device``: the nonce of a device cookie valid for ``username``
        (checked by the caller), else None. A trusted browser is judged by its own failures only."""
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            if device is not None and self._wait_s(conn, "device", device_digest(device), now) <= 0:
                return 0.0, device
            return max(self._wait_s(conn, "address", address, now),
                       self._wait_s(conn, "username", _user_key(username), now, device=None)), None

    def failed(self, address: str, username: str, device: str | None) -> None:
        """Count one failure (a trusted device's against its cookie only); rows past every window go."""
        now = datetime.now(UTC)
        with writing(self.engine) as conn:
            conn.execute(insert(sign_in_failures).values(
                at=now, address=address[:64], username=_user_key(username),
                device=device_digest(device) if device is not None else None))
            conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at < now - timedelta(seconds=self._keep_s)))


def _user_key(username: str) -> str:
    return username.strip().casefold()[:AUTHOR_MAX]
