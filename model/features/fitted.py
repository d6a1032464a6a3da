"""Features fitted on the training clients (:mod:`model.population_features`): declared here so that
every feature has one registry entry, left missing by ``build_features`` (which sees no labels and no
other client) and filled by the fitted state a model stores.
"""
from __future__ import annotations

from model.features.spec import FeatureSpec

NEIGHBOUR_DEFAULT_RATE = "NEIGHBOUR_DEFAULT_RATE"
CREDIT_TERM_PREDICTED = "CREDIT_TERM_PREDICTED"
INTEREST_RATE_PREDICTED = "INTEREST_RATE_PREDICTED"
_FITTED: tuple[tuple[str, str], ...] = (
    (NEIGHBOUR_DEFAULT_RATE, "share of defaulters among the k (default 50) training clients nearest on EXT_SOURCE_1-3 and "
                             "AMT_CREDIT / AMT_ANNUITY (the client itself left out)"),
    (CREDIT_TERM_PREDICTED, "number of monthly payments predicted from AMT_CREDIT, AMT_ANNUITY, AMT_GOODS_PRICE "
                            "and NAME_CONTRACT_TYPE by a regressor fitted on previous applications"),
    (INTEREST_RATE_PREDICTED, "yearly rate r of AMT_ANNUITY = AMT_CREDIT · (r/12) / (1 − (1 + r/12)^−n), "
                              "n = CREDIT_TERM_PREDICTED rounded"),
)

FITTED_FEATURES: list[str] = [name for name, _ in _FITTED]


def fitted_specs() -> list[FeatureSpec]:
    return [FeatureSpec(name, "application", None, "fitted", formula=formula) for name, formula in _FITTED]
