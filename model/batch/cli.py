"""Batch scoring of a folder of Kaggle-shaped files: every application's PD, grade, decision and reasons.

The command line of :mod:`model.batch` (``python -m model.batch``): it chooses the engine, so it sits
above both the per-bucket code of the package and its Spark engine (:mod:`model.batch.spark`), which
imports that code.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data.load import DataError
from model.batch import (
    APPLICATIONS,
    DEFAULT_BUCKETS,
    SCORES_DIR,
    SUMMARY_FILE,
    Progress,
    score_pandas,
    summarise,
    summary_lines,
    worker_scorer,
)
from settings import get_settings


def _parser() -> argparse.ArgumentParser:
    settings = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.batch", description=__doc__.split("\n")[0])
    p.add_argument("--engine", choices=("pandas", "spark"), default="pandas")
    p.add_argument("--data-dir", type=Path, required=True, help="folder of Kaggle-shaped files (.csv, .csv.gz, .parquet)")
    p.add_argument("--out", type=Path, required=True, help="output folder (scores/part-*.parquet, summary.json)")
    p.add_argument("--model-dir", type=Path, default=settings.model_dir)
    p.add_argument("--applications", choices=tuple(APPLICATIONS), default="application_test")
    p.add_argument("--master", default="local[2]", help="Spark master (spark engine): local[N] or spark://host:port")
    p.add_argument("--buckets", type=int, default=DEFAULT_BUCKETS, help="number of client buckets (hash of SK_ID_CURR)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Score, print the progress and the summary; bad input: one line on stderr and exit code 2."""
    args = _parser().parse_args(argv)
    if args.buckets < 1:
        print("error: --buckets must be at least 1", file=sys.stderr)
        return 2
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        for old in (out / SCORES_DIR).glob("part-*.parquet"):
            old.unlink()
        scorer = worker_scorer(str(args.model_dir))
        progress = Progress(args.buckets)
        start = time.perf_counter()
        extra: dict[str, Any] = {}
        if args.engine == "pandas":
            results = score_pandas(args.data_dir, out, args.model_dir, APPLICATIONS[args.applications],
                                   args.buckets, progress)
        else:
            try:
                from model.batch.spark import score_spark  # noqa: PLC0415  (pyspark only when asked for)
            except ModuleNotFoundError as exc:
                print(f"error: the Spark engine needs {exc.name or 'pyspark'}: "
                      ".venv/bin/pip install -r requirements-spark.txt (and Java 17: make java)", file=sys.stderr)
                return 2

            extra = {"master": args.master}
            results = score_spark(args.data_dir, out, args.model_dir, APPLICATIONS[args.applications],
                                  args.buckets, args.master, progress, stats=extra)
        seconds = time.perf_counter() - start
    except DataError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, RuntimeError) as exc:   # ArtifactError is a RuntimeError
        print(f"\nerror: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
              file=sys.stderr)
        return 2
    summary = summarise(results, seconds, args.engine, scorer.version, args.applications, extra)
    (out / SUMMARY_FILE).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print("\n".join(summary_lines(summary)), file=sys.stderr)
    return 0
