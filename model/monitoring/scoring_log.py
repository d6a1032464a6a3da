"""The log of every score served: rows of the ``scores`` table, which a drift run can take as its
"current" data and the client's file reads as the client's history.

Why a table (:mod:`model.monitoring.store`) rather than the JSON Lines file it used to be: a
client's history and a period's applications are indexed queries, several gunicorn workers
append at once through the database's own locking, and rows are append-only by trigger.

The record of one score (:func:`record_from_payload`) is the same dict as before, and
:meth:`ScoringLog.read` gives the same dicts back, so callers did not change. A legacy JSON
Lines log (``SCORING_LOG``, ``instance/scoring_log.jsonl`` by default) is imported once, at start,
then renamed ``<name>.imported``.

Size: a record's features are stored as a zlib-compressed JSON array aligned with the model
version's feature names (kept once, in ``feature_sets``), and rebuilt into the same dict on read;
rows written before (features by name) read back as they were.

Retention (docs/scoring-log.md): rows older than ``SCORING_LOG_RETENTION_DAYS`` are deleted when
the server starts and then at most once a day by the writing path; the database itself refuses
to delete a score younger than six months.

CLI::

    python -m model.monitoring.scoring_log import PATH     # a legacy JSON Lines log, once
    python -m model.monitoring.scoring_log stats           # rows, first/last score, bytes per score
    python -m model.monitoring.scoring_log prune           # delete the rows past the retention period
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import logging
import os
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pandas as pd
from sqlalchemy import Engine, delete, func, insert, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from model.json_values import json_value
from model.monitoring.store import (
    StoreError,
    database_bytes,
    engine_for,
    feature_sets,
    imports,
    scores,
    writing,
)
from settings import MIN_RETENTION_DAYS, Settings, get_settings

if TYPE_CHECKING:
    from model.scoring import Score

log = logging.getLogger(__name__)

#: Rows sent to the database per INSERT when importing (executemany).
_IMPORT_CHUNK = 1000
#: Rows fetched per round trip when reading a period.
_READ_CHUNK = 1000
_RECORD_KEYS = ("client_id", "model_version", "probability", "threshold", "decision")
_INSERT = insert(scores)
#: Seconds between two automatic prunes by the writing path of one process.
PRUNE_EVERY_S = 24 * 3600
#: zlib level of the stored feature values: 6 (the default) is within 2 % of 9's size at half its time.
_ZLIB_LEVEL = 6


def record_from_payload(payload: Mapping[str, Any], features: pd.DataFrame | Mapping[str, Any] | None,
                        source: str) -> dict[str, Any]:
    """What is kept of one served score: who, which model, when, the outcome and the inputs.

    ``payload`` is any mapping with the keys of :meth:`Score.to_dict` (a cached answer will do);
    ``features`` a one-row frame, or values already made JSON (``Scorer.feature_values``).
    """
    row: dict[str, Any]
    if features is None:
        row = {}
    elif isinstance(features, pd.DataFrame):
        row = {str(k): json_value(v) for k, v in features.iloc[0].items()}
    else:
        row = dict(features)
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "source": source,
        **{k: payload[k] for k in _RECORD_KEYS},
        "grade": payload.get("grade"),
        "reason_codes": list(payload.get("reason_codes") or ()),
        "features": row,
    }


def record(score: Score, features: pd.DataFrame | Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    return record_from_payload(score.to_dict(0), features, source)


@dataclass(frozen=True)
class ScoreEvent:
    """One score served to a client, as the client's file lists it (no inputs: they are not shown)."""

    timestamp: datetime
    source: str
    model_version: str
    probability: float
    grade: str | None
    decision: str
    threshold: float | None
    #: the reason codes the score carried, in order (empty for a grant, or a row older than schema 3)
    reason_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreStats:
    """What ``stats`` prints: how much the store holds and what a score costs on disk."""

    rows: int
    first: datetime | None
    last: datetime | None
    #: Bytes on disk of an SQLite store (file + write-ahead log); None for a server database.
    file_bytes: int | None

    @property
    def bytes_per_score(self) -> float | None:
        return self.file_bytes / self.rows if self.file_bytes is not None and self.rows else None


