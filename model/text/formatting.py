"""Numbers, amounts, percentages and dates as French (or English) readers expect them.

* Numbers use Babel with ``fr_FR`` / ``en_GB``: French groups thousands with the narrow
  no-break space U+202F and writes decimals with a comma ("202 500", "5,5").
* Amounts: the Kaggle data does not say its currency; the product is for a French bank, so
  amounts are shown in euros, without cents ("202 500 €" with Babel's no-break space
  U+00A0 before "€" in French; "€202,500" in English).
* Percentages: French typography puts a narrow no-break space (U+202F) before "%"
  ("38 %"); Babel 2.18's fr_FR pattern uses U+00A0, so we write U+202F ourselves. English
  has no space ("38%").
* A missing value is written "non renseigné" / "not provided".
* A negative number is written with the minus sign U+2212 ("−162 526 €", "−€220,726"), never
  a hyphen; a number that rounds to zero has no sign.
* Ordinals: "1er", "2e" in French; "1st", "2nd", "3rd", "11th", "21st" in English.
* Dates: "06/12/2026" in French; "6 Dec 2026" in English, where day-first digits would be read
  as the 12th of June by half the readers.
* Amounts typed by a person are read back by :func:`parse_amount` ("249 400", "249 400,50 €",
  "€249,400"), the inverse of :func:`format_currency` and lenient about spaces and symbols.

How one *feature's* value is shown (its unit, years from day counts, sentinels) is the
feature dictionary's business: :func:`model.text.labels.format_info_value`.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from babel import Locale
from babel.dates import format_date as _bd
from babel.dates import format_datetime as _bdt
from babel.numbers import NumberPattern, parse_pattern
from babel.numbers import format_currency as _babel_currency

from model.text.languages import LANGS, LOCALES, Lang, check_lang
from model.text.strings import t

CURRENCY = "EUR"
NNBSP = "\u202f"   # narrow no-break space (French thousands, and before % in French)
NBSP = "\u00a0"    # no-break space (Babel's before € in French)
MINUS = "\u2212"   # minus sign: every negative number shown


def is_missing(value: Any) -> bool:
    """None, NaN (Python, NumPy or pandas) or pandas NA/NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def _pattern(decimals: int) -> str:
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


@cache
def _compiled(decimals: int, lang: Lang) -> tuple[NumberPattern, Locale]:
    """Babel's parsed pattern and locale, built once: parsing them took most of a format call."""
    return parse_pattern(_pattern(decimals)), Locale.parse(LOCALES[lang])


def format_number(x: float, lang: Lang = "fr", decimals: int = 0) -> str:
    """``202500`` → "202 500" (U+202F in French) / "202,500"; fixed number of decimals."""
    if is_missing(x):
        return t("common.not_provided", check_lang(lang))
    pattern, locale = _compiled(int(decimals), check_lang(lang))
    return _minus(str(pattern.apply(_unsigned_zero(float(x), int(decimals)), locale)))


def _unsigned_zero(x: float, decimals: int) -> float:
    """0.0 for a number that rounds to zero ("0", never "−0")."""
    return 0.0 if round(x, max(decimals, 0)) == 0 else x


def _minus(text: str) -> str:
    """Babel writes a hyphen-minus; typography (and screen readers) want the minus sign U+2212."""
    return text.replace("-", MINUS)


def format_ordinal(n: int, lang: Lang = "fr") -> str:
    """``1`` → "1er" / "1st", ``2`` → "2e" / "2nd", ``11`` → "11e" / "11th", ``23`` → "23e" / "23rd"."""
    n = int(n)
    number = format_number(n, lang)
    if check_lang(lang) == "fr":
        return number + ("er" if n == 1 else "e")
    last_two, last = abs(n) % 100, abs(n) % 10
    suffix = "th" if 11 <= last_two <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(last, "th")
    return number + suffix


def format_percent(x: float, lang: Lang = "fr", decimals: int = 0) -> str:
    """A fraction as a percentage: ``0.38`` → "38 %" (narrow no-break space) / "38%"."""
    if is_missing(x):
        return t("common.not_provided", check_lang(lang))
    number = format_number(float(x) * 100, lang, decimals)
    return f"{number}{NNBSP}%" if lang == "fr" else f"{number}%"


def format_currency(x: float, lang: Lang = "fr", decimals: int = 0) -> str:
    """An amount in euros, no cents by default: "202 500 €" / "€202,500"."""
    if is_missing(x):
        return t("common.not_provided", check_lang(lang))
    loc = Locale.parse(LOCALES[check_lang(lang)])
    # the locale's own pattern (symbol position, spacing), with our number of decimals
    pattern = loc.currency_formats["standard"].pattern.split(";")[0].replace("#,##0.00", _pattern(decimals))
    return _minus(_babel_currency(_unsigned_zero(float(x), int(decimals)), CURRENCY, format=pattern, locale=loc,
                                  currency_digits=False))


class AmountError(ValueError):
    """Text that is not an amount (the caller says so in the page's language)."""


