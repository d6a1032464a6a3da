"""Batch scoring of a folder of Kaggle-shaped files: every application's PD, grade, decision and reasons.

``python -m model.batch --engine pandas|spark --data-dir DIR --out DIR`` scores the applications of
``application_test`` (default), ``application_train`` or ``all`` (both) with the served model, and
writes one Parquet part per bucket under ``OUT/scores/`` plus ``OUT/summary.json``.

**Buckets.** Clients are split by :func:`bucket_of` (a 64-bit mix of SK_ID_CURR, mod ``--buckets``);
every child row goes to its client's bucket (``bureau_balance`` through bureau's SK_ID_BUREAU), so
a bucket holds the whole history of its clients and is scored alone. Memory is that of one bucket.

**One per-bucket function.** :func:`score_bucket` is what both engines run on each bucket: the
product's own feature code (``Scorer.applications_features``: ``build_features`` + the fitted
population features, as ``/predict`` for one applicant), one batch of SHAP rows per bucket
(``explain.shap_rows``, the leaf table's exact TreeSHAP, as ``/predict``), the PD as the
explanation's end point (``explain.pd_of``), the grade and decision of the artifact's scale and
rule, and, for a referral or refusal, the reason codes of ``Scorer.reason_policy`` (as ``Score.reasons``) on the very
``Explanation`` the API builds. So a client gets the PD, grade, decision and codes ``/predict`` gives.

**Engines.** ``pandas`` loads and validates the files with ``data.load.load_tables`` (bad data: the
loader's one-line DataError, exit 2) and runs the buckets one after the other in this process.
``spark`` (``model.batch.spark``) co-partitions the seven tables by the same bucket in Spark and
runs :func:`score_bucket` in Spark's Python workers; see that module.

Rows keep their file order inside a bucket (the pandas engine slices with a stable sort, Spark sorts
on the row number it read them at), so aggregates are summed in the same order by both engines.
"""
from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from data.load import DataError, load_tables
from data.schema import APPLICATION_TABLES, CHILD_TABLES
from model.decision import GRANTED
from model.explain import explanation_from_shap, pd_of, shap_rows
from model.scoring import Scorer

__all__ = ["APPLICATIONS", "BucketResult", "Progress", "bucket_of", "bucket_tables", "run_bucket",
           "score_bucket", "split_tables"]

#: What ``--applications`` may name: one application file, or both.
APPLICATIONS = {"application_test": ("application_test",), "application_train": ("application_train",),
                "all": APPLICATION_TABLES}
ID = "SK_ID_CURR"
BUREAU_ID = "SK_ID_BUREAU"
#: Output columns, in order (reason_codes: a list of concept codes, empty for a grant).
COLUMNS = ("SK_ID_CURR", "pd", "grade", "decision", "reason_codes", "model_version")
OUTPUT_SCHEMA = pa.schema([("SK_ID_CURR", pa.int64()), ("pd", pa.float64()), ("grade", pa.string()),
                           ("decision", pa.string()), ("reason_codes", pa.list_(pa.string())),
                           ("model_version", pa.string())])
SCORES_DIR = "scores"
SUMMARY_FILE = "summary.json"
DEFAULT_BUCKETS = 16

_M1, _M2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def bucket_of(ids: npt.ArrayLike, buckets: int) -> npt.NDArray[np.int32]:
    """The bucket of each client number: splitmix64's finaliser of SK_ID_CURR, mod ``buckets``.

    The hash of both engines (``model.batch.spark.bucket_column`` is the same function in Spark
    SQL), so a client lands in the same bucket everywhere; mixed, so that consecutive numbers
    spread evenly.
    """
    z = np.asarray(ids, dtype=np.int64).astype(np.uint64) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(buckets)).astype(np.int32)


