"""The aggregate statistics of the real sample the demo data is drawn from (``data/reference_stats.json``,
written by ``tools/derive_reference.py``: quantiles, frequencies, correlations, no rows), and their shape.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TypedDict

REFERENCE_PATH = Path(__file__).resolve().parents[1] / "reference_stats.json"

# ---- the reference statistics (shape of data/reference_stats.json) -----------------------
class ColumnStats(TypedDict, total=False):
    """Marginal of one column: quantiles (numeric), or levels / values with their frequencies."""

    kind: str                   # "int", "float" or "category" (data.schema.Kind)
    missing: float              # share of blanks
    quantiles: list[float]      # numeric: evenly spaced quantiles, 0 to 1
    decimals: int
    sentinel: int
    sentinel_rate: float
    values: list[float]         # discrete numeric: the values and their probabilities
    levels: list[str]           # category: the levels and their probabilities
    probs: list[float]


class CopulaStats(TypedDict):
    columns: list[str]
    corr: list[list[float]]     # rank correlations of ``columns``, in the copula's normal space


class TableStats(TypedDict, total=False):
    rows_in_sample: int
    columns: dict[str, ColumnStats]
    ratios: dict[str, ColumnStats]  # application: data.copula.COPULA_RATIOS' ratios, drawn in the copula
    category_order: dict[str, list[str]]  # application: data.copula.COPULA_CATEGORIES' levels, by real default rate
    copula: CopulaStats
    missing_groups: list[list[str]]  # columns that are blank together (nested blocks)


class RowCounts(TypedDict):
    bureau_balance_share: float
    per_client_mean: dict[str, float]
    per_bureau_mean: dict[str, float]
    per_previous_mean: dict[str, float]
    zero_share: dict[str, float]


class Relations(TypedDict):
    target_rate: float
    goods_over_credit: list[float]
    credit_over_annuity: list[float]
    instalment_late_rate: float
    instalment_delay_late: list[float]
    instalment_delay_early: list[float]
    instalment_underpaid_rate: float
    instalment_underpaid_ratio: list[float]
    prev_days_offset: dict[str, list[float]]
    bureau_balance_status: dict[str, float]
    prev_status_by_contract_type: dict[str, dict[str, float]]


class Marginals(TypedDict, total=False):
    """A table's own marginals without a copula (the real test table's)."""

    rows_in_sample: int
    columns: dict[str, ColumnStats]
    ratios: dict[str, ColumnStats]  # application: data.copula.COPULA_RATIOS' ratios
    missing_groups: list[list[str]]


class ReferenceStats(TypedDict):
    source: str
    n_quantiles: int
    tables: dict[str, TableStats]
    application_test: Marginals
    relations: Relations
    row_counts: RowCounts


_REF: ReferenceStats | None = None


def reference() -> ReferenceStats:
    """The aggregate statistics of the real sample (``data/reference_stats.json``)."""
    global _REF
    if _REF is None:
        _REF = json.loads(REFERENCE_PATH.read_text())
    return _REF
