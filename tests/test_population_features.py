"""Features fitted on the training clients: the neighbour default rate must not leak a client's own
outcome (permuted-target check), the implied term and rate must match the annuity formula, and a
seed-bagged model must keep exact SHAP explanations."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model import features as feats
from model.cost import CostWeights
from model.estimator import CatBoostParams, fit_model, make_pool
from model.population_features import (
    NEIGHBOUR_RATE,
    PREDICTED_RATE,
    PREDICTED_TERM,
    NeighbourRate,
    PopulationFeatures,
    TermModel,
)
from model.train import FoldFeatures, cross_validate_catboost, evaluate, stratified_folds, training_data

TINY = CatBoostParams(iterations=40, learning_rate=0.2, depth=3, border_count=32, early_stopping_rounds=15, thread_count=1)


def points(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"EXT_SOURCE_1": rng.uniform(size=n), "EXT_SOURCE_2": rng.uniform(size=n),
                         "EXT_SOURCE_3": rng.uniform(size=n), "CREDIT_TERM_MONTHS": rng.uniform(10, 40, size=n)},
                        index=pd.Index(np.arange(1000, 1000 + n), name="SK_ID_CURR"))


def test_a_training_client_is_left_out_of_its_own_neighbours():
    X = points(300)
    y = np.zeros(300, dtype=np.int8)
    y[0] = 1                                  # one defaulter
    rate = NeighbourRate.fit(X, y, k=5)
    own = rate.rates(X.iloc[[0]])
    assert own[0] == 0.0                      # its own default does not count
    stranger = X.iloc[[0]].set_axis(pd.Index([1], name="SK_ID_CURR"))
    assert rate.rates(stranger)[0] == pytest.approx(1 / 5)   # a new applicant at the same place sees it
    # the same client alone or in a batch: the same value
    np.testing.assert_array_equal(rate.rates(X)[:1], own)


def test_neighbour_rate_handles_missing_inputs_and_round_trips(tmp_path):
    X = points(200)
    X.iloc[:50, 0] = np.nan                   # EXT_SOURCE_1 is often missing
    y = (np.random.default_rng(1).uniform(size=200) < 0.2).astype(np.int8)
    rate = NeighbourRate.fit(X, y, k=10)
    values = rate.rates(X)
    assert np.isfinite(values).all() and ((values >= 0) & (values <= 1)).all()
    path = tmp_path / "n.npz"
    path.write_bytes(rate.to_bytes())
    np.testing.assert_array_equal(NeighbourRate.from_file(path).rates(X), values)


def leaky_rates(X: pd.DataFrame, y: np.ndarray, k: int) -> np.ndarray:
    """The mistake the product must not make: neighbours from every label, the client's own included."""
    anonymous = X.set_axis(pd.Index(-np.arange(1, len(X) + 1), name=X.index.name))
    return NeighbourRate.fit(X, y, k=k).rates(anonymous)


@pytest.fixture(scope="module")
def demo(demo_data_dir):
    data = training_data(demo_data_dir, include_children=False)
    return data


def test_neighbour_feature_does_not_leak_a_permuted_target(demo):
    """On a permuted target nothing can be learnt: a model with the leaky neighbour rate still
    looks good (it reads each client's own label), the product's fold-safe one does not."""
    y = np.random.default_rng(3).permutation(demo.y)
    X = demo.X.drop(columns=[PREDICTED_TERM, PREDICTED_RATE])     # the neighbour rate, still missing
    cat = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    fold_of = stratified_folds(y, 3, 0)
    leaky = X.assign(**{NEIGHBOUR_RATE: leaky_rates(X, y, k=10).astype(np.float32)})
    leaky_auc = evaluate(y, cross_validate_catboost(leaky, y, fold_of, TINY, cat).oof, fold_of, CostWeights())["auc"]
    safe = cross_validate_catboost(X, y, fold_of, TINY, cat,
                                   fold_features=FoldFeatures(("neighbours",), demo.term_rows, neighbours=10))
    safe_auc = evaluate(y, safe.oof, fold_of, CostWeights())["auc"]
    assert leaky_auc > 0.65, leaky_auc       # suspiciously good on noise: the leak is detectable
    assert abs(safe_auc - 0.5) < 0.07, safe_auc


def loans(n: int, yearly: float, seed: int = 0) -> pd.DataFrame:
    """Previous applications priced at one yearly rate, with terms of 12, 24 or 36 months."""
    rng = np.random.default_rng(seed)
    credit = rng.uniform(20_000, 500_000, size=n)
    term = rng.choice([12, 24, 36], size=n)
    r = yearly / 12
    annuity = credit * r / (1 - (1 + r) ** -term)
    return pd.DataFrame({"SK_ID_CURR": np.arange(n), "CNT_PAYMENT": term.astype(float), "AMT_CREDIT": credit,
                         "AMT_ANNUITY": annuity, "AMT_GOODS_PRICE": credit * 0.9, "NAME_CONTRACT_TYPE": "Cash loans"})


