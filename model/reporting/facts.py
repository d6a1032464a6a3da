"""Every figure the methodology note states, read and computed once from its four sources.

The sources are the artifact (``metadata.json`` and its extras ``oof.parquet``,
``population.parquet``, ``global_importance.json``, ``explanations.npz``), the MLflow run of
that model version, the drift summary, and the yardstick's paired comparison with the
reference (:mod:`model.reporting.comparison_facts`), when one is given. :class:`Facts` holds
numbers, flags, names and paths only: the words around them live in the templates (:mod:`model.reporting.render`), so
a wording change cannot change a figure and a new figure cannot hide in a sentence.

Fairness and calibration use the **out-of-fold** probabilities (:mod:`model.monitoring.fairness`
says why). A model trained before ``oof.parquet`` existed is refused with a message naming
the file.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score

from data.schema import MISSING_LEVEL
from model.artifact import (
    EXPLANATIONS_FILE,
    GLOBAL_IMPORTANCE_FILE,
    OOF_FILE,
    POPULATION_FILE,
    SCORES_FILE,
    ArtifactError,
    ModelMetadata,
    load_artifact,
    parquet_frame,
)
from model.calibration import Calibration
from model.cost import Confusion, CostWeights, best_threshold, confusion, cost_curve, cost_per_client
from model.features import CHILD_FEATURES, feature_provenance
from model.importance import GlobalImportance, read_global_importance
from model.monitoring import fairness as fair
from model.monitoring.drift import SUMMARY_FILE, DriftError, load_summary
from model.registry import mlflow_uri
from model.reporting.comparison_facts import (
    YARDSTICK_FILE,
    Comparison,
    YardstickError,
    YardstickFile,
    compute_comparison,
    read_yardstick,
)
from model.reporting.validation_facts import PSI_FEATURES, Validation, compute_validation
from model.train import F_BETA
from settings import ROOT, get_settings

#: Global importance rows shown in the document.
TOP_FEATURES = 15
#: Multipliers of the artifact's missed-default cost in the cost-sensitivity table.
SENSITIVITY_FACTORS = (0.5, 1.0, 2.0)
#: Drifted features listed by name.
TOP_DRIFTED = 10
#: The Kaggle tables in the document's order (the application first, then its history).
TABLES = ("application", "bureau", "bureau_balance", "previous_application", "POS_CASH_balance",
          "installments_payments", "credit_card_balance")
#: CatBoost parameters listed in the cross-validation section, in this order.
SHOWN_PARAMS = ("learning_rate", "depth", "l2_leaf_reg", "border_count", "rsm", "subsample", "one_hot_max_size",
                "max_ctr_complexity", "boosting_type", "class_weights", "eval_metric", "early_stopping_rounds",
                "random_seed")
#: Metrics that must agree between ``metadata.json`` and the MLflow run.
CHECKED_METRICS = ("auc", "threshold", "cost_per_client")
#: Sensitive inputs whose importance rank is stated among the limits.
SENSITIVE_COLUMNS = ("CODE_GENDER", "DAYS_BIRTH", "AGE_YEARS")

TrackingProblem = Literal["not_given", "missing", "no_run", "unreadable"]
DriftProblem = Literal["not_given", "missing", "unreadable"]


class ReportError(RuntimeError):
    """The report cannot be produced from these inputs; the message says what to do."""


def missing(x: Any) -> bool:
    """No value to state: None, NaN or an infinity (the document writes a dash)."""
    return x is None or (isinstance(x, (float, np.floating)) and not math.isfinite(float(x)))


def _opt_float(x: Any) -> float | None:
    """A stored value as a float, or ``None`` when it is absent or not finite (the document writes a dash)."""
    return None if missing(x) else float(x)


def show_path(path: str | Path) -> str:
    """Inside the repository: relative (the document is committed); elsewhere: as is."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def _sqlite_file(uri: str) -> Path | None:
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):])
    return None


def show_uri(uri: str | None) -> str:
    """A tracking URI as the document shows it: a SQLite file in the repository becomes relative."""
    db = _sqlite_file(uri or "")
    return f"sqlite:///{show_path(db)}" if db is not None else str(uri)


# =========================================================================== inputs

