"""The note's PNG figures: the reliability curve (before and after calibration) and the business cost against the threshold.

Drawing only: the points come from :class:`~model.reporting.facts.Facts` and the words from
:class:`FigureText` (rendered from ``templates/figures.fr.j2``), so a figure always shows
the numbers the text states. Axes are in French, like the body of the note.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from model.reporting.facts import Facts
from model.text.formatting import format_number

CALIBRATION_FIGURE = "calibration.png"
COST_FIGURE = "cost_threshold.png"


@dataclass(frozen=True)
class FigureText:
    """Every label of the two figures, numbers already formatted."""

    perfect: str
    raw_curve: str
    calibrated_curve: str
    calibration_x: str
    calibration_y: str
    calibration_title: str
    chosen_threshold: str
    grant_all: str
    cost_x: str
    cost_y: str
    cost_title: str


def figures(f: Facts, text: FigureText) -> dict[str, bytes]:
    """PNG bytes of each figure by file name: drawn in memory, so nothing is written if the note fails."""
    # matplotlib takes a second to import: only when figures are asked for.
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    out: dict[str, bytes] = {}
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    raw, calibrated = f.validation.reliability_raw, f.validation.reliability
    top = max(max(b.mean_pd for b in (*raw, *calibrated)), max(b.observed_rate for b in raw)) * 1.05
    ax.plot([0, top], [0, top], "--", color="grey", label=text.perfect)
    ax.plot([b.mean_pd for b in raw], [b.observed_rate for b in raw], "o-", color="#c0392b", label=text.raw_curve)
    ax.plot([b.mean_pd for b in calibrated], [b.observed_rate for b in calibrated], "s-", color="#2471a3",
            label=text.calibrated_curve)
    ax.set(xlabel=text.calibration_x, ylabel=text.calibration_y, title=text.calibration_title, xlim=(0, top),
           ylim=(0, top))
    ax.legend(loc="upper left", fontsize=8)
    out[CALIBRATION_FIGURE] = _png(fig, plt)

    thresholds, costs = f.cost_curve
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(thresholds, costs, color="#2471a3")
    ax.axvline(f.threshold, color="#c0392b", linestyle="--", label=text.chosen_threshold)
    ax.axhline(float("nan") if f.cost_grant_all is None else f.cost_grant_all, color="grey", linestyle=":",
               label=text.grant_all)
    ax.set(xlabel=text.cost_x, ylabel=text.cost_y, xlim=(0, 1), title=text.cost_title)
    ax.legend(fontsize=8)
    out[COST_FIGURE] = _png(fig, plt)
    return out


def _png(fig: Any, plt: Any) -> bytes:
    # matplotlib is loaded by figures() already; this import only names its formatter.
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    french = FuncFormatter(lambda v, _pos: format_number(v, "fr", 2))   # axes in French like the text; 2 decimals: ticks step by 0.05
    for ax in fig.axes:
        ax.xaxis.set_major_formatter(french)
        ax.yaxis.set_major_formatter(french)
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()
