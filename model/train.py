"""Reproducible training: features → stratified K-fold CV → business threshold → refit → artifact.

    python -m model.train --data-dir DIR [--model-dir DIR] [--class-weights compare]

Everything fitted (CatBoost, the baselines' imputers, scalers and encoders) is fitted
inside each fold; the decision threshold is chosen on out-of-fold predictions only,
and its cost is also estimated honestly by choosing it on the other folds
(``cost_per_client_nested``). Runs are tracked in MLflow when a tracking URI is given.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import catboost
import numpy as np
import pandas as pd
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.metrics import brier_score_loss, fbeta_score, precision_score, recall_score, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold

from data.load import DataError, load_tables
from data.schema import MISSING_LEVEL
from model import features as feats
from model.artifact import (
    EXPLANATIONS_FILE,
    GLOBAL_IMPORTANCE_FILE,
    LEAF_SHAP_FILE,
    OOF_FILE,
    POPULATION_FILE,
    SCORES_FILE,
    ArtifactError,
    ModelMetadata,
    save_artifact,
)
from model.calibration import Calibration, CalibrationChoice, choose_calibration
from model.concepts import membership
from model.cost import CostWeights, best_threshold, cost_curve, cost_per_client
from model.decision import DEFAULT_REFER_SHARE, REFER, DecisionRule, refused
from model.estimator import LARGE_DATA_PROFILE, CatBoostParams, fit_model, make_pool
from model.explain import LeafShap, global_importance, store_explanations
from model.grades import fit_master_scale
from model.population_features import (
    DEFAULT_NEIGHBOURS,
    GROUPS,
    PopulationFeatures,
    term_training_rows,
    unused_columns,
)
from model.registry import (
    RegistryError,
    check_alias,
    check_name,
    check_reachable,
    ensure_experiment,
    mlflow_uri,
    register_version,
    shown_uri,
)
from model.validation import brier, brier_constant, calibration_intercept_slope, expected_calibration_error
from settings import Settings, get_settings

#: F-beta weighs recall beta² times as much as precision; 2 reflects that missed defaulters cost more.
F_BETA = 2.0
#: Winner of the class-weight comparison on the real sample once PDs are calibrated
#: (benchmarks/yardstick.py, seeds 1-5 × 5 folds, docs/model-quality.md): "none" minus
#: "balanced" is +0.0034 AUC [-0.0002, +0.0069] and -0.0048 nested cost [-0.0168, +0.0072], and
#: its score needs no reweighting to be a probability. "compare" would double the CV time.
DEFAULT_CLASS_WEIGHTS = "none"
#: Fitted feature groups on by default: none. By the yardstick's ablation on the real sample
#: (docs/model-quality.md, seeds 1-5 × 5 folds, paired against the model without them), the
#: implied interest rate gains +0.0029 AUC (SE 0.0028) and -0.0037 nested cost (SE 0.0058), and
#: both groups +0.0017 AUC (SE 0.0017) and -0.0090 cost (SE 0.0078): no gain clears twice its
#: standard error, the rule for keeping a feature. On the larger real set (31,980 clients, issue
#: 26) the neighbours' rate loses AUC at k = 50 and k = 500, and the implied-rate group has too few
#: previous applications to learn from (the label-free ``INTEREST_RATE_STANDARD`` replaces it there).
#: ``--population-features interest,neighbours`` turns them on.
DEFAULT_POPULATION_FEATURES: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainConfig:
    data_dir: Path
    model_dir: Path
    tracking_uri: str | None
    params: CatBoostParams = CatBoostParams()
    weights: CostWeights = CostWeights()
    folds: int = 5
    seed: int = 42
    #: "none", "balanced" or "compare" (CV both, keep the lower nested cost). "compare" doubles
    #: the CV time, so the default is the winner measured in docs/model-quality.md.
    class_weights: str = DEFAULT_CLASS_WEIGHTS
    include_children: bool = True
    baselines: bool = True
    #: Referral band around the cost-optimal threshold (share of the cost gap, model.decision).
    refer_share: float = DEFAULT_REFER_SHARE
    #: Protected attributes kept out of the model's inputs (EU non-discrimination rules; settings.py).
    excluded_attributes: tuple[str, ...] = Settings.excluded_attributes
    #: Feature groups fitted on the training clients (model.population_features.GROUPS); a group
    #: is on by default only when the ablation of docs/model-quality.md shows a gain.
    population_features: tuple[str, ...] = DEFAULT_POPULATION_FEATURES
    neighbours: int = DEFAULT_NEIGHBOURS
    #: The logistic baseline is fitted on at most this many clients of each training fold
    #: (stratified subsample) and evaluated on the whole validation fold: full Kaggle scale
    #: would otherwise cost minutes per fold for a reference figure.
    baseline_max_rows: int = 50_000
    #: Apply CatBoostParams.for_rows (large-data profile above 100,000 clients) for the time budget.
    scale_params: bool = True
    experiment: str = "credit-scoring"
    #: Registered model the new version is registered under, with ``alias`` moved to it (docs/model-registry.md);
    #: "" to track the run without registering it.
    registry_name: str = Settings.model_registry_name
    alias: str = Settings.model_alias
    #: Base of a new experiment's artifact location (``MLFLOW_ARTIFACT_ROOT``); "" for MLflow's default.
    artifact_root: str = Settings.mlflow_artifact_root


@dataclass
class CVResult:
    oof: np.ndarray
    fold_of: np.ndarray
    best_iterations: list[int]
    seconds: float


@dataclass
class TrainResult:
    version_dir: Path
    metrics: dict[str, Any]
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: Cross-fitted calibrated out-of-fold PDs of the chosen CatBoost (the threshold was chosen on them).
    oof: np.ndarray | None = None


def stratified_folds(y: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    """Fold number of every row, stratified on the target and fixed by the seed."""
    fold_of = np.empty(len(y), dtype=np.int8)
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, valid) in enumerate(splitter.split(np.zeros(len(y)), y)):
        fold_of[valid] = k
    return fold_of


def stopping_split(train_rows: np.ndarray, y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of a CV training part split into (fit, early-stopping) parts, stratified.

    Early stopping picks a hyper-parameter (the tree count), so it must not see the validation
    fold the out-of-fold figures are computed on. ``share`` 0 returns no stopping part.
    """
    if share <= 0:
        return train_rows, train_rows[:0]
    if not 0 < share < 1:
        raise ValueError(f"stopping_holdout must be in [0, 1), got {share}")
    from sklearn.model_selection import train_test_split  # noqa: PLC0415 - keeps import time low
    fit, stop = train_test_split(train_rows, test_size=share, stratify=y[train_rows], random_state=seed)
    return np.sort(fit), np.sort(stop)


