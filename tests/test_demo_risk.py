"""The demo's default risk is learned from real clients (data/risk.py, data/risk_model.json).

What is checked: the shipped model holds aggregates only; its numpy trees are CatBoost's;
applied to the real larger set it gives back the fit it records (AUC, log-loss, mean PD) and a
refit gives back its trees; on a generated demo, default follows the loan's terms as it does on real clients, the
application table predicts default about as well as the real one does, and the test table's
missing rates are the real test table's.

Tolerances (docs/demo-data.md): quick-model AUC of the application table within 0.03 of the real
larger set's; default rate by credit-term and goods-ratio quintile within 1.5 points of the real
one, correlated ≥ 0.7 with it, the extreme quintiles in the same order; test missing rates within
3 points.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from data import risk, risk_fit
from data.generate import iter_tables, reference
from data.schema import TABLES
from tests.helpers import lightgbm_cv_auc

N_TRAIN, N_TEST, SEED = 20_000, 3_000, 11


@pytest.fixture(scope="module")
def real_app(real_large_dir) -> pd.DataFrame:
    return pd.read_csv(real_large_dir / "application_train.csv.gz")


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    tables = iter_tables(N_TRAIN, N_TEST, SEED, categorical=False)
    return {name: df for name, df in tables if name.startswith("application")}


def test_the_shipped_model_holds_aggregates_only():
    model = risk.shipped()
    assert set(model) == {"source", "intercept", "ratios", "inputs", "trees", "fit"}
    real_columns = set(TABLES["application_train"].column_names) | set(risk.RATIOS)
    assert all(name.partition("=")[0] in real_columns for name in model["inputs"])
    n_numbers = 0
    for tree in model["trees"]:
        assert len(tree["splits"]) <= risk_fit.TREE_PARAMS["depth"]
        assert len(tree["leaves"]) == len(tree["clients"]) == 2 ** len(tree["splits"])
        n_numbers += 2 * len(tree["splits"]) + len(tree["leaves"])
        for value, clients in zip(tree["leaves"], tree["clients"]):
            # a leaf value is a regularised mean over many real clients, or nothing
            assert value == 0 or clients >= risk.MIN_LEAF, (value, clients)
    # about 13,000 numbers for 31,980 clients × 126 columns: no room for client rows
    assert n_numbers < 20_000
    text = json.dumps(model)
    assert "SK_ID_CURR" not in text and "TARGET" not in text


def test_the_numpy_trees_are_catboosts(real_sample_dir):
    app = pd.read_csv(real_sample_dir / "application_train.csv")
    names = risk.inputs_of(app)
    x = risk.matrix(app, names)
    clf = risk_fit.classifier(40).fit(x, app["TARGET"])
    exported = risk_fit.export(clf, names, min_leaf=0)
    want = clf.predict(x, prediction_type="RawFormulaVal")
    assert np.abs(risk.logit(exported, app) - want).max() < 1e-5


def test_the_shipped_model_reproduces_its_real_fit(real_app):
    model = risk.shipped()
    y = real_app["TARGET"].to_numpy()
    p = 1 / (1 + np.exp(-risk.logit(model, real_app)))
    fit = model["fit"]
    assert fit["clients"] == len(real_app)
    assert roc_auc_score(y, p) == pytest.approx(fit["auc"], abs=1e-6)
    assert log_loss(y, p) == pytest.approx(fit["log_loss"], abs=1e-6)
    assert p.mean() == pytest.approx(fit["mean_pd"], abs=1e-6)
    assert risk.inputs_of(real_app) == model["inputs"]
    # out of fold, the trees rank real clients as well as the product does (0.75 on this set)
    assert fit["cv"]["auc"] > 0.74


@pytest.mark.slow
def test_a_refit_on_the_real_file_gives_the_shipped_trees(real_app):
    model = risk.shipped()
    refit = risk_fit.fit(real_app, iterations=model["fit"]["trees"])
    assert refit["intercept"] == pytest.approx(model["intercept"], abs=1e-6)
    assert [t["splits"] for t in refit["trees"]] == [t["splits"] for t in model["trees"]]
    assert [t["leaves"] for t in refit["trees"]] == [t["leaves"] for t in model["trees"]]


def _rate_by_quintile(app: pd.DataFrame, ratio: str) -> pd.Series:
    x = risk.risk_frame(app)[ratio]
    ok = x.notna()
    return app.loc[ok, "TARGET"].groupby(pd.qcut(x[ok].rank(method="first"), 5, labels=False)).mean()


@pytest.mark.parametrize("ratio", ["CREDIT_OVER_ANNUITY", "GOODS_OVER_CREDIT"])
def test_default_follows_the_loan_terms_as_on_real_clients(demo, real_app, ratio):
    got, want = _rate_by_quintile(demo["application_train"], ratio), _rate_by_quintile(real_app, ratio)
    shown = (ratio, got.round(4).tolist(), want.round(4).tolist())
    assert np.corrcoef(got.to_numpy(), want.to_numpy())[0, 1] >= 0.7, shown
    assert (got - want).abs().max() <= 0.015, shown
    assert np.sign(got.iloc[-1] - got.iloc[0]) == np.sign(want.iloc[-1] - want.iloc[0]), shown


def _quick_auc(app: pd.DataFrame) -> float:
    return lightgbm_cv_auc(risk.risk_frame(app), app["TARGET"], n_estimators=200, learning_rate=0.05)


def test_the_application_predicts_default_as_well_as_on_real_clients(demo, real_app):
    got, want = _quick_auc(demo["application_train"]), _quick_auc(real_app)
    assert abs(got - want) <= 0.03, (got, want)


def test_the_test_table_has_the_real_test_tables_missing_rates(demo, real_sample_dir):
    real_test = pd.read_csv(real_sample_dir / "application_test.csv")
    gen = demo["application_test"]
    gaps = (gen.isna().mean() - real_test[gen.columns].isna().mean()).abs()
    assert gaps.max() <= 0.03, gaps.sort_values().tail(5).round(3).to_dict()
    # where the real test table differs from the training table, the demo follows the test table
    real_train_missing = reference()["tables"]["application_train"]["columns"]["EXT_SOURCE_1"]["missing"]
    assert abs(real_test["EXT_SOURCE_1"].isna().mean() - real_train_missing) > 0.05
