"""Fairness of the model's decisions, measured on out-of-fold predictions.

Calibration and its statistics (reliability, ECE, Brier) live in :mod:`model.validation`.

Every function here takes plain arrays, so the model report (:mod:`model.reporting.methodology`) and the
tests feed it the same thing: the **out-of-fold** probabilities stored with the model
(``oof.parquet``), each client scored by the fold model that never saw its target. The
refitted model's own scores on its training clients have seen those targets: gaps between
groups and AUCs would all look better than what a new applicant
gets. Nothing in this module can tell the two apart, so the caller must pass OOF scores.

Groups
------
* **Age bands** come from ``DAYS_BIRTH`` in *completed* years, the way the dashboard shows an
  age (``model.text.labels``: 29.9 years is "29 ans"), cut at :data:`AGE_EDGES` (30, 40, 50,
  60): "<30", "30–39", "40–49", "50–59", "60+". Ten-year bands keep every band in the
  hundreds of clients on the 5,000-client real sample, while still separating the young
  applicants the data says are riskier from the near-retired.
* **Gender** is ``CODE_GENDER`` as given, with Kaggle's ``XNA`` level kept as its own row
  with its count (possibly 0) rather than merged into a sex it is not.
* A missing group value becomes the group :data:`MISSING_GROUP`, so no client is dropped.

A group's AUC is ``None`` when it holds fewer than ``min_clients`` clients or fewer than
``min_per_class`` defaulters or non-defaulters: an AUC ranks defaulters against
non-defaulters, and with a handful of either it is noise. Its Hanley–McNeil standard error
is given beside it so that a gap between groups can be read against the noise.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import roc_auc_score

from data.schema import DAYS_PER_YEAR, MISSING_LEVEL
from model.cost import CostWeights, confusion, cost_per_client

#: Lower bounds (completed years) of the age bands after the first one.
AGE_EDGES: tuple[int, ...] = (30, 40, 50, 60)
#: Below this many clients a group gets no AUC.
MIN_AUC_CLIENTS = 50
#: Below this many defaulters (or non-defaulters) a group gets no AUC.
MIN_AUC_CLASS = 5
#: Label of the clients whose group value is missing.
MISSING_GROUP = MISSING_LEVEL
#: The "four-fifths" heuristic of the US EEOC: an approval-rate ratio below it is usually
#: read as a sign of adverse impact. A screening convention, not a French legal test.
FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class GroupMetrics:
    """Outcome and decision figures of one group of clients at the model's threshold.

    Rates are ``None`` only where they have no denominator (an empty group, a group
    without defaulters for ``recall``...).
    """

    group: str
    n: int
    n_defaults: int
    default_rate: float | None
    #: Mean out-of-fold score: compare with ``default_rate`` for the group's calibration.
    mean_probability: float | None
    auc: float | None
    auc_se: float | None
    #: Share of the group refused (score >= threshold).
    refusal_rate: float | None
    #: Share of the group's defaulters refused (true positive rate, "equal opportunity").
    recall: float | None
    #: Share of the group's good clients refused (false positive rate).
    false_refusal_rate: float | None
    cost_per_client: float | None

    @property
    def approval_rate(self) -> float | None:
        return None if self.refusal_rate is None else 1.0 - self.refusal_rate


def _arrays(y_true: ArrayLike, proba: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int8, copy=False).ravel()
    p = np.asarray(proba, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true and proba differ in length: {y.shape[0]} vs {p.shape[0]}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold only 0 and 1")
    return y, p


# --------------------------------------------------------------------------- groups

def age_in_years(days_birth: ArrayLike) -> np.ndarray:
    """Kaggle's ``DAYS_BIRTH`` (days before the application, negative) as an age in years; NaN stays NaN."""
    return np.abs(np.asarray(days_birth, dtype=np.float64)) / DAYS_PER_YEAR


def age_band_labels(edges: Sequence[int] = AGE_EDGES) -> list[str]:
    """"<30", "30–39", ..., "60+": the labels read the same in French and English."""
    if not edges or list(edges) != sorted(set(edges)):
        raise ValueError(f"age edges must be increasing and distinct, got {edges}")
    inner = [f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:])]
    return [f"<{edges[0]}", *inner, f"{edges[-1]}+"]


def age_bands(days_birth: ArrayLike, edges: Sequence[int] = AGE_EDGES) -> pd.Categorical:
    """Age band of each client, on completed years (see the module doc); missing → NaN."""
    labels = age_band_labels(edges)
    years = age_in_years(days_birth)
    known = ~np.isnan(years)
    completed = np.floor(np.where(known, years, 0.0) + 1e-9)
    codes = np.searchsorted(np.asarray(edges, dtype=np.float64), completed, side="right")
    return pd.Categorical.from_codes(np.where(known, codes, -1).tolist(), categories=pd.Index(labels))


