"""A period of the score store as the current side: the applications scored between two bank-local
days, one row per client, compared with the model's training clients, in the server for the Drift
screen (:func:`period_check`) or from the command line.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from data.load import DataError
from model.monitoring.drift.check import DriftError, DriftSummary, categorical_names
from model.monitoring.drift.run import DEFAULT_FEATURES, run_drift
from model.monitoring.drift.sources import Batch, Source, coerce_numeric
from model.monitoring.scoring_log import ScoringLog
from model.monitoring.store import StoreError
from model.scoring import Scorer
from model.text.formatting import DISPLAY_TIMEZONE
from settings import Settings

#: Sources of the score store that are applications being decided: the JSON routes (a known client,
#: a new applicant) and the dashboard's score screen (see the ``log`` calls of api/ and callbacks/).
APPLICATION_SOURCES: tuple[str, ...] = ("api", "api-predict", "dashboard")
#: Fewest applications in a period for a drift test to be run (the setting ``DRIFT_MIN_ROWS``).
MIN_PERIOD_ROWS = Settings.drift_min_rows
#: Default length of the period compared (days): the screen's and the CLI's.
DEFAULT_PERIOD_DAYS = 30


# --------------------------------------------------------------------------- the score store

@dataclass(frozen=True)
class Period:
    """Whole days ``since`` to ``until`` (both included) in the bank's time zone, the words a manager
    uses ("from 1 to 30 November"); :meth:`bounds` turns them into the store's UTC instants."""

    since: date
    until: date

    def __post_init__(self) -> None:
        if self.until < self.since:
            raise DriftError(f"the period ends ({self.until.isoformat()}) before it starts ({self.since.isoformat()})")

    @classmethod
    def parse(cls, since: str | date, until: str | date) -> Period:
        """From ISO dates (``YYYY-MM-DD``, as the CLI and the date picker give them)."""
        def day(value: str | date, name: str) -> date:
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value)[:10])
            except ValueError:
                raise DriftError(f"--{name}: not a date (YYYY-MM-DD): {value!r}") from None
        return cls(day(since, "since"), day(until, "until"))

    @classmethod
    def ending(cls, last: date, days: int = DEFAULT_PERIOD_DAYS) -> Period:
        """The ``days`` days that end on ``last`` (included)."""
        return cls(last - timedelta(days=max(days, 1) - 1), last)

    def bounds(self) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC: midnight of ``since`` to midnight after ``until``, bank-local."""
        def midnight(d: date) -> datetime:
            return datetime.combine(d, time(0), DISPLAY_TIMEZONE).astimezone(UTC)
        return midnight(self.since), midnight(self.until + timedelta(days=1))

    def to_dict(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


class TooFewApplications(DriftError):
    """Fewer applications in the period than a drift test needs: no test is run."""

    def __init__(self, period: Period, rows: int, minimum: int) -> None:
        super().__init__(f"only {rows} scored application{'s' if rows != 1 else ''} from {period.since.isoformat()} "
                         f"to {period.until.isoformat()}: at least {minimum} are needed for a drift test")
        self.period, self.rows, self.minimum = period, rows, minimum


def default_period(scoring_log: ScoringLog, days: int = DEFAULT_PERIOD_DAYS, today: date | None = None) -> Period:
    """The last ``days`` days of the store (ending on its last score's bank-local day); ending today
    when the store is empty."""
    last = scoring_log.stats().last
    end = last.astimezone(DISPLAY_TIMEZONE).date() if last is not None else (today or datetime.now(DISPLAY_TIMEZONE).date())
    return Period.ending(end, days)


def store_batch(scoring_log: ScoringLog, period: Period,
                sources: Sequence[str] = APPLICATION_SOURCES) -> Batch:
    """The applications scored in ``period``: one feature row per application, from the store.

    Only ``sources`` count (other sources, a test or a benchmark, are skipped and counted). A client
    scored several times in the period (a manager reopening a file, an API retry) is one
    application: the latest score is kept and the others are counted as dropped. A new applicant
    without a client number is always its own application.
    """
    wanted = set(sources)
    latest: dict[int, dict[str, Any]] = {}
    anonymous: list[dict[str, Any]] = []
    scored = other_sources = without_features = 0
    first: str | None = None
    last: str | None = None
    for record in scoring_log.read(*period.bounds()):
        if record.get("source") not in wanted:
            other_sources += 1
            continue
        feats = record.get("features")
        if not isinstance(feats, dict) or not feats:
            without_features += 1
            continue
        scored += 1
        first = first or record["timestamp"]
        last = record["timestamp"]
        client = record.get("client_id")
        if client is None:
            anonymous.append(feats)
        else:
            latest.pop(int(client), None)      # re-inserted: the dict keeps the order of latest scores
            latest[int(client)] = feats
    rows = [*latest.values(), *anonymous]
    frame = pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    if len(frame):
        frame = coerce_numeric(frame, "score store", categorical_names())
    info: dict[str, Any] = {"kind": "score_store", **period.to_dict(), "sources": list(sources), "scored": scored,
                            "duplicates_dropped": scored - len(rows), "other_sources_skipped": other_sources,
                            "records_without_features": without_features}
    if first and last:
        info["first_timestamp"], info["last_timestamp"] = first, last
    return Batch(frame, info)


def period_drift(scoring_log: ScoringLog, period: Period, reference_src: Source, out_dir: str | Path | None = None,
                 model_dir: str | Path | None = None, n_features: int | None = DEFAULT_FEATURES,
                 min_rows: int = MIN_PERIOD_ROWS, reference_table: str = "application_train",
                 log: Callable[[str], object] | None = print) -> DriftSummary:
    """Drift of the applications scored in ``period`` (the store) against ``reference_src`` (the
    training clients); :func:`run_drift` does the comparison, the summary records the period.

    Raises :class:`TooFewApplications` below ``min_rows`` applications, before any test is run.
    """
    batch = store_batch(scoring_log, period)
    if len(batch.frame) < min_rows:
        raise TooFewApplications(period, len(batch.frame), min_rows)
    return run_drift(reference_src, batch, out_dir, model_dir, n_features, reference_table=reference_table, log=log)


def period_check(scoring_log: ScoringLog, scorer: Scorer, period: Period, n_features: int | None = DEFAULT_FEATURES,
                 min_rows: int = MIN_PERIOD_ROWS) -> dict[str, Any]:
    """The drift screen's comparison, run in the server: the period's applications against the
    model's training clients (from memory), as plain JSON the page can keep.

    ``{"period": {"since", "until"}}`` plus one of ``"summary"`` (:meth:`DriftSummary.to_dict`),
    ``"too_few"`` ({"rows", "minimum"}: no test was run) or ``"error"`` (why the check failed).
    """
    out: dict[str, Any] = {"period": period.to_dict()}
    try:
        reference = Batch(training_clients(scorer), {"kind": "training_clients", "model_version": scorer.version})
        summary = period_drift(scoring_log, period, reference, None, scorer.artifact.path, n_features, min_rows,
                               log=None)
    except TooFewApplications as exc:
        out["too_few"] = {"rows": exc.rows, "minimum": exc.minimum}
    except (DriftError, DataError, StoreError, SQLAlchemyError) as exc:   # the database out of reach included
        out["error"] = str(exc).splitlines()[0]
    else:
        out["summary"] = summary.to_dict()
    return out


def training_clients(scorer: Scorer) -> pd.DataFrame:
    """The model's training clients (those with a known outcome), as the features it was fitted on:
    the reference of a drift check run in the server, read from memory rather than rebuilt."""
    labelled = scorer.scores["TARGET"].reindex(scorer.population.index).notna().to_numpy()
    return scorer.population.loc[labelled]