def refit_trees(best_iterations: list[int], params: CatBoostParams) -> int:
    """Trees of a model refitted on more clients than early stopping saw (at least 50)."""
    return max(50, int(np.mean(best_iterations) * params.refit_factor))


def cross_validate_catboost(X: pd.DataFrame, y: np.ndarray, fold_of: np.ndarray,
                            params: CatBoostParams, cat_features: list[str],
                            progress: Callable[[str], None] | None = None,
                            fold_features: FoldFeatures | None = None) -> CVResult:
    """Out-of-fold probabilities; each fold early-stops on a stratified share of its training part
    (``params.stopping_holdout``; 0 = on the validation fold, the kernel's protocol).

    With ``fold_features``, each fold first fits the neighbour and term features on its training
    part alone and fills them on both parts: a validation client's neighbours are training
    clients, and no validation label or previous application shapes them.

    ``progress`` receives one line per fold (trees kept, fold AUC, elapsed time and an estimate
    of the time left): at full scale a CV runs for minutes and should not look frozen.
    """
    start = time.perf_counter()
    oof = np.zeros(len(y))
    best: list[int] = []
    n_folds = int(fold_of.max()) + 1
    for k in range(n_folds):
        tr, va = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        X_tr, X_va = X.iloc[tr], X.iloc[va]
        if fold_features is not None and fold_features.groups:
            fitted_features = fold_features.fit(X_tr, y[tr], held_out=X_va.index)
            X_tr, X_va = fitted_features.transform(X_tr), fitted_features.transform(X_va)
        fit_part, stop_part = stopping_split(np.arange(len(tr)), y[tr], params.stopping_holdout,
                                             params.random_seed + k)
        if len(stop_part):
            train_pool = make_pool(X_tr.iloc[fit_part], cat_features, y[tr][fit_part])
            stop_pool = make_pool(X_tr.iloc[stop_part], cat_features, y[tr][stop_part])
        else:
            train_pool, stop_pool = make_pool(X_tr, cat_features, y[tr]), make_pool(X_va, cat_features, y[va])
        fitted = fit_model(params, cat_features, train_pool, eval_set=stop_pool)
        stopped_at = list(fitted.best_iterations)
        if params.fold_refit and len(stop_part):
            fitted = fit_model(params, cat_features, make_pool(X_tr, cat_features, y[tr]),
                               iterations=refit_trees(stopped_at, params))
        oof[va] = fitted.model.predict_proba(make_pool(X_va, cat_features))[:, 1]
        best.extend(stopped_at)
        if progress is not None:
            elapsed = time.perf_counter() - start
            auc = roc_auc_score(y[va], oof[va]) if len(np.unique(y[va])) == 2 else float("nan")
            progress(f"  fold {k + 1}/{n_folds}: {'+'.join(map(str, stopped_at))} trees, "
                     f"AUC {auc:.4f}, {elapsed:.0f}s elapsed, ~{elapsed / (k + 1) * (n_folds - k - 1):.0f}s left")
    return CVResult(oof, fold_of, best, time.perf_counter() - start)