def _group_keys(groups: ArrayLike | pd.Categorical | pd.Series) -> tuple[np.ndarray, list[str]]:
    """Group label of each client as text, and the reporting order of the groups.

    A categorical keeps its own level order, empty levels included (a rare level shown with
    n = 0 is more honest than one that silently disappears); other values are sorted.
    Missing values become :data:`MISSING_GROUP`, listed last.
    """
    series = groups if isinstance(groups, pd.Series) else pd.Series(groups)
    if isinstance(series.dtype, pd.CategoricalDtype):
        order = [str(c) for c in series.cat.categories]
    else:
        order = sorted({str(v) for v in series.dropna().unique()})
    missing = series.isna().to_numpy()
    keys = np.where(missing, MISSING_GROUP, series.astype(object).astype(str).to_numpy())
    if missing.any() and MISSING_GROUP not in order:
        order.append(MISSING_GROUP)
    return keys, order


# --------------------------------------------------------------------------- metrics

def auc_standard_error(auc: float, n_defaults: int, n_good: int) -> float:
    """Hanley & McNeil (1982) standard error of an AUC: cheap, and enough to read a gap against noise."""
    if n_defaults < 1 or n_good < 1:
        raise ValueError("an AUC needs at least one client of each class")
    q1, q2 = auc / (2 - auc), 2 * auc ** 2 / (1 + auc)
    var = (auc * (1 - auc) + (n_defaults - 1) * (q1 - auc ** 2) + (n_good - 1) * (q2 - auc ** 2)) \
        / (n_defaults * n_good)
    return math.sqrt(max(var, 0.0))


def group_metrics(y_true: ArrayLike, proba: ArrayLike, threshold: float, weights: CostWeights = CostWeights(),
                  name: str = "all", min_clients: int = MIN_AUC_CLIENTS,
                  min_per_class: int = MIN_AUC_CLASS) -> GroupMetrics:
    """The figures of one set of clients (a whole population or one group) at ``threshold``."""
    y, p = _arrays(y_true, proba)
    n = int(y.size)
    if n == 0:
        return GroupMetrics(name, 0, 0, None, None, None, None, None, None, None, None)
    n_def = int(y.sum())
    n_good = n - n_def
    auc = auc_se = None
    if n >= min_clients and min(n_def, n_good) >= min_per_class:
        auc = float(roc_auc_score(y, p))
        auc_se = auc_standard_error(auc, n_def, n_good)
    c = confusion(y, p, threshold)
    return GroupMetrics(
        group=name, n=n, n_defaults=n_def, default_rate=n_def / n, mean_probability=float(p.mean()),
        auc=auc, auc_se=auc_se, refusal_rate=(c.tp + c.fp) / n,
        recall=c.tp / n_def if n_def else None,
        false_refusal_rate=c.fp / n_good if n_good else None,
        cost_per_client=cost_per_client(y, p, threshold, weights),
    )


def metrics_by_group(y_true: ArrayLike, proba: ArrayLike, groups: ArrayLike | pd.Categorical | pd.Series,
                     threshold: float, weights: CostWeights = CostWeights(),
                     min_clients: int = MIN_AUC_CLIENTS, min_per_class: int = MIN_AUC_CLASS) -> list[GroupMetrics]:
    """:func:`group_metrics` of every group, in the groups' reporting order (see :func:`_group_keys`)."""
    y, p = _arrays(y_true, proba)
    keys, order = _group_keys(groups)
    if keys.shape[0] != y.shape[0]:
        raise ValueError(f"groups and y_true differ in length: {keys.shape[0]} vs {y.shape[0]}")
    return [group_metrics(y[keys == g], p[keys == g], threshold, weights, g, min_clients, min_per_class)
            for g in order]


def approval_rate_ratio(rows: Sequence[GroupMetrics], min_clients: int = MIN_AUC_CLIENTS) -> float | None:
    """Lowest approval rate over the highest, among groups of at least ``min_clients``.

    The adverse-impact ratio of the "four-fifths" screening rule (:data:`FOUR_FIFTHS`); None
    when fewer than two groups are large enough or nobody is approved.
    """
    rates = [r.approval_rate for r in rows if r.n >= min_clients and r.approval_rate is not None]
    if len(rates) < 2 or max(rates) == 0:
        return None
    return min(rates) / max(rates)
