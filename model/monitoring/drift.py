"""Data drift of the model's inputs: training clients (reference) against new applications (current).

Evidently's ``DataDriftPreset`` chooses one test per feature from its type and the sample size
(Evidently 0.7 rules, ``evidently.legacy.calculations.stattests.registry``):

* reference of more than 1,000 rows: normed Wasserstein distance for numeric features with more
  than 5 distinct values, Jensen-Shannon distance for categorical or low-cardinality ones, both
  with threshold 0.1 (drift when the distance is >= 0.1);
* reference of 1,000 rows or fewer: Kolmogorov-Smirnov for numeric features, chi-square (or a
  Z-test for two values) for categorical ones, p-value threshold 0.05 (drift when p < 0.05).

Only the model's features are tested, by default the top ``n_features`` (50) by global importance
(mean |SHAP| stored with the model in ``global_importance.json``): Evidently spends most of its time
drawing one Plotly figure per feature, so 442 features would take minutes; the top 50 carry almost
all of the model's importance. ``n_features=None`` (``--features 0``) tests every model feature.

Sources, for either side:

* a data folder (Kaggle files): features are built with :func:`model.features.build_features` and
  the clients of one application table are kept (reference: ``application_train``, current:
  ``application_test``);
* a ``.csv`` / ``.parquet`` file of already built feature rows (one row per client; extra columns
  such as ``SK_ID_CURR`` are ignored); a raw ``application_*`` file with the Kaggle columns is also
  accepted (its application features are built, the child-table features are then absent);
* a scoring log, ``.jsonl``: one JSON object per line with a ``"features"`` object; records without
  it are skipped and counted, an unparsable *last* line (a log being written) is skipped;
* the score store (``--current store``, :func:`store_batch`): the applications scored in a
  :class:`Period` (bank-local days), real applications only (:data:`APPLICATION_SOURCES`), one row
  per client (the latest score of a client scored several times). The summary records the period
  (``summary.period``: since, until, rows), so that the screen can say which period it shows.

Outputs of :func:`run_drift`: ``drift_report.html`` (Evidently's report) and ``drift_summary.json``
(:meth:`DriftSummary.to_dict`, read back with :func:`load_summary`).

CLI::

    python -m model.monitoring.drift --reference DATA_DIR --current DATA_DIR --out reports/ [--features 50]
    python -m model.monitoring.drift --current store --since 2026-11-01 --until 2026-11-30 --out reports/
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from data.load import DataError, load_tables, read_table
from data.schema import APPLICATION_TABLES, TABLES
from model.artifact import GLOBAL_IMPORTANCE_FILE, ArtifactError, load_artifact
from model.features import CATEGORICAL_FEATURES, FITTED_FEATURES, build_features, feature_columns
from model.importance import read_importance
from model.monitoring.scoring_log import ScoringLog
from model.monitoring.store import StoreError
from model.population_features import PopulationFeatures
from model.scoring import Scorer
from model.text.formatting import DISPLAY_TIMEZONE
from model.text.labels import UnknownFeatureError, feature_label
from settings import Settings, get_settings

ID = "SK_ID_CURR"
SUMMARY_FILE = "drift_summary.json"
HTML_FILE = "drift_report.html"
DEFAULT_FEATURES = 50
#: Evidently's default share of drifted features above which the whole dataset is said to drift.
DATASET_DRIFT_SHARE = 0.5
#: Evidently drift methods whose score is a distance (drift when score >= threshold); the others give a p-value.
_DISTANCES = ("wasserstein", "jensen-shannon", "hellinger", "kullback", "psi", "energy")
_TIME_KEYS = ("timestamp", "ts", "time", "created_at", "scored_at")
_NOT_FEATURES = {ID, "TARGET"}
#: Sources of the score store that are applications being decided: the JSON routes (a known client,
#: a new applicant) and the dashboard's score screen (see the ``log`` calls of api/ and callbacks/).
APPLICATION_SOURCES: tuple[str, ...] = ("api", "api-predict", "dashboard")
#: Fewest applications in a period for a drift test to be run (the setting ``DRIFT_MIN_ROWS``).
MIN_PERIOD_ROWS = Settings.drift_min_rows
#: Default length of the period compared (days): the screen's and the CLI's.
DEFAULT_PERIOD_DAYS = 30
#: Words of the CLI's ``--current`` that mean the score store rather than a path.
STORE_SOURCES = ("store", "log")


class DriftError(ValueError):
    """Input the drift check cannot use, with the reason in plain words."""


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    label_fr: str
    label_en: str
    kind: str                 # "numerical" | "categorical"
    test: str                 # Evidently's method name, e.g. "Wasserstein distance (normed)"
    score_kind: str           # "p_value" | "distance"
    score: float | None
    threshold: float
    drifted: bool
    importance: float | None  # mean |SHAP| in the model (None when unknown)
    importance_rank: int | None


@dataclass
class DriftSummary:
    """What a drift check found; :meth:`to_dict` is the JSON written to ``drift_summary.json``."""

    generated_at: str
    reference: dict[str, Any]
    current: dict[str, Any]
    n_features_tested: int
    n_drifted: int
    share_drifted: float
    dataset_drift: bool
    dataset_drift_share: float
    features: list[FeatureDrift]
    not_tested: list[dict[str, str]] = field(default_factory=list)
    selection: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    run_seconds: float = 0.0
    evidently_version: str = ""
    #: For applications read from the score store: {"since", "until"} (ISO dates, inclusive) and "rows".
    period: dict[str, Any] | None = None
    snapshot: Any = field(default=None, repr=False, compare=False)

    @property
    def drifted(self) -> list[FeatureDrift]:
        """Drifted features, most important in the model first."""
        return [f for f in self.features if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "snapshot"}
        out["drifted_features"] = [asdict(f) for f in self.drifted]
        clean: dict[str, Any] = _jsonable(out)
        return clean


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, Path):
        return str(value)
    return value


# --------------------------------------------------------------------------- the check

def _labels(name: str) -> tuple[str, str]:
    try:
        return feature_label(name, "fr"), feature_label(name, "en")
    except (UnknownFeatureError, KeyError):  # a column that is not a product feature
        return name, name


def _categorical_names() -> set[str]:
    return set(CATEGORICAL_FEATURES)


def _prepare(frame: pd.DataFrame, features: list[str], categorical: set[str]) -> pd.DataFrame:
    """Same dtypes on both sides: object strings (None for missing) or float64."""
    out = {}
    for name in features:
        s = frame[name]
        if name in categorical:
            out[name] = np.array([None if pd.isna(v) else str(v) for v in s.astype(object)], dtype=object)
        else:
            values = s if pd.api.types.is_numeric_dtype(s.dtype) else pd.to_numeric(s, errors="coerce")
            out[name] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _is_categorical(name: str, ref: pd.Series, cur: pd.Series, categorical: set[str]) -> bool:
    if name in categorical:
        return True
    dtypes = (ref.dtype, cur.dtype)
    return any(isinstance(d, pd.CategoricalDtype) or pd.api.types.is_object_dtype(d) or pd.api.types.is_string_dtype(d)
               or pd.api.types.is_bool_dtype(d) for d in dtypes)


def drift_summary(reference: pd.DataFrame, current: pd.DataFrame,
                  importance: Mapping[str, float] | None = None,
                  features: list[str] | None = None) -> DriftSummary:
    """Run Evidently's data-drift preset on ``features`` (default: every common column but the id
    and TARGET) and rank the result by ``importance`` (mean |SHAP|; missing means unknown).

    Features absent from one side, or with no value on one side, are listed in ``not_tested``.
    Raises :class:`DriftError` for an empty side or when no feature can be tested.
    """
    # Evidently takes seconds to import: only drift runs pay for it, not every importer of this module
    from evidently import DataDefinition, Dataset, Report  # noqa: PLC0415
    from evidently import __version__ as evidently_version  # noqa: PLC0415
    from evidently.presets import DataDriftPreset  # noqa: PLC0415

    if len(reference) == 0:
        raise DriftError("the reference batch is empty (no rows)")
    if len(current) == 0:
        raise DriftError("the current batch is empty (no rows)")
    common = [c for c in reference.columns if c in set(current.columns) and str(c) not in _NOT_FEATURES]
    wanted = list(dict.fromkeys(features)) if features is not None else common
    not_tested: list[dict[str, str]] = []
    usable: list[str] = []
    for name in wanted:
        if name not in reference.columns or name not in current.columns:
            side = "reference" if name not in reference.columns else "current"
            not_tested.append({"feature": name, "reason": f"absent from the {side} data"})
        elif reference[name].notna().sum() == 0 or current[name].notna().sum() == 0:
            side = "reference" if reference[name].notna().sum() == 0 else "current"
            not_tested.append({"feature": name, "reason": f"no value in the {side} data"})
        else:
            usable.append(name)
    if not usable:
        shown = ", ".join(wanted[:5]) + ("..." if len(wanted) > 5 else "")
        raise DriftError("reference and current data have no common feature with values to compare"
                         + (f" (asked for {shown})" if wanted else
                            f" (reference columns: {', '.join(map(str, reference.columns[:5]))}...; "
                            f"current columns: {', '.join(map(str, current.columns[:5]))}...)"))

    importance = dict(importance or {})
    ranked = sorted(usable, key=lambda n: (-(importance.get(n) or 0.0), usable.index(n)))
    rank_of = {n: i + 1 for i, n in enumerate(sorted(importance, key=lambda n: -importance[n]))}
    cat_names = _categorical_names()
    cats = [n for n in ranked if _is_categorical(n, reference[n], current[n], cat_names)]
    nums = [n for n in ranked if n not in set(cats)]
    ref = _prepare(reference, ranked, set(cats))
    cur = _prepare(current, ranked, set(cats))
    definition = DataDefinition(numerical_columns=nums, categorical_columns=cats)

    t0 = perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            snapshot = Report([DataDriftPreset(columns=ranked, drift_share=DATASET_DRIFT_SHARE)],
                              include_tests=True).run(
                current_data=Dataset.from_pandas(cur, data_definition=definition),
                reference_data=Dataset.from_pandas(ref, data_definition=definition))
    except (ValueError, TypeError) as exc:  # Evidently's own checks (empty column, bad type, ...)
        raise DriftError(f"Evidently could not compare the data: {str(exc).splitlines()[0][:300]}") from None
    seconds = perf_counter() - t0

    results = _per_feature(snapshot)
    rows: list[FeatureDrift] = []
    for name in ranked:
        r = results.get(name)
        if r is None:
            not_tested.append({"feature": name, "reason": "Evidently returned no result"})
            continue
        fr, en = _labels(name)
        rows.append(FeatureDrift(feature=name, label_fr=fr, label_en=en,
                                 kind="categorical" if name in cats else "numerical",
                                 test=r["test"], score_kind=r["score_kind"], score=r["score"],
                                 threshold=r["threshold"], drifted=r["drifted"],
                                 importance=importance.get(name), importance_rank=rank_of.get(name)))
    n = len(rows)
    n_drifted = sum(f.drifted for f in rows)
    share = n_drifted / n if n else 0.0
    notes = []
    for side, frame in (("reference", reference), ("current", current)):
        if len(frame) < 100:
            notes.append(f"the {side} batch has only {len(frame)} rows: tests have little power")
    return DriftSummary(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        reference={"rows": int(len(reference))}, current={"rows": int(len(current))},
        n_features_tested=n, n_drifted=n_drifted, share_drifted=share,
        dataset_drift=bool(n and share >= DATASET_DRIFT_SHARE), dataset_drift_share=DATASET_DRIFT_SHARE,
        features=rows, not_tested=not_tested, warnings=notes, run_seconds=round(seconds, 2),
        evidently_version=evidently_version, snapshot=snapshot)


def _per_feature(snapshot: Any) -> dict[str, dict[str, Any]]:
    """Column -> test, score, threshold and drift flag, from the snapshot's public dict."""
    data = snapshot.dict()
    status: dict[str, str] = {}
    for test in data.get("tests", []):
        mid = (test.get("metric_config") or {}).get("metric_id")
        if mid and test.get("id") == "drift":
            status[mid] = str(test.get("status", "")).upper()
    out: dict[str, dict[str, Any]] = {}
    for metric in data.get("metrics", []):
        config = metric.get("config") or {}
        if not str(config.get("type", "")).endswith("ValueDrift"):
            continue
        method = str(config.get("method") or "")
        raw_threshold = config.get("threshold")
        threshold = float(raw_threshold) if raw_threshold is not None else float("nan")
        value = metric.get("value")
        score = float(value) if value is not None and np.isfinite(float(value)) else None
        kind = "distance" if any(d in method.lower() for d in _DISTANCES) else "p_value"
        st = status.get(metric.get("id"), "")
        if st in ("FAIL", "SUCCESS"):
            drifted = st == "FAIL"
        elif score is None:
            drifted = False
        else:
            drifted = score >= threshold if kind == "distance" else score < threshold
        out[str(config.get("column"))] = {"test": method, "score_kind": kind, "score": score,
                                     "threshold": threshold, "drifted": bool(drifted)}
    return out


