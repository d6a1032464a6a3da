"""Calibration of the model's scores into probabilities of default, fitted on out-of-fold data.

A model trained with balanced class weights ranks clients well but its output is not a
probability (mean "PD" around 43 % for a 7.9 % default rate); even an unweighted one drifts from
the observed rates once early stopping and subsampling shape it. A calibration map, monotone
non-decreasing so the ranking (AUC, Gini) is unchanged, turns the score into a PD:

* ``none``: identity (the score is already a probability);
* ``platt``: logistic regression of the outcome on logit(score), two parameters
  (PD = σ(a·logit(p) + b)); rigid, so it cannot overfit, but it cannot fix a distortion that is
  not linear on the logit scale;
* ``isotonic``: isotonic regression (the non-decreasing step function closest to the outcomes);
  fixes any monotone distortion given enough defaulters, but with few defaulters it overfits:
  its steps follow the noise, and a step fitted at 0 % meets defaulters on new data.

The map is fitted on the out-of-fold (OOF) predictions of cross-validation only: the scores of
the training rows themselves are optimistic. The method is chosen by **cross-fitting**: for each
fold k, the map is fitted on the other folds' OOF predictions and applied to fold k, and the
method with the lowest log-loss of these cross-fitted PDs wins. A calibration measured on the
data its map was fitted on would be flattering (isotonic most of all: it fits its own data
almost perfectly), so these cross-fitted PDs are the honest numbers, for the validation report
and for choosing the cost threshold; the map kept for serving is the chosen method refitted on
all OOF predictions.

Nothing from scikit-learn is stored: Platt keeps two floats, isotonic its thresholds (applied
with ``np.interp``), and :meth:`Calibration.to_dict` is plain JSON.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from model.validation import as_outcomes, log_loss

EPS = 1e-6
"""Calibrated PDs are clipped to [EPS, 1 − EPS]: never exactly 0 or 1 (a log-loss or a logit of
them stays finite, and no client is ever told default is impossible)."""

Method = Literal["none", "platt", "isotonic"]
METHODS: tuple[Method, ...] = get_args(Method)


def _clip(p: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.clip(p, EPS, 1 - EPS)


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = _clip(p)
    return np.asarray(np.log(q) - np.log1p(-q), dtype=np.float64)


def _as_probabilities(p: ArrayLike) -> NDArray[np.float64]:
    arr = np.atleast_1d(np.asarray(p, dtype=np.float64))
    if not np.all(np.isfinite(arr)):
        raise ValueError("probabilities contain non-finite values")
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError("probabilities must lie in [0, 1]")
    return arr


def _finite_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"calibration field {name!r} must be a finite number, got {value!r}")
    return float(value)


def _float_tuple(value: Any, name: str) -> tuple[float, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
        raise ValueError(f"calibration field {name!r} must be a list of numbers, got {type(value).__name__}")
    return tuple(_finite_float(v, f"{name}[{i}]") for i, v in enumerate(value))


@dataclass(frozen=True)
class Calibration:
    """A monotone map from raw model probabilities to calibrated PDs.

    ``a``, ``b``: Platt parameters (PD = σ(a·logit(p) + b)), ``a ≥ 0`` so the map is
    non-decreasing. ``x``, ``y``: isotonic thresholds (raw probability → PD, both
    non-decreasing, ``x`` strictly increasing), interpolated linearly between thresholds and held
    constant outside them. Checked on construction, so an instance is always usable.
    """

    method: Method
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"calibration field 'method' must be one of {METHODS}, got {self.method!r}")
        _finite_float(self.a, "a")
        _finite_float(self.b, "b")
        if self.method == "platt" and self.a < 0:
            raise ValueError(f"calibration field 'a' must be >= 0 (a non-decreasing map), got {self.a}")
        if self.method == "isotonic":
            xs = np.array(_float_tuple(self.x, "x"))
            ys = np.array(_float_tuple(self.y, "y"))
            if xs.size == 0 or xs.size != ys.size:
                raise ValueError(f"calibration fields 'x' and 'y' must be non-empty and of equal length "
                                 f"({xs.size} and {ys.size})")
            if np.any(np.diff(xs) <= 0):
                raise ValueError("calibration field 'x' must be strictly increasing")
            if np.any(np.diff(ys) < 0):
                raise ValueError("calibration field 'y' must be non-decreasing")
            if np.any(ys < 0) or np.any(ys > 1):
                raise ValueError("calibration field 'y' must lie in [0, 1]")

    def apply(self, p: ArrayLike) -> NDArray[np.float64]:
        """Calibrated PDs of raw probabilities ``p`` (a float gives a one-element array), clipped
        to [EPS, 1 − EPS]. Raises ``ValueError`` for values outside [0, 1] or not finite."""
        arr = _as_probabilities(p)
        if self.method == "platt":
            out = 1.0 / (1.0 + np.exp(-(self.a * _logit(arr) + self.b)))
        elif self.method == "isotonic":
            out = np.interp(arr, np.array(self.x), np.array(self.y))
        else:
            out = arr
        return _clip(np.asarray(out, dtype=np.float64))

    def apply_one(self, p: float) -> float:
        """Calibrated PD of one raw probability."""
        return float(self.apply(p)[0])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (plain floats and lists): only the fields the method uses."""
        if self.method == "platt":
            return {"method": "platt", "a": float(self.a), "b": float(self.b)}
        if self.method == "isotonic":
            return {"method": "isotonic", "x": [float(v) for v in self.x], "y": [float(v) for v in self.y]}
        return {"method": "none"}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Calibration:
        """Inverse of :meth:`to_dict`; ``ValueError`` naming the field when anything is malformed."""
        if not isinstance(d, Mapping):
            raise ValueError(f"a calibration must be a mapping, got {type(d).__name__}")
        if "method" not in d:
            raise ValueError("calibration field 'method' is missing")
        method = d["method"]
        if method not in METHODS:
            raise ValueError(f"calibration field 'method' must be one of {METHODS}, got {method!r}")
        required = {"none": (), "platt": ("a", "b"), "isotonic": ("x", "y")}[method]
        for key in required:
            if key not in d:
                raise ValueError(f"calibration field {key!r} is missing (method {method!r})")
        if method == "platt":
            return cls("platt", a=_finite_float(d["a"], "a"), b=_finite_float(d["b"], "b"))
        if method == "isotonic":
            return cls("isotonic", x=_float_tuple(d["x"], "x"), y=_float_tuple(d["y"], "y"))
        return cls("none")


