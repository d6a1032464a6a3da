"""Issue 26 experiment: does CatBoost-only diversity inside the bag lift the product?

Each bag member is cross-validated exactly as ``model.train.cross_validate_catboost`` does for one
member of the product's seed bag (same folds, same stratified early-stopping share of each
training part, seed + fold), its raw out-of-fold log-odds kept per (member, seed, fold) in
``--cache``. A bag is then the mean of its members' log-odds (what ``catboost.sum_models`` at
weights 1/n gives), calibrated by cross-fitting and measured with ``assess_calibrated`` like the
yardstick's product. The product's bag of 3 is S0+S1+S2, so its figures must reproduce
docs/yardstick/home-credit-large.json.

Result (seeds 1-2, load 4-14 on 2 cores; seed 3 not run for time): no member type helps. Swapping the
third seed for a Lossguide member (S0+S1+LG) gives +0.0002, +0.0001 AUC over the product's bag, nested cost
-0.0024, +0.0058; a depth-4 symmetric member (S0+S1+D4) -0.0001, -0.0001; and a symmetric and a
non-symmetric model cannot be summed into one CatBoost model (catboost 1.2.10 ``sum_models`` refuses).

    python benchmarks/bag_diversity.py --data-dir ../shared/data/home-credit-large --seeds 1 \
        --members S0 S1 S2 LG --bags S0+S1+S2 S0+S1+LG --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import features as feats  # noqa: E402
from model.cost import CostWeights  # noqa: E402
from model.estimator import CatBoostParams, make_classifier, make_pool  # noqa: E402
from model.population_features import unused_columns  # noqa: E402
from model.train import DEFAULT_CLASS_WEIGHTS, assess_calibrated, stopping_split, stratified_folds, training_data  # noqa: E402
from settings import get_settings  # noqa: E402

#: member name → (seed offset, CatBoostParams changes, extra CatBoost kwargs)
MEMBERS: dict[str, tuple[int, dict[str, Any], dict[str, Any]]] = {
    "S0": (0, {}, {}),
    "S1": (1, {}, {}),
    "S2": (2, {}, {}),
    # leaf-wise growth as LightGBM (kernel: 34 leaves, max depth 8, min_child_weight 39)
    "LG": (2, {"depth": 8}, {"grow_policy": "Lossguide", "max_leaves": 32, "min_data_in_leaf": 100}),
    "DW": (2, {"depth": 6}, {"grow_policy": "Depthwise", "min_data_in_leaf": 100}),
    # symmetric members that differ in depth / feature subsets (stay oblivious: one model, exact LeafShap)
    "D4": (2, {"depth": 4}, {}),
    "D8R": (2, {"depth": 8, "rsm": 0.5}, {}),
    "R5": (2, {"rsm": 0.5}, {}),
}


def member_oof(name: str, seed: int, X, y, fold_of, cat, cache: Path) -> tuple[np.ndarray, list[int], float]:
    path = cache / f"{name}-{seed}.npz"
    if path.exists():
        z = np.load(path)
        return z["raw"], [int(t) for t in z["trees"]], float(z["seconds"])
    offset, changes, extra = MEMBERS[name]
    base = CatBoostParams().with_(random_seed=seed, class_weights=DEFAULT_CLASS_WEIGHTS)
    params = base.with_(random_seed=seed + offset, **changes)
    raw = np.zeros(len(y))
    trees: list[int] = []
    t0 = time.perf_counter()
    for k in range(int(fold_of.max()) + 1):
        tr, va = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        X_tr, X_va = X.iloc[tr], X.iloc[va]
        # the stopping split is the product's: seeded by the bag's seed + fold, not the member's
        fit_part, stop_part = stopping_split(np.arange(len(tr)), y[tr], base.stopping_holdout, seed + k)
        train_pool = make_pool(X_tr.iloc[fit_part], cat, y[tr][fit_part])
        stop_pool = make_pool(X_tr.iloc[stop_part], cat, y[tr][stop_part])
        clf = make_classifier(params, cat, early_stopping=True, feature_names=train_pool.get_feature_names())
        if extra:
            clf.set_params(**extra)
        clf.fit(train_pool, eval_set=stop_pool, use_best_model=True)
        raw[va] = clf.predict(make_pool(X_va, cat), prediction_type="RawFormulaVal")
        trees.append(int(clf.tree_count_))
        print(f"  {name} seed {seed} fold {k}: {trees[-1]} trees, {time.perf_counter() - t0:.0f}s", flush=True)
    seconds = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, raw=raw, trees=np.array(trees), seconds=seconds)
    return raw, trees, seconds


def bag_oof(spec: str, raws: dict[str, np.ndarray], fold_of: np.ndarray) -> np.ndarray:
    """``A+B+C`` mean log-odds → probability; ``rank:A+B`` mean of within-fold ranks (exploratory:
    not a single model, cannot be served as such)."""
    if spec.startswith("rank:"):
        names = spec[5:].split("+")
        out = np.zeros(len(fold_of))
        for k in range(int(fold_of.max()) + 1):
            va = fold_of == k
            out[va] = np.mean([rankdata(raws[n][va]) / va.sum() for n in names], axis=0)
        # ranks in (0, 1]: squeezed into a probability-like score for the calibration step
        return np.clip(out, 1e-6, 1 - 1e-6)
    names = spec.split("+")
    return 1.0 / (1.0 + np.exp(-np.mean([raws[n] for n in names], axis=0)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--members", nargs="+", default=["S0", "S1", "S2"])
    p.add_argument("--bags", nargs="+", default=["S0+S1+S2"])
    p.add_argument("--cache", type=Path, default=Path("/tmp/exp26-cache"))
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    weights = CostWeights()
    excluded = list(get_settings().excluded_attributes)
    data = training_data(a.data_dir, include_children=True)
    y = data.y
    X = data.X.drop(columns=[c for c in excluded if c in data.X.columns] + unused_columns(()))
    cat = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    print(f"load average {os.getloadavg()}; {len(y):,} clients; {X.shape[1]} features", flush=True)
    out: dict[str, Any] = {"bags": {}, "members": {}}
    for seed in a.seeds:
        fold_of = stratified_folds(y, a.folds, seed)
        raws = {}
        for name in a.members:
            raws[name], trees, secs = member_oof(name, seed, X, y, fold_of, cat, a.cache)
            out["members"].setdefault(name, []).append({"seed": seed, "trees": trees, "seconds": round(secs)})
            print(f"seed {seed} member {name}: trees {trees}, {secs:.0f}s, load {os.getloadavg()[0]:.1f}", flush=True)
        names = list(raws)
        print(f"seed {seed} member AUC (raw log-odds): " + ", ".join(f"{n} {roc_auc_score(y, raws[n]):.4f}" for n in names))
        corr = np.corrcoef([rankdata(raws[n]) for n in names])
        print(f"seed {seed} Spearman: " + ", ".join(f"{names[i]}-{names[j]} {corr[i, j]:.4f}"
                                                  for i in range(len(names)) for j in range(i + 1, len(names))), flush=True)
        for spec in a.bags:
            if not all(n in raws for n in spec.removeprefix("rank:").split("+")):
                continue
            metrics, _ = assess_calibrated(y, bag_oof(spec, raws, fold_of), fold_of, weights)
            row = {"seed": seed, "product_auc": metrics["auc"], "product_nested_cost": metrics["cost_per_client_nested"],
                   "product_ece": metrics["ece"]}
            out["bags"].setdefault(spec, []).append(row)
            print(f"seed {seed} bag {spec:<16s} AUC {row['product_auc']:.4f} nested {row['product_nested_cost']:.4f} "
                  f"ECE {row['product_ece']:.4f}", flush=True)
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
