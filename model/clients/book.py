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
from model.clients.similar import SimilarityIndex, choose_features
from model.scoring import Scorer
from model.text.labels import UnknownFeatureError, feature_info

#: Features offered in the comparison dropdown / drawn in the position chart.
COMPARE_CHOICES = 15
POSITION_FEATURES = 8
#: Features the similarity between clients is measured on.
SIMILARITY_FEATURES = 10


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
        return cls(directory, index, order, order[:COMPARE_CHOICES], numeric[:POSITION_FEATURES],
                   time.perf_counter() - t0)