def fit_calibration(method: Method, y: ArrayLike, p: ArrayLike) -> Calibration:
    """The ``method`` map fitted on outcomes ``y`` (1 = default) and raw probabilities ``p``.

    Platt: unregularised in effect (scikit-learn ``LogisticRegression(C=1e6)``) on logit(p)
    clipped to [EPS, 1 − EPS]. Isotonic: scikit-learn ``IsotonicRegression`` with outputs bounded
    to [EPS, 1 − EPS], clipped outside the fitted range; its thresholds are stored.
    """
    if method not in METHODS:
        raise ValueError(f"unknown calibration method {method!r}, expected one of {METHODS}")
    y_arr, p_arr = as_outcomes(y, p)
    if method == "none":
        return Calibration("none")
    if y_arr.min() == y_arr.max():
        raise ValueError(f"cannot fit a {method} calibration on outcomes of a single class")
    if method == "platt":
        model = LogisticRegression(C=1e6, max_iter=1000)
        model.fit(_logit(p_arr).reshape(-1, 1), y_arr)
        a = float(model.coef_[0, 0])
        if a < 0:
            raise ValueError(f"the score is anti-correlated with default (Platt slope {a:.3f} < 0)")
        return Calibration("platt", a=a, b=float(model.intercept_[0]))
    iso = IsotonicRegression(out_of_bounds="clip", y_min=EPS, y_max=1 - EPS, increasing=True)
    iso.fit(p_arr, y_arr.astype(np.float64))
    xs = np.asarray(iso.X_thresholds_, dtype=np.float64)
    ys = np.asarray(iso.y_thresholds_, dtype=np.float64)
    return Calibration("isotonic", x=tuple(float(v) for v in xs), y=tuple(float(v) for v in ys))


@dataclass(frozen=True, eq=False)
class CalibrationChoice:
    """The outcome of :func:`choose_calibration`.

    ``calibration``: the chosen method fitted on all OOF predictions (the map to serve);
    ``log_loss``: cross-fitted log-loss of every method tried; ``cross_fitted``: the chosen
    method's cross-fitted OOF PDs, in the order of the input (the honest PDs to report and to
    choose the cost threshold on).
    """

    calibration: Calibration
    method: Method
    log_loss: dict[str, float]
    cross_fitted: NDArray[np.float64]


def cross_fit(method: Method, y: ArrayLike, p: ArrayLike, folds: ArrayLike) -> NDArray[np.float64]:
    """PDs of each OOF prediction by the ``method`` map fitted on the *other* folds only."""
    y_arr, p_arr = as_outcomes(y, p)
    fold_arr = np.asarray(folds).ravel()
    if fold_arr.shape != y_arr.shape:
        raise ValueError(f"folds and y differ in length ({fold_arr.size} and {y_arr.size})")
    labels = np.unique(fold_arr)
    if labels.size < 2:
        raise ValueError("cross-fitting needs at least 2 folds")
    out = np.empty_like(p_arr)
    for k in labels:
        test = fold_arr == k
        out[test] = fit_calibration(method, y_arr[~test], p_arr[~test]).apply(p_arr[test])
    return out


def choose_calibration(y: ArrayLike, p_raw: ArrayLike, folds: ArrayLike,
                       methods: Sequence[Method] = METHODS) -> CalibrationChoice:
    """The method with the lowest cross-fitted log-loss, refitted on all OOF predictions.

    ``y``: outcomes, ``p_raw``: OOF model probabilities, ``folds``: the fold of each OOF
    prediction (the CV fold it was predicted in). Ties go to the earlier method in ``methods``
    (by default the simpler one). Log-loss is the criterion because it is the proper scoring rule
    that punishes confident mistakes, which is exactly how an overfitted isotonic map fails.
    """
    if not methods:
        raise ValueError("methods is empty")
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown calibration method {m!r}, expected one of {METHODS}")
    y_arr, p_arr = as_outcomes(y, p_raw)
    losses: dict[str, float] = {}
    fitted: dict[str, NDArray[np.float64]] = {}
    for m in dict.fromkeys(methods):
        fitted[m] = cross_fit(m, y_arr, p_arr, folds)
        losses[m] = log_loss(y_arr, fitted[m])
    best = cast(Method, min(losses, key=lambda m: losses[m]))
    return CalibrationChoice(calibration=fit_calibration(best, y_arr, p_arr), method=best,
                             log_loss=losses, cross_fitted=fitted[best])