# --------------------------------------------------------------------------- sources

@dataclass
class Batch:
    frame: pd.DataFrame
    info: dict[str, Any]


#: One side of a comparison: a path (folder or file), feature rows, or a batch already read.
Source = str | Path | pd.DataFrame | Batch


def _coerce_numeric(frame: pd.DataFrame, name: str, categorical: set[str]) -> pd.DataFrame:
    """Numeric feature columns read as text (CSV, JSON) to float; a non-numeric value is an error."""
    for col in frame.columns:
        if col in categorical or col in _NOT_FEATURES:
            continue
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            frame[col] = s.astype(np.float64)
        elif not pd.api.types.is_numeric_dtype(s.dtype):
            values = pd.to_numeric(s.map(lambda v: v if not (isinstance(v, str) and not v.strip()) else None),
                                   errors="coerce")
            bad = values.isna() & s.notna() & ~s.map(lambda v: isinstance(v, str) and not v.strip())
            if bad.any():
                rows = (np.flatnonzero(bad.to_numpy())[:5] + 1).tolist()
                raise DataError(name, f"non-numeric value {s[bad].iloc[0]!r}", str(col), rows)
            frame[col] = values.astype(np.float64)
    return frame


def _read_log(path: Path) -> Batch:
    records: list[dict[str, Any]] = []
    skipped, times = 0, []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(path.name, "not a UTF-8 text file") from None
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    truncated = False
    for k, (lineno, line) in enumerate(numbered):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if k == len(numbered) - 1 and k > 0:
                truncated = True  # the last line of a log being written
                continue
            raise DataError(path.name, f"line {lineno} is not valid JSON ({exc.msg})") from None
        feats = record.get("features") if isinstance(record, dict) else None
        if not isinstance(feats, dict):
            skipped += 1
            continue
        records.append(feats)
        for key in _TIME_KEYS:
            if isinstance(record.get(key), str):
                times.append(record[key])
                break
    if not records:
        raise DriftError(f"{path}: empty batch, no record with a \"features\" object"
                         + (f" ({skipped} records without one)" if skipped else ""))
    frame = _coerce_numeric(pd.DataFrame.from_records(records), path.name, _categorical_names())
    info: dict[str, Any] = {"kind": "scoring_log", "records_without_features": skipped}
    if truncated:
        info["truncated_last_line"] = True
    if times:
        ts = pd.to_datetime(pd.Series(times), errors="coerce", utc=True).dropna()
        if len(ts):
            info["first_timestamp"] = ts.min().isoformat()
            info["last_timestamp"] = ts.max().isoformat()
    return Batch(frame, info)