@dataclass
class Tracking:
    """What the MLflow store says about this model version (or why it says nothing).

    ``note`` is the English diagnostic (shown as is in the summary); ``problem`` names the
    case so that the French body can say it in its own words.
    """

    uri: str | None
    found: bool
    note: str
    experiment: str | None = None
    run_id: str | None = None
    run_name: str | None = None
    started: datetime | None = None
    status: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    n_runs: int = 0
    problem: TrackingProblem | None = None


def find_run(tracking_uri: str | None, version: str) -> Tracking:
    """The MLflow run that ``model.train`` logged for ``version`` (tag ``model_version``, or run name).

    Never creates a store: opening a missing SQLite file with MLflow would create an empty
    one, and the report would then claim a store that training never wrote.
    """
    if not tracking_uri:
        return Tracking(tracking_uri, False, "no tracking store was given", problem="not_given")
    db = _sqlite_file(tracking_uri)
    local = db if db is not None else (Path(tracking_uri[len("file:"):]) if tracking_uri.startswith("file:")
                                       else (Path(tracking_uri) if "://" not in tracking_uri else None))
    if local is not None and not local.exists():
        return Tracking(tracking_uri, False, f"the tracking store {local} does not exist", problem="missing")
    try:
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        # mlflow takes seconds to import: only when there is a store to read.
        from mlflow.entities import ViewType  # noqa: PLC0415
        from mlflow.tracking import MlflowClient  # noqa: PLC0415

        client = MlflowClient(tracking_uri=mlflow_uri(tracking_uri))
        experiments = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ALL)}
        runs: list[Any] = []
        if experiments:
            for flt in (f"tags.model_version = '{version}'", f"attributes.run_name = '{version}'"):
                runs = client.search_runs(list(experiments), filter_string=flt, run_view_type=ViewType.ALL,
                                          order_by=["attributes.start_time DESC"])
                if runs:
                    break
    except Exception as exc:  # a corrupt or unreachable store must not stop the report
        return Tracking(tracking_uri, False, f"the tracking store could not be read ({type(exc).__name__}: "
                                             f"{str(exc).splitlines()[0] if str(exc) else ''})",
                        problem="unreadable")
    if not runs:
        return Tracking(tracking_uri, False, f"the tracking store holds no run of model version {version}",
                        problem="no_run")
    run = runs[0]
    return Tracking(tracking_uri, True, "", experiment=experiments.get(run.info.experiment_id),
                    run_id=run.info.run_id, run_name=run.info.run_name,
                    started=datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC),
                    status=run.info.status, params=dict(run.data.params), metrics=dict(run.data.metrics),
                    n_runs=len(runs))


@dataclass
class Inputs:
    """The raw material, read once; :func:`compute_facts` turns it into :class:`Facts`."""

    metadata: ModelMetadata
    version_dir: Path
    oof: pd.DataFrame
    groups: pd.DataFrame                 # CODE_GENDER, DAYS_BIRTH (and coverage columns) of the OOF clients
    n_population: int
    population_ids: pd.Index
    importance: GlobalImportance | None
    stored_keep: int | None
    tracking: Tracking
    drift: dict[str, Any] | None
    #: Why there is no drift summary, with the file looked for and the reading error.
    drift_problem: DriftProblem | None = None
    drift_path: str | None = None
    drift_error: str = ""
    #: ``scores.parquet`` (TARGET, PROBABILITY), None when the artifact has none.
    scores: pd.DataFrame | None = None
    #: The population's columns of the most important features (every client), for their PSI.
    psi_features: pd.DataFrame | None = None
    #: The yardstick's paired comparison with the reference (``benchmarks/yardstick.py --json``), if given.
    yardstick: YardstickFile | None = None


def _count_feature(table: str, features: Sequence[str]) -> str | None:
    """The plain row-count feature of a child table (NaN when the client has no row there)."""
    for name in features:
        prov = feature_provenance(name) if name in CHILD_FEATURES else None
        if prov and prov["table"] == table and prov["agg"] == "count" and not prov["subset"] and not prov["window"]:
            return name
    return None


def _read_drift(drift_dir: str | Path | None) -> tuple[dict[str, Any] | None, DriftProblem | None, str | None, str]:
    if drift_dir is None:
        return None, "not_given", None, ""
    path = Path(drift_dir)
    path = path / SUMMARY_FILE if path.is_dir() or not path.suffix else path
    try:
        return load_summary(path), None, None, ""
    except DriftError as exc:
        return None, ("missing" if not path.exists() else "unreadable"), show_path(path), str(exc)


