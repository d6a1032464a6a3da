"""The check itself: Evidently's data-drift preset on two frames of feature rows, read back as one
result per feature, ranked by the model's importance.

Kept apart from where the rows come from (:mod:`.sources`, :mod:`.period`) so that the one
comparison is the same for a folder, a file, a log or a period of the score store.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

import numpy as np
import pandas as pd

from model.features import CATEGORICAL_FEATURES
from model.text.labels import UnknownFeatureError, feature_label

ID = "SK_ID_CURR"
#: Evidently's default share of drifted features above which the whole dataset is said to drift.
DATASET_DRIFT_SHARE = 0.5
#: Evidently drift methods whose score is a distance (drift when score >= threshold); the others give a p-value.
_DISTANCES = ("wasserstein", "jensen-shannon", "hellinger", "kullback", "psi", "energy")
NOT_FEATURES = {ID, "TARGET"}


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


def categorical_names() -> set[str]:
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
                  features: list[str] | None = None, report: bool = True) -> DriftSummary:
    """Run Evidently's data-drift preset on ``features`` (default: every common column but the id
    and TARGET) and rank the result by ``importance`` (mean |SHAP|; missing means unknown).

    ``report=False``: the same tests without the preset's HTML (no ``snapshot``), for a check whose
    numbers alone are shown, the drift screen's period: Evidently draws a dozen charts per feature while
    it computes, some 90 % of a check's time (:func:`_column_drifts`).

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
    common = [c for c in reference.columns if c in set(current.columns) and str(c) not in NOT_FEATURES]
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
    cat_names = categorical_names()
    cats = [n for n in ranked if _is_categorical(n, reference[n], current[n], cat_names)]
    nums = [n for n in ranked if n not in set(cats)]
    ref = _prepare(reference, ranked, set(cats))
    cur = _prepare(current, ranked, set(cats))
    t0 = perf_counter()
    snapshot = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not report:
                results = _column_drifts(ref, cur, nums)
            else:
                definition = DataDefinition(numerical_columns=nums, categorical_columns=cats)
                snapshot = Report([DataDriftPreset(columns=ranked, drift_share=DATASET_DRIFT_SHARE)],
                                  include_tests=True).run(
                    current_data=Dataset.from_pandas(cur, data_definition=definition),
                    reference_data=Dataset.from_pandas(ref, data_definition=definition))
                results = _per_feature(snapshot)
    except (ValueError, TypeError) as exc:  # Evidently's own checks (empty column, bad type, ...)
        raise DriftError(f"Evidently could not compare the data: {str(exc).splitlines()[0][:300]}") from None
    seconds = perf_counter() - t0

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


def _column_drifts(ref: pd.DataFrame, cur: pd.DataFrame, numerical: list[str]) -> dict[str, dict[str, Any]]:
    """Column -> test, score, threshold and drift flag, from the calculation Evidently's ``ValueDrift``
    metric runs for each column of the preset (``get_one_column_drift``, method and threshold chosen by
    Evidently as there), called without the charts that metric then draws: the preset's own numbers
    (``tests/test_drift.py`` holds both ways to the same result)."""
    from evidently.legacy.calculations.data_drift import get_one_column_drift  # noqa: PLC0415
    from evidently.legacy.core import ColumnType  # noqa: PLC0415
    from evidently.legacy.metric_results import DatasetColumns, DatasetUtilityColumns  # noqa: PLC0415
    from evidently.legacy.options.data_drift import DataDriftOptions  # noqa: PLC0415

    options = DataDriftOptions(all_features_stattest=None, all_features_threshold=None, nbinsx=None)
    out: dict[str, dict[str, Any]] = {}
    for name in ref.columns:
        kind = ColumnType.Numerical if name in numerical else ColumnType.Categorical
        columns = DatasetColumns(utility_columns=DatasetUtilityColumns(date=None, id=None, target=None, prediction=None),
                                 target_type=None, task=None, target_names=None, text_feature_names=[],
                                 datetime_feature_names=[],
                                 num_feature_names=[name] if kind == ColumnType.Numerical else [],
                                 cat_feature_names=[name] if kind == ColumnType.Categorical else [])
        drift = get_one_column_drift(current_data=cur, reference_data=ref, column_name=name, options=options,
                                     dataset_columns=columns, column_type=kind, agg_data=True)
        method, threshold = str(drift.stattest_name), float(drift.stattest_threshold)
        score = float(drift.drift_score) if np.isfinite(float(drift.drift_score)) else None
        out[str(name)] = {"test": method, "threshold": threshold, "score": score, "drifted": bool(drift.drift_detected),
                          "score_kind": _score_kind(method)}
    return out


def _score_kind(method: str) -> str:
    """"distance" (drift when the score reaches the threshold) or "p_value" (drift below it)."""
    return "distance" if any(d in method.lower() for d in _DISTANCES) else "p_value"


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
        kind = _score_kind(method)
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
