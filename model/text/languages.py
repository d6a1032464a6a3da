"""The product's languages, written once: French for the bank's staff, English as an option.

Every layer that accepts a language from outside (URL, language switch, API query) goes
through :func:`as_lang` or :func:`check_lang`, so the set of languages and the default
live here and nowhere else.
"""
from __future__ import annotations

from typing import Literal

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")
DEFAULT_LANG: Lang = "fr"
#: Babel locale of each language (en_GB: day/month/year dates, like French).
LOCALES: dict[Lang, str] = {"fr": "fr_FR", "en": "en_GB"}


def as_lang(value: object) -> Lang:
    """A language from untrusted input; anything unknown falls back to French."""
    return value if value in LANGS else DEFAULT_LANG


def check_lang(value: object) -> Lang:
    """A language from code that must pass a valid one; a wrong value is a bug, so it raises."""
    if value not in LANGS:
        raise ValueError(f"unsupported language {value!r}; use one of {LANGS}")
    return value
