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


def read_importance(path: Path) -> list[FeatureImportance]:
    """Global importance of a model, or ``[]`` when training stored none."""
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: unreadable global importance ({exc})") from None
    return parse_importance(raw, str(path))