def bucket_tables(tables: Mapping[str, pd.DataFrame], buckets: int) -> dict[str, npt.NDArray[np.int32]]:
    """The bucket of every row of every table; -1 for a child row of no client being scored (the
    history of clients of the other application file) and for a bureau_balance row of an unknown
    bureau credit: no feature of a scored client reads them, so they are dropped."""
    apps = [tables[name][ID].to_numpy() for name in APPLICATION_TABLES if name in tables]
    scored = np.unique(np.concatenate(apps)) if apps else np.zeros(0, np.int64)
    out: dict[str, npt.NDArray[np.int32]] = {}
    for name, frame in tables.items():
        if ID in frame:
            ids = frame[ID].to_numpy()
            b = bucket_of(ids, buckets)
            out[name] = b if name in APPLICATION_TABLES else np.where(np.isin(ids, scored), b, -1).astype(np.int32)
    if "bureau_balance" in tables:
        balance = tables["bureau_balance"][BUREAU_ID].to_numpy()
        if "bureau" in tables:
            bureau = tables["bureau"]
            where = pd.Index(bureau[BUREAU_ID].to_numpy()).get_indexer(pd.Index(balance))
            out["bureau_balance"] = np.where(where >= 0, out["bureau"][np.maximum(where, 0)], -1).astype(np.int32)
        else:
            out["bureau_balance"] = np.full(len(balance), -1, dtype=np.int32)
    return out


def split_tables(tables: Mapping[str, pd.DataFrame], buckets: int) -> Iterator[tuple[int, dict[str, pd.DataFrame]]]:
    """Each bucket's rows of every table, in file order, one bucket at a time (a stable sort per
    table, then slices: one bucket's copy in memory at once; rows of bucket -1 are left out)."""
    ids = bucket_tables(tables, buckets)
    orders = {name: np.argsort(b, kind="stable") for name, b in ids.items()}
    bounds = {name: np.searchsorted(b[orders[name]], np.arange(buckets + 1), side="left") for name, b in ids.items()}
    for k in range(buckets):
        yield k, {name: tables[name].iloc[orders[name][bounds[name][k]:bounds[name][k + 1]]].reset_index(drop=True)
                  for name in tables}


