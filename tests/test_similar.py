"""model.clients.similar: neighbours really are nearest, summaries are aggregates only, minimum size enforced."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from model.clients.similar import QUANTILES, GroupTooSmall, SimilarityIndex, choose_features


def _data(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.arange(200_000, 200_000 + n)
    pop = pd.DataFrame({
        "a": rng.normal(0, 1, n), "b": rng.normal(100, 50, n), "c": rng.exponential(3, n),
        "kids": rng.integers(0, 4, n).astype(float),
        "sector": pd.Categorical(rng.choice(["x", "y", "z"], n)),
    }, index=pd.Index(ids, name="SK_ID_CURR")).astype({"a": "float32", "b": "float32", "c": "float32"})
    pop.iloc[::10, 1] = np.nan
    target = rng.integers(0, 2, n).astype(float)
    target[::7] = np.nan                                   # new applicants
    scores = pd.DataFrame({"TARGET": target, "PROBABILITY": rng.uniform(size=n)}, index=pop.index)
    return pop, scores


@pytest.fixture(scope="module")
def index():
    pop, scores = _data()
    return SimilarityIndex.build(pop, ["a", "b", "c"], scores, min_group_size=20, bins=10)


def test_neighbours_are_the_nearest_by_brute_force(index):
    Z = index.matrix.astype(np.float64)
    for client in index.ids[[0, 5, 123, 599]]:
        got = index.neighbours(int(client), 30)
        i = int(np.where(index.ids == client)[0][0])
        d = np.sqrt(((Z - Z[i]) ** 2).sum(axis=1))
        d[i] = np.inf
        cutoff = np.sort(d)[29]
        assert client not in got and len(got) == 30 == len(set(got))
        got_d = d[np.searchsorted(index.ids, got)]
        assert np.all(got_d <= cutoff + 1e-6)
        assert np.all(np.diff(got_d) >= -1e-6)            # nearest first


def test_standardisation_is_robust_and_imputes_the_median(index):
    pop = index.population
    assert np.allclose(index.center, np.nanmedian(pop[["a", "b", "c"]].to_numpy(np.float64), axis=0))
    row_missing_b = int(np.where(pop["b"].isna())[0][0])
    assert index.matrix[row_missing_b, 1] == 0.0            # median after scaling
    assert np.abs(index.matrix).max() <= 5.0


def test_group_summary_has_aggregates_only(index):
    ids = index.neighbours(int(index.ids[10]), 100)
    s = index.group_summary(ids, "b")
    assert s.size == 100 and s.n_repaid + s.n_defaulted + s.n_unknown == 100
    assert s.n_missing == int(index.population.loc[ids, "b"].isna().sum())
    assert sum(sum(v) for v in s.counts.values()) == 100 - s.n_missing
    assert set(s.quantiles) == set(QUANTILES) and 0.0 not in s.quantiles and 1.0 not in s.quantiles
    y = index.population.loc[ids, "b"].dropna()
    assert s.quantiles[0.5] == pytest.approx(float(np.median(y)))
    # no field holds a client id, and edges come from the whole population, not from the group
    def leaves(x):
        if isinstance(x, dict):
            yield from (v for k in x for v in (*leaves(k), *leaves(x[k])))
        elif isinstance(x, (list, tuple)):
            assert len(x) <= index.bins + 1            # bins / quantiles, never one entry per client
            yield from (v for e in x for v in leaves(e))
        else:
            yield x
    values = list(leaves(dataclasses.asdict(s)))
    assert not set(int(i) for i in ids) & {v for v in values if isinstance(v, (int, float)) and v == int(v)}
    assert s.edges == index.group_summary(index.neighbours(int(index.ids[400]), 50), "b").edges
    assert s.default_rate == pytest.approx(s.n_defaulted / (s.n_repaid + s.n_defaulted))


def test_outcome_subgroups_below_the_minimum_get_no_quantiles():
    pop, scores = _data()
    scores.loc[:, "TARGET"] = 0.0
    scores.iloc[:5, 0] = 1.0                                # only 5 defaulted clients
    idx = SimilarityIndex.build(pop, ["a", "b", "c"], scores, min_group_size=20)
    s = idx.group_summary(None, "a")
    assert s.quantiles_by_outcome["repaid"] is not None and s.quantiles_by_outcome["defaulted"] is None
    assert s.n_defaulted == 5 and sum(s.counts["defaulted"]) == 5


def test_groups_below_the_minimum_are_refused(index):
    with pytest.raises(GroupTooSmall) as info:
        index.group_summary(index.ids[:19], "a")
    assert info.value.size == 19 and info.value.minimum == 20
    with pytest.raises(GroupTooSmall):
        index.medians(index.ids[:5], ["a"])
    assert index.group_summary(index.ids[:20], "a").size == 20


def test_category_and_small_count_features(index):
    s = index.group_summary(None, "sector")
    assert s.kind == "category" and s.levels == ["x", "y", "z"]
    assert sum(map(sum, s.counts.values())) == len(index.population)
    k = index.group_summary(None, "kids")                    # 4 distinct values → one bin each
    assert len(k.edges) == 5 and sum(map(sum, k.counts.values())) == len(index.population)


def test_percentile_and_medians(index):
    a = index.population["a"].to_numpy(np.float64)
    v = float(np.sort(a)[150])
    assert index.percentile("a", v) == pytest.approx(100 * 150.5 / len(a))
    assert index.percentile("a", None) is None
    med = index.medians(index.ids[:100], ["a", "b"])
    assert med["a"] == pytest.approx(float(np.median(a[:100])))


def test_choose_features_follows_importance_and_skips_categories():
    pop, _ = _data()
    imp = ["sector", "c", "a"]
    assert choose_features(imp, pop, n=2) == ["c", "a"]


@pytest.mark.slow
def test_builds_and_answers_fast_at_full_scale():
    n = 356_000
    rng = np.random.default_rng(1)
    pop = pd.DataFrame(rng.normal(size=(n, 10)).astype(np.float32), columns=[f"f{i}" for i in range(10)],
                       index=np.arange(100_000, 100_000 + n))
    scores = pd.DataFrame({"TARGET": rng.integers(0, 2, n).astype(float)}, index=pop.index)
    t0 = time.perf_counter()
    idx = SimilarityIndex.build(pop, list(pop.columns), scores)
    build = time.perf_counter() - t0
    times = []
    for client in pop.index[:: n // 20]:
        t0 = time.perf_counter()
        idx.group_summary(idx.neighbours(int(client), 100), "f3")
        times.append(time.perf_counter() - t0)
    assert build < 10 and float(np.median(times)) < 0.05, (build, np.median(times))
