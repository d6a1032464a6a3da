"""Model features of the Home Credit clients: one vectorised code path for training and serving.

``build_features(tables)`` turns the Kaggle tables (see ``data.schema``) into one row per client
of application_train ∪ application_test, indexed by ``SK_ID_CURR``. The features follow the
well-known public "LightGBM with simple features" approach (application ratios, per-client
aggregates of the child tables split by status and recent windows), re-written with
``np.bincount`` / ``ufunc.at`` on integer client codes so that full Kaggle scale builds in
well under a minute and one client builds in a few milliseconds.

Decisions worth knowing downstream:

* **One source of truth.** Every feature is declared once, in its family's module, as (table,
  source column, aggregation, subset, window); :mod:`~model.features.registry` ties the families
  into one ordered list and the computation iterates over it, so ``feature_columns()`` and
  ``feature_provenance()`` cannot drift from what is computed.
* **No cross-client statistic.** Every value of a client depends only on that client's rows
  (no ranks, global means or fitted encoders), so the features of one client computed from
  its rows alone equal its row of a batch build. Categories are fixed by the schema levels.
  The few features that need other clients (``FITTED_FEATURES``: the neighbours' default rate,
  the implied term and interest rate) are declared here but fitted and filled by
  ``model.population_features``, inside each cross-validation fold.
* **Missing data.** A child table absent from ``tables``, or a client without rows in it,
  gives NaN for all of that table's features (counts included). For a client *with* rows:
  ``COUNT`` of an empty subset/window is 0; ``SUM`` ignores NaN and is NaN when no value is
  given (pandas ``min_count=1``); ``MEAN``/``MIN``/``MAX``/``STD`` (ddof=1) ignore NaN;
  ``LAST`` is the value on the most recent row (ties broken by the larger ``SK_ID_PREV``).
* **Sentinels.** ``DAYS_SENTINEL`` (365243) in the schema's sentinel columns becomes NaN;
  ``DAYS_EMPLOYED_ANOM`` keeps the information as a 0/1 flag.
* **Dtypes.** Numeric features are float32; ``CATEGORICAL_FEATURES`` are pandas ``category``
  with exactly the schema levels (values outside them become NaN). Column order is
  ``feature_columns(include_children)`` whatever the input, empty tables included.
* **Windows** are relative to each client's application date, as the Kaggle ``DAYS_*`` /
  ``MONTHS_BALANCE`` columns are: ``L365D`` = the last 365 days, ``L12M`` = the last 12 months.

Where things are: one module per family, :mod:`~model.features.application` (the application's
columns and their ratios), :mod:`~model.features.fitted` (declared here, fitted by
``model.population_features``) and one per child table (:mod:`~model.features.bureau`,
:mod:`~model.features.previous`, :mod:`~model.features.pos_cash`,
:mod:`~model.features.installments`, :mod:`~model.features.credit_card`) on the engine they share
(:mod:`~model.features.children`); :mod:`~model.features.registry` ties them;
:mod:`~model.features.build` computes them. The names below are the package's public interface.
"""
from __future__ import annotations

from model.features.application import APP_CATEGORICAL, APP_RAW, EXTERNAL_SCORES, IMPLIED_RATE_FEATURES
from model.features.build import build_features, target
from model.features.fitted import (
    CREDIT_TERM_PREDICTED,
    FITTED_FEATURES,
    INTEREST_RATE_PREDICTED,
    NEIGHBOUR_DEFAULT_RATE,
)
from model.features.loan_terms import STANDARD_TERMS, annuity_rate, standard_term
from model.features.registry import (
    APPLICATION_FEATURES,
    CATEGORICAL_FEATURES,
    CHILD_FEATURES,
    FeatureProvenance,
    feature_columns,
    feature_provenance,
)
from model.features.spec import FeatureSpec

__all__ = ["annuity_rate", "build_features", "feature_columns", "feature_provenance", "target", "CATEGORICAL_FEATURES",
           "APPLICATION_FEATURES", "CHILD_FEATURES", "FITTED_FEATURES", "IMPLIED_RATE_FEATURES", "STANDARD_TERMS",
           "standard_term", "APP_CATEGORICAL", "APP_RAW", "CREDIT_TERM_PREDICTED", "EXTERNAL_SCORES",
           "FeatureProvenance", "FeatureSpec", "INTEREST_RATE_PREDICTED", "NEIGHBOUR_DEFAULT_RATE"]
