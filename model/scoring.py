"""One Scorer per process: the model, the threshold, and every client's features, in memory.

The JSON routes and the dashboard callbacks both ask this object for a :class:`Score`,
so a client gets the same probability, decision and explanation wherever it is shown.
Everything expensive (features of all clients, their probabilities, the global
explanation) was computed at training time and is only read here.
"""
from __future__ import annotations

import zipfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.load import DataError, Tables, validate_frame
from model import features as feats
from model.artifact import (
    EXPLANATIONS_FILE,
    GLOBAL_IMPORTANCE_FILE,
    LEAF_SHAP_FILE,
    METADATA_FILE,
    POPULATION_FILE,
    SCORES_FILE,
    Artifact,
    ArtifactError,
    load_artifact,
    read_frame,
)
from model.calibration import Calibration
from model.cost import CostWeights
from model.decision import DECISIONS, GRANTED, Decision, DecisionRule
from model.estimator import make_pool
from model.explain import Explanation, LeafShap, StoredExplanations, explain
from model.grades import MasterScale
from model.importance import FeatureImportance, read_importance
from model.json_values import json_value
from model.population_features import NEIGHBOURS_FILE, PopulationFeatures
from model.reasons import Reason, ReasonPolicy
from settings import get_settings


def _refuse_infinite(x: pd.DataFrame) -> pd.DataFrame:
    """``x`` unchanged unless a numeric feature is ±inf: values the request may send (within the
    schema's bounds) should never overflow, and if a feature still does, the model would score a
    number that is no real application and the answer would carry ``Infinity`` (not JSON). NaN
    stays: it means missing, as in training."""
    numbers = x.select_dtypes("number")
    infinite = numbers.columns[np.isinf(numbers.to_numpy(dtype=np.float64)).any(axis=0)]
    if len(infinite):
        raise DataError("request.features", "is infinite: an input value is too large to compute it",
                        str(infinite[0]))
    return x


#: What reading a damaged ``.npz`` extra raises (truncated zip, missing array, garbage bytes).
_NPZ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


class UnknownClient(KeyError):
    """A client number the product does not know."""


@dataclass(frozen=True)
class Score:
    """A score computed once and carried: every screen, the letter, the API, the batch and the scoring
    store read its decision and its reasons, none recomputes them."""

    client_id: int | None
    #: The calibrated probability of default: the one number shown, logged and decided on.
    probability: float
    rule: DecisionRule
    grade: str
    model_version: str
    explanation: Explanation
    #: The ranked concepts that raise the risk and may be told to a client (model.reasons.ReasonPolicy).
    factors: tuple[Reason, ...] = ()
    #: The decision of the latest human review of this file, if any (model.monitoring.reviews).
    reviewed_decision: Decision | None = None

    @property
    def threshold(self) -> float:
        return self.rule.threshold

    @property
    def model_decision(self) -> Decision:
        """What the model decided from the probability (before any human review)."""
        return self.rule.decide(self.probability)

    @property
    def decision(self) -> Decision:
        """The decision: a reviewing manager's when there is one, else the model's."""
        return self.reviewed_decision if self.reviewed_decision is not None else self.model_decision

    @property
    def reasons(self) -> tuple[Reason, ...]:
        """The reasons the decision carries: the ranked factors for a refusal or a referral, none for a grant."""
        return () if self.decision == GRANTED else self.factors

    def with_review(self, decision: Decision | None) -> Score:
        """This score with the decision of a human review (None: no review)."""
        if decision is not None and decision not in DECISIONS:
            raise ValueError(f"a reviewed decision is one of {DECISIONS}, got {decision!r}")
        return self if decision == self.reviewed_decision else replace(self, reviewed_decision=decision)

    @property
    def margin(self) -> float:
        """Distance to the threshold in probability points (positive = on the refused side)."""
        return self.probability - self.threshold

    def to_dict(self, top_n: int = 10) -> dict[str, Any]:
        """Plain JSON-ready value (for the API and for the cache)."""
        return {
            "client_id": self.client_id,
            "probability": self.probability,
            "grade": self.grade,
            "threshold": self.threshold,
            "refer_band": [self.rule.refer_low, self.rule.refer_high],
            "decision": self.decision,
            "model_decision": self.model_decision,
            "reviewed": self.reviewed_decision is not None,
            "margin": self.margin,
            "model_version": self.model_version,
            "reason_codes": [r.code for r in self.reasons],
            "base_probability": self.explanation.base_probability,
            "top_factors": [
                {"feature": c.feature, "value": json_value(c.value), "contribution": c.probability,
                 "contribution_log_odds": c.log_odds}
                for c in self.explanation.top(top_n)
            ],
        }