class LegacyLogError(ValueError):
    """A legacy log line that cannot be imported (the message names the file and line)."""


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


#: Finds (or creates) the feature set of a model version's names, within a connection: its id.
FeatureSetOf = Callable[[Connection, str, tuple[str, ...]], int]


def _row(entry: Mapping[str, Any], conn: Connection, feature_set_of: FeatureSetOf) -> dict[str, Any]:
    """A record dict as a ``scores`` row (the inverse of :func:`_record`): the features' values
    compressed, their names replaced by the id of the model version's feature set."""
    client = entry.get("client_id")
    threshold = entry.get("threshold")
    features = entry.get("features")
    model_version = str(entry["model_version"])
    row = {"timestamp": _timestamp(entry["timestamp"]), "source": str(entry["source"]),
           "client_id": None if client is None else int(client), "model_version": model_version,
           "probability": float(entry["probability"]), "threshold": None if threshold is None else float(threshold),
           "decision": str(entry["decision"]), "grade": None if entry.get("grade") is None else str(entry["grade"]),
           "reason_codes": ",".join(str(c) for c in entry.get("reason_codes") or ()),
           "features": {}, "feature_set": None, "feature_values": None}
    if isinstance(features, Mapping) and features:
        row["feature_set"] = feature_set_of(conn, model_version, tuple(str(k) for k in features))
        row["feature_values"] = zlib.compress(orjson.dumps(list(features.values()),
                                                           option=orjson.OPT_SERIALIZE_NUMPY), _ZLIB_LEVEL)
    return row


def _record(row: Any, names_of: Callable[[int], tuple[str, ...]]) -> dict[str, Any]:
    """A ``scores`` row as the record dict :func:`record_from_payload` made (same keys, same order)."""
    if row.feature_set is None:
        features = row.features                  # written before schema version 2, or no inputs
    else:
        features = dict(zip(names_of(row.feature_set), orjson.loads(zlib.decompress(row.feature_values)),
                            strict=True))
    return {"timestamp": row.timestamp.isoformat(timespec="milliseconds"), "source": row.source,
            "client_id": row.client_id, "model_version": row.model_version, "probability": row.probability,
            "threshold": row.threshold, "decision": row.decision, "grade": row.grade,
            "reason_codes": _codes(row.reason_codes), "features": features}


def _codes(stored: str | None) -> list[str]:
    return [c for c in (stored or "").split(",") if c]


def _names_digest(names: tuple[str, ...]) -> str:
    return hashlib.sha256(orjson.dumps(names)).hexdigest()


def _insert_ignoring_duplicates(conn: Connection) -> Any:
    """INSERT … ON CONFLICT DO NOTHING into feature_sets: two workers may meet a new model at once."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(feature_sets).on_conflict_do_nothing()


def _feature_set_in(conn: Connection, model_version: str, names: tuple[str, ...]) -> int:
    """The id of this model version's feature names, the row created when it is new."""
    digest = _names_digest(names)
    c = feature_sets.c
    # the write comes first: on SQLite (WAL) a transaction that reads and then writes cannot wait for
    # another writer (SQLITE_BUSY at once, the busy timeout unused); one that starts by writing waits
    conn.execute(_insert_ignoring_duplicates(conn).values(model_version=model_version, sha256=digest,
                                                          names=list(names)))
    query = select(c.id).where(c.model_version == model_version, c.sha256 == digest)
    return int(conn.execute(query).scalar_one())


@dataclass(frozen=True)
class Pruned:
    """What a prune removed: the rows older than ``cutoff`` (the database's clock minus the retention)."""

    rows: int
    cutoff: datetime
    retention_days: int


