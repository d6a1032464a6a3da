"""model.clients.directory: directory bands, filters that really narrow the list, paging, id suggestions."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from model.clients import directory as directory_mod
from model.clients.directory import FilterError, build_directory, filter_clients, page, suggest
from model.decision import DecisionRule


def _population(n: int = 200, seed: int = 0, start: int = 100_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = start + rng.permutation(n)           # unsorted on purpose
    pop = pd.DataFrame({
        "NAME_CONTRACT_TYPE": pd.Categorical(rng.choice(["Cash loans", "Revolving loans"], n)),
        "CODE_GENDER": pd.Categorical(rng.choice(["F", "M"], n), categories=["F", "M", "XNA"]),
        "DAYS_BIRTH": -rng.uniform(20, 70, n) * 365.25,
        "AMT_INCOME_TOTAL": rng.choice([50_000, 120_000, 180_000, 250_000, 400_000], n).astype(float),
        "NAME_FAMILY_STATUS": pd.Categorical(rng.choice(["Married", "Single / not married", "Widow"], n)),
    }, index=pd.Index(ids, name="SK_ID_CURR"))
    pop.iloc[3, pop.columns.get_loc("AMT_INCOME_TOTAL")] = np.nan
    scores = pd.DataFrame({"TARGET": rng.integers(0, 2, n).astype(float), "PROBABILITY": rng.uniform(0, 1, n)},
                          index=pop.index)
    return pop, scores


@pytest.fixture(scope="module")
def data():
    pop, scores = _population()
    return pop, scores, build_directory(pop, scores, DecisionRule(0.4, 0.4, 0.4))


def test_directory_is_sorted_and_bands_match_the_raw_values(data):
    pop, scores, d = data
    assert d.index.is_monotonic_increasing and len(d) == len(pop)
    for cid in d.index[:50]:
        age = abs(pop.loc[cid, "DAYS_BIRTH"]) / 365.25
        lo, _, hi = d.loc[cid, "age_band"].partition("-")
        lo = int(lo.rstrip("+"))
        assert age >= lo and (not hi or age < int(hi))
        assert d.loc[cid, "decision"] == ("refused" if scores.loc[cid, "PROBABILITY"] >= 0.4 else "granted")
    missing_income = pop.index[3]
    assert d.loc[missing_income, "income_band"] == directory_mod.MISSING
    assert d.loc[pop.index[pop["AMT_INCOME_TOTAL"] == 50_000][0], "income_band"] == "<100000"
    assert d.loc[pop.index[pop["AMT_INCOME_TOTAL"] == 400_000][0], "income_band"] == "300000+"


def test_filters_narrow_the_list_to_exactly_the_matching_clients(data):
    pop, scores, d = data
    out = filter_clients(d, {"gender": ["F"], "decision": "refused"})
    expected = set(pop.index[(pop["CODE_GENDER"] == "F") & (scores["PROBABILITY"] >= 0.4)])
    assert set(out.index) == expected and 0 < len(out) < len(d)
    both = filter_clients(d, {"family": ["Married", "Widow"]})
    assert set(both.index) == set(pop.index[pop["NAME_FAMILY_STATUS"].isin(["Married", "Widow"])])
    assert len(filter_clients(d, {"gender": [], "family": None})) == len(d)     # empty = no filter
    assert len(filter_clients(d, {"gender": ["XNA"]})) == 0                     # known level, nobody


def test_unknown_filters_are_rejected_by_name(data):
    d = data[2]
    with pytest.raises(FilterError, match="colour"):
        filter_clients(d, {"colour": ["blue"]})
    with pytest.raises(FilterError, match="Z"):
        filter_clients(d, {"gender": ["Z"]})


def test_paging_covers_every_row_once_and_clamps(data):
    d = data[2]
    seen = []
    first, pages = page(d, 0, 15)
    assert pages == -(-len(d) // 15) and len(first) == 15
    for p in range(pages):
        seen.extend(page(d, p, 15)[0].index)
    assert seen == list(d.index)
    assert list(page(d, 999, 15)[0].index) == list(d.index[(pages - 1) * 15:])
    assert list(page(d, -3, 15)[0].index) == list(first.index)
    empty, n = page(d.iloc[:0], 0, 15)
    assert len(empty) == 0 and n == 1
    with pytest.raises(ValueError):
        page(d, 0, 0)


def test_suggest_returns_only_ids_with_the_prefix():
    ids = [7, 70, 71, 700, 705, 7000, 7123, 8000, 17, 100002, 100003, 700001]
    d = pd.DataFrame({"x": 0}, index=pd.Index(sorted(ids)))
    got = suggest(d, "7", limit=50)
    assert got[0] == 7 and set(got) == {i for i in ids if str(i).startswith("7")}
    assert suggest(d, "70", limit=3) == [70, 700, 705]
    assert suggest(d, " 1000 ", limit=5) == [100002, 100003]
    assert suggest(d, "abc") == [] and suggest(d, "") == [] and suggest(d, "07") == []
    assert suggest(d, "9") == []


def test_filtering_a_large_directory_stays_fast():
    pop, scores = _population(300_000, seed=1)
    t0 = time.perf_counter()
    d = build_directory(pop, scores, DecisionRule(0.4, 0.4, 0.4))
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(5):
        out = filter_clients(d, {"gender": "M", "age_band": ["25-35", "35-45"], "decision": "granted"})
        page(out, 3, 15)
        suggest(d, "1234", 20)
    each = (time.perf_counter() - t0) / 5
    assert build < 5 and each < 0.1, (build, each)
