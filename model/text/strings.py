"""Every user-facing string of the product, in French (default) and English.

One dict, ``STRINGS``: ``{key: {"fr": ..., "en": ...}}``, read from
``model/text/data/strings.toml`` so a translator edits text, not Python. Placeholders use
``str.format`` names (``{name}``) and must be the same in both languages (checked when the
file is read). Keys are dotted by screen or topic ("nav.search", "decision.granted",
"error.client_not_found").

Add strings there rather than writing text in layouts or callbacks; numbers, amounts and
dates inside a message are formatted by the caller with :mod:`model.text.formatting` and passed
as already formatted strings.

French typography is applied on import by :func:`french_spacing`: write a plain space
before ":" ";" "?" "!" and inside « », and it becomes the no-break space French requires
(U+00A0 before ":" and inside guillemets, narrow U+202F before ";" "?" "!"), so a line never
breaks before the punctuation.
"""
from __future__ import annotations

from model.text.datafiles import DATA_DIR, load_strings, placeholders
from model.text.languages import DEFAULT_LANG, Lang, check_lang

__all__ = ["STRINGS", "MissingTranslation", "french_spacing", "placeholders", "t"]


def french_spacing(text: str) -> str:
    """Plain spaces before French high punctuation and inside guillemets → no-break spaces."""
    for plain, fixed in ((" :", "\u00a0:"), (" ;", "\u202f;"), (" ?", "\u202f?"), (" !", "\u202f!"),
                         ("« ", "«\u00a0"), (" »", "\u00a0»")):
        text = text.replace(plain, fixed)
    return text


STRINGS_FILE = DATA_DIR / "strings.toml"
STRINGS: dict[str, dict[str, str]] = {
    key: {lang: french_spacing(text) if lang == "fr" else text for lang, text in entry.items()}
    for key, entry in load_strings(STRINGS_FILE).items()}


class MissingTranslation(KeyError):
    """A KeyError, so code that looks strings up like a dict keeps working; the message names the file to edit."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "missing translation"


def t(key: str, lang: Lang = DEFAULT_LANG, **kwargs: object) -> str:
    """The string ``key`` in ``lang``, formatted with ``kwargs`` (KeyError-like if unknown)."""
    try:
        text = STRINGS[key][check_lang(lang)]
    except KeyError:
        raise MissingTranslation(f"no UI string {key!r} in model/text/data/strings.toml") from None
    return text.format(**kwargs) if kwargs or placeholders(text) else text
