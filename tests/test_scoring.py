"""The Scorer: known clients, stored vs live explanations, unknown clients."""
import numpy as np
import pytest

from model.decision import DECISIONS
from model.explain import store_explanations
from model.scoring import Scorer, UnknownClient


@pytest.fixture(scope="module")
def scorers(tiny_scorer):
    s = tiny_scorer
    stored = store_explanations(s.model, s.population[s.features], s.cat_features, keep=12)
    return Scorer(s.artifact, s.population, s.scores, s.importance, None), \
        Scorer(s.artifact, s.population, s.scores, s.importance, stored)


def test_probability_is_the_models_and_decision_follows_threshold(scorers):
    live, _ = scorers
    ids = live.population.index[:40]
    for i in ids:
        score = live.score_client(int(i))
        assert score.probability == pytest.approx(float(live.scores.loc[i, "PROBABILITY"]), abs=1e-6)
        assert score.decision == live.rule.decide(score.probability)
        assert score.grade == live.master_scale.grade_of(score.probability)
        assert score.margin == pytest.approx(score.probability - live.threshold)


def test_stored_and_live_explanations_agree(scorers):
    live, stored = scorers
    for i in live.population.index[::400]:
        a, b = live.score_client(int(i)), stored.score_client(int(i))
        assert a.probability == pytest.approx(b.probability, abs=1e-9)
        assert [c.feature for c in a.explanation.top(10)] == [c.feature for c in b.explanation.top(10)]
        va = [c.value for c in a.explanation.top(10)[:-1]]
        vb = [c.value for c in b.explanation.top(10)[:-1]]
        assert [str(v) for v in va] == [str(v) for v in vb]
        assert a.to_dict(10)["top_factors"][0]["feature"] == b.to_dict(10)["top_factors"][0]["feature"]


def test_unknown_client(scorers):
    live, stored = scorers
    for s in scorers:
        with pytest.raises(UnknownClient):
            s.score_client(-5)
        assert not s.knows(-5)


def test_to_dict_is_strict_json(scorers):
    import json

    live, _ = scorers
    d = live.score_client(int(live.population.index[0])).to_dict(10)
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["decision"] in DECISIONS


def test_typical_values_cover_every_feature(scorers):
    live, _ = scorers
    typical = live.typical
    assert set(typical) == set(live.features)
    assert np.isfinite(typical["AMT_INCOME_TOTAL"])


def test_feature_values_are_the_clients_row_as_json(scorers):
    import json

    from model.json_values import json_value

    live, _ = scorers
    for i in live.population.index[::500]:
        fast = live.feature_values(int(i))
        slow = {k: json_value(v) for k, v in live.features_of(int(i)).iloc[0].items() if k in live.features}
        assert fast == slow and list(fast) == live.features
        json.dumps(fast, allow_nan=False)
    with pytest.raises(UnknownClient):
        live.feature_values(-5)


def test_new_applicants_are_explained_from_the_leaf_table(tiny_scorer):
    """Training stores the per-leaf TreeSHAP table; a new row's explanation from it equals
    CatBoost's own TreeSHAP (the score and every contribution)."""
    from model.explain import explain

    s = tiny_scorer
    assert s.leaf_shap is not None
    for i in (3, 50, 300):
        x = s.population.iloc[[i]][s.features]
        tabled, live = s.score_features(x), explain(s.model, x, s.cat_features, s.calibration)
        assert tabled.probability == pytest.approx(live.probability, abs=1e-12)
        assert [round(c.log_odds, 9) for c in tabled.explanation.contributions[:8]] == \
            [round(c.log_odds, 9) for c in live.contributions[:8]]
