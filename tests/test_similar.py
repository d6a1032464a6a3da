"""model.clients.similar: neighbours really are nearest, summaries are aggregates only, minimum size enforced."""
from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
import pytest

from model.clients.similar import (
    OTHER_LEVELS,
    OUTCOMES,
    QUANTILES,
    WITHHELD,
    GroupTooSmall,
    SimilarityIndex,
    choose_features,
    protect_bins,
    protect_levels,
)


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
    # edges are the whole population's (some merged away), never set by the group: its outer edges too
    population_edges = index.edges("b").tolist()
    for other in (s, index.group_summary(index.neighbours(int(index.ids[400]), 50), "b")):
        assert set(other.edges) <= set(population_edges)
        assert (other.edges[0], other.edges[-1]) == (population_edges[0], population_edges[-1])
    assert s.default_rate == pytest.approx(s.n_defaulted / (s.n_repaid + s.n_defaulted))


def test_outcome_subgroups_below_the_minimum_get_no_quantiles():
    pop, scores = _data()
    scores.loc[:, "TARGET"] = 0.0
    scores.iloc[:5, 0] = 1.0                                # only 5 defaulted clients
    idx = SimilarityIndex.build(pop, ["a", "b", "c"], scores, min_group_size=20)
    s = idx.group_summary(None, "a")
    assert s.quantiles_by_outcome["repaid"] is not None and s.quantiles_by_outcome["defaulted"] is None
    # the 5 defaulted clients are counted in the group's total, never shown as a colour of their own
    assert s.n_defaulted == 5 and sum(s.counts["defaulted"]) == 0
    assert sum(map(sum, s.counts.values())) == 600 and sum(s.counts[WITHHELD]) >= 5


def test_groups_below_the_minimum_are_refused(index):
    with pytest.raises(GroupTooSmall) as info:
        index.group_summary(index.ids[:19], "a")
    assert info.value.size == 19 and info.value.minimum == 20
    with pytest.raises(GroupTooSmall):
        index.medians(index.ids[:5], ["a"])
    assert index.group_summary(index.ids[:20], "a").size == 20


def _cells(summary):
    return [c for key in (*OUTCOMES, WITHHELD) for c in summary.counts[key]]


@pytest.mark.parametrize("feature", ["a", "b", "c", "kids", "sector"])
def test_no_bin_level_or_colour_counts_fewer_than_the_minimum(index, feature):
    """Issue 25 item 6: a bin of the similar clients' histogram held ONE other client, coloured by
    whether that person repaid. Every count shown is now 0 or at least min_group_size."""
    groups = [None] + [index.neighbours(int(index.ids[i]), k) for i in (3, 77, 250, 599) for k in (20, 35, 100)]
    for ids in groups:
        s = index.group_summary(ids, feature)
        cells = _cells(s)
        assert all(c == 0 or c >= index.min_group_size for c in cells), (feature, cells)
        present = (s.size if ids is None else len(ids)) - s.n_missing
        assert bool(cells) == (present >= index.min_group_size)      # 18 values of 20 clients: no bar at all
        shown = sum(cells)
        # nothing lost but what had to be: at most one category bucket left out, under the minimum
        drawn = present if present >= index.min_group_size else 0
        assert shown == drawn if s.kind == "numeric" else drawn - index.min_group_size < shown <= drawn
        bins = len(s.levels or []) if s.kind == "category" else max(0, len(s.edges) - 1)
        assert all(len(s.counts[k]) == bins for k in (*OUTCOMES, WITHHELD))


def test_small_bins_are_merged_and_small_splits_withheld():
    edges = [0, 1, 2, 3, 4, 5, 6]
    counts = {"repaid": [1, 4, 30, 0, 25, 2], "defaulted": [0, 0, 20, 0, 3, 0], "unknown": [0, 0, 0, 0, 0, 0]}
    kept, got = protect_bins(edges, counts, 20)
    # [0, 3): 1 + 4 + 50 clients, 35 and 20: both told; [3, 6): the empty bin and the last short one
    # join the 28 of [4, 5), whose 3 defaulted clients are not told apart
    assert kept == [0.0, 3.0, 6.0]
    assert got == {"repaid": [35, 0], "defaulted": [20, 0], "unknown": [0, 0], WITHHELD: [0, 30]}
    # a large split keeps its colours; a zero is no group
    kept, got = protect_bins([0, 1, 2], {"repaid": [40, 30], "defaulted": [20, 0], "unknown": [0, 0]}, 20)
    assert kept == [0.0, 1.0, 2.0] and got["repaid"] == [40, 30] and got["defaulted"] == [20, 0]
    assert got[WITHHELD] == [0, 0]
    # fewer than the minimum in all: nothing at all
    assert protect_bins([0, 1, 2], {"repaid": [5, 6], "defaulted": [0, 1], "unknown": [0, 0]}, 20)[0] == []


def test_rare_levels_are_merged_into_other_or_left_out():
    counts = {"repaid": [100, 8, 9, 0], "defaulted": [30, 1, 2, 0], "unknown": [0, 0, 0, 0]}
    levels, got = protect_levels(["x", "y", "z", "w"], counts, 20)
    assert levels == ["x", OTHER_LEVELS] and got["repaid"] == [100, 0] and got[WITHHELD] == [0, 20]
    levels, got = protect_levels(["x", "y"], {"repaid": [100, 8], "defaulted": [30, 1], "unknown": [0, 0]}, 20)
    assert levels == ["x"] and got["repaid"] == [100]       # 9 clients of a rare level: not shown at all


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


def test_the_comparison_figure_draws_no_bar_or_colour_of_fewer_than_the_minimum(dashboard_app, tiny_scorer):
    """The figure built for the Compare screen (callbacks.compare.compare_view), not only the summaries:
    each bar of each outcome, in each panel, stands for 0 or at least min_group_size clients."""
    from app import services_of
    from callbacks.compare import compare_view

    services = services_of(dashboard_app.server)
    idx, minimum, k = services.clients.similar, services.settings.min_group_size, services.settings.similar_group_size
    checked = 0
    for client in (int(c) for c in tiny_scorer.population.index[::300][:8]):
        for feature in services.clients.compare_features[:6]:
            fig, *_ = compare_view(services, client, feature, "fr")
            summaries = {"x": idx.group_summary(None, feature), "x2": idx.group_summary(idx.neighbours(client, k), feature)}
            totals = {axis: sum(map(sum, s.counts.values())) for axis, s in summaries.items()}
            for trace in (tr for tr in fig["data"] if tr["type"] == "bar"):
                for share in trace["y"]:
                    count = round(share * totals[trace.get("xaxis", "x")] / 100)
                    assert count == 0 or count >= minimum, (client, feature, trace["name"], count)
                    checked += 1
    assert checked > 100
