"""Facts into words: the Jinja2 templates of ``templates/`` and the filters that format their numbers.

One environment per language, whose filters are bound to it: ``{{ f.auc|num(4) }}`` is
"0,7658" in the French body and "0.7658" in the English summary, always through
:mod:`model.text.formatting`, so the note writes numbers exactly as the dashboard does. The
templates are strict (an unknown name is an error, not an empty string) and Markdown, so
nothing is HTML-escaped.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from model.artifact import EXPLANATIONS_FILE, GLOBAL_IMPORTANCE_FILE, OOF_FILE, POPULATION_FILE
from model.reporting.facts import Facts, missing
from model.reporting.figures import CALIBRATION_FIGURE, COST_FIGURE, FigureText
from model.text.formatting import format_date, format_number, format_percent
from model.text.labels import feature_label, level_label
from model.text.languages import Lang
from model.text.strings import french_spacing

TEMPLATES = Path(__file__).with_name("templates")
BODY_TEMPLATE = "methodology.fr.md.j2"
SUMMARY_TEMPLATE = "methodology.en.md.j2"
FIGURES_TEMPLATE = "figures.fr.j2"
#: Written for a number or a name the sources do not give.
DASH = "—"
#: Artifact files the text names.
FILES = {"oof": OOF_FILE, "population": POPULATION_FILE, "importance": GLOBAL_IMPORTANCE_FILE,
         "explanations": EXPLANATIONS_FILE}


def _filters(lang: Lang) -> dict[str, Callable[..., str]]:
    """The formatting filters of one language: a dash where there is no value."""
    def num(x: Any, decimals: int = 0) -> str:
        return DASH if missing(x) else format_number(float(x), lang, decimals)

    def pct(x: Any, decimals: int = 1) -> str:
        return DASH if missing(x) else format_percent(float(x), lang, decimals)

    def pm(mean: Any, std: Any, decimals: int = 4) -> str:
        """"mean ± std", or the mean alone when the spread is unknown."""
        if missing(mean):
            return DASH
        return num(mean, decimals) if missing(std) else f"{num(mean, decimals)} ± {num(std, decimals)}"

    def signed(x: Any, decimals: int = 4) -> str:
        """A difference, signed: "+0,0011", "−0,0077", "0,0000" when it rounds to zero."""
        if missing(x):
            return DASH
        return f"{'+' if round(float(x), decimals) > 0 else ''}{num(x, decimals)}"

    def points(x: float, decimals: int = 1) -> str:
        """A difference of two rates in percentage points, signed: "+1,2"."""
        return f"{'+' if x >= 0 else ''}{num(x * 100, decimals)}"

    def when(d: date | None) -> str:
        # the note labels its times "UTC": an aware time stays in UTC (format_date would show the bank's clock)
        if isinstance(d, datetime) and d.tzinfo is not None:
            d = d.astimezone(UTC).replace(tzinfo=None)
        return DASH if d is None else format_date(d, lang)

    return {
        "num": num, "pct": pct, "pm": pm, "signed": signed, "points": points, "date": when,
        "dash": lambda x: DASH if x is None else str(x),
        # a bare "|" inside a cell ("|SHAP|") would split it
        "cell": lambda x: str(x).replace("|", "\\|"),
        "feature_label": lambda name: feature_label(name, lang),
        "level_label": lambda level, column: level_label(column, level, lang),
        "french_spacing": french_spacing,
    }


@cache
def environment(lang: Lang) -> Environment:
    """The templates with ``lang``'s filters; built once per language."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                      keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(_filters(lang))
    return env


def _context(f: Facts, figure_paths: Mapping[str, str]) -> dict[str, Any]:
    return {"f": f, "files": FILES, "cost_figure": figure_paths.get(COST_FIGURE),
            "calibration_figure": figure_paths.get(CALIBRATION_FIGURE)}


def render(f: Facts, figure_paths: Mapping[str, str]) -> str:
    """The whole Markdown document: French body, then English summary.

    ``figure_paths`` maps a figure's file name to its link from the document; a figure
    without a path is not linked.
    """
    context = _context(f, figure_paths)
    french = environment("fr").get_template(BODY_TEMPLATE).render(context)
    english = environment("en").get_template(SUMMARY_TEMPLATE).render(context)
    return french + english


def figure_text(f: Facts) -> FigureText:
    """The figures' labels, from the variables that ``figures.fr.j2`` sets."""
    module = environment("fr").get_template(FIGURES_TEMPLATE).make_module({"f": f})
    return FigureText(**{name: str(getattr(module, name)) for name in FigureText.__dataclass_fields__})