def test_term_model_recovers_term_and_rate_of_annuity_loans():
    rows = loans(3000, yearly=0.18)
    model = TermModel.fit(rows, seed=0)
    assert model is not None
    new = loans(200, yearly=0.18, seed=1)
    term, rate = model.predict(new)
    # one rate for every loan: the payment share then fixes the term, and the rate follows
    assert np.mean(np.round(term) == new["CNT_PAYMENT"]) > 0.95
    assert np.median(rate) == pytest.approx(0.18, abs=0.005)
    missing = new.assign(AMT_ANNUITY=np.nan).iloc[:3]
    assert np.isnan(model.predict(missing)[0]).all()


def test_term_model_needs_enough_rows_and_holds_out_the_validation_clients():
    assert TermModel.fit(loans(50, 0.1)) is None
    rows = loans(1000, 0.1)
    X = points(400).assign(AMT_CREDIT=100_000.0, AMT_ANNUITY=5_000.0, AMT_GOODS_PRICE=90_000.0,
                           NAME_CONTRACT_TYPE="Cash loans", **{NEIGHBOUR_RATE: np.nan, PREDICTED_TERM: np.nan,
                                                                PREDICTED_RATE: np.nan})
    y = np.zeros(400, dtype=np.int8)
    y[::7] = 1
    # every previous application belongs to held-out clients: nothing left to learn the term from
    fitted = PopulationFeatures.fit(X, y, rows, ["interest", "neighbours"], held_out=rows["SK_ID_CURR"].tolist())
    assert fitted.term is None and fitted.neighbours is not None
    out = fitted.transform(X)
    assert out[PREDICTED_TERM].isna().all() and out[NEIGHBOUR_RATE].notna().all()


def test_seed_bagged_model_keeps_exact_shap_values(demo):
    X = demo.X.drop(columns=feats.FITTED_FEATURES).iloc[:1500]
    y = demo.y[:1500]
    cat = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    pool = make_pool(X, cat, y)
    bag = fit_model(TINY.with_(bag_size=3), cat, pool, iterations=40)
    assert bag.best_iterations == (40, 40, 40)
    members = [fit_model(TINY.with_(bag_size=1, random_seed=TINY.random_seed + b), cat, pool, iterations=40).model for b in range(3)]
    query = make_pool(X.iloc[:200], cat)
    raw = bag.model.predict(query, prediction_type="RawFormulaVal")
    # the bag's score is the mean of its members' log-odds ...
    np.testing.assert_allclose(raw, np.mean([m.predict(query, prediction_type="RawFormulaVal") for m in members],
                                            axis=0), atol=1e-9)
    # ... its SHAP values add up exactly to it and are the mean of the members' SHAP values
    shap_bag = bag.model.get_feature_importance(query, type="ShapValues")
    np.testing.assert_allclose(shap_bag.sum(axis=1), raw, atol=1e-9)
    shap_members = np.mean([m.get_feature_importance(query, type="ShapValues") for m in members], axis=0)
    np.testing.assert_allclose(shap_bag, shap_members, atol=1e-9)


def test_one_known_client_gets_its_batch_features_fitted_ones_included(demo_data_dir, tiny_scorer):
    """Scored from its own rows (as /predict receives them), a training client gets exactly its
    row of the stored population, the neighbour rate (itself left out) and implied rate included."""
    from data.load import load_tables

    tables = load_tables(demo_data_dir)
    s = tiny_scorer
    assert s.population_features.neighbours is not None and s.population_features.term is not None
    labelled = tables["application_train"]["SK_ID_CURR"].to_numpy()
    for client in labelled[[0, 17, 400]]:
        frames = {}
        for name, df in tables.items():
            if name == "bureau_balance":
                continue
            frames[name] = df[df["SK_ID_CURR"] == client].reset_index(drop=True)
        bureaus = frames["bureau"]["SK_ID_BUREAU"] if "bureau" in frames else []
        if "bureau_balance" in tables:
            bb = tables["bureau_balance"]
            frames["bureau_balance"] = bb[bb["SK_ID_BUREAU"].isin(bureaus)].reset_index(drop=True)
        frames = {k: v for k, v in frames.items() if k != "application_test" or len(v)}
        one = s.application_features(frames)[s.features]
        batch = s.population.loc[[client], s.features]
        pd.testing.assert_frame_equal(one, batch, check_dtype=False)
        assert one[[NEIGHBOUR_RATE, PREDICTED_RATE]].notna().all(axis=None)
