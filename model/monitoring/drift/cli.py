"""``python -m model.monitoring.drift``: a drift run from the command line, on files or folders or on
a period of the score store (``--current store --since ... --until ...``), its summary printed.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from data.load import DataError
from data.schema import APPLICATION_TABLES
from model.artifact import ArtifactError
from model.monitoring.drift.check import DriftError, DriftSummary
from model.monitoring.drift.period import DEFAULT_PERIOD_DAYS, MIN_PERIOD_ROWS, Period, default_period, period_drift
from model.monitoring.drift.run import DEFAULT_FEATURES, run_drift
from model.monitoring.scoring_log import ScoringLog
from model.monitoring.store import StoreError
from settings import Settings, get_settings

#: Words of the CLI's ``--current`` that mean the score store rather than a path.
STORE_SOURCES = ("store", "log")


# --------------------------------------------------------------------------- CLI

def _print_summary(s: DriftSummary, log: Callable[[str], object] = print) -> None:
    log(f"reference: {s.reference.get('rows'):,} rows ({s.reference.get('kind')}"
        f"{', ' + s.reference['table'] if 'table' in s.reference else ''}); "
        f"current: {s.current.get('rows'):,} rows ({s.current.get('kind')}"
        f"{', ' + s.current['table'] if 'table' in s.current else ''})")
    log(f"features tested: {s.n_features_tested}; drifted: {s.n_drifted} ({s.share_drifted:.1%})"
        f"{'; DATASET DRIFT' if s.dataset_drift else ''}; Evidently {s.run_seconds:.1f} s")
    for f in s.drifted[:15]:
        score = "n/a" if f.score is None else f"{f.score:.4g}"
        log(f"  #{f.importance_rank or '-':>3} {f.feature:<32} {f.test}: {score} (threshold {f.threshold:g})"
            f"  {f.label_en}")
    if s.period:
        log(f"period: {s.period['since']} to {s.period['until']} (bank-local days), {s.period['rows']:,} applications "
            f"({s.current.get('duplicates_dropped', 0):,} repeated scores of a client dropped, "
            f"{s.current.get('other_sources_skipped', 0):,} scores of other sources skipped)")
    for w in s.warnings:
        log(f"note: {w}")


def main(argv: Sequence[str] | None = None) -> int:
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.monitoring.drift",
                                description="Data drift of the model's features (Evidently), reference vs current.")
    p.add_argument("--reference", type=Path, default=s.data_dir,
                   help="data folder, feature file (.csv/.parquet) or scoring log (.jsonl); default: HOME_CREDIT_DIR")
    p.add_argument("--current", default=None,
                   help="same kinds, or 'store' (alias 'log'): the applications scored in --since..--until, read "
                        "from DATABASE_URL; default: the reference folder (its application_test clients)")
    p.add_argument("--since", default=None, help="with --current store: first day (YYYY-MM-DD, bank-local); "
                                                 f"default: {DEFAULT_PERIOD_DAYS} days before --until")
    p.add_argument("--until", default=None, help="with --current store: last day, included (YYYY-MM-DD); "
                                                 "default: the day of the store's last score")
    p.add_argument("--min-rows", type=int, default=MIN_PERIOD_ROWS,
                   help=f"with --current store: fewest applications to run a test (default {MIN_PERIOD_ROWS})")
    p.add_argument("--reference-table", default="application_train", choices=APPLICATION_TABLES)
    p.add_argument("--current-table", default="application_test", choices=APPLICATION_TABLES)
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--model-dir", type=Path, default=None, help="default: MODEL_DIR")
    p.add_argument("--features", type=int, default=DEFAULT_FEATURES,
                   help=f"test the N most important model features (0 = all; default {DEFAULT_FEATURES})")
    a = p.parse_args(argv)
    try:
        if a.current in STORE_SOURCES:
            summary = period_drift(ScoringLog.from_settings(s), _cli_period(s, a.since, a.until), a.reference, a.out,
                                   a.model_dir, a.features or None, a.min_rows, a.reference_table)
        else:
            if a.since or a.until:
                raise DriftError("--since and --until choose a period of the score store: use them with --current store")
            current = Path(a.current) if a.current is not None else a.reference
            summary = run_drift(a.reference, current, a.out, a.model_dir, a.features or None,
                                a.reference_table, a.current_table)
    except (DriftError, DataError, ArtifactError, StoreError, SQLAlchemyError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    _print_summary(summary)
    return 0


def _cli_period(settings: Settings, since: str | None, until: str | None) -> Period:
    if settings.scoring_log is None:
        raise DriftError("the scoring log is off (SCORING_LOG=off): the store holds no applications to compare")
    if since and until:
        return Period.parse(since, until)
    if until:
        return Period.ending(Period.parse(until, until).until)
    if since:
        start = Period.parse(since, since).since
        return Period(start, start + timedelta(days=DEFAULT_PERIOD_DAYS - 1))
    return default_period(ScoringLog.from_settings(settings))
