"""The bureau family: the client's credits at other lenders (``bureau``), each with its monthly statuses
(``bureau_balance``, summarised per credit first, then per client).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.features.arrays import F64, Group, Mask, dense_indexer, div, factorize, flag, schema_codes
from model.features.children import ChildSpec, Rows, aggregates
from model.features.spec import schema_levels

_BB_LATE = ("1", "2", "3", "4", "5")


def _bureau_rows(r: Rows, tables: Mapping[str, pd.DataFrame]) -> None:
    bureau, bb = tables["bureau"], tables.get("bureau_balance")
    d = r.cache
    d["DEBT_CREDIT_RATIO"] = div(r.num("AMT_CREDIT_SUM_DEBT"), r.num("AMT_CREDIT_SUM"))
    d["OVERDUE_DEBT_RATIO"] = div(r.num("AMT_CREDIT_SUM_OVERDUE"), r.num("AMT_CREDIT_SUM_DEBT"))
    d["CREDIT_DURATION"] = r.num("DAYS_CREDIT_ENDDATE") - r.num("DAYS_CREDIT")
    d["ENDDATE_DIFF"] = r.num("DAYS_ENDDATE_FACT") - r.num("DAYS_CREDIT_ENDDATE")
    over = r.num("CREDIT_DAY_OVERDUE")
    d["IS_OVERDUE"] = flag(over > 0, ~np.isnan(over))
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
    row_code, k = factorize(bid)
    first_row = np.empty(k, dtype=np.int64)
    first_row[row_code[::-1]] = np.arange(n - 1, -1, -1)  # any representative row per credit
    code = dense_indexer(bid[first_row], bb["SK_ID_BUREAU"].to_numpy())
    sel = np.flatnonzero(code >= 0) if (len(code) and code.min() < 0) else None
    if sel is not None:
        code = code[sel]
    months = bb["MONTHS_BALANCE"].to_numpy(dtype=F64)
    status = schema_codes(bb["STATUS"], schema_levels("bureau_balance", "STATUS"))
    if sel is not None:
        months, status = months[sel], status[sel]
    levels = schema_levels("bureau_balance", "STATUS")
    late_lut = np.array([lv in _BB_LATE for lv in levels] + [False])
    dpd_lut = np.array([float(lv) if lv.isdigit() else 0.0 for lv in levels] + [np.nan])
    x_lut = np.array([lv == "X" for lv in levels] + [False])
    g = Group(code, k)
    cnt = g.count()
    late = late_lut[status].astype(F64)
    recent = months >= -12
    per = {
        "BB_MONTHS_COUNT": cnt,
        "BB_MONTHS_MIN": g.agg(months, "min"),
        "BB_LATE_SHARE": g.agg(late, "mean"),
        "BB_STATUS_MAX": g.agg(dpd_lut[status], "max"),
        "BB_UNKNOWN_SHARE": g.agg(x_lut[status].astype(F64), "mean"),
        "BB_LATE_L12M_SHARE": Group(code[recent], k).agg(late[recent], "mean"),
    }
    has = cnt > 0
    for c in bb_cols:
        v = per[c]
        v[~has] = np.nan
        d[c] = v[row_code]


def _masks(r: Rows) -> dict[str, Mask]:
    return {"ACTIVE": r.is_in("CREDIT_ACTIVE", ["Active"]) == 1,
            "CLOSED": r.is_in("CREDIT_ACTIVE", ["Closed"]) == 1,
            "L365D": r.num("DAYS_CREDIT") >= -365}


BUREAU = ChildSpec(
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
        aggregates(None, None, "DAYS_CREDIT:min,max,mean,std; CREDIT_DAY_OVERDUE:max,mean; "
                               "DAYS_CREDIT_ENDDATE:min,max,mean; DAYS_ENDDATE_FACT:max,mean; "
                               "DAYS_CREDIT_UPDATE:max,mean; AMT_CREDIT_MAX_OVERDUE:max,mean; CNT_CREDIT_PROLONG:sum; "
                               "AMT_CREDIT_SUM:max,mean,sum; AMT_CREDIT_SUM_DEBT:max,mean,sum; "
                               "AMT_CREDIT_SUM_OVERDUE:mean,sum; AMT_CREDIT_SUM_LIMIT:mean,sum; AMT_ANNUITY:max,mean; "
                               "DEBT_CREDIT_RATIO:max,mean; OVERDUE_DEBT_RATIO:max; CREDIT_DURATION:mean; "
                               "ENDDATE_DIFF:mean; IS_OVERDUE:mean; IS_ACTIVE:mean; TYPE_CONSUMER:mean; TYPE_CARD:mean; "
                               "TYPE_CAR:mean; TYPE_MORTGAGE:mean; TYPE_MICROLOAN:mean; BB_MONTHS_COUNT:mean,sum; "
                               "BB_MONTHS_MIN:min; BB_LATE_SHARE:max,mean; BB_STATUS_MAX:max,mean; BB_UNKNOWN_SHARE:mean; "
                               "BB_LATE_L12M_SHARE:max,mean"),
        aggregates("ACTIVE", None, "DAYS_CREDIT:min,max,mean; DAYS_CREDIT_ENDDATE:min,max,mean; CREDIT_DAY_OVERDUE:max,mean; "
                                   "AMT_CREDIT_SUM:max,mean,sum; AMT_CREDIT_SUM_DEBT:max,mean,sum; "
                                   "AMT_CREDIT_SUM_OVERDUE:max,sum; AMT_CREDIT_SUM_LIMIT:mean,sum; AMT_ANNUITY:mean,sum; "
                                   "DEBT_CREDIT_RATIO:max,mean; CNT_CREDIT_PROLONG:sum; DAYS_CREDIT_UPDATE:mean; "
                                   "BB_LATE_SHARE:max,mean; BB_STATUS_MAX:max; BB_LATE_L12M_SHARE:mean"),
        aggregates("CLOSED", None, "DAYS_CREDIT:min,max,mean; DAYS_ENDDATE_FACT:max,mean; "
                                   "AMT_CREDIT_SUM:max,mean,sum; AMT_CREDIT_MAX_OVERDUE:max; AMT_ANNUITY:mean; "
                                   "ENDDATE_DIFF:mean; CREDIT_DURATION:mean; BB_LATE_SHARE:max,mean; BB_STATUS_MAX:max"),
        aggregates(None, "L365D", "AMT_CREDIT_SUM:mean,sum; AMT_CREDIT_SUM_DEBT:sum"),
    ),
    source_table={k: "bureau_balance" for k in ("BB_MONTHS_COUNT", "BB_MONTHS_MIN", "BB_LATE_SHARE",
                                                "BB_STATUS_MAX", "BB_UNKNOWN_SHARE", "BB_LATE_L12M_SHARE")},
    prepare=_bureau_rows,
    masks=_masks,
)
