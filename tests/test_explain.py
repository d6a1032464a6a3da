"""SHAP explanations: additivity in log-odds, and bars that end at the displayed probability."""
import numpy as np
import pandas as pd
import pytest

from model.estimator import CatBoostParams, make_classifier, make_pool
from model.explain import OTHER, explain, global_importance, probability_scale, shap_matrix, sigmoid


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    n = 600
    X = pd.DataFrame({f"x{i}": rng.normal(size=n).astype(np.float32) for i in range(14)})
    X["kind"] = pd.Categorical(rng.choice(["a", "b", None], n))
    X.loc[rng.random(n) < 0.2, "x3"] = np.nan
    logit = 1.5 * X["x0"] - 1.0 * X["x1"].fillna(0) + (X["kind"] == "a") * 0.8 - 2
    y = (rng.random(n) < sigmoid(logit.to_numpy())).astype(int)
    model = make_classifier(CatBoostParams(iterations=80, depth=4), ["kind"], early_stopping=False)
    model.fit(make_pool(X, ["kind"], y))
    return model, X


def test_additivity_matches_raw_score(fitted):
    model, X = fitted
    shap = shap_matrix(model, X.iloc[:50], ["kind"])
    raw = model.predict(make_pool(X.iloc[:50], ["kind"]), prediction_type="RawFormulaVal")
    np.testing.assert_allclose(shap.sum(axis=1), raw, atol=1e-6)


@pytest.mark.parametrize("i", [0, 7, 123])
def test_bars_sum_to_displayed_probability(fitted, i):
    model, X = fitted
    e = explain(model, X.iloc[[i]], ["kind"])
    shown = model.predict_proba(make_pool(X.iloc[[i]], ["kind"]))[0, 1]
    assert e.probability == pytest.approx(shown, abs=1e-9)
    bars = e.top(5)
    assert len(bars) == 6 and bars[-1].feature == OTHER
    assert sum(b.probability for b in bars) == pytest.approx(e.probability - e.base_probability, abs=1e-9)
    assert sum(c.log_odds for c in e.contributions) == pytest.approx(e.raw_score - e.base_log_odds, abs=1e-9)
    # largest effect first, and the strongest driver is one the data was built from
    mags = [abs(c.log_odds) for c in e.contributions]
    assert mags == sorted(mags, reverse=True)


def test_raising_and_lowering_signs(fitted):
    model, X = fitted
    e = explain(model, X.iloc[[3]], ["kind"])
    assert all(c.log_odds > 0 for c in e.raising())
    assert all(c.log_odds < 0 for c in e.lowering())


def test_scale_at_equal_scores():
    assert probability_scale(0.0, 0.0) == pytest.approx(0.25)
    assert probability_scale(-2.0, 1.0) == pytest.approx((sigmoid(1.0) - sigmoid(-2.0)) / 3)


def test_global_importance_ranks_true_drivers(fitted):
    model, X = fitted
    g = global_importance(model, X, ["kind"], top_dependence=3, max_points=100)
    names = [r["feature"] for r in g["importance"]]
    assert set(names[:2]) == {"x0", "x1"}
    assert set(g["dependence"]) == set(names[:3])
    assert len(g["dependence"]["x0"]["value"]) == 100
    assert len(names) == X.shape[1]


def test_small_and_large_frames_reach_catboost_identically(fitted):
    """One client (object-array route) and a batch (DataFrame route) must score the same."""
    from model.estimator import SMALL_FRAME_ROWS

    model, X = fitted
    batch = model.predict_proba(make_pool(X, ["kind"]))[:, 1]
    assert len(X) > SMALL_FRAME_ROWS
    for i in (0, 5, 42):
        one = model.predict_proba(make_pool(X.iloc[[i]], ["kind"]))[0, 1]
        assert one == batch[i]
