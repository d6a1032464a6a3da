"""The one seam between the web layer (JSON routes, dashboard callbacks) and the domain.

``Services`` is built once per process by :func:`app.create_app` and handed to the API
blueprint and to every callback module: they reach the model, the population views, the
cache and the scoring log through it and nothing else, and it is read-only afterwards.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask
from flask_caching import Cache
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from sqlalchemy.exc import SQLAlchemyError

from model.clients.book import ClientBook
from model.monitoring.reviews import ReviewStore
from model.monitoring.scoring_log import ScoringLog
from model.monitoring.store import engine_for, health_of, is_outage
from model.scoring import Scorer
from model.simulation import ClientRecords, Simulator
from settings import Settings

T = TypeVar("T")

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait (``Retry-After``) when the database cannot record what it must.
RETRY_AFTER_S = 5
#: Errors of a backend that went away (cache: Redis; ``OSError`` for a socket closed under it).
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)


class StoreUnavailable(Exception):
    """The product's database cannot answer now (stopped, unreachable, locked by another process past
    :data:`model.monitoring.store.STORE_WAIT_S`): what needed it is refused with a 503 to retry after
    :data:`RETRY_AFTER_S` seconds, or a message on screen, never a 500."""

    retry_after = RETRY_AFTER_S

    def __init__(self, refused: str) -> None:
        super().__init__(f"the database cannot answer just now: {refused}")
        self.refused = refused


@contextmanager
def store_outage(refused: str) -> Iterator[None]:
    """The one database-outage policy of the web layer: inside the block, an outage
    (:func:`database_unavailable`, logged once a minute with ``refused``: what was refused because of it)
    becomes :class:`StoreUnavailable`; any other database error is a bug and propagates (a 500)."""
    try:
        yield
    except SQLAlchemyError as exc:
        unavailable = outage_of(exc, refused)
        if unavailable is None:
            raise
        raise unavailable from exc


def outage_of(exc: BaseException, refused: str) -> StoreUnavailable | None:
    """:class:`StoreUnavailable` when ``exc`` is an outage (logged as :func:`store_outage` does), else None."""
    return StoreUnavailable(refused) if database_unavailable(exc, refused) else None


def database_unavailable(exc: BaseException, refused: str) -> bool:
    """Whether ``exc`` says the database cannot be reached (server stopped, connection lost, pool
    exhausted), as opposed to a bug in a statement: the first is a 503 to retry, the second a 500.

    When it is, the outage is logged (at most once a minute, with ``refused``: what was refused because
    of it), so an outage under load is one line a minute, not one per request.
    """
    down = is_outage(exc)
    if down:
        _DATABASE_DOWN.warn("database unavailable, %s: %s", refused, str(exc).splitlines()[0] if str(exc) else exc)
    return down


class ThrottledWarning:
    """A warning logged at most once every ``every_s`` seconds, with how many were left out meanwhile:
    a backend down under load fails every request, and one line per request would flood the log."""

    def __init__(self, logger: logging.Logger, every_s: float = 60.0) -> None:
        self._logger, self._every_s = logger, every_s
        self._lock = threading.Lock()
        self._next = 0.0
        self._skipped = 0

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self._skipped += 1
                return
            skipped, self._skipped, self._next = self._skipped, 0, now + self._every_s
        suffix = f" ({skipped} more since the last report)" if skipped else ""
        self._logger.warning(message + suffix, *args)


_DATABASE_DOWN = ThrottledWarning(log)


def redis_client_options(settings: Settings) -> dict[str, Any]:
    """Options of every Redis client of the product (views cache, sign-in counters): short timeouts and
    no retries, so a Redis down costs :attr:`Settings.redis_timeout_s` per call, then a fallback."""
    return {"socket_timeout": settings.redis_timeout_s, "socket_connect_timeout": settings.redis_timeout_s,
            "retry": Retry(NoBackoff(), 0)}


class ViewCache:
    """Computed views (score payloads, figures) cached under the model version that made them.

    Every key starts with the kind of view and the model version, so a new model never
    serves an old model's answer, and no caller writes a key by hand.

    The cache is an optimisation, never a dependency: when its backend (Redis) fails, the view is
    computed and served, the error counted (:meth:`stats`) and reported in the log at most once a
    minute. Every value cached is pickled, by SimpleCache too, so what works in one process works in
    Redis.
    """

    def __init__(self, cache: Cache, model_version: str, backend: str = "simple") -> None:
        self._cache = cache
        self.model_version = model_version
        self.backend = backend
        self._counts = {"hits": 0, "misses": 0, "errors": 0}
        self._lock = threading.Lock()
        self._warning = ThrottledWarning(log)

    @classmethod
    def for_server(cls, server: Flask, settings: Settings, model_version: str) -> ViewCache:
        """The cache of one server: per process (flask-caching's SimpleCache) unless ``CACHE_URL`` names
        a Redis shared by every worker and host, with short timeouts and no retries (a dead Redis
        costs :attr:`Settings.redis_timeout_s` at most per call, then a miss)."""
        if not settings.cache_url:
            cache = Cache(server, config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": settings.cache_seconds,
                                          "CACHE_THRESHOLD": settings.cache_entries})
            return cls(cache, model_version)
        options = {**redis_client_options(settings), "health_check_interval": 0}
        cache = Cache(server, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.cache_url,
                                      "CACHE_KEY_PREFIX": settings.cache_key_prefix,
                                      "CACHE_DEFAULT_TIMEOUT": settings.cache_seconds, "CACHE_OPTIONS": options})
        return cls(cache, model_version, backend="redis")

    def key(self, kind: str, *parts: Hashable) -> str:
        return ":".join([kind, self.model_version, *map(str, parts)])

    def get_or_compute(self, kind: str, parts: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The cached view, or ``compute()`` stored for the next request."""
        return self.lookup(kind, parts, compute)[0]

    def lookup(self, kind: str, parts: tuple[Hashable, ...], compute: Callable[[], T]) -> tuple[T, str]:
        """The view and how it was got: ``"hit"``, ``"miss"`` (computed and stored) or ``"error"``
        (the backend failed: computed, maybe not stored)."""
        key = self.key(kind, *parts)
        outcome = "miss"
        value: T | None = None
        try:
            value = self._cache.get(key)
        except CACHE_ERRORS as exc:
            outcome = self._failed("read", exc)
        if value is not None:
            self._count("hits")
            return value, "hit"
        value = compute()
        if outcome == "miss":
            try:
                self._cache.set(key, value)
            except CACHE_ERRORS as exc:
                outcome = self._failed("write", exc)
        self._count("misses" if outcome == "miss" else "errors")
        return value, outcome

    def _failed(self, action: str, exc: Exception) -> str:
        self._warning.warn("view cache (%s) %s failed, views computed without it: %s", self.backend, action,
                           str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return "error"

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def stats(self) -> dict[str, object]:
        """This process's cache figures since start: backend, hits, misses, errors (backend failures)."""
        with self._lock:
            return {"backend": self.backend, **self._counts}


@dataclass(frozen=True)
class Services:
    """What routes and callbacks share: built once per process, read-only afterwards."""

    settings: Settings
    scorer: Scorer
    views: ViewCache
    #: Every score served (the ``scores`` table of ``DATABASE_URL``; off when ``SCORING_LOG=off``).
    scoring_log: ScoringLog
    #: Human reviews of referred or refused files (same database, append-only).
    reviews: ReviewStore
    clients: ClientBook
    #: What-if scores and counter-offers, from the clients' raw rows (loaded on first use).
    simulator: Simulator

    def store_health(self) -> dict[str, str]:
        """The database as this process last saw it (no query: health must answer when the database cannot)."""
        return health_of(self.reviews.engine).to_dict()

    @classmethod
    def build(cls, server: Flask, settings: Settings, scorer: Scorer) -> Services:
        engine = engine_for(settings.database_url)   # one per process and URL, schema checked once
        return cls(settings=settings, scorer=scorer,
                   views=ViewCache.for_server(server, settings, scorer.version),
                   scoring_log=ScoringLog.from_settings(settings, engine), reviews=ReviewStore(engine),
                   clients=ClientBook.build(scorer, settings.min_group_size),
                   simulator=Simulator(scorer, lambda: ClientRecords.load(settings.data_dir, scorer.include_children,
                                                                         settings.records_cache_dir)))
