"""Small vectorised draws every table uses: a stored marginal's inverse CDF, category codes at the real
frequencies, negative-binomial row counts, the Gaussian copula, missing blocks, output columns.

Everything is drawn for all rows at once (no per-client Python loop), so the 307,511 clients of
Kaggle's scale are generated in minutes.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import brentq
from scipy.special import ndtr

from data.generate.reference import ColumnStats, Marginals, TableStats
from data.schema import TABLES

MONTH = 30.4375


# ---- small vectorised helpers ------------------------------------------------------------
Floats = npt.NDArray[np.float64]
#: A latent or normal score: float64, or float32 where memory matters (child tables).
Scores = npt.NDArray[np.floating[Any]]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int16]
Mask = npt.NDArray[np.bool_]
#: A column of an output frame: a numpy array, or a pandas Categorical for category columns.
Column = np.ndarray | pd.Categorical


def inverse_cdf(spec: ColumnStats, u: Scores) -> Floats:
    """Map uniforms through the stored real marginal (quantiles, or discrete frequencies)."""
    if "quantiles" in spec:
        q = np.asarray(spec["quantiles"])
        x = np.interp(u, np.linspace(0.0, 1.0, q.size), q)
        rounded: Floats = np.round(x, 0 if spec["kind"] == "int" else spec.get("decimals", 6))
        return rounded
    cum = np.cumsum(spec["probs"])
    idx = np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1)
    return np.asarray(spec["values"], dtype=float)[idx]


def category_codes(spec: ColumnStats, n: int, rng: np.random.Generator, u: Floats | None = None,
                 exclude: tuple[str, ...] = ()) -> Codes:
    """Codes (int16) into spec['levels'] drawn with the real frequencies (minus ``exclude``)."""
    probs = np.array([0.0 if lv in exclude else p for lv, p in zip(spec["levels"], spec["probs"])])
    cum = np.cumsum(probs)
    u = rng.random(n) if u is None else u
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(cum) - 1).astype(np.int16)


def ordinal_levels(spec: ColumnStats, order: Sequence[str], u: Floats) -> Codes:
    """Codes into spec['levels'] with spec's frequencies, ranked by ``u`` in ``order`` (levels of
    ``spec`` missing from ``order`` come last)."""
    levels = list(spec["levels"])
    ranked = [lv for lv in order if lv in levels] + [lv for lv in levels if lv not in order]
    probs = np.array([spec["probs"][levels.index(lv)] for lv in ranked])
    cum = np.cumsum(probs) / probs.sum()
    pos = np.minimum(np.searchsorted(cum, u, side="right"), len(ranked) - 1)
    return np.array([levels.index(lv) for lv in ranked], dtype=np.int16)[pos]


def nb_counts(n: int, mean: float, zero_share: float | None, rng: np.random.Generator,
               scale: Floats | None = None) -> Ints:
    """Negative-binomial counts with the given mean and share of zeros (heavy right tail)."""
    if zero_share is None:
        r = 1.5
    else:
        r = brentq(lambda r: (r / (r + mean)) ** r - zero_share, 1e-3, 1e3)
    mu = mean if scale is None else mean * scale
    return rng.negative_binomial(r, r / (r + mu), size=n).astype(np.int64)


def positions(counts: Ints) -> tuple[Ints, Ints]:
    """For rows repeated ``counts`` times: the parent index of each row and its position in the parent."""
    parent = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    return parent, np.arange(parent.size, dtype=np.int64) - start


def rerank(u: Floats, sel: Mask) -> Floats:
    """Uniforms of the rows in ``sel`` re-ranked among themselves (their marginal becomes exact again)."""
    out = u.copy()
    idx = np.flatnonzero(sel)
    if idx.size:
        order = np.argsort(u[idx], kind="stable")
        ranks = np.empty(idx.size, dtype=np.float64)
        ranks[order] = (np.arange(idx.size) + 0.5) / idx.size
        out[idx] = ranks
    return out


def standardise(x: Scores) -> npt.NDArray[np.float32]:
    """Zero mean, unit variance over the rows (so a latent loading keeps the marginal exact)."""
    if x.size < 2:
        return x.astype(np.float32)
    z: npt.NDArray[np.float32] = ((x - x.mean()) / (x.std() + 1e-9)).astype(np.float32)
    return z


def bisect(f: Callable[[float], float], lo: float, hi: float, target: float, iters: int = 50) -> float:
    """Solve f(x) = target for increasing f."""
    for _ in range(iters):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < target else (lo, mid)
    return (lo + hi) / 2


def copula_uniforms(stats: TableStats, n: int, rng: np.random.Generator,
            loadings: Mapping[str, tuple[float, Scores]] | None = None, chunk: int = 2_000_000) -> dict[str, Floats]:
    """Uniforms (float64) for every copula column: correlated normals, optionally loaded on a latent."""
    cols = stats["copula"]["columns"]
    corr = np.asarray(stats["copula"]["corr"])
    chol = np.linalg.cholesky(corr + 1e-9 * np.eye(len(cols))).astype(np.float32)
    loadings = loadings or {}
    out = {c: np.empty(n, dtype=np.float64) for c in cols}
    for a in range(0, max(n, 1), chunk):
        b = min(n, a + chunk)
        z = rng.standard_normal((b - a, len(cols)), dtype=np.float32) @ chol.T
        for j, c in enumerate(cols):
            zj = z[:, j]
            if c in loadings:
                w, latent = loadings[c]
                zj = np.sqrt(1 - w * w) * zj + w * latent[a:b]
            out[c][a:b] = ndtr(zj)
    return out


def missing_masks(stats: TableStats | Marginals, n: int, rng: np.random.Generator, group_u: dict[int, Floats] | None = None,
                   skip: tuple[str, ...] = ()) -> dict[str, Mask]:
    """Missing masks at the real rates; columns of a missing group share one uniform (nested blocks)."""
    cols = stats["columns"]
    masks: dict[str, Mask] = {}
    for g, group in enumerate(stats["missing_groups"]):
        u = (group_u or {}).get(g)
        u = rng.random(n) if u is None else u
        for c in group:
            if c not in skip:
                masks[c] = u < cols[c]["missing"]
    for c, spec in cols.items():
        if c not in masks and c not in skip and spec["missing"] > 0:
            masks[c] = rng.random(n) < spec["missing"]
    return masks


def cat_frame_column(codes: npt.NDArray[np.integer[Any]], levels: Sequence[str],
                      missing: Mask | None = None) -> pd.Categorical:
    codes16 = codes.astype(np.int16, copy=True)
    if missing is not None:
        codes16[missing] = -1
    # pandas-stubs type the codes as Sequence[int]; pandas takes (and here gets) an int array
    return pd.Categorical.from_codes(cast("Sequence[int]", codes16), categories=pd.Index(list(levels)))


def numeric_column(values: np.ndarray, kind: str, missing: Mask | None = None) -> npt.NDArray[np.int64 | np.float64]:
    if kind == "int":
        return values.astype(np.int64)
    out = values.astype(np.float64)
    if missing is not None:
        out[missing] = np.nan
    return out


def finish(table: str, cols: Mapping[str, Column]) -> pd.DataFrame:
    """Frame with the schema's columns in Kaggle order."""
    return pd.DataFrame({c: cols[c] for c in TABLES[table].column_names}, copy=False)


def month_of(days: Ints) -> Ints:
    return np.floor(days / MONTH).astype(np.int64)
