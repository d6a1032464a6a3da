"""The credit-card family: the monthly balance of the client's previous credit cards at Home Credit
(``credit_card_balance``): utilisation, drawings, payments against the minimum, days past due.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.features.arrays import Mask, div, flag
from model.features.children import ChildSpec, Rows, aggregates


def _cc_rows(r: Rows, tables: Mapping[str, pd.DataFrame]) -> None:
    d = r.cache
    limit = r.num("AMT_CREDIT_LIMIT_ACTUAL")
    pos_limit = np.where(limit > 0, limit, np.nan)
    d["UTILISATION"] = div(r.num("AMT_BALANCE"), pos_limit)
    d["DRAWINGS_LIMIT_RATIO"] = div(r.num("AMT_DRAWINGS_CURRENT"), pos_limit)
    d["PAYMENT_MIN_RATIO"] = div(r.num("AMT_PAYMENT_CURRENT"), r.num("AMT_INST_MIN_REGULARITY"))
    tot, mn = r.num("AMT_PAYMENT_TOTAL_CURRENT"), r.num("AMT_INST_MIN_REGULARITY")
    d["IS_BELOW_MIN"] = flag(tot < mn, ~(np.isnan(tot) | np.isnan(mn)))
    dpd = r.num("SK_DPD")
    d["IS_LATE"] = flag(dpd > 0, ~np.isnan(dpd))


def _masks(r: Rows) -> dict[str, Mask]:
    mb = r.num("MONTHS_BALANCE")
    return {"L12M": mb >= -12, "L3M": mb >= -3}


CREDIT_CARD = ChildSpec(
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
        aggregates(None, None, "MONTHS_BALANCE:min; AMT_BALANCE:max,mean; AMT_CREDIT_LIMIT_ACTUAL:max,mean; "
                               "UTILISATION:max,mean; DRAWINGS_LIMIT_RATIO:mean; AMT_DRAWINGS_ATM_CURRENT:max,mean; "
                               "AMT_DRAWINGS_CURRENT:max,mean,sum; AMT_DRAWINGS_POS_CURRENT:max,mean; "
                               "AMT_INST_MIN_REGULARITY:mean; AMT_PAYMENT_CURRENT:max,mean; "
                               "AMT_PAYMENT_TOTAL_CURRENT:mean,sum; PAYMENT_MIN_RATIO:min,mean; IS_BELOW_MIN:mean; "
                               "AMT_RECEIVABLE_PRINCIPAL:mean; AMT_TOTAL_RECEIVABLE:mean; "
                               "CNT_DRAWINGS_ATM_CURRENT:mean; CNT_DRAWINGS_CURRENT:max,mean; "
                               "CNT_DRAWINGS_POS_CURRENT:mean; CNT_INSTALMENT_MATURE_CUM:max,mean; "
                               "SK_DPD:max,mean; SK_DPD_DEF:max; IS_LATE:mean,sum"),
        aggregates(None, "L12M", "AMT_BALANCE:max,mean; UTILISATION:max,mean; AMT_DRAWINGS_CURRENT:mean,sum; "
                                 "CNT_DRAWINGS_CURRENT:mean; AMT_PAYMENT_TOTAL_CURRENT:sum; SK_DPD:max,mean; IS_LATE:mean; "
                                 "IS_BELOW_MIN:mean"),
        aggregates(None, "L3M", "AMT_BALANCE:mean; UTILISATION:mean; IS_LATE:mean", count=False),
    ),
    last=("UTILISATION", "AMT_BALANCE", "AMT_CREDIT_LIMIT_ACTUAL"),
    last_rule="most recent month (largest MONTHS_BALANCE, then largest SK_ID_PREV)",
    prepare=_cc_rows,
    masks=_masks,
)
