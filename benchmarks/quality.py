"""Out-of-fold quality of the training defaults, like-for-like with the public reference.

    python benchmarks/quality.py                                  # THE YARDSTICK: seeds 1-5 × 5 folds,
                                                                  # product vs reference, paired (yardstick.py)
    python benchmarks/quality.py --groups interest --against base.json   # ablation of a feature group
    python benchmarks/quality.py --detail --seed 42               # one seed in detail: grades, calibration
    python benchmarks/quality.py --detail --lightgbm              # + LightGBM reference-like baseline
    python benchmarks/quality.py --detail --class-weights compare # none vs balanced
    python benchmarks/quality.py --detail --demo-clients 20000    # + demo data with / without children

Without ``--detail`` every argument goes to ``benchmarks/yardstick.py`` (see its help): every
claim about the model's quality is made with it. ``--detail`` gives the single-seed report below.

On the real sample (default ``../shared/data/home-credit-sample`` beside the repo) it runs the
same CV as ``python -m model.train`` (``cross_validate_catboost``: stratified folds, early
stopping on each fold's validation, everything fitted inside the fold) and prints the pooled
out-of-fold AUC, the fold AUC mean ± std, the cost per client at the OOF-best threshold (the
reference's definition) and the nested cost (threshold chosen on the other folds), plus the
dummy and logistic baselines. ``--lightgbm`` adds a LightGBM with the public kernel's
hyper-parameters on the same features and folds. With ``--demo-clients N`` it generates demo
data (``data.generate``, seed ``--demo-seed``) and compares AUC with and without the child-table
features. Any CatBoost parameter can be overridden with ``--set name=value``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import yardstick  # noqa: E402
from benchmarks.yardstick import lightgbm_oof, parse_set  # noqa: E402
from model import features as feats  # noqa: E402
from model.cost import CostWeights  # noqa: E402
from model.decision import REFER, DecisionRule  # noqa: E402
from model.estimator import CatBoostParams  # noqa: E402
from model.grades import fit_master_scale, jeffreys_rejections  # noqa: E402
from model.train import (  # noqa: E402
    DEFAULT_CLASS_WEIGHTS,
    assess_calibrated,
    cross_validate_catboost,
    cross_validate_sklearn,
    evaluate,
    logistic_baseline,
    stratified_folds,
    training_frame,
)

#: The issue's reference: LightGBM on public-kernel-style features, 5-fold stratified, seed 1001.
REFERENCE = {"auc": 0.733, "cost_per_client": 0.569}


def line(name: str, m: dict[str, Any], extra: str = "") -> str:
    return (f"{name:<22s} AUC {m['auc']:.4f}  fold {m['auc_fold_mean']:.4f} ± {m['auc_fold_std']:.4f}  "
            f"cost {m['cost_per_client']:.4f} ± {m['cost_fold_std']:.4f} @ {m['threshold']:.3f}  "
            f"nested {m['cost_per_client_nested']:.4f} ± {m['cost_nested_fold_std']:.4f}  {extra}")


def calibration_lines(y, m: dict[str, Any], pd_: np.ndarray, refer_share: float) -> dict[str, Any]:
    """Print how true the calibrated PDs are, the grade table and the referral band; return them."""
    rule = DecisionRule.around(m["threshold"], refer_share)
    band = rule.decide_all(pd_) == REFER
    print(f"  calibration {m['calibration']}: mean PD {m['mean_pd']:.2%} (raw {m['raw_mean_probability']:.2%}, "
          f"observed {m['default_rate']:.2%}), ECE {m['ece']:.4f}, Brier {m['brier']:.4f} "
          f"(constant {m['brier_constant']:.4f}), slope {m['calibration_slope']:.3f}, "
          f"intercept {m['calibration_intercept']:+.3f}; log-loss by method {m['calibration_log_loss']}")
    print(f"  threshold {m['threshold']:.4f} (theoretical c_FP/(c_FP+c_FN) = {1 / 11:.4f}); refer band "
          f"[{rule.refer_low:.4f}, {rule.refer_high:.4f}): {band.mean():.1%} of clients, default rate "
          f"{(y[band].mean() if band.any() else float('nan')):.2%}")
    try:
        scale = fit_master_scale(y, pd_)
    except ValueError as exc:
        print(f"  no master scale of 7-10 grades: {exc}")
        return {"refer_share": float(band.mean())}
    print(f"  {'grade':<6}{'PD band':>18}{'clients':>9}{'defaults':>9}{'mean PD':>9}{'observed':>9}{'Jeffreys p':>11}")
    for r in scale.table():
        print(f"  {r['grade']:<6}{r['pd_lower']:>8.4f}–{r['pd_upper']:<9.4f}{r['clients']:>9}{r['defaults']:>9}"
              f"{r['mean_pd']:>9.2%}{r['default_rate']:>9.2%}{r['jeffreys_p_value']:>11.3f}")
    print(f"  grades rejected by Jeffreys at 5 % (Bonferroni): {jeffreys_rejections(scale) or 'none'}")
    return {"refer_share": float(band.mean()), "grades": scale.table()}


def catboost_runs(X, y, fold_of, params: CatBoostParams, class_weights: str,
                  weights: CostWeights, refer_share: float = 0.10) -> dict[str, dict[str, Any]]:
    """The product's CatBoost as training runs it: CV, then PDs calibrated by cross-fitting."""
    cat = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    options = ["none", "balanced"] if class_weights == "compare" else [class_weights]
    out = {}
    for option in options:
        cv = cross_validate_catboost(X, y, fold_of, params.with_(class_weights=option), cat)
        m, choice = assess_calibrated(y, cv.oof, fold_of, weights)
        print(line(f"catboost {option}", m, f"iters {cv.best_iterations} {cv.seconds:.0f}s"), flush=True)
        extra = calibration_lines(y, m, choice.cross_fitted, refer_share)
        out[f"catboost_{option}"] = {**m, **extra, "best_iterations": cv.best_iterations,
                                     "cv_seconds": round(cv.seconds, 1)}
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--detail" not in args:
        return yardstick.main(args)
    args.remove("--detail")
    return detail(args)


