"""Validation statistics of a probability-of-default model, on plain arrays.

What a bank validator asks of a PD model, split in the three questions the statistics answer:

* **discrimination** (does the score rank defaulters above payers?): AUC with a bootstrap 95 %
  confidence interval, Gini (= 2·AUC − 1), Kolmogorov-Smirnov;
* **calibration** (is a PD of 8 % followed by 8 % of defaults?): expected calibration error and the
  reliability curve on equal-frequency bins, Brier score against the base-rate Brier,
  Hosmer-Lemeshow, Spiegelhalter's z, calibration intercept (calibration-in-the-large) and slope;
* **stability** (do today's applicants look like the training ones?): population stability index;
* **replicates** (is the gap between two models more than noise?): the mean of independent
  replicates with its Student 95 % interval and standard error, the one rule of the yardstick's
  seeds (``benchmarks/yardstick.py`` and the methodology note's paired comparison).

Every function of the first three takes outcomes ``y`` (0/1, 1 = default) and probabilities ``p`` and refuses
malformed input (different lengths, non-binary outcomes, probabilities outside [0, 1] or not
finite) with a ``ValueError``: a silently broadcast or NaN-filled array would give a plausible
but meaningless number in a validation report.

Calibration statistics must be measured on predictions the calibration map was *not* fitted on
(the cross-fitted out-of-fold PDs of :func:`model.calibration.choose_calibration`), otherwise
they only show that the map fits its own training data.
"""
from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from sklearn.metrics import roc_curve

EPS = 1e-6
"""Probabilities are clipped to [EPS, 1 − EPS] wherever a logarithm or a logit is taken."""

PSI_EPS = 1e-4
"""Share given to an empty PSI bin, so that its term stays finite (the usual convention)."""

PsiBand = Literal["stable", "moderate", "significant"]


