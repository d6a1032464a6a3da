"""The Home Credit tables as data: the one declaration that the loader, the demo
generator and the feature builder all read.

Column names, order, kinds and category levels come from the real Kaggle files
(see ``data/kaggle_columns.py`` and ``tools/derive_schema.py``); keys, links
between tables and sentinels are declared here by hand because a sample cannot
show them reliably.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from data import kaggle_columns as _k

Kind = Literal["int", "float", "category"]

#: Kaggle's stand-in for "no date" in DAYS_* columns (about 1,000 years ahead).
DAYS_SENTINEL = 365243

#: pandas dtype of each kind in the Kaggle CSV files, as ``pd.read_csv`` gives it.
KAGGLE_DTYPE: dict[Kind, str] = {"int": "int64", "float": "float64", "category": "object"}


@dataclass(frozen=True)
class Column:
    """One column of a Kaggle file."""

    name: str
    kind: Kind
    levels: tuple[str, ...] = ()
    sentinel: int | None = None

    @property
    def kaggle_dtype(self) -> str:
        return KAGGLE_DTYPE[self.kind]


@dataclass(frozen=True)
class Link:
    """A child table's key that must exist in a parent table."""

    key: str
    parent: str


@dataclass(frozen=True)
class Table:
    """One Kaggle file: its columns in file order, its unique key and its parents."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    required: bool = False
    description: str = ""
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def names_of(self, kind: Kind) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]


_SENTINEL_COLUMNS = {
    "application_train": {"DAYS_EMPLOYED"},
    "application_test": {"DAYS_EMPLOYED"},
    "previous_application": {"DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION",
                             "DAYS_LAST_DUE", "DAYS_TERMINATION"},
}


def _columns(table: str, raw: tuple[tuple[str, str, tuple[str, ...]], ...]) -> tuple[Column, ...]:
    sentinels = _SENTINEL_COLUMNS.get(table, set())
    return tuple(
        Column(name, kind, levels, DAYS_SENTINEL if name in sentinels else None)  # type: ignore[arg-type]
        for name, kind, levels in raw
    )


_APP_TEST_RAW = tuple(c for c in _k.APPLICATION_TRAIN if c[0] != "TARGET")
_CLIENT = Link("SK_ID_CURR", "application")
_PREV = Link("SK_ID_PREV", "previous_application")

#: Every table, keyed by its Kaggle file name without extension, in Kaggle's order.
TABLES: dict[str, Table] = {t.name: t for t in (
    Table("application_train", _columns("application_train", _k.APPLICATION_TRAIN), ("SK_ID_CURR",),
          required=True, description="one row per past applicant, with TARGET (1 = payment difficulties)"),
    Table("application_test", _columns("application_test", _APP_TEST_RAW), ("SK_ID_CURR",),
          description="one row per new applicant, without TARGET"),
    Table("bureau", _columns("bureau", _k.BUREAU), ("SK_ID_BUREAU",), (_CLIENT,),
          description="credits at other institutions, as reported to the credit bureau"),
    Table("bureau_balance", _columns("bureau_balance", _k.BUREAU_BALANCE), ("SK_ID_BUREAU", "MONTHS_BALANCE"),
          (Link("SK_ID_BUREAU", "bureau"),), description="monthly status of each bureau credit"),
    Table("previous_application", _columns("previous_application", _k.PREVIOUS_APPLICATION), ("SK_ID_PREV",),
          (_CLIENT,), description="earlier applications to Home Credit"),
    Table("POS_CASH_balance", _columns("POS_CASH_balance", _k.POS_CASH_BALANCE), (), (_CLIENT, _PREV),
          description="monthly balance of earlier point-of-sale and cash loans"),
    Table("installments_payments", _columns("installments_payments", _k.INSTALLMENTS_PAYMENTS), (),
          (_CLIENT, _PREV), description="instalments due and paid on earlier credits"),
    Table("credit_card_balance", _columns("credit_card_balance", _k.CREDIT_CARD_BALANCE), (), (_CLIENT, _PREV),
          description="monthly balance of earlier credit cards"),
)}

#: Names of the two application files, which together form the "application" parent of links.
APPLICATION_TABLES = ("application_train", "application_test")
CHILD_TABLES = tuple(name for name in TABLES if name not in APPLICATION_TABLES)

#: Row counts of the full Kaggle files (the generator's default proportions).
KAGGLE_ROWS: dict[str, int] = {
    "application_train": 307_511,
    "application_test": 48_744,
    "bureau": 1_716_428,
    "bureau_balance": 27_299_925,
    "previous_application": 1_670_214,
    "POS_CASH_balance": 10_001_358,
    "installments_payments": 13_605_401,
    "credit_card_balance": 3_840_312,
}
KAGGLE_CLIENTS = KAGGLE_ROWS["application_train"] + KAGGLE_ROWS["application_test"]
KAGGLE_DEFAULT_RATE = 0.0807