class ScoringLog:
    """Append-only log of the scores served, in the ``scores`` table; ``engine=None`` turns logging off.

    With ``retention_days``, rows older than that are pruned by the first append and then at most
    once every :data:`PRUNE_EVERY_S` (``from_settings`` also prunes at start); without, never
    automatically (tests, benchmarks, the CLI's other commands).
    """

    def __init__(self, engine: Engine | None, retention_days: int | None = None) -> None:
        if retention_days is not None and retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"a retention of {retention_days} days is below the floor of {MIN_RETENTION_DAYS}")
        self.engine = engine
        self.retention_days = retention_days
        # feature sets known to this process: (model version, names) → id, and id → names
        self._set_ids: dict[tuple[str, tuple[str, ...]], int] = {}
        self._set_names: dict[int, tuple[str, ...]] = {}
        self._next_prune = 0.0 if retention_days is not None else float("inf")
        self._prune_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> ScoringLog:
        """The product's log: off when ``SCORING_LOG=off``; else on ``DATABASE_URL`` (or ``engine``), the
        legacy JSON Lines file imported first if it is still there.

        A legacy file that cannot be imported is reported in the server log and left in place:
        the server still starts, and ``python -m model.monitoring.scoring_log import`` says why.
        """
        if settings.scoring_log is None:
            return cls(None)
        scoring_log = cls(engine if engine is not None else engine_for(settings.database_url),
                          settings.scoring_log_retention_days)
        if settings.scoring_log.is_file():
            try:
                scoring_log.import_jsonl(settings.scoring_log)
            except (LegacyLogError, StoreError, SQLAlchemyError, OSError) as exc:
                log.warning("legacy scoring log %s not imported: %s", settings.scoring_log, exc)
        scoring_log._prune_when_due()
        return scoring_log

    @property
    def enabled(self) -> bool:
        """False when logging is off: callers then skip gathering the record's inputs."""
        return self.engine is not None

    def append(self, entry: dict[str, Any]) -> None:
        """Store one record (a :func:`record_from_payload` dict), in its own transaction."""
        if self.engine is None:
            return
        self._prune_when_due()
        features = entry.get("features")
        if isinstance(features, Mapping) and features:
            key = (str(entry["model_version"]), tuple(str(k) for k in features))
            if key not in self._set_ids:
                # in its own committed transaction, so that the id cached is one the database keeps
                with writing(self.engine) as conn:
                    set_id = _feature_set_in(conn, *key)
                self._remember(set_id, key)
        with writing(self.engine) as conn:
            # one parameter dict: no executemany path (~0.4 ms less)
            conn.execute(_INSERT, _row(entry, conn, self._cached_set))

    def _cached_set(self, _conn: Connection, model_version: str, names: tuple[str, ...]) -> int:
        return self._set_ids[(model_version, names)]

    def _remember(self, set_id: int, key: tuple[str, tuple[str, ...]]) -> None:
        self._set_ids[key] = set_id
        self._set_names[set_id] = key[1]

    def _names_of(self, set_id: int) -> tuple[str, ...]:
        names = self._set_names.get(set_id)
        if names is None:
            assert self.engine is not None
            with self.engine.connect() as conn:      # not the reading one: it is streaming rows
                row = conn.execute(select(feature_sets).where(feature_sets.c.id == set_id)).one()
            self._remember(set_id, (row.model_version, tuple(row.names)))
            names = self._set_names[set_id]
        return names

    def _prune_when_due(self) -> None:
        """Prune if a day has passed since the last prune of this process; a failure is logged, never
        raised: the score being written matters more than the rows past their retention."""
        if time.monotonic() < self._next_prune or not self._prune_lock.acquire(blocking=False):
            return
        try:
            pruned = self.prune()
            if pruned.rows:
                log.info("scoring log: %d rows older than %s pruned (retention %d days)", pruned.rows,
                         pruned.cutoff.isoformat(), pruned.retention_days)
        except (StoreError, SQLAlchemyError) as exc:
            log.warning("scoring log: rows past the retention period not pruned: %s", exc)
        finally:
            self._next_prune = time.monotonic() + PRUNE_EVERY_S
            self._prune_lock.release()

    def prune(self, retention_days: int | None = None) -> Pruned:
        """Delete the scores older than the retention period (``retention_days``, else this log's),
        counted on the database's clock, the one its triggers judge the six-month floor with."""
        days = self.retention_days if retention_days is None else retention_days
        if self.engine is None or days is None:
            raise StoreError("no retention period to prune with (the scoring log is off or has none)")
        if days < MIN_RETENTION_DAYS:
            raise ValueError(f"a retention of {days} days is below the floor of {MIN_RETENTION_DAYS}")
        with writing(self.engine) as conn:
            now = _timestamp(conn.execute(select(literal_column("CURRENT_TIMESTAMP"))).scalar_one())
            cutoff = now - timedelta(days=days)
            removed = conn.execute(delete(scores).where(scores.c.timestamp < cutoff)).rowcount
        return Pruned(int(removed), cutoff, days)

    def log(self, score: Score, features: pd.DataFrame | Mapping[str, Any] | None, source: str) -> None:
        if self.enabled:
            self.append(record(score, features, source))

    def read(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Records scored in ``[since, until)`` (either bound optional; aware datetimes), oldest first.

        Rows are fetched a thousand at a time, so a long period is not held in memory twice.
        """
        if self.engine is None:
            return iter(())
        query = select(scores).order_by(scores.c.timestamp, scores.c.id)
        if since is not None:
            query = query.where(scores.c.timestamp >= _timestamp(since))
        if until is not None:
            query = query.where(scores.c.timestamp < _timestamp(until))
        return self._stream(query)

    def _stream(self, query: Any) -> Iterator[dict[str, Any]]:
        assert self.engine is not None
        with self.engine.connect() as conn:
            for row in conn.execute(select(feature_sets)):      # a few rows: one per model version
                self._remember(int(row.id), (row.model_version, tuple(row.names)))
            for row in conn.execution_options(yield_per=_READ_CHUNK).execute(query):
                yield _record(row, self._names_of)

    def history(self, client_id: int, limit: int = 100) -> list[ScoreEvent]:
        """The last ``limit`` scores served for one client, newest first (what the client's file lists)."""
        if self.engine is None:
            return []
        c = scores.c
        query = (select(c.timestamp, c.source, c.model_version, c.probability, c.grade, c.decision, c.threshold,
                        c.reason_codes)
                 .where(c.client_id == int(client_id)).order_by(c.timestamp.desc(), c.id.desc()).limit(int(limit)))
        with self.engine.connect() as conn:
            return [ScoreEvent(timestamp=r.timestamp, source=r.source, model_version=r.model_version,
                               probability=r.probability, grade=r.grade, decision=r.decision, threshold=r.threshold,
                               reason_codes=tuple(_codes(r.reason_codes)))
                    for r in conn.execute(query)]

    def count(self) -> int:
        if self.engine is None:
            return 0
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(scores)).scalar_one())

    def stats(self) -> StoreStats:
        """Rows, first and last score, bytes on disk (SQLite)."""
        if self.engine is None:
            return StoreStats(0, None, None, None)
        c = scores.c
        with self.engine.connect() as conn:
            rows, first, last = conn.execute(select(func.count(), func.min(c.timestamp), func.max(c.timestamp))).one()
        # min/max come back as the stored value: through the column type on PostgreSQL, text on SQLite
        return StoreStats(int(rows), _maybe_time(first), _maybe_time(last), database_bytes(self.engine))

    def import_jsonl(self, path: str | Path) -> int:
        """Import a legacy JSON Lines log (the old format) once; the number of records imported.

        The rows and the file's SHA-256 are written in one transaction, so a file (or a copy of
        it) already imported adds nothing; the file is then renamed ``<name>.imported``. Workers
        starting at once take turns on an exclusive lock of the file. A record without
        ``features`` is imported with none; an unparsable *last* line (a log being written when
        the old server stopped) is skipped; any other bad line refuses the whole file.
        """
        if self.engine is None:
            raise StoreError("the scoring log is off (SCORING_LOG=off): nowhere to import into")
        path = Path(path)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return 0                       # imported and renamed by another worker meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with os.fdopen(os.dup(fd), "rb") as f:
                data = f.read()
            digest = hashlib.sha256(data).hexdigest()
            with writing(self.engine, durable=True) as conn:     # on disk before the file is renamed
                if conn.execute(select(imports.c.id).where(imports.c.sha256 == digest)).first() is None:
                    rows = _parse_jsonl(data, path.name, conn)
                    for start in range(0, len(rows), _IMPORT_CHUNK):
                        conn.execute(insert(scores), rows[start:start + _IMPORT_CHUNK])
                    conn.execute(insert(imports).values(sha256=digest, path=str(path.resolve()), rows=len(rows),
                                                        imported_at=datetime.now(UTC)))
                    imported = len(rows)
                else:
                    imported = 0
        except IntegrityError:
            return 0                       # the same file, imported by another database client at once
        finally:
            os.close(fd)
        if path.exists():
            path.replace(path.with_name(path.name + ".imported"))
        return imported


