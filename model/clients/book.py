"""What the dashboard knows of the whole population, derived once per process from the Scorer.

The client directory (filters, pages, suggestions), the similarity index (neighbours and
group aggregates) and the feature orders the screens offer are all computed at start-up,
so that choosing a client or a filter costs a few vectorised operations.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from model.clients.directory import build_directory
from model.clients.profile import without_twins
from model.clients.similar import SimilarityIndex, choose_features
from model.scoring import Scorer
from model.text.labels import UnknownFeatureError, feature_info

#: Features offered in the comparison dropdown / drawn in the position chart.
COMPARE_CHOICES = 15
#: Application fields a relationship manager expects to compare, offered first (those the
#: population holds), before the COMPARE_CHOICES features the model relies on most.
READABLE_COMPARE: tuple[str, ...] = (
    "AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "DAYS_BIRTH", "DAYS_EMPLOYED",
    "ANNUITY_INCOME_RATIO", "CREDIT_INCOME_RATIO", "CREDIT_TERM_MONTHS", "CNT_CHILDREN", "CNT_FAM_MEMBERS",
    "NAME_CONTRACT_TYPE", "NAME_INCOME_TYPE", "OCCUPATION_TYPE", "ORGANIZATION_TYPE", "NAME_EDUCATION_TYPE",
    "NAME_FAMILY_STATUS", "NAME_HOUSING_TYPE", "OWN_CAR_AGE", "REGION_RATING_CLIENT",
)
POSITION_FEATURES = 8
#: Features the similarity between clients is measured on.
SIMILARITY_FEATURES = 10


def compare_choices(order: list[str], population: pd.DataFrame, excluded: tuple[str, ...] = ()) -> list[str]:
    """The comparison dropdown: the readable application fields present in the population, then
    the model's most important features not already offered (an engineered twin of an offered
    field, e.g. age in years beside age, is left out); never an excluded protected attribute."""
    readable = [f for f in READABLE_COMPARE if f in population.columns and is_labelled(f)]
    chosen = readable + [f for f in order[:COMPARE_CHOICES] if f not in readable]
    return [f for f in without_twins(chosen) if f not in excluded]


def is_labelled(feature: str) -> bool:
    """Only features the dictionary can name are offered on screen (a raw name must never reach a client)."""
    try:
        feature_info(feature)
    except (UnknownFeatureError, KeyError):
        return False
    return True


@dataclass(frozen=True)
class ClientBook:
    """Read-only views of the population shared by every screen."""

    directory: pd.DataFrame
    similar: SimilarityIndex
    #: Features by global importance (labelled ones only), most important first.
    importance_order: list[str]
    compare_features: list[str]
    position_features: list[str]
    build_seconds: float

    @classmethod
    def build(cls, scorer: Scorer, min_group_size: int) -> ClientBook:
        t0 = time.perf_counter()
        directory = build_directory(scorer.population, scorer.scores, scorer.rule)
        order = [r.feature for r in scorer.importance if is_labelled(r.feature)]
        order = order or [f for f in scorer.features if is_labelled(f)]
        features = choose_features(order, scorer.population, n=SIMILARITY_FEATURES)
        index = SimilarityIndex.build(scorer.population, features, scorer.scores, min_group_size=min_group_size)
        numeric = [f for f in order if f not in scorer.cat_features]
        compare = compare_choices(order, scorer.population, tuple(scorer.excluded_attributes))
        return cls(directory, index, order, compare, numeric[:POSITION_FEATURES], time.perf_counter() - t0)