def detail(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "home-credit-sample")
    p.add_argument("--seed", type=int, default=1001)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--class-weights", choices=["none", "balanced", "compare"], default=DEFAULT_CLASS_WEIGHTS)
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="CatBoost parameter override")
    p.add_argument("--lightgbm", action="store_true", help="add the LightGBM reference-like baseline")
    p.add_argument("--no-baselines", action="store_true", help="skip dummy and logistic")
    p.add_argument("--demo-clients", type=int, default=0, help="also compare children vs not on N demo clients")
    p.add_argument("--demo-seed", type=int, default=42)
    p.add_argument("--demo-dir", type=Path, help="existing demo data folder (instead of generating)")
    p.add_argument("--demo-only", action="store_true", help="skip the real sample")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument("--exclude", default="CODE_GENDER",
                   help="protected attributes kept out of the inputs, as training does ('' to keep them all)")
    a = p.parse_args(argv)

    weights = CostWeights()
    params = CatBoostParams().with_(random_seed=a.seed, **parse_set(a.set))
    report: dict[str, Any] = {"params": params.to_dict(), "seed": a.seed, "folds": a.folds,
                              "reference": REFERENCE, "loadavg_start": os.getloadavg()}
    print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs; params {params.to_dict()}")

    if not a.demo_only:
        report["real"] = real_sample(a, params, weights)
    if a.demo_clients or a.demo_dir:
        report["demo"] = demo_children(a, params, weights)
    report["loadavg_end"] = os.getloadavg()
    print(f"load average at the end {os.getloadavg()}")
    if a.json:
        a.json.write_text(json.dumps(report, indent=2, default=float))
    return 0


def real_sample(a: argparse.Namespace, params: CatBoostParams, weights: CostWeights) -> dict[str, Any]:
    t = time.perf_counter()
    X, y, _ = training_frame(a.data_dir, include_children=True)
    excluded = [c for c in a.exclude.split(",") if c and c in X.columns]
    X = X.drop(columns=excluded)
    print(f"\n== real sample {a.data_dir}: {len(y):,} clients, {y.mean():.2%} defaults, {X.shape[1]} features "
          f"({time.perf_counter() - t:.1f}s; not used: {', '.join(excluded) or 'none'}); {a.folds}-fold stratified, "
          f"seed {a.seed}")
    fold_of = stratified_folds(y, a.folds, a.seed)
    real = catboost_runs(X, y, fold_of, params, a.class_weights, weights)
    cat = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    if not a.no_baselines:
        from sklearn.dummy import DummyClassifier

        real["dummy"] = evaluate(y, cross_validate_sklearn(lambda: DummyClassifier(strategy="prior"), X, y, fold_of),
                                 fold_of, weights)
        real["logistic"] = evaluate(y, cross_validate_sklearn(logistic_baseline(X, cat, a.seed), X, y, fold_of),
                                    fold_of, weights)
        print(line("dummy (prior)", real["dummy"]))
        print(line("logistic", real["logistic"]))
    if a.lightgbm:
        t = time.perf_counter()
        oof, best = lightgbm_oof(X, y, fold_of, cat, a.seed)
        real["lightgbm_kernel"] = {**evaluate(y, oof, fold_of, weights), "best_iterations": best}
        print(line("lightgbm (kernel)", real["lightgbm_kernel"], f"iters {best} {time.perf_counter() - t:.0f}s"))
    print(f"{'reference (issue)':<22s} AUC {REFERENCE['auc']:.4f}  cost {REFERENCE['cost_per_client']:.4f}")
    return real


def demo_children(a: argparse.Namespace, params: CatBoostParams, weights: CostWeights) -> dict[str, Any]:
    out: dict[str, Any] = {}
    option = a.class_weights if a.class_weights != "compare" else DEFAULT_CLASS_WEIGHTS
    with tempfile.TemporaryDirectory(prefix="quality-demo-") as tmp:
        demo = a.demo_dir
        if demo is None:
            demo = Path(tmp) / "demo"
            subprocess.run([sys.executable, "-m", "data.generate", "--clients", str(a.demo_clients),
                            "--test-clients", "500", "--seed", str(a.demo_seed), "--out", str(demo)],
                           check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        for children in (True, False):
            Xd, yd, _ = training_frame(demo, include_children=children)
            fd = stratified_folds(yd, a.folds, a.seed)
            label = "with children" if children else "application only"
            print(f"\n== demo data ({len(yd):,} clients, {yd.mean():.2%} defaults, generator seed {a.demo_seed}), "
                  f"{label}: {Xd.shape[1]} features")
            out[label] = catboost_runs(Xd, yd, fd, params.for_rows(len(yd)), option, weights)
    return out


if __name__ == "__main__":
    sys.exit(main())