def _raw_application(columns: Sequence[str]) -> str | None:
    names = set(map(str, columns))
    for table in APPLICATION_TABLES:
        if set(TABLES[table].column_names) == names:
            return table
    return None


def _read_file(path: Path) -> Batch:
    name = path.name.lower()
    if path.stat().st_size == 0:
        raise DataError(path.name, "empty file (zero bytes)")
    if name.endswith(".jsonl") or name.endswith(".ndjson"):
        return _read_log(path)
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        elif name.endswith(".csv") or name.endswith(".csv.gz"):
            frame = pd.read_csv(path, low_memory=False)
        else:
            raise DriftError(f"{path}: unknown file type (expected a data folder, .csv, .parquet or .jsonl)")
    except DriftError:
        raise
    except Exception as exc:  # pyarrow / pandas parser errors, bad gzip, bad encoding
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(path.name, f"unreadable file: {text[:200]}") from None
    if len(frame) == 0:
        raise DriftError(f"{path}: empty batch (no rows)")
    table = _raw_application(list(frame.columns))
    if table is not None:  # a raw Kaggle application file: build its application features
        tables = {table: read_table(path, table)}
        feats = build_features(tables, include_children=False)
        return Batch(feats.reset_index(), {"kind": f"raw {table} file (application features only)"})
    if ID in frame.columns:
        frame = frame.drop_duplicates(ID)
    return Batch(_coerce_numeric(frame, path.name, _categorical_names()), {"kind": "feature_file"})


