"""The log of every score served, which a drift run can take as its "current" data.

One JSON object per line, appended with a single ``write`` on a file opened with
O_APPEND under an exclusive ``flock``: several gunicorn workers can log at once
without losing or interleaving records.
"""
from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from model.scoring import Score, json_value


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
        **{k: payload[k] for k in ("client_id", "model_version", "probability", "threshold", "decision")},
        "grade": payload.get("grade"),
        "features": row,
    }


def record(score: Score, features: pd.DataFrame | Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    return record_from_payload(score.to_dict(0), features, source)


class ScoringLog:
    """Append-only JSON Lines file; ``path=None`` turns logging off."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    @property
    def enabled(self) -> bool:
        """False when logging is off: callers then skip gathering the record's inputs."""
        return self.path is not None

    def append(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        line = orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)   # NaN would be null; records hold None
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
        finally:
            os.close(fd)   # closing releases the lock

    def log(self, score: Score, features: pd.DataFrame | Mapping[str, Any] | None, source: str) -> None:
        if self.enabled:
            self.append(record(score, features, source))

    def read(self) -> Iterator[dict[str, Any]]:
        if self.path is None or not self.path.exists():
            return iter(())
        with self.path.open(encoding="utf-8") as f:
            return iter([json.loads(line) for line in f if line.strip()])
