"""model.decision: the one refusal rule, and everything that shows a decision agrees with it."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from model.artifact import ArtifactError
from model.clients.directory import build_directory
from model.decision import DECISIONS, GRANTED, REFUSED, decide, decide_all, refused
from model.importance import FeatureImportance, parse_importance, read_importance


def test_refused_at_or_above_the_threshold_and_monotone():
    p = np.array([0.0, 0.2, 0.3, 0.30000001, 0.9, 1.0])
    assert refused(p, 0.3).tolist() == [False, False, True, True, True, True]
    assert [decide(float(x), 0.3) for x in p] == decide_all(p, 0.3).tolist()
    grid = np.linspace(0, 1, 101)
    flips = np.diff(refused(grid, 0.42).astype(int))
    assert (flips >= 0).all() and flips.sum() == 1          # once refused, a higher PD stays refused
    assert DECISIONS == (GRANTED, REFUSED)


def test_client_directory_decides_with_the_same_rule():
    pop = pd.DataFrame({"NAME_CONTRACT_TYPE": "Cash loans", "CODE_GENDER": "F", "DAYS_BIRTH": -12000,
                        "AMT_INCOME_TOTAL": 1e5, "NAME_FAMILY_STATUS": "Married"}, index=range(1, 8))
    prob = np.array([0.1, 0.29, 0.3, 0.31, 0.5, 0.05, 0.3])
    d = build_directory(pop, pd.DataFrame({"PROBABILITY": prob}, index=pop.index), 0.3)
    assert d["decision"].astype(str).tolist() == decide_all(prob, 0.3).tolist()


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