#: Every space a person or a formatter puts between digits (space, no-break, narrow no-break, thin).
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_CURRENCY = re.compile(r"€|\bEUR\b|\beuros?\b", re.IGNORECASE)
_DIGITS = re.compile(r"[0-9.,]+")


def _marks(lang: Lang) -> tuple[str, str]:
    """(decimal mark, group mark typed between thousands): "," and "." in French (whose printed group
    is a space), "." and "," in English."""
    decimal = str(Locale.parse(LOCALES[lang]).number_symbols["latn"]["decimal"])
    return decimal, "." if decimal == "," else ","


def _symbol_first(lang: Lang) -> bool:
    return str(Locale.parse(LOCALES[lang]).currency_formats["standard"].pattern).lstrip().startswith("¤")


def parse_amount(text: object, lang: Lang = "fr") -> float | None:
    """An amount typed in the page's language, back as a number; None for an empty field.

    Accepts what :func:`format_currency` writes and what people type: "249 400", "249400",
    "249 400,50 €", "249.400" (French); "€249,400", "249,400.50", "249400" (English). The
    position of the euro sign says which convention the text follows ("€249,400" is English
    even on the French page); without a sign, the page's language decides. A lone mark followed
    by one or two digits is a decimal mark either way ("249400.5" on the French page). Raises
    :class:`AmountError` for anything else ("abc", "1,2,3", "12,5.3", "1e6").
    """
    lang = check_lang(lang)
    if text is None or isinstance(text, bool):
        if text is None:
            return None
        raise AmountError(f"not an amount: {text!r}")
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip()
    if not s:
        return None
    convention = lang
    symbol = _CURRENCY.search(s)
    if symbol is not None:
        first = not s[:symbol.start()].strip(" -−+\u00a0\u202f")
        if first != _symbol_first(lang):
            convention = next((other for other in LANGS if _symbol_first(other) == first), lang)
        s = _CURRENCY.sub("", s)
    s = s.strip(" \t\u00a0\u202f\u2009\u2007")
    sign = 1.0
    if s[:1] in ("-", MINUS, "+"):
        sign = -1.0 if s[0] != "+" else 1.0
        s = s[1:].lstrip(" \u00a0\u202f")
    decimal, group = _marks(convention)
    s = _SPACES.sub(group, s)                            # a space between digits groups thousands
    if not s or not _DIGITS.fullmatch(s):
        raise AmountError(f"not an amount: {text!r}")
    whole, mark, fraction = s.partition(decimal)
    if decimal in fraction or group in fraction or (mark and not fraction):
        raise AmountError(f"not an amount: {text!r}")
    if group in whole:
        parts = whole.split(group)
        if 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
            whole = "".join(parts)                       # thousands: "249,400" / "249.400"
        elif len(parts) == 2 and not fraction and 1 <= len(parts[1]) <= 2 and decimal not in s:
            whole, fraction = parts                      # the other decimal mark: "249400.5" in French
        else:
            raise AmountError(f"not an amount: {text!r}")
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise AmountError(f"not an amount: {text!r}")
    return sign * float(f"{whole}.{fraction or '0'}")


#: The bank's time zone: stored times are UTC, shown times are French.
DISPLAY_TIMEZONE = ZoneInfo("Europe/Paris")


#: Babel patterns of a date and of a date with its time. English digits would be ambiguous
#: ("06/12/2026": 6 December in Britain, June 12 in the United States): the month is written.
DATE_PATTERNS: dict[Lang, tuple[str, str]] = {"fr": ("dd/MM/yyyy", "dd/MM/yyyy HH:mm"),
                                              "en": ("d MMM y", "d MMM y, HH:mm")}


def format_date(d: date | datetime, lang: Lang = "fr") -> str:
    """"23/11/2026" / "23 Nov 2026", with the time for a datetime: "23/11/2026 09:00" / "23 Nov 2026, 09:00".

    A timezone-aware datetime (the scoring store keeps UTC) is shown in the bank's time zone,
    the time the manager and the client read on the wall clock.
    """
    lang = check_lang(lang)
    day_only, with_time = DATE_PATTERNS[lang]
    if isinstance(d, datetime):
        if d.tzinfo is not None:
            d = d.astimezone(DISPLAY_TIMEZONE)
        return _bdt(d, with_time, locale=LOCALES[lang])
    return _bd(d, day_only, locale=LOCALES[lang])


def date_in_words(d: date, lang: Lang) -> str:
    """"1er décembre 2026" / "1 December 2026" (Babel's long date; French writes the first of the month "1er").

    A timezone-aware datetime (the store keeps UTC) is dated in the bank's time zone, as
    :func:`format_date` shows it on screen.
    """
    if isinstance(d, datetime) and d.tzinfo is not None:
        d = d.astimezone(DISPLAY_TIMEZONE)
    text = str(_bd(d, "long", locale=LOCALES[check_lang(lang)]))
    if lang == "fr" and d.day == 1 and text.startswith("1 "):
        text = "1er" + text[1:]
    return text
