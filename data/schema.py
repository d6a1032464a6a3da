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
#: Days in a year, to turn Kaggle's day counts into years (ages, years employed).
DAYS_PER_YEAR = 365.25
#: The level a missing category takes wherever a category must be a string (CatBoost, filters, group tables).
MISSING_LEVEL = "NA"

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


@dataclass(frozen=True)
class Bounds:
    """Inclusive range of the values a request may send for a column (``None``: no bound on that side).

    A column's Kaggle sentinel (:attr:`Column.sentinel`, e.g. ``DAYS_EMPLOYED`` =
    :data:`DAYS_SENTINEL`) is accepted besides the range.
    """

    low: float | None
    high: float | None
    #: The rule as the API's error message states it ("> 0", "between 0 and 1").
    rule_words: str

    def admits(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


#: Largest amount (EUR) an application may state. The real Kaggle sample's largest amount is
#: 3.6e6 (AMT_CREDIT, AMT_GOODS_PRICE; income 2.0e6), the generated demo data's 3.6e6, the full
#: Kaggle file's 1.17e8 (one income): 1e10 admits all of them and keeps every feature built from
#: amounts (sums, ratios, products) finite in float32, whose largest value is 3.4e38.
MAX_AMOUNT = 1e10
#: Largest count an application may state: OBS_/DEF_*_CNT_SOCIAL_CIRCLE (sample max 25, full
#: Kaggle 348) and AMT_REQ_CREDIT_BUREAU_* enquiries (sample max 17, full Kaggle 261).
MAX_COUNT = 1000
#: Largest magnitude of a number in a child row (bureau, previous applications, balances...):
#: those rows have no business range (Kaggle holds negative debts), but a value above this bound
#: is no real history, and 5,000 rows of it still sum far inside float32's range.
MAX_CHILD_MAGNITUDE = 1e12

_POSITIVE = Bounds(1e-9, MAX_AMOUNT, f"> 0 and at most {MAX_AMOUNT:.0e}")
_NON_NEGATIVE = Bounds(0, MAX_AMOUNT, f"between 0 and {MAX_AMOUNT:.0e}")
_COUNT = Bounds(0, MAX_COUNT, f"between 0 and {MAX_COUNT}")
_PAST_DAYS = Bounds(-36500, 0, "between -36500 and 0")
_RATING = Bounds(1, 3, "1, 2 or 3")
_SHARE = Bounds(0, 1, "between 0 and 1")
_FLAG = Bounds(0, 1, "0 or 1")

#: Bounds declared column by column; they win over the rules by name below.
_COLUMN_BOUNDS: dict[str, Bounds] = {
    "AMT_INCOME_TOTAL": _POSITIVE,
    "AMT_CREDIT": _POSITIVE,
    "AMT_ANNUITY": _POSITIVE,
    "AMT_GOODS_PRICE": _NON_NEGATIVE,
    "DAYS_BIRTH": Bounds(-36500, -6570, "between -36500 and -6570 (18 to 100 years old)"),
    "DAYS_EMPLOYED": Bounds(-36500, 0, f"between -36500 and 0, or {DAYS_SENTINEL} (no employment)"),
    "DAYS_REGISTRATION": _PAST_DAYS,
    "DAYS_ID_PUBLISH": _PAST_DAYS,
    "DAYS_LAST_PHONE_CHANGE": _PAST_DAYS,
    "CNT_CHILDREN": Bounds(0, 30, "between 0 and 30"),
    "CNT_FAM_MEMBERS": Bounds(1, 40, "between 1 and 40"),
    "OWN_CAR_AGE": Bounds(0, 100, "between 0 and 100"),
    "REGION_POPULATION_RELATIVE": _SHARE,
    "REGION_RATING_CLIENT": _RATING,
    "REGION_RATING_CLIENT_W_CITY": _RATING,
    "HOUR_APPR_PROCESS_START": Bounds(0, 23, "between 0 and 23"),
}

#: Bounds of column families, as (kinds, name prefixes, name suffixes, bounds): the first rule
#: whose kind matches and whose prefix or suffix matches the name applies.
_FAMILY_BOUNDS: tuple[tuple[tuple[Kind, ...], tuple[str, ...], tuple[str, ...], Bounds], ...] = (
    (("float",), ("EXT_SOURCE_",), ("_AVG", "_MODE", "_MEDI"), _SHARE),     # scores, building measures
    (("int",), ("FLAG_", "REG_", "LIVE_"), (), _FLAG),                       # yes/no flags
    (("int", "float", "category"), ("AMT_REQ_", "OBS_", "DEF_"), (), _COUNT),   # counts
    (("int", "float", "category"), ("AMT_",), (), _NON_NEGATIVE),                  # amounts
)


def _bounds(table: Table) -> dict[str, Bounds]:
    out: dict[str, Bounds] = {}
    for c in table.columns:
        rule = _COLUMN_BOUNDS.get(c.name)
        if rule is None:
            rule = next((b for kinds, prefixes, suffixes, b in _FAMILY_BOUNDS
                         if c.kind in kinds and (c.name.startswith(prefixes) or c.name.endswith(suffixes))), None)
        if rule is not None:
            out[c.name] = rule
    return out


#: Allowed values of the application columns a request sends (``application_test``'s columns;
#: the API's validator and its documentation read this). Child tables have none: they are
#: history from bank systems, where Kaggle has legitimate negative debts.
RANGES: dict[str, Bounds] = _bounds(TABLES["application_test"])


def bounds_of(column: str) -> Bounds | None:
    """The declared range of an application column, ``None`` when it has none."""
    return RANGES.get(column)


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
