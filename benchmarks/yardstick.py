"""The honest yardstick: the product's model against the kernel-style LightGBM reference on the
same repeated stratified folds, with paired differences and their 95 % intervals.

    python benchmarks/yardstick.py                        # real sample, seeds 1-5, 5 folds
    python benchmarks/yardstick.py --seeds 1 2 3 --set learning_rate=0.03

For every seed both models are cross-validated on the same folds: the product exactly as
``python -m model.train`` runs it (CatBoost, protected attributes excluded, PDs calibrated by
cross-fitting), the reference as the public kernel's LightGBM on the same features (gender
included, as the kernel does). Per seed: pooled out-of-fold AUC and nested cost (threshold chosen
on the other folds). Across seeds: means with Student 95 % intervals, and the paired difference
product − reference with its interval (seeds are the independent replicates; folds of one seed
share their data, so they are not counted as independent).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model import features as feats  # noqa: E402
from model.cost import CostWeights  # noqa: E402
from model.estimator import CatBoostParams  # noqa: E402
from model.population_features import DEFAULT_NEIGHBOURS, GROUPS, unused_columns  # noqa: E402
from model.train import (  # noqa: E402
    DEFAULT_CLASS_WEIGHTS,
    DEFAULT_POPULATION_FEATURES,
    FoldFeatures,
    assess_calibrated,
    cross_validate_catboost,
    evaluate,
    stopping_split,
    stratified_folds,
    training_data,
)
from model.validation import student_interval as interval  # noqa: E402
from settings import get_settings  # noqa: E402


def lightgbm_oof(X, y, fold_of, cat_features: list[str], seed: int,
                 stopping_holdout: float = CatBoostParams.stopping_holdout) -> tuple[np.ndarray, list[int]]:
    """The public kernel's LightGBM (lr 0.02, 34 leaves, early stopping 200 on AUC), per fold.

    It early-stops as the product does (``stopping_holdout`` of the training part; 0 = on the
    validation fold, as the kernel itself does), so both are compared under one protocol.
    """
    import lightgbm as lgb

    X = X.copy()
    oof = np.zeros(len(y))
    best = []
    for k in range(int(fold_of.max()) + 1):
        tr, va = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        fit, stop = stopping_split(tr, y, stopping_holdout, seed + k)
        if len(stop) == 0:
            fit, stop = tr, va
        clf = lgb.LGBMClassifier(
            n_estimators=10000, learning_rate=0.02, num_leaves=34, colsample_bytree=0.9497036,
            subsample=0.8715623, subsample_freq=1, max_depth=8, reg_alpha=0.041545473,
            reg_lambda=0.0735294, min_split_gain=0.0222415, min_child_weight=39.3259775,
            n_jobs=2, random_state=seed, verbose=-1)
        clf.fit(X.iloc[fit], y[fit], eval_X=(X.iloc[stop],), eval_y=(y[stop],), eval_metric="auc",
                callbacks=[lgb.early_stopping(200, verbose=False)], categorical_feature=cat_features)
        oof[va] = clf.predict_proba(X.iloc[va], num_iteration=clf.best_iteration_)[:, 1]
        best.append(int(clf.best_iteration_))
    return oof, best


def parse_set(values: list[str]) -> dict[str, Any]:
    fields = CatBoostParams.__dataclass_fields__
    out: dict[str, Any] = {}
    for item in values:
        name, _, raw = item.partition("=")
        if name not in fields:
            raise SystemExit(f"unknown CatBoost parameter {name!r}; known: {', '.join(fields)}")
        kind = type(getattr(CatBoostParams(), name))
        if kind is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise SystemExit(f"{name} takes true or false, got {raw!r}")
            out[name] = raw.lower() in ("true", "1")
        else:
            out[name] = tuple(v for v in raw.split(",") if v) if kind is tuple else kind(raw)
    return out


def fmt(name: str, values: list[float]) -> str:
    m, lo, hi = interval(values)
    return f"{name:<34s} {m:+.4f}  95 % CI [{lo:+.4f}, {hi:+.4f}]" if name.startswith("Δ") else \
        f"{name:<34s} {m:.4f}  95 % CI [{lo:.4f}, {hi:.4f}]"


def reference_oof(a: argparse.Namespace, X: pd.DataFrame, y: np.ndarray, fold_of: np.ndarray,
                  cat: list[str], seed: int, stopping_holdout: float) -> np.ndarray:
    """The reference's out-of-fold predictions of one seed, kept in ``--cache``: it does not change
    while the product is tuned, and it is 40 % of a run."""
    key = hashlib.sha256(pd.util.hash_pandas_object(X, index=True).to_numpy().tobytes() + y.tobytes()
                         + fold_of.tobytes() + repr(stopping_holdout).encode()).hexdigest()[:16]
    path = a.cache / f"reference-{seed}-{key}.npy" if str(a.cache) else None
    if path is not None and path.exists():
        return np.load(path)
    oof, _best = lightgbm_oof(X, y, fold_of, cat, seed, stopping_holdout)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, oof)
    return oof


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "home-credit-sample")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--class-weights", choices=["none", "balanced"], default=DEFAULT_CLASS_WEIGHTS)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="CatBoost parameter override")
    p.add_argument("--groups", default=",".join(DEFAULT_POPULATION_FEATURES),
                   help=f"fitted feature groups, comma-separated, of {sorted(GROUPS)} ('' for none)")
    p.add_argument("--neighbours", type=int, default=DEFAULT_NEIGHBOURS, help="neighbours of the neighbour rate")
    p.add_argument("--monotone-ext", action="store_true",
                   help="risk may only fall as the external scores rise (CatBoostParams.monotone_decreasing)")
    p.add_argument("--application-only", action="store_true", help="no child-table features (product only)")
    p.add_argument("--kernel-protocol", action="store_true",
                   help="both models early-stop on the validation fold, as the public kernel does (flattering)")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument("--against", type=Path, metavar="JSON",
                   help="an earlier --json of a product variant: also print the paired gain over it (ablation)")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "yardstick-cache",
                   help="folder keeping the reference's out-of-fold predictions per seed ('' to recompute)")
    a = p.parse_args(argv)

    weights = CostWeights()
    excluded = list(get_settings().excluded_attributes)
    groups = tuple(g.strip() for g in a.groups.split(",") if g.strip())
    data = training_data(a.data_dir, include_children=not a.application_only)
    reference_data = data if not a.application_only else training_data(a.data_dir, include_children=True)
    y = data.y
    # the reference: the client's own features as it was measured with on the hidden clients (issue 26), so
    # features added to the product since (the implied rate) are the product's gain, not the reference's
    X_all = reference_data.X.drop(columns=feats.FITTED_FEATURES + list(feats.IMPLIED_RATE_FEATURES))
    X = data.X.drop(columns=[c for c in excluded if c in data.X.columns] + unused_columns(groups))
    cat_product = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    cat_reference = [c for c in feats.CATEGORICAL_FEATURES if c in X_all.columns]
    print(f"load average {os.getloadavg()}; {len(y):,} clients, {y.mean():.2%} defaults; product without "
          f"{', '.join(excluded) or 'nothing'}, fitted groups {groups or 'none'}; early stopping on {'the validation fold' if a.kernel_protocol else 'a share of the training part'}; seeds {a.seeds} × {a.folds} folds",
          flush=True)
    rows: list[dict[str, Any]] = []
    for seed in a.seeds:
        fold_of = stratified_folds(y, a.folds, seed)
        params = CatBoostParams().with_(random_seed=seed, class_weights=a.class_weights, **parse_set(a.set))
        if a.monotone_ext:
            params = params.with_(monotone_decreasing=feats.EXTERNAL_SCORES)
        if a.kernel_protocol:
            params = params.with_(stopping_holdout=0.0)
        t = time.perf_counter()
        fold_features = FoldFeatures(groups, data.term_rows, a.neighbours, seed)
        cv = cross_validate_catboost(X, y, fold_of, params, cat_product, fold_features=fold_features)
        product, _ = assess_calibrated(y, cv.oof, fold_of, weights)
        t_product = time.perf_counter() - t
        t = time.perf_counter()
        reference = evaluate(y, reference_oof(a, X_all, y, fold_of, cat_reference, seed,
                                                       params.stopping_holdout), fold_of, weights)
        row = {"seed": seed, "product_auc": product["auc"], "product_nested_cost": product["cost_per_client_nested"],
               "product_ece": product["ece"], "reference_auc": reference["auc"],
               "reference_nested_cost": reference["cost_per_client_nested"],
               "product_iterations": cv.best_iterations, "seconds": [round(t_product), round(time.perf_counter() - t)]}
        rows.append(row)
        print(f"seed {seed}: product AUC {row['product_auc']:.4f} nested {row['product_nested_cost']:.4f} "
              f"(ECE {row['product_ece']:.4f}, iters {cv.best_iterations}) | reference AUC {row['reference_auc']:.4f} "
              f"nested {row['reference_nested_cost']:.4f} | {row['seconds']} s", flush=True)
    col = {k: [r[k] for r in rows] for k in ("product_auc", "reference_auc", "product_nested_cost",
                                             "reference_nested_cost")}
    print()
    print(fmt("product AUC", col["product_auc"]))
    print(fmt("reference AUC", col["reference_auc"]))
    print(fmt("Δ AUC (product − reference)", [p - r for p, r in zip(col["product_auc"], col["reference_auc"])]))
    print(fmt("product nested cost", col["product_nested_cost"]))
    print(fmt("reference nested cost", col["reference_nested_cost"]))
    print(fmt("Δ nested cost (product − reference)",
              [p - r for p, r in zip(col["product_nested_cost"], col["reference_nested_cost"])]))
    if a.against:
        earlier = {r["seed"]: r for r in json.loads(a.against.read_text())["rows"]}
        paired = [r for r in rows if r["seed"] in earlier]
        if len(paired) < 2:
            raise SystemExit(f"{a.against} shares fewer than two seeds with this run")
        print(f"\nagainst {a.against} (paired over seeds {[r['seed'] for r in paired]}):")
        for key, label in (("product_auc", "gain in AUC"), ("product_nested_cost", "gain in nested cost")):
            diffs = [r[key] - earlier[r["seed"]][key] for r in paired]
            mean = float(np.mean(diffs))
            se = float(np.std(diffs, ddof=1) / np.sqrt(len(diffs)))
            print(fmt(f"Δ {label}", diffs) + f"  SE {se:.4f}, |gain| {'>' if abs(mean) > 2 * se else '≤'} 2 SE")
    print(f"load average at the end {os.getloadavg()}")
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "args": vars(a) | {"data_dir": str(a.data_dir), "json": None}},
                                     indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
