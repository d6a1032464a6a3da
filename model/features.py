"""Model features of the Home Credit clients: one vectorised code path for training and serving.

``build_features(tables)`` turns the Kaggle tables (see ``data.schema``) into one row per client
of application_train ∪ application_test, indexed by ``SK_ID_CURR``. The features follow the
well-known public "LightGBM with simple features" approach (application ratios, per-client
aggregates of the child tables split by status and recent windows), re-written with
``np.bincount`` / ``ufunc.at`` on integer client codes so that full Kaggle scale builds in
well under a minute and one client builds in a few milliseconds.

Decisions worth knowing downstream:

* **One source of truth.** Every feature is declared once, in the registry below
  (``_REGISTRY``), as (table, source column, aggregation, subset, window); the computation
  iterates over that registry, so ``feature_columns()`` and ``feature_provenance()`` cannot
  drift from what is computed.
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
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.schema import APPLICATION_TABLES, DAYS_PER_YEAR, DAYS_SENTINEL, TABLES

__all__ = ["annuity_rate", "build_features", "feature_columns", "feature_provenance", "target", "CATEGORICAL_FEATURES",
           "APPLICATION_FEATURES", "CHILD_FEATURES", "FITTED_FEATURES", "IMPLIED_RATE_FEATURES", "STANDARD_TERMS", "standard_term"]

ID = "SK_ID_CURR"
_F64 = np.float64

#: Row / per-client arrays: float64 values, int64 positions and codes, boolean masks.
_Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]
_Mask = npt.NDArray[np.bool_]
#: Category codes (-1 = missing): int8/16/32 as pandas or the schema lookup give them.
_Codes = npt.NDArray[np.signedinteger[Any]]
#: The cleaned application columns handed to the derived-feature functions.
_AppColumns = Mapping[str, _Floats]


# ----------------------------------------------------------------------------------------------
# Registry
# ----------------------------------------------------------------------------------------------
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


_REGISTRY: dict[str, FeatureSpec] = {}


def _register(spec: FeatureSpec) -> None:
    if spec.name in _REGISTRY:
        raise ValueError(f"duplicate feature name {spec.name}")
    _REGISTRY[spec.name] = spec


def _levels(table: str, column: str) -> tuple[str, ...]:
    return TABLES[table].column(column).levels


# ----------------------------------------------------------------------------------------------
# Small numeric helpers
# ----------------------------------------------------------------------------------------------
def _div(a: _Floats, b: _Floats) -> _Floats:
    """a / b with NaN where b is 0, NaN or the result is not finite."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.asarray(a, dtype=_F64) / np.asarray(b, dtype=_F64)
    out[~np.isfinite(out)] = np.nan
    return out


#: Monthly rates searched by :func:`annuity_rate`: -20 % to +50 % a month (beyond: NaN).
_RATE_BRACKET = (-0.2, 0.5)


def annuity_rate(credit: npt.ArrayLike, annuity: npt.ArrayLike, payments: npt.ArrayLike) -> _Floats:
    """Yearly interest rate (12 × the monthly rate) of a loan of ``credit`` repaid by ``payments``
    monthly annuities of ``annuity``: the rate r solving annuity = credit · r / (1 − (1 + r)^−n).

    The public solutions' "interest rate" feature: what a lender charges a client says how risky
    it judged the client. A simple rate (total paid / credit − 1 per year) overstates long loans;
    the annuity formula is the one lenders use. The payment share annuity/credit rises strictly
    with r for a given n, so a vectorised bisection (60 halvings: far below a float32's
    precision) finds r. NaN where an input is missing or not positive, or the rate lies outside
    :data:`_RATE_BRACKET` (a payment share no real loan has).
    """
    c, a, n = (np.asarray(v, dtype=_F64) for v in (credit, annuity, payments))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share = a / c
        ok = np.isfinite(share) & np.isfinite(n) & (c > 0) & (a > 0) & (n >= 1)
    share = np.where(ok, share, 1.0)
    n = np.where(ok, np.round(n), 1.0)
    lo = np.full(share.shape, _RATE_BRACKET[0])
    hi = np.full(share.shape, _RATE_BRACKET[1])

    def payment_share(r: _Floats) -> _Floats:
        near_zero = np.abs(r) < 1e-12
        safe = np.where(near_zero, 1e-12, r)
        return np.where(near_zero, 1.0 / n, safe / -np.expm1(-n * np.log1p(safe)))

    inside = (payment_share(lo) <= share) & (share <= payment_share(hi))
    for _ in range(60):
        mid = (lo + hi) / 2
        below = payment_share(mid) < share
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    rate: _Floats = np.asarray(12.0 * (lo + hi) / 2, dtype=_F64)
    rate[~(ok & inside)] = np.nan
    return rate


#: The terms (months) Home Credit's loans are mostly written for: the standard term of a loan is the
#: shortest of these that its payments can cover (credit / annuity payments, rounded up).
STANDARD_TERMS: tuple[int, ...] = (6, 10, 12, 18, 24, 30, 36, 48, 60)


def standard_term(credit: npt.ArrayLike, annuity: npt.ArrayLike) -> _Floats:
    """The shortest :data:`STANDARD_TERMS` term of at least credit / annuity payments (NaN beyond the
    longest or without both amounts).

    The application does not give the number of payments, and this sample's previous applications
    are too few to learn it (:class:`model.population_features.TermModel`); loans are written for a
    few standard terms, so the first one the payments can cover is the likeliest. The rate it
    implies (:func:`annuity_rate`) is then what the lender charged: a loan priced high for its term
    is one the lender judged risky, which credit / annuity alone cannot show (two loans with the
    same ratio may be a cheap 12-month and a dear 10-month loan).
    """
    ratio = _div(np.asarray(credit, dtype=_F64), np.asarray(annuity, dtype=_F64))
    terms = np.asarray(STANDARD_TERMS, dtype=_F64)
    at = np.searchsorted(terms, np.where(np.isnan(ratio), np.inf, ratio - 1e-9), side="left")
    out = terms[np.minimum(at, len(terms) - 1)]
    return np.where((at < len(terms)) & ~np.isnan(ratio), out, np.nan)


def _flag(cond: _Mask, known: _Mask | None = None) -> _Floats:
    """0/1 float; NaN where ``known`` is False."""
    out = cond.astype(_F64)
    if known is not None:
        out[~known] = np.nan
    return out


