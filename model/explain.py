"""Why a client got its score: SHAP contributions, mapped onto the probability shown.

CatBoost's exact TreeSHAP gives contributions in log-odds that add up to the model's
raw score: ``base + Σ φᵢ = f(x)``. The probability of default shown is the calibrated
``PD = c(σ(f))`` (``c`` fitted on out-of-fold predictions, :mod:`model.calibration`). People
read probabilities, so each contribution is rescaled by the same factor
``(PD(f) − PD(base)) / (f − base)``: the bars keep their sign and relative size and add up
*exactly* to ``PD − PD(base)``, so the waterfall ends at the probability displayed. (When
``f = base`` the factor is the slope of ``PD`` at that point.)
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, EFstrType, Pool

from model.estimator import make_pool

#: Name of the bar that groups the factors left out of the top N.
OTHER = "__other__"


def sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-x))


class ProbabilityMap(Protocol):
    """What an explanation needs of a calibration: the PD of a raw model probability."""

    def apply_one(self, p: float) -> float: ...


def pd_of(log_odds: float, calibration: ProbabilityMap | None) -> float:
    """The probability of default shown for a raw score in log-odds."""
    raw = float(sigmoid(log_odds))
    return raw if calibration is None else float(calibration.apply_one(raw))


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: Any              # the client's feature value (NaN when missing)
    log_odds: float
    probability: float      # share of (p − base probability), in probability points


@dataclass(frozen=True)
class Explanation:
    base_log_odds: float
    raw_score: float
    contributions: tuple[Contribution, ...]    # largest |effect| first
    #: Log-odds of the features not listed (a stored explanation keeps only the largest ones).
    omitted_log_odds: float = 0.0
    n_omitted: int = 0
    #: The calibration that turns the model's raw probability into the PD shown (None: raw).
    calibration: ProbabilityMap | None = None
    #: Log-odds of each concept over *all* features ((code, total), stored at training), so that
    #: concept bars stay exact when only the largest feature contributions are kept.
    concept_log_odds: tuple[tuple[str, float], ...] = ()

    @property
    def base_probability(self) -> float:
        return pd_of(self.base_log_odds, self.calibration)

    @property
    def probability(self) -> float:
        return pd_of(self.raw_score, self.calibration)

    @property
    def scale(self) -> float:
        return probability_scale(self.base_log_odds, self.raw_score, self.calibration)

    def top(self, n: int = 10) -> list[Contribution]:
        """The n largest contributions plus one bar for all others (omitted when empty)."""
        head = list(self.contributions[:n])
        rest = self.contributions[n:]
        if rest or self.n_omitted:
            # The remainder is computed, not summed, so the bars always end at the probability.
            other = (self.raw_score - self.base_log_odds) - sum(c.log_odds for c in head)
            head.append(Contribution(OTHER, len(rest) + self.n_omitted, float(other), float(other * self.scale)))
        return head

    def raising(self, n: int = 3) -> list[Contribution]:
        return [c for c in self.contributions if c.log_odds > 0][:n]

    def lowering(self, n: int = 3) -> list[Contribution]:
        return [c for c in self.contributions if c.log_odds < 0][:n]


def probability_scale(base: float, raw: float, calibration: ProbabilityMap | None = None) -> float:
    """Factor turning log-odds contributions into probability points (see module doc)."""
    if abs(raw - base) < 1e-12:
        if calibration is None:
            s = float(sigmoid(base))
            return s * (1 - s)
        h = 1e-4   # slope of the calibrated PD, numerically (isotonic maps are piecewise linear)
        return (pd_of(base + h, calibration) - pd_of(base - h, calibration)) / (2 * h)
    return (pd_of(raw, calibration) - pd_of(base, calibration)) / (raw - base)


def shap_matrix(model: CatBoostClassifier, X: pd.DataFrame, cat_features: list[str]) -> np.ndarray:
    """Exact TreeSHAP in log-odds: one row per client, last column the base value."""
    return shap_pool(model, make_pool(X, cat_features))


def shap_pool(model: CatBoostClassifier, pool: Pool) -> np.ndarray:
    return np.asarray(model.get_feature_importance(pool, type=EFstrType.ShapValues, thread_count=1))


def explanation_from_shap(row: np.ndarray, features: Sequence[str], values: Sequence[Any],
                          calibration: ProbabilityMap | None = None) -> Explanation:
    """Build an Explanation from one row of :func:`shap_matrix`."""
    phi, base = row[:-1].astype(np.float64), float(row[-1])
    raw = base + float(phi.sum())
    scale = probability_scale(base, raw, calibration)
    order = np.argsort(-np.abs(phi), kind="mergesort")
    contributions = tuple(Contribution(features[i], values[i], float(phi[i]), float(phi[i] * scale))
                          for i in order)
    return Explanation(base, raw, contributions, calibration=calibration)


@dataclass(frozen=True)
class StoredExplanations:
    """The largest positive and negative contributions of many clients, computed in one batch.

    Exact TreeSHAP for one row pays a fixed set-up of ~10 ms in CatBoost; in a batch it
    is shared, so training computes every known client's explanation once and the
    server only looks it up. Keeping the ``keep`` largest contributions of each sign
    is enough to rebuild any top-N (N ≤ keep) by magnitude and the top raising/lowering
    factors exactly; the rest is carried as one remainder.
    """

    base_log_odds: float
    raw_score: np.ndarray          # (n,) float64
    index: np.ndarray              # (n, 2·keep) int16 feature positions, -1 where unused
    value: np.ndarray              # (n, 2·keep) float32 log-odds contributions
    #: Concept codes and every client's per-concept log-odds totals (n, concepts), if stored.
    concept_codes: tuple[str, ...] = ()
    concept_value: np.ndarray | None = None

    @property
    def keep(self) -> int:
        return int(self.index.shape[1]) // 2

    def explanation(self, row: int, features: Sequence[str], values: Callable[[list[int]], list[Any]],
                    calibration: ProbabilityMap | None = None) -> Explanation:
        """Explanation of the client at ``row``; ``values(positions)`` gives its feature values."""
        used = self.index[row] >= 0
        idx = self.index[row][used].astype(np.int64)
        phi = self.value[row][used].astype(np.float64)
        order = np.argsort(-np.abs(phi), kind="mergesort")
        idx, phi = idx[order], phi[order]
        base, raw = self.base_log_odds, float(self.raw_score[row])
        scale = probability_scale(base, raw, calibration)
        vals = values(idx.tolist())
        contributions = tuple(Contribution(features[i], v, float(p), float(p * scale))
                              for i, v, p in zip(idx, vals, phi))
        concepts: tuple[tuple[str, float], ...] = ()
        if self.concept_value is not None:
            concepts = tuple(zip(self.concept_codes, self.concept_value[row].astype(np.float64).tolist(), strict=True))
        return Explanation(base, raw, contributions, float((raw - base) - phi.sum()),
                           n_omitted=len(features) - len(idx), calibration=calibration, concept_log_odds=concepts)

    def save(self, path: str | os.PathLike[str] | IO[bytes]) -> None:
        arrays: dict[str, np.ndarray] = {"base": np.array([self.base_log_odds]), "raw": self.raw_score,
                                         "index": self.index, "value": self.value}
        if self.concept_value is not None:
            arrays.update(concept_codes=np.array(self.concept_codes), concept_value=self.concept_value)
        np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as allow_pickle

    @classmethod
    def load(cls, path: str | os.PathLike[str] | IO[bytes]) -> StoredExplanations:
        with np.load(path) as z:
            if "concept_value" in z.files:
                return cls(float(z["base"][0]), z["raw"], z["index"], z["value"],
                           tuple(str(c) for c in z["concept_codes"]), z["concept_value"])
            return cls(float(z["base"][0]), z["raw"], z["index"], z["value"])


def store_explanations(model: CatBoostClassifier, X: pd.DataFrame, cat_features: list[str], keep: int = 15,
                       chunk: int = 20_000, thread_count: int = -1,
                       concepts: tuple[Sequence[str], np.ndarray] | None = None) -> StoredExplanations:
    """Batch TreeSHAP of every row of X, keeping the ``keep`` largest contributions of each sign.

    ``concepts``: (codes, features × concepts 0/1 matrix, ``model.concepts.membership``) — every
    client's exact per-concept totals are stored too.
    """
    n, f = X.shape
    keep = min(keep, f)
    index = np.full((n, 2 * keep), -1, dtype=np.int16)
    value = np.zeros((n, 2 * keep), dtype=np.float32)
    raw = np.empty(n)
    base = 0.0
    concept_value = None if concepts is None else np.zeros((n, concepts[1].shape[1]), dtype=np.float32)
    for start in range(0, n, chunk):
        part = X.iloc[start:start + chunk]
        shap = np.asarray(model.get_feature_importance(make_pool(part, cat_features), type=EFstrType.ShapValues,
                                                       thread_count=thread_count))
        phi, base = shap[:, :-1], float(shap[0, -1])
        raw[start:start + len(part)] = shap.sum(axis=1)
        if concept_value is not None and concepts is not None:
            concept_value[start:start + len(part)] = phi @ concepts[1]
        for offset, sign in ((0, 1.0), (keep, -1.0)):
            top = np.argpartition(-sign * phi, keep - 1, axis=1)[:, :keep]
            picked = np.take_along_axis(phi, top, axis=1)
            right_sign = sign * picked > 0
            rows = slice(start, start + len(part))
            index[rows, offset:offset + keep] = np.where(right_sign, top, -1)
            value[rows, offset:offset + keep] = np.where(right_sign, picked, 0.0)
    if concepts is None or concept_value is None:
        return StoredExplanations(base, raw, index, value)
    return StoredExplanations(base, raw, index, value, tuple(concepts[0]), concept_value)


#: Untabled leaves whose SHAP values a process keeps (a vector of the model's features each: ~3.5 KB).
LEAF_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class LeafShap:
    """Exact TreeSHAP of a CatBoost model as a table of per-leaf contributions.

    CatBoost's TreeSHAP costs ~40 µs per tree and row (11-12 ms for 276 trees of depth 6, whatever
    the number of features): the largest part of scoring a new applicant. CatBoost's trees are
    oblivious (every level splits every row on the same condition), so the leaf a row reaches
    fixes every branch it takes, and path-dependent TreeSHAP of one tree, which weighs the
    branches not taken by their training cover, depends on that leaf only. Tabled once per leaf
    at training time (each leaf from one training client who reaches it), a row's exact SHAP
    values are the sum of its leaves' entries. Where a row reaches a leaf no training client
    reached (a few trees of 276 for a new applicant without credit history), that one tree's
    TreeSHAP is computed on the spot.
    """

    n_features: int
    base: float
    #: (trees, leaves) entry number of each leaf, -1 where no training client reached it
    slot: np.ndarray
    #: (entries, k) features each entry's tree splits on (padded with n_features) and their SHAP
    feature: np.ndarray
    value: np.ndarray
    _trees: dict[int, CatBoostClassifier] = field(default_factory=dict, repr=False, compare=False)
    #: (tree, leaf) → that tree's SHAP values for any row reaching that leaf, for the leaves no
    #: training client reached, filled as new applicants reach them (at most :data:`LEAF_CACHE_SIZE`)
    _leaves: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, model: CatBoostClassifier, X: pd.DataFrame, cat_features: list[str]) -> LeafShap:
        leaf_of = np.asarray(model.calc_leaf_indexes(make_pool(X, cat_features)))
        n_trees, n_features = model.tree_count_, X.shape[1]
        base = float(shap_matrix(model, X.iloc[:1], cat_features)[0, -1])
        slot = np.full((n_trees, int(leaf_of.max()) + 1), -1, dtype=np.int32)
        entries: list[tuple[np.ndarray, np.ndarray]] = []
        for t in range(n_trees):
            tree = model.copy()
            tree.shrink(ntree_start=t, ntree_end=t + 1)
            ids, first = np.unique(leaf_of[:, t], return_index=True)
            phi = shap_matrix(tree, X.iloc[first], cat_features)[:, :-1]
            used = np.flatnonzero(np.any(phi != 0, axis=0))
            slot[t, ids] = np.arange(len(entries), len(entries) + len(ids))
            entries.extend((used, phi[j, used]) for j in range(len(ids)))
        k = max((len(used) for used, _ in entries), default=0)
        feature = np.full((len(entries), max(k, 1)), n_features, dtype=np.int32)
        value = np.zeros((len(entries), max(k, 1)))
        for e, (used, phi_e) in enumerate(entries):
            feature[e, :len(used)], value[e, :len(used)] = used, phi_e
        return cls(n_features, base, slot, feature, value)

    def rows(self, model: CatBoostClassifier, X: pd.DataFrame, cat_features: list[str]) -> np.ndarray | None:
        """:func:`shap_matrix` of ``X``: table entries, plus CatBoost's TreeSHAP of the single trees
        where a row reaches a leaf the table lacks (None if the table is not this model's)."""
        pool = make_pool(X, cat_features)
        leaf_of = np.asarray(model.calc_leaf_indexes(pool))
        if leaf_of.shape[1] != self.slot.shape[0] or leaf_of.max(initial=0) >= self.slot.shape[1]:
            return None
        entry = self.slot[np.arange(self.slot.shape[0]), leaf_of]          # (rows, trees)
        out = np.empty((len(X), self.n_features + 1))
        for i, e in enumerate(entry):
            out[i, :-1] = np.bincount(self.feature[np.maximum(e, 0)].ravel(),
                                      weights=(self.value[np.maximum(e, 0)] * (e >= 0)[:, None]).ravel(),
                                      minlength=self.n_features + 1)[:self.n_features]
        for t in np.flatnonzero((entry < 0).any(axis=0)):
            # a leaf no training client reached: that one tree's TreeSHAP, once per leaf (it depends
            # on the leaf only, so one row reaching it gives every such row's values), kept for the
            # next applicant who reaches it: a bagged model of 1,350 trees otherwise spends most of a
            # /predict request here
            missing = np.flatnonzero(entry[:, t] < 0)
            leaves = leaf_of[missing, t]
            for leaf in np.unique(leaves):
                rows_here = missing[leaves == leaf]
                phi = self._leaves.get((int(t), int(leaf)))
                if phi is None:
                    one = pool if len(X) == 1 else pool.slice([int(rows_here[0])])
                    phi = shap_pool(self._single_tree(model, int(t)), one)[0, :-1]
                    if len(self._leaves) < LEAF_CACHE_SIZE:
                        self._leaves[(int(t), int(leaf))] = phi
                out[rows_here, :-1] += phi
        out[:, -1] = self.base
        return out

    def _single_tree(self, model: CatBoostClassifier, t: int) -> CatBoostClassifier:
        """Tree ``t`` of ``model`` alone (cached: a shrunk copy costs ~20 ms, its TreeSHAP ~40 µs)."""
        tree = self._trees.get(t)
        if tree is None:
            tree = model.copy()
            tree.shrink(ntree_start=t, ntree_end=t + 1)
            self._trees[t] = tree
        return tree

    def save(self, path: str | os.PathLike[str] | IO[bytes]) -> None:
        np.savez_compressed(path, n_features=np.array(self.n_features), base=np.array(self.base), slot=self.slot,
                            feature=self.feature, value=self.value)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | IO[bytes]) -> LeafShap:
        with np.load(path, allow_pickle=False) as z:
            return cls(int(z["n_features"]), float(z["base"]), z["slot"], z["feature"], z["value"])


