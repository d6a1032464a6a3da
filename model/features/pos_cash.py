"""The POS and cash loans family: the monthly balance of the client's previous point-of-sale and cash
loans at Home Credit (``POS_CASH_balance``): days past due, instalments left, each loan's last month.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.features.arrays import Mask, div, factorize, flag
from model.features.children import ChildSpec, Rows, aggregates


def _pos_rows(r: Rows, tables: Mapping[str, pd.DataFrame]) -> None:
    d = r.cache
    dpd, dpd_def = r.num("SK_DPD"), r.num("SK_DPD_DEF")
    d["IS_LATE"] = flag(dpd > 0, ~np.isnan(dpd))
    d["IS_LATE_DEF"] = flag(dpd_def > 0, ~np.isnan(dpd_def))
    d["REMAINING_SHARE"] = div(r.num("CNT_INSTALMENT_FUTURE"), r.num("CNT_INSTALMENT"))
    d["IS_COMPLETED"] = r.is_in("NAME_CONTRACT_STATUS", ["Completed"])
    d["IS_ACTIVE"] = r.is_in("NAME_CONTRACT_STATUS", ["Active"])
    d["NAME_CONTRACT_STATUS"] = r.cat_float("NAME_CONTRACT_STATUS")


def _masks(r: Rows) -> dict[str, Mask]:
    m: dict[str, Mask] = {}
    loan, k = factorize(r.num("SK_ID_PREV").astype(np.int64))
    month = np.where(np.isnan(r.num("MONTHS_BALANCE")), -np.inf, r.num("MONTHS_BALANCE"))
    mx = np.full(k, -np.inf)
    np.maximum.at(mx, loan, month)
    m["LASTMONTH"] = month == mx[loan]
    m["L12M"] = r.num("MONTHS_BALANCE") >= -12
    return m


POS_CASH = ChildSpec(
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
        aggregates(None, None, "MONTHS_BALANCE:min,max,mean; CNT_INSTALMENT:max,mean; CNT_INSTALMENT_FUTURE:max,mean; "
                               "REMAINING_SHARE:mean; SK_DPD:max,mean; SK_DPD_DEF:max,mean; IS_LATE:mean; IS_LATE_DEF:mean; "
                               "IS_COMPLETED:mean"),
        aggregates("LASTMONTH", None, "IS_COMPLETED:mean; IS_ACTIVE:mean; CNT_INSTALMENT_FUTURE:mean,sum; "
                                      "REMAINING_SHARE:mean; SK_DPD:max; CNT_INSTALMENT:mean; MONTHS_BALANCE:mean"),
        aggregates(None, "L12M", "SK_DPD:max,mean; SK_DPD_DEF:max; IS_LATE:mean; CNT_INSTALMENT_FUTURE:mean"),
    ),
    last=("NAME_CONTRACT_STATUS", "SK_DPD", "CNT_INSTALMENT_FUTURE"),
    last_rule="most recent month (largest MONTHS_BALANCE, then largest SK_ID_PREV)",
    categorical_last={"NAME_CONTRACT_STATUS": "NAME_CONTRACT_STATUS"},
    prepare=_pos_rows,
    masks=_masks,
)
