"""SHAP explanations: additivity in log-odds, and bars that end at the displayed probability."""
import numpy as np
import pandas as pd
import pytest

from model.estimator import CatBoostParams, make_classifier, make_pool
from model.explain import OTHER, LeafShap, explain, global_importance, probability_scale, shap_matrix, sigmoid


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


def test_stored_explanations_match_live_ones(fitted):
    """A batch-computed, truncated explanation rebuilds the same bars as the live one."""
    from model.explain import store_explanations

    model, X = fitted
    stored = store_explanations(model, X, ["kind"], keep=4, chunk=128)
    assert stored.index.shape == (len(X), 8)
    for i in (0, 11, 300):
        live = explain(model, X.iloc[[i]], ["kind"])
        kept = stored.explanation(i, list(X.columns), lambda idx, i=i: [X.iloc[i, j] for j in idx])
        assert kept.probability == pytest.approx(live.probability, abs=1e-9)
        for n in (1, 3, 4):
            a, b = live.top(n), kept.top(n)
            assert [c.feature for c in a] == [c.feature for c in b]
            assert [c.log_odds for c in a] == pytest.approx([c.log_odds for c in b], abs=1e-5)
            assert sum(c.probability for c in b) == pytest.approx(kept.probability - kept.base_probability, abs=1e-12)
        assert [c.feature for c in kept.raising(3)] == [c.feature for c in live.raising(3)]
        assert [c.feature for c in kept.lowering(3)] == [c.feature for c in live.lowering(3)]
        assert kept.top(4)[-1].value == X.shape[1] - 4     # the "other" bar says how many it groups


def test_stored_explanations_round_trip(tmp_path, fitted):
    from model.explain import StoredExplanations, store_explanations

    model, X = fitted
    stored = store_explanations(model, X.iloc[:50], ["kind"], keep=3)
    stored.save(tmp_path / "e.npz")
    again = StoredExplanations.load(tmp_path / "e.npz")
    np.testing.assert_array_equal(again.index, stored.index)
    np.testing.assert_array_equal(again.raw_score, stored.raw_score)
    assert again.base_log_odds == stored.base_log_odds


def test_leaf_table_gives_catboost_exact_treeshap(fitted, tmp_path):
    """The per-leaf table (new applicants' fast path) equals CatBoost's TreeSHAP, row for row."""
    model, X = fitted
    table = LeafShap.build(model, X.iloc[:400], ["kind"])
    fresh = X.iloc[400:]
    np.testing.assert_allclose(table.rows(model, fresh, ["kind"]), shap_matrix(model, fresh, ["kind"]), atol=1e-9)
    path = tmp_path / "leaf.npz"
    table.save(path)
    np.testing.assert_array_equal(LeafShap.load(path).rows(model, fresh, ["kind"]), table.rows(model, fresh, ["kind"]))
    # the explanation built from the table is the one CatBoost's TreeSHAP gives
    one = fresh.iloc[[0]]
    a, b = explain(model, one, ["kind"], leaf_shap=table), explain(model, one, ["kind"])
    assert a.probability == pytest.approx(b.probability, abs=1e-12)
    assert [c.feature for c in a.contributions[:5]] == [c.feature for c in b.contributions[:5]]


def test_leaves_no_training_client_reached_are_explained_exactly_too(fitted):
    model, X = fitted
    table = LeafShap.build(model, X.iloc[:3], ["kind"])        # three clients reach few leaves
    leaf_of = np.asarray(model.calc_leaf_indexes(make_pool(X.iloc[3:200], ["kind"])))
    assert (table.slot[np.arange(table.slot.shape[0]), leaf_of] < 0).any()   # many untabled leaves
    np.testing.assert_allclose(table.rows(model, X.iloc[3:200], ["kind"]),
                               shap_matrix(model, X.iloc[3:200], ["kind"]), atol=1e-9)
    # the untabled leaves' values are now kept: one applicant at a time, read from them, still exact
    assert table._leaves
    for i in (3, 50, 199):
        np.testing.assert_allclose(table.rows(model, X.iloc[[i]], ["kind"]),
                                   shap_matrix(model, X.iloc[[i]], ["kind"]), atol=1e-9)
