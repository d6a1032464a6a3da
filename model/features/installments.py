"""The instalments family: every instalment of the client's previous credits at Home Credit
(``installments_payments``): paid late or early, in full or not, over recent windows.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.features.arrays import Mask, div, flag
from model.features.children import ChildSpec, Rows, aggregates


def _instal_rows(r: Rows, tables: Mapping[str, pd.DataFrame]) -> None:
    d = r.cache
    due, paid_day = r.num("DAYS_INSTALMENT"), r.num("DAYS_ENTRY_PAYMENT")
    inst, pay = r.num("AMT_INSTALMENT"), r.num("AMT_PAYMENT")
    d["PAYMENT_RATIO"] = div(pay, inst)
    d["PAYMENT_DIFF"] = inst - pay
    late_days = paid_day - due
    d["DPD"] = np.maximum(late_days, 0.0)
    d["DBD"] = np.maximum(-late_days, 0.0)
    d["IS_LATE"] = flag(late_days > 0, ~np.isnan(late_days))
    d["IS_UNDERPAID"] = flag(pay < inst, ~(np.isnan(pay) | np.isnan(inst)))


def _masks(r: Rows) -> dict[str, Mask]:
    due = r.num("DAYS_INSTALMENT")
    return {"L365D": due >= -365, "L90D": due >= -90}


INSTALMENTS = ChildSpec(
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
        aggregates(None, None, "NUM_INSTALMENT_VERSION:max,mean; NUM_INSTALMENT_NUMBER:max; DPD:max,mean,sum,std; "
                               "DBD:max,mean,sum; IS_LATE:mean,sum; PAYMENT_RATIO:min,max,mean,std; "
                               "PAYMENT_DIFF:max,mean,sum; IS_UNDERPAID:mean; AMT_INSTALMENT:max,mean,sum; "
                               "AMT_PAYMENT:min,max,mean,sum; DAYS_ENTRY_PAYMENT:min,max,mean; DAYS_INSTALMENT:min"),
        aggregates(None, "L365D", "DPD:max,mean,sum; DBD:max,mean; IS_LATE:mean; PAYMENT_RATIO:min,mean; "
                                  "PAYMENT_DIFF:max,mean,sum; IS_UNDERPAID:mean; AMT_PAYMENT:mean,sum; AMT_INSTALMENT:sum"),
        aggregates(None, "L90D", "DPD:max,mean; IS_LATE:mean; PAYMENT_RATIO:mean; PAYMENT_DIFF:sum; AMT_PAYMENT:sum"),
    ),
    prepare=_instal_rows,
    masks=_masks,
)