def load_inputs(model_dir: str | Path, tracking_uri: str | None, drift_dir: str | Path | None,
                yardstick: str | Path | None = None) -> Inputs:
    """Read everything the report needs; ReportError when the artifact or the yardstick's file cannot support it.

    ``yardstick``: the file of ``benchmarks/yardstick.py --json`` (None: no paired comparison supplied).
    """
    try:
        ystick = read_yardstick(yardstick) if yardstick is not None else None
    except YardstickError as exc:
        raise ReportError(str(exc)) from None
    try:
        artifact = load_artifact(Path(model_dir))
    except ArtifactError as exc:
        raise ReportError(str(exc)) from None
    meta = artifact.metadata
    oof_path = artifact.extra(OOF_FILE)
    if not oof_path.exists():
        raise ReportError(f"{oof_path} is missing: model {meta.version} was trained before out-of-fold "
                          f"predictions were stored with the model; retrain it (`python -m model.train`) "
                          f"and run the report again")
    try:
        oof = parquet_frame(oof_path)
    except Exception as exc:
        raise ReportError(f"{oof_path} cannot be read ({exc}); retrain the model") from None
    lacking = {"TARGET", "PROBABILITY", "FOLD"} - set(oof.columns)
    if lacking or oof.empty:
        raise ReportError(f"{oof_path} is not an out-of-fold file (lacking {sorted(lacking) or 'rows'}); "
                          f"retrain the model")
    pop_path = artifact.extra(POPULATION_FILE)
    if not pop_path.exists():
        raise ReportError(f"{pop_path} is missing (gender and age of the clients); retrain the model")
    coverage = [c for c in (_count_feature(t, meta.features) for t in TABLES) if c]
    try:
        available = set(pq.ParquetFile(pop_path).schema_arrow.names)
        wanted = [c for c in ("CODE_GENDER", "DAYS_BIRTH", *coverage) if c in available]
        if not {"CODE_GENDER", "DAYS_BIRTH"} <= set(wanted):
            raise ReportError(f"{pop_path} lacks CODE_GENDER or DAYS_BIRTH; the fairness tables need both")
        population = parquet_frame(pop_path, columns=wanted)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ReportError(f"{pop_path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    groups = population.reindex(oof.index)

    try:
        importance = read_global_importance(artifact.extra(GLOBAL_IMPORTANCE_FILE))
    except ArtifactError:
        importance = None     # the note says no importance is available, as for a missing file
    keep = None
    exp_path = artifact.extra(EXPLANATIONS_FILE)
    if exp_path.exists():
        with np.load(exp_path) as z:
            keep = int(z["index"].shape[1] // 2)

    scores_path = artifact.extra(SCORES_FILE)
    scores = None
    if scores_path.exists():
        scores = parquet_frame(scores_path, columns=["TARGET", "PROBABILITY"])
    ranked = [r.feature for r in importance.importance] if importance else []
    psi_columns = [c for c in ranked if c in available][:PSI_FEATURES]
    psi_frame = parquet_frame(pop_path, columns=psi_columns) if psi_columns else None

    drift, problem, drift_path, drift_error = _read_drift(drift_dir)
    return Inputs(meta, artifact.path, oof, groups, len(population), population.index, importance, keep,
                  find_run(tracking_uri, meta.version), drift, problem, drift_path, drift_error,
                  scores, psi_frame, ystick)


# =========================================================================== facts

@dataclass(frozen=True)
class FoldFacts:
    number: int                      # from 1, as the document counts folds
    n: int
    defaults: int
    auc: float | None
    cost: float
    best_iteration: int | None


@dataclass(frozen=True)
class TableFacts:
    table: str
    n_features: int
    coverage: float | None           # share of the labelled clients with a row in the table


@dataclass(frozen=True)
class Coverage:
    table: str
    share: float                     # of the labelled clients with a row in the table


@dataclass(frozen=True)
class SubsetFacts:
    tables: list[str]
    name: str
    rule: str


@dataclass(frozen=True)
class CandidateFacts:
    key: str
    chosen: bool
    auc: float | None
    auc_fold_mean: float | None
    auc_fold_std: float | None
    threshold: float | None
    cost: float | None
    cost_nested: float | None
    recall: float | None
    precision: float | None
    f_beta: float | None
    refusal_rate: float | None


@dataclass(frozen=True)
class VersusLogistic:
    auc_gain: float                  # chosen AUC minus the logistic regression's
    gain_in_se: float                # |gain| in standard errors of an AUC
    nested_saving: float             # logistic nested cost minus the chosen model's (NaN when unknown)


@dataclass(frozen=True)
class SensitivityFacts:
    factor: float
    fn_cost: float
    threshold: float
    cost: float
    refusal_rate: float


@dataclass(frozen=True)
class TopFeature:
    rank: int
    name: str
    table: str
    mean_abs_shap: float
    share: float


@dataclass(frozen=True)
class GroupGap:
    """The groups with the lowest and highest refusal rate (of those large enough to compare)."""

    low: fair.GroupMetrics
    high: fair.GroupMetrics
    ratio: float                     # approval-rate ratio, lowest / highest
    above_four_fifths: bool
    refusal_x: float | None          # high refusal rate / low one
    default_x: float | None          # same for the observed default rates


@dataclass(frozen=True)
class MetricCheck:
    key: str
    recorded: float | None           # metadata.json
    logged: float | None             # MLflow
    agrees: bool


@dataclass(frozen=True)
class DriftedFeature:
    label: str
    test: str
    score: float | None
    threshold: float | None


@dataclass(frozen=True)
class DriftFacts:
    generated_at: datetime | None
    reference_rows: float | None
    reference_table: str | None
    current_rows: float | None
    current_table: str | None
    n_tested: float | None
    importance_share_tested: float | None
    n_drifted: float | None
    share_drifted: float | None
    dataset_drift: bool
    dataset_drift_share: float | None
    model_version: str | None
    stale: bool                      # computed for another model version
    drifted: list[DriftedFeature]
    on_scoring_log: bool


@dataclass(frozen=True)
class Facts:
    """Everything the document states, computed once; the templates only format and word it."""

    # ---- model and sources
    version: str
    version_dir: str
    created_at: datetime
    data_dir: str | None
    data_fingerprint: str
    is_demo: bool
    generated_at: datetime
    include_children: bool
    n_features: int
    n_app_features: int
    n_child_features: int
    library_versions: list[tuple[str, str]]
    # ---- data
    n: int
    n_defaults: int
    default_share: float
    n_unlabelled: int
    tables: list[TableFacts]
    subsets: list[SubsetFacts]
    lowest_coverage: Coverage                # the table that covers the fewest labelled clients
    n_categorical: int
    n_app_derived: int
    n_combined: int
    one_hot_max_size: float | None
    missing_level: str
    # ---- cross-validation
    class_weights: str | None                # as chosen at training
    balanced: bool                           # class weights `balanced` (chosen, else the model's parameter)
    folds: list[FoldFacts]
    random_seed: float | None
    iterations_cap: float | None             # from the MLflow run
    eval_metric: str | None
    early_stopping_rounds: float | None
    #: Share of each training part held out to early-stop on (None or 0: the validation fold itself).
    stopping_holdout: float | None
    cv_seconds: float | None
    refit_iterations: float | None
    refit_ratio: float | None                # refit iterations / mean best iteration of the folds
    catboost_params: list[tuple[str, str]]
    # ---- cost and threshold
    weights: CostWeights
    threshold: float
    threshold_recomputed: float
    threshold_reproduced: bool               # recomputed from oof.parquet, equal to metadata.json's
    cost: float
    cost_nested: float | None
    cost_nested_std: float | None
    cost_grant_all: float | None
    cost_refuse_all: float | None
    conf: Confusion
    sensitivity: list[SensitivityFacts]
    cost_curve: tuple[np.ndarray, np.ndarray]
    # ---- metrics
    auc: float
    auc_se: float
    auc_fold_mean: float | None
    auc_fold_std: float | None
    f_beta: float
    candidates: list[CandidateFacts]
    has_baselines: bool
    versus_logistic: VersusLogistic | None
    # ---- interpretability
    top_features: list[TopFeature]
    children_share: float | None
    n_reference: float | None
    base_probability: float | None           # sigma(base): the raw model's probability at the SHAP base value
    base_pd: float | None                    # the same through the calibration: the PD the cascade starts from
    stored_keep: int | None
    sensitive_ranks: list[tuple[str, int]]
    # ---- fairness
    by_gender: list[fair.GroupMetrics]
    by_age: list[fair.GroupMetrics]
    overall: fair.GroupMetrics
    gender_ratio: float | None
    age_ratio: float | None
    gender_gap: GroupGap | None
    age_gap: GroupGap | None
    small_groups: list[fair.GroupMetrics]    # no AUC, some clients
    empty_groups: list[str]                  # no labelled client
    min_auc_clients: int
    min_auc_class: int
    four_fifths: float
    missing_group: str
    # ---- calibration and validation (calibrated out-of-fold PDs)
    mean_probability: float
    brier: float
    brier_prior: float
    brier_above_prior: bool                  # worse than a constant prediction at the default rate
    ece: float
    validation: Validation
    # ---- paired comparison with the reference (benchmarks/yardstick.py)
    comparison: Comparison | None             # None: no yardstick file was supplied
    yardstick_file: str                       # where the report looks for one by default
    # ---- drift and tracking
    drift: DriftFacts | None
    drift_problem: DriftProblem | None
    drift_path: str | None
    drift_error: str
    tracking: Tracking
    tracking_location: str
    tracking_checks: list[MetricCheck]
    tracking_times: list[tuple[str, float]]
    run_params: list[tuple[str, str]]


def _table_order(table: str) -> int:
    return TABLES.index(table) if table in TABLES else len(TABLES)


def _merge_subsets(found: dict[tuple[str, str], str]) -> list[SubsetFacts]:
    """One row per (name, rule), listing every table whose features use it (bureau_balance
    features restricted to active bureau loans use bureau's ACTIVE rule)."""
    tables: dict[tuple[str, str], list[str]] = {}
    for (table, name), rule in found.items():
        tables.setdefault((name, rule), []).append(table)
    rows = [(sorted(ts, key=_table_order), name, rule) for (name, rule), ts in tables.items()]
    rows.sort(key=lambda r: (_table_order(r[0][0]), r[1]))
    return [SubsetFacts(ts, name, rule) for ts, name, rule in rows]


def _folds(y: np.ndarray, p: np.ndarray, fold: np.ndarray, threshold: float, weights: CostWeights,
           best: Sequence[int]) -> list[FoldFacts]:
    out = []
    for i, k in enumerate(np.unique(fold)):
        m = fold == k
        out.append(FoldFacts(int(k) + 1, int(m.sum()), int(y[m].sum()),
                             float(roc_auc_score(y[m], p[m])) if len(np.unique(y[m])) == 2 else None,
                             cost_per_client(y[m], p[m], threshold, weights), best[i] if i < len(best) else None))
    return out


@dataclass
class _FeatureCounts:
    per_table: dict[str, int] = field(default_factory=dict)
    categorical: int = 0
    app_derived: int = 0
    combined: int = 0
    subsets: dict[tuple[str, str], str] = field(default_factory=dict)


def _feature_counts(features: Sequence[str]) -> _FeatureCounts:
    c = _FeatureCounts()
    for name in features:
        prov = feature_provenance(name)
        c.per_table[prov["table"]] = c.per_table.get(prov["table"], 0) + 1
        c.categorical += bool(prov["categorical"])
        c.app_derived += prov["agg"] == "derived"
        c.combined += prov["agg"] == "ratio"
        if prov["subset"] and prov["subset_rule"]:
            c.subsets[(prov["table"], prov["subset"])] = prov["subset_rule"]
        if prov["window"] and prov["window_rule"]:
            c.subsets[(prov["table"], prov["window"])] = prov["window_rule"]
    return c


def _coverage(inputs: Inputs) -> list[tuple[str, float]]:
    # The application row of every labelled client must be in population.parquet: a check, shown as coverage.
    out = [("application", float(inputs.groups.index.isin(inputs.population_ids).mean()))]
    for table in TABLES:
        col = _count_feature(table, inputs.metadata.features)
        if col and col in inputs.groups.columns:
            out.append((table, float(inputs.groups[col].notna().mean())))
    return out


def _extremes(rows: Sequence[fair.GroupMetrics], attr: str) -> tuple[fair.GroupMetrics, fair.GroupMetrics] | None:
    big = [r for r in rows if r.n >= fair.MIN_AUC_CLIENTS and getattr(r, attr) is not None]
    if len(big) < 2:
        return None
    return min(big, key=lambda r: getattr(r, attr)), max(big, key=lambda r: getattr(r, attr))


def _gap(rows: Sequence[fair.GroupMetrics], ratio: float | None) -> GroupGap | None:
    ext = _extremes(rows, "refusal_rate")
    if ratio is None or ext is None:
        return None
    a, b = ext
    assert a.refusal_rate is not None and b.refusal_rate is not None   # _extremes kept only those
    return GroupGap(a, b, ratio, ratio >= fair.FOUR_FIFTHS,
                    b.refusal_rate / a.refusal_rate if a.refusal_rate else None,
                    b.default_rate / a.default_rate if a.default_rate and b.default_rate is not None else None)


def _sensitivity(y: np.ndarray, p: np.ndarray, weights: CostWeights) -> list[SensitivityFacts]:
    out = []
    for factor in SENSITIVITY_FACTORS:
        w = CostWeights(fn=weights.fn * factor, fp=weights.fp)
        choice = best_threshold(y, p, w)
        out.append(SensitivityFacts(factor, weights.fn * factor, choice.threshold, choice.cost_per_client,
                                    float(np.mean(p >= choice.threshold))))
    return out


def _importance(imp: GlobalImportance | None) -> tuple[list[TopFeature], float | None, float | None]:
    """Top features, the child tables' share of the importance, and the base probability σ(base)."""
    top: list[TopFeature] = []
    children_share, base_p = None, None
    if imp and imp.importance:
        rows = imp.importance
        total = sum(r.mean_abs_shap for r in rows) or 1.0
        child = set(CHILD_FEATURES)
        children_share = sum(r.mean_abs_shap for r in rows if r.feature in child) / total
        for i, r in enumerate(rows[:TOP_FEATURES]):
            top.append(TopFeature(i + 1, r.feature, feature_provenance(r.feature)["table"],
                                  r.mean_abs_shap, r.mean_abs_shap / total))
        if imp.base_log_odds is not None:
            base_p = float(1.0 / (1.0 + math.exp(-imp.base_log_odds)))
    return top, children_share, base_p


def _candidates(candidates: dict[str, dict[str, Any]], class_weights: Any) -> list[CandidateFacts]:
    return [CandidateFacts(key, key == f"catboost_{class_weights}", *(_opt_float(m.get(k)) for k in (
        "auc", "auc_fold_mean", "auc_fold_std", "threshold", "cost_per_client", "cost_per_client_nested", "recall",
        "precision", "f_beta", "refusal_rate"))) for key, m in candidates.items()]


def _versus_logistic(candidates: dict[str, dict[str, Any]], chosen: dict[str, Any], auc: float,
                     auc_se: float) -> VersusLogistic | None:
    logistic = candidates.get("logistic")
    if logistic is None or missing(logistic.get("auc")):
        return None
    gain = auc - float(logistic["auc"])
    saving = (float(logistic.get("cost_per_client_nested", float("nan")))
              - float(chosen.get("cost_per_client_nested", float("nan"))))
    return VersusLogistic(gain, abs(gain) / auc_se, saving)


def _drift(d: dict[str, Any] | None, version: str) -> DriftFacts | None:
    if d is None:
        return None
    ref, cur, sel = d.get("reference", {}), d.get("current", {}), d.get("selection", {})
    gen = d.get("generated_at")
    mv = sel.get("model_version")
    drifted = [DriftedFeature(str(x.get("label_fr") or x.get("feature")), str(x.get("test")),
                              _opt_float(x.get("score")), _opt_float(x.get("threshold")))
               for x in (d.get("drifted_features") or [])[:TOP_DRIFTED]]
    return DriftFacts(
        generated_at=datetime.fromisoformat(gen) if gen else None,
        reference_rows=_opt_float(ref.get("rows")), reference_table=ref.get("table", ref.get("kind")),
        current_rows=_opt_float(cur.get("rows")), current_table=cur.get("table", cur.get("kind")),
        n_tested=_opt_float(d.get("n_features_tested")),
        importance_share_tested=_opt_float(sel.get("importance_share_tested")),
        n_drifted=_opt_float(d.get("n_drifted")), share_drifted=_opt_float(d.get("share_drifted")),
        dataset_drift=bool(d.get("dataset_drift")), dataset_drift_share=_opt_float(d.get("dataset_drift_share")),
        model_version=mv, stale=bool(mv and mv != version), drifted=drifted,
        on_scoring_log=cur.get("kind") in ("scoring_log", "score_store"))


def _checks(tr: Tracking, chosen: dict[str, Any], threshold: float) -> list[MetricCheck]:
    out = []
    for key, value in (("auc", chosen.get("auc")), ("threshold", threshold),
                       ("cost_per_client", chosen.get("cost_per_client"))):
        logged = tr.metrics.get(key)
        ok = logged is not None and value is not None and math.isclose(logged, float(value), rel_tol=1e-9)
        out.append(MetricCheck(key, _opt_float(value), logged, ok))
    return out


def _calibrated(calibration: dict[str, Any], p: float | None) -> float | None:
    """``p`` through the model's calibration map (as is without one)."""
    if p is None:
        return None
    return Calibration.from_dict(calibration).apply_one(p) if calibration else p


def _keys(groups: pd.Series) -> np.ndarray:
    """Each client's group as text, a missing value as :data:`fair.MISSING_GROUP` (as the fairness tables)."""
    return np.asarray(groups.astype(object).where(groups.notna(), fair.MISSING_GROUP).astype(str).to_numpy())


def compute_facts(inputs: Inputs, now: datetime | None = None) -> Facts:
    """Every number of the document from the inputs: the one place where a figure is computed."""
    meta, tr, params = inputs.metadata, inputs.tracking, inputs.metadata.params
    oof = inputs.oof
    y = oof["TARGET"].to_numpy().astype(np.int8)
    p = oof["PROBABILITY"].to_numpy(dtype=np.float64)
    fold = oof["FOLD"].to_numpy()
    weights = CostWeights(**meta.cost_weights)
    t = float(meta.threshold)
    cv = meta.cv_metrics or {}
    chosen = dict(cv.get("chosen", {}))
    candidates = dict(cv.get("candidates", {}))
    n, n_def = len(y), int(y.sum())

    auc = float(roc_auc_score(y, p))
    auc_se = fair.auc_standard_error(auc, n_def, n - n_def)
    folds = _folds(y, p, fold, t, weights, chosen.get("best_iterations") or [])
    best = [b.best_iteration for b in folds if b.best_iteration is not None]
    refit = chosen.get("refit_iterations") or params.get("iterations")
    cap = tr.params.get("iterations") if tr.found else None
    counts = _feature_counts(meta.features)
    per_table = sorted(counts.per_table.items(), key=lambda kv: _table_order(kv[0]))
    coverage = _coverage(inputs)
    cov = dict(coverage)

    by_gender = fair.metrics_by_group(y, p, inputs.groups["CODE_GENDER"], t, weights)
    by_age = fair.metrics_by_group(y, p, fair.age_bands(inputs.groups["DAYS_BIRTH"].to_numpy()), t, weights)
    gender_ratio, age_ratio = fair.approval_rate_ratio(by_gender), fair.approval_rate_ratio(by_age)
    no_auc = [r for r in (*by_gender, *by_age) if r.auc is None]

    gender_keys = _keys(inputs.groups["CODE_GENDER"])
    ages = fair.age_bands(inputs.groups["DAYS_BIRTH"].to_numpy())
    validation = compute_validation(
        oof, meta, inputs.scores, inputs.psi_features,
        list(inputs.psi_features.columns) if inputs.psi_features is not None else [],
        {"gender": (gender_keys, [r.group for r in by_gender]),
         "age": (_keys(pd.Series(ages, index=inputs.groups.index)), [r.group for r in by_age])})
    top, children_share, base_p = _importance(inputs.importance)
    recomputed = best_threshold(y, p, weights).threshold
    brier, brier_prior = validation.brier, validation.brier_constant
    n_app = sum(k for tb, k in per_table if tb == "application")
    rank_of = {row.feature: i + 1 for i, row in enumerate(inputs.importance.importance if inputs.importance else [])}
    demo_dir = get_settings().demo_dir
    return Facts(
        version=meta.version, version_dir=show_path(inputs.version_dir),
        created_at=datetime.fromisoformat(meta.created_at),
        data_dir=show_path(meta.data_dir) if meta.data_dir else None, data_fingerprint=meta.data_fingerprint,
        is_demo=bool(meta.data_dir) and Path(meta.data_dir).resolve() == Path(demo_dir).resolve(),
        generated_at=now or datetime.now(UTC), include_children=meta.include_children,
        n_features=len(meta.features), n_app_features=n_app, n_child_features=len(meta.features) - n_app,
        library_versions=[(k, str(v)) for k, v in sorted(meta.library_versions.items())],
        n=n, n_defaults=n_def, default_share=n_def / n, n_unlabelled=inputs.n_population - n,
        tables=[TableFacts(tb, k, cov.get(tb)) for tb, k in per_table],
        subsets=_merge_subsets(counts.subsets), lowest_coverage=Coverage(*min(coverage, key=lambda kv: kv[1])),
        n_categorical=counts.categorical, n_app_derived=counts.app_derived,
        n_combined=counts.combined, one_hot_max_size=_opt_float(params.get("one_hot_max_size")),
        missing_level=MISSING_LEVEL,
        class_weights=chosen.get("class_weights"),
        balanced=str(chosen.get("class_weights") or params.get("class_weights", "")) == "balanced",
        folds=folds, random_seed=_opt_float(params.get("random_seed")),
        iterations_cap=float(cap) if cap else None, eval_metric=params.get("eval_metric"),
        early_stopping_rounds=_opt_float(params.get("early_stopping_rounds")),
        stopping_holdout=_opt_float(params.get("stopping_holdout")),
        cv_seconds=_opt_float(chosen.get("cv_seconds")), refit_iterations=_opt_float(refit),
        refit_ratio=(refit / float(np.mean(best))) if best and refit else None,
        catboost_params=[(k, str(params[k])) for k in SHOWN_PARAMS if k in params],
        weights=weights, threshold=t, threshold_recomputed=recomputed, threshold_reproduced=recomputed == t,
        cost=cost_per_client(y, p, t, weights), cost_nested=_opt_float(chosen.get("cost_per_client_nested")),
        cost_nested_std=_opt_float(chosen.get("cost_nested_fold_std")),
        cost_grant_all=_opt_float(chosen.get("cost_grant_all")),
        cost_refuse_all=_opt_float(chosen.get("cost_refuse_all")),
        conf=confusion(y, p, t), sensitivity=_sensitivity(y, p, weights), cost_curve=cost_curve(y, p, weights),
        auc=auc, auc_se=auc_se, auc_fold_mean=_opt_float(chosen.get("auc_fold_mean")),
        auc_fold_std=_opt_float(chosen.get("auc_fold_std")), f_beta=F_BETA,
        candidates=_candidates(candidates, chosen.get("class_weights")),
        has_baselines=any(not k.startswith("catboost") for k in candidates),
        versus_logistic=_versus_logistic(candidates, chosen, auc, auc_se),
        top_features=top, children_share=children_share,
        n_reference=_opt_float(inputs.importance.n_reference if inputs.importance else None), base_probability=base_p,
        base_pd=_calibrated(meta.calibration, base_p),
        stored_keep=inputs.stored_keep,
        sensitive_ranks=[(c, rank_of[c]) for c in SENSITIVE_COLUMNS if c in rank_of],
        by_gender=by_gender, by_age=by_age, overall=fair.group_metrics(y, p, t, weights, name="all"),
        gender_ratio=gender_ratio, age_ratio=age_ratio,
        gender_gap=_gap(by_gender, gender_ratio), age_gap=_gap(by_age, age_ratio),
        small_groups=[r for r in no_auc if r.n > 0], empty_groups=[r.group for r in no_auc if r.n == 0],
        min_auc_clients=fair.MIN_AUC_CLIENTS, min_auc_class=fair.MIN_AUC_CLASS, four_fifths=fair.FOUR_FIFTHS,
        missing_group=fair.MISSING_GROUP,
        mean_probability=float(p.mean()), brier=brier, brier_prior=brier_prior,
        brier_above_prior=brier > brier_prior, ece=validation.ece, validation=validation,
        comparison=(compute_comparison(inputs.yardstick, meta, show_path(inputs.yardstick.path))
                    if inputs.yardstick is not None else None),
        yardstick_file=show_path(YARDSTICK_FILE),
        drift=_drift(inputs.drift, meta.version), drift_problem=inputs.drift_problem, drift_path=inputs.drift_path,
        drift_error=inputs.drift_error,
        tracking=tr, tracking_location=show_uri(tr.uri), tracking_checks=_checks(tr, chosen, meta.threshold),
        tracking_times=sorted((k[len("time."):], v) for k, v in tr.metrics.items() if k.startswith("time.")),
        run_params=sorted(tr.params.items()),
    )
