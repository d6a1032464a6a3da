"""Translated static text: a span whose id names its i18n key, so one callback can re-translate it."""
from __future__ import annotations

from dash import html

from layouts import ids
from model.text.languages import Lang
from model.text.strings import t


def T(key: str, lang: Lang = "fr", **kw) -> html.Span:
    return html.Span(t(key, lang, **kw), id={"type": ids.TEXT, "key": key})
