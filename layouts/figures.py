"""Plotly figures of the dashboard: pure functions of plain data (no I/O, no model calls).

Colours follow the Okabe–Ito palette, distinguishable without colour vision: blue for
what lowers the risk / granted, orange for what raises it / refused, always doubled with
text, signs, icons or patterns.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from model.decision import GRANTED, REFER, REFUSED, DecisionRule
from model.text.formatting import format_number, format_percent
from model.text.languages import Lang
from model.text.strings import t

BLUE, ORANGE, GREY, DARK = "#0072B2", "#D55E00", "#8C8C8C", "#1F2933"
LIGHT_BLUE, LIGHT_ORANGE = "#CFE3F2", "#F7D9C4"
#: The referral band (a person decides): amber, between the blue of granted and the orange of refused.
AMBER, LIGHT_AMBER = "#8A6100", "#F6E7B0"
DECISION_COLOURS = {GRANTED: BLUE, REFER: AMBER, REFUSED: ORANGE}
#: Calibrated PDs rarely pass this; the gauge then shows 0–100 %.
GAUGE_SPAN = 0.4
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=15, color=DARK)


def separators(lang: Lang) -> str:
    """Plotly's decimal and thousands separators for the language."""
    return ", " if lang == "fr" else ".,"


def _base_layout(lang: Lang, **kw: Any) -> dict[str, Any]:
    layout = dict(font=FONT, separators=separators(lang), paper_bgcolor="white", plot_bgcolor="white",
                  margin=dict(l=10, r=10, t=40, b=10))
    layout.update(kw)
    return layout


def wrap_label(text: str, width: int = 42) -> str:
    """Long bar labels on at most two lines (plotly's ``<br>``), cut at a space; a value
    after the last colon ("Âge : 32 ans") is always kept, the name is shortened instead."""
    if len(text) <= width:
        return text
    head, sep, value = text.rpartition(":")
    suffix = (" " if head.endswith(" ") else "") + sep + value if sep and len(value) < width // 2 else ""
    head = head.rstrip() if suffix else text
    cut = head.rfind(" ", 0, width)
    cut = cut if cut > 0 else width
    first, rest = head[:cut].rstrip(), head[cut:].strip()
    room = width - len(suffix)
    if len(rest) > room:
        rest = rest[:max(room - 1, 0)].rstrip() + "…"
    return first + "<br>" + rest + suffix


def label_margin(labels: Sequence[str], font_size: int = FONT["size"]) -> int:
    """Pixels for horizontal-bar labels: a generous 0.6 em per character of the longest line."""
    longest = max((len(line) for x in labels for line in str(x).split("<br>")), default=0)
    return int(min(480, 16 + longest * 0.6 * font_size))


def empty_figure(message: str = "") -> dict[str, Any]:
    return {"data": [], "layout": dict(
        xaxis={"visible": False}, yaxis={"visible": False}, paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=0, r=0, t=0, b=0), height=120,
        annotations=[dict(text=message, showarrow=False, font=dict(size=16, color=GREY))] if message else [])}


def gauge_figure(probability: float, rule: DecisionRule, lang: Lang = "fr") -> dict[str, Any]:
    """Probability of default on a gauge: granted, referral and refused zones, threshold as a
    thick line, large number. The scale stops at 40 % (PDs are calibrated: a few percent for most
    clients) unless the client's PD is above it.

    Built as plain plotly JSON, like the waterfall: both are drawn on every client change,
    and ``go.Figure``'s validation would cost more than the model (tests validate them).
    """
    threshold = rule.threshold
    colour = DECISION_COLOURS[rule.decide(probability)]
    top = 100 if probability > GAUGE_SPAN else int(GAUGE_SPAN * 100)
    steps = [dict(range=[0, rule.refer_low * 100], color=LIGHT_BLUE),
             dict(range=[rule.refer_low * 100, rule.refer_high * 100], color=LIGHT_AMBER),
             dict(range=[rule.refer_high * 100, top], color=LIGHT_ORANGE)]
    indicator = dict(
        type="indicator", mode="gauge+number", value=round(probability * 100, 1),
        number=dict(suffix=" %" if lang == "fr" else "%", valueformat=".1f", font=dict(size=64, color=colour)),
        title=dict(text=t("score.probability", lang), font=dict(size=18)),
        gauge=dict(
            axis=dict(range=[0, top], ticksuffix="\u202f%" if lang == "fr" else "%", tickwidth=1,
                      dtick=10 if top == 100 else 5),
            bar=dict(color=colour, thickness=0.35),
            steps=[s for s in steps if s["range"][1] > s["range"][0]],
            threshold=dict(line=dict(color=DARK, width=5), thickness=0.9, value=threshold * 100),
        ),
    )
    layout = _base_layout(lang, height=340, margin=dict(l=30, r=30, t=60, b=70), annotations=[dict(
        x=0.5, y=-0.12, xref="paper", yref="paper", yanchor="top", showarrow=False, font=dict(size=15),
        text=_threshold_words(rule, lang))])
    return {"data": [indicator], "layout": layout}


