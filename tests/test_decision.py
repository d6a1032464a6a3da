"""model.decision: the one refusal rule, and everything that shows a decision agrees with it."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from model.artifact import ArtifactError
from model.clients.directory import build_directory
from model.decision import DECISIONS, GRANTED, REFER, REFUSED, DecisionRule, refused
from model.importance import FeatureImportance, parse_importance, read_importance


def test_refused_at_or_above_the_threshold_and_monotone():
    p = np.array([0.0, 0.2, 0.3, 0.30000001, 0.9, 1.0])
    assert refused(p, 0.3).tolist() == [False, False, True, True, True, True]
    grid = np.linspace(0, 1, 101)
    flips = np.diff(refused(grid, 0.42).astype(int))
    assert (flips >= 0).all() and flips.sum() == 1          # once refused, a higher PD stays refused
    assert DECISIONS == (GRANTED, REFER, REFUSED)


def test_referral_band_sits_where_granting_and_refusing_cost_about_the_same():
    rule = DecisionRule.around(1 / 11, 0.25)                 # costs 10:1 → threshold 1/11
    assert rule.refer_low < rule.threshold < rule.refer_high
    for edge in (rule.refer_low, rule.refer_high):           # at each edge the cost gap is exactly 25 %
        grant, refuse = 10 * edge, 1 - edge
        assert abs(grant - refuse) / max(grant, refuse) == pytest.approx(0.25)
    assert rule.refer_low == pytest.approx(0.0698, abs=1e-4) and rule.refer_high == pytest.approx(0.1176, abs=1e-4)
    assert DecisionRule.around(0.2, 0.0) == DecisionRule(0.2, 0.2, 0.2)      # share 0: no band
    wider = DecisionRule.around(1 / 11, 0.5)
    assert wider.refer_low < rule.refer_low and wider.refer_high > rule.refer_high


def test_decision_is_monotone_in_the_pd_and_the_same_one_by_one_or_in_bulk():
    rule = DecisionRule(0.1, 0.07, 0.12)
    grid = np.linspace(0, 1, 2001)
    bulk = rule.decide_all(grid).tolist()
    assert bulk == [rule.decide(float(x)) for x in grid]
    rank = [DECISIONS.index(d) for d in bulk]
    assert rank == sorted(rank) and set(bulk) == set(DECISIONS)
    assert rule.decide(0.0699) == GRANTED and rule.decide(0.07) == REFER and rule.decide(0.12) == REFUSED
    plain = DecisionRule(0.1, 0.1, 0.1)
    assert plain.decide(0.0999) == GRANTED and plain.decide(0.1) == REFUSED
    assert (plain.decide_all(grid) == np.where(refused(grid, 0.1), REFUSED, GRANTED)).all()


def test_decision_rule_round_trips_and_refuses_nonsense():
    rule = DecisionRule.around(0.09, 0.25)
    assert DecisionRule.from_dict(rule.to_dict()) == rule
    with pytest.raises(ValueError, match="refer_low"):
        DecisionRule(0.1, 0.2, 0.3)
    with pytest.raises(ValueError, match="decision_rule.refer_high"):
        DecisionRule.from_dict({"threshold": 0.1, "refer_low": 0.05, "refer_high": "x"})
    with pytest.raises(ValueError, match="share"):
        DecisionRule.around(0.1, 1.0)


def test_client_directory_decides_with_the_same_rule():
    pop = pd.DataFrame({"NAME_CONTRACT_TYPE": "Cash loans", "CODE_GENDER": "F", "DAYS_BIRTH": -12000,
                        "AMT_INCOME_TOTAL": 1e5, "NAME_FAMILY_STATUS": "Married"}, index=range(1, 8))
    prob = np.array([0.1, 0.29, 0.3, 0.31, 0.5, 0.05, 0.3])
    d = build_directory(pop, pd.DataFrame({"PROBABILITY": prob}, index=pop.index), DecisionRule(0.3, 0.3, 0.3))
    assert d["decision"].astype(str).tolist() == DecisionRule(0.3, 0.3, 0.3).decide_all(prob).tolist()
    # written by hand: refused at or above 0.3, no referral band
    assert d["decision"].astype(str).tolist() == [GRANTED, GRANTED, REFUSED, REFUSED, REFUSED, GRANTED, REFUSED]
    # with a referral band [0.29, 0.31): referred inside it, refused from its upper edge
    banded = build_directory(pop, pd.DataFrame({"PROBABILITY": prob}, index=pop.index), DecisionRule(0.3, 0.29, 0.31))
    assert banded["decision"].astype(str).tolist() == [GRANTED, REFER, REFER, REFUSED, REFUSED, GRANTED, REFER]


def test_importance_is_read_sorted_and_a_malformed_file_names_itself(tmp_path):
    path = tmp_path / "global_importance.json"
    assert read_importance(path) == []                       # no file: no importance known
    path.write_text(json.dumps({"importance": [{"feature": "a", "mean_abs_shap": 0.1},
                                               {"feature": "b", "mean_abs_shap": 0.3}]}))
    assert read_importance(path) == [FeatureImportance("b", 0.3), FeatureImportance("a", 0.1)]
    for bad in ("{", json.dumps({"importance": [{"feature": "a"}]}), json.dumps([1, 2]),
                json.dumps({"importance": [{"feature": "a", "mean_abs_shap": -1}]})):
        path.write_text(bad)
        with pytest.raises(ArtifactError, match="global_importance.json"):
            read_importance(path)
    with pytest.raises(ArtifactError, match=r"importance\[0\]"):
        parse_importance({"importance": [{"feature": "a", "mean_abs_shap": "x"}]}, "f.json")
