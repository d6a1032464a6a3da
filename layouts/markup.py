"""Static HTML drawn as ONE Dash component: the tables and lists a callback returns whole.

Why: each Dash component a callback's answer adds to the page makes the Dash renderer update its
store once it is drawn (``RESET_COMPONENT_STATE``), and every update of the store runs a selector
for every component of the page. A chart's table of 180 cells returned as ``html.Td`` components
cost 180 updates × ~600 components: most of the half second a screen took to show. Content with no
callback of its own (a data table, a description list, a list of sentences) is therefore written
here as escaped HTML and drawn by one ``dcc.Markdown`` (its raw HTML, parsed in the browser), which
costs one update whatever its size. The HTML is the same a Dash tree would have produced (headers
with ``scope``, classes, ``aria-hidden``), so screen readers and the browser tests read it alike.

Only text passed through :func:`text` (or :func:`element`'s content) goes into the markup: every
``<``, ``&``, quote and brace is escaped, so a value never becomes markup.
"""
from __future__ import annotations

from collections.abc import Iterable
from html import escape
from html.parser import HTMLParser
from typing import Any

from dash import dcc

#: Braces open an expression in the browser's parser of the markup (JSX): escaped like the rest.
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


def text(value: Any) -> str:
    """A value as HTML text: escaped, never markup."""
    return escape(str(value), quote=True).translate(_BRACES)


def element(tag: str, content: str | Iterable[str] = "", **attrs: Any) -> str:
    """``<tag attrs>content</tag>``; ``content`` is markup already (built with :func:`text` and this
    function), attribute values are escaped; ``class_`` is written ``class``, ``aria_hidden`` ``aria-hidden``."""
    parts = "".join(content) if not isinstance(content, str) else content
    written = "".join(f' {k.rstrip("_").replace("_", "-")}="{text(v)}"' for k, v in attrs.items() if v is not None)
    return f"<{tag}{written}>{parts}</{tag}>"


def block(markup: str, class_name: str | None = None) -> dcc.Markdown:
    """One Dash component drawing ``markup`` (a block element: table, ul, dl, div), on one line (a
    blank line would end the block)."""
    if not markup.startswith("<") or "\n\n" in markup:
        raise ValueError("a markup block is one block element on one line")
    return dcc.Markdown(markup, dangerously_allow_html=True, className=class_name, dedent=False)


class _Cells(HTMLParser):
    def __init__(self, within: str) -> None:
        super().__init__(convert_charrefs=True)
        self.within, self.inside = within, 0
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.within:
            self.inside += 1
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("th", "td", "li", "dt", "dd"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == self.within:
            self.inside -= 1
        elif self.cell is not None and tag in ("th", "td", "li", "dt", "dd"):
            if not self.rows or tag in ("li", "dt", "dd"):
                self.rows.append([])
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def cells(component: Any, within: str = "tbody") -> list[list[str]]:
    """The text of each row of a :func:`block`'s markup inside ``within`` (a table's body rows, a
    list's items as one-cell rows): for tests, and for a reader of the JSON."""
    markup = component.children if hasattr(component, "children") else (component or {}).get("props", {}).get("children")
    parser = _Cells(within)
    parser.feed(str(markup or ""))
    return parser.rows


def plain_text(component: Any) -> str:
    """The text of a :func:`block`, tags removed (for tests)."""
    markup = component.children if hasattr(component, "children") else (component or {}).get("props", {}).get("children")
    out: list[str] = []
    parser = HTMLParser(convert_charrefs=True)
    parser.handle_data = out.append  # type: ignore[method-assign]
    parser.feed(str(markup or ""))
    return " ".join(" ".join(out).split())
