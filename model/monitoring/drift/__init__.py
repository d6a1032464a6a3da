"""Data drift of the model's inputs: training clients (reference) against new applications (current).

Evidently's ``DataDriftPreset`` chooses one test per feature from its type and the sample size
(Evidently 0.7 rules, ``evidently.legacy.calculations.stattests.registry``):

* reference of more than 1,000 rows: normed Wasserstein distance for numeric features with more
  than 5 distinct values, Jensen-Shannon distance for categorical or low-cardinality ones, both
  with threshold 0.1 (drift when the distance is >= 0.1);
* reference of 1,000 rows or fewer: Kolmogorov-Smirnov for numeric features, chi-square (or a
  Z-test for two values) for categorical ones, p-value threshold 0.05 (drift when p < 0.05).

Only the model's features are tested, by default the top ``n_features`` (50) by global importance
(mean |SHAP| stored with the model in ``global_importance.json``): Evidently spends most of its time
drawing one Plotly figure per feature, so 442 features would take minutes; the top 50 carry almost
all of the model's importance. ``n_features=None`` (``--features 0``) tests every model feature.
A check that writes no report (the drift screen's period, run in the server) runs the same per-column
calculation without the figures: 0.64 s instead of 5.3 s for the demo model's top 50
(``benchmarks/drift_period.py``).

Sources, for either side:

* a data folder (Kaggle files): features are built with :func:`model.features.build_features` and
  the clients of one application table are kept (reference: ``application_train``, current:
  ``application_test``);
* a ``.csv`` / ``.parquet`` file of already built feature rows (one row per client; extra columns
  such as ``SK_ID_CURR`` are ignored); a raw ``application_*`` file with the Kaggle columns is also
  accepted (its application features are built, the child-table features are then absent);
* a scoring log, ``.jsonl``: one JSON object per line with a ``"features"`` object; records without
  it are skipped and counted, an unparsable *last* line (a log being written) is skipped;
* the score store (``--current store``, :func:`store_batch`): the applications scored in a
  :class:`Period` (bank-local days), real applications only (:data:`APPLICATION_SOURCES`), one row
  per client (the latest score of a client scored several times). The summary records the period
  (``summary.period``: since, until, rows), so that the screen can say which period it shows.

Outputs of :func:`run_drift`: ``drift_report.html`` (Evidently's report) and ``drift_summary.json``
(:meth:`DriftSummary.to_dict`, read back with :func:`load_summary`).

CLI::

    python -m model.monitoring.drift --reference DATA_DIR --current DATA_DIR --out reports/ [--features 50]
    python -m model.monitoring.drift --current store --since 2026-11-01 --until 2026-11-30 --out reports/

Where things are: :mod:`.check` (Evidently and its reading), :mod:`.sources` (one side read into
feature rows), :mod:`.run` (a run on the model's features, its files), :mod:`.period` (a period of
the score store, the Drift screen's check), :mod:`.cli` (the command line). The names below are the
package's public interface.
"""
from __future__ import annotations

from model.monitoring.drift.check import DATASET_DRIFT_SHARE, DriftError, DriftSummary, FeatureDrift, drift_summary
from model.monitoring.drift.period import (
    APPLICATION_SOURCES,
    DEFAULT_PERIOD_DAYS,
    MIN_PERIOD_ROWS,
    Period,
    TooFewApplications,
    default_period,
    period_check,
    period_drift,
    store_batch,
    training_clients,
)
from model.monitoring.drift.run import (
    DEFAULT_FEATURES,
    HTML_FILE,
    SUMMARY_FILE,
    fill_fitted_features,
    load_summary,
    model_features,
    run_drift,
    select_features,
)
from model.monitoring.drift.sources import Batch, Source, load_batch

__all__ = ["APPLICATION_SOURCES", "DATASET_DRIFT_SHARE", "DEFAULT_FEATURES", "DEFAULT_PERIOD_DAYS", "HTML_FILE",
           "MIN_PERIOD_ROWS", "SUMMARY_FILE", "Batch", "DriftError", "DriftSummary", "FeatureDrift", "Period", "Source",
           "TooFewApplications", "default_period", "drift_summary", "fill_fitted_features", "load_batch",
           "load_summary", "model_features", "period_check", "period_drift", "run_drift", "select_features",
           "store_batch", "training_clients"]
