"""Fairness and calibration functions: known answers on small hand-made arrays."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from model import validation as val
from model.calibration import cross_fit
from model.cost import CostWeights
from model.monitoring import fairness as fair

W = CostWeights(fn=5, fp=2)


def _by_name(rows):
    return {r.group: r for r in rows}


def test_group_rates_refusals_and_cost_known_answer():
    # group a: y 0 0 1 1, refused (>= 0.5): .6 .7 → 1 FP, 1 TP, 1 FN
    # group b: y 0 1 1 1, refused: .9 .8   → 1 FP, 1 TP, 2 FN
    y = [0, 0, 1, 1, 0, 1, 1, 1]
    p = [.1, .6, .7, .2, .9, .8, .1, .2]
    rows = _by_name(fair.metrics_by_group(y, p, ["a"] * 4 + ["b"] * 4, 0.5, W, min_clients=1, min_per_class=1))
    a, b = rows["a"], rows["b"]
    assert (a.n, a.n_defaults, b.n, b.n_defaults) == (4, 2, 4, 3)
    assert a.default_rate == pytest.approx(0.5) and b.default_rate == pytest.approx(0.75)
    assert a.refusal_rate == pytest.approx(0.5) and b.refusal_rate == pytest.approx(0.5)
    assert a.recall == pytest.approx(0.5) and b.recall == pytest.approx(1 / 3)
    assert a.false_refusal_rate == pytest.approx(0.5) and b.false_refusal_rate == pytest.approx(1.0)
    assert a.cost_per_client == pytest.approx((5 * 1 + 2 * 1) / 4)
    assert b.cost_per_client == pytest.approx((5 * 2 + 2 * 1) / 4)
    assert a.mean_probability == pytest.approx(np.mean([.1, .6, .7, .2]))
    assert a.approval_rate == pytest.approx(0.5)


def test_threshold_is_inclusive_like_the_product():
    rows = fair.metrics_by_group([0, 1], [0.5, 0.4], ["g", "g"], 0.5, W, min_clients=1, min_per_class=1)
    assert rows[0].refusal_rate == pytest.approx(0.5)          # 0.5 >= 0.5 is refused
    assert rows[0].false_refusal_rate == pytest.approx(1.0) and rows[0].recall == pytest.approx(0.0)


def test_auc_none_for_single_class_or_small_groups_and_sklearn_otherwise():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(60, int), rng.integers(0, 2, 80), [0, 1, 0]]
    p = rng.random(y.size)
    groups = np.r_[["only_good"] * 60, ["big"] * 80, ["tiny"] * 3]
    rows = _by_name(fair.metrics_by_group(y, p, groups, 0.5, W, min_clients=50, min_per_class=5))
    assert rows["only_good"].auc is None and rows["only_good"].auc_se is None
    assert rows["only_good"].recall is None                     # no defaulter to refuse
    assert rows["tiny"].auc is None                             # both classes, but 3 clients
    big = y[60:140], p[60:140]
    assert rows["big"].auc == pytest.approx(roc_auc_score(*big))
    assert rows["big"].auc_se is not None and 0 < rows["big"].auc_se < 0.2
    # the same small group gets an AUC once the minimum allows it
    small = _by_name(fair.metrics_by_group(y, p, groups, 0.5, W, min_clients=3, min_per_class=1))
    assert small["tiny"].auc == pytest.approx(roc_auc_score([0, 1, 0], p[-3:]))


def test_auc_standard_error_hanley_mcneil_known_value():
    # A = 0.5, 10 + 10: Q1 = Q2 = 1/3 → var = (0.25 + 9/12 + 9/12) / 100
    assert fair.auc_standard_error(0.5, 10, 10) == pytest.approx(math.sqrt(0.0175))
    assert fair.auc_standard_error(0.8, 1000, 1000) < fair.auc_standard_error(0.8, 50, 50)
    with pytest.raises(ValueError):
        fair.auc_standard_error(0.7, 0, 10)


def test_age_band_edges_use_completed_years():
    year = fair.DAYS_PER_YEAR
    ages = [18, 29.999, 30, 39.99, 40, 49.5, 50, 59.999, 60, 85]
    bands = fair.age_bands([-a * year for a in ages] + [np.nan])
    assert list(bands.categories) == ["<30", "30–39", "40–49", "50–59", "60+"]
    assert list(bands[:-1]) == ["<30", "<30", "30–39", "30–39", "40–49", "40–49", "50–59", "50–59", "60+", "60+"]
    assert pd.isna(bands[-1])
    assert fair.age_band_labels((25, 65)) == ["<25", "25–64", "65+"]
    with pytest.raises(ValueError):
        fair.age_band_labels((40, 30))


def test_empty_levels_and_missing_values_are_reported_not_dropped():
    gender = pd.Categorical(["F", "M", "F", None], categories=["F", "M", "XNA"])
    rows = fair.metrics_by_group([0, 1, 1, 0], [.2, .7, .4, .9], gender, 0.5, W)
    assert [r.group for r in rows] == ["F", "M", "XNA", fair.MISSING_GROUP]
    xna = rows[2]
    assert xna.n == 0 and xna.default_rate is None and xna.refusal_rate is None and xna.cost_per_client is None
    assert rows[3].n == 1 and rows[3].refusal_rate == 1.0
    assert sum(r.n for r in rows) == 4
    # age bands with nobody in a band keep the band, with n = 0
    year = fair.DAYS_PER_YEAR
    by_age = fair.metrics_by_group([0, 1], [.1, .9], fair.age_bands([-25 * year, -45 * year]), 0.5, W)
    assert [(r.group, r.n) for r in by_age] == [("<30", 1), ("30–39", 0), ("40–49", 1), ("50–59", 0), ("60+", 0)]


def test_approval_rate_ratio():
    rows = fair.metrics_by_group([0] * 6, [.9, .1, .1, .1, .9, .9], ["a"] * 3 + ["b"] * 3, 0.5, W,
                                 min_clients=1, min_per_class=1)
    # a refuses .9 → approves 2/3; b refuses .9 .9 → approves 1/3
    assert fair.approval_rate_ratio(rows, min_clients=1) == pytest.approx((1 / 3) / (2 / 3))
    assert fair.approval_rate_ratio(rows, min_clients=4) is None           # no group large enough


def test_cross_fitted_calibration_never_uses_a_folds_own_targets():
    rng = np.random.default_rng(5)
    n = 900
    logit_true = rng.normal(-2.0, 1.2, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit_true))).astype(int)
    p = 1 / (1 + np.exp(-(logit_true + 2.5)))                   # same ranking, far too high
    fold = np.arange(n) % 3
    out = cross_fit("platt", y, p, fold)
    assert val.brier(y, out) < val.brier(y, p)
    assert abs(out.mean() - y.mean()) < abs(p.mean() - y.mean())
    flipped = y.copy()
    change = (fold == 0) & (rng.random(n) < 0.3)
    flipped[change] = 1 - flipped[change]                       # change some of fold 0's targets only
    again = cross_fit("platt", flipped, p, fold)
    assert np.allclose(again[fold == 0], out[fold == 0])        # fold 0's map never saw them
    assert not np.allclose(again[fold == 1], out[fold == 1])


def test_length_mismatch_is_refused():
    with pytest.raises(ValueError):
        fair.metrics_by_group([0, 1], [0.1, 0.2], ["a"], 0.5)
    with pytest.raises(ValueError):
        val.brier([0, 1], [0.1])
