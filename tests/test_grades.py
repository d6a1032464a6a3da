"""Master scale: bands, rules, Jeffreys test, serialisation; generated data with known PDs."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from model.grades import MasterScale, fit_master_scale, jeffreys_p_value, jeffreys_rejections


def _population(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pd = 1.0 / (1.0 + np.exp(-rng.normal(-2.9, 1.0, n)))
    return (rng.random(n) < pd).astype(int), pd


@pytest.fixture(scope="module")
def fitted() -> tuple[np.ndarray, np.ndarray, MasterScale]:
    y, pd = _population(20_000, seed=1)
    return y, pd, fit_master_scale(y, pd, min_clients=100, min_defaults=10)


def test_scale_follows_the_rules(fitted: tuple[np.ndarray, np.ndarray, MasterScale]) -> None:
    y, pd, scale = fitted
    n = len(scale.labels)
    assert 7 <= n <= 10
    assert scale.labels == tuple("ABCDEFGHIJ"[:n])
    assert scale.lower[0] == 0.0 and scale.upper[-1] == 1.0
    assert all(a < b for a, b in zip(scale.upper, scale.upper[1:]))
    assert scale.lower[1:] == scale.upper[:-1]
    assert all(a < b for a, b in zip(scale.default_rate, scale.default_rate[1:]))
    assert all(a < b for a, b in zip(scale.mean_pd, scale.mean_pd[1:]))
    assert min(scale.clients) >= 100 and min(scale.defaults) >= 10
    assert sum(scale.clients) == y.size and sum(scale.defaults) == y.sum()
    # the stored statistics are those of the grades assigned by grades_of
    grades = scale.grades_of(pd)
    for row in scale.table():
        member = grades == row["grade"]
        assert member.sum() == row["clients"]
        assert y[member].sum() == row["defaults"]
        assert pd[member].mean() == pytest.approx(row["mean_pd"])
        assert row["pd_lower"] <= pd[member].min() and pd[member].max() < row["pd_upper"]


def test_the_most_grades_are_preferred(fitted: tuple[np.ndarray, np.ndarray, MasterScale]) -> None:
    y, pd, scale = fitted
    assert len(scale.labels) == 10  # 20,000 clients and 1,500 defaults allow the maximum
    assert len(fit_master_scale(y, pd, n_grades=(7, 8)).labels) == 8


def test_bands_are_closed_open(fitted: tuple[np.ndarray, np.ndarray, MasterScale]) -> None:
    _, _, scale = fitted
    assert scale.grade_of(0.0) == "A"
    assert scale.grade_of(1.0) == scale.labels[-1]
    edge = scale.upper[0]
    assert scale.grade_of(edge) == "B"
    assert scale.grade_of(np.nextafter(edge, 0)) == "A"
    assert scale.grades_of([0.0, edge, 1.0]).tolist() == ["A", "B", scale.labels[-1]]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        scale.grade_of(1.5)
    with pytest.raises(ValueError):
        scale.grades_of([float("nan")])


def test_jeffreys_accepts_true_pds_and_rejects_halved_ones(fitted: tuple[np.ndarray, np.ndarray, MasterScale]) -> None:
    y, pd, scale = fitted
    assert jeffreys_rejections(scale) == []
    halved = fit_master_scale(y, pd * 0.5)
    rejected = jeffreys_rejections(halved)
    assert len(rejected) >= len(halved.labels) - 1  # the lowest grade may hold too few defaults to tell
    # doubled PDs are overestimated, not underestimated: the one-sided test does not reject
    assert jeffreys_rejections(fit_master_scale(y, np.minimum(pd * 2, 1.0))) == []


def test_jeffreys_p_value() -> None:
    # observed 20 defaults of 100 against a PD of 10 %: underestimated, small p
    assert jeffreys_p_value(20, 100, 0.10) < 0.01
    # observed 5 of 100 against 10 %: overestimated, p near 1
    assert jeffreys_p_value(5, 100, 0.10) > 0.9
    assert jeffreys_p_value(10, 100, 0.10) == pytest.approx(0.5, abs=0.05)
    assert jeffreys_p_value(20, 100, 0.10) == pytest.approx(stats.beta.cdf(0.10, 20.5, 80.5))
    for bad in [(5, 0, 0.1), (6, 5, 0.1), (-1, 5, 0.1), (1, 5, 1.5)]:
        with pytest.raises(ValueError):
            jeffreys_p_value(*bad)


def test_bonferroni_correction() -> None:
    scale = MasterScale(labels=("A", "B"), upper=(0.1, 1.0), clients=(100, 100), defaults=(5, 30),
                        mean_pd=(0.05, 0.3), default_rate=(0.05, 0.3), p_value=(0.03, 0.02))
    assert jeffreys_rejections(scale, alpha=0.05) == ["B"]
    assert jeffreys_rejections(scale, alpha=0.1) == ["A", "B"]


def test_too_few_defaulters_cannot_make_seven_grades() -> None:
    y, pd = _population(2_000, seed=2)
    with pytest.raises(ValueError, match="cannot build a master scale of 7 to 10 grades"):
        fit_master_scale(y, pd, min_clients=100, min_defaults=30)


def test_dict_round_trip_through_json(fitted: tuple[np.ndarray, np.ndarray, MasterScale]) -> None:
    _, pd, scale = fitted
    back = MasterScale.from_dict(json.loads(json.dumps(scale.to_dict())))
    assert back == scale
    np.testing.assert_array_equal(back.grades_of(pd), scale.grades_of(pd))


@pytest.mark.parametrize(("change", "field"), [
    ({"upper": None}, "upper"),
    ({"labels": ["A", "C"]}, "labels"),
    ({"upper": [0.5, 0.4]}, "upper"),
    ({"upper": [0.1, 0.9]}, "upper"),
    ({"upper": [0.1, float("nan")]}, "upper"),
    ({"clients": [100]}, "clients"),
    ({"clients": [100, 10.5]}, "clients"),
    ({"defaults": [5, 300]}, "defaults"),
    ({"mean_pd": [0.05, 1.3]}, "mean_pd"),
    ({"p_value": [0.5, "x"]}, "p_value"),
])
def test_from_dict_refuses_malformed_dicts(change: dict[str, object], field: str) -> None:
    d: dict[str, object] = {"labels": ["A", "B"], "upper": [0.1, 1.0], "clients": [100, 100], "defaults": [5, 30],
                            "mean_pd": [0.05, 0.3], "default_rate": [0.05, 0.3], "p_value": [0.5, 0.5]}
    MasterScale.from_dict(d)
    for key, value in change.items():
        if value is None:
            del d[key]
        else:
            d[key] = value
    with pytest.raises(ValueError, match=f"'{field}"):
        MasterScale.from_dict(d)