class _FolderCache:
    """Builds a folder's features once when both sides read the same folder."""

    def __init__(self) -> None:
        self._built: dict[tuple[Path, bool], tuple[pd.DataFrame, dict[str, np.ndarray]]] = {}

    def get(self, folder: Path, include_children: bool) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        key = (folder.resolve(), include_children)
        if key not in self._built:
            tables = load_tables(folder, None if include_children else APPLICATION_TABLES)
            feats = build_features(tables, include_children=include_children)
            ids = {t: tables[t][ID].to_numpy(dtype=np.int64) for t in APPLICATION_TABLES if t in tables}
            self._built[key] = (feats, ids)
        return self._built[key]


def load_batch(source: Source, table: str = "application_train", include_children: bool = True,
               cache: _FolderCache | None = None) -> Batch:
    """Feature rows of one side: a batch or a DataFrame as is, a data folder's ``table`` clients, or a file."""
    if isinstance(source, Batch):
        if len(source.frame) == 0:
            raise DriftError("empty batch (no rows)")
        return source
    if isinstance(source, pd.DataFrame):
        if len(source) == 0:
            raise DriftError("empty batch (the frame has no rows)")
        return Batch(source, {"kind": "frame"})
    path = Path(source).expanduser()
    if not path.exists():
        raise DriftError(f"{path}: no such file or folder")
    if path.is_file():
        batch = _read_file(path)
        batch.info["source"] = str(path)
        return batch
    if table not in APPLICATION_TABLES:
        raise DriftError(f"--table must be one of {', '.join(APPLICATION_TABLES)}, not {table!r}")
    feats, ids = (cache or _FolderCache()).get(path, include_children)
    if table not in ids:
        raise DriftError(f"{path}: no {table} file in this data folder")
    rows = feats.loc[feats.index.isin(ids[table])]
    if len(rows) == 0:
        raise DriftError(f"{path}: empty batch, {table} has no client")
    return Batch(rows, {"kind": "data_folder", "source": str(path), "table": table})


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
        frame = _coerce_numeric(frame, "score store", _categorical_names())
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


