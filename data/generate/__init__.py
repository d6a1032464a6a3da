"""Generate realistic demo Home Credit tables (all eight Kaggle files) from aggregate statistics.

    python -m data.generate --clients 20000 --test-clients 3000 --seed 42 --out data/demo [--format csv|parquet]

How it works (details and tolerances in ``docs/demo-data.md``):

* Columns, order and kinds come from ``data.schema``; marginals (201 quantiles or discrete
  value frequencies, category frequencies, missing rates, sentinel rates) and the Gaussian
  copula's correlation matrix come from ``data/reference_stats.json``, which
  ``tools/derive_reference.py`` computes from the real sample (aggregates only, no rows).
* Each table's numeric columns are drawn as correlated normals (the copula), mapped through
  the real inverse CDF, so each marginal matches the real one and the rank correlations too.
* The application's amounts are drawn as the real ratios (credit / annuity, goods / credit)
  inside the copula, so the credit's term has its real distribution (``data.copula``);
  the test table takes the real test table's marginals and missing rates.
* TARGET is drawn from the risk model of real clients (``data/risk.py``, fitted on the real
  larger set): its log-odds of the client's application, scaled by :data:`APP_SCALE`, plus
  :data:`BETA_CHILD` × ``r_child``, a risk only the child tables show (bureau overdue amounts,
  bureau_balance STATUS 1-5, late and short instalments, refused applications, card
  utilisation, DPD), calibrated to Kaggle's 8.07 % default rate.
* Child rows are fully vectorised: per-parent counts (negative binomial, Kaggle's means and
  share of clients without rows), ``np.repeat`` for parent keys, a cumsum trick for the
  position inside each parent (months, instalment numbers).
* Every table gets its own random stream (``SeedSequence.spawn``), so output is deterministic.

Where things are: :mod:`.reference` (the statistics and their shape), :mod:`.draws` (the vectorised
draws), :mod:`.tables` (the eight tables and the risk in them), :mod:`.write` (the files),
:mod:`.cli` (the command line). The names below are the package's public interface.
"""
from __future__ import annotations

from data.generate.reference import REFERENCE_PATH, ReferenceStats, reference
from data.generate.tables import TABLE_ORDER, generate_tables, iter_tables
from data.generate.write import FORMATS, generate_to, write_table, write_tables

__all__ = ["FORMATS", "REFERENCE_PATH", "TABLE_ORDER", "ReferenceStats", "generate_tables", "generate_to",
           "iter_tables", "reference", "write_table", "write_tables"]
