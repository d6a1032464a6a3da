"""Clients similar to a given one, and what such a group looks like — in aggregates only.

The comparison screen is shown to clients during meetings, so nothing here ever returns
another client's row: a group is summarised by counts, quantiles (5th–95th, never the
minimum or maximum), histogram counts over bins fixed on the *whole* population, and a
default rate. Groups (and outcome sub-groups for quantiles) smaller than
``min_group_size`` are refused, and so is every smaller count inside a summary: adjacent bins
(rare categories) are merged until each holds ``min_group_size`` clients, and a bin whose
outcome split would count fewer (say 3 defaulted clients among 25) shows its clients as
"withheld", outcome not told (:func:`protect_bins`). A count of zero is no group: it stays.

Similarity: the main numeric features, standardised with robust statistics (median and
inter-quartile range, clipped at ±5), missing values imputed with the median (0 after
scaling); a scikit-learn ``NearestNeighbors`` k-d tree built once at start-up.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

#: Quantiles reported; 0 and 1 (single extreme clients) are deliberately absent.
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Fallback similarity features when no global importance is known.
BASE_FEATURES: tuple[str, ...] = ("EXT_SOURCE_MEAN", "EXT_SOURCE_2", "EXT_SOURCE_3", "DAYS_BIRTH", "DAYS_EMPLOYED",
                                  "AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "CREDIT_TERM_MONTHS",
                                  "ANNUITY_INCOME_RATIO")
CLIP = 5.0
#: The outcomes a summary counts clients by, and the count of a bin whose outcome split is not told.
OUTCOMES: tuple[str, ...] = ("repaid", "defaulted", "unknown")
WITHHELD = "withheld"
#: The level holding a category's rare levels (each below the minimum group), merged.
OTHER_LEVELS = "__other__"


class GroupTooSmall(ValueError):
    """A group below the minimum size; its content must not be shown."""

    def __init__(self, size: int, minimum: int) -> None:
        super().__init__(f"group of {size} clients is below the minimum of {minimum}")
        self.size, self.minimum = size, minimum


def choose_features(importance_order: Sequence[str], population: pd.DataFrame, n: int = 10) -> list[str]:
    """The ``n`` most important numeric features (global importance order), else BASE_FEATURES."""
    numeric = {c for c in population.columns if pd.api.types.is_numeric_dtype(population[c].dtype)}
    chosen = [f for f in importance_order if f in numeric]
    for f in BASE_FEATURES:
        if len(chosen) >= n:
            break
        if f in numeric and f not in chosen:
            chosen.append(f)
    return chosen[:n]


@dataclass(frozen=True)
class GroupSummary:
    """Aggregates of one feature over a group (or over all clients). No row ever appears here."""

    feature: str
    kind: str                              # "numeric" or "category"
    size: int
    n_repaid: int
    n_defaulted: int
    n_unknown: int                         # new applicants: no outcome yet
    default_rate: float | None             # among clients with a known outcome
    n_missing: int                         # clients without a value for the feature
    quantiles: dict[float, float] | None   # numeric only
    quantiles_by_outcome: dict[str, dict[float, float] | None]   # None when that sub-group is too small
    edges: list[float] | None              # numeric: histogram bin edges (edges of the whole population's
                                           # bins, fewer where small bins were merged)
    counts: dict[str, list[int]]           # "repaid"/"defaulted"/"unknown"/"withheld" → counts per bin or
                                           # level, each 0 or at least the minimum group (protect_bins)
    levels: list[str] | None = None        # category only
    extra: dict[str, Any] = field(default_factory=dict)


def _withhold(counts: dict[str, list[int]], minimum: int) -> dict[str, list[int]]:
    """Per bin: the outcome split if each outcome counts 0 or at least ``minimum`` clients, else the
    bin's clients counted as WITHHELD (the bin's total is shown, not who repaid)."""
    n = len(counts[OUTCOMES[0]]) if counts else 0
    out: dict[str, list[int]] = {k: [0] * n for k in (*OUTCOMES, WITHHELD)}
    for i in range(n):
        cells = [int(counts[k][i]) for k in OUTCOMES]
        if all(c == 0 or c >= minimum for c in cells):
            for k, c in zip(OUTCOMES, cells):
                out[k][i] = c
        else:
            out[WITHHELD][i] = sum(cells)
    return out


def protect_bins(edges: Sequence[float], counts: dict[str, Sequence[int]], minimum: int
                 ) -> tuple[list[float], dict[str, list[int]]]:
    """Histogram bins that never show fewer than ``minimum`` clients, in a bin or in a colour.

    Adjacent bins are merged from the left until each holds ``minimum`` clients; a last bin short of
    it joins the one before (so the first and last bins keep the population's outer edges: nothing
    tells where the group's smallest or largest value lies). Fewer than ``minimum`` clients in all:
    no bin at all. Then each bin's outcome split is kept only where every outcome counts 0 or at
    least ``minimum`` (:func:`_withhold`). Returns the kept edges (a subset of ``edges``) and the counts.
    """
    keys = [k for k in OUTCOMES if k in counts]
    totals = [sum(int(counts[k][i]) for k in keys) for i in range(len(edges) - 1)]
    if sum(totals) < minimum:
        return [], {k: [] for k in (*OUTCOMES, WITHHELD)}
    groups: list[list[int]] = []
    current: list[int] = []
    held = 0
    for i, n in enumerate(totals):
        current.append(i)
        held += n
        if held >= minimum:
            groups.append(current)
            current, held = [], 0
    if current:                                   # the remainder, short of the minimum
        groups[-1].extend(current)
    kept = [float(edges[g[0]]) for g in groups] + [float(edges[groups[-1][-1] + 1])]
    merged = {k: [sum(int(counts[k][i]) for i in g) for g in groups] for k in OUTCOMES if k in counts}
    merged.update({k: [0] * len(groups) for k in OUTCOMES if k not in merged})
    return kept, _withhold(merged, minimum)


def protect_levels(levels: Sequence[str], counts: dict[str, Sequence[int]], minimum: int
                   ) -> tuple[list[str], dict[str, list[int]]]:
    """Category levels that never show fewer than ``minimum`` clients: the rarer levels merged into
    one OTHER_LEVELS level, itself left out when it is still below the minimum; then each level's
    outcome split as in :func:`protect_bins`. Empty levels are dropped (nothing to draw)."""
    keys = [k for k in OUTCOMES if k in counts]
    totals = [sum(int(counts[k][i]) for k in keys) for i in range(len(levels))]
    kept = [i for i, n in enumerate(totals) if n >= minimum]
    rare = [i for i, n in enumerate(totals) if 0 < n < minimum]
    names = [str(levels[i]) for i in kept]
    merged = {k: [int(counts[k][i]) for i in kept] for k in keys}
    if sum(totals[i] for i in rare) >= minimum:
        names.append(OTHER_LEVELS)
        for k in keys:
            merged[k].append(sum(int(counts[k][i]) for i in rare))
    merged.update({k: [0] * len(names) for k in OUTCOMES if k not in merged})
    return names, _withhold(merged, minimum)


class SimilarityIndex:
    """Nearest neighbours over standardised features + aggregates of any population feature."""

    def __init__(self, population: pd.DataFrame, features: list[str], outcome: np.ndarray, ids: np.ndarray,
                 center: np.ndarray, scale: np.ndarray, matrix: np.ndarray, nn: NearestNeighbors,
                 min_group_size: int, bins: int) -> None:
        self.population = population
        self.features = features
        self.outcome = outcome            # float: 0 repaid, 1 defaulted, NaN unknown (aligned on population)
        self.ids = ids
        self.center, self.scale = center, scale
        self.matrix = matrix
        self.nn = nn
        self.min_group_size = min_group_size
        self.bins = bins
        self._positions = pd.Index(ids)
        self._edges: dict[str, np.ndarray] = {}
        self._sorted: dict[str, np.ndarray] = {}

    # -- construction -------------------------------------------------------------------
    @classmethod
    def build(cls, population: pd.DataFrame, features: Sequence[str], scores: pd.DataFrame | None = None,
              min_group_size: int = 20, bins: int = 20) -> SimilarityIndex:
        features = list(features)
        if not features:
            raise ValueError("no similarity features")
        X = population[features].to_numpy(np.float64, na_value=np.nan)
        with np.errstate(all="ignore"):
            center = np.nanmedian(X, axis=0)
            q1, q3 = np.nanpercentile(X, [25, 75], axis=0)
            scale = q3 - q1
            std = np.nanstd(X, axis=0)
        center = np.where(np.isnan(center), 0.0, center)
        scale = np.where(~(scale > 0), std, scale)
        scale = np.where(~(scale > 0), 1.0, scale)
        Z = np.clip((X - center) / scale, -CLIP, CLIP)
        Z = np.where(np.isnan(Z), 0.0, Z).astype(np.float32)
        nn = NearestNeighbors(algorithm="kd_tree", leaf_size=40).fit(Z)
        if scores is not None and "TARGET" in scores:
            outcome = scores["TARGET"].reindex(population.index).to_numpy(np.float64)
        else:
            outcome = np.full(len(population), np.nan)
        return cls(population, features, outcome, population.index.to_numpy(), center, scale, Z, nn,
                   min_group_size, bins)

    # -- neighbours -----------------------------------------------------------------------
    def knows(self, client_id: int) -> bool:
        return client_id in self._positions

    def vector(self, row: pd.DataFrame | pd.Series) -> np.ndarray:
        """Standardised vector of one feature row (for clients not in the population)."""
        values = (row.iloc[0] if isinstance(row, pd.DataFrame) else row)[self.features]
        x = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
        z = np.clip((x - self.center) / self.scale, -CLIP, CLIP)
        return np.where(np.isnan(z), 0.0, z).astype(np.float32)

    def neighbours(self, client_id: int, k: int) -> np.ndarray:
        """Ids of the ``k`` clients nearest to ``client_id`` (the client itself excluded), nearest first."""
        try:
            loc = self._positions.get_loc(client_id)
        except KeyError:
            raise KeyError(f"unknown client {client_id}") from None
        if not isinstance(loc, int):    # ids are unique: anything else is a corrupt population
            raise KeyError(f"client {client_id} is not unique in the population")
        i = loc
        k = min(int(k), len(self.ids) - 1)
        _, idx = self.nn.kneighbors(self.matrix[i:i + 1], n_neighbors=k + 1)
        idx = [j for j in idx[0] if j != i][:k]
        return self.ids[np.asarray(idx, dtype=np.int64)]

    def neighbours_of_vector(self, z: np.ndarray, k: int) -> np.ndarray:
        _, idx = self.nn.kneighbors(np.asarray(z, np.float32).reshape(1, -1), n_neighbors=min(k, len(self.ids)))
        found: np.ndarray = self.ids[idx[0]]
        return found

    # -- aggregates -------------------------------------------------------------------------
    def _positions_of(self, ids: Sequence[int] | None) -> np.ndarray | None:
        if ids is None:
            return None
        pos = self._positions.get_indexer(pd.Index(np.asarray(ids)))
        if (pos < 0).any():
            raise KeyError(f"{int((pos < 0).sum())} unknown client id(s) in the group")
        return np.unique(pos)

    def edges(self, feature: str) -> np.ndarray:
        """Histogram bin edges of a numeric feature, fixed on the 1st–99th percentiles of all clients."""
        if feature not in self._edges:
            x = self.population[feature].to_numpy(np.float64, na_value=np.nan)
            x = x[~np.isnan(x)]
            if len(x) == 0:
                e = np.array([0.0, 1.0])
            else:
                lo, hi = np.percentile(x, [1, 99])
                if hi <= lo:
                    lo, hi = lo - 0.5, hi + 0.5
                uniq = np.unique(x)
                if len(uniq) <= self.bins:       # few distinct values (counts, flags): one bin per value
                    mids = (uniq[1:] + uniq[:-1]) / 2
                    e = np.concatenate([[uniq[0] - 0.5], mids, [uniq[-1] + 0.5]])
                else:
                    e = np.linspace(lo, hi, self.bins + 1)
            self._edges[feature] = e
        return self._edges[feature]

    def group_summary(self, ids: Sequence[int] | None, feature: str) -> GroupSummary:
        """Aggregates of ``feature`` over the clients ``ids`` (None: all clients).

        Raises :class:`GroupTooSmall` below ``min_group_size``. Values outside the
        population's 1st–99th percentiles fall into the end bins, so no bin edge is set by
        one client; no bin, level or outcome count below ``min_group_size`` is returned
        (:func:`protect_bins`, :func:`protect_levels`).
        """
        pos = self._positions_of(ids)
        col = self.population[feature]
        size = len(col) if pos is None else len(pos)
        if size < self.min_group_size:
            raise GroupTooSmall(size, self.min_group_size)
        y = self.outcome if pos is None else self.outcome[pos]
        groups = {"repaid": y == 0, "defaulted": y == 1, "unknown": np.isnan(y)}
        n_rep, n_def = int(groups["repaid"].sum()), int(groups["defaulted"].sum())
        known = n_rep + n_def
        rate = n_def / known if known >= self.min_group_size else None
        is_category = isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col.dtype)
        if is_category:
            values = col if pos is None else col.iloc[pos]
            cats = pd.Categorical(values.astype(object).where(values.notna(), np.nan))
            levels = [str(c) for c in cats.categories]
            codes = cats.codes
            counts = {g: np.bincount(codes[m][codes[m] >= 0], minlength=len(levels)).tolist()
                      for g, m in groups.items()}
            levels, counts = protect_levels(levels, counts, self.min_group_size)
            return GroupSummary(feature, "category", size, n_rep, n_def, int(groups["unknown"].sum()), rate,
                                int((codes < 0).sum()), None, {g: None for g in groups}, None, counts, levels)
        x = col.to_numpy(np.float64, na_value=np.nan)
        if pos is not None:
            x = x[pos]
        present = ~np.isnan(x)
        e = self.edges(feature)
        clipped = np.clip(x, e[0], e[-1])

        def quantiles(mask: np.ndarray) -> dict[float, float] | None:
            v = x[mask & present]
            if len(v) < self.min_group_size:
                return None
            return dict(zip(QUANTILES, np.quantile(v, QUANTILES).tolist()))

        counts = {g: np.histogram(clipped[m & present], bins=e)[0].tolist() for g, m in groups.items()}
        kept, counts = protect_bins(e.tolist(), counts, self.min_group_size)
        return GroupSummary(feature, "numeric", size, n_rep, n_def, int(groups["unknown"].sum()), rate,
                            int((~present).sum()), quantiles(np.ones_like(present)),
                            {g: quantiles(m) for g, m in groups.items() if g != "unknown"}, kept, counts)

    def medians(self, ids: Sequence[int] | None, features: Sequence[str]) -> dict[str, float | None]:
        """Group medians of numeric features (None where the group has too few values)."""
        pos = self._positions_of(ids)
        size = len(self.population) if pos is None else len(pos)
        if size < self.min_group_size:
            raise GroupTooSmall(size, self.min_group_size)
        out: dict[str, float | None] = {}
        for f in features:
            x = self.population[f].to_numpy(np.float64, na_value=np.nan)
            if pos is not None:
                x = x[pos]
            x = x[~np.isnan(x)]
            out[f] = float(np.median(x)) if len(x) >= self.min_group_size else None
        return out

    def percentile(self, feature: str, value: float | None) -> float | None:
        """Share (0–100) of all clients with a lower value of ``feature`` (ties count half)."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if feature not in self._sorted:
            x = self.population[feature].to_numpy(np.float64, na_value=np.nan)
            self._sorted[feature] = np.sort(x[~np.isnan(x)])
        s = self._sorted[feature]
        if len(s) == 0:
            return None
        lo, hi = np.searchsorted(s, value, "left"), np.searchsorted(s, value, "right")
        return float(100.0 * (lo + hi) / 2 / len(s))
