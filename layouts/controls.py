"""The texts Dash components write themselves, in the page's language."""
from __future__ import annotations

from model.text.languages import Lang
from model.text.strings import t

_DROPDOWN_TEXTS = ("select_all", "deselect_all", "search", "clear_search", "clear_selection", "no_options_found")


def dropdown_labels(lang: Lang = "fr") -> dict[str, str]:
    """``dcc.Dropdown(labels=...)``: Dash 4's own texts ("Search", "No options found", ...)."""
    labels = {k: t(f"dropdown.{k}", lang) for k in _DROPDOWN_TEXTS}
    # filled in by the dropdown itself, in the browser
    labels["selected_count"] = t("dropdown.selected_count", lang, num_selected="{num_selected}")
    return labels