def _threshold_words(rule: DecisionRule, lang: Lang) -> str:
    words = t("score.threshold_value", lang, threshold=format_percent(rule.threshold, lang, 1))
    if rule.refer_low < rule.refer_high:
        words += "<br>" + t("score.refer_band", lang, low=format_percent(rule.refer_low, lang, 1),
                            high=format_percent(rule.refer_high, lang, 1))
    return words


def waterfall_figure(base: float, bars: Sequence[Mapping[str, Any]], final: float, lang: Lang = "fr",
                     unit: str = "points", base_label: str | None = None, final_label: str | None = None
                     ) -> dict[str, Any]:
    """Horizontal waterfall: base → one bar per factor (``label``, ``delta``) → final.

    ``unit="points"``: base, deltas and final are probabilities (fractions) drawn in % points;
    ``unit="log_odds"``: raw log-odds (expert mode). The last bar is a plotly "total", so the
    chart ends exactly where the bars sum to; callers pass deltas that sum to final − base.
    """
    k = 100.0 if unit == "points" else 1.0
    dec = 1 if unit == "points" else 3
    full = [base_label or t("explain.baseline", lang)] + [b["label"] for b in bars] + \
        [final_label or t("explain.final", lang)]
    labels = [wrap_label(x) for x in full]
    values = [base * k] + [b["delta"] * k for b in bars] + [0.0]
    measure = ["absolute"] + ["relative"] * len(bars) + ["total"]

    def fmt(v: float, signed: bool) -> str:
        text = format_number(abs(v), lang, dec)
        if unit == "points":
            sign = ("+" if v >= 0 else "−") if signed else ""
            return f"{sign}{text} pt" if signed else f"{text} %"
        return (("+" if v >= 0 else "−") if signed else ("" if v >= 0 else "−")) + text

    text = [fmt(values[0], False)] + [fmt(v, True) for v in values[1:-1]] + [fmt(final * k, False)]
    trace = dict(
        type="waterfall", orientation="h", y=labels, x=values, measure=measure, text=text, textposition="outside",
        cliponaxis=False,
        increasing=dict(marker=dict(color=ORANGE)), decreasing=dict(marker=dict(color=BLUE)),
        totals=dict(marker=dict(color=GREY)), connector=dict(line=dict(color="#BBBBBB", width=1)),
        customdata=full, hovertemplate="%{customdata}<br>%{text}<extra></extra>",
    )
    layout = _base_layout(
        lang, height=max(360, (44 if any("<br>" in x for x in labels) else 34) * len(labels) + 120),
        showlegend=False,
        title=dict(text=t("explain.chart_title", lang), x=0, font=dict(size=17)),
        xaxis=dict(title=dict(text=t("explain.axis_points" if unit == "points" else "explain.axis_log_odds", lang)),
                   gridcolor="#EEEEEE", zeroline=True),
        # a left margin sized from the labels: plotly's automargin would draw the chart twice
        yaxis=dict(autorange="reversed", automargin=False),
        margin=dict(l=label_margin(labels), r=60, t=50, b=60))
    return {"data": [trace], "layout": layout}