def _maybe_time(value: Any) -> datetime | None:
    if value is None:
        return None
    return _timestamp(value)


def _parse_jsonl(data: bytes, name: str, conn: Connection) -> list[dict[str, Any]]:
    lines = [(i + 1, line) for i, line in enumerate(data.splitlines()) if line.strip()]
    rows = []
    # feature sets found or created in this import's transaction (not cached beyond it: it may roll back)
    known: dict[tuple[str, tuple[str, ...]], int] = {}

    def feature_set_of(c: Connection, model_version: str, names: tuple[str, ...]) -> int:
        key = (model_version, names)
        if key not in known:
            known[key] = _feature_set_in(c, model_version, names)
        return known[key]
    for k, (lineno, line) in enumerate(lines):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if k == len(lines) - 1 and k > 0:
                continue                   # the last line of a log being written
            raise LegacyLogError(f"{name}: line {lineno} is not valid JSON ({exc})") from None
        try:
            rows.append(_row(entry, conn, feature_set_of))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LegacyLogError(f"{name}: line {lineno} is not a scoring record ({type(exc).__name__}: {exc})") from None
    return rows


# --------------------------------------------------------------------------- CLI

def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.monitoring.scoring_log",
                                description="The score store (DATABASE_URL): import a legacy log, print statistics, "
                                "prune the rows past the retention period.")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a legacy JSON Lines scoring log, once")
    imp.add_argument("path", type=Path)
    sub.add_parser("stats", help="rows, first and last score, file size and bytes per score")
    sub.add_parser("prune", help="delete the scores older than SCORING_LOG_RETENTION_DAYS")
    a = p.parse_args(argv)
    settings = get_settings()
    try:
        scoring_log = ScoringLog(engine_for(settings.database_url))
        if a.command == "prune":
            pruned = scoring_log.prune(settings.scoring_log_retention_days)
            print(f"removed {pruned.rows:,} scores older than {pruned.cutoff.isoformat(timespec='seconds')} "
                  f"(retention {pruned.retention_days} days); {scoring_log.count():,} kept")
            return 0
        if a.command == "import":
            if not a.path.is_file():
                print(f"error: {a.path}: no such file", file=sys.stderr)
                return 2
            n = scoring_log.import_jsonl(a.path)
            print(f"imported {n:,} records from {a.path}" + ("" if n else " (already imported)"))
            return 0
        s = scoring_log.stats()
    except (LegacyLogError, StoreError, SQLAlchemyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"database: {scoring_log.engine.url.render_as_string(hide_password=True) if scoring_log.engine else '-'}")
    print(f"rows: {s.rows:,}")
    print(f"first score: {s.first.isoformat() if s.first else '-'}")
    print(f"last score: {s.last.isoformat() if s.last else '-'}")
    if s.file_bytes is not None:
        print(f"file size: {s.file_bytes:,} bytes")
    if s.bytes_per_score is not None:
        print(f"bytes per score: {s.bytes_per_score:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