def stratified_subsample(idx: np.ndarray, y: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """At most ``max_rows`` of the positions ``idx``, keeping the class shares (sorted, seeded)."""
    if len(idx) <= max_rows:
        return idx
    rng = np.random.default_rng(seed)
    keep = []
    for cls in np.unique(y[idx]):
        members = idx[y[idx] == cls]
        n = max(1, int(round(max_rows * len(members) / len(idx))))
        keep.append(rng.choice(members, size=min(n, len(members)), replace=False))
    return np.sort(np.concatenate(keep))


def cross_validate_sklearn(make_estimator: Callable[[], Any], X: pd.DataFrame, y: np.ndarray,
                           fold_of: np.ndarray, max_train_rows: int | None = None,
                           seed: int = 0) -> np.ndarray:
    """Out-of-fold probabilities of a scikit-learn estimator refitted from scratch in each fold.

    With ``max_train_rows``, each fold fits on a stratified subsample of its training part
    (still inside the fold) and predicts its whole validation part.
    """
    oof = np.zeros(len(y))
    for k in range(int(fold_of.max()) + 1):
        tr = np.flatnonzero(fold_of != k)
        va = fold_of == k
        if max_train_rows:
            tr = stratified_subsample(tr, y, max_train_rows, seed + k)
        est = make_estimator().fit(X.iloc[tr], y[tr])
        oof[va] = est.predict_proba(X[va])[:, 1]
    return oof


def logistic_baseline(X: pd.DataFrame, cat_features: list[str], seed: int) -> Callable[[], Any]:
    """Imputation, scaling and one-hot encoding inside a pipeline, so each fold fits its own."""
    # only the logistic baseline needs these (and --no-baselines skips it): imported when used
    from sklearn.compose import ColumnTransformer  # noqa: PLC0415 - logistic baseline only
    from sklearn.impute import SimpleImputer  # noqa: PLC0415 - logistic baseline only
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 - logistic baseline only
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415 - logistic baseline only
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler  # noqa: PLC0415 - logistic baseline only

    numeric = [c for c in X.columns if c not in cat_features]

    def as_text(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype(object).where(frame.notna(), MISSING_LEVEL)

    def make() -> Any:
        pre = ColumnTransformer([
            ("num", make_pipeline(FunctionTransformer(lambda a: np.where(np.isfinite(a), a, np.nan)),
                                  SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", make_pipeline(FunctionTransformer(as_text),
                                  OneHotEncoder(handle_unknown="ignore", min_frequency=20)), cat_features),
        ])
        return make_pipeline(pre, LogisticRegression(C=0.1, max_iter=300, random_state=seed))

    return make


def evaluate(y: np.ndarray, proba: np.ndarray, fold_of: np.ndarray, weights: CostWeights,
             threshold: float | None = None) -> dict[str, Any]:
    """Metrics at the cost-optimal out-of-fold threshold, with their spread over the folds."""
    choice = best_threshold(y, proba, weights)
    t = choice.threshold if threshold is None else threshold
    pred = refused(proba, t).astype(np.int8)
    per_fold_auc, per_fold_cost, nested_cost = [], [], []
    for k in range(int(fold_of.max()) + 1):
        va = fold_of == k
        per_fold_auc.append(roc_auc_score(y[va], proba[va]) if len(np.unique(y[va])) == 2 else float("nan"))
        per_fold_cost.append(cost_per_client(y[va], proba[va], t, weights))
        # Honest cost: threshold chosen on the other folds only, applied to this one.
        t_other = best_threshold(y[~va], proba[~va], weights).threshold
        nested_cost.append(cost_per_client(y[va], proba[va], t_other, weights))
    return {
        "auc": float(roc_auc_score(y, proba)),
        "auc_fold_mean": float(np.nanmean(per_fold_auc)),
        "auc_fold_std": float(np.nanstd(per_fold_auc)),
        "threshold": float(t),
        "cost_per_client": float(cost_per_client(y, proba, t, weights)),
        "cost_fold_std": float(np.std(per_fold_cost)),
        "cost_per_client_nested": float(np.mean(nested_cost)),
        "cost_nested_fold_std": float(np.std(nested_cost)),
        "cost_grant_all": choice.cost_grant_all,
        "cost_refuse_all": choice.cost_refuse_all,
        "recall": float(recall_score(y, pred, zero_division=0)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "f_beta": float(fbeta_score(y, pred, beta=F_BETA, zero_division=0)),
        "refusal_rate": float(pred.mean()),
        "brier": float(brier_score_loss(y, proba)),
        "n_clients": int(len(y)),
        "default_rate": float(np.mean(y)),
    }


def fingerprint(X: pd.DataFrame, y: np.ndarray) -> str:
    """Short hash of the training frame, so a model can be traced back to its data."""
    h = hashlib.sha256()
    h.update(",".join(X.columns).encode())
    h.update(pd.util.hash_pandas_object(X, index=True).to_numpy().tobytes())
    h.update(np.asarray(y, dtype=np.int8).tobytes())
    return h.hexdigest()[:16]


def library_versions() -> dict[str, str]:
    return {"catboost": catboost.__version__, "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__, "numpy": np.__version__, "python": platform.python_version()}


@dataclass(frozen=True)
class TrainingData:
    """What training reads from a data folder, once."""

    #: features of the labelled clients (application_train), fitted features still missing
    X: pd.DataFrame
    y: np.ndarray
    #: features of every client (application_train ∪ application_test)
    X_all: pd.DataFrame
    #: previous applications the term model learns from (model.population_features)
    term_rows: pd.DataFrame


def training_data(data_dir: Path, include_children: bool) -> TrainingData:
    tables = load_tables(data_dir)
    X_all = feats.build_features(tables, include_children=include_children)
    y_series = feats.target(tables)
    return TrainingData(X_all.loc[y_series.index], y_series.to_numpy().astype(np.int8), X_all,
                        term_training_rows(tables))


def training_frame(data_dir: Path, include_children: bool) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Features and target of the labelled clients, plus the features of every client."""
    data = training_data(data_dir, include_children)
    return data.X, data.y, data.X_all


@dataclass(frozen=True)
class FoldFeatures:
    """How each fold fits the feature groups that learn from other clients (none: nothing fitted)."""

    groups: tuple[str, ...] = ()
    term_rows: pd.DataFrame | None = None
    neighbours: int = DEFAULT_NEIGHBOURS
    seed: int = 42

    def fit(self, X: pd.DataFrame, y: np.ndarray, held_out: pd.Index | None = None) -> PopulationFeatures:
        rows = self.term_rows if self.term_rows is not None else term_training_rows({})
        return PopulationFeatures.fit(X, y, rows, self.groups, held_out=() if held_out is None else held_out,
                                      k=self.neighbours, seed=self.seed)



def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=True)
    return buffer.getvalue()


def oof_frame(index: pd.Index, y: np.ndarray, oof: np.ndarray, fold_of: np.ndarray,
              raw: np.ndarray | None = None) -> pd.DataFrame:
    """Each labelled client's out-of-fold PD: scored by the fold model that never saw it, calibrated
    by a map fitted on the other folds (``RAW_PROBABILITY``: before calibration)."""
    frame = pd.DataFrame({"TARGET": y.astype("int8"), "PROBABILITY": oof.astype("float64"),
                          "FOLD": fold_of.astype("int16")}, index=index)
    if raw is not None:
        frame["RAW_PROBABILITY"] = raw.astype("float64")
    return frame


def calibration_metrics(y: np.ndarray, pd_: np.ndarray) -> dict[str, float]:
    """How true the PDs are as probabilities, on (cross-fitted) out-of-fold predictions."""
    intercept, slope = calibration_intercept_slope(y, pd_)
    return {"mean_pd": float(np.mean(pd_)), "ece": float(expected_calibration_error(y, pd_, bins=10)),
            "brier": float(brier(y, pd_)), "brier_constant": float(brier_constant(y)),
            "calibration_slope": float(slope), "calibration_intercept": float(intercept)}


def assess_calibrated(y: np.ndarray, raw_oof: np.ndarray, fold_of: np.ndarray,
                      weights: CostWeights) -> tuple[dict[str, Any], CalibrationChoice]:
    """Calibrate raw OOF probabilities (cross-fitted) and measure the calibrated PDs: the figures
    training chooses on and reports, and that the quality benchmark prints."""
    choice = choose_calibration(y, raw_oof, fold_of)
    metrics = {**evaluate(y, choice.cross_fitted, fold_of, weights), **calibration_metrics(y, choice.cross_fitted),
               "calibration": choice.method, "calibration_log_loss": dict(choice.log_loss),
               "raw_mean_probability": float(np.mean(raw_oof))}
    return metrics, choice


def population_extras(model: Any, X: pd.DataFrame, y: np.ndarray, X_all: pd.DataFrame,
                      cat_features: list[str], seed: int, calibration: Calibration,
                      reference_size: int = 2000) -> dict[str, bytes]:
    """What the dashboard needs besides the model, computed once here rather than at start-up.

    ``population.parquet``: every client's features, the excluded protected attributes included
    (the dashboard's profiles, filters, medians and neighbours, the fairness report);
    ``scores.parquet``: every client's calibrated PD, raw model probability and known outcome;
    ``global_importance.json``: mean |SHAP| on a reference sample of training clients;
    ``explanations.npz``: every client's largest contributions, so that serving a known
    client is a look-up instead of a ~10 ms TreeSHAP set-up per request;
    ``leaf_shap.npz``: the model's TreeSHAP per leaf, so that a new applicant's exact explanation
    is a sum of table entries (``model.explain.LeafShap``).
    """
    features = list(model.feature_names_)
    X_in = X_all[features]
    raw = model.predict_proba(make_pool(X_in, cat_features))[:, 1]
    target = pd.Series(y, index=X.index).reindex(X_all.index)
    scores = pd.DataFrame({"TARGET": target.astype("float32"),
                           "PROBABILITY": calibration.apply(raw).astype("float32"),
                           "RAW_PROBABILITY": raw.astype("float32")}, index=X_all.index)
    rng = np.random.default_rng(seed)
    reference = X.iloc[np.sort(rng.choice(len(X), size=min(reference_size, len(X)), replace=False))][features]
    importance = global_importance(model, reference, cat_features, seed=seed)
    buffer = io.BytesIO()
    store_explanations(model, X_in, cat_features, concepts=membership(features)).save(buffer)
    leaf_buffer = io.BytesIO()
    LeafShap.build(model, X_in, cat_features).save(leaf_buffer)
    return {
        EXPLANATIONS_FILE: buffer.getvalue(),
        LEAF_SHAP_FILE: leaf_buffer.getvalue(),
        POPULATION_FILE: _parquet_bytes(X_all),
        SCORES_FILE: _parquet_bytes(scores),
        GLOBAL_IMPORTANCE_FILE: json.dumps(importance, ensure_ascii=False).encode("utf-8"),
    }


def _log_to_mlflow(config: TrainConfig, result: TrainResult, y: np.ndarray, oof: np.ndarray,
                   params: CatBoostParams) -> str:
    """Log the run (parameters, metrics, figures, the artifact folder under ``model``); its id."""
    # matplotlib and mlflow take seconds to import and only tracked runs need them
    import matplotlib  # noqa: PLC0415 - heavy, tracked runs only

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - heavy, tracked runs only, after matplotlib.use
    import mlflow  # noqa: PLC0415 - heavy, tracked runs only

    if not config.tracking_uri:
        raise ValueError("no MLflow tracking URI in the training config")
    mlflow.set_tracking_uri(mlflow_uri(config.tracking_uri))
    mlflow.set_experiment(experiment_id=ensure_experiment(config.tracking_uri, config.experiment,
                                                          config.artifact_root))
    with mlflow.start_run(run_name=result.version_dir.name) as run:
        mlflow.log_params({**params.to_dict(), "folds": config.folds, "seed": config.seed,
                           "cost_fn": config.weights.fn, "cost_fp": config.weights.fp,
                           "include_children": config.include_children, "data_dir": str(config.data_dir)})
        mlflow.log_metrics({k: v for k, v in result.metrics.items() if isinstance(v, (int, float))})
        for name, metrics in result.candidates.items():
            mlflow.log_metrics({f"{name}.{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
        mlflow.log_metrics({f"time.{k}": v for k, v in result.timings.items()})
        fpr, tpr, _ = roc_curve(y, oof)
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot(fpr, tpr, label=f"CatBoost AUC {result.metrics['auc']:.3f}")
        ax.plot([0, 1], [0, 1], "--", color="grey")
        ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC (out of fold)")
        ax.legend()
        mlflow.log_figure(fig, "roc.png")
        plt.close(fig)
        thresholds, costs = cost_curve(y, oof, config.weights)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(thresholds, costs)
        ax.axvline(result.metrics["threshold"], color="red", linestyle="--")
        ax.set(xlabel="threshold", ylabel="cost per client", xlim=(0, 1),
               title=f"Business cost (FN={config.weights.fn:g}, FP={config.weights.fp:g})")
        mlflow.log_figure(fig, "cost_vs_threshold.png")
        plt.close(fig)
        mlflow.log_artifacts(str(result.version_dir), artifact_path="model")
        mlflow.set_tags({"model_version": result.version_dir.name})
    return str(run.info.run_id)


def _track(config: TrainConfig, result: TrainResult, y: np.ndarray, oof: np.ndarray, params: CatBoostParams,
           log: Callable[[str], None]) -> None:
    """Log the run, then register the version (now CURRENT) and move the alias to it.

    The artifact is already saved and served locally: a tracking store that is down or refuses
    must not undo the training, so any failure here is a warning."""
    if not config.tracking_uri:
        return
    try:
        check_reachable(config.tracking_uri)
        run_id = _log_to_mlflow(config, result, y, oof, params)
        if config.registry_name:
            number = register_version(config.tracking_uri, run_id, result.version_dir, config.registry_name,
                                      config.alias)
            log(f"registered as {config.registry_name} version {number}, alias {config.alias!r} moved to it")
    except Exception as exc:  # MLflow, database and object-store errors alike: the model stays saved
        why = str(exc) if isinstance(exc, RegistryError) else f"{type(exc).__name__}: {str(exc).strip()[:200]}"
        log(f"warning: MLflow tracking at {shown_uri(config.tracking_uri)} failed, the model is saved but "
            f"not tracked{' nor registered' if config.registry_name else ''}: {why.splitlines()[0] if why else ''}")


def train(config: TrainConfig, log: Callable[[str], None] = print) -> TrainResult:
    """Run the whole pipeline and write a new model version; returns where and how good."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = training_data(config.data_dir, config.include_children)
    X_full, y = data.X, data.y
    excluded = [c for c in config.excluded_attributes if c in X_full.columns]
    unused = unused_columns(config.population_features)
    X = X_full.drop(columns=excluded + unused)
    X_all = data.X_all.drop(columns=unused)
    fold_features = FoldFeatures(tuple(config.population_features), data.term_rows, config.neighbours, config.seed)
    timings["features_s"] = time.perf_counter() - t0
    if len(np.unique(y)) < 2:
        raise DataError("application_train", "TARGET holds a single class: nothing to learn", "TARGET")
    if np.bincount(y).min() < config.folds:
        raise DataError("application_train", f"fewer than {config.folds} clients in a TARGET class: "
                        f"too few for {config.folds}-fold stratified CV", "TARGET")
    cat_features = [c for c in feats.CATEGORICAL_FEATURES if c in X.columns]
    fold_of = stratified_folds(y, config.folds, config.seed)
    log(f"features: {X.shape[0]:,} clients × {X.shape[1]} features in {timings['features_s']:.1f}s"
        + (f" (not used: {', '.join(excluded)})" if excluded else ""))

    base_params = config.params.with_(random_seed=config.seed)
    if config.scale_params:
        base_params = base_params.for_rows(len(y))
        if base_params != config.params.with_(random_seed=config.seed):
            log(f"large-data profile ({len(y):,} clients): {LARGE_DATA_PROFILE}")
    options = ["none", "balanced"] if config.class_weights == "compare" else [config.class_weights]
    candidates: dict[str, dict[str, Any]] = {}
    runs: dict[str, CVResult] = {}
    calibrations: dict[str, CalibrationChoice] = {}
    for option in options:
        log(f"cross-validating CatBoost (class_weights={option}, {config.folds} folds, "
            f"bag of {base_params.bag_size} seed{'s' if base_params.bag_size > 1 else ''})")
        cv = cross_validate_catboost(X, y, fold_of, base_params.with_(class_weights=option), cat_features,
                                     progress=log, fold_features=fold_features)
        runs[option] = cv
        # the PD is the calibrated score; the threshold and every reported figure use the
        # cross-fitted calibrated OOF predictions (each fold mapped by a calibration it did not fit)
        assessed, choice = assess_calibrated(y, cv.oof, fold_of, config.weights)
        calibrations[option] = choice
        candidates[f"catboost_{option}"] = {**assessed, "cv_seconds": cv.seconds,
                                            "best_iterations": cv.best_iterations}
        timings[f"cv_{option}_s"] = cv.seconds
        m = candidates[f"catboost_{option}"]
        log(f"catboost class_weights={option}: AUC {m['auc']:.4f} ± {m['auc_fold_std']:.4f}, "
            f"cost {m['cost_per_client']:.4f}/client (nested {m['cost_per_client_nested']:.4f}) "
            f"in {cv.seconds:.0f}s; calibration {choice.method}: mean PD {m['mean_pd']:.2%} "
            f"(raw {m['raw_mean_probability']:.2%}, observed {m['default_rate']:.2%}), ECE {m['ece']:.4f}, "
            f"slope {m['calibration_slope']:.3f}, Brier {m['brier']:.4f} (constant {m['brier_constant']:.4f})")
    # lower nested cost first; calibration error breaks ties within a thousandth of cost
    chosen = min(options, key=lambda o: (round(candidates[f"catboost_{o}"]["cost_per_client_nested"], 3),
                                         candidates[f"catboost_{o}"]["ece"]))
    params = base_params.with_(class_weights=chosen)
    cv = runs[chosen]
    calibration = calibrations[chosen].calibration
    calibrated_oof = calibrations[chosen].cross_fitted

    if config.baselines:
        t = time.perf_counter()
        dummy = cross_validate_sklearn(lambda: DummyClassifier(strategy="prior"), X, y, fold_of)
        candidates["dummy"] = evaluate(y, dummy, fold_of, config.weights)
        # the baselines see the client's own features only (the fitted ones are CatBoost's, per fold)
        X_plain = X.drop(columns=[c for c in feats.FITTED_FEATURES if c in X.columns])
        logistic = cross_validate_sklearn(logistic_baseline(X_plain, cat_features, config.seed), X_plain, y, fold_of,
                                          max_train_rows=config.baseline_max_rows, seed=config.seed)
        candidates["logistic"] = evaluate(y, logistic, fold_of, config.weights)
        timings["baselines_s"] = time.perf_counter() - t
        for name in ("dummy", "logistic"):
            log(f"{name}: AUC {candidates[name]['auc']:.4f}, cost {candidates[name]['cost_per_client']:.4f}/client")

    t = time.perf_counter()
    # the served model's fitted features learn from every labelled client; a training client's
    # own label still never counts in its own neighbour rate (left out by SK_ID_CURR)
    population_features = fold_features.fit(X, y)
    X = population_features.transform(X)
    X_all = population_features.transform(X_all)
    timings["population_features_s"] = time.perf_counter() - t
    t = time.perf_counter()
    iterations = refit_trees(cv.best_iterations, params)
    log(f"refitting on all {len(y):,} clients: {iterations} trees × {params.bag_size} seed(s)")
    final = fit_model(params, cat_features, make_pool(X, cat_features, y), iterations=iterations).model
    timings["refit_s"] = time.perf_counter() - t
    metrics = {**candidates[f"catboost_{chosen}"], "class_weights": chosen, "refit_iterations": iterations}
    rule = DecisionRule.around(float(metrics["threshold"]), config.refer_share)
    try:
        scale = fit_master_scale(y, calibrated_oof)
    except ValueError as exc:    # too few defaulters for 7 grades (small samples): say so, use fewer
        log(f"note: {exc}; using fewer grades")
        scale = fit_master_scale(y, calibrated_oof, n_grades=tuple(range(2, 11)), min_clients=30, min_defaults=3)
    decided = rule.decide_all(calibrated_oof)
    in_band = decided == REFER
    metrics.update(theoretical_threshold=config.weights.fp / (config.weights.fp + config.weights.fn),
                   refer_low=rule.refer_low, refer_high=rule.refer_high, refer_share=float(in_band.mean()),
                   refer_default_rate=float(y[in_band].mean()) if in_band.any() else None,
                   n_grades=len(scale.labels), excluded_attributes=excluded)
    log(f"threshold {rule.threshold:.4f} on the calibrated PD (theoretical c_FP/(c_FP+c_FN) = "
        f"{metrics['theoretical_threshold']:.4f}); refer band [{rule.refer_low:.4f}, {rule.refer_high:.4f}): "
        f"{metrics['refer_share']:.1%} of clients; {len(scale.labels)} risk grades")

    t = time.perf_counter()
    extras = population_extras(final, X, y, X_all, cat_features, config.seed, calibration)
    extras[OOF_FILE] = _parquet_bytes(oof_frame(X.index, y, calibrated_oof, fold_of, raw=cv.oof))
    extras.update(population_features.files())
    timings["population_s"] = time.perf_counter() - t

    created = datetime.now(UTC)
    data_fp = fingerprint(X, y)
    metadata = ModelMetadata(
        version=f"{created:%Y%m%d-%H%M%S}-{data_fp[:8]}",
        created_at=created.isoformat(timespec="seconds"),
        data_fingerprint=data_fp,
        features=list(X.columns),
        dtypes={c: str(X[c].dtype) for c in X.columns},
        categorical_features=cat_features,
        threshold=rule.threshold,
        cost_weights=config.weights.to_dict(),
        cv_metrics={"chosen": metrics, "candidates": candidates},
        params={**params.to_dict(), "iterations": iterations, "folds": config.folds},
        library_versions=library_versions(),
        include_children=config.include_children,
        data_dir=str(Path(config.data_dir).resolve()),
        calibration=calibration.to_dict(),
        decision_rule=rule.to_dict(),
        master_scale=scale.to_dict(),
        excluded_attributes=excluded,
        population_features=list(config.population_features),
    )
    version_dir = save_artifact(final, metadata, config.model_dir, extras=extras)
    timings["total_s"] = time.perf_counter() - t0
    result = TrainResult(version_dir, metrics, candidates, timings, oof=calibrated_oof)
    _track(config, result, y, calibrated_oof, params, log)
    log(f"model {metadata.version} written to {version_dir} (threshold {metadata.threshold:.4f}, "
        f"total {timings['total_s']:.0f}s)")
    return result


def parse_args(argv: Sequence[str] | None) -> TrainConfig:
    s = get_settings()
    d = CatBoostParams()
    p = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, default=s.data_dir, help="folder of the Kaggle files")
    p.add_argument("--model-dir", type=Path, default=s.model_dir)
    p.add_argument("--tracking-uri", default=s.tracking_uri, help="MLflow store ('' to disable)")
    p.add_argument("--registry-name", default=s.model_registry_name,
                   help="registered model the new version joins ('' to track without registering)")
    p.add_argument("--alias", default=s.model_alias, help="registry alias moved to the new version")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--seed", type=int, default=s.seed)
    p.add_argument("--iterations", type=int, default=d.iterations)
    p.add_argument("--learning-rate", type=float, default=d.learning_rate)
    p.add_argument("--depth", type=int, default=d.depth)
    p.add_argument("--border-count", type=int, default=d.border_count)
    p.add_argument("--l2-leaf-reg", type=float, default=d.l2_leaf_reg)
    p.add_argument("--rsm", type=float, default=d.rsm, help="share of features tried per split (0, 1]")
    p.add_argument("--subsample", type=float, default=d.subsample, help="Bernoulli row share per tree (0, 1]")
    p.add_argument("--early-stopping-rounds", type=int, default=d.early_stopping_rounds)
    p.add_argument("--eval-metric", default=d.eval_metric, choices=["Logloss", "AUC"],
                   help="metric each fold early-stops on")
    p.add_argument("--stopping-holdout", type=float, default=d.stopping_holdout,
                   help="share of each training fold held out to early-stop on (0: the validation fold itself, "
                        "the public kernel's protocol, which flatters the out-of-fold figures)")
    p.add_argument("--fold-refit", action="store_true",
                   help="refit each fold on its whole training part after early stopping (2× CV time)")
    p.add_argument("--monotone-external-scores", action="store_true",
                   help="risk may only fall as EXT_SOURCE_* rise (CatBoost monotone constraints; ~3× slower)")
    p.add_argument("--threads", type=int, default=d.thread_count)
    p.add_argument("--bag-size", type=int, default=d.bag_size,
                   help="CatBoost seeds averaged into the model (seed-bagging; time grows with it)")
    p.add_argument("--population-features", default=",".join(DEFAULT_POPULATION_FEATURES),
                   help=f"feature groups fitted on the training clients, comma-separated, of {sorted(GROUPS)} "
                        "('' for none)")
    p.add_argument("--neighbours", type=int, default=DEFAULT_NEIGHBOURS,
                   help="training clients averaged by the neighbour default rate")
    p.add_argument("--class-weights", choices=["none", "balanced", "compare"], default=DEFAULT_CLASS_WEIGHTS,
                   help="'compare' cross-validates both and keeps the lower nested cost (doubles CV time)")
    p.add_argument("--baseline-max-rows", type=int, default=TrainConfig.baseline_max_rows,
                   help="logistic baseline fits on at most this many clients per training fold")
    p.add_argument("--cost-fn", type=float, default=s.cost_fn, help="cost of a missed defaulter")
    p.add_argument("--cost-fp", type=float, default=s.cost_fp, help="cost of a refused good client")
    p.add_argument("--no-children", action="store_true", help="application table features only")
    p.add_argument("--no-baselines", action="store_true")
    p.add_argument("--no-scale-params", action="store_true",
                   help="never apply the large-data profile (lr 0.12, 400 iterations, rsm/subsample 0.5)")
    p.add_argument("--refer-share", type=float, default=s.refer_share,
                   help="referral band: where the expected costs of granting and refusing differ by less "
                        "than this share (0: no band)")
    p.add_argument("--exclude", default=",".join(s.excluded_attributes),
                   help="protected attributes kept out of the model's inputs, comma-separated ('' for none)")
    a = p.parse_args(argv)
    if not 0 <= a.refer_share < 1:
        p.error("--refer-share must be in [0, 1)")
    if a.folds < 2:
        p.error("--folds must be at least 2")
    if a.iterations < 1 or a.depth < 1 or a.learning_rate <= 0 or a.border_count < 1 or a.threads < 1:
        p.error("--iterations, --depth, --border-count, --threads and --learning-rate must be positive")
    if a.bag_size < 1 or a.neighbours < 1:
        p.error("--bag-size and --neighbours must be positive")
    groups = tuple(g.strip() for g in a.population_features.split(",") if g.strip())
    if set(groups) - set(GROUPS):
        p.error(f"--population-features: unknown groups {sorted(set(groups) - set(GROUPS))}; known: {sorted(GROUPS)}")
    if not (0 < a.rsm <= 1 and 0 < a.subsample <= 1):
        p.error("--rsm and --subsample must be in (0, 1]")
    if not 0 <= a.stopping_holdout < 1:
        p.error("--stopping-holdout must be in [0, 1)")
    if a.early_stopping_rounds < 1 or a.baseline_max_rows < 100 or a.l2_leaf_reg < 0:
        p.error("--early-stopping-rounds must be positive, --baseline-max-rows at least 100, "
                "--l2-leaf-reg non-negative")
    try:
        weights = CostWeights(fn=a.cost_fn, fp=a.cost_fp)
        check_alias(a.alias)
        if a.registry_name:
            check_name(a.registry_name)
    except (ValueError, RegistryError) as exc:
        p.error(str(exc))
    return TrainConfig(
        data_dir=a.data_dir, model_dir=a.model_dir, tracking_uri=a.tracking_uri or None,
        params=d.with_(iterations=a.iterations, learning_rate=a.learning_rate, depth=a.depth,
                       border_count=a.border_count, thread_count=a.threads, l2_leaf_reg=a.l2_leaf_reg,
                       rsm=a.rsm, subsample=a.subsample, early_stopping_rounds=a.early_stopping_rounds,
                       eval_metric=a.eval_metric, bag_size=a.bag_size, stopping_holdout=a.stopping_holdout,
                       fold_refit=a.fold_refit,
                       monotone_decreasing=feats.EXTERNAL_SCORES if a.monotone_external_scores else ()),
        weights=weights, folds=a.folds, seed=a.seed, class_weights=a.class_weights,
        include_children=not a.no_children, baselines=not a.no_baselines,
        baseline_max_rows=a.baseline_max_rows, scale_params=not a.no_scale_params,
        refer_share=a.refer_share, excluded_attributes=tuple(n.strip() for n in a.exclude.split(",") if n.strip()),
        population_features=groups, neighbours=a.neighbours,
        registry_name=a.registry_name, alias=a.alias, artifact_root=s.mlflow_artifact_root,
    )


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_args(argv)
    try:
        result = train(config)
    except (DataError, ArtifactError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in result.metrics.items() if not isinstance(v, list)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