class Scorer:
    """Scores known clients by number and new applicants from their raw rows."""

    def __init__(self, artifact: Artifact, population: pd.DataFrame, scores: pd.DataFrame,
                 importance: Sequence[FeatureImportance] = (),
                 stored: StoredExplanations | None = None,
                 population_features: PopulationFeatures | None = None,
                 leaf_shap: LeafShap | None = None,
                 protected_concepts: Collection[str] | None = None) -> None:
        meta = artifact.metadata
        lacking = [f for f in meta.features if f not in population.columns]
        if lacking:
            raise ArtifactError(f"{artifact.path / POPULATION_FILE} lacks model features {lacking[:5]}")
        try:
            self.calibration = Calibration.from_dict(meta.calibration)
            self.rule = DecisionRule.from_dict(meta.decision_rule)
            self.master_scale = MasterScale.from_dict(meta.master_scale)
            self.cost_weights = CostWeights(**meta.cost_weights)
        except (ValueError, TypeError, KeyError) as exc:
            raise ArtifactError(f"{artifact.path / METADATA_FILE}: {exc}") from None
        self.artifact = artifact
        self.model = artifact.model
        self.population = population
        self.scores = scores
        #: Global importance stored at training, most important first (empty when none was stored).
        self.importance: list[FeatureImportance] = list(importance)
        self.features: list[str] = list(meta.features)
        self.cat_features: list[str] = list(meta.categorical_features)
        self.threshold: float = self.rule.threshold
        self.version: str = meta.version
        self.include_children: bool = meta.include_children
        #: Protected attributes the model does not use (never named in a reason).
        self.excluded_attributes: tuple[str, ...] = tuple(meta.excluded_attributes)
        #: What a client may be told is a reason (protected concepts never; PROTECTED_CONCEPTS by default).
        protected = get_settings().protected_concepts if protected_concepts is None else protected_concepts
        try:
            self.reason_policy = ReasonPolicy.of(protected, self.excluded_attributes)
        except ValueError as exc:
            raise ArtifactError(str(exc)) from None
        self._positions = pd.Index(population.index)
        if stored is not None and len(stored.raw_score) != len(population):
            raise ArtifactError(f"{artifact.path / EXPLANATIONS_FILE} does not match the population")
        #: Explanations of known clients computed in one batch at training time (None: computed per request).
        self.stored = stored
        #: The neighbour and term features' fitted state, applied to new applicants' rows.
        self.population_features = population_features or PopulationFeatures()
        #: The model's TreeSHAP per leaf (None: CatBoost's TreeSHAP for every new applicant).
        self.leaf_shap = leaf_shap
        if leaf_shap is not None and leaf_shap.n_features != len(self.features):
            raise ArtifactError(f"{artifact.path / LEAF_SHAP_FILE} does not match the model's features")
        # one array per feature (views of the frame's blocks for numbers): a client's values are
        # read in microseconds, where building a one-row frame or Series costs milliseconds
        self._columns = [population[f].to_numpy() for f in self.features]
        cats = set(self.cat_features)
        self._numeric = [j for j, f in enumerate(self.features) if f not in cats]
        self._categorical = [j for j, f in enumerate(self.features) if f in cats]

    @classmethod
    def load(cls, model_dir: str | Path, protected_concepts: Collection[str] | None = None) -> Scorer:
        """Load the current model version and what training stored beside it."""
        artifact = load_artifact(model_dir, expected_features=None)
        if artifact.metadata.expected_features != artifact.metadata.features:
            raise ArtifactError(f"{artifact.path} was trained on other features than this product builds: "
                                "retrain the model")
        for name in (POPULATION_FILE, SCORES_FILE):
            if not artifact.extra(name).exists():
                raise ArtifactError(f"incomplete model at {artifact.path}: {name} is missing")
        population = read_frame(artifact.extra(POPULATION_FILE))
        scores = read_frame(artifact.extra(SCORES_FILE))
        importance = read_importance(artifact.extra(GLOBAL_IMPORTANCE_FILE))
        stored_path, leaf_path = artifact.extra(EXPLANATIONS_FILE), artifact.extra(LEAF_SHAP_FILE)
        try:
            stored = StoredExplanations.load(stored_path) if stored_path.exists() else None
        except _NPZ_ERRORS as exc:
            raise ArtifactError(f"{stored_path}: unreadable stored explanations ({exc})") from None
        try:
            leaf_shap = LeafShap.load(leaf_path) if leaf_path.exists() else None
        except _NPZ_ERRORS as exc:
            raise ArtifactError(f"{leaf_path}: unreadable TreeSHAP table ({exc})") from None
        try:
            fitted = PopulationFeatures.load(artifact.path)
        except _NPZ_ERRORS as exc:
            raise ArtifactError(f"{artifact.path}: unreadable fitted features: {exc}") from None
        # (a term model may rightly be absent: too few previous applications to learn from)
        if "neighbours" in artifact.metadata.population_features and fitted.neighbours is None:
            raise ArtifactError(f"incomplete model at {artifact.path}: {NEIGHBOURS_FILE} is missing")
        return cls(artifact, population, scores, importance, stored, fitted, leaf_shap, protected_concepts)

    # -- clients known to the product -------------------------------------------------
    def knows(self, client_id: int) -> bool:
        return client_id in self._positions

    def _position(self, client_id: int) -> int:
        try:
            return int(self._positions.get_loc(client_id))
        except (KeyError, TypeError):
            raise UnknownClient(client_id) from None

    def features_of(self, client_id: int) -> pd.DataFrame:
        return self.population.iloc[[self._position(client_id)]]

    def feature_values(self, client_id: int) -> dict[str, Any]:
        """A known client's features as JSON values (``json_value``), e.g. for the scoring log."""
        i = self._position(client_id)
        columns, names = self._columns, self.features
        numbers = np.fromiter((columns[j][i] for j in self._numeric), dtype=np.float64, count=len(self._numeric))
        out: dict[str, Any] = {names[j]: (None if v != v else v) for j, v in zip(self._numeric, numbers.tolist())}
        for j in self._categorical:
            out[names[j]] = json_value(columns[j][i])
        return {f: out[f] for f in names}

    def score_client(self, client_id: int) -> Score:
        """A known client's score: looked up when training stored it, else computed now."""
        i = self._position(client_id)
        if self.stored is None:
            return self.score_features(self.population.iloc[[i]], client_id)
        columns = self._columns
        e = self.stored.explanation(i, self.features, lambda idx: [columns[j][i] for j in idx], self.calibration)
        return self._score(client_id, e)

    def _score(self, client_id: int | None, e: Explanation) -> Score:
        pd_ = e.probability
        return Score(client_id, pd_, self.rule, self.master_scale.grade_of(pd_), self.version, e,
                     self.reason_policy.factors(e))

    # -- any feature row ----------------------------------------------------------------
    def probability(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of default of feature rows."""
        raw = self.model.predict_proba(make_pool(X[self.features], self.cat_features))[:, 1]
        return self.calibration.apply(raw)

    def score_features(self, x: pd.DataFrame, client_id: int | None = None) -> Score:
        """Score and explain one feature row; the probability is the explanation's end point."""
        return self._score(client_id, explain(self.model, x[self.features], self.cat_features, self.calibration,
                                              self.leaf_shap))

    # -- new applicants ------------------------------------------------------------------
    def application_features(self, frames: Mapping[str, pd.DataFrame],
                             checked: Collection[str] = ()) -> pd.DataFrame:
        """Features of one new applicant from raw Kaggle-shaped rows (application + optional children).

        The rows are validated with the loader's rules (``data.load.validate_frame``) and go
        through the same feature code as training, so a known client sent this way gets the same
        probability. ``checked`` names the tables the caller has already checked value by value
        against the same schema (the API's one-row application, ``api.validation``): revalidating
        a 121-column row through pandas would be a third of a request's time for nothing.
        """
        checked_frames = {name: frame if name in checked else validate_frame(frame, name, file=f"request.{name}")
                          for name, frame in frames.items()}
        x = feats.build_features(Tables(checked_frames), include_children=self.include_children)
        if len(x) != 1:
            raise ValueError(f"expected one applicant, got {len(x)}")
        return self.complete_features(x)

    def applications_features(self, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """Features of many new applicants (one row per application) from already validated tables:
        the code :meth:`application_features` runs for one, so a batch (``model.batch``) scores
        each client exactly as ``/predict`` would."""
        return self.complete_features(feats.build_features(Tables(tables), include_children=self.include_children))

    def complete_features(self, x: pd.DataFrame) -> pd.DataFrame:
        """``build_features`` rows with the fitted population features filled in (infinite values refused)."""
        return _refuse_infinite(self.population_features.transform(x))


    # -- population views ----------------------------------------------------------------
    @cached_property
    def typical(self) -> dict[str, Any]:
        """The typical client: median of each numeric feature, most common level of each category."""
        # column by column: ``population[numeric].median()`` copies every client's features at
        # once (about 1 GiB of transient memory per worker at Kaggle scale)
        cats = set(self.cat_features)
        typical: dict[str, Any] = {}
        for name, column in zip(self.features, self._columns):
            if name not in cats:
                values = column.astype("float64", copy=False)
                typical[name] = float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
        for name in self.cat_features:
            counts = self.population[name].value_counts()
            typical[name] = counts.index[0] if len(counts) else None
        return typical
