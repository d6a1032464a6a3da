"""Server-side sign-in sessions: a cookie carries a random token, the database says whether it still opens.

A signed cookie alone stays valid until it expires, even after the user signed out or was removed;
keeping each sign-in as a row lets logout (and expiry) end it for every copy of the cookie. Only the
token's SHA-256 is stored, so a copy of the database opens no session.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from model.monitoring.store import engine_for, sign_ins


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
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
            conn.execute(update(sign_ins).where(sign_ins.c.token_sha256 == _digest(token),
                                                sign_ins.c.revoked_at.is_(None))
                         .values(revoked_at=datetime.now(UTC)))