# --------------------------------------------------------------------------- model

def _lacks_fitted(frame: pd.DataFrame) -> list[str]:
    """The fitted features present in ``frame`` without a single value (built from raw files)."""
    return [c for c in FITTED_FEATURES if c in frame.columns and frame[c].isna().all()]


def fill_fitted_features(frame: pd.DataFrame, fitted: PopulationFeatures) -> pd.DataFrame:
    """Features built from raw files lack the ones fitted on training clients (neighbour rate,
    implied term and rate): fill them with the model's fitted state, so that they are tested too."""
    empty = _lacks_fitted(frame)
    if not empty or len(frame) == 0:
        return frame
    by_id = frame.set_index(ID) if ID in frame.columns else frame
    try:
        filled = fitted.transform(by_id)
    except KeyError:          # a feature file without the inputs: the columns stay as they are
        return frame
    out = frame.copy()
    for c in empty:
        out[c] = filled[c].to_numpy()
    return out


def model_features(model_dir: str | Path) -> tuple[list[str], dict[str, float], dict[str, Any]]:
    """(model features, mean |SHAP| per feature, model info) of the artifact in ``model_dir``."""
    artifact = load_artifact(Path(model_dir))
    importance = {r.feature: r.mean_abs_shap for r in read_importance(artifact.extra(GLOBAL_IMPORTANCE_FILE))}
    info = {"model_version": artifact.metadata.version, "model_dir": str(artifact.path),
            "include_children": artifact.metadata.include_children}
    return list(artifact.metadata.features), importance, info


def select_features(features: list[str], importance: Mapping[str, float], n: int | None) -> list[str]:
    """The ``n`` most important of ``features`` (all when ``n`` is None or 0); model order breaks ties."""
    ranked = sorted(features, key=lambda f: (-(importance.get(f) or 0.0), features.index(f)))
    return ranked if not n else ranked[:n]


