"""Fitting the demo's risk model (:mod:`data.risk`) on real labelled clients.

Kept apart from :mod:`data.risk` so that generating demo data never imports a model library;
``tools/derive_reference.py --risk-model`` runs :func:`fit` and writes ``data/risk_model.json``.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from data.risk import MIN_LEAF, RATIOS, inputs_of, logit, matrix

#: The trees' settings: shallow and slow, chosen for a smooth risk surface, not for the last 0.001 of AUC.
TREE_PARAMS: dict[str, Any] = dict(depth=4, learning_rate=0.05, l2_leaf_reg=10.0, border_count=32, random_seed=0,
                                   thread_count=2, loss_function="Logloss", verbose=0, allow_writing_files=False)
MAX_TREES = 2000


def classifier(iterations: int) -> CatBoostClassifier:
    return CatBoostClassifier(iterations=iterations, **TREE_PARAMS)


def export(clf: CatBoostClassifier, names: list[str], min_leaf: int = MIN_LEAF) -> dict[str, Any]:
    """A fitted CatBoost model's trees as plain lists; leaves of fewer than ``min_leaf`` clients set to 0."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.json"
        clf.save_model(str(path), format="json")
        raw = json.loads(path.read_text())
    scale, (bias,) = raw["scale_and_bias"]
    trees = []
    for tree in raw["oblivious_trees"]:
        splits = [[int(sp["float_feature_index"]), float(sp["border"])] for sp in tree["splits"]]
        leaves = [0.0 if w < min_leaf else round(float(v) * scale, 7)
                  for v, w in zip(tree["leaf_values"], tree["leaf_weights"])]
        trees.append({"splits": splits, "leaves": leaves, "clients": [int(w) for w in tree["leaf_weights"]]})
    return {"inputs": names, "intercept": round(float(bias), 7), "trees": trees}


def fit(app: pd.DataFrame, *, folds: int = 5, seed: int = 0, iterations: int | None = None) -> dict[str, Any]:
    """The risk model of the real default (``app`` holds TARGET), as the JSON-able dict that ships.

    The number of trees is the mean of the folds' early-stopping points (stratified
    ``folds``-fold CV, each fold stopped on its own validation part), and the cross-validated
    AUC is that of the out-of-fold predictions cut at that common number; the model that ships is
    then fitted once on every client. With ``iterations`` there is no cross-validation (how a test
    refits it).
    """
    y = app["TARGET"].to_numpy(dtype=int)
    names = inputs_of(app)
    x = matrix(app, names)
    cv: dict[str, Any] = {}
    if iterations is None:
        parts, best = [], []
        for tr, va in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
            clf = classifier(MAX_TREES).fit(x[tr], y[tr], eval_set=(x[va], y[va]), early_stopping_rounds=100,
                                             use_best_model=False)
            parts.append((va, clf))
            best.append(int(clf.get_best_iteration()) + 1)
        iterations = int(round(float(np.mean(best))))
        oof = np.empty(len(y))
        for va, clf in parts:
            oof[va] = clf.predict(x[va], prediction_type="RawFormulaVal", ntree_end=min(iterations, clf.tree_count_))
        cv = {"folds": folds, "best_iterations": best, "auc": round(float(roc_auc_score(y, oof)), 6)}
    clf = classifier(iterations).fit(x, y)
    model: dict[str, Any] = {"ratios": {k: list(v) for k, v in RATIOS.items()}, **export(clf, names)}
    p = 1 / (1 + np.exp(-logit(model, app)))
    model["fit"] = {
        "clients": int(len(y)), "default_rate": round(float(y.mean()), 6), "trees": iterations,
        "params": {k: v for k, v in TREE_PARAMS.items() if k not in ("verbose", "allow_writing_files", "thread_count")},
        "min_leaf": MIN_LEAF, "cv": cv,
        "auc": round(float(roc_auc_score(y, p)), 6), "log_loss": round(float(log_loss(y, p)), 6),
        "mean_pd": round(float(p.mean()), 6),
    }
    return model