def importance_figure(rows: Sequence[tuple[str, float]], lang: Lang = "fr") -> go.Figure:
    """Horizontal bars of global importance (label, mean |SHAP|), most important on top."""
    fig = go.Figure(go.Bar(orientation="h", y=[r[0] for r in rows], x=[r[1] for r in rows], marker_color=BLUE,
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_layout(**_base_layout(lang, height=max(320, 30 * len(rows) + 80),
                                     title=dict(text=t("explain.global_importance", lang), x=0),
                                     xaxis=dict(title=t("model.importance_axis", lang), gridcolor="#EEEEEE"),
                                     yaxis=dict(autorange="reversed", automargin=True)))
    return fig


def distribution_figure(panels: Sequence[Mapping[str, Any]], client_x: float | str | None, x_title: str,
                        lang: Lang = "fr") -> go.Figure:
    """Side-by-side histograms (all clients, similar clients) split by outcome, client marked.

    Each panel: {"title", "x": bin centres or levels, "width": bar widths or None,
    "repaid": counts, "defaulted": counts, "unknown": counts}. Counts are shown as shares of
    the panel so that groups of different sizes compare.
    """
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p["title"] for p in panels],
                        horizontal_spacing=0.08)
    series = (("repaid", "compare.repaid", BLUE, ""), ("defaulted", "compare.defaulted", ORANGE, "/"),
              ("unknown", "compare.unknown_outcome", GREY, "."))
    for col, panel in enumerate(panels, start=1):
        total = max(1, sum(sum(panel[s[0]]) for s in series))
        for key, label_key, colour, pattern in series:
            counts = panel[key]
            if not any(counts):
                continue
            fig.add_trace(go.Bar(
                x=panel["x"], y=[100 * c / total for c in counts], width=panel.get("width"),
                name=t(label_key, lang), legendgroup=key, showlegend=col == 1 or key not in
                {tr.legendgroup for tr in fig.data}, marker=dict(color=colour, pattern=dict(shape=pattern)),
                hovertemplate="%{x}: %{y:.1f} %<extra>" + t(label_key, lang) + "</extra>"), row=1, col=col)
        if client_x is not None:
            if isinstance(client_x, str):
                fig.add_trace(go.Scatter(x=[client_x], y=[0], mode="markers+text", text=[t("compare.this_client", lang)],
                                         textposition="top center", marker=dict(symbol="triangle-up", size=16,
                                                                                color=DARK),
                                         showlegend=False, hoverinfo="skip"), row=1, col=col)
            else:
                fig.add_vline(x=client_x, line=dict(color=DARK, width=3, dash="dash"), row=1, col=col,
                              annotation_text=t("compare.this_client", lang), annotation_position="top")
        fig.update_xaxes(title_text=x_title, row=1, col=col, gridcolor="#EEEEEE")
        fig.update_yaxes(title_text="%" if col == 1 else None, row=1, col=col, gridcolor="#EEEEEE")
    fig.update_layout(**_base_layout(lang, height=380, barmode="stack", bargap=0.05,
                                     legend=dict(orientation="h", y=-0.25, x=0),
                                     margin=dict(l=10, r=10, t=50, b=10)))
    return fig


def position_figure(rows: Sequence[Mapping[str, Any]], lang: Lang = "fr") -> go.Figure:
    """The client against the similar group's median on several features, as percentiles of all clients.

    rows: {"label", "client": percentile or None, "group": percentile or None}.
    """
    labels = [r["label"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(orientation="h", y=labels, x=[r["group"] for r in rows], name=t("compare.group_median", lang),
                         marker=dict(color=LIGHT_BLUE, line=dict(color=BLUE, width=1), pattern=dict(shape="/")),
                         hovertemplate="%{y}: %{x:.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(y=labels, x=[r["client"] for r in rows], mode="markers", name=t("compare.this_client", lang),
                             marker=dict(symbol="diamond", size=16, color=DARK),
                             hovertemplate="%{y}: %{x:.0f}<extra></extra>"))
    fig.update_layout(**_base_layout(lang, height=max(300, 36 * len(rows) + 100),
                                     title=dict(text=t("compare.profile_chart", lang), x=0),
                                     xaxis=dict(title=t("compare.percentile_axis", lang), range=[0, 100],
                                                gridcolor="#EEEEEE", dtick=25),
                                     yaxis=dict(autorange="reversed", automargin=True),
                                     legend=dict(orientation="h", y=-0.2, x=0)))
    return fig