def as_outcomes(y: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``(y, p)`` as 1-D arrays checked for a validation statistic.

    Raises ``ValueError`` naming the problem: the arrays must be non-empty, of equal length,
    ``y`` only 0 and 1, ``p`` finite and inside [0, 1].
    """
    y_arr = np.asarray(y, dtype=np.float64).ravel()
    p_arr = np.asarray(p, dtype=np.float64).ravel()
    if y_arr.size == 0:
        raise ValueError("y is empty")
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"y and p differ in length ({y_arr.size} and {p_arr.size})")
    if not np.all((y_arr == 0) | (y_arr == 1)):
        raise ValueError("y must contain only 0 and 1")
    if not np.all(np.isfinite(p_arr)):
        raise ValueError("p contains non-finite values")
    if np.any(p_arr < 0) or np.any(p_arr > 1):
        raise ValueError("p must lie in [0, 1]")
    return y_arr.astype(np.int64), p_arr


def _require_both_classes(y: NDArray[np.int64]) -> None:
    if y.min() == y.max():
        raise ValueError("y must contain both defaults (1) and non-defaults (0)")


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def log_loss(y: ArrayLike, p: ArrayLike) -> float:
    """Mean negative log-likelihood, with ``p`` clipped to [EPS, 1 − EPS] (so one confident
    mistake costs at most −log(EPS) ≈ 13.8 instead of infinity)."""
    y_arr, p_arr = as_outcomes(y, p)
    q = np.clip(p_arr, EPS, 1 - EPS)
    return float(-np.mean(y_arr * np.log(q) + (1 - y_arr) * np.log1p(-q)))


# ---------------------------------------------------------------- discrimination


def _auc_weighted(pos_w: NDArray[np.float64], neg_w: NDArray[np.float64]) -> float:
    """AUC from weights of positives and negatives on the sorted distinct scores (ties count ½)."""
    neg_below = np.cumsum(neg_w) - neg_w
    total = float(pos_w.sum() * neg_w.sum())
    return float(np.sum(pos_w * (neg_below + 0.5 * neg_w)) / total)


def auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve: the probability that a random defaulter scores above a random
    non-defaulter (ties count one half)."""
    y_arr, p_arr = as_outcomes(y, p)
    _require_both_classes(y_arr)
    _, inverse = np.unique(p_arr, return_inverse=True)
    size = int(inverse.max()) + 1
    pos_w = np.bincount(inverse[y_arr == 1], minlength=size).astype(np.float64)
    neg_w = np.bincount(inverse[y_arr == 0], minlength=size).astype(np.float64)
    return _auc_weighted(pos_w, neg_w)


def auc_with_ci(y: ArrayLike, p: ArrayLike, n_boot: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """``(auc, lo, hi)``: the AUC and its 95 % percentile bootstrap interval.

    The bootstrap is stratified (defaulters and non-defaulters are resampled separately, each
    to its own count), so every replicate has the observed default rate: with few defaulters a
    plain bootstrap would mix the uncertainty of the AUC with that of the class balance. A
    replicate costs O(n) (counts on the distinct scores, sorted once), so 1,000 replicates on
    300,000 clients take seconds.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    y_arr, p_arr = as_outcomes(y, p)
    _require_both_classes(y_arr)
    _, inverse = np.unique(p_arr, return_inverse=True)
    size = int(inverse.max()) + 1
    pos_idx = inverse[y_arr == 1]
    neg_idx = inverse[y_arr == 0]
    point = _auc_weighted(np.bincount(pos_idx, minlength=size).astype(np.float64),
                          np.bincount(neg_idx, minlength=size).astype(np.float64))
    rng = np.random.default_rng(seed)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        pos_w = np.bincount(pos_idx[rng.integers(0, pos_idx.size, pos_idx.size)], minlength=size)
        neg_w = np.bincount(neg_idx[rng.integers(0, neg_idx.size, neg_idx.size)], minlength=size)
        boots[b] = _auc_weighted(pos_w.astype(np.float64), neg_w.astype(np.float64))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return point, float(lo), float(hi)


def gini(auc_value: float) -> float:
    """Gini coefficient (accuracy ratio) from the AUC: 2·AUC − 1, the form banks report."""
    if not 0.0 <= auc_value <= 1.0:
        raise ValueError(f"auc must lie in [0, 1], got {auc_value}")
    return 2.0 * auc_value - 1.0


def ks_statistic(y: ArrayLike, p: ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the score distributions of
    defaulters and non-defaulters (max of TPR − FPR over thresholds)."""
    y_arr, p_arr = as_outcomes(y, p)
    _require_both_classes(y_arr)
    fpr, tpr, _ = roc_curve(y_arr, p_arr)
    return float(np.max(np.abs(tpr - fpr)))


# ---------------------------------------------------------------- calibration


def _equal_frequency_groups(p: NDArray[np.float64], bins: int) -> list[NDArray[np.intp]]:
    """Indices of ``bins`` groups of (nearly) equal size by increasing ``p``.

    Equal-frequency rather than equal-width bins: PDs crowd below 20 %, so equal-width bins
    would put nearly every client in the first two bins and leave the others almost empty.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, p.size))
    return [g for g in groups if g.size > 0]


def reliability_curve(y: ArrayLike, p: ArrayLike, bins: int = 10) -> list[tuple[float, float, int]]:
    """``[(mean predicted PD, observed default rate, clients), …]`` per equal-frequency bin,
    by increasing PD: the points of a reliability diagram (perfect calibration is the diagonal)."""
    y_arr, p_arr = as_outcomes(y, p)
    return [(float(p_arr[g].mean()), float(y_arr[g].mean()), int(g.size))
            for g in _equal_frequency_groups(p_arr, bins)]


def expected_calibration_error(y: ArrayLike, p: ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: client-weighted mean of |mean PD − default rate| over
    equal-frequency bins (in probability points, 0.01 = one point)."""
    curve = reliability_curve(y, p, bins)
    n = sum(c for _, _, c in curve)
    return float(sum(c * abs(m - r) for m, r, c in curve) / n)


def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Brier score: mean squared error of the probabilities (lower is better)."""
    y_arr, p_arr = as_outcomes(y, p)
    return float(np.mean((p_arr - y_arr) ** 2))


def brier_constant(y: ArrayLike) -> float:
    """Brier score of predicting the base rate to everyone, ``ȳ(1 − ȳ)``: the reference a model's
    Brier must beat (a Brier above it means the PDs do worse than knowing the default rate)."""
    y_arr, _ = as_outcomes(y, np.zeros(np.asarray(y).size))
    rate = float(y_arr.mean())
    return rate * (1.0 - rate)


def hosmer_lemeshow(y: ArrayLike, p: ArrayLike, groups: int = 10) -> tuple[float, float]:
    """``(statistic, p_value)`` of the Hosmer-Lemeshow test on equal-frequency groups of PD.

    Statistic: Σ over groups of (O − E)² / (E·(1 − E/n)) with O observed and E expected defaults
    (the sum over defaults and non-defaults); chi² with ``groups − 2`` degrees of freedom.
    A small p-value rejects calibration. On hundreds of thousands of clients the test rejects
    deviations too small to matter, so read it with the ECE and the reliability curve.
    """
    if groups < 3:
        raise ValueError(f"groups must be at least 3 (chi² with groups − 2 dof), got {groups}")
    y_arr, p_arr = as_outcomes(y, p)
    parts = _equal_frequency_groups(p_arr, groups)
    if len(parts) < 3:
        raise ValueError(f"need at least 3 clients for {groups} groups, got {y_arr.size}")
    statistic = 0.0
    for g in parts:
        n = float(g.size)
        observed = float(y_arr[g].sum())
        expected = float(np.clip(p_arr[g], EPS, 1 - EPS).sum())
        statistic += (observed - expected) ** 2 / (expected * (1.0 - expected / n))
    dof = len(parts) - 2
    return statistic, float(stats.chi2.sf(statistic, dof))


def spiegelhalter(y: ArrayLike, p: ArrayLike) -> tuple[float, float]:
    """``(z, p_value)`` of Spiegelhalter's test (two-sided): is the Brier score the one expected
    if the PDs were true? z = Σ(y − p)(1 − 2p) / √Σ(1 − 2p)²p(1 − p), standard normal under H0.
    Unlike Hosmer-Lemeshow it needs no grouping."""
    y_arr, p_arr = as_outcomes(y, p)
    q = np.clip(p_arr, EPS, 1 - EPS)
    variance = float(np.sum((1 - 2 * q) ** 2 * q * (1 - q)))
    if variance <= 0:
        raise ValueError("Spiegelhalter's test is undefined when every p is 0.5")
    z = float(np.sum((y_arr - q) * (1 - 2 * q)) / math.sqrt(variance))
    return z, float(2 * stats.norm.sf(abs(z)))


def calibration_intercept_slope(y: ArrayLike, p: ArrayLike) -> tuple[float, float]:
    """``(intercept, slope)`` of the logistic recalibration of ``p``.

    * slope: coefficient of logit(p) in a logistic regression of y on [1, logit(p)]; 1 when the
      PDs spread as much as the risk does, < 1 when they are too extreme (overfitting), > 1
      when too timid;
    * intercept: calibration-in-the-large, the constant of a logistic regression of y with
      logit(p) as an offset (slope fixed at 1); 0 when the PDs are right on average, > 0 when
      they underestimate the risk.

    Fitted by maximum likelihood with statsmodels (``Logit`` and a binomial ``GLM`` with offset),
    a maintained implementation, rather than a hand-written Newton loop. ``p`` is clipped to
    [EPS, 1 − EPS] before the logit.
    """
    y_arr, p_arr = as_outcomes(y, p)
    _require_both_classes(y_arr)
    x = _logit(p_arr)
    # statsmodels costs 2.6 s and 31 MiB to import: only training and the report fit these, the
    # serving workers (which import this module through the calibration) never do
    import statsmodels.api as sm  # type: ignore[import-untyped]  # noqa: PLC0415

    slope_fit = sm.Logit(y_arr, sm.add_constant(x, has_constant="add")).fit(disp=0)
    slope = float(np.asarray(slope_fit.params)[1])
    glm = sm.GLM(y_arr, np.ones((y_arr.size, 1)), family=sm.families.Binomial(), offset=x)
    intercept = float(np.asarray(glm.fit().params)[0])
    return intercept, slope


# ---------------------------------------------------------------- stability


def psi(expected: ArrayLike, actual: ArrayLike, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` (the reference sample).

    Bins are the ``expected`` sample's quantiles (so each holds about 1/bins of the reference;
    tied quantiles are merged), extended to ±infinity so every ``actual`` value falls in one;
    PSI = Σ (a − e)·ln(a / e) over the bins' shares, an empty bin counting ``PSI_EPS``.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    exp_arr = np.asarray(expected, dtype=np.float64).ravel()
    act_arr = np.asarray(actual, dtype=np.float64).ravel()
    for name, arr in (("expected", exp_arr), ("actual", act_arr)):
        if arr.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains non-finite values")
    edges = np.unique(np.quantile(exp_arr, np.linspace(0, 1, bins + 1)[1:-1]))
    n_bins = edges.size + 1
    e_share = np.bincount(np.searchsorted(edges, exp_arr, side="right"), minlength=n_bins) / exp_arr.size
    a_share = np.bincount(np.searchsorted(edges, act_arr, side="right"), minlength=n_bins) / act_arr.size
    e_share = np.maximum(e_share, PSI_EPS)
    a_share = np.maximum(a_share, PSI_EPS)
    return float(np.sum((a_share - e_share) * np.log(a_share / e_share)))


def psi_band(value: float) -> PsiBand:
    """The usual reading of a PSI: below 0.10 stable, 0.10 to 0.25 moderate shift, 0.25 and above
    significant shift (investigate, consider retraining)."""
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"a PSI is a finite non-negative number, got {value}")
    if value < 0.10:
        return "stable"
    if value < 0.25:
        return "moderate"
    return "significant"


# ---------------------------------------------------------------- replicates


def standard_error(values: ArrayLike) -> float:
    """Standard error of the mean of independent replicates, s / √n (NaN with fewer than two).

    For paired differences (product − reference, seed by seed) it is the paired standard error.
    """
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size < 2:
        return float("nan")
    return float(a.std(ddof=1) / np.sqrt(a.size))


def student_interval(values: ArrayLike) -> tuple[float, float, float]:
    """Mean and Student 95 % interval of independent replicates: ``(mean, low, high)``.

    Mean ± t(0.975, n − 1) · s / √n; with fewer than two replicates the bounds are NaN.
    """
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size < 2:
        return float(a.mean()), float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, a.size - 1)) * standard_error(a)
    return float(a.mean()), float(a.mean() - half), float(a.mean() + half)
