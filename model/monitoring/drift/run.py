"""A drift run: the model's most important features compared between a reference and a current
source, the Evidently report and the JSON summary written (``drift_report.html``,
``drift_summary.json``), and that summary read back for the screen and the methodology note.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from time import perf_counter
from typing import Any

import pandas as pd

from model.artifact import GLOBAL_IMPORTANCE_FILE, ArtifactError, load_artifact
from model.features import FITTED_FEATURES, feature_columns
from model.importance import read_importance
from model.monitoring.drift.check import ID, DriftError, DriftSummary, drift_summary
from model.monitoring.drift.sources import Batch, FolderCache, Source, load_batch
from model.population_features import PopulationFeatures
from settings import get_settings

SUMMARY_FILE = "drift_summary.json"
HTML_FILE = "drift_report.html"
DEFAULT_FEATURES = 50


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

    cache = FolderCache()
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

    summary = drift_summary(ref.frame, cur.frame, importance, chosen, report=out_dir is not None)
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
