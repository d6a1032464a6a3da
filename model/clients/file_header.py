"""What names an open client file on every screen shown in a meeting: the client's number and
the credit asked for, so that the manager cannot present the wrong file. Only this client's own
application values are read; nothing of another client.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from model.text.formatting import DISPLAY_TIMEZONE, format_currency, format_date
from model.text.labels import level_label
from model.text.languages import Lang
from model.text.strings import t


@dataclass(frozen=True)
class FileHeader:
    client: int
    contract: str | None            # NAME_CONTRACT_TYPE level, as in the data
    amount: float | None            # AMT_CREDIT asked
    opened: date

    def lines(self, lang: Lang = "fr") -> tuple[str, str, str]:
        """(client number, credit asked, date the file was opened), written for people."""
        if self.contract is not None and self.amount is not None:
            credit = t("meeting.credit", lang, contract=level_label("NAME_CONTRACT_TYPE", self.contract, lang),
                       amount=format_currency(self.amount, lang))
        else:
            credit = t("meeting.credit_unknown", lang)
        return (t("meeting.client", lang, client_id=self.client), credit,
                t("meeting.date", lang, date=format_date(self.opened, lang)))


def file_header(population: pd.DataFrame, client: int, opened: date | None = None) -> FileHeader:
    """The header of ``client``'s file from its own row of the population frame."""
    row = population.loc[client]
    contract = row.get("NAME_CONTRACT_TYPE")
    amount = row.get("AMT_CREDIT")
    return FileHeader(
        client=int(client),
        contract=None if contract is None or (isinstance(contract, float) and math.isnan(contract)) else str(contract),
        amount=None if amount is None or pd.isna(amount) else float(amount),
        # today in the bank's time zone, as every date the file history shows (not the server's UTC day)
        opened=opened or datetime.now(DISPLAY_TIMEZONE).date(),
    )
