"""The registry that ties the families into one ordered list of features: the application's, the
fitted ones, each child table's, then the ratios of a child aggregate to an application amount.

Every feature is declared once, in its family's module; ``feature_columns()`` and
``feature_provenance()`` read this list, and ``build_features`` computes exactly it, so the names,
their provenance and what is computed cannot drift apart. The order is the models' column order:
a trained model records it, and loading refuses one whose features differ.
"""
from __future__ import annotations

from typing import TypedDict

from model.features.application import application_specs
from model.features.bureau import BUREAU
from model.features.children import ChildSpec, child_specs
from model.features.credit_card import CREDIT_CARD
from model.features.fitted import fitted_specs
from model.features.installments import INSTALMENTS
from model.features.pos_cash import POS_CASH
from model.features.previous import PREVIOUS
from model.features.spec import FeatureSpec

REGISTRY: dict[str, FeatureSpec] = {}


def _register(spec: FeatureSpec) -> None:
    if spec.name in REGISTRY:
        raise ValueError(f"duplicate feature name {spec.name}")
    REGISTRY[spec.name] = spec


for _spec in (*application_specs(), *fitted_specs()):
    _register(_spec)
APPLICATION_FEATURES: list[str] = list(REGISTRY)

CHILDREN: tuple[ChildSpec, ...] = (BUREAU, PREVIOUS, POS_CASH, INSTALMENTS, CREDIT_CARD)
for _child in CHILDREN:
    for _spec in child_specs(_child):
        _register(_spec)

#: Features that combine a child aggregate with the application (name, numerator, denominator).
COMBINED: tuple[tuple[str, str, str], ...] = (
    ("BURO_ACTIVE_DEBT_INCOME_RATIO", "BURO_ACTIVE_AMT_CREDIT_SUM_DEBT_SUM", "AMT_INCOME_TOTAL"),
    ("BURO_ACTIVE_ANNUITY_INCOME_RATIO", "BURO_ACTIVE_AMT_ANNUITY_SUM", "AMT_INCOME_TOTAL"),
    ("BURO_ACTIVE_DEBT_CREDIT_RATIO", "BURO_ACTIVE_AMT_CREDIT_SUM_DEBT_SUM", "AMT_CREDIT"),
    ("PREV_LAST_CREDIT_RATIO", "PREV_AMT_CREDIT_LAST", "AMT_CREDIT"),
    ("PREV_APPROVED_ANNUITY_INCOME_RATIO", "PREV_APPROVED_AMT_ANNUITY_SUM", "AMT_INCOME_TOTAL"),
    ("INSTAL_L365D_PAYMENT_INCOME_RATIO", "INSTAL_L365D_AMT_PAYMENT_SUM", "AMT_INCOME_TOTAL"),
    ("CC_LAST_BALANCE_INCOME_RATIO", "CC_AMT_BALANCE_LAST", "AMT_INCOME_TOTAL"),
)
for _name, _num, _den in COMBINED:
    _sp = REGISTRY[_num]
    _register(FeatureSpec(_name, _sp.table, _num, "ratio", subset=_sp.subset, window=_sp.window,
                          formula=f"{_num} / {_den}", children=True, subset_rule=_sp.subset_rule,
                          window_rule=_sp.window_rule))

CHILD_FEATURES: list[str] = [n for n, s in REGISTRY.items() if s.children]
CATEGORICAL_FEATURES: list[str] = [n for n, s in REGISTRY.items() if s.categorical]


def feature_columns(include_children: bool = True) -> list[str]:
    """The full, fixed, ordered list of output columns of :func:`build_features`."""
    return [n for n, s in REGISTRY.items() if include_children or not s.children]


class FeatureProvenance(TypedDict):
    """What :func:`feature_provenance` returns: the registry entry of one feature, as plain data."""

    name: str
    table: str
    source: str | None
    agg: str
    subset: str | None
    window: str | None
    formula: str | None
    subset_rule: str | None
    window_rule: str | None
    categorical: bool
    levels: list[str]
    children: bool


def feature_provenance(name: str) -> FeatureProvenance:
    """How feature ``name`` is built, e.g. ``{"table": "installments_payments", "source": "DPD", "agg": "mean",
    "subset": None, "window": "L365D", "formula": "days past due: ...", ...}`` (KeyError if unknown)."""
    try:
        s = REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown feature {name!r}") from None
    return {"name": s.name, "table": s.table, "source": s.source, "agg": s.agg, "subset": s.subset,
            "window": s.window, "formula": s.formula, "subset_rule": s.subset_rule,
            "window_rule": s.window_rule, "categorical": s.categorical, "levels": list(s.levels),
            "children": s.children}
