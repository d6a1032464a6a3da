"""Master scale: risk grades "A" (lowest risk), "B", … as bands of calibrated PD.

A bank reports, limits and prices by grade rather than by a raw PD, and a validator checks each
grade: enough clients and defaulters to say anything, observed default rates rising from grade
to grade, and no grade whose PD is underestimated (Jeffreys test).

How the scale is fitted (:func:`fit_master_scale`, on out-of-fold *calibrated* PDs, ideally the
cross-fitted ones of :func:`model.calibration.choose_calibration`):

1. start from ``m`` bands of equal width in log-odds between the 1st and 99th percentiles of the
   PDs (plus one band below and one above): PDs are skewed towards 0, so equal width in log-odds
   (not in PD) gives low-risk clients several grades instead of one;
2. merge adjacent bands until the rules hold: a band with fewer than ``min_clients`` clients or
   ``min_defaults`` defaults is merged with its smaller neighbour; then a band whose observed
   default rate is not strictly above the previous band's is merged with it (pool adjacent
   violators); repeat until neither happens;
3. try ``m`` from the largest wanted number of grades upwards (a finer start leaves more grades
   after merging) and keep, for the largest number of grades in ``n_grades`` reached, the first
   scale found. ``ValueError`` if not even the smallest number can be reached: the data do not
   have enough defaulters, or the PDs do not separate enough, for that many grades.

Bands are closed-open ``[lo, hi)``, the first starting at 0 and the last reaching 1 inclusive, so
every PD has exactly one grade. The per-grade statistics stored are those of the data the scale
was fitted on.
"""
from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from model.validation import as_outcomes

MAX_START_BANDS = 60
"""Finest starting partition tried by :func:`fit_master_scale`."""


def jeffreys_p_value(defaults: int, clients: int, mean_pd: float) -> float:
    """One-sided Jeffreys test of H0 "the grade's PD is not underestimated".

    p = BetaCDF(mean_pd; d + ½, n − d + ½): with the Jeffreys prior, the posterior of the grade's
    true default rate given d defaults among n clients is Beta(d + ½, n − d + ½), and p is its
    probability of lying below the grade's mean PD. A small p-value means the grade had too many
    defaults for its PD (the PD is underestimated). This is the form of the ECB's instructions
    for reporting the validation of IRB models. (Not 1 − CDF: that is large exactly when the PD
    is underestimated, and small when it is overestimated.)
    """
    if clients <= 0:
        raise ValueError(f"clients must be positive, got {clients}")
    if not 0 <= defaults <= clients:
        raise ValueError(f"defaults must lie in [0, clients={clients}], got {defaults}")
    if not (math.isfinite(mean_pd) and 0.0 <= mean_pd <= 1.0):
        raise ValueError(f"mean_pd must lie in [0, 1], got {mean_pd}")
    return float(stats.beta.cdf(mean_pd, defaults + 0.5, clients - defaults + 0.5))


def _labels(n: int) -> tuple[str, ...]:
    if not 1 <= n <= len(string.ascii_uppercase):
        raise ValueError(f"a master scale has 1 to 26 grades, got {n}")
    return tuple(string.ascii_uppercase[:n])


def _field(d: Mapping[str, Any], key: str) -> list[Any]:
    if key not in d:
        raise ValueError(f"master scale field {key!r} is missing")
    value = d[key]
    if not isinstance(value, list | tuple):
        raise ValueError(f"master scale field {key!r} must be a list, got {type(value).__name__}")
    return list(value)


def _numbers(values: Iterable[Any], key: str, integer: bool = False) -> tuple[float, ...]:
    out = []
    for i, v in enumerate(values):
        ok = not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v)
        if not ok or (integer and float(v) != int(v)):
            kind = "an integer" if integer else "a finite number"
            raise ValueError(f"master scale field {key!r}[{i}] must be {kind}, got {v!r}")
        out.append(float(v))
    return tuple(out)