def run_drift(reference_src: Source, current_src: Source, out_dir: str | Path | None,
              model_dir: str | Path | None = None, n_features: int | None = DEFAULT_FEATURES,
              reference_table: str = "application_train", current_table: str = "application_test",
              log: Callable[[str], object] | None = print) -> DriftSummary:
    """Compare the model's top ``n_features`` between two sources; write the HTML report and the JSON
    summary into ``out_dir`` (nothing is written when it is None).

    ``model_dir=None`` uses the product's model (``settings.model_dir``); when there is no model there,
    the product's feature list is used without importance (a note says so).
    """
    if n_features is not None and n_features < 0:
        raise DriftError("--features must be 0 (all) or a positive number")
    notes: list[str] = []
    model_info: dict[str, Any] = {}
    if model_dir is None:
        try:
            features, importance, model_info = model_features(get_settings().model_dir)
        except ArtifactError as exc:
            features, importance = feature_columns(True), {}
            notes.append(f"no usable model ({exc}); product features tested, not ranked by importance")
    else:
        features, importance, model_info = model_features(model_dir)
    children = bool(model_info.get("include_children", True))

    cache = _FolderCache()
    ref = load_batch(reference_src, reference_table, children, cache)
    cur = load_batch(current_src, current_table, children, cache)
    if cur.info.get("duplicates_dropped"):
        notes.append(f"{cur.info['duplicates_dropped']} repeated scores of a client in the period dropped "
                     "(the latest kept)")
    if model_info.get("model_dir") and (_lacks_fitted(ref.frame) or _lacks_fitted(cur.frame)):
        fitted = PopulationFeatures.load(Path(model_info["model_dir"]))
        ref, cur = (Batch(fill_fitted_features(b.frame, fitted), b.info) for b in (ref, cur))
    available = [f for f in features if f in ref.frame.columns and f in cur.frame.columns]
    if not available:
        raise DriftError("reference and current data have no model feature in common "
                         f"(model features: {', '.join(features[:5])}...; current columns: "
                         f"{', '.join(map(str, list(cur.frame.columns)[:5]))}...)")
    chosen = select_features(available, importance, n_features)
    missing = [f for f in select_features(features, importance, n_features) if f not in set(available)]

    summary = drift_summary(ref.frame, cur.frame, importance, chosen)
    summary.not_tested = [{"feature": f, "reason": "absent from the reference or current data"}
                          for f in missing] + summary.not_tested
    summary.reference.update(ref.info)
    summary.current.update(cur.info)
    if cur.info.get("kind") == "score_store":
        summary.period = {"since": cur.info["since"], "until": cur.info["until"], "rows": int(len(cur.frame))}
    summary.warnings = notes + summary.warnings
    share_imp = None
    if importance:
        total = sum(importance.values()) or 1.0
        share_imp = sum(importance.get(f, 0.0) for f in chosen) / total
    summary.selection = {"n_requested": n_features or None, "n_model_features": len(features),
                         "n_available": len(available),
                         "ranked_by": "global importance (mean |SHAP|)" if importance else "model feature order",
                         "importance_share_tested": share_imp, **model_info}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        t0 = perf_counter()
        summary.snapshot.save_html(str(out / HTML_FILE))
        summary.selection["html_seconds"] = round(perf_counter() - t0, 2)
        tmp = out / f".{SUMMARY_FILE}.tmp"
        tmp.write_text(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(out / SUMMARY_FILE)
        if log is not None:
            log(f"wrote {out / HTML_FILE} and {out / SUMMARY_FILE}")
    return summary


def load_summary(path: str | Path) -> dict[str, Any]:
    """The JSON written by :func:`run_drift`; ``path`` may be the file or its folder.

    Raises :class:`DriftError` when it is missing or is not a drift summary.
    """
    path = Path(path)
    if path.is_dir():
        path = path / SUMMARY_FILE
    if not path.exists():
        raise DriftError(f"{path}: no drift summary; run `python -m model.monitoring.drift`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DriftError(f"{path}: corrupt drift summary ({exc})") from None
    if not isinstance(data, dict) or "features" not in data or "share_drifted" not in data:
        raise DriftError(f"{path}: not a drift summary")
    return data


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


if __name__ == "__main__":
    sys.exit(main())