def score_bucket(scorer: Scorer, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Score every application of ``tables`` (validated frames of one bucket): :data:`COLUMNS`.

    The per-bucket function of both engines (see the module docstring): one feature build and one
    batch of SHAP rows for the bucket; the explanation objects, which reasons need, only for the
    clients referred or refused.
    """
    if not any(name in tables and len(tables[name]) for name in APPLICATION_TABLES):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(COLUMNS, ("int64", "float64", "object",
                                                                          "object", "object", "object"))})
    X = scorer.applications_features(tables)[scorer.features]
    shap = shap_rows(scorer.model, X, scorer.cat_features, scorer.leaf_shap)
    calibration = scorer.calibration
    # the PD as Explanation.probability computes it (explain.explanation_from_shap): base + Σφ
    pds = np.array([pd_of(float(row[-1]) + float(row[:-1].astype(np.float64).sum()), calibration) for row in shap],
                   dtype=np.float64)
    decisions = scorer.rule.decide_all(pds)
    grades = scorer.master_scale.grades_of(pds)
    reasons: list[list[str]] = [[] for _ in range(len(X))]
    features = list(X.columns)
    for i in np.flatnonzero(decisions != GRANTED):
        e = explanation_from_shap(shap[i], features, list(X.iloc[i].to_numpy()), calibration)
        reasons[i] = [r.code for r in scorer.reason_policy.factors(e)]   # = Score.reasons of a non-grant
    return pd.DataFrame({"SK_ID_CURR": X.index.to_numpy(dtype=np.int64), "pd": pds,
                         "grade": grades.astype(object), "decision": decisions.astype(object),
                         "reason_codes": reasons, "model_version": scorer.version})


@dataclass(frozen=True)
class BucketResult:
    """What one bucket cost: the figures the progress display, the summary and the benchmark read."""

    bucket: int
    clients: int
    history_rows: int
    seconds: float
    input_mb: float
    rss_mb: float
    decisions: dict[str, int] = field(default_factory=dict)
    grades: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def part_path(out: Path, bucket: int) -> Path:
    return Path(out) / SCORES_DIR / f"part-{bucket:05d}.parquet"


def write_part(scores: pd.DataFrame, path: Path) -> None:
    """One bucket's scores, written whole or not at all (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.Table.from_pandas(scores[list(COLUMNS)], schema=OUTPUT_SCHEMA, preserve_index=False), tmp)
    os.replace(tmp, path)


def run_bucket(scorer: Scorer, bucket: int, tables: Mapping[str, pd.DataFrame], out: Path) -> BucketResult:
    """Score one bucket, write its part, and say what it cost (the unit of work of both engines)."""
    start = time.perf_counter()
    scores = score_bucket(scorer, tables)
    if len(scores):
        write_part(scores, part_path(out, bucket))
    history = sum(len(f) for name, f in tables.items() if name in CHILD_TABLES)
    input_mb = sum(float(f.memory_usage(deep=False).sum()) for f in tables.values()) / 2**20
    return BucketResult(bucket, len(scores), history, time.perf_counter() - start, input_mb,
                        psutil.Process().memory_info().rss / 2**20,
                        dict(Counter(scores["decision"])), dict(Counter(scores["grade"])))


@lru_cache(maxsize=2)
def worker_scorer(model_dir: str) -> Scorer:
    """The Scorer of ``model_dir``, loaded once per process (each Spark Python worker loads it on its
    first bucket and keeps it for the next ones)."""
    return Scorer.load(model_dir)


class Progress:
    """Buckets done / total, clients and rate on one line of stderr, rewritten in place."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream, self.start = total, stream, time.perf_counter()
        self.done = self.clients = 0

    def update(self, done: int, clients: int) -> None:
        if (done, clients) == (self.done, self.clients) and done:
            return
        self.done, self.clients = done, clients
        elapsed = time.perf_counter() - self.start
        rate = clients / elapsed if elapsed > 0 else 0.0
        end = "\n" if done >= self.total else ""
        print(f"\rbuckets {done}/{self.total}  clients {clients:,}  {rate:,.0f} clients/s  {elapsed:.0f}s",
              end=end, file=self.stream, flush=True)


def score_pandas(data_dir: Path, out: Path, model_dir: Path, applications: Sequence[str], buckets: int,
                 progress: Progress | None = None) -> list[BucketResult]:
    """The pandas engine: load and validate once, then every bucket in turn in this process."""
    scorer = worker_scorer(str(model_dir))
    wanted = [*applications, *CHILD_TABLES] if scorer.include_children else list(applications)
    tables = load_tables(data_dir, wanted)
    missing = [name for name in applications if name not in tables]
    if missing:
        raise DataError(f"{missing[0]}.csv", f"file not found in {data_dir}")
    results: list[BucketResult] = []
    for k, bucket in split_tables(tables, buckets):
        results.append(run_bucket(scorer, k, bucket, out))
        if progress is not None:
            progress.update(len(results), sum(r.clients for r in results))
    return results


def summarise(results: Sequence[BucketResult], seconds: float, engine: str, scorer_version: str,
              applications: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The summary written beside the scores (and printed)."""
    clients = sum(r.clients for r in results)
    decisions: Counter[str] = Counter()
    grades: Counter[str] = Counter()
    for r in results:
        decisions.update(r.decisions)
        grades.update(r.grades)
    return {"engine": engine, "applications": applications, "model_version": scorer_version,
            "clients": clients, "buckets": len(results), "seconds": round(seconds, 3),
            "clients_per_second": round(clients / seconds, 1) if seconds > 0 else None,
            "history_rows": sum(r.history_rows for r in results),
            "decisions": dict(sorted(decisions.items())), "grades": dict(sorted(grades.items())),
            "per_bucket": [asdict(r) for r in results], **(extra or {})}


def summary_lines(summary: Mapping[str, Any]) -> list[str]:
    decisions = ", ".join(f"{k} {v:,}" for k, v in summary["decisions"].items())
    grades = ", ".join(f"{k} {v:,}" for k, v in summary["grades"].items())
    return [f"{summary['engine']}: {summary['clients']:,} clients of {summary['applications']} in "
            f"{summary['seconds']:.1f} s ({summary['clients_per_second'] or 0:,.0f} clients/s), "
            f"model {summary['model_version']}",
            f"decisions: {decisions}", f"grades: {grades}"]
