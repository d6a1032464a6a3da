"""Model card and methodology note, written from the current artifact: ``docs/methodology.md``.

    python -m model.reporting [--model-dir artifacts/model] [--tracking-uri sqlite:///mlflow.db]
                           [--drift-dir reports] [--out docs/methodology.md] [--figures docs/figures]

Why generated: a methodology note typed by hand goes stale the day the model is retrained,
and a model-risk reviewer cannot tell which figure belongs to which model. Here every
number comes, through code, from one of four sources: the artifact's ``metadata.json`` and
extras (``oof.parquet``, ``population.parquet``, ``global_importance.json``,
``explanations.npz``), the MLflow run of that model version, and the drift summary. The
templates hold words only; numbers are formatted with :mod:`model.text.labels` (French in
the body, English in the summary).

Fairness and calibration use the **out-of-fold** probabilities (:mod:`model.monitoring.fairness` says
why). A model trained before ``oof.parquet`` existed is refused with a message naming the
file; nothing is written then. The document and the figures are written to temporary
files and renamed, so a failure never leaves half a report.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.artifact import (
    EXPLANATIONS_FILE,
    GLOBAL_IMPORTANCE_FILE,
    OOF_FILE,
    POPULATION_FILE,
    ArtifactError,
    ModelMetadata,
    load_artifact,
)
from model.cost import CostWeights, best_threshold, confusion, cost_curve, cost_per_client
from model.estimator import MISSING_LEVEL
from model.features import CHILD_FEATURES, feature_provenance
from model.monitoring import fairness as fair
from model.text.formatting import format_date, format_number, format_percent
from model.text.labels import feature_label, level_label
from model.text.languages import Lang
from model.text.strings import french_spacing
from settings import ROOT, get_settings

#: Global importance rows shown in the document.
TOP_FEATURES = 15
#: Bins of the calibration curve (quantile bins).
CALIBRATION_BINS = 10
#: Multipliers of the artifact's missed-default cost in the cost-sensitivity table.
SENSITIVITY_FACTORS = (0.5, 1.0, 2.0)
#: Drifted features listed by name.
TOP_DRIFTED = 10
CALIBRATION_FIGURE = "calibration.png"
COST_FIGURE = "cost_threshold.png"
DASH = "—"

#: How each Kaggle table reaches one row per client (words only; the counts are computed).
_TABLE_ROLE = {
    "application": ("la demande elle-même : une ligne par client (`SK_ID_CURR`)",
                    "the application itself: one row per client"),
    "bureau": ("crédits déclarés par d'autres établissements, agrégés par `SK_ID_CURR`",
               "loans reported by other lenders, aggregated per client"),
    "bureau_balance": ("statuts mensuels de ces crédits, rattachés par `SK_ID_BUREAU` puis agrégés par crédit "
                       "et par client", "monthly statuses of those loans, joined on SK_ID_BUREAU"),
    "previous_application": ("demandes précédentes chez Home Credit, agrégées par `SK_ID_CURR`",
                             "previous Home Credit applications"),
    "POS_CASH_balance": ("relevés mensuels des prêts antérieurs (achats et espèces), agrégés par client",
                         "monthly balances of previous shop and cash loans"),
    "installments_payments": ("échéances et paiements des crédits antérieurs, agrégés par client",
                              "instalments and payments of previous loans"),
    "credit_card_balance": ("relevés mensuels des cartes de crédit, agrégés par client",
                            "monthly credit card balances"),
}
_CANDIDATE_NAMES = {
    "catboost_balanced": ("CatBoost, classes pondérées (balanced)", "CatBoost, balanced class weights"),
    "catboost_none": ("CatBoost, sans pondération", "CatBoost, no class weights"),
    "logistic": ("Régression logistique (référence)", "Logistic regression (baseline)"),
    "dummy": ("Modèle naïf : taux a priori (référence)", "Dummy: prior rate (baseline)"),
}


class ReportError(RuntimeError):
    """The report cannot be produced from these inputs; the message says what to do."""


# =========================================================================== formatting

def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and not math.isfinite(float(x)))


def num(x: float | None, lang: Lang, decimals: int = 0) -> str:
    """A number in the document's language; a dash when there is none."""
    return DASH if _missing(x) else format_number(float(x), lang, decimals)


def pct(x: float | None, lang: Lang, decimals: int = 1) -> str:
    return DASH if _missing(x) else format_percent(float(x), lang, decimals)


def _pm(mean: float | None, std: float | None, lang: Lang, decimals: int = 4) -> str:
    if _missing(mean):
        return DASH
    return f"{num(mean, lang, decimals)} ± {num(std, lang, decimals)}" if not _missing(std) else num(mean, lang, decimals)


def _show_path(path: str | Path) -> str:
    """Inside the repository: relative (the document is committed); elsewhere: as is."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> list[str]:
    """A Markdown table; ``align`` is one letter per column, l or r."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]

    def line(cells: Sequence[str]) -> str:   # a bare "|" inside a cell ("|SHAP|") would split it
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(header), "| " + " | ".join(rule) + " |", *[line(r) for r in rows]]


# =========================================================================== inputs

@dataclass
class Tracking:
    """What the MLflow store says about this model version (or why it says nothing)."""

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


def _sqlite_file(uri: str) -> Path | None:
    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):])
    return None


def find_run(tracking_uri: str | None, version: str) -> Tracking:
    """The MLflow run that ``model.train`` logged for ``version`` (tag ``model_version``, or run name).

    Never creates a store: opening a missing SQLite file with MLflow would create an empty
    one, and the report would then claim a store that training never wrote.
    """
    if not tracking_uri:
        return Tracking(tracking_uri, False, "no tracking store was given")
    db = _sqlite_file(tracking_uri)
    local = db if db is not None else (Path(tracking_uri[len("file:"):]) if tracking_uri.startswith("file:")
                                       else (Path(tracking_uri) if "://" not in tracking_uri else None))
    if local is not None and not local.exists():
        return Tracking(tracking_uri, False, f"the tracking store {local} does not exist")
    try:
        import logging

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        from mlflow.entities import ViewType
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=tracking_uri)
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
                                             f"{str(exc).splitlines()[0] if str(exc) else ''})")
    if not runs:
        return Tracking(tracking_uri, False, f"the tracking store holds no run of model version {version}")
    run = runs[0]
    return Tracking(tracking_uri, True, "", experiment=experiments.get(run.info.experiment_id),
                    run_id=run.info.run_id, run_name=run.info.run_name,
                    started=datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC),
                    status=run.info.status, params=dict(run.data.params), metrics=dict(run.data.metrics),
                    n_runs=len(runs))


@dataclass
class Inputs:
    metadata: ModelMetadata
    version_dir: Path
    oof: pd.DataFrame
    groups: pd.DataFrame                 # CODE_GENDER, DAYS_BIRTH (and coverage columns) of the OOF clients
    n_population: int
    population_ids: pd.Index
    importance: dict[str, Any] | None
    stored_keep: int | None
    tracking: Tracking
    drift: dict[str, Any] | None
    #: Why there is no drift section (French: it is only shown in the French body).
    drift_note: str


def _count_feature(table: str, features: Sequence[str]) -> str | None:
    """The plain row-count feature of a child table (NaN when the client has no row there)."""
    for name in features:
        prov = feature_provenance(name) if name in CHILD_FEATURES else None
        if prov and prov["table"] == table and prov["agg"] == "count" and not prov["subset"] and not prov["window"]:
            return name
    return None


