"""Characters nobody sees, taken out of the free text a person types before it is stored or printed.

A manager's review reason is printed in the client's letter. Unicode's bidirectional controls
(U+202A-U+202E embeddings and overrides, U+2066-U+2069 isolates, U+200E and U+200F marks, U+061C) are
not drawn but reorder what is drawn around them ("Trojan Source", CVE-2021-42574): after U+202E the
characters are shown right to left, so a reason stored as "éfuser" reads "refusé".

The other format characters (Unicode category Cf: zero-width space and joiners, soft hyphen, word
joiner, byte order mark, tag characters), control characters other than whitespace (Cc: NUL, ESC, DEL,
the C1 controls) and lone surrogates (Cs, which no UTF-8 database stores) are invisible or unprintable
as well, and the letter's font has no glyph for them.

Whitespace (line breaks, tabs, U+00A0, U+202F) is kept: it is visible as space, and the letter folds it.
"""
from __future__ import annotations

import unicodedata

#: Unicode categories removed: format (Cf), control (Cc; whitespace excepted) and surrogate (Cs).
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Cs"})


def is_invisible(ch: str) -> bool:
    """Whether the character ``ch`` is one :func:`visible_text` removes."""
    return unicodedata.category(ch) in INVISIBLE_CATEGORIES and not ch.isspace()


def visible_text(text: str) -> str:
    """``text`` without its invisible characters (bidirectional controls included); whitespace kept."""
    return "".join(ch for ch in text if not is_invisible(ch))