def _schema_codes(s: pd.Series, levels: tuple[str, ...]) -> _Codes:
    """Codes of ``s`` in the schema levels (-1 for missing or unknown values)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        codes: _Codes = np.asarray(s.array.codes)
        if len(cats) == len(levels) and list(cats) == list(levels):
            return codes
        # map the frame's categories to schema positions, then take through the codes
        pos = pd.Index(levels).get_indexer(cats.astype(str))
        lut: _Codes = np.append(pos, -1).astype(np.int16 if len(levels) < 30000 else np.int32)
        return lut[codes]
    if len(s) <= _SMALL_ROWS:
        # one applicant's text values (the API's checked row): a dict look-up per value instead of
        # building a Categorical, a quarter of a one-row build otherwise. Same codes: anything that
        # is not one of the level strings (missing, unknown, a number) is -1.
        lookup = _level_codes(levels)
        return np.fromiter((lookup.get(v, -1) if isinstance(v, str) else -1 for v in s.to_numpy(dtype=object)),
                           dtype=np.int32, count=len(s))
    # pandas-stubs reject None as `other` of Series.where; pandas takes it (the object missing value)
    text = s.astype(object).where(s.notna(), None)  # type: ignore[call-overload]
    return pd.Categorical(text, categories=list(levels)).codes


#: Up to this many rows, text categories are coded by dictionary look-up (:func:`_schema_codes`).
_SMALL_ROWS = 64


@functools.cache
def _level_codes(levels: tuple[str, ...]) -> dict[str, int]:
    return {level: code for code, level in enumerate(levels)}


def _dense_indexer(keys: npt.NDArray[np.integer[Any]], query: npt.NDArray[np.integer[Any]]) -> _Ints:
    """Position of each ``query`` value in the unique int array ``keys`` (-1 if absent)."""
    keys64 = np.asarray(keys, dtype=np.int64)
    query64 = np.asarray(query, dtype=np.int64)
    if len(keys64) == 0 or len(query64) == 0:
        return np.full(len(query64), -1, dtype=np.int64)
    lo, hi = int(keys64.min()), int(keys64.max())
    if hi - lo <= max(4 * len(keys64), 1 << 22):  # dense ids: a lookup table is ~10x faster than hashing
        lut = np.full(hi - lo + 2, -1, dtype=np.int64)
        lut[keys64 - lo] = np.arange(len(keys64), dtype=np.int64)
        q = query64 - lo
        q[(q < 0) | (q > hi - lo)] = hi - lo + 1  # the last slot stays -1
        return lut[q]
    # get_indexer turns its target into an Index anyway; building it here satisfies pandas-stubs
    return pd.Index(keys64).get_indexer(pd.Index(query64)).astype(np.int64)


def _factorize(values: npt.NDArray[np.integer[Any]]) -> tuple[_Ints, int]:
    """Integer codes 0..k-1 of int values (order irrelevant), and k."""
    values64 = np.asarray(values, dtype=np.int64)
    if len(values64) == 0:
        return np.zeros(0, dtype=np.int64), 0
    lo, hi = int(values64.min()), int(values64.max())
    if hi - lo <= max(4 * len(values64), 1 << 22):
        seen = np.zeros(hi - lo + 1, dtype=bool)
        seen[values64 - lo] = True
        rank = np.cumsum(seen, dtype=np.int64) - 1
        return rank[values64 - lo], int(rank[-1]) + 1
    codes, uniq = pd.factorize(values64)
    return codes.astype(np.int64), len(uniq)


class _Group:
    """Per-client reductions of row arrays over integer codes in [0, n) (NaN-aware)."""

    def __init__(self, codes: _Ints, n: int) -> None:
        self.codes = codes
        self.n = n
        self._rows = np.bincount(codes, minlength=n).astype(_F64)

    def count(self) -> _Floats:
        return self._rows.copy()

    def aggs(self, x: _Floats, hows: Iterable[str]) -> list[_Floats]:
        """NaN-ignoring reductions of ``x`` per client, one array per name in ``hows``."""
        ok = ~np.isnan(x)
        if ok.all():
            cv, xv, cnt = self.codes, x, self._rows
        else:
            cv, xv = self.codes[ok], x[ok]
            cnt = np.bincount(cv, minlength=self.n).astype(_F64)
        del ok
        empty = cnt == 0
        s: _Floats | None = None  # per-client sums, shared by sum, mean and std
        results = []
        for how in hows:
            if how in ("min", "max"):
                out = np.full(self.n, np.inf if how == "min" else -np.inf)
                (np.minimum if how == "min" else np.maximum).at(out, cv, xv)
            elif how in ("sum", "mean", "std"):
                if s is None:
                    s = np.bincount(cv, weights=xv, minlength=self.n).astype(_F64, copy=False)
                if how == "sum":
                    out = s.copy()
                elif how == "mean":
                    with np.errstate(invalid="ignore", divide="ignore"):
                        out = s / cnt
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        mean = s / cnt
                        d = xv - mean[cv]
                        out = np.sqrt(np.bincount(cv, weights=d * d, minlength=self.n).astype(_F64, copy=False)
                                      / (cnt - 1))
                    del d
                    out[cnt < 2] = np.nan
            else:
                raise ValueError(how)
            out[empty] = np.nan
            results.append(out)
        return results

    def agg(self, x: _Floats, how: str) -> _Floats:
        return self.aggs(x, (how,))[0]

    def last_rows(self, time: _Floats, tiebreak: _Floats) -> _Ints:
        """Row positions of each client's most recent row (largest time, then largest tiebreak)."""
        t = np.where(np.isnan(time), -np.inf, time)
        tmax = np.full(self.n, -np.inf)
        np.maximum.at(tmax, self.codes, t)
        cand = np.flatnonzero(t == tmax[self.codes])
        cc = self.codes[cand]
        b = tiebreak[cand]
        bmax = np.full(self.n, -np.inf)
        np.maximum.at(bmax, cc, b)
        latest: _Mask = b == bmax[cc]
        return cand[latest]

    def last(self, x: _Floats, rows: _Ints) -> _Floats:
        out = np.full(self.n, np.nan)
        out[self.codes[rows]] = x[rows]  # duplicates of the same (time, tiebreak): the later row wins
        return out


# ----------------------------------------------------------------------------------------------
# Application features
# ----------------------------------------------------------------------------------------------
_APP = TABLES["application_train"]
#: Raw application columns kept as features: all but the id, TARGET, the numeric housing *_MODE / *_MEDI
#: duplicates of the *_AVG columns and the FLAG_DOCUMENT_* flags other than FLAG_DOCUMENT_3 (summed in
#: DOCUMENT_COUNT instead): near-duplicates that only slow the model down.
_APP_ALL: list[str] = [c.name for c in _APP.columns if c.name not in (ID, "TARGET")]
APP_RAW: list[str] = [c for c in _APP_ALL if not (
    (_APP.column(c).kind != "category" and (c.endswith("_MODE") or c.endswith("_MEDI")))
    or (c.startswith("FLAG_DOCUMENT_") and c != "FLAG_DOCUMENT_3"))]
APP_CATEGORICAL: list[str] = [c for c in APP_RAW if _APP.column(c).kind == "category"]
_APP_SENTINEL = [c for c in APP_RAW if _APP.column(c).sentinel is not None]
_EXT = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")
#: External credit scores and their summaries: a higher value means a lower risk, by construction
#: of the scores (a candidate for CatBoostParams.monotone_decreasing).
EXTERNAL_SCORES: tuple[str, ...] = (*_EXT, "EXT_SOURCE_MEAN", "EXT_SOURCE_MIN", "EXT_SOURCE_MAX",
                                    "EXT_SOURCE_PROD", "EXT_SOURCE_WEIGHTED")
_DOCS = [c for c in _APP_ALL if c.startswith("FLAG_DOCUMENT_")]
_REQ = [c for c in APP_RAW if c.startswith("AMT_REQ_CREDIT_BUREAU_")]
_CONTACT = ["FLAG_MOBIL", "FLAG_EMP_PHONE", "FLAG_WORK_PHONE", "FLAG_CONT_MOBILE", "FLAG_PHONE", "FLAG_EMAIL"]
_YEAR = DAYS_PER_YEAR


class _RowReducer(Protocol):
    """``np.nanmean`` / ``nanstd`` / ``nanmin`` / ``nanmax``, as :func:`_nanreduce` calls them."""

    def __call__(self, a: _Floats, /, *, axis: int) -> npt.NDArray[np.floating[Any]]: ...


#: A derived application feature, computed from the cleaned application columns.
_Derive = Callable[[_AppColumns], npt.NDArray[np.floating[Any]]]


def _ext_stack(c: _AppColumns) -> _Floats:
    return np.column_stack([c[e] for e in _EXT])


