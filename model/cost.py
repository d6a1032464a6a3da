"""The bank's business cost of a decision, and the threshold that minimises it.

A missed defaulter (false negative: credit granted, client defaults) costs the bank
far more than a good client refused (false positive), so the decision threshold is
chosen to minimise ``c_fn·FN + c_fp·FP`` rather than to maximise accuracy. A client
is refused when its probability of default is at or above the threshold (:mod:`model.decision`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from model.decision import refused


@dataclass(frozen=True)
class CostWeights:
    """Cost of a missed defaulter (``fn``) and of a refused good client (``fp``), in the same unit."""

    fn: float = 10.0
    fp: float = 1.0

    def __post_init__(self) -> None:
        if not (self.fn > 0 and self.fp > 0 and np.isfinite(self.fn) and np.isfinite(self.fp)):
            raise ValueError(f"cost weights must be positive and finite, got fn={self.fn}, fp={self.fp}")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class Confusion:
    tn: int
    fp: int
    fn: int
    tp: int

    @property
    def n(self) -> int:
        return self.tn + self.fp + self.fn + self.tp


def _arrays(y_true: ArrayLike, proba: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int8, copy=False).ravel()
    p = np.asarray(proba, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise ValueError(f"y_true and proba differ in length: {y.shape[0]} vs {p.shape[0]}")
    if y.size == 0:
        raise ValueError("no clients to evaluate")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("y_true must hold only 0 and 1")
    return y, p


def confusion(y_true: ArrayLike, proba: ArrayLike, threshold: float) -> Confusion:
    y, p = _arrays(y_true, proba)
    refused_ = refused(p, threshold)
    tp = int(np.sum(refused_ & (y == 1)))
    fp = int(np.sum(refused_ & (y == 0)))
    fn = int(np.sum(~refused_ & (y == 1)))
    return Confusion(tn=int(y.size - tp - fp - fn), fp=fp, fn=fn, tp=tp)


def cost_per_client(y_true: ArrayLike, proba: ArrayLike, threshold: float,
                    weights: CostWeights = CostWeights()) -> float:
    """Average business cost per client of deciding with ``threshold``."""
    c = confusion(y_true, proba, threshold)
    return (weights.fn * c.fn + weights.fp * c.fp) / c.n


def cost_curve(y_true: ArrayLike, proba: ArrayLike,
               weights: CostWeights = CostWeights()) -> tuple[np.ndarray, np.ndarray]:
    """Cost per client at every distinct decision the scores allow (exact, O(n log n)).

    Returns ``(thresholds, costs)`` in increasing threshold order. Threshold ``t`` refuses
    every client with a score ``>= t``; each threshold sits midway between two
    consecutive distinct scores, so it generalises rather than hugging a training score.
    The first threshold (0) refuses everyone, the last (above every score) grants everyone.
    """
    y, p = _arrays(y_true, proba)
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    # Refusing the k highest scores: only k at the end of a run of ties is a possible decision.
    distinct_end = np.flatnonzero(np.r_[p_sorted[1:] != p_sorted[:-1], True]) + 1
    k = np.r_[0, distinct_end]
    tp = np.r_[0, np.cumsum(y_sorted)][k]
    fp = k - tp
    fn = y.sum() - tp
    costs = (weights.fn * fn + weights.fp * fp) / y.size
    thresholds = np.empty(k.size)
    thresholds[0] = np.nextafter(p_sorted[0], np.inf)             # above every score: grant all
    inner = k[1:-1]
    thresholds[1:-1] = (p_sorted[inner - 1] + p_sorted[inner]) / 2  # midway refused / granted
    thresholds[-1] = p_sorted[-1]                                  # lowest score: refuse all
    return thresholds[::-1].copy(), costs[::-1].copy()


@dataclass(frozen=True)
class ThresholdChoice:
    threshold: float
    cost_per_client: float
    cost_grant_all: float
    cost_refuse_all: float


def best_threshold(y_true: ArrayLike, proba: ArrayLike,
                   weights: CostWeights = CostWeights()) -> ThresholdChoice:
    """The threshold with the lowest business cost on these (validation) scores."""
    y, _ = _arrays(y_true, proba)
    thresholds, costs = cost_curve(y_true, proba, weights)
    i = int(np.argmin(costs))
    n_pos = int(y.sum())
    return ThresholdChoice(
        threshold=float(thresholds[i]),
        cost_per_client=float(costs[i]),
        cost_grant_all=weights.fn * n_pos / y.size,
        cost_refuse_all=weights.fp * (y.size - n_pos) / y.size,
    )
