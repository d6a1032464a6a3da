"""The declaration of one feature: every family describes its columns with it, and the registry
(:mod:`model.features.registry`) ties them into one ordered list, so the names, their provenance and
what is computed cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass

from data.schema import TABLES


@dataclass(frozen=True)
class FeatureSpec:
    """How one output column is built (the single source of truth for names and provenance)."""

    name: str
    table: str                      # Kaggle table the values come from ("application", "bureau", ...)
    source: str | None              # column (raw or derived row column) aggregated; None for counts
    agg: str                        # raw / derived / count / sum / mean / min / max / std / last / ratio
    subset: str | None = None       # ACTIVE / CLOSED / APPROVED / REFUSED / LASTMONTH
    window: str | None = None       # L365D / L90D / L12M / L3M
    formula: str | None = None      # how a derived source (or an application derived feature) is computed
    subset_rule: str | None = None
    window_rule: str | None = None
    levels: tuple[str, ...] = ()    # schema levels of a categorical feature
    children: bool = False          # needs child tables (excluded when include_children=False)

    @property
    def categorical(self) -> bool:
        return bool(self.levels)


def schema_levels(table: str, column: str) -> tuple[str, ...]:
    return TABLES[table].column(column).levels
