"""The model's global importance as stored beside it (``global_importance.json``), read in one place.

Training writes mean |SHAP| per feature over a reference sample (``model.explain.global_importance``);
the dashboard's Model screen, the API's model route, the drift check (which features to test first)
and the methodology note all read it through :func:`read_importance`, with one policy: a missing
file means "no importance known" (an empty list), a malformed one is an :class:`ArtifactError`
naming the file and what is wrong.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.artifact import ArtifactError


@dataclass(frozen=True)
class FeatureImportance:
    feature: str
    #: Mean absolute SHAP value over the reference sample, in log-odds.
    mean_abs_shap: float


def parse_importance(raw: Any, source: str) -> list[FeatureImportance]:
    """The ``importance`` list of a decoded ``global_importance.json``, most important first."""
    rows = raw.get("importance") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise ArtifactError(f"{source}: expected an object with an 'importance' list")
    out: list[FeatureImportance] = []
    for i, row in enumerate(rows):
        try:
            item = FeatureImportance(str(row["feature"]), float(row["mean_abs_shap"]))
        except (KeyError, TypeError, ValueError):
            raise ArtifactError(f"{source}: importance[{i}] needs a 'feature' and a numeric 'mean_abs_shap'") from None
        if not math.isfinite(item.mean_abs_shap) or item.mean_abs_shap < 0:
            raise ArtifactError(f"{source}: importance[{i}].mean_abs_shap must be a finite number >= 0")
        out.append(item)
    return sorted(out, key=lambda r: -r.mean_abs_shap)


@dataclass(frozen=True)
class GlobalImportance:
    """The whole file: the ranking, and what it was measured on."""

    importance: list[FeatureImportance]
    #: Training clients of the reference sample the mean |SHAP| was taken over.
    n_reference: int | None
    #: The model's SHAP base value (log-odds) on that sample.
    base_log_odds: float | None


def read_global_importance(path: Path) -> GlobalImportance | None:
    """Everything ``global_importance.json`` holds, or None when training stored none."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: unreadable global importance ({exc})") from None
    rows = parse_importance(raw, str(path))
    try:
        n = raw.get("n_reference")
        base = raw.get("base_log_odds")
        return GlobalImportance(rows, None if n is None else int(n), None if base is None else float(base))
    except (TypeError, ValueError):
        raise ArtifactError(f"{path}: n_reference and base_log_odds must be numbers") from None


def read_importance(path: Path) -> list[FeatureImportance]:
    """Global importance of a model, most important first, or ``[]`` when training stored none."""
    stored = read_global_importance(path)
    return [] if stored is None else stored.importance