def explain(model: CatBoostClassifier, x: pd.DataFrame, cat_features: list[str],
            calibration: ProbabilityMap | None = None, leaf_shap: LeafShap | None = None) -> Explanation:
    """Explanation of a one-row feature frame (from ``leaf_shap`` when its table covers the row)."""
    if len(x) != 1:
        raise ValueError(f"explain takes one client, got {len(x)} rows")
    row = shap_rows(model, x, cat_features, leaf_shap)[0]
    return explanation_from_shap(row, list(x.columns), list(x.iloc[0].to_numpy()), calibration)


def shap_rows(model: CatBoostClassifier, X: pd.DataFrame, cat_features: list[str],
              leaf_shap: LeafShap | None = None) -> np.ndarray:
    """:func:`shap_matrix` of any number of rows, from ``leaf_shap`` when its table covers them: the
    one source of SHAP rows for :func:`explain` (one client) and for a batch (``model.batch``)."""
    tabled = leaf_shap.rows(model, X, cat_features) if leaf_shap is not None else None
    return tabled if tabled is not None else shap_matrix(model, X, cat_features)


def global_importance(model: CatBoostClassifier, X: pd.DataFrame, cat_features: list[str],
                      top_dependence: int = 15, max_points: int = 500, seed: int = 0) -> dict[str, Any]:
    """Mean |SHAP| per feature over a reference sample, and dependence data for the top features.

    Computed once at training time and stored with the artifact, so the dashboard never
    recomputes it.
    """
    shap = shap_matrix(model, X, cat_features)
    phi = shap[:, :-1]
    mean_abs = np.abs(phi).mean(axis=0)
    order = np.argsort(-mean_abs, kind="mergesort")
    rng = np.random.default_rng(seed)
    points = rng.choice(len(X), size=min(max_points, len(X)), replace=False)
    dependence = {}
    for i in order[:top_dependence]:
        name = X.columns[i]
        col = X[name].iloc[points]
        values = [None if pd.isna(v) else (v if isinstance(v, str) else float(v)) for v in col.astype(object)]
        dependence[name] = {"value": values, "contribution": [float(v) for v in phi[points, i]]}
    return {
        "n_reference": int(len(X)),
        "base_log_odds": float(shap[0, -1]),
        "importance": [{"feature": X.columns[i], "mean_abs_shap": float(mean_abs[i])} for i in order],
        "dependence": dependence,
    }