def load_inputs(model_dir: str | Path, tracking_uri: str | None, drift_dir: str | Path | None) -> Inputs:
    """Read everything the report needs; ReportError when the artifact cannot support it."""
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
        oof = pd.read_parquet(oof_path)
    except Exception as exc:
        raise ReportError(f"{oof_path} cannot be read ({exc}); retrain the model") from None
    lacking = {"TARGET", "PROBABILITY", "FOLD"} - set(oof.columns)
    if lacking or oof.empty:
        raise ReportError(f"{oof_path} is not an out-of-fold file (lacking {sorted(lacking) or 'rows'}); "
                          f"retrain the model")
    pop_path = artifact.extra(POPULATION_FILE)
    if not pop_path.exists():
        raise ReportError(f"{pop_path} is missing (gender and age of the clients); retrain the model")
    coverage = [c for c in (_count_feature(t, meta.features) for t in _TABLE_ROLE) if c]
    import pyarrow.parquet as pq

    available = set(pq.ParquetFile(pop_path).schema_arrow.names)
    wanted = [c for c in ("CODE_GENDER", "DAYS_BIRTH", *coverage) if c in available]
    if not {"CODE_GENDER", "DAYS_BIRTH"} <= set(wanted):
        raise ReportError(f"{pop_path} lacks CODE_GENDER or DAYS_BIRTH; the fairness tables need both")
    population = pd.read_parquet(pop_path, columns=wanted)
    groups = population.reindex(oof.index)

    importance = None
    imp_path = artifact.extra(GLOBAL_IMPORTANCE_FILE)
    if imp_path.exists():
        try:
            importance = json.loads(imp_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            importance = None
    keep = None
    exp_path = artifact.extra(EXPLANATIONS_FILE)
    if exp_path.exists():
        with np.load(exp_path) as z:
            keep = int(z["index"].shape[1] // 2)

    drift, drift_note = None, ""
    if drift_dir is None:
        drift_note = "aucun dossier de dérive n'a été indiqué"
    else:
        from model.monitoring.drift import SUMMARY_FILE, DriftError, load_summary

        path = Path(drift_dir)
        path = path / SUMMARY_FILE if path.is_dir() or not path.suffix else path
        try:
            drift = load_summary(path)
        except DriftError as exc:
            drift_note = (f"`{_show_path(path)}` n'existe pas ; lancer `python -m model.monitoring.drift`" if not path.exists()
                          else f"`{_show_path(path)}` est illisible ({exc})")
    return Inputs(meta, artifact.path, oof, groups, len(population), population.index, importance, keep,
                  find_run(tracking_uri, meta.version), drift, drift_note)


# =========================================================================== facts

@dataclass
class Facts:
    """Everything the document states, computed once; rendering only formats it."""

    inputs: Inputs
    weights: CostWeights
    threshold: float
    y: np.ndarray
    p: np.ndarray
    fold: np.ndarray
    chosen: dict[str, Any]
    candidates: dict[str, dict[str, Any]]
    auc: float
    auc_se: float
    threshold_recomputed: float
    cost: float
    conf: Any
    folds: list[dict[str, Any]]
    per_table: list[tuple[str, int]]
    n_categorical: int
    n_derived: int
    n_app_derived: int
    n_combined: int
    subsets: list[tuple[str, str, str]]                      # tables, name, rule
    coverage: list[tuple[str, float]]
    by_gender: list[fair.GroupMetrics]
    by_age: list[fair.GroupMetrics]
    overall: fair.GroupMetrics
    gender_ratio: float | None
    age_ratio: float | None
    bins: list[fair.CalibrationBin]
    brier: float
    brier_prior: float
    ece: float
    platt_brier: float
    platt_ece: float
    platt_bins: list[fair.CalibrationBin]
    sensitivity: list[tuple[float, float, float, float]]      # factor, threshold, cost, refusal rate
    top_features: list[tuple[int, str, str, float, float]]    # rank, name, table, mean |SHAP|, share
    children_share: float | None
    rank_of: dict[str, int]
    base_probability: float | None
    is_demo: bool
    generated_at: datetime


def _rank_of(importance: dict[str, Any] | None) -> dict[str, int]:
    if not importance:
        return {}
    return {row["feature"]: i + 1 for i, row in enumerate(importance.get("importance", []))}


def _table_order(table: str) -> int:
    return list(_TABLE_ROLE).index(table) if table in _TABLE_ROLE else len(_TABLE_ROLE)


def _merge_subsets(found: dict[tuple[str, str], str]) -> list[tuple[str, str, str]]:
    """One row per (name, rule), listing every table whose features use it (bureau_balance
    features restricted to active bureau loans use bureau's ACTIVE rule)."""
    tables: dict[tuple[str, str], list[str]] = {}
    for (table, name), rule in found.items():
        tables.setdefault((name, rule), []).append(table)
    rows = [(sorted(ts, key=_table_order), name, rule) for (name, rule), ts in tables.items()]
    rows.sort(key=lambda r: (_table_order(r[0][0]), r[1]))
    return [(", ".join(f"`{t}`" for t in ts), name, rule) for ts, name, rule in rows]


def compute_facts(inputs: Inputs, now: datetime | None = None) -> Facts:
    meta = inputs.metadata
    oof = inputs.oof
    y = oof["TARGET"].to_numpy().astype(np.int8)
    p = oof["PROBABILITY"].to_numpy(dtype=np.float64)
    fold = oof["FOLD"].to_numpy()
    weights = CostWeights(**meta.cost_weights)
    t = float(meta.threshold)
    cv = meta.cv_metrics or {}
    chosen = dict(cv.get("chosen", {}))
    candidates = dict(cv.get("candidates", {}))

    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(y, p))
    n_def = int(y.sum())
    best = chosen.get("best_iterations") or []
    folds = []
    for i, k in enumerate(np.unique(fold)):
        m = fold == k
        folds.append({"fold": int(k), "n": int(m.sum()), "defaults": int(y[m].sum()),
                      "auc": float(roc_auc_score(y[m], p[m])) if len(np.unique(y[m])) == 2 else None,
                      "cost": cost_per_client(y[m], p[m], t, weights),
                      "best_iteration": best[i] if i < len(best) else None})

    per_table: dict[str, int] = {}
    n_cat = n_derived = n_app_derived = n_combined = 0
    subsets: dict[tuple[str, str], str] = {}
    for name in meta.features:
        prov = feature_provenance(name)
        per_table[prov["table"]] = per_table.get(prov["table"], 0) + 1
        n_cat += bool(prov["categorical"])
        n_derived += prov["agg"] in ("derived", "ratio")
        n_app_derived += prov["agg"] == "derived"
        n_combined += prov["agg"] == "ratio"
        if prov["subset"] and prov["subset_rule"]:
            subsets[(prov["table"], prov["subset"])] = prov["subset_rule"]
        if prov["window"] and prov["window_rule"]:
            subsets[(prov["table"], prov["window"])] = prov["window_rule"]
    # The application row of every labelled client must be in population.parquet: a check, shown as coverage.
    coverage = [("application", float(inputs.groups.index.isin(inputs.population_ids).mean()))]
    for table in _TABLE_ROLE:
        col = _count_feature(table, meta.features)
        if col and col in inputs.groups.columns:
            coverage.append((table, float(inputs.groups[col].notna().mean())))

    by_gender = fair.metrics_by_group(y, p, inputs.groups["CODE_GENDER"], t, weights)
    by_age = fair.metrics_by_group(y, p, fair.age_bands(inputs.groups["DAYS_BIRTH"].to_numpy()), t, weights)
    overall = fair.group_metrics(y, p, t, weights, name="all")

    bins = fair.calibration_bins(y, p, CALIBRATION_BINS, "quantile")
    platt = fair.cross_fitted_platt(y, p, fold)
    platt_bins = fair.calibration_bins(y, platt, CALIBRATION_BINS, "quantile")
    rate = n_def / len(y)

    sensitivity = []
    for factor in SENSITIVITY_FACTORS:
        w = CostWeights(fn=weights.fn * factor, fp=weights.fp)
        choice = best_threshold(y, p, w)
        sensitivity.append((factor, choice.threshold, choice.cost_per_client, float(np.mean(p >= choice.threshold))))

    top, children_share, base_p = [], None, None
    imp = inputs.importance
    if imp and imp.get("importance"):
        rows = imp["importance"]
        total = sum(float(r["mean_abs_shap"]) for r in rows) or 1.0
        child = set(CHILD_FEATURES)
        children_share = sum(float(r["mean_abs_shap"]) for r in rows if r["feature"] in child) / total
        for i, r in enumerate(rows[:TOP_FEATURES]):
            top.append((i + 1, r["feature"], feature_provenance(r["feature"])["table"], float(r["mean_abs_shap"]),
                        float(r["mean_abs_shap"]) / total))
        if "base_log_odds" in imp:
            base_p = float(1.0 / (1.0 + math.exp(-float(imp["base_log_odds"]))))

    demo_dir = get_settings().demo_dir
    is_demo = bool(meta.data_dir) and Path(meta.data_dir).resolve() == Path(demo_dir).resolve()
    return Facts(
        inputs=inputs, weights=weights, threshold=t, y=y, p=p, fold=fold, chosen=chosen, candidates=candidates,
        auc=auc, auc_se=fair.auc_standard_error(auc, n_def, len(y) - n_def),
        threshold_recomputed=best_threshold(y, p, weights).threshold, cost=cost_per_client(y, p, t, weights),
        conf=confusion(y, p, t), folds=folds,
        per_table=sorted(per_table.items(), key=lambda kv: _table_order(kv[0])),
        n_categorical=n_cat, n_derived=n_derived,
        subsets=_merge_subsets(subsets), coverage=coverage, n_app_derived=n_app_derived, n_combined=n_combined,
        by_gender=by_gender, by_age=by_age, overall=overall,
        gender_ratio=fair.approval_rate_ratio(by_gender), age_ratio=fair.approval_rate_ratio(by_age),
        bins=bins, brier=fair.brier_score(y, p), brier_prior=rate * (1 - rate),
        ece=fair.expected_calibration_error(bins), platt_brier=fair.brier_score(y, platt),
        platt_ece=fair.expected_calibration_error(platt_bins), platt_bins=platt_bins,
        sensitivity=sensitivity, top_features=top, children_share=children_share,
        rank_of=_rank_of(imp), base_probability=base_p, is_demo=is_demo,
        generated_at=now or datetime.now(UTC),
    )


# =========================================================================== figures

def figures(f: Facts) -> dict[str, bytes]:
    """PNG bytes of the calibration curve and of the cost against the threshold (French labels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    top = max(max(b.mean_predicted for b in f.bins), max(b.observed_rate for b in f.bins),
              max(b.mean_predicted for b in f.platt_bins)) * 1.05
    ax.plot([0, top], [0, top], "--", color="grey", label="Calibration parfaite")
    ax.plot([b.mean_predicted for b in f.bins], [b.observed_rate for b in f.bins], "o-", color="#c0392b",
            label=f"Scores hors pli (Brier {num(f.brier, 'fr', 4)})")
    ax.plot([b.mean_predicted for b in f.platt_bins], [b.observed_rate for b in f.platt_bins], "s-",
            color="#2471a3", label=f"Après recalibration de Platt (Brier {num(f.platt_brier, 'fr', 4)})")
    ax.set(xlabel="Score moyen prédit (classes de même effectif)", ylabel="Taux de défaut observé",
           title="Courbe de calibration (prédictions hors pli)", xlim=(0, top), ylim=(0, top))
    ax.legend(loc="upper left", fontsize=8)
    out[CALIBRATION_FIGURE] = _png(fig, plt)

    thresholds, costs = cost_curve(f.y, f.p, f.weights)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(thresholds, costs, color="#2471a3")
    ax.axvline(f.threshold, color="#c0392b", linestyle="--",
               label=f"Seuil retenu {num(f.threshold, 'fr', 4)} (coût {num(f.cost, 'fr', 4)})")
    ax.axhline(f.chosen.get("cost_grant_all", float("nan")), color="grey", linestyle=":",
               label="Tout accorder")
    ax.set(xlabel="Seuil de refus (score du modèle)", ylabel="Coût métier moyen par client", xlim=(0, 1),
           title=f"Coût métier hors pli (FN = {num(f.weights.fn, 'fr', 0)}, FP = {num(f.weights.fp, 'fr', 0)})")
    ax.legend(fontsize=8)
    out[COST_FIGURE] = _png(fig, plt)
    return out


def _png(fig: Any, plt: Any) -> bytes:
    from matplotlib.ticker import FuncFormatter

    french = FuncFormatter(lambda v, _pos: format_number(v, "fr", 1))   # axes in French like the text
    for ax in fig.axes:
        ax.xaxis.set_major_formatter(french)
        ax.yaxis.set_major_formatter(french)
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


# =========================================================================== document

def _candidate_name(key: str, lang: Lang) -> str:
    pair = _CANDIDATE_NAMES.get(key)
    return pair[0 if lang == "fr" else 1] if pair else key


def _group_rows(rows: Sequence[fair.GroupMetrics], label: Callable[[str], str], lang: Lang) -> list[list[str]]:
    return [[label(r.group), num(r.n, lang), num(r.n_defaults, lang), pct(r.default_rate, lang),
             pct(r.mean_probability, lang),
             DASH if r.auc is None else f"{num(r.auc, lang, 3)} ± {num(r.auc_se, lang, 3)}",
             pct(r.refusal_rate, lang), pct(r.recall, lang), pct(r.false_refusal_rate, lang),
             num(r.cost_per_client, lang, 4)] for r in rows]


_GROUP_HEADER = {
    "fr": ["n clients", "défauts", "taux de défaut", "score moyen", "AUC ± e.t.", "taux de refus",
           "défauts refusés", "bons clients refusés", "coût / client"],
    "en": ["clients", "defaults", "default rate", "mean score", "AUC ± s.e.", "refusal rate",
           "defaulters refused", "good clients refused", "cost / client"],
}


def _gender_label(lang: Lang) -> Callable[[str], str]:
    def label(g: str) -> str:
        text = level_label("CODE_GENDER", g, lang)
        return f"{text} (`{g}`)" if text != g else f"`{g}`"
    return label


def _age_label(lang: Lang) -> Callable[[str], str]:
    unit = "ans" if lang == "fr" else "years"
    return lambda g: g if g == fair.MISSING_GROUP else f"{g} {unit}"


def _extremes(rows: Sequence[fair.GroupMetrics], attr: str) -> tuple[fair.GroupMetrics, fair.GroupMetrics] | None:
    big = [r for r in rows if r.n >= fair.MIN_AUC_CLIENTS and getattr(r, attr) is not None]
    if len(big) < 2:
        return None
    return min(big, key=lambda r: getattr(r, attr)), max(big, key=lambda r: getattr(r, attr))


def _small_groups(f: Facts) -> list[fair.GroupMetrics]:
    return [r for r in (*f.by_gender, *f.by_age) if r.auc is None]


def limits(f: Facts, lang: Lang) -> list[str]:
    """The limits, each stated with the figure that shows it (French or English)."""
    fr = lang == "fr"
    out: list[str] = []
    cw = str(f.chosen.get("class_weights") or f.inputs.metadata.params.get("class_weights", ""))
    mean_p, rate = float(f.p.mean()), f.overall.default_rate
    if f.brier > f.brier_prior:
        cause_fr = (" C'est l'effet attendu de la pondération des classes `balanced` : l'apprentissage donne "
                    "autant de poids aux défauts qu'aux bons clients, ce qui gonfle les scores." if cw == "balanced"
                    else "")
        cause_en = " This is the expected effect of balanced class weights." if cw == "balanced" else ""
        out.append(
            f"**Les scores ne sont pas des probabilités de défaut.** Score moyen hors pli {pct(mean_p, lang)} "
            f"pour un taux de défaut observé de {pct(rate, lang)} ; score de Brier {num(f.brier, lang, 4)}, "
            f"moins bon que les {num(f.brier_prior, lang, 4)} d'une prédiction constante au taux moyen ; erreur de "
            f"calibration attendue (ECE) {num(f.ece, lang, 4)}.{cause_fr} Le classement (AUC) et la décision au "
            f"seuil ne sont pas affectés, mais un score affiché au conseiller (le seuil lui-même s'affiche "
            f"« {pct(f.threshold, lang, 1)} ») ne doit pas être lu comme un risque de défaut. Une recalibration "
            f"de Platt validée par plis ramène le Brier à {num(f.platt_brier, lang, 4)} et l'ECE à "
            f"{num(f.platt_ece, lang, 4)}."
            if fr else
            f"**Scores are not probabilities of default.** Mean out-of-fold score {pct(mean_p, lang)} against an "
            f"observed default rate of {pct(rate, lang)}; Brier score {num(f.brier, lang, 4)}, worse than the "
            f"{num(f.brier_prior, lang, 4)} of a constant prediction at the mean rate; ECE {num(f.ece, lang, 4)}."
            f"{cause_en} Ranking and decisions are unaffected, but a score shown to a relationship manager must not "
            f"be read as a risk of default. A cross-fitted Platt recalibration brings the Brier score to "
            f"{num(f.platt_brier, lang, 4)} and the ECE to {num(f.platt_ece, lang, 4)}.")
    else:
        out.append(
            f"**Calibration.** Score moyen hors pli {pct(mean_p, lang)} pour un taux de défaut observé de "
            f"{pct(rate, lang)} ; Brier {num(f.brier, lang, 4)} (prédiction constante "
            f"{num(f.brier_prior, lang, 4)}), ECE {num(f.ece, lang, 4)} ; après recalibration de Platt validée "
            f"par plis : Brier {num(f.platt_brier, lang, 4)}, ECE {num(f.platt_ece, lang, 4)}."
            if fr else
            f"**Calibration.** Mean out-of-fold score {pct(mean_p, lang)} against an observed default rate of "
            f"{pct(rate, lang)}; Brier {num(f.brier, lang, 4)} (constant prediction {num(f.brier_prior, lang, 4)}), "
            f"ECE {num(f.ece, lang, 4)}; after a cross-fitted Platt recalibration: Brier "
            f"{num(f.platt_brier, lang, 4)}, ECE {num(f.platt_ece, lang, 4)}.")
    n_def = int(f.y.sum())
    out.append(
        f"**Incertitude statistique.** {num(n_def, lang)} défauts seulement : l'AUC hors pli "
        f"{num(f.auc, lang, 4)} a une erreur type d'environ {num(f.auc_se, lang, 4)} (Hanley et McNeil) et "
        f"varie de {num(f.chosen.get('auc_fold_std'), lang, 4)} (écart-type) d'un pli à l'autre ; un écart "
        f"d'AUC plus petit que ces valeurs n'est pas une différence établie."
        if fr else
        f"**Statistical uncertainty.** Only {num(n_def, lang)} defaults: the out-of-fold AUC "
        f"{num(f.auc, lang, 4)} has a standard error of about {num(f.auc_se, lang, 4)} and a fold standard "
        f"deviation of {num(f.chosen.get('auc_fold_std'), lang, 4)}.")
    nested = f.chosen.get("cost_per_client_nested")
    if not _missing(nested):
        out.append(
            f"**Optimisme du seuil.** Choisi sur les mêmes scores hors pli, le seuil donne un coût de "
            f"{num(f.cost, lang, 4)} par client ; choisi sur les autres plis et appliqué à chacun, "
            f"{num(nested, lang, 4)}. C'est cette seconde valeur qu'il faut attendre d'un nouveau client. "
            f"L'arrêt anticipé de chaque pli est lui aussi décidé sur le pli de validation, ce qui rend l'AUC "
            f"hors pli légèrement optimiste."
            if fr else
            f"**Threshold optimism.** Chosen on the same out-of-fold scores, the threshold costs "
            f"{num(f.cost, lang, 4)} per client; chosen on the other folds, {num(nested, lang, 4)} — expect the "
            f"latter. Early stopping also looks at each validation fold, so the out-of-fold AUC is slightly "
            f"optimistic.")
    lo, hi = f.sensitivity[0], f.sensitivity[-1]
    out.append(
        f"**Les poids du coût sont une hypothèse.** Le rapport {num(f.weights.fn, lang)} : "
        f"{num(f.weights.fp, lang)} n'est pas estimé à partir de pertes réelles. Avec un coût du défaut non "
        f"détecté multiplié par {num(lo[0], lang, 1)}, le seuil optimal passerait à {num(lo[1], lang, 4)} "
        f"(refus {pct(lo[3], lang)}) ; multiplié par {num(hi[0], lang, 1)}, à {num(hi[1], lang, 4)} "
        f"(refus {pct(hi[3], lang)})."
        if fr else
        f"**Cost weights are an assumption.** The {num(f.weights.fn, lang)}:{num(f.weights.fp, lang)} ratio is not "
        f"estimated from real losses. With the missed-default cost times {num(lo[0], lang, 1)} the best threshold "
        f"would be {num(lo[1], lang, 4)} (refusals {pct(lo[3], lang)}); times {num(hi[0], lang, 1)}, "
        f"{num(hi[1], lang, 4)} (refusals {pct(hi[3], lang)}).")
    small = [r for r in _small_groups(f) if r.n > 0]
    empty = [r.group for r in _small_groups(f) if r.n == 0]
    if small or empty:
        listed = ", ".join(f"{r.group} (n = {num(r.n, lang)}, {'défauts' if fr else 'defaults'} "
                           f"{num(r.n_defaults, lang)})" for r in small)
        text_fr = (f"Pas d'AUC (moins de {num(fair.MIN_AUC_CLIENTS, lang)} clients ou moins de "
                   f"{num(fair.MIN_AUC_CLASS, lang)} défauts ou bons clients) pour : {listed} ; leurs taux sont à "
                   f"lire avec prudence. " if small else "")
        text_en = (f"No AUC (fewer than {num(fair.MIN_AUC_CLIENTS, lang)} clients or fewer than "
                   f"{num(fair.MIN_AUC_CLASS, lang)} of a class) for: {listed}. " if small else "")
        if empty:
            text_fr += (f"Aucun client étiqueté dans : {', '.join(empty)} ; rien n'est mesuré pour ces groupes, "
                        f"et le modèle n'a rien appris sur eux.")
            text_en += f"No labelled client in: {', '.join(empty)}; nothing is measured or learnt for them."
        out.append(f"**Petits groupes.** {text_fr}" if fr else f"**Small groups.** {text_en}")
    sensitive = [(c, f.rank_of[c]) for c in ("CODE_GENDER", "DAYS_BIRTH", "AGE_YEARS") if c in f.rank_of]
    if sensitive:
        ranks = ", ".join(f"`{c}` ({'rang' if fr else 'rank'} {num(r, lang)})" for c, r in sensitive)
        out.append(
            f"**Variables sensibles en entrée.** Le modèle utilise directement le sexe et l'âge : {ranks} sur "
            f"{num(len(f.inputs.metadata.features), lang)} variables par importance globale. L'usage du sexe dans "
            f"une décision de crédit doit être validé par la conformité ; un modèle sans `CODE_GENDER` est à "
            f"évaluer avec les mêmes tableaux d'équité."
            if fr else
            f"**Sensitive inputs.** The model uses sex and age directly: {ranks} out of "
            f"{num(len(f.inputs.metadata.features), lang)} features by global importance. Using sex in a credit "
            f"decision needs a compliance review; a model without CODE_GENDER should be assessed with the same tables.")
    if f.age_ratio is not None:
        ext = _extremes(f.by_age, "refusal_rate")
        if ext:
            a, b = ext
            refusal_x = b.refusal_rate / a.refusal_rate if a.refusal_rate else None
            default_x = b.default_rate / a.default_rate if a.default_rate else None
            out.append(
                f"**Écart de refus selon l'âge.** Taux de refus de {pct(a.refusal_rate, lang)} ({a.group}) à "
                f"{pct(b.refusal_rate, lang)} ({b.group}), pour des taux de défaut observés de "
                f"{pct(a.default_rate, lang)} et {pct(b.default_rate, lang)} ; rapport des taux d'acceptation "
                f"{num(f.age_ratio, lang, 2)} (repère des quatre cinquièmes : {num(fair.FOUR_FIFTHS, lang, 2)}). "
                f"Les refus sont {num(refusal_x, lang, 1)} fois plus fréquents pour un risque observé "
                f"{num(default_x, lang, 1)} fois plus élevé ; un bon client est refusé dans "
                f"{pct(b.false_refusal_rate, lang)} des cas dans le groupe {b.group}, contre "
                f"{pct(a.false_refusal_rate, lang)} dans le groupe {a.group}."
                if fr else
                f"**Refusal gap by age.** Refusal rates from {pct(a.refusal_rate, lang)} ({a.group}) to "
                f"{pct(b.refusal_rate, lang)} ({b.group}), for observed default rates of {pct(a.default_rate, lang)} "
                f"and {pct(b.default_rate, lang)}; approval-rate ratio {num(f.age_ratio, lang, 2)} (four-fifths "
                f"benchmark: {num(fair.FOUR_FIFTHS, lang, 2)}). Refusals are {num(refusal_x, lang, 1)} times as "
                f"frequent for a {num(default_x, lang, 1)} times higher observed risk; good clients are refused in "
                f"{pct(b.false_refusal_rate, lang)} of cases in group {b.group}, against "
                f"{pct(a.false_refusal_rate, lang)} in group {a.group}.")
    if f.is_demo:
        out.append(
            "**Données générées.** Ce modèle est entraîné sur les données de démonstration produites par "
            "`data.generate` (docs/demo-data.md), pas sur des clients réels : ses performances, ses écarts entre "
            "groupes et sa dérive décrivent le générateur. Le document doit être régénéré sur le modèle entraîné "
            "sur les données réelles avant toute décision."
            if fr else
            "**Generated data.** This model was trained on the generated demo data, not on real clients: its "
            "performance, group gaps and drift describe the generator. Regenerate this document from a model "
            "trained on real data before any decision.")
    out.append(
        "**Validation aléatoire, pas temporelle.** Les tables Kaggle ne donnent pas la date des demandes : les plis "
        "sont tirés au hasard, et rien ne mesure la tenue du modèle sur une période postérieure."
        if fr else
        "**Random, not out-of-time, validation.** The Kaggle tables carry no application date, so nothing measures "
        "how the model holds on a later period.")
    return out


def improvements(f: Facts, lang: Lang) -> list[str]:
    fr = lang == "fr"
    out = []
    if f.platt_brier < f.brier:
        out.append(
            f"Ajouter une étape de recalibration (Platt ou isotonique) ajustée hors pli, puis rechoisir le seuil sur "
            f"l'échelle recalibrée (Brier {num(f.brier, lang, 4)} → {num(f.platt_brier, lang, 4)} mesuré ici)."
            if fr else f"Add an out-of-fold recalibration step and re-choose the threshold on the new scale "
                       f"(Brier {num(f.brier, lang, 4)} → {num(f.platt_brier, lang, 4)} measured here).")
    out += [
        ("Estimer les poids du coût à partir des pertes réelles (perte en cas de défaut, marge d'un bon client) "
         "et publier la sensibilité du seuil." if fr else
         "Estimate the cost weights from real losses and margins."),
        ("Entraîner une variante sans `CODE_GENDER` et comparer coût, AUC et tableaux d'équité." if fr else
         "Train a variant without CODE_GENDER and compare cost, AUC and the fairness tables."),
        ("Suivre la dérive et l'équité sur le journal de scoring (`instance/scoring_log.jsonl`) plutôt que sur "
         "`application_test`, et prévoir une validation temporelle dès que des dates sont disponibles." if fr else
         "Monitor drift and fairness on the scoring log rather than on application_test; validate out of time "
         "once dates are available."),
    ]
    if f.children_share is not None and f.coverage:
        low = min(f.coverage, key=lambda kv: kv[1])
        out.append(
            f"Les tables historiques portent {pct(f.children_share, lang)} de l'importance globale, mais "
            f"`{low[0]}` ne couvre que {pct(low[1], lang)} des clients : pour les autres, ses variables sont "
            f"manquantes. Mesurer l'AUC et le coût séparément pour les clients sans historique." if fr else
            f"Child tables carry {pct(f.children_share, lang)} of the global importance, but {low[0]} covers only "
            f"{pct(low[1], lang)} of the clients; measure AUC and cost separately for clients without history.")
    return out


def render(f: Facts, figure_paths: dict[str, str]) -> str:
    """The whole Markdown document (French body, English summary)."""
    lang: Lang = "fr"
    meta, inp = f.inputs.metadata, f.inputs
    params = meta.params
    ch = f.chosen
    n, n_def = len(f.y), int(f.y.sum())
    L: list[str] = []
    w = L.append

    created = datetime.fromisoformat(meta.created_at)
    w("# Note méthodologique et fiche du modèle")
    w("")
    w(f"> Document généré par `python -m model.reporting` le {format_date(f.generated_at, lang)} (UTC) à partir "
      f"du modèle `{meta.version}` (`{_show_path(inp.version_dir)}`), entraîné le {format_date(created, lang)} "
      f"(UTC) sur le dossier de données `{_show_path(meta.data_dir) if meta.data_dir else DASH}` "
      f"(empreinte `{meta.data_fingerprint}`). Ne pas modifier à la main : chaque chiffre est calculé à partir "
      f"de l'artefact (`metadata.json`, `{OOF_FILE}`, `{POPULATION_FILE}`, `{GLOBAL_IMPORTANCE_FILE}`), du suivi "
      f"MLflow et du résumé de dérive. Un résumé en anglais figure à la fin.")
    w("")
    if f.is_demo:
        w("> **Attention : données de démonstration générées** (`data.generate`), pas des clients réels.")
        w("")

    # ---------------------------------------------------------------- card
    w("## Fiche synthétique")
    w("")
    card = [
        ["Version du modèle", f"`{meta.version}`"],
        ["Algorithme", f"CatBoost (gradient boosting), pondération des classes `{ch.get('class_weights', DASH)}`"],
        ["Clients étiquetés", f"{num(n, lang)} dont {num(n_def, lang)} défauts ({pct(n_def / n, lang)})"],
        ["Variables", f"{num(len(meta.features), lang)}"],
        ["Validation", f"{num(len(f.folds), lang)} plis stratifiés"],
        ["AUC hors pli", f"{num(f.auc, lang, 4)} (moyenne des plis {_pm(ch.get('auc_fold_mean'), ch.get('auc_fold_std'), lang)})"],
        ["Coûts des erreurs", f"défaut non détecté (FN) : {num(f.weights.fn, lang)} ; bon client refusé (FP) : "
                              f"{num(f.weights.fp, lang)}"],
        ["Seuil de décision", f"{num(f.threshold, lang, 4)} (refus si score ≥ seuil)"],
        ["Coût métier par client", f"{num(f.cost, lang, 4)} (estimation imbriquée "
                                   f"{num(ch.get('cost_per_client_nested'), lang, 4)})"],
        ["Taux de refus", pct(f.overall.refusal_rate, lang)],
        ["Score de Brier", f"{num(f.brier, lang, 4)} (prédiction constante : {num(f.brier_prior, lang, 4)})"],
        ["Suivi MLflow", f"run `{inp.tracking.run_id}`" if inp.tracking.found else "non trouvé"],
    ]
    L += _table(["Élément", "Valeur"], card)
    w("")

    # ---------------------------------------------------------------- data
    w("## Données et jointures")
    w("")
    n_unlabelled = inp.n_population - n
    w(f"Le modèle apprend sur les {num(n, lang)} clients étiquetés de `application_train` ({num(n_def, lang)} "
      f"défauts, soit {pct(n_def / n, lang)}). Les {num(n_unlabelled, lang)} clients de `application_test` n'ont "
      f"pas de cible : ils sont scorés et expliqués pour le tableau de bord, jamais utilisés pour apprendre.")
    w("")
    w("Chaque table secondaire est ramenée à une ligne par client (`SK_ID_CURR`) par des agrégats (nombre, "
      "somme, moyenne, minimum, maximum, écart-type, dernière valeur), puis jointe à la demande par une jointure "
      "à gauche : un client sans ligne dans une table garde des valeurs manquantes pour toutes ses variables. "
      "Aucune variable n'utilise de statistique calculée sur d'autres clients (pas de rang, de moyenne globale ni "
      "d'encodage appris) : construire les variables avant le découpage en plis ne fait donc pas fuir "
      "d'information d'un pli à l'autre. La valeur sentinelle `365243` des dates Kaggle devient une valeur "
      "manquante, et `DAYS_EMPLOYED_ANOM` garde l'information (retraités, sans emploi).")
    w("")
    cov = dict(f.coverage)
    rows = [[f"`{t}`", _TABLE_ROLE.get(t, (t, t))[0], num(k, lang), pct(cov[t], lang) if t in cov else DASH]
            for t, k in f.per_table]
    L += _table(["Table", "Rôle et jointure", "Variables", "Clients étiquetés couverts"], rows, "llrr")
    w("")
    if f.subsets:
        w("Sous-ensembles et fenêtres temporelles, relatifs à la date de chaque demande :")
        w("")
        L += _table(["Table", "Nom", "Règle"], [[t, f"`{k}`", f"`{r}`"] for t, k, r in f.subsets])
        w("")

    # ---------------------------------------------------------------- features
    n_app = sum(k for t, k in f.per_table if t == "application")
    w("## Variables")
    w("")
    w(f"{num(len(meta.features), lang)} variables : {num(n_app, lang)} issues de la demande (colonnes brutes et "
      f"ratios calculés) et {num(len(meta.features) - n_app, lang)} issues des tables historiques "
      f"(`include_children = {meta.include_children}`). Parmi elles, {num(f.n_app_derived, lang)} sont calculées "
      f"sur la demande (ratios crédit / revenu, annuité / revenu, combinaisons des scores externes, âge en "
      f"années...) et {num(f.n_combined, lang)} rapportent un agrégat historique à la demande (dette active / "
      f"revenu...). {num(f.n_categorical, lang)} sont catégorielles : CatBoost les traite lui-même, encodage "
      f"un-parmi-n jusqu'à {num(params.get('one_hot_max_size'), lang)} modalités, statistiques de cible "
      f"ordonnées au-delà (calculées sur des permutations, pour limiter la fuite de la cible). Les valeurs "
      f"manquantes restent manquantes : une catégorie absente devient la modalité `{MISSING_LEVEL}`, et CatBoost "
      f"place une valeur numérique manquante sous toutes les valeurs observées (mode `Min` par défaut), si bien "
      f"qu'une coupure d'arbre peut isoler les clients sans information.")
    w("")

    # ---------------------------------------------------------------- CV
    w("## Validation croisée")
    w("")
    best = [b["best_iteration"] for b in f.folds if b["best_iteration"] is not None]
    refit = ch.get("refit_iterations") or params.get("iterations")
    ratio = (refit / float(np.mean(best))) if best and refit else None
    cap = inp.tracking.params.get("iterations") if inp.tracking.found else None
    cap_txt = f" (au plus {num(float(cap), lang)} itérations, d'après le run MLflow)" if cap else ""
    w(f"Validation croisée stratifiée sur la cible en {num(len(f.folds), lang)} plis (graine "
      f"{num(params.get('random_seed'), lang)}). Dans chaque pli, CatBoost apprend sur les autres plis{cap_txt} "
      f"et s'arrête quand la perte `{params.get('eval_metric', DASH)}` du pli de validation ne s'améliore plus pendant "
      f"{num(params.get('early_stopping_rounds'), lang)} itérations. Les modèles de référence (imputation, "
      f"normalisation et encodage compris) sont eux aussi ajustés dans chaque pli. Chaque client reçoit ainsi un "
      f"score **hors pli**, produit par un modèle qui n'a pas vu sa cible : ce sont ces scores "
      f"(`{OOF_FILE}`) qui servent au choix du seuil, aux métriques, à l'équité et à la calibration de ce document.")
    w("")
    L += _table(["Pli", "Clients", "Défauts", "AUC", "Coût / client au seuil", "Meilleure itération"],
                [[num(b["fold"] + 1, lang), num(b["n"], lang), num(b["defaults"], lang), num(b["auc"], lang, 4),
                  num(b["cost"], lang, 4), num(b["best_iteration"], lang)] for b in f.folds], "rrrrrr")
    w("")
    cv_s = ch.get("cv_seconds")
    w((f"La validation croisée a pris {num(cv_s, lang)} s. " if not _missing(cv_s) else "")
      + f"Le modèle livré est ensuite réentraîné sur tous les clients étiquetés avec {num(refit, lang)} itérations"
      + (f", soit {num(ratio, lang, 2)} fois la moyenne des meilleures itérations des plis." if ratio else "."))
    w("")
    shown = ["learning_rate", "depth", "l2_leaf_reg", "border_count", "rsm", "subsample", "one_hot_max_size",
             "max_ctr_complexity", "boosting_type", "class_weights", "eval_metric", "early_stopping_rounds",
             "random_seed"]
    prow = [[f"`{k}`", f"`{params[k]}`"] for k in shown if k in params]
    L += _table(["Paramètre CatBoost", "Valeur"], prow)
    w("")

    # ---------------------------------------------------------------- cost
    gw, rw = ch.get("cost_grant_all"), ch.get("cost_refuse_all")
    c = f.conf
    w("## Fonction de coût métier")
    w("")
    w(f"Un défaut non détecté (faux négatif : crédit accordé, client en défaut) coûte {num(f.weights.fn, lang)} ; "
      f"un bon client refusé (faux positif) coûte {num(f.weights.fp, lang)}. Le coût moyen par client d'un seuil "
      f"*t* est (c_FN × FN + c_FP × FP) / n, où un client est refusé quand son score est ≥ *t*. Repères : tout "
      f"accorder coûte {num(gw, lang, 4)} par client, tout refuser {num(rw, lang, 4)}.")
    w("")
    w(f"Au seuil retenu, sur les scores hors pli : {num(c.tp, lang)} défauts refusés, {num(c.fn, lang)} défauts "
      f"accordés (FN), {num(c.fp, lang)} bons clients refusés (FP), {num(c.tn, lang)} bons clients accordés ; "
      f"coût {num(f.cost, lang, 4)} par client.")
    w("")
    if COST_FIGURE in figure_paths:
        w(f"![Coût métier selon le seuil]({figure_paths[COST_FIGURE]})")
        w("")

    # ---------------------------------------------------------------- threshold
    w("## Optimisation du seuil")
    w("")
    same = f.threshold_recomputed == f.threshold
    w(f"Le seuil minimise exactement le coût sur les scores hors pli : toutes les décisions possibles sont "
      f"parcourues (un seuil au milieu de chaque paire de scores distincts consécutifs), pas une grille. Seuil "
      f"retenu : **{num(f.threshold, lang, 4)}**. "
      + ("Recalculé à partir de `oof.parquet` par ce rapport, il est identique à celui de `metadata.json`. "
         if same else
         f"**Attention** : recalculé à partir de `oof.parquet`, il vaut {num(f.threshold_recomputed, lang, 4)}, "
         f"différent de `metadata.json`. ")
      + f"Pour estimer honnêtement le coût d'un nouveau client, le seuil est aussi choisi sur les autres plis "
        f"puis appliqué à chaque pli : coût imbriqué {_pm(ch.get('cost_per_client_nested'), ch.get('cost_nested_fold_std'), lang)} "
        f"(écart-type entre plis), contre {num(f.cost, lang, 4)} quand il est choisi et mesuré sur les mêmes scores.")
    w("")
    w(f"Sensibilité au coût du défaut non détecté (coût du faux positif fixé à {num(f.weights.fp, lang)}) :")
    w("")
    L += _table(["Coût FN", "Seuil optimal", "Coût / client", "Taux de refus"],
                [[num(f.weights.fn * s[0], lang, 1), num(s[1], lang, 4), num(s[2], lang, 4), pct(s[3], lang)]
                 for s in f.sensitivity], "rrrr")
    w("")

    # ---------------------------------------------------------------- metrics
    from model.train import F_BETA

    w("## Métriques et comparaison aux modèles de référence")
    w("")
    w(f"Métrique principale : le **coût métier** ci-dessus. Métrique de classement : l'**AUC** ROC hors pli "
      f"(probabilité qu'un défaut ait un score plus élevé qu'un bon client), {num(f.auc, lang, 4)} avec une "
      f"erreur type d'environ {num(f.auc_se, lang, 4)}. Le rappel, la précision et le F-bêta "
      f"(β = {num(F_BETA, lang)}, le rappel pesant β² fois plus que la précision) sont mesurés au seuil de "
      f"chaque modèle, lui aussi choisi sur ses propres scores hors pli.")
    w("")
    crow = []
    for key, m in f.candidates.items():
        crow.append([_candidate_name(key, lang) + (" **(retenu)**" if key == f"catboost_{ch.get('class_weights')}"
                                                     else ""),
                     num(m.get("auc"), lang, 4), _pm(m.get("auc_fold_mean"), m.get("auc_fold_std"), lang),
                     num(m.get("threshold"), lang, 4), num(m.get("cost_per_client"), lang, 4),
                     num(m.get("cost_per_client_nested"), lang, 4), pct(m.get("recall"), lang),
                     pct(m.get("precision"), lang), num(m.get("f_beta"), lang, 3), pct(m.get("refusal_rate"), lang)])
    L += _table(["Modèle", "AUC", "AUC par pli", "Seuil", "Coût", "Coût imbriqué", "Rappel", "Précision",
                 "F-bêta", "Refus"], crow, "lrrrrrrrrr")
    w("")
    base = {k: m for k, m in f.candidates.items() if not k.startswith("catboost")}
    if not base:
        w("Cet artefact a été entraîné sans modèles de référence (`--no-baselines`).")
        w("")
    elif "logistic" in base and not _missing(base["logistic"].get("auc")):
        gain = f.auc - float(base["logistic"]["auc"])
        saving = (float(base["logistic"].get("cost_per_client_nested", float("nan")))
                  - float(ch.get("cost_per_client_nested", float("nan"))))
        w(f"Par rapport à la régression logistique, l'AUC est {'plus' if gain >= 0 else 'moins'} élevée de "
          f"{num(abs(gain), lang, 4)}, environ {num(abs(gain) / f.auc_se, lang, 1)} fois l'erreur type d'une AUC "
          f"(ordre de grandeur seulement : les deux AUC sont mesurées sur les mêmes clients, un test de DeLong "
          f"apparié serait plus juste), et le coût imbriqué est {'inférieur' if saving >= 0 else 'supérieur'} "
          f"de {num(abs(saving), lang, 4)} par client.")
        w("")

    # ---------------------------------------------------------------- interpretability
    w("## Interprétabilité globale et locale")
    w("")
    imp = inp.importance
    if f.top_features:
        w(f"**Globale.** Moyenne de la valeur absolue des contributions SHAP (TreeSHAP exact de CatBoost, en "
          f"log-odds) sur un échantillon de référence de {num(imp.get('n_reference'), lang)} clients "
          f"d'entraînement, calculée à l'entraînement (`{GLOBAL_IMPORTANCE_FILE}`). Les tables historiques "
          f"portent {pct(f.children_share, lang)} de l'importance totale. Les {num(len(f.top_features), lang)} "
          f"premières variables :")
        w("")
        L += _table(["Rang", "Variable", "Code", "Table", "Moyenne |SHAP|", "Part du total"],
                    [[num(r, lang), feature_label(name, "fr"), f"`{name}`", f"`{tb}`", num(v, lang, 4),
                      pct(s, lang)] for r, name, tb, v, s in f.top_features], "rlllrr")
        w("")
        w("L'importance SHAP décrit ce que le modèle utilise, pas une relation de cause à effet : des variables "
          "corrélées (par exemple les différentes combinaisons des scores externes) se partagent l'importance.")
    else:
        w(f"**Globale.** `{GLOBAL_IMPORTANCE_FILE}` est absent de l'artefact : pas d'importance globale.")
    w("")
    inflated = (" (gonflée, comme tous les scores, par la pondération des classes `balanced` : voir la "
                "calibration)" if ch.get("class_weights") == "balanced" else "")
    base_txt = (f" La probabilité de base σ(base) de ce modèle est {pct(f.base_probability, lang)}{inflated}."
                if f.base_probability is not None else "")
    keep_txt = (f" Pour les clients connus, les {num(inp.stored_keep, lang)} plus fortes contributions de chaque "
                f"signe sont calculées une fois à l'entraînement (`{EXPLANATIONS_FILE}`), ce qui suffit à "
                f"reconstruire exactement les barres et les phrases affichées ; les nouvelles demandes sont "
                f"expliquées en direct." if inp.stored_keep else "")
    w("**Locale.** Pour un client, TreeSHAP exact donne des contributions en log-odds dont la somme, ajoutée à la "
      "valeur de base, vaut le score brut du modèle *f(x)*, avec p = σ(f(x)). Pour parler en points de "
      "probabilité, chaque contribution est multipliée par le même facteur (σ(f) − σ(base)) / (f − base) : les "
      "barres gardent leur signe et leurs proportions, et leur somme vaut exactement p − σ(base), si bien que "
      "la cascade du tableau de bord se termine sur le score affiché." + base_txt + keep_txt +
      " Les explications portent sur le modèle livré (réentraîné sur tous les clients), pas sur les modèles des plis.")
    w("")

    # ---------------------------------------------------------------- fairness
    w("## Équité")
    w("")
    w(f"Mesures par sexe (`CODE_GENDER`) et par tranche d'âge (`DAYS_BIRTH`, en années révolues), sur les "
      f"**scores hors pli** des {num(n, lang)} clients étiquetés et au seuil du modèle, jamais sur les scores du "
      f"modèle réentraîné (qui a vu ces clients). « Défauts refusés » est le taux de vrais positifs (égalité des "
      f"chances), « bons clients refusés » le taux de faux positifs. L'AUC n'est pas donnée pour un groupe de "
      f"moins de {num(fair.MIN_AUC_CLIENTS, lang)} clients ou de moins de {num(fair.MIN_AUC_CLASS, lang)} défauts "
      f"ou bons clients ; l'erreur type (e.t.) est celle de Hanley et McNeil.")
    w("")
    w("**Par sexe**")
    w("")
    L += _table(["Sexe", *_GROUP_HEADER["fr"]], _group_rows(f.by_gender, _gender_label("fr"), lang), "lrrrrrrrrr")
    w("")
    w("**Par tranche d'âge**")
    w("")
    L += _table(["Âge", *_GROUP_HEADER["fr"]], _group_rows(f.by_age, _age_label("fr"), lang), "lrrrrrrrrr")
    w("")
    for name, ratio_, rows_ in (("le sexe", f.gender_ratio, f.by_gender), ("l'âge", f.age_ratio, f.by_age)):
        ext = _extremes(rows_, "refusal_rate")
        if ratio_ is None or ext is None:
            w(f"- Selon {name} : moins de deux groupes d'au moins {num(fair.MIN_AUC_CLIENTS, lang)} clients, "
              f"pas de comparaison.")
            continue
        lo_, hi_ = ext
        verdict = ("au-dessus" if ratio_ >= fair.FOUR_FIFTHS else "**en dessous**")
        w(f"- Selon {name} : le taux de refus va de {pct(lo_.refusal_rate, lang)} ({lo_.group}) à "
          f"{pct(hi_.refusal_rate, lang)} ({hi_.group}) ; les taux de défaut observés de ces groupes sont "
          f"{pct(lo_.default_rate, lang)} et {pct(hi_.default_rate, lang)}. Rapport des taux d'acceptation "
          f"(plus faible / plus élevé) : {num(ratio_, lang, 2)}, {verdict} du repère des quatre cinquièmes "
          f"({num(fair.FOUR_FIFTHS, lang, 2)}, règle de filtrage américaine, pas un critère juridique français).")
    w("")
    w("Un écart de refus qui accompagne un écart de défaut observé peut refléter le risque mesuré, mais ne suffit "
      "pas à le justifier : c'est à la conformité d'en juger, surtout quand la variable du groupe est elle-même une "
      "entrée du modèle (voir les limites).")
    w("")

    # ---------------------------------------------------------------- calibration
    w("## Calibration")
    w("")
    w(f"Courbe de fiabilité sur les scores hors pli, en {num(len(f.bins), lang)} classes de même effectif "
      f"(quantiles de score : la distribution des scores est asymétrique, des classes de même largeur laisseraient "
      f"les scores élevés presque vides). Score de Brier {num(f.brier, lang, 4)} ; une prédiction constante égale "
      f"au taux de défaut ({pct(f.overall.default_rate, lang)}) obtiendrait {num(f.brier_prior, lang, 4)}. Erreur "
      f"de calibration attendue (ECE, écart moyen pondéré entre score et taux observé) : {num(f.ece, lang, 4)}. "
      f"Après une recalibration de Platt ajustée sur les autres plis pour chaque pli : Brier "
      f"{num(f.platt_brier, lang, 4)}, ECE {num(f.platt_ece, lang, 4)}.")
    w("")
    L += _table(["Classe", "Scores de", "à", "Clients", "Score moyen", "Taux de défaut observé", "Écart"],
                [[num(i + 1, lang), num(b.lower, lang, 4), num(b.upper, lang, 4), num(b.n, lang),
                  pct(b.mean_predicted, lang), pct(b.observed_rate, lang),
                  f"{'+' if b.gap >= 0 else ''}{num(b.gap * 100, lang, 1)} pts"] for i, b in enumerate(f.bins)],
                "rrrrrrr")
    w("")
    if CALIBRATION_FIGURE in figure_paths:
        w(f"![Courbe de calibration]({figure_paths[CALIBRATION_FIGURE]})")
        w("")

    # ---------------------------------------------------------------- drift
    w("## Dérive des données")
    w("")
    d = inp.drift
    if d is None:
        w(f"Pas de résumé de dérive : {inp.drift_note}.")
    else:
        ref, cur, sel = d.get("reference", {}), d.get("current", {}), d.get("selection", {})
        gen = d.get("generated_at")
        when = format_date(datetime.fromisoformat(gen), lang) if gen else DASH
        w(f"Résumé Evidently du {when} (UTC) : référence {num(ref.get('rows'), lang)} lignes "
          f"(`{ref.get('table', ref.get('kind', DASH))}`), lot comparé {num(cur.get('rows'), lang)} lignes "
          f"(`{cur.get('table', cur.get('kind', DASH))}`). {num(d.get('n_features_tested'), lang)} variables "
          f"testées (les plus importantes du modèle, {pct(sel.get('importance_share_tested'), lang)} de "
          f"l'importance totale), {num(d.get('n_drifted'), lang)} en dérive ({pct(d.get('share_drifted'), lang)}) ; "
          f"dérive globale : {'oui' if d.get('dataset_drift') else 'non'} (seuil "
          f"{pct(d.get('dataset_drift_share'), lang, 0)} des variables).")
        mv = sel.get("model_version")
        if mv and mv != meta.version:
            w("")
            w(f"**Attention** : ce résumé a été calculé pour le modèle `{mv}`, pas pour `{meta.version}` ; "
              f"relancer `python -m model.monitoring.drift`.")
        drifted = d.get("drifted_features") or []
        if drifted:
            w("")
            L += _table(["Variable", "Test", "Score", "Seuil"],
                        [[str(x.get("label_fr") or x.get("feature")), str(x.get("test")),
                          num(x.get("score"), lang, 4), num(x.get("threshold"), lang, 2)]
                         for x in drifted[:TOP_DRIFTED]], "llrr")
        if cur.get("kind") != "scoring_log":
            w("")
            w("Le lot comparé n'est pas le journal des demandes réellement scorées : ce contrôle ne dit rien "
              "de la population de production.")
    w("")

    # ---------------------------------------------------------------- tracking
    tr = inp.tracking
    w("## Traçabilité")
    w("")
    if tr.found:
        w(f"Run MLflow `{tr.run_id}` (nom `{tr.run_name}`, expérience `{tr.experiment}`, statut `{tr.status}`, "
          f"démarré le {format_date(tr.started, lang)} UTC) dans `{_show_path_uri(tr.uri)}`"
          + (f" ; {num(tr.n_runs, lang)} runs portent cette version, le plus récent est retenu." if tr.n_runs > 1
             else "."))
        w("")
        checks = []
        for key, value in (("auc", ch.get("auc")), ("threshold", meta.threshold),
                           ("cost_per_client", ch.get("cost_per_client"))):
            logged = tr.metrics.get(key)
            ok = logged is not None and value is not None and math.isclose(logged, float(value), rel_tol=1e-9)
            checks.append([f"`{key}`", num(value, lang, 4), num(logged, lang, 4), "oui" if ok else "**non**"])
        L += _table(["Métrique", "metadata.json", "MLflow", "Concordance"], checks, "lrrl")
        w("")
        times = sorted((k, v) for k, v in tr.metrics.items() if k.startswith("time."))
        if times:
            L += _table(["Étape", "Durée (s)"], [[f"`{k[len('time.'):]}`", num(v, lang, 1)] for k, v in times], "lr")
            w("")
        L += _table(["Paramètre du run", "Valeur"], [[f"`{k}`", f"`{v}`"] for k, v in sorted(tr.params.items())])
    else:
        w(f"Aucun run MLflow pour ce modèle : {_note_fr(tr)}. Les chiffres de ce document viennent alors de "
          f"l'artefact seul.")
    w("")
    versions = ", ".join(f"{k} `{v}`" for k, v in sorted(meta.library_versions.items()))
    w(f"Bibliothèques d'entraînement : {versions}.")
    w("")

    # ---------------------------------------------------------------- limits
    w("## Limites et pistes d'amélioration")
    w("")
    for item in limits(f, "fr"):
        w(f"- {item}")
    w("")
    w("Pistes :")
    w("")
    for item in improvements(f, "fr"):
        w(f"- {item}")
    w("")
    french = "\n".join(french_spacing(line) for line in L)

    # ---------------------------------------------------------------- English summary
    E: list[str] = []
    e = E.append
    en: Lang = "en"
    e("## English summary")
    e("")
    e(f"Generated by `python -m model.reporting` on {format_date(f.generated_at, en)} (UTC) from model "
      f"`{meta.version}`, trained on {format_date(created, en)} (UTC) on `{_show_path(meta.data_dir) if meta.data_dir else DASH}`."
      + (" **Generated demo data, not real clients.**" if f.is_demo else ""))
    e("")
    e(f"CatBoost (class weights `{ch.get('class_weights', DASH)}`) on {num(len(meta.features), en)} features "
      f"({num(n_app, en)} from the application, the rest aggregated per client from the child tables), trained "
      f"on {num(n, en)} labelled clients ({pct(n_def / n, en)} defaults), {num(len(f.folds), en)}-fold stratified "
      f"cross-validation. Performance, fairness and calibration figures use the out-of-fold scores (`{OOF_FILE}`), "
      f"never the refitted model's in-sample scores.")
    e("")
    E += _table(["Figure", "Value"], [
        ["Out-of-fold AUC", f"{num(f.auc, en, 4)} (s.e. ≈ {num(f.auc_se, en, 4)}; folds "
                            f"{_pm(ch.get('auc_fold_mean'), ch.get('auc_fold_std'), en)})"],
        ["Cost weights", f"missed default {num(f.weights.fn, en)}, good client refused {num(f.weights.fp, en)}"],
        ["Decision threshold", f"{num(f.threshold, en, 4)} (refuse when score ≥ threshold)"],
        ["Business cost per client", f"{num(f.cost, en, 4)} (nested {num(ch.get('cost_per_client_nested'), en, 4)}; "
                                     f"grant all {num(gw, en, 4)})"],
        ["Refusal rate", pct(f.overall.refusal_rate, en)],
        ["Brier score", f"{num(f.brier, en, 4)} (constant prediction {num(f.brier_prior, en, 4)}; after Platt "
                        f"{num(f.platt_brier, en, 4)})"],
        ["Expected calibration error", num(f.ece, en, 4)],
        ["MLflow run", f"`{tr.run_id}` ({tr.experiment})" if tr.found else f"not found: {tr.note}"],
    ])
    e("")
    e("Fairness (out-of-fold, at the threshold):")
    e("")
    E += _table(["Group", *_GROUP_HEADER["en"]],
                _group_rows(f.by_gender, _gender_label("en"), en) + _group_rows(f.by_age, _age_label("en"), en),
                "lrrrrrrrrr")
    e("")
    e(f"Approval-rate ratio (lowest / highest, groups of at least {num(fair.MIN_AUC_CLIENTS, en)}): by sex "
      f"{num(f.gender_ratio, en, 2)}, by age {num(f.age_ratio, en, 2)}.")
    e("")
    e("Main limits:")
    e("")
    for item in limits(f, "en"):
        e(f"- {item}")
    e("")
    return french + "\n" + "\n".join(E)


def _show_path_uri(uri: str | None) -> str:
    db = _sqlite_file(uri or "")
    return f"sqlite:///{_show_path(db)}" if db is not None else str(uri)


def _note_fr(tr: Tracking) -> str:
    """The tracking note in French (the English one is kept for the summary)."""
    if not tr.uri:
        return "aucun store de suivi n'a été indiqué"
    if tr.note.startswith("the tracking store ") and tr.note.endswith("does not exist"):
        return f"le store de suivi `{_show_path_uri(tr.uri)}` n'existe pas"
    if tr.note.startswith("the tracking store holds no run"):
        return f"le store `{_show_path_uri(tr.uri)}` ne contient aucun run de cette version"
    return f"le store `{_show_path_uri(tr.uri)}` n'a pas pu être lu ({tr.note})"


# =========================================================================== writing

def _atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600; a committed document keeps the mode it had, else the usual 0644.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def generate_report(model_dir: str | Path, tracking_uri: str | None, drift_dir: str | Path | None,
                    out: str | Path, figures_dir: str | Path | None, now: datetime | None = None) -> Facts:
    """Compute everything, then write the figures and the document (each by temp file + rename)."""
    inputs = load_inputs(model_dir, tracking_uri, drift_dir)
    facts = compute_facts(inputs, now)
    out = Path(out)
    pngs = figures(facts) if figures_dir is not None else {}
    paths = {name: Path(os.path.relpath(Path(figures_dir) / name, out.resolve().parent)).as_posix()
             for name in pngs} if figures_dir is not None else {}
    text = render(facts, paths)
    for name, content in pngs.items():
        _atomic_write(Path(figures_dir) / name, content)
    _atomic_write(out, text.encode("utf-8"))
    return facts


def main(argv: Sequence[str] | None = None) -> int:
    s = get_settings()
    p = argparse.ArgumentParser(prog="python -m model.reporting", description=__doc__.splitlines()[0])
    p.add_argument("--model-dir", type=Path, default=s.model_dir)
    p.add_argument("--tracking-uri", default=s.tracking_uri, help="MLflow store ('' for none)")
    p.add_argument("--drift-dir", type=Path, default=ROOT / "reports", help="folder of drift_summary.json")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "methodology.md")
    p.add_argument("--figures", type=Path, default=ROOT / "docs" / "figures")
    a = p.parse_args(argv)
    try:
        facts = generate_report(a.model_dir, a.tracking_uri or None, a.drift_dir, a.out, a.figures)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {a.out} for model {facts.inputs.metadata.version} "
          f"(AUC {facts.auc:.4f}, threshold {facts.threshold:.4f}, Brier {facts.brier:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
