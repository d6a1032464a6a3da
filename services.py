"""The one seam between the web layer (JSON routes, dashboard callbacks) and the domain.

``Services`` is built once per process by :func:`app.create_app` and handed to the API
blueprint and to every callback module: they reach the model, the population views, the
cache and the scoring log through it and nothing else, and it is read-only afterwards.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask
from flask_caching import Cache

from model.clients.book import ClientBook
from model.monitoring.reviews import ReviewStore
from model.monitoring.scoring_log import ScoringLog
from model.monitoring.store import engine_for
from model.scoring import Scorer
from model.simulation import ClientRecords, Simulator
from settings import Settings

T = TypeVar("T")


class ViewCache:
    """Computed views (score payloads, figures) cached under the model version that made them.

    Every key starts with the kind of view and the model version, so a new model never
    serves an old model's answer, and no caller writes a key by hand.
    """

    def __init__(self, cache: Cache, model_version: str) -> None:
        self._cache = cache
        self.model_version = model_version

    @classmethod
    def for_server(cls, server: Flask, settings: Settings, model_version: str) -> ViewCache:
        """The process-local cache of one server (flask-caching's SimpleCache)."""
        cache = Cache(server, config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": settings.cache_seconds,
                                      "CACHE_THRESHOLD": settings.cache_entries})
        return cls(cache, model_version)

    def key(self, kind: str, *parts: Hashable) -> str:
        return ":".join([kind, self.model_version, *map(str, parts)])

    def get_or_compute(self, kind: str, parts: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The cached view, or ``compute()`` stored for the next request."""
        key = self.key(kind, *parts)
        value: T | None = self._cache.get(key)
        if value is None:
            value = compute()
            self._cache.set(key, value)
        return value


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

    @classmethod
    def build(cls, server: Flask, settings: Settings, scorer: Scorer) -> Services:
        engine = engine_for(settings.database_url)   # one per process and URL, schema checked once
        return cls(settings=settings, scorer=scorer,
                   views=ViewCache.for_server(server, settings, scorer.version),
                   scoring_log=ScoringLog.from_settings(settings, engine), reviews=ReviewStore(engine),
                   clients=ClientBook.build(scorer, settings.min_group_size),
                   simulator=Simulator(scorer, lambda: ClientRecords.load(settings.data_dir, scorer.include_children)))
