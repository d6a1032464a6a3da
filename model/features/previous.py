"""The previous-applications family: the client's earlier applications at Home Credit
(``previous_application``): amounts asked and granted, the rate charged, refusals, the most recent one.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.features.arrays import Mask, div, flag
from model.features.children import ChildSpec, Rows, aggregates
from model.features.loan_terms import annuity_rate

_PREV_LAST_CAT = ("NAME_CONTRACT_STATUS", "NAME_CONTRACT_TYPE", "CODE_REJECT_REASON", "NAME_YIELD_GROUP",
                  "PRODUCT_COMBINATION")


def _prev_rows(r: Rows, tables: Mapping[str, pd.DataFrame]) -> None:
    d = r.cache
    credit, annuity, cnt_pay = r.num("AMT_CREDIT"), r.num("AMT_ANNUITY"), r.num("CNT_PAYMENT")
    d["APP_CREDIT_RATIO"] = div(r.num("AMT_APPLICATION"), credit)
    d["CREDIT_GOODS_RATIO"] = div(credit, r.num("AMT_GOODS_PRICE"))
    d["ANNUITY_CREDIT_RATIO"] = div(annuity, credit)
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
    d["IS_ONGOING"] = flag(approved & (r.num("DAYS_LAST_DUE_1ST_VERSION") > 0))
    for c in _PREV_LAST_CAT:
        d[c] = r.cat_float(c)


def _masks(r: Rows) -> dict[str, Mask]:
    return {"APPROVED": r.cache["IS_APPROVED"] == 1,
            "REFUSED": r.cache["IS_REFUSED"] == 1,
            "L365D": r.num("DAYS_DECISION") >= -365}


PREVIOUS = ChildSpec(
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
        aggregates(None, None, "AMT_ANNUITY:max,mean; AMT_APPLICATION:max,mean; AMT_CREDIT:min,max,mean,sum; "
                               "APP_CREDIT_RATIO:min,max,mean,std; CREDIT_GOODS_RATIO:mean; AMT_DOWN_PAYMENT:max,mean; "
                               "AMT_GOODS_PRICE:mean; RATE_DOWN_PAYMENT:max,mean; DAYS_DECISION:min,max,mean; "
                               "CNT_PAYMENT:mean,sum; INTEREST_RATE:min,max,mean; DAYS_FIRST_DUE:mean; "
                               "DAYS_LAST_DUE_1ST_VERSION:max,mean; DAYS_TERMINATION:max,mean; DUE_SHIFT:mean; "
                               "NFLAG_INSURED_ON_APPROVAL:mean; IS_APPROVED:mean; IS_REFUSED:mean; "
                               "TYPE_CASH:mean; TYPE_CONSUMER:mean; YIELD_HIGH:mean; YIELD_LOW:mean; "
                               "CLIENT_NEW:mean; IS_ONGOING:sum"),
        aggregates("APPROVED", None, "AMT_ANNUITY:max,mean,sum; AMT_APPLICATION:mean; AMT_CREDIT:max,mean,sum; "
                                     "APP_CREDIT_RATIO:max,mean; AMT_DOWN_PAYMENT:mean; AMT_GOODS_PRICE:mean; "
                                     "DAYS_DECISION:max,mean; CNT_PAYMENT:mean,sum; INTEREST_RATE:max,mean; "
                                     "DAYS_LAST_DUE_1ST_VERSION:max,mean; DAYS_TERMINATION:max"),
        aggregates("REFUSED", None, "AMT_APPLICATION:max,mean; AMT_CREDIT:max,mean; APP_CREDIT_RATIO:min,mean; "
                                    "DAYS_DECISION:max,mean"),
        aggregates(None, "L365D", "IS_REFUSED:mean; AMT_CREDIT:mean,sum"),
    ),
    last=("AMT_CREDIT", "AMT_ANNUITY", "AMT_APPLICATION", "APP_CREDIT_RATIO", "DAYS_DECISION", "CNT_PAYMENT",
          "INTEREST_RATE") + _PREV_LAST_CAT,
    last_rule="most recent previous application (largest DAYS_DECISION, then largest SK_ID_PREV)",
    categorical_last={c: c for c in _PREV_LAST_CAT},
    prepare=_prev_rows,
    masks=_masks,
    last_time='DAYS_DECISION',
)
