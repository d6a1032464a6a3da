"""The numbers of the note's validation section, computed from the artifact's arrays.

Discrimination, calibration before and after the calibration map, the master scale, the
referral band, stability (PSI) and the per-group calibration, all on the **cross-fitted
out-of-fold** PDs of ``oof.parquet`` (stability on ``scores.parquet`` and
``population.parquet``: training clients against new applications). The statistics come from
:mod:`model.validation` (scikit-learn for the ROC curve, SciPy for the chi² and normal
tails, statsmodels for the calibration intercept and slope) and :mod:`model.grades`; this module
only chooses what to measure on which clients and gathers the results in :class:`Validation`.

:func:`log_validation` writes the headline metrics to the model's MLflow run, when there is one.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model import validation as val
from model.artifact import ModelMetadata
from model.decision import REFER, DecisionRule
from model.grades import MasterScale, jeffreys_rejections
from model.registry import mlflow_uri

#: Equal-frequency bins of the reliability tables and of every ECE in the section.
RELIABILITY_BINS = 10
#: Groups of the Hosmer-Lemeshow test.
HL_GROUPS = 10
#: Bootstrap replicates of the AUC interval (stratified, fixed seed: the note is reproducible).
AUC_BOOTSTRAP = 1000
AUC_SEED = 0
#: Level of the Jeffreys test of the grades, before the Bonferroni correction.
JEFFREYS_ALPHA = 0.05
#: Features whose PSI is stated, by global importance.
PSI_FEATURES = 20
#: Bins of every PSI.
PSI_BINS = 10
#: The PSI readings of :func:`model.validation.psi_band`: moderate from, significant from.
PSI_MODERATE, PSI_SIGNIFICANT = 0.10, 0.25
#: Metric names written to the MLflow run, each under this prefix (``validation.auc``...), so
#: that training's own ``auc`` metric keeps its history.
MLFLOW_PREFIX = "validation."


@dataclass(frozen=True)
class ReliabilityRow:
    """One equal-frequency bin of a reliability table."""

    n: int
    mean_pd: float
    observed_rate: float

    @property
    def gap(self) -> float:
        """Predicted minus observed: positive when the PD over-states the risk."""
        return self.mean_pd - self.observed_rate


@dataclass(frozen=True)
class GradeRow:
    grade: str
    pd_lower: float
    pd_upper: float
    clients: int
    defaults: int
    mean_pd: float
    default_rate: float
    jeffreys_p: float
    rejected: bool                   # PD underestimated at JEFFREYS_ALPHA after Bonferroni


@dataclass(frozen=True)
class PsiRow:
    name: str                        # a feature's code, or "PROBABILITY" for the score
    psi: float | None                # None: nothing to compare (no value on one side)
    band: val.PsiBand | None
    missing_reference: float         # share of missing values among the training clients
    missing_new: float               # among the new applications
    categorical: bool


@dataclass(frozen=True)
class GroupCalibration:
    """Calibration of one group: mean PD against observed rate, ECE, share of each grade."""

    group: str
    n: int
    n_defaults: int
    mean_pd: float | None
    default_rate: float | None
    ece: float | None
    grade_shares: list[float | None]  # in the order of Validation.grades (None: empty group)


@dataclass(frozen=True)
class Validation:
    # ---- discrimination (calibrated OOF PDs)
    auc: float
    auc_ci_low: float
    auc_ci_high: float
    n_boot: int
    gini: float
    ks: float
    # ---- calibration
    method: str
    method_log_loss: list[tuple[str, float]]   # cross-fitted OOF log-loss of each method tried
    n_bins: int
    reliability_raw: list[ReliabilityRow]
    reliability: list[ReliabilityRow]
    ece_raw: float
    ece: float
    brier_raw: float
    brier: float
    brier_constant: float
    hl_groups: int
    hl_stat: float
    hl_p: float
    spiegelhalter_z: float
    spiegelhalter_p: float
    calibration_intercept: float
    calibration_slope: float
    mean_pd: float
    raw_mean_pd: float
    default_rate: float
    threshold: float                  # cost-optimal, on the calibrated scale
    theoretical_threshold: float      # c_FP / (c_FP + c_FN)
    # ---- grades
    grades: list[GradeRow]
    rejected: list[str]
    alpha: float
    bonferroni_level: float | None
    # ---- referral band
    refer_low: float | None
    refer_high: float | None
    has_band: bool
    refer_n: int
    refer_share: float
    refer_default_rate: float | None
    # ---- stability
    n_reference: int                  # labelled (training) clients
    n_new: int                        # unlabelled clients: new applications
    psi_score: PsiRow | None
    psi_features: list[PsiRow]
    psi_bins: int
    psi_moderate: float
    psi_significant: float
    # ---- groups and excluded attributes
    calibration_by_gender: list[GroupCalibration]
    calibration_by_age: list[GroupCalibration]
    excluded: list[str]
    # ---- MLflow
    mlflow_prefix: str = MLFLOW_PREFIX
    mlflow_logged: bool = False
    mlflow_error: str = ""

    def metrics(self) -> dict[str, float]:
        """The metrics logged to MLflow (without prefix); an undefined one is left out."""
        values = {"auc": self.auc, "auc_ci_low": self.auc_ci_low, "auc_ci_high": self.auc_ci_high,
                  "gini": self.gini, "ks": self.ks, "ece": self.ece, "brier": self.brier, "hl_p": self.hl_p,
                  "spiegelhalter_p": self.spiegelhalter_p, "calibration_slope": self.calibration_slope,
                  "calibration_intercept": self.calibration_intercept,
                  "psi_score": None if self.psi_score is None else self.psi_score.psi,
                  "n_grades": float(len(self.grades)), "refer_share": self.refer_share}
        return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(float(v))}


def _reliability(y: np.ndarray, p: np.ndarray) -> list[ReliabilityRow]:
    return [ReliabilityRow(n, m, r) for m, r, n in val.reliability_curve(y, p, RELIABILITY_BINS)]


def _grades(scale: MasterScale | None) -> tuple[list[GradeRow], list[str]]:
    if scale is None:
        return [], []
    rejected = jeffreys_rejections(scale, JEFFREYS_ALPHA)
    rows = [GradeRow(r["grade"], r["pd_lower"], r["pd_upper"], r["clients"], r["defaults"], r["mean_pd"],
                     r["default_rate"], r["jeffreys_p_value"], r["grade"] in rejected) for r in scale.table()]
    return rows, rejected


def _group_calibration(y: np.ndarray, p: np.ndarray, keys: np.ndarray, order: Sequence[str],
                       grades: np.ndarray | None, labels: Sequence[str]) -> list[GroupCalibration]:
    out = []
    for g in order:
        m = keys == g
        n = int(m.sum())
        if n == 0:
            out.append(GroupCalibration(g, 0, 0, None, None, None, [None for _ in labels]))
            continue
        shares: list[float | None] = ([float(np.mean(grades[m] == label)) for label in labels]
                                      if grades is not None else [])
        out.append(GroupCalibration(g, n, int(y[m].sum()), float(p[m].mean()), float(y[m].mean()),
                                    val.expected_calibration_error(y[m], p[m], RELIABILITY_BINS), shares))
    return out


def _psi_categorical(reference: pd.Series, new: pd.Series) -> float:
    """PSI over the levels (missing counted as a level), empty shares floored like ``val.psi``."""
    ref = reference.astype(object).where(reference.notna(), "\0missing").astype(str)
    cur = new.astype(object).where(new.notna(), "\0missing").astype(str)
    levels = sorted(set(ref) | set(cur))
    e = np.maximum(ref.value_counts(normalize=True).reindex(levels, fill_value=0.0).to_numpy(), val.PSI_EPS)
    a = np.maximum(cur.value_counts(normalize=True).reindex(levels, fill_value=0.0).to_numpy(), val.PSI_EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_row(name: str, reference: pd.Series, new: pd.Series) -> PsiRow:
    """PSI of one column, training clients against new applications.

    A numeric column is compared on its finite values (quantile bins of the training clients,
    :func:`model.validation.psi`) and its missing shares are stated beside; a
    categorical one level by level, a missing value being a level of its own.
    """
    miss_ref, miss_new = float(reference.isna().mean()), float(new.isna().mean())
    categorical = not pd.api.types.is_numeric_dtype(reference) or isinstance(reference.dtype, pd.CategoricalDtype)
    if categorical:
        value: float | None = _psi_categorical(reference, new)
    else:
        r = reference.to_numpy(dtype=np.float64)
        c = new.to_numpy(dtype=np.float64)
        r, c = r[np.isfinite(r)], c[np.isfinite(c)]
        value = val.psi(r, c, PSI_BINS) if r.size and c.size else None
    return PsiRow(name, value, None if value is None else val.psi_band(value), miss_ref, miss_new, categorical)


def compute_validation(oof: pd.DataFrame, metadata: ModelMetadata, scores: pd.DataFrame | None,
                       features: pd.DataFrame | None, feature_order: Sequence[str],
                       group_keys: Mapping[str, tuple[np.ndarray, list[str]]]) -> Validation:
    """The section's numbers.

    ``oof``: ``oof.parquet``; ``scores``: ``scores.parquet`` (None when absent); ``features``: the population's columns
    of ``feature_order`` (the most important first), every client; ``group_keys``: the group of
    each OOF client and the groups' order, by ``"gender"`` and ``"age"``.
    """
    y = oof["TARGET"].to_numpy().astype(np.int64)
    p = oof["PROBABILITY"].to_numpy(dtype=np.float64)
    raw = oof["RAW_PROBABILITY"].to_numpy(dtype=np.float64) if "RAW_PROBABILITY" in oof.columns else p
    cv = metadata.cv_metrics or {}
    chosen = dict(cv.get("chosen", {}))
    weights = metadata.cost_weights

    auc, lo, hi = val.auc_with_ci(y, p, AUC_BOOTSTRAP, AUC_SEED)
    hl_stat, hl_p = val.hosmer_lemeshow(y, p, HL_GROUPS)
    z, z_p = val.spiegelhalter(y, p)
    intercept, slope = val.calibration_intercept_slope(y, p)
    method = str(metadata.calibration.get("method") or chosen.get("calibration") or "none")
    log_losses = sorted(((str(k), float(v)) for k, v in (chosen.get("calibration_log_loss") or {}).items()),
                        key=lambda kv: kv[1])

    scale = MasterScale.from_dict(metadata.master_scale) if metadata.master_scale else None
    grade_rows, rejected = _grades(scale)
    labels = [r.grade for r in grade_rows]
    oof_grades = scale.grades_of(p) if scale is not None else None

    rule = DecisionRule.from_dict(metadata.decision_rule) if metadata.decision_rule else None
    in_band = (rule.decide_all(p) == REFER) if rule is not None else np.zeros(len(p), dtype=bool)

    n_new, n_ref, psi_score, psi_features = 0, len(y), None, []
    if scores is not None:
        labelled = scores["TARGET"].notna().to_numpy()
        n_ref, n_new = int(labelled.sum()), int((~labelled).sum())
        if n_new and n_ref:
            s = scores["PROBABILITY"].astype("float64")
            psi_score = psi_row("PROBABILITY", s[labelled], s[~labelled])
    if features is not None and n_new:
        train = features.index.isin(oof.index)
        if train.any() and (~train).any():
            psi_features = [psi_row(c, features.loc[train, c], features.loc[~train, c])
                            for c in feature_order if c in features.columns]

    gender_keys, gender_order = group_keys["gender"]
    age_keys, age_order = group_keys["age"]
    return Validation(
        auc=auc, auc_ci_low=lo, auc_ci_high=hi, n_boot=AUC_BOOTSTRAP, gini=val.gini(auc), ks=val.ks_statistic(y, p),
        method=method, method_log_loss=log_losses, n_bins=RELIABILITY_BINS,
        reliability_raw=_reliability(y, raw), reliability=_reliability(y, p),
        ece_raw=val.expected_calibration_error(y, raw, RELIABILITY_BINS),
        ece=val.expected_calibration_error(y, p, RELIABILITY_BINS),
        brier_raw=val.brier(y, raw), brier=val.brier(y, p), brier_constant=val.brier_constant(y),
        hl_groups=HL_GROUPS, hl_stat=hl_stat, hl_p=hl_p, spiegelhalter_z=z, spiegelhalter_p=z_p,
        calibration_intercept=intercept, calibration_slope=slope,
        mean_pd=float(p.mean()), raw_mean_pd=float(raw.mean()), default_rate=float(y.mean()),
        threshold=float(metadata.threshold),
        theoretical_threshold=float(weights["fp"]) / (float(weights["fp"]) + float(weights["fn"])),
        grades=grade_rows, rejected=rejected, alpha=JEFFREYS_ALPHA,
        bonferroni_level=JEFFREYS_ALPHA / len(grade_rows) if grade_rows else None,
        refer_low=rule.refer_low if rule else None, refer_high=rule.refer_high if rule else None,
        has_band=rule is not None and rule.refer_low < rule.refer_high,
        refer_n=int(in_band.sum()), refer_share=float(in_band.mean()),
        refer_default_rate=float(y[in_band].mean()) if in_band.any() else None,
        n_reference=n_ref, n_new=n_new, psi_score=psi_score, psi_features=psi_features, psi_bins=PSI_BINS,
        psi_moderate=PSI_MODERATE, psi_significant=PSI_SIGNIFICANT,
        calibration_by_gender=_group_calibration(y, p, gender_keys, gender_order, oof_grades, labels),
        calibration_by_age=_group_calibration(y, p, age_keys, age_order, oof_grades, labels),
        excluded=list(metadata.excluded_attributes),
    )


def log_validation(tracking_uri: str | None, run_id: str | None, metrics: Mapping[str, float]) -> tuple[bool, str]:
    """Log ``metrics`` (each under :data:`MLFLOW_PREFIX`) to the run; ``(logged, error)``.

    No run, no call: without a tracking store nothing is imported, opened or created.
    """
    if not tracking_uri or not run_id:
        return False, ""
    try:
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        # mlflow takes seconds to import: only when there is a run to write to.
        from mlflow.tracking import MlflowClient  # noqa: PLC0415

        client = MlflowClient(tracking_uri=mlflow_uri(tracking_uri))
        for key, value in metrics.items():
            client.log_metric(run_id, f"{MLFLOW_PREFIX}{key}", float(value))
    except Exception as exc:  # a read-only or unreachable store must not stop the report
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return True, ""