@dataclass(frozen=True)
class MasterScale:
    """Grades ``labels[i]`` = PD band ``[upper[i-1], upper[i])`` (from 0; the last includes 1),
    with the statistics of the data the scale was fitted on. Checked on construction."""

    labels: tuple[str, ...]
    upper: tuple[float, ...]
    clients: tuple[int, ...]
    defaults: tuple[int, ...]
    mean_pd: tuple[float, ...]
    default_rate: tuple[float, ...]
    p_value: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.labels)
        if self.labels != _labels(n):
            raise ValueError(f"master scale field 'labels' must be 'A', 'B', ... in order, got {self.labels}")
        for key in ("upper", "clients", "defaults", "mean_pd", "default_rate", "p_value"):
            if len(getattr(self, key)) != n:
                raise ValueError(f"master scale field {key!r} has {len(getattr(self, key))} entries for {n} grades")
        upper = np.array(_numbers(self.upper, "upper"))
        if np.any(upper <= 0) or upper[-1] != 1.0 or np.any(np.diff(upper) <= 0):
            raise ValueError("master scale field 'upper' must be strictly increasing in (0, 1] and end at 1")
        _numbers(self.clients, "clients", integer=True)
        _numbers(self.defaults, "defaults", integer=True)
        for key in ("mean_pd", "default_rate", "p_value"):
            values = _numbers(getattr(self, key), key)
            if any(not 0.0 <= v <= 1.0 for v in values):
                raise ValueError(f"master scale field {key!r} must lie in [0, 1]")
        for i, (c, d) in enumerate(zip(self.clients, self.defaults)):
            if c <= 0 or not 0 <= d <= c:
                raise ValueError(f"master scale fields 'clients'/'defaults'[{i}]: need 0 <= defaults <= clients "
                                 f"and clients > 0, got {d} of {c}")

    @property
    def lower(self) -> tuple[float, ...]:
        """Lower edge of each band (the first is 0)."""
        return (0.0, *self.upper[:-1])

    def grades_of(self, pd: ArrayLike) -> NDArray[np.str_]:
        """Grade of each PD (``ValueError`` for PDs outside [0, 1] or not finite)."""
        arr = np.atleast_1d(np.asarray(pd, dtype=np.float64))
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr > 1):
            raise ValueError("PDs must be finite and lie in [0, 1]")
        index = np.minimum(np.searchsorted(np.array(self.upper), arr, side="right"), len(self.labels) - 1)
        return np.asarray(np.array(self.labels)[index], dtype=np.str_)

    def grade_of(self, pd: float) -> str:
        """Grade of one PD."""
        return str(self.grades_of(pd)[0])

    def table(self) -> list[dict[str, Any]]:
        """One row per grade, from A: band, clients, defaults, mean PD, default rate, Jeffreys p."""
        return [{"grade": g, "pd_lower": lo, "pd_upper": hi, "clients": c, "defaults": d, "mean_pd": m,
                 "default_rate": r, "jeffreys_p_value": p}
                for g, lo, hi, c, d, m, r, p in zip(self.labels, self.lower, self.upper, self.clients,
                                                    self.defaults, self.mean_pd, self.default_rate, self.p_value)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (plain lists of str, float, int)."""
        return {"labels": list(self.labels), "upper": [float(v) for v in self.upper],
                "clients": [int(v) for v in self.clients], "defaults": [int(v) for v in self.defaults],
                "mean_pd": [float(v) for v in self.mean_pd], "default_rate": [float(v) for v in self.default_rate],
                "p_value": [float(v) for v in self.p_value]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MasterScale:
        """Inverse of :meth:`to_dict`; ``ValueError`` naming the field when anything is malformed."""
        if not isinstance(d, Mapping):
            raise ValueError(f"a master scale must be a mapping, got {type(d).__name__}")
        labels = _field(d, "labels")
        if not all(isinstance(v, str) for v in labels):
            raise ValueError("master scale field 'labels' must be a list of strings")
        return cls(labels=tuple(labels),
                   upper=_numbers(_field(d, "upper"), "upper"),
                   clients=tuple(int(v) for v in _numbers(_field(d, "clients"), "clients", integer=True)),
                   defaults=tuple(int(v) for v in _numbers(_field(d, "defaults"), "defaults", integer=True)),
                   mean_pd=_numbers(_field(d, "mean_pd"), "mean_pd"),
                   default_rate=_numbers(_field(d, "default_rate"), "default_rate"),
                   p_value=_numbers(_field(d, "p_value"), "p_value"))


def jeffreys_rejections(scale: MasterScale, alpha: float = 0.05) -> list[str]:
    """Grades whose PD the Jeffreys test finds underestimated at level ``alpha``, Bonferroni
    corrected (each grade tested at alpha / number of grades, so that a scale of ten correct
    grades is not rejected somewhere one time in two)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")
    level = alpha / len(scale.labels)
    return [g for g, p in zip(scale.labels, scale.p_value) if p < level]


def _merge(edges: list[float], counts: list[int], defaults: list[int], sums: list[float], i: int) -> None:
    """Merge band i with band i + 1 in place (the upper edge of the pair is kept)."""
    del edges[i]
    counts[i] += counts.pop(i + 1)
    defaults[i] += defaults.pop(i + 1)
    sums[i] += sums.pop(i + 1)


def _bands(y: NDArray[np.int64], pd: NDArray[np.float64], n_start: int,
           min_clients: int, min_defaults: int) -> list[float]:
    """Upper edges (last 1.0) after merging ``n_start`` equal log-odds bands under the rules."""
    q = np.clip(pd, 1e-9, 1 - 1e-9)
    logit = np.log(q) - np.log1p(-q)
    lo, hi = np.percentile(logit, [1, 99])
    interior = np.unique(1.0 / (1.0 + np.exp(-np.linspace(lo, hi, max(n_start - 1, 1)))))
    interior = interior[(interior > 0) & (interior < 1)]
    edges = [*map(float, interior), 1.0]
    index = np.minimum(np.searchsorted(interior, pd, side="right"), len(edges) - 1)
    counts = [int(v) for v in np.bincount(index, minlength=len(edges))]
    defaults = [int(v) for v in np.bincount(index, weights=y, minlength=len(edges))]
    sums = [float(v) for v in np.bincount(index, weights=pd, minlength=len(edges))]
    while len(edges) > 1:
        small = [i for i in range(len(edges)) if counts[i] < min_clients or defaults[i] < min_defaults]
        if small:
            i = small[0]
            if i == 0:
                _merge(edges, counts, defaults, sums, 0)
            elif i == len(edges) - 1 or counts[i - 1] <= counts[i + 1]:
                _merge(edges, counts, defaults, sums, i - 1)
            else:
                _merge(edges, counts, defaults, sums, i)
            continue
        rates = [d / c for d, c in zip(defaults, counts)]
        violation = next((i for i in range(1, len(rates)) if rates[i] <= rates[i - 1]), None)
        if violation is None:
            break
        _merge(edges, counts, defaults, sums, violation - 1)
    return edges


def _scale(y: NDArray[np.int64], pd: NDArray[np.float64], edges: Sequence[float]) -> MasterScale:
    labels = _labels(len(edges))
    index = np.minimum(np.searchsorted(np.array(edges), pd, side="right"), len(edges) - 1)
    clients = np.bincount(index, minlength=len(edges))
    defaults = np.bincount(index, weights=y, minlength=len(edges)).round().astype(int)
    mean_pd = np.bincount(index, weights=pd, minlength=len(edges)) / clients
    rate = defaults / clients
    p_values = [jeffreys_p_value(int(d), int(c), float(m)) for d, c, m in zip(defaults, clients, mean_pd)]
    return MasterScale(labels=labels, upper=tuple(float(e) for e in edges),
                       clients=tuple(int(c) for c in clients), defaults=tuple(int(d) for d in defaults),
                       mean_pd=tuple(float(m) for m in mean_pd), default_rate=tuple(float(r) for r in rate),
                       p_value=tuple(p_values))


def fit_master_scale(y: ArrayLike, pd: ArrayLike, n_grades: Sequence[int] = (7, 8, 9, 10),
                     min_clients: int = 100, min_defaults: int = 10) -> MasterScale:
    """The master scale with the most grades in ``n_grades`` meeting the rules (module docstring).

    ``y``: outcomes (1 = default), ``pd``: calibrated out-of-fold PDs. Rules: every grade has at
    least ``min_clients`` clients and ``min_defaults`` defaults (so its default rate and its
    Jeffreys test mean something), and observed default rates strictly increase from A.
    """
    if not n_grades or any(not 1 <= k <= 26 for k in n_grades):
        raise ValueError(f"n_grades must be numbers of grades in 1..26, got {tuple(n_grades)}")
    if min_clients < 1 or min_defaults < 0:
        raise ValueError(f"min_clients must be >= 1 and min_defaults >= 0, got {min_clients} and {min_defaults}")
    y_arr, pd_arr = as_outcomes(y, pd)
    wanted = set(n_grades)
    found: dict[int, list[float]] = {}
    reached = 0
    for n_start in range(max(wanted), MAX_START_BANDS + 1):
        edges = _bands(y_arr, pd_arr, n_start, min_clients, min_defaults)
        reached = max(reached, len(edges))
        if len(edges) in wanted:
            found.setdefault(len(edges), edges)
        if max(wanted) in found:
            break
    if not found:
        raise ValueError(
            f"cannot build a master scale of {min(wanted)} to {max(wanted)} grades: at most {reached} grades have "
            f"{min_clients}+ clients, {min_defaults}+ defaults and strictly increasing default rates "
            f"({y_arr.size} clients, {int(y_arr.sum())} defaults)")
    return _scale(y_arr, pd_arr, found[max(found)])
