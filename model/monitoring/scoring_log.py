"""The log of every score served: rows of the ``scores`` table, which a drift run can take as its
"current" data and the client's file reads as the client's history.

Why a table (:mod:`model.monitoring.store`) rather than the JSON Lines file it used to be: a
client's history and a period's applications are indexed queries, several gunicorn workers
append at once through the database's own locking, and rows are append-only by trigger.

The record of one score (:func:`record_from_payload`) is the same dict as before, and
:meth:`ScoringLog.read` gives the same dicts back, so callers did not change. A legacy JSON
Lines log (``SCORING_LOG``, ``instance/scoring_log.jsonl`` by default) is imported once, at start,
then renamed ``<name>.imported``.

CLI::

    python -m model.monitoring.scoring_log import PATH     # a legacy JSON Lines log, once
    python -m model.monitoring.scoring_log stats           # rows, first/last score, bytes per score
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from model.monitoring.store import StoreError, database_bytes, durable_transaction, engine_for, imports, scores
from model.scoring import Score, json_value
from settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Rows sent to the database per INSERT when importing (executemany).
_IMPORT_CHUNK = 1000
#: Rows fetched per round trip when reading a period.
_READ_CHUNK = 1000
_RECORD_KEYS = ("client_id", "model_version", "probability", "threshold", "decision")
_INSERT = insert(scores)


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


def _row(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A record dict as a ``scores`` row (the inverse of :func:`_record`)."""
    client = entry.get("client_id")
    threshold = entry.get("threshold")
    features = entry.get("features")
    return {"timestamp": _timestamp(entry["timestamp"]), "source": str(entry["source"]),
            "client_id": None if client is None else int(client), "model_version": str(entry["model_version"]),
            "probability": float(entry["probability"]), "threshold": None if threshold is None else float(threshold),
            "decision": str(entry["decision"]), "grade": None if entry.get("grade") is None else str(entry["grade"]),
            "features": dict(features) if isinstance(features, Mapping) else {}}


def _record(row: Any) -> dict[str, Any]:
    """A ``scores`` row as the record dict :func:`record_from_payload` made (same keys, same order)."""
    return {"timestamp": row.timestamp.isoformat(timespec="milliseconds"), "source": row.source,
            "client_id": row.client_id, "model_version": row.model_version, "probability": row.probability,
            "threshold": row.threshold, "decision": row.decision, "grade": row.grade, "features": row.features}


class ScoringLog:
    """Append-only log of the scores served, in the ``scores`` table; ``engine=None`` turns logging off."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> ScoringLog:
        """The product's log: off when ``SCORING_LOG=off``; else on ``DATABASE_URL`` (or ``engine``), the
        legacy JSON Lines file imported first if it is still there.

        A legacy file that cannot be imported is reported in the server log and left in place:
        the server still starts, and ``python -m model.monitoring.scoring_log import`` says why.
        """
        if settings.scoring_log is None:
            return cls(None)
        scoring_log = cls(engine if engine is not None else engine_for(settings.database_url))
        if settings.scoring_log.is_file():
            try:
                scoring_log.import_jsonl(settings.scoring_log)
            except (LegacyLogError, StoreError, SQLAlchemyError, OSError) as exc:
                log.warning("legacy scoring log %s not imported: %s", settings.scoring_log, exc)
        return scoring_log

    @property
    def enabled(self) -> bool:
        """False when logging is off: callers then skip gathering the record's inputs."""
        return self.engine is not None

    def append(self, entry: dict[str, Any]) -> None:
        """Store one record (a :func:`record_from_payload` dict), in its own transaction."""
        if self.engine is None:
            return
        with self.engine.begin() as conn:
            conn.execute(_INSERT, _row(entry))      # one parameter dict: no executemany path (~0.4 ms less)

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
            for row in conn.execution_options(yield_per=_READ_CHUNK).execute(query):
                yield _record(row)

    def history(self, client_id: int, limit: int = 100) -> list[ScoreEvent]:
        """The last ``limit`` scores served for one client, newest first (what the client's file lists)."""
        if self.engine is None:
            return []
        c = scores.c
        query = (select(c.timestamp, c.source, c.model_version, c.probability, c.grade, c.decision, c.threshold)
                 .where(c.client_id == int(client_id)).order_by(c.timestamp.desc(), c.id.desc()).limit(int(limit)))
        with self.engine.connect() as conn:
            return [ScoreEvent(timestamp=r.timestamp, source=r.source, model_version=r.model_version,
                               probability=r.probability, grade=r.grade, decision=r.decision, threshold=r.threshold)
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
            with durable_transaction(self.engine) as conn:     # on disk before the file is renamed
                if conn.execute(select(imports.c.id).where(imports.c.sha256 == digest)).first() is None:
                    rows = _parse_jsonl(data, path.name)
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


def _parse_jsonl(data: bytes, name: str) -> list[dict[str, Any]]:
    lines = [(i + 1, line) for i, line in enumerate(data.splitlines()) if line.strip()]
    rows = []
    for k, (lineno, line) in enumerate(lines):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if k == len(lines) - 1 and k > 0:
                continue                   # the last line of a log being written
            raise LegacyLogError(f"{name}: line {lineno} is not valid JSON ({exc})") from None
        try:
            rows.append(_row(entry))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise LegacyLogError(f"{name}: line {lineno} is not a scoring record ({type(exc).__name__}: {exc})") from None
    return rows


# --------------------------------------------------------------------------- CLI

def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m model.monitoring.scoring_log",
                                description="The score store (DATABASE_URL): import a legacy log, print statistics.")
    sub = p.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a legacy JSON Lines scoring log, once")
    imp.add_argument("path", type=Path)
    sub.add_parser("stats", help="rows, first and last score, file size and bytes per score")
    a = p.parse_args(argv)
    settings = get_settings()
    try:
        scoring_log = ScoringLog(engine_for(settings.database_url))
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
