"""The application family: the application's own columns and the ratios, ages and score summaries
derived from them, one row per application, no other table needed (what a new applicant gives).
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.schema import APPLICATION_TABLES, DAYS_PER_YEAR, DAYS_SENTINEL, TABLES
from model.features.arrays import F64, ID, Floats, Ints, div, flag
from model.features.loan_terms import STANDARD_TERMS, annuity_rate, standard_term
from model.features.spec import FeatureSpec

#: The cleaned application columns handed to the derived-feature functions.
AppColumns = Mapping[str, Floats]

APP = TABLES["application_train"]
#: Raw application columns kept as features: all but the id, TARGET, the numeric housing *_MODE / *_MEDI
#: duplicates of the *_AVG columns and the FLAG_DOCUMENT_* flags other than FLAG_DOCUMENT_3 (summed in
#: DOCUMENT_COUNT instead): near-duplicates that only slow the model down.
APP_ALL: list[str] = [c.name for c in APP.columns if c.name not in (ID, "TARGET")]
APP_RAW: list[str] = [c for c in APP_ALL if not (
    (APP.column(c).kind != "category" and (c.endswith("_MODE") or c.endswith("_MEDI")))
    or (c.startswith("FLAG_DOCUMENT_") and c != "FLAG_DOCUMENT_3"))]
APP_CATEGORICAL: list[str] = [c for c in APP_RAW if APP.column(c).kind == "category"]
APP_SENTINEL = [c for c in APP_RAW if APP.column(c).sentinel is not None]
_EXT = ("EXT_SOURCE_1", "EXT_SOURCE_2", "EXT_SOURCE_3")
#: External credit scores and their summaries: a higher value means a lower risk, by construction
#: of the scores (a candidate for CatBoostParams.monotone_decreasing).
EXTERNAL_SCORES: tuple[str, ...] = (*_EXT, "EXT_SOURCE_MEAN", "EXT_SOURCE_MIN", "EXT_SOURCE_MAX",
                                    "EXT_SOURCE_PROD", "EXT_SOURCE_WEIGHTED")
_DOCS = [c for c in APP_ALL if c.startswith("FLAG_DOCUMENT_")]
_REQ = [c for c in APP_RAW if c.startswith("AMT_REQ_CREDIT_BUREAU_")]
_CONTACT = ["FLAG_MOBIL", "FLAG_EMP_PHONE", "FLAG_WORK_PHONE", "FLAG_CONT_MOBILE", "FLAG_PHONE", "FLAG_EMAIL"]
_YEAR = DAYS_PER_YEAR


class _RowReducer(Protocol):
    """``np.nanmean`` / ``nanstd`` / ``nanmin`` / ``nanmax``, as :func:`_nanreduce` calls them."""

    def __call__(self, a: Floats, /, *, axis: int) -> npt.NDArray[np.floating[Any]]: ...


#: A derived application feature, computed from the cleaned application columns.
_Derive = Callable[[AppColumns], npt.NDArray[np.floating[Any]]]


def _ext_stack(c: AppColumns) -> Floats:
    return np.column_stack([c[e] for e in _EXT])


def _nanreduce(fn: _RowReducer, m: Floats) -> npt.NDArray[np.floating[Any]]:
    with np.errstate(invalid="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(m, axis=1)


def _ext_prod(c: AppColumns) -> Floats:
    return c["EXT_SOURCE_1"] * c["EXT_SOURCE_2"] * c["EXT_SOURCE_3"]


#: (name, formula, function of the cleaned application columns ``c``; c["_DAYS_EMPLOYED_RAW"] is raw)
APP_DERIVED: tuple[tuple[str, str, _Derive], ...] = (
    ("DAYS_EMPLOYED_ANOM", f"1 if DAYS_EMPLOYED == {DAYS_SENTINEL} (no employment date) else 0",
     lambda c: flag(c["_DAYS_EMPLOYED_RAW"] == DAYS_SENTINEL, ~np.isnan(c["_DAYS_EMPLOYED_RAW"]))),
    ("CREDIT_INCOME_RATIO", "AMT_CREDIT / AMT_INCOME_TOTAL", lambda c: div(c["AMT_CREDIT"], c["AMT_INCOME_TOTAL"])),
    ("ANNUITY_INCOME_RATIO", "AMT_ANNUITY / AMT_INCOME_TOTAL",
     lambda c: div(c["AMT_ANNUITY"], c["AMT_INCOME_TOTAL"])),
    ("PAYMENT_RATE", "AMT_ANNUITY / AMT_CREDIT", lambda c: div(c["AMT_ANNUITY"], c["AMT_CREDIT"])),
    ("CREDIT_TERM_MONTHS", "AMT_CREDIT / AMT_ANNUITY", lambda c: div(c["AMT_CREDIT"], c["AMT_ANNUITY"])),
    ("CREDIT_TERM_STANDARD", f"shortest of the standard terms {STANDARD_TERMS} months of at least AMT_CREDIT / "
                             "AMT_ANNUITY payments", lambda c: standard_term(c["AMT_CREDIT"], c["AMT_ANNUITY"])),
    ("INTEREST_RATE_STANDARD", "yearly rate r of AMT_ANNUITY = AMT_CREDIT · (r/12) / (1 − (1 + r/12)^−n), "
                               "n = CREDIT_TERM_STANDARD",
     lambda c: annuity_rate(c["AMT_CREDIT"], c["AMT_ANNUITY"], standard_term(c["AMT_CREDIT"], c["AMT_ANNUITY"]))),
    ("GOODS_CREDIT_RATIO", "AMT_GOODS_PRICE / AMT_CREDIT", lambda c: div(c["AMT_GOODS_PRICE"], c["AMT_CREDIT"])),
    ("CREDIT_GOODS_DIFF", "AMT_CREDIT - AMT_GOODS_PRICE", lambda c: c["AMT_CREDIT"] - c["AMT_GOODS_PRICE"]),
    ("DAYS_EMPLOYED_PERC", "DAYS_EMPLOYED / DAYS_BIRTH (share of life employed)",
     lambda c: div(c["DAYS_EMPLOYED"], c["DAYS_BIRTH"])),
    ("INCOME_PER_PERSON", "AMT_INCOME_TOTAL / CNT_FAM_MEMBERS",
     lambda c: div(c["AMT_INCOME_TOTAL"], c["CNT_FAM_MEMBERS"])),
    ("ANNUITY_PER_PERSON", "AMT_ANNUITY / CNT_FAM_MEMBERS", lambda c: div(c["AMT_ANNUITY"], c["CNT_FAM_MEMBERS"])),
    ("CHILDREN_RATIO", "CNT_CHILDREN / CNT_FAM_MEMBERS", lambda c: div(c["CNT_CHILDREN"], c["CNT_FAM_MEMBERS"])),
    ("INCOME_MINUS_ANNUITY", "AMT_INCOME_TOTAL - 12 * AMT_ANNUITY",
     lambda c: c["AMT_INCOME_TOTAL"] - 12.0 * c["AMT_ANNUITY"]),
    ("AGE_YEARS", "-DAYS_BIRTH / 365.25", lambda c: -c["DAYS_BIRTH"] / _YEAR),
    ("EMPLOYED_YEARS", "-DAYS_EMPLOYED / 365.25 (NaN if sentinel)", lambda c: -c["DAYS_EMPLOYED"] / _YEAR),
    ("CAR_AGE_RATIO", "OWN_CAR_AGE / age in years", lambda c: div(c["OWN_CAR_AGE"], -c["DAYS_BIRTH"] / _YEAR)),
    ("PHONE_CHANGE_BIRTH_RATIO", "DAYS_LAST_PHONE_CHANGE / DAYS_BIRTH",
     lambda c: div(c["DAYS_LAST_PHONE_CHANGE"], c["DAYS_BIRTH"])),
    ("ID_PUBLISH_BIRTH_RATIO", "DAYS_ID_PUBLISH / DAYS_BIRTH", lambda c: div(c["DAYS_ID_PUBLISH"], c["DAYS_BIRTH"])),
    ("REGISTRATION_BIRTH_RATIO", "DAYS_REGISTRATION / DAYS_BIRTH",
     lambda c: div(c["DAYS_REGISTRATION"], c["DAYS_BIRTH"])),
    ("EXT_SOURCE_MEAN", "mean of EXT_SOURCE_1..3 (given ones)", lambda c: _nanreduce(np.nanmean, _ext_stack(c))),
    ("EXT_SOURCE_STD", "std (ddof=0) of EXT_SOURCE_1..3 (given ones)",
     lambda c: _nanreduce(np.nanstd, _ext_stack(c))),
    ("EXT_SOURCE_MIN", "min of EXT_SOURCE_1..3", lambda c: _nanreduce(np.nanmin, _ext_stack(c))),
    ("EXT_SOURCE_MAX", "max of EXT_SOURCE_1..3", lambda c: _nanreduce(np.nanmax, _ext_stack(c))),
    ("EXT_SOURCE_PROD", "EXT_SOURCE_1 * EXT_SOURCE_2 * EXT_SOURCE_3", _ext_prod),
    ("EXT_SOURCE_WEIGHTED", "2 * EXT_SOURCE_1 + EXT_SOURCE_2 + 3 * EXT_SOURCE_3",
     lambda c: 2 * c["EXT_SOURCE_1"] + c["EXT_SOURCE_2"] + 3 * c["EXT_SOURCE_3"]),
    ("EXT_SOURCE_NAN_COUNT", "number of EXT_SOURCE_1..3 not given",
     lambda c: np.isnan(_ext_stack(c)).sum(axis=1).astype(F64)),
    ("DOCUMENT_COUNT", "sum of FLAG_DOCUMENT_2..21", lambda c: np.sum([c[d] for d in _DOCS], axis=0)),
    ("CONTACT_COUNT", "sum of the FLAG_* contact flags (mobile, phones, e-mail)",
     lambda c: np.sum([c[d] for d in _CONTACT], axis=0)),
    ("REQ_CREDIT_BUREAU_TOTAL", "sum of AMT_REQ_CREDIT_BUREAU_* (credit bureau enquiries)",
     lambda c: np.sum([c[d] for d in _REQ], axis=0)),
    ("DEF_30_SOCIAL_RATIO", "DEF_30_CNT_SOCIAL_CIRCLE / OBS_30_CNT_SOCIAL_CIRCLE",
     lambda c: div(c["DEF_30_CNT_SOCIAL_CIRCLE"], c["OBS_30_CNT_SOCIAL_CIRCLE"])),
    ("DEF_60_SOCIAL_RATIO", "DEF_60_CNT_SOCIAL_CIRCLE / OBS_60_CNT_SOCIAL_CIRCLE",
     lambda c: div(c["DEF_60_CNT_SOCIAL_CIRCLE"], c["OBS_60_CNT_SOCIAL_CIRCLE"])),
)


def application_specs() -> list[FeatureSpec]:
    """The raw application columns kept, then the derived ones, in this order."""
    specs = []
    for name in APP_RAW:
        col = APP.column(name)
        specs.append(FeatureSpec(name, "application", name, "raw", levels=col.levels,
                                 formula=(f"{DAYS_SENTINEL} replaced by NaN" if col.sentinel is not None else None)))
    for name, formula, _fn in APP_DERIVED:
        specs.append(FeatureSpec(name, "application", None, "derived", formula=formula))
    return specs


#: The loan's standard term and the rate it implies (:func:`standard_term`), computed from the application alone.
IMPLIED_RATE_FEATURES: tuple[str, ...] = ("CREDIT_TERM_STANDARD", "INTEREST_RATE_STANDARD")


def application_rows(tables: Mapping[str, pd.DataFrame]) -> tuple[Ints, list[pd.DataFrame]]:
    """Every application row's client number and the application frames, training file first (a client
    in both files keeps its training row)."""
    frames = [tables[t] for t in APPLICATION_TABLES if t in tables and tables[t] is not None]
    ids = np.concatenate([f[ID].to_numpy(dtype=np.int64) for f in frames]) if frames else np.zeros(0, np.int64)
    return ids, frames


APP_NUMERIC = [c for c in APP_ALL if APP.column(c).kind != "category"]