def _nanreduce(fn: _RowReducer, m: _Floats) -> npt.NDArray[np.floating[Any]]:
    with np.errstate(invalid="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(m, axis=1)


def _ext_prod(c: _AppColumns) -> _Floats:
    return c["EXT_SOURCE_1"] * c["EXT_SOURCE_2"] * c["EXT_SOURCE_3"]


#: (name, formula, function of the cleaned application columns ``c``; c["_DAYS_EMPLOYED_RAW"] is raw)
_APP_DERIVED: tuple[tuple[str, str, _Derive], ...] = (
    ("DAYS_EMPLOYED_ANOM", f"1 if DAYS_EMPLOYED == {DAYS_SENTINEL} (no employment date) else 0",
     lambda c: _flag(c["_DAYS_EMPLOYED_RAW"] == DAYS_SENTINEL, ~np.isnan(c["_DAYS_EMPLOYED_RAW"]))),
    ("CREDIT_INCOME_RATIO", "AMT_CREDIT / AMT_INCOME_TOTAL", lambda c: _div(c["AMT_CREDIT"], c["AMT_INCOME_TOTAL"])),
    ("ANNUITY_INCOME_RATIO", "AMT_ANNUITY / AMT_INCOME_TOTAL",
     lambda c: _div(c["AMT_ANNUITY"], c["AMT_INCOME_TOTAL"])),
    ("PAYMENT_RATE", "AMT_ANNUITY / AMT_CREDIT", lambda c: _div(c["AMT_ANNUITY"], c["AMT_CREDIT"])),
    ("CREDIT_TERM_MONTHS", "AMT_CREDIT / AMT_ANNUITY", lambda c: _div(c["AMT_CREDIT"], c["AMT_ANNUITY"])),
    ("CREDIT_TERM_STANDARD", f"shortest of the standard terms {STANDARD_TERMS} months of at least AMT_CREDIT / "
                             "AMT_ANNUITY payments", lambda c: standard_term(c["AMT_CREDIT"], c["AMT_ANNUITY"])),
    ("INTEREST_RATE_STANDARD", "yearly rate r of AMT_ANNUITY = AMT_CREDIT · (r/12) / (1 − (1 + r/12)^−n), "
                               "n = CREDIT_TERM_STANDARD",
     lambda c: annuity_rate(c["AMT_CREDIT"], c["AMT_ANNUITY"], standard_term(c["AMT_CREDIT"], c["AMT_ANNUITY"]))),
    ("GOODS_CREDIT_RATIO", "AMT_GOODS_PRICE / AMT_CREDIT", lambda c: _div(c["AMT_GOODS_PRICE"], c["AMT_CREDIT"])),
    ("CREDIT_GOODS_DIFF", "AMT_CREDIT - AMT_GOODS_PRICE", lambda c: c["AMT_CREDIT"] - c["AMT_GOODS_PRICE"]),
    ("DAYS_EMPLOYED_PERC", "DAYS_EMPLOYED / DAYS_BIRTH (share of life employed)",
     lambda c: _div(c["DAYS_EMPLOYED"], c["DAYS_BIRTH"])),
    ("INCOME_PER_PERSON", "AMT_INCOME_TOTAL / CNT_FAM_MEMBERS",
     lambda c: _div(c["AMT_INCOME_TOTAL"], c["CNT_FAM_MEMBERS"])),
    ("ANNUITY_PER_PERSON", "AMT_ANNUITY / CNT_FAM_MEMBERS", lambda c: _div(c["AMT_ANNUITY"], c["CNT_FAM_MEMBERS"])),
    ("CHILDREN_RATIO", "CNT_CHILDREN / CNT_FAM_MEMBERS", lambda c: _div(c["CNT_CHILDREN"], c["CNT_FAM_MEMBERS"])),
    ("INCOME_MINUS_ANNUITY", "AMT_INCOME_TOTAL - 12 * AMT_ANNUITY",
     lambda c: c["AMT_INCOME_TOTAL"] - 12.0 * c["AMT_ANNUITY"]),
    ("AGE_YEARS", "-DAYS_BIRTH / 365.25", lambda c: -c["DAYS_BIRTH"] / _YEAR),
    ("EMPLOYED_YEARS", "-DAYS_EMPLOYED / 365.25 (NaN if sentinel)", lambda c: -c["DAYS_EMPLOYED"] / _YEAR),
    ("CAR_AGE_RATIO", "OWN_CAR_AGE / age in years", lambda c: _div(c["OWN_CAR_AGE"], -c["DAYS_BIRTH"] / _YEAR)),
    ("PHONE_CHANGE_BIRTH_RATIO", "DAYS_LAST_PHONE_CHANGE / DAYS_BIRTH",
     lambda c: _div(c["DAYS_LAST_PHONE_CHANGE"], c["DAYS_BIRTH"])),
    ("ID_PUBLISH_BIRTH_RATIO", "DAYS_ID_PUBLISH / DAYS_BIRTH", lambda c: _div(c["DAYS_ID_PUBLISH"], c["DAYS_BIRTH"])),
    ("REGISTRATION_BIRTH_RATIO", "DAYS_REGISTRATION / DAYS_BIRTH",
     lambda c: _div(c["DAYS_REGISTRATION"], c["DAYS_BIRTH"])),
    ("EXT_SOURCE_MEAN", "mean of EXT_SOURCE_1..3 (given ones)", lambda c: _nanreduce(np.nanmean, _ext_stack(c))),
    ("EXT_SOURCE_STD", "std (ddof=0) of EXT_SOURCE_1..3 (given ones)",
     lambda c: _nanreduce(np.nanstd, _ext_stack(c))),
    ("EXT_SOURCE_MIN", "min of EXT_SOURCE_1..3", lambda c: _nanreduce(np.nanmin, _ext_stack(c))),
    ("EXT_SOURCE_MAX", "max of EXT_SOURCE_1..3", lambda c: _nanreduce(np.nanmax, _ext_stack(c))),
    ("EXT_SOURCE_PROD", "EXT_SOURCE_1 * EXT_SOURCE_2 * EXT_SOURCE_3", _ext_prod),
    ("EXT_SOURCE_WEIGHTED", "2 * EXT_SOURCE_1 + EXT_SOURCE_2 + 3 * EXT_SOURCE_3",
     lambda c: 2 * c["EXT_SOURCE_1"] + c["EXT_SOURCE_2"] + 3 * c["EXT_SOURCE_3"]),
    ("EXT_SOURCE_NAN_COUNT", "number of EXT_SOURCE_1..3 not given",
     lambda c: np.isnan(_ext_stack(c)).sum(axis=1).astype(_F64)),
    ("DOCUMENT_COUNT", "sum of FLAG_DOCUMENT_2..21", lambda c: np.sum([c[d] for d in _DOCS], axis=0)),
    ("CONTACT_COUNT", "sum of the FLAG_* contact flags (mobile, phones, e-mail)",
     lambda c: np.sum([c[d] for d in _CONTACT], axis=0)),
    ("REQ_CREDIT_BUREAU_TOTAL", "sum of AMT_REQ_CREDIT_BUREAU_* (credit bureau enquiries)",
     lambda c: np.sum([c[d] for d in _REQ], axis=0)),
    ("DEF_30_SOCIAL_RATIO", "DEF_30_CNT_SOCIAL_CIRCLE / OBS_30_CNT_SOCIAL_CIRCLE",
     lambda c: _div(c["DEF_30_CNT_SOCIAL_CIRCLE"], c["OBS_30_CNT_SOCIAL_CIRCLE"])),
    ("DEF_60_SOCIAL_RATIO", "DEF_60_CNT_SOCIAL_CIRCLE / OBS_60_CNT_SOCIAL_CIRCLE",
     lambda c: _div(c["DEF_60_CNT_SOCIAL_CIRCLE"], c["OBS_60_CNT_SOCIAL_CIRCLE"])),
)

for _name in APP_RAW:
    _col = _APP.column(_name)
    _register(FeatureSpec(_name, "application", _name, "raw", levels=_col.levels,
                          formula=(f"{DAYS_SENTINEL} replaced by NaN" if _col.sentinel is not None else None)))
for _name, _formula, _fn in _APP_DERIVED:
    _register(FeatureSpec(_name, "application", None, "derived", formula=_formula))

#: Features fitted on the training clients (model.population_features): declared here so that
#: every feature has one registry entry, left missing by build_features (which sees no labels
#: and no other client) and filled by the fitted state a model stores.
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
for _name, _formula in _FITTED:
    _register(FeatureSpec(_name, "application", None, "fitted", formula=_formula))
FITTED_FEATURES: list[str] = [name for name, _ in _FITTED]
#: The loan's standard term and the rate it implies (:func:`standard_term`), computed from the application alone.
IMPLIED_RATE_FEATURES: tuple[str, ...] = ("CREDIT_TERM_STANDARD", "INTEREST_RATE_STANDARD")
APPLICATION_FEATURES: list[str] = list(_REGISTRY)


# ----------------------------------------------------------------------------------------------
# Child tables: declared as row columns (raw or derived) + aggregation blocks
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Block:
    subset: str | None
    window: str | None
    aggs: tuple[tuple[str, tuple[str, ...]], ...]
    count: bool = True


@dataclass(frozen=True)
class _ChildSpec:
    table: str
    prefix: str
    derived: Mapping[str, str]                      # derived row column -> formula
    subsets: Mapping[str, str]                      # subset name -> rule
    windows: Mapping[str, str]                      # window name -> rule
    blocks: tuple[_Block, ...]
    last: tuple[str, ...] = ()                      # sources taken on the most recent row
    last_rule: str = ""
    categorical_last: Mapping[str, str] | None = None  # source -> schema column for levels
    source_table: Mapping[str, str] | None = None      # source -> table it comes from, if not `table`


def _b(subset: str | None, window: str | None, spec: str, count: bool = True) -> _Block:
    """Block from a compact spec: 'COL:min,max,mean; COL2:sum'."""
    aggs: list[tuple[str, tuple[str, ...]]] = []
    for part in spec.split(";"):
        part = part.strip()
        if part:
            col, hows = part.split(":")
            aggs.append((col.strip(), tuple(h.strip() for h in hows.split(","))))
    return _Block(subset, window, tuple(aggs), count)


_BB_LATE = ("1", "2", "3", "4", "5")
_BUREAU = _ChildSpec(
    "bureau", "BURO",
    derived={
        "DEBT_CREDIT_RATIO": "AMT_CREDIT_SUM_DEBT / AMT_CREDIT_SUM",
        "OVERDUE_DEBT_RATIO": "AMT_CREDIT_SUM_OVERDUE / AMT_CREDIT_SUM_DEBT",
        "CREDIT_DURATION": "DAYS_CREDIT_ENDDATE - DAYS_CREDIT (planned length, days)",
        "ENDDATE_DIFF": "DAYS_ENDDATE_FACT - DAYS_CREDIT_ENDDATE (closed early < 0 < late)",
        "IS_OVERDUE": "1 if CREDIT_DAY_OVERDUE > 0",
        "IS_ACTIVE": "1 if CREDIT_ACTIVE == 'Active'",
        "TYPE_CONSUMER": "1 if CREDIT_TYPE == 'Consumer credit'",
        "TYPE_CARD": "1 if CREDIT_TYPE == 'Credit card'",
        "TYPE_CAR": "1 if CREDIT_TYPE == 'Car loan'",
        "TYPE_MORTGAGE": "1 if CREDIT_TYPE == 'Mortgage'",
        "TYPE_MICROLOAN": "1 if CREDIT_TYPE == 'Microloan'",
        "BB_MONTHS_COUNT": "bureau_balance: number of monthly statuses of the credit",
        "BB_MONTHS_MIN": "bureau_balance: oldest MONTHS_BALANCE of the credit",
        "BB_LATE_SHARE": "bureau_balance: share of the credit's months with STATUS 1-5 (late)",
        "BB_STATUS_MAX": "bureau_balance: worst STATUS of the credit (0-5, days-past-due bucket)",
        "BB_UNKNOWN_SHARE": "bureau_balance: share of the credit's months with STATUS X (unknown)",
        "BB_LATE_L12M_SHARE": "bureau_balance: share of the credit's last-12-month statuses that are 1-5",
    },
    subsets={"ACTIVE": "CREDIT_ACTIVE == 'Active'", "CLOSED": "CREDIT_ACTIVE == 'Closed'"},
    windows={"L365D": "DAYS_CREDIT >= -365 (credit opened in the last year)"},
    blocks=(
        _b(None, None, "DAYS_CREDIT:min,max,mean,std; CREDIT_DAY_OVERDUE:max,mean; "
                       "DAYS_CREDIT_ENDDATE:min,max,mean; DAYS_ENDDATE_FACT:max,mean; "
                       "DAYS_CREDIT_UPDATE:max,mean; AMT_CREDIT_MAX_OVERDUE:max,mean; CNT_CREDIT_PROLONG:sum; "
                       "AMT_CREDIT_SUM:max,mean,sum; AMT_CREDIT_SUM_DEBT:max,mean,sum; "
                       "AMT_CREDIT_SUM_OVERDUE:mean,sum; AMT_CREDIT_SUM_LIMIT:mean,sum; AMT_ANNUITY:max,mean; "
                       "DEBT_CREDIT_RATIO:max,mean; OVERDUE_DEBT_RATIO:max; CREDIT_DURATION:mean; "
                       "ENDDATE_DIFF:mean; IS_OVERDUE:mean; IS_ACTIVE:mean; TYPE_CONSUMER:mean; TYPE_CARD:mean; "
                       "TYPE_CAR:mean; TYPE_MORTGAGE:mean; TYPE_MICROLOAN:mean; BB_MONTHS_COUNT:mean,sum; "
                       "BB_MONTHS_MIN:min; BB_LATE_SHARE:max,mean; BB_STATUS_MAX:max,mean; BB_UNKNOWN_SHARE:mean; "
                       "BB_LATE_L12M_SHARE:max,mean"),
        _b("ACTIVE", None, "DAYS_CREDIT:min,max,mean; DAYS_CREDIT_ENDDATE:min,max,mean; CREDIT_DAY_OVERDUE:max,mean; "
                           "AMT_CREDIT_SUM:max,mean,sum; AMT_CREDIT_SUM_DEBT:max,mean,sum; "
                           "AMT_CREDIT_SUM_OVERDUE:max,sum; AMT_CREDIT_SUM_LIMIT:mean,sum; AMT_ANNUITY:mean,sum; "
                           "DEBT_CREDIT_RATIO:max,mean; CNT_CREDIT_PROLONG:sum; DAYS_CREDIT_UPDATE:mean; "
                           "BB_LATE_SHARE:max,mean; BB_STATUS_MAX:max; BB_LATE_L12M_SHARE:mean"),
        _b("CLOSED", None, "DAYS_CREDIT:min,max,mean; DAYS_ENDDATE_FACT:max,mean; "
                           "AMT_CREDIT_SUM:max,mean,sum; AMT_CREDIT_MAX_OVERDUE:max; AMT_ANNUITY:mean; "
                           "ENDDATE_DIFF:mean; CREDIT_DURATION:mean; BB_LATE_SHARE:max,mean; BB_STATUS_MAX:max"),
        _b(None, "L365D", "AMT_CREDIT_SUM:mean,sum; AMT_CREDIT_SUM_DEBT:sum"),
    ),
    source_table={k: "bureau_balance" for k in ("BB_MONTHS_COUNT", "BB_MONTHS_MIN", "BB_LATE_SHARE",
                                                "BB_STATUS_MAX", "BB_UNKNOWN_SHARE", "BB_LATE_L12M_SHARE")},
)

_PREV_LAST_CAT = ("NAME_CONTRACT_STATUS", "NAME_CONTRACT_TYPE", "CODE_REJECT_REASON", "NAME_YIELD_GROUP",
                  "PRODUCT_COMBINATION")
_PREV = _ChildSpec(
    "previous_application", "PREV",
    derived={
        "APP_CREDIT_RATIO": "AMT_APPLICATION / AMT_CREDIT (asked / granted)",
        "CREDIT_GOODS_RATIO": "AMT_CREDIT / AMT_GOODS_PRICE",
        "ANNUITY_CREDIT_RATIO": "AMT_ANNUITY / AMT_CREDIT",
        "INTEREST_RATE": "yearly rate r of the annuity formula AMT_ANNUITY = AMT_CREDIT · (r/12) / (1 − (1 + r/12)^−CNT_PAYMENT)",
        "DUE_SHIFT": "DAYS_LAST_DUE - DAYS_LAST_DUE_1ST_VERSION (sentinels as NaN)",
        "IS_APPROVED": "1 if NAME_CONTRACT_STATUS == 'Approved'",
        "IS_REFUSED": "1 if NAME_CONTRACT_STATUS == 'Refused'",
        "IS_CANCELED": "1 if NAME_CONTRACT_STATUS == 'Canceled'",
        "TYPE_CASH": "1 if NAME_CONTRACT_TYPE == 'Cash loans'",
        "TYPE_CONSUMER": "1 if NAME_CONTRACT_TYPE == 'Consumer loans'",
        "TYPE_REVOLVING": "1 if NAME_CONTRACT_TYPE == 'Revolving loans'",
        "YIELD_HIGH": "1 if NAME_YIELD_GROUP == 'high'",
        "YIELD_LOW": "1 if NAME_YIELD_GROUP in ('low_action', 'low_normal')",
        "CLIENT_NEW": "1 if NAME_CLIENT_TYPE == 'New'",
        "IS_ONGOING": "1 if approved and DAYS_LAST_DUE_1ST_VERSION > 0 (payments still due at application)",
    },
    subsets={"APPROVED": "NAME_CONTRACT_STATUS == 'Approved'", "REFUSED": "NAME_CONTRACT_STATUS == 'Refused'"},
    windows={"L365D": "DAYS_DECISION >= -365 (decided in the last year)"},
    blocks=(
        _b(None, None, "AMT_ANNUITY:max,mean; AMT_APPLICATION:max,mean; AMT_CREDIT:min,max,mean,sum; "
                       "APP_CREDIT_RATIO:min,max,mean,std; CREDIT_GOODS_RATIO:mean; AMT_DOWN_PAYMENT:max,mean; "
                       "AMT_GOODS_PRICE:mean; RATE_DOWN_PAYMENT:max,mean; DAYS_DECISION:min,max,mean; "
                       "CNT_PAYMENT:mean,sum; INTEREST_RATE:min,max,mean; DAYS_FIRST_DUE:mean; "
                       "DAYS_LAST_DUE_1ST_VERSION:max,mean; DAYS_TERMINATION:max,mean; DUE_SHIFT:mean; "
                       "NFLAG_INSURED_ON_APPROVAL:mean; IS_APPROVED:mean; IS_REFUSED:mean; "
                       "TYPE_CASH:mean; TYPE_CONSUMER:mean; YIELD_HIGH:mean; YIELD_LOW:mean; "
                       "CLIENT_NEW:mean; IS_ONGOING:sum"),
        _b("APPROVED", None, "AMT_ANNUITY:max,mean,sum; AMT_APPLICATION:mean; AMT_CREDIT:max,mean,sum; "
                             "APP_CREDIT_RATIO:max,mean; AMT_DOWN_PAYMENT:mean; AMT_GOODS_PRICE:mean; "
                             "DAYS_DECISION:max,mean; CNT_PAYMENT:mean,sum; INTEREST_RATE:max,mean; "
                             "DAYS_LAST_DUE_1ST_VERSION:max,mean; DAYS_TERMINATION:max"),
        _b("REFUSED", None, "AMT_APPLICATION:max,mean; AMT_CREDIT:max,mean; APP_CREDIT_RATIO:min,mean; "
                            "DAYS_DECISION:max,mean"),
        _b(None, "L365D", "IS_REFUSED:mean; AMT_CREDIT:mean,sum"),
    ),
    last=("AMT_CREDIT", "AMT_ANNUITY", "AMT_APPLICATION", "APP_CREDIT_RATIO", "DAYS_DECISION", "CNT_PAYMENT",
          "INTEREST_RATE") + _PREV_LAST_CAT,
    last_rule="most recent previous application (largest DAYS_DECISION, then largest SK_ID_PREV)",
    categorical_last={c: c for c in _PREV_LAST_CAT},
)

_POS = _ChildSpec(
    "POS_CASH_balance", "POS",
    derived={
        "IS_LATE": "1 if SK_DPD > 0",
        "IS_LATE_DEF": "1 if SK_DPD_DEF > 0",
        "REMAINING_SHARE": "CNT_INSTALMENT_FUTURE / CNT_INSTALMENT",
        "IS_COMPLETED": "1 if NAME_CONTRACT_STATUS == 'Completed'",
        "IS_ACTIVE": "1 if NAME_CONTRACT_STATUS == 'Active'",
    },
    subsets={"LASTMONTH": "each previous loan's most recent month (one row per loan)"},
    windows={"L12M": "MONTHS_BALANCE >= -12"},
    blocks=(
        _b(None, None, "MONTHS_BALANCE:min,max,mean; CNT_INSTALMENT:max,mean; CNT_INSTALMENT_FUTURE:max,mean; "
                       "REMAINING_SHARE:mean; SK_DPD:max,mean; SK_DPD_DEF:max,mean; IS_LATE:mean; IS_LATE_DEF:mean; "
                       "IS_COMPLETED:mean"),
        _b("LASTMONTH", None, "IS_COMPLETED:mean; IS_ACTIVE:mean; CNT_INSTALMENT_FUTURE:mean,sum; "
                              "REMAINING_SHARE:mean; SK_DPD:max; CNT_INSTALMENT:mean; MONTHS_BALANCE:mean"),
        _b(None, "L12M", "SK_DPD:max,mean; SK_DPD_DEF:max; IS_LATE:mean; CNT_INSTALMENT_FUTURE:mean"),
    ),
    last=("NAME_CONTRACT_STATUS", "SK_DPD", "CNT_INSTALMENT_FUTURE"),
    last_rule="most recent month (largest MONTHS_BALANCE, then largest SK_ID_PREV)",
    categorical_last={"NAME_CONTRACT_STATUS": "NAME_CONTRACT_STATUS"},
)

_INSTAL = _ChildSpec(
    "installments_payments", "INSTAL",
    derived={
        "PAYMENT_RATIO": "AMT_PAYMENT / AMT_INSTALMENT",
        "PAYMENT_DIFF": "AMT_INSTALMENT - AMT_PAYMENT (unpaid part)",
        "DPD": "days past due: max(DAYS_ENTRY_PAYMENT - DAYS_INSTALMENT, 0)",
        "DBD": "days before due: max(DAYS_INSTALMENT - DAYS_ENTRY_PAYMENT, 0)",
        "IS_LATE": "1 if paid after the due date (DPD > 0)",
        "IS_UNDERPAID": "1 if AMT_PAYMENT < AMT_INSTALMENT",
    },
    subsets={},
    windows={"L365D": "DAYS_INSTALMENT >= -365 (due in the last year)",
             "L90D": "DAYS_INSTALMENT >= -90 (due in the last 3 months)"},
    blocks=(
        _b(None, None, "NUM_INSTALMENT_VERSION:max,mean; NUM_INSTALMENT_NUMBER:max; DPD:max,mean,sum,std; "
                       "DBD:max,mean,sum; IS_LATE:mean,sum; PAYMENT_RATIO:min,max,mean,std; "
                       "PAYMENT_DIFF:max,mean,sum; IS_UNDERPAID:mean; AMT_INSTALMENT:max,mean,sum; "
                       "AMT_PAYMENT:min,max,mean,sum; DAYS_ENTRY_PAYMENT:min,max,mean; DAYS_INSTALMENT:min"),
        _b(None, "L365D", "DPD:max,mean,sum; DBD:max,mean; IS_LATE:mean; PAYMENT_RATIO:min,mean; "
                          "PAYMENT_DIFF:max,mean,sum; IS_UNDERPAID:mean; AMT_PAYMENT:mean,sum; AMT_INSTALMENT:sum"),
        _b(None, "L90D", "DPD:max,mean; IS_LATE:mean; PAYMENT_RATIO:mean; PAYMENT_DIFF:sum; AMT_PAYMENT:sum"),
    ),
)

_CC = _ChildSpec(
    "credit_card_balance", "CC",
    derived={
        "UTILISATION": "AMT_BALANCE / AMT_CREDIT_LIMIT_ACTUAL (NaN if no limit)",
        "DRAWINGS_LIMIT_RATIO": "AMT_DRAWINGS_CURRENT / AMT_CREDIT_LIMIT_ACTUAL",
        "PAYMENT_MIN_RATIO": "AMT_PAYMENT_CURRENT / AMT_INST_MIN_REGULARITY",
        "IS_BELOW_MIN": "1 if AMT_PAYMENT_TOTAL_CURRENT < AMT_INST_MIN_REGULARITY",
        "IS_LATE": "1 if SK_DPD > 0",
    },
    subsets={},
    windows={"L12M": "MONTHS_BALANCE >= -12", "L3M": "MONTHS_BALANCE >= -3"},
    blocks=(
        _b(None, None, "MONTHS_BALANCE:min; AMT_BALANCE:max,mean; AMT_CREDIT_LIMIT_ACTUAL:max,mean; "
                       "UTILISATION:max,mean; DRAWINGS_LIMIT_RATIO:mean; AMT_DRAWINGS_ATM_CURRENT:max,mean; "
                       "AMT_DRAWINGS_CURRENT:max,mean,sum; AMT_DRAWINGS_POS_CURRENT:max,mean; "
                       "AMT_INST_MIN_REGULARITY:mean; AMT_PAYMENT_CURRENT:max,mean; "
                       "AMT_PAYMENT_TOTAL_CURRENT:mean,sum; PAYMENT_MIN_RATIO:min,mean; IS_BELOW_MIN:mean; "
                       "AMT_RECEIVABLE_PRINCIPAL:mean; AMT_TOTAL_RECEIVABLE:mean; "
                       "CNT_DRAWINGS_ATM_CURRENT:mean; CNT_DRAWINGS_CURRENT:max,mean; "
                       "CNT_DRAWINGS_POS_CURRENT:mean; CNT_INSTALMENT_MATURE_CUM:max,mean; "
                       "SK_DPD:max,mean; SK_DPD_DEF:max; IS_LATE:mean,sum"),
        _b(None, "L12M", "AMT_BALANCE:max,mean; UTILISATION:max,mean; AMT_DRAWINGS_CURRENT:mean,sum; "
                         "CNT_DRAWINGS_CURRENT:mean; AMT_PAYMENT_TOTAL_CURRENT:sum; SK_DPD:max,mean; IS_LATE:mean; "
                         "IS_BELOW_MIN:mean"),
        _b(None, "L3M", "AMT_BALANCE:mean; UTILISATION:mean; IS_LATE:mean", count=False),
    ),
    last=("UTILISATION", "AMT_BALANCE", "AMT_CREDIT_LIMIT_ACTUAL"),
    last_rule="most recent month (largest MONTHS_BALANCE, then largest SK_ID_PREV)",
)

_CHILDREN: tuple[_ChildSpec, ...] = (_BUREAU, _PREV, _POS, _INSTAL, _CC)


def _feature_name(prefix: str, subset: str | None, window: str | None, source: str | None, agg: str) -> str:
    return "_".join(p for p in (prefix, subset, window, source, agg.upper()) if p)


class _BlockFields(TypedDict):
    """The FeatureSpec fields shared by every feature of one aggregation block."""

    subset: str | None
    window: str | None
    children: bool
    subset_rule: str | None
    window_rule: str | None


def _register_child(spec: _ChildSpec) -> None:
    src_table = spec.source_table or {}
    for block in spec.blocks:
        common: _BlockFields = {
            "subset": block.subset, "window": block.window, "children": True,
            "subset_rule": spec.subsets.get(block.subset) if block.subset else None,
            "window_rule": spec.windows.get(block.window) if block.window else None}
        if block.count:
            _register(FeatureSpec(_feature_name(spec.prefix, block.subset, block.window, None, "count"),
                                  spec.table, None, "count", **common))
        for source, hows in block.aggs:
            for how in hows:
                _register(FeatureSpec(_feature_name(spec.prefix, block.subset, block.window, source, how),
                                      src_table.get(source, spec.table), source, how,
                                      formula=spec.derived.get(source), **common))
    cat_last = spec.categorical_last or {}
    for source in spec.last:
        levels = _levels(spec.table, cat_last[source]) if source in cat_last else ()
        _register(FeatureSpec(_feature_name(spec.prefix, None, None, source, "last"), spec.table, source, "last",
                              formula=spec.derived.get(source), levels=levels, children=True,
                              subset_rule=spec.last_rule))


for _spec in _CHILDREN:
    _register_child(_spec)

#: Features that combine a child aggregate with the application (name, numerator, denominator).
_COMBINED: tuple[tuple[str, str, str], ...] = (
    ("BURO_ACTIVE_DEBT_INCOME_RATIO", "BURO_ACTIVE_AMT_CREDIT_SUM_DEBT_SUM", "AMT_INCOME_TOTAL"),
    ("BURO_ACTIVE_ANNUITY_INCOME_RATIO", "BURO_ACTIVE_AMT_ANNUITY_SUM", "AMT_INCOME_TOTAL"),
    ("BURO_ACTIVE_DEBT_CREDIT_RATIO", "BURO_ACTIVE_AMT_CREDIT_SUM_DEBT_SUM", "AMT_CREDIT"),
    ("PREV_LAST_CREDIT_RATIO", "PREV_AMT_CREDIT_LAST", "AMT_CREDIT"),
    ("PREV_APPROVED_ANNUITY_INCOME_RATIO", "PREV_APPROVED_AMT_ANNUITY_SUM", "AMT_INCOME_TOTAL"),
    ("INSTAL_L365D_PAYMENT_INCOME_RATIO", "INSTAL_L365D_AMT_PAYMENT_SUM", "AMT_INCOME_TOTAL"),
    ("CC_LAST_BALANCE_INCOME_RATIO", "CC_AMT_BALANCE_LAST", "AMT_INCOME_TOTAL"),
)
for _name, _num, _den in _COMBINED:
    _sp = _REGISTRY[_num]
    _register(FeatureSpec(_name, _sp.table, _num, "ratio", subset=_sp.subset, window=_sp.window,
                          formula=f"{_num} / {_den}", children=True, subset_rule=_sp.subset_rule,
                          window_rule=_sp.window_rule))

CHILD_FEATURES: list[str] = [n for n, s in _REGISTRY.items() if s.children]
CATEGORICAL_FEATURES: list[str] = [n for n, s in _REGISTRY.items() if s.categorical]


def feature_columns(include_children: bool = True) -> list[str]:
    """The full, fixed, ordered list of output columns of :func:`build_features`."""
    return [n for n, s in _REGISTRY.items() if include_children or not s.children]


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
        s = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown feature {name!r}") from None
    return {"name": s.name, "table": s.table, "source": s.source, "agg": s.agg, "subset": s.subset,
            "window": s.window, "formula": s.formula, "subset_rule": s.subset_rule,
            "window_rule": s.window_rule, "categorical": s.categorical, "levels": list(s.levels),
            "children": s.children}


# ----------------------------------------------------------------------------------------------
# Computation
# ----------------------------------------------------------------------------------------------
class _Rows:
    """Float64 row arrays of one child table, restricted to rows of known clients, cached by name."""

    def __init__(self, df: pd.DataFrame, table: str, keep: _Ints | None) -> None:
        self.df, self.spec, self.keep = df, TABLES[table], keep
        self.cache: dict[str, _Floats] = {}
        self._codes: dict[str, _Codes] = {}

    def __len__(self) -> int:
        return len(self.df) if self.keep is None else len(self.keep)

    def num(self, col: str) -> _Floats:
        hit = self.cache.get(col)
        if hit is None:
            s = self.df[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                raise TypeError(f"{col} is categorical")
            a = _f64(s)  # a copy
            if self.keep is not None:
                a = a[self.keep]
            c = self.spec.column(col) if col in self.spec else None
            if c is not None and c.sentinel is not None:
                a[a == c.sentinel] = np.nan
            hit = self.cache[col] = a
        return hit

    def codes(self, col: str) -> _Codes:
        hit = self._codes.get(col)
        if hit is None:
            codes = _schema_codes(self.df[col], self.spec.column(col).levels)
            hit = self._codes[col] = codes if self.keep is None else codes[self.keep]
        return hit

    def is_in(self, col: str, values: Iterable[str]) -> _Floats:
        """0/1 float of ``col`` in ``values`` (NaN where ``col`` is missing)."""
        levels = self.spec.column(col).levels
        lut = np.zeros(len(levels) + 1, dtype=_F64)
        for v in values:
            lut[levels.index(v)] = 1.0
        lut[-1] = np.nan
        return lut[self.codes(col)]

    def cat_float(self, col: str) -> _Floats:
        c = self.codes(col).astype(_F64)
        c[c < 0] = np.nan
        return c


def _client_codes(df: pd.DataFrame, ids: _Ints) -> tuple[_Ints, _Ints | None]:
    codes = _dense_indexer(ids, df[ID].to_numpy())
    if len(codes) and codes.min() < 0:
        keep = np.flatnonzero(codes >= 0)
        return codes[keep], keep
    return codes, None


def _bureau_rows(r: _Rows, bureau: pd.DataFrame, bb: pd.DataFrame | None) -> None:
    d = r.cache
    d["DEBT_CREDIT_RATIO"] = _div(r.num("AMT_CREDIT_SUM_DEBT"), r.num("AMT_CREDIT_SUM"))
    d["OVERDUE_DEBT_RATIO"] = _div(r.num("AMT_CREDIT_SUM_OVERDUE"), r.num("AMT_CREDIT_SUM_DEBT"))
    d["CREDIT_DURATION"] = r.num("DAYS_CREDIT_ENDDATE") - r.num("DAYS_CREDIT")
    d["ENDDATE_DIFF"] = r.num("DAYS_ENDDATE_FACT") - r.num("DAYS_CREDIT_ENDDATE")
    over = r.num("CREDIT_DAY_OVERDUE")
    d["IS_OVERDUE"] = _flag(over > 0, ~np.isnan(over))
    d["IS_ACTIVE"] = r.is_in("CREDIT_ACTIVE", ["Active"])
    for name, level in (("TYPE_CONSUMER", "Consumer credit"), ("TYPE_CARD", "Credit card"), ("TYPE_CAR", "Car loan"),
                        ("TYPE_MORTGAGE", "Mortgage"), ("TYPE_MICROLOAN", "Microloan")):
        d[name] = r.is_in("CREDIT_TYPE", [level])
    n = len(r)
    bb_cols = ("BB_MONTHS_COUNT", "BB_MONTHS_MIN", "BB_LATE_SHARE", "BB_STATUS_MAX", "BB_UNKNOWN_SHARE",
               "BB_LATE_L12M_SHARE")
    if bb is None or len(bb) == 0 or n == 0:
        for c in bb_cols:
            d[c] = np.full(n, np.nan)
        return
    # first per credit (SK_ID_BUREAU), then broadcast to the credit's bureau rows
    bid = bureau["SK_ID_BUREAU"].to_numpy()
    if r.keep is not None:
        bid = bid[r.keep]
    row_code, k = _factorize(bid)
    first_row = np.empty(k, dtype=np.int64)
    first_row[row_code[::-1]] = np.arange(n - 1, -1, -1)  # any representative row per credit
    code = _dense_indexer(bid[first_row], bb["SK_ID_BUREAU"].to_numpy())
    sel = np.flatnonzero(code >= 0) if (len(code) and code.min() < 0) else None
    if sel is not None:
        code = code[sel]
    months = bb["MONTHS_BALANCE"].to_numpy(dtype=_F64)
    status = _schema_codes(bb["STATUS"], _levels("bureau_balance", "STATUS"))
    if sel is not None:
        months, status = months[sel], status[sel]
    levels = _levels("bureau_balance", "STATUS")
    late_lut = np.array([lv in _BB_LATE for lv in levels] + [False])
    dpd_lut = np.array([float(lv) if lv.isdigit() else 0.0 for lv in levels] + [np.nan])
    x_lut = np.array([lv == "X" for lv in levels] + [False])
    g = _Group(code, k)
    cnt = g.count()
    late = late_lut[status].astype(_F64)
    recent = months >= -12
    per = {
        "BB_MONTHS_COUNT": cnt,
        "BB_MONTHS_MIN": g.agg(months, "min"),
        "BB_LATE_SHARE": g.agg(late, "mean"),
        "BB_STATUS_MAX": g.agg(dpd_lut[status], "max"),
        "BB_UNKNOWN_SHARE": g.agg(x_lut[status].astype(_F64), "mean"),
        "BB_LATE_L12M_SHARE": _Group(code[recent], k).agg(late[recent], "mean"),
    }
    has = cnt > 0
    for c in bb_cols:
        v = per[c]
        v[~has] = np.nan
        d[c] = v[row_code]


def _prev_rows(r: _Rows) -> None:
    d = r.cache
    credit, annuity, cnt_pay = r.num("AMT_CREDIT"), r.num("AMT_ANNUITY"), r.num("CNT_PAYMENT")
    d["APP_CREDIT_RATIO"] = _div(r.num("AMT_APPLICATION"), credit)
    d["CREDIT_GOODS_RATIO"] = _div(credit, r.num("AMT_GOODS_PRICE"))
    d["ANNUITY_CREDIT_RATIO"] = _div(annuity, credit)
    d["INTEREST_RATE"] = annuity_rate(credit, annuity, cnt_pay)
    d["DUE_SHIFT"] = r.num("DAYS_LAST_DUE") - r.num("DAYS_LAST_DUE_1ST_VERSION")
    d["IS_APPROVED"] = r.is_in("NAME_CONTRACT_STATUS", ["Approved"])
    d["IS_REFUSED"] = r.is_in("NAME_CONTRACT_STATUS", ["Refused"])
    d["IS_CANCELED"] = r.is_in("NAME_CONTRACT_STATUS", ["Canceled"])
    d["TYPE_CASH"] = r.is_in("NAME_CONTRACT_TYPE", ["Cash loans"])
    d["TYPE_CONSUMER"] = r.is_in("NAME_CONTRACT_TYPE", ["Consumer loans"])
    d["TYPE_REVOLVING"] = r.is_in("NAME_CONTRACT_TYPE", ["Revolving loans"])
    d["YIELD_HIGH"] = r.is_in("NAME_YIELD_GROUP", ["high"])
    d["YIELD_LOW"] = r.is_in("NAME_YIELD_GROUP", ["low_action", "low_normal"])
    d["CLIENT_NEW"] = r.is_in("NAME_CLIENT_TYPE", ["New"])
    approved = np.nan_to_num(d["IS_APPROVED"]) > 0
    d["IS_ONGOING"] = _flag(approved & (r.num("DAYS_LAST_DUE_1ST_VERSION") > 0))
    for c in _PREV_LAST_CAT:
        d[c] = r.cat_float(c)


def _pos_rows(r: _Rows) -> None:
    d = r.cache
    dpd, dpd_def = r.num("SK_DPD"), r.num("SK_DPD_DEF")
    d["IS_LATE"] = _flag(dpd > 0, ~np.isnan(dpd))
    d["IS_LATE_DEF"] = _flag(dpd_def > 0, ~np.isnan(dpd_def))
    d["REMAINING_SHARE"] = _div(r.num("CNT_INSTALMENT_FUTURE"), r.num("CNT_INSTALMENT"))
    d["IS_COMPLETED"] = r.is_in("NAME_CONTRACT_STATUS", ["Completed"])
    d["IS_ACTIVE"] = r.is_in("NAME_CONTRACT_STATUS", ["Active"])
    d["NAME_CONTRACT_STATUS"] = r.cat_float("NAME_CONTRACT_STATUS")


def _instal_rows(r: _Rows) -> None:
    d = r.cache
    due, paid_day = r.num("DAYS_INSTALMENT"), r.num("DAYS_ENTRY_PAYMENT")
    inst, pay = r.num("AMT_INSTALMENT"), r.num("AMT_PAYMENT")
    d["PAYMENT_RATIO"] = _div(pay, inst)
    d["PAYMENT_DIFF"] = inst - pay
    late_days = paid_day - due
    d["DPD"] = np.maximum(late_days, 0.0)
    d["DBD"] = np.maximum(-late_days, 0.0)
    d["IS_LATE"] = _flag(late_days > 0, ~np.isnan(late_days))
    d["IS_UNDERPAID"] = _flag(pay < inst, ~(np.isnan(pay) | np.isnan(inst)))


def _cc_rows(r: _Rows) -> None:
    d = r.cache
    limit = r.num("AMT_CREDIT_LIMIT_ACTUAL")
    pos_limit = np.where(limit > 0, limit, np.nan)
    d["UTILISATION"] = _div(r.num("AMT_BALANCE"), pos_limit)
    d["DRAWINGS_LIMIT_RATIO"] = _div(r.num("AMT_DRAWINGS_CURRENT"), pos_limit)
    d["PAYMENT_MIN_RATIO"] = _div(r.num("AMT_PAYMENT_CURRENT"), r.num("AMT_INST_MIN_REGULARITY"))
    tot, mn = r.num("AMT_PAYMENT_TOTAL_CURRENT"), r.num("AMT_INST_MIN_REGULARITY")
    d["IS_BELOW_MIN"] = _flag(tot < mn, ~(np.isnan(tot) | np.isnan(mn)))
    dpd = r.num("SK_DPD")
    d["IS_LATE"] = _flag(dpd > 0, ~np.isnan(dpd))


def _masks(spec: _ChildSpec, r: _Rows) -> dict[str, _Mask]:
    """Boolean row masks of the spec's subsets and windows."""
    m: dict[str, _Mask] = {}
    t = spec.table
    if t == "bureau":
        m["ACTIVE"] = r.is_in("CREDIT_ACTIVE", ["Active"]) == 1
        m["CLOSED"] = r.is_in("CREDIT_ACTIVE", ["Closed"]) == 1
        m["L365D"] = r.num("DAYS_CREDIT") >= -365
    elif t == "previous_application":
        m["APPROVED"] = r.cache["IS_APPROVED"] == 1
        m["REFUSED"] = r.cache["IS_REFUSED"] == 1
        m["L365D"] = r.num("DAYS_DECISION") >= -365
    elif t == "POS_CASH_balance":
        loan, k = _factorize(r.num("SK_ID_PREV").astype(np.int64))
        month = np.where(np.isnan(r.num("MONTHS_BALANCE")), -np.inf, r.num("MONTHS_BALANCE"))
        mx = np.full(k, -np.inf)
        np.maximum.at(mx, loan, month)
        m["LASTMONTH"] = month == mx[loan]
        m["L12M"] = r.num("MONTHS_BALANCE") >= -12
    elif t == "installments_payments":
        due = r.num("DAYS_INSTALMENT")
        m["L365D"] = due >= -365
        m["L90D"] = due >= -90
    elif t == "credit_card_balance":
        mb = r.num("MONTHS_BALANCE")
        m["L12M"] = mb >= -12
        m["L3M"] = mb >= -3
    missing = (set(spec.subsets) | set(spec.windows)) - set(m)
    assert not missing, missing
    return m


_CHILD_NAMES: dict[str, list[str]] = {
    spec.table: [nm for nm, s in _REGISTRY.items() if s.children and s.agg != "ratio"
                 and nm.startswith(spec.prefix + "_") and s.table in (spec.table, "bureau_balance")]
    for spec in _CHILDREN}

#: Derived row columns of each child table but bureau (whose need bureau_balance: :func:`_bureau_rows`).
_PREPARE: dict[str, Callable[[_Rows], None]] = {
    "previous_application": _prev_rows, "POS_CASH_balance": _pos_rows,
    "installments_payments": _instal_rows, "credit_card_balance": _cc_rows}


def _child_features(spec: _ChildSpec, tables: Mapping[str, pd.DataFrame], ids: _Ints,
                    out: dict[str, _Floats]) -> None:
    n = len(ids)
    df = tables.get(spec.table)
    names = _CHILD_NAMES[spec.table]
    if df is None or len(df) == 0 or n == 0:
        for nm in names:
            out[nm] = np.full(n, np.nan)
        return
    codes, keep = _client_codes(df, ids)
    r = _Rows(df, spec.table, keep)
    if spec.table == "bureau":
        _bureau_rows(r, df, tables.get("bureau_balance"))
    else:
        _PREPARE[spec.table](r)
    masks = _masks(spec, r)
    full = _Group(codes, n)
    present = full.count() > 0
    res: dict[str, _Floats] = {}
    for block in spec.blocks:
        mask = None
        for key in (block.subset, block.window):
            if key is not None:
                mask = masks[key] if mask is None else (mask & masks[key])
        if mask is None:
            g, take = full, None
        else:
            take = np.flatnonzero(mask)
            g = _Group(codes[take], n)
        if block.count:
            res[_feature_name(spec.prefix, block.subset, block.window, None, "count")] = g.count()
        for source, hows in block.aggs:
            x = r.cache[source] if source in r.cache else r.num(source)
            if take is not None:
                x = x[take]
            for how, v in zip(hows, g.aggs(x, hows)):
                res[_feature_name(spec.prefix, block.subset, block.window, source, how)] = v
    if spec.last:
        tiebreak = r.num("SK_ID_PREV")
        time = r.num("DAYS_DECISION" if spec.table == "previous_application" else "MONTHS_BALANCE")
        rows = full.last_rows(time, tiebreak)
        for source in spec.last:
            x = r.cache[source] if source in r.cache else r.num(source)
            res[_feature_name(spec.prefix, None, None, source, "last")] = full.last(x, rows)
    for nm in names:
        v = res.pop(nm)
        v[~present] = np.nan
        out[nm] = v
    assert not res, f"computed but not registered: {sorted(res)[:5]}"


def _application(tables: Mapping[str, pd.DataFrame]) -> tuple[_Ints, list[pd.DataFrame]]:
    frames = [tables[t] for t in APPLICATION_TABLES if t in tables and tables[t] is not None]
    ids = np.concatenate([f[ID].to_numpy(dtype=np.int64) for f in frames]) if frames else np.zeros(0, np.int64)
    return ids, frames


def _f64(s: pd.Series) -> _Floats:
    """A float64 copy of a numeric column (NaN for missing values)."""
    v = s.to_numpy()
    if v.dtype.kind in "fiub":
        return v.astype(_F64)
    return s.to_numpy(dtype=_F64, na_value=np.nan)


def _numeric_block(f: pd.DataFrame, cols: list[str]) -> _Floats:
    """(len(cols), len(f)) float64 array of the numeric columns of one frame."""
    out = np.empty((len(cols), len(f)), dtype=_F64)
    for j, c in enumerate(cols):
        out[j] = _f64(f[c])
    return out


def _from_codes(codes: npt.NDArray[np.int32], dtype: pd.CategoricalDtype) -> pd.Categorical:
    """``Categorical.from_codes`` of an int array (pandas-stubs type the codes as Sequence[int]; pandas takes arrays)."""
    return pd.Categorical.from_codes(cast("Sequence[int]", codes), dtype=dtype)


_APP_NUMERIC = [c for c in _APP_ALL if _APP.column(c).kind != "category"]
_CAT_DTYPE = {name: pd.CategoricalDtype(list(_REGISTRY[name].levels)) for name in CATEGORICAL_FEATURES}


def build_features(tables: Mapping[str, pd.DataFrame], *, include_children: bool = True) -> pd.DataFrame:
    """One row per client of application_train ∪ application_test present in ``tables``, index
    ``SK_ID_CURR`` (int64), columns ``feature_columns(include_children)`` (no TARGET).

    Numeric columns are float32; ``CATEGORICAL_FEATURES`` are ``category`` with the schema levels.
    ``FITTED_FEATURES`` are missing here: a trained model's ``PopulationFeatures`` fills them.
    A client present in both application files is kept once (its application_train row).
    """
    ids, frames = _application(tables)
    first = None
    if len(ids) and len(np.unique(ids)) != len(ids):
        _, first = np.unique(ids, return_index=True)
        first = np.sort(first)
        ids = ids[first]
    n = len(ids)

    # application: one float64 block (a copy) of every numeric column, one row per column
    blocks = [_numeric_block(f, _APP_NUMERIC) for f in frames]
    block = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(_APP_NUMERIC), 0))
    del blocks
    if first is not None:
        block = block[:, first]
    c: dict[str, _Floats] = {name: block[j] for j, name in enumerate(_APP_NUMERIC)}
    c["_DAYS_EMPLOYED_RAW"] = c["DAYS_EMPLOYED"].copy()
    for name in _APP_SENTINEL:
        a = c[name]
        a[a == _APP.column(name).sentinel] = np.nan  # our own copy

    values: dict[str, _Floats] = {name: c[name] for name in APP_RAW if name in c}
    for name, _, fn in _APP_DERIVED:
        values[name] = np.asarray(fn(c), dtype=_F64)
    for name in FITTED_FEATURES:
        values[name] = np.full(n, np.nan)
    cats: dict[str, pd.Categorical] = {}
    for name in APP_CATEGORICAL:
        levels = _APP.column(name).levels
        parts = [_schema_codes(f[name], levels) for f in frames]
        codes = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        if first is not None:
            codes = codes[first]
        cats[name] = _from_codes(codes, _CAT_DTYPE[name])

    if include_children:
        child: dict[str, _Floats] = {}
        for spec in _CHILDREN:
            _child_features(spec, tables, ids, child)
        for name, num, den in _COMBINED:
            child[name] = _div(child[num], c[den])
        for name in CATEGORICAL_FEATURES:
            if name in child:
                v = child.pop(name)
                codes = np.where(np.isnan(v), -1, v).astype(np.int32)
                cats[name] = _from_codes(codes, _CAT_DTYPE[name])
        values.update(child)
        del child

    cols = feature_columns(include_children)
    numeric = [k for k in cols if k not in cats]
    out = np.empty((len(numeric), n), dtype=np.float32)  # pandas keeps this (transposed) as one block
    for j, k in enumerate(numeric):
        out[j] = values.pop(k)
    del values, block, c
    index = pd.Index(ids, name=ID, dtype=np.int64)
    frame = pd.DataFrame(out.T, index=index, columns=numeric, copy=False)
    if n <= 10_000:  # small (serving): one reordering take is cheaper than 22 inserts
        return pd.concat([frame, pd.DataFrame(cats, index=index)], axis=1)[cols]
    for i, k in enumerate(cols):  # large: inserting never copies the float32 block
        if k in cats:
            # pandas-stubs leave ExtensionArrays such as Categorical out of insert's values; pandas takes them
            frame.insert(i, k, cats[k])  # type: ignore[arg-type]
    return frame


def target(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """TARGET of application_train, indexed by SK_ID_CURR (int64), as int8."""
    train = tables["application_train"]
    ids = train[ID].to_numpy(dtype=np.int64)
    y = train["TARGET"].to_numpy()
    s = pd.Series(y.astype(np.int8), index=pd.Index(ids, name=ID, dtype=np.int64), name="TARGET")
    return s[~s.index.duplicated(keep="first")]
