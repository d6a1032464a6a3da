"""Plotly figures of the dashboard: pure functions of plain data (no I/O, no model calls).

Colours follow the Okabe–Ito palette, distinguishable without colour vision: blue for
what lowers the risk / granted, orange for what raises it / refused, always doubled with
text, signs, icons or patterns.
"""
from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from model.decision import GRANTED, REFER, REFUSED, DecisionRule
from model.text.formatting import NNBSP, format_number, format_ordinal, format_percent
from model.text.languages import Lang
from model.text.strings import t

BLUE, ORANGE, GREY, DARK = "#0072B2", "#D55E00", "#8C8C8C", "#1F2933"
#: Grey for text (GREY is for bars): 7:1 on white, above WCAG AA for small text.
TEXT_GREY = "#595959"
LIGHT_BLUE, LIGHT_ORANGE = "#CFE3F2", "#F7D9C4"
#: The referral band (a person decides): amber, between the blue of granted and the orange of refused.
AMBER, LIGHT_AMBER = "#8A6100", "#F6E7B0"
DECISION_COLOURS = {GRANTED: BLUE, REFER: AMBER, REFUSED: ORANGE}
#: Calibrated PDs rarely pass this; the gauge then shows 0–100 %.
GAUGE_SPAN = 0.4
#: The gauge's number, in px: inside the arc's inner circle however wide the gauge's column.
GAUGE_NUMBER = 56
#: Every chart text is at least 16 px (read on a projector): ticks, legends and hover inherit it.
FONT = dict(family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size=16, color=DARK)
MIN_FONT = 16
#: Height of one legend row and of a subplot title, in pixels, at MIN_FONT.
LEGEND_ROW, TITLE_ROW = 30, 30
#: Narrowest figure the charts are designed for (a graph in an 800 px window): the waterfall's
#: outside texts fit in what its labels leave of it.
NARROW_FIGURE = 700


#: A gap between horizontal-bar labels and the bars (an invisible tick).
LABEL_GAP = dict(ticks="outside", ticklen=8, tickcolor="rgba(0,0,0,0)")


def percent_suffix(lang: Lang) -> str:
    """What follows a number in %: a narrow no-break space before it in French only ("12,3 %" / "12.3%")."""
    return f"{NNBSP}%" if lang == "fr" else "%"


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


def wrap_lines(text: str, width: int) -> str:
    """A title on as many lines as it needs (plotly's ``<br>``), cut at spaces: an axis title
    is centred on its axis and would otherwise run off a narrow figure."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def label_margin(labels: Sequence[str], font_size: int = FONT["size"]) -> int:
    """Pixels for horizontal-bar labels: a generous 0.6 em per character of the longest line."""
    longest = max((len(line) for x in labels for line in str(x).split("<br>")), default=0)
    return int(min(480, 16 + longest * 0.6 * font_size))


def empty_figure(message: str = "") -> dict[str, Any]:
    return {"data": [], "layout": dict(
        xaxis={"visible": False}, yaxis={"visible": False}, paper_bgcolor="white", plot_bgcolor="white",
        margin=dict(l=0, r=0, t=0, b=0), height=120,
        annotations=[dict(text=message, showarrow=False, font=dict(size=MIN_FONT, color=TEXT_GREY))] if message else [])}


def gauge_figure(probability: float, rule: DecisionRule, lang: Lang = "fr", simulated: bool = False) -> dict[str, Any]:
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
        # 56 px: "32,7 %" stays well inside the arc's inner circle down to a gauge 420 px wide (plotly's own
        # sizing, with no size, is done before the graph takes its width: 80 px ran over the arc at 1024 px)
        number=dict(suffix=percent_suffix(lang), valueformat=".1f", font=dict(size=GAUGE_NUMBER, color=colour)),
        title=dict(text=t("simulate.gauge_title" if simulated else "score.probability", lang), font=dict(size=18)),
        gauge=dict(
            axis=dict(range=[0, top], ticksuffix=percent_suffix(lang), tickwidth=1,
                      dtick=10 if top == 100 else 5, tickfont=dict(size=MIN_FONT)),
            bar=dict(color=colour, thickness=0.35),
            steps=[s for s in steps if s["range"][1] > s["range"][0]],
            threshold=dict(line=dict(color=DARK, width=5), thickness=0.9, value=threshold * 100),
        ),
    )
    layout = _base_layout(lang, height=340, margin=dict(l=30, r=30, t=60, b=70), annotations=[dict(
        x=0.5, y=-0.12, xref="paper", yref="paper", yanchor="top", showarrow=False, font=dict(size=MIN_FONT),
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
    The chart's title is the caption of the page around it (:func:`layouts.chart_tables.chart_block`).
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
        negative = v < 0 and text.strip("0,. \u202f") != ""
        if unit == "points":
            return f"{'−' if negative else '+'}{text}{NNBSP if lang == 'fr' else ' '}pt" if signed else \
                f"{'−' if negative else ''}{text}{percent_suffix(lang)}"
        return ("−" if negative else "+" if signed else "") + text

    text = [fmt(values[0], False)] + [fmt(v, True) for v in values[1:-1]] + [fmt(final * k, False)]
    trace = dict(
        type="waterfall", orientation="h", y=labels, x=values, measure=measure, text=text, textposition="outside",
        cliponaxis=False, textfont=dict(size=MIN_FONT),
        increasing=dict(marker=dict(color=ORANGE)), decreasing=dict(marker=dict(color=BLUE)),
        totals=dict(marker=dict(color=GREY)), connector=dict(line=dict(color="#BBBBBB", width=1)),
        customdata=full, hovertemplate="%{customdata}<br>%{text}<extra></extra>",
    )
    # a left margin sized from the labels: plotly's automargin would draw the chart twice
    margin = dict(l=label_margin(labels), r=30, t=10, b=70)
    layout = _base_layout(
        lang, height=max(360, (44 if any("<br>" in x for x in labels) else 34) * len(labels) + 90),
        showlegend=False,
        xaxis=dict(title=dict(text=t("explain.axis_points" if unit == "points" else "explain.axis_log_odds", lang)),
                   gridcolor="#EEEEEE", zeroline=True, autorange=False,
                   range=waterfall_range(values, text, narrow_plot(margin))),
        yaxis=dict(autorange="reversed", automargin=False, **LABEL_GAP),
        margin=margin)
    return {"data": [trace], "layout": layout}


def text_width(text: str, font_size: int = MIN_FONT) -> float:
    """A generous estimate of a one-line text's width in pixels (0.6 em per character, plus padding)."""
    return len(text) * 0.6 * font_size + 10


def bar_spans(values: Sequence[float]) -> list[tuple[float, float]]:
    """(start, end) of each waterfall bar: the first absolute, then relative ones, the last a total."""
    spans, level = [], 0.0
    for i, v in enumerate(values):
        if i == 0:
            spans.append((0.0, v))
            level = v
        elif i == len(values) - 1:
            spans.append((0.0, level))
        else:
            spans.append((level, level + v))
            level += v
    return spans


def narrow_plot(margin: Mapping[str, int]) -> int:
    """Width in pixels of the plot area of a figure of NARROW_FIGURE with these margins."""
    return max(160, NARROW_FIGURE - margin["l"] - margin["r"])


def waterfall_range(values: Sequence[float], texts: Sequence[str], plot_px: int) -> list[float]:
    """An x range holding every bar and, beside each bar's end, its outside text, even in a plot
    only ``plot_px`` wide: a text never runs past the axis into the row labels (or off the right)."""
    spans = bar_spans(values)
    ends = [x for span in spans for x in span]
    lo0, hi0 = min(ends), max(ends)
    lo, hi = lo0, hi0
    if hi - lo <= 0:
        lo, hi = lo - 1, hi + 1
    for _ in range(20):       # the room a text needs is a share of the range, which the room widens
        width = hi - lo
        need_lo = [end - min(0.45, text_width(x) / plot_px) * width for (start, end), x in zip(spans, texts)
                   if end < start]
        need_hi = [end + min(0.45, text_width(x) / plot_px) * width for (start, end), x in zip(spans, texts)
                   if end >= start]
        lo, hi = min([lo0, *need_lo]), max([hi0, *need_hi])
    return [lo, hi]


def importance_figure(rows: Sequence[tuple[str, float]], lang: Lang = "fr") -> go.Figure:
    """Horizontal bars of global importance (label, mean |SHAP|), most important on top; labels on
    at most two lines, the left margin sized from them, so the bars get the rest of the width.
    The chart's title is the caption of the page around it."""
    full = [r[0] for r in rows]
    labels = [wrap_label(x, 36) for x in full]
    values = [r[1] for r in rows]
    fig = go.Figure(go.Bar(orientation="h", y=labels, x=values, marker_color=BLUE, customdata=full,
                           hovertext=[format_number(v, lang, 3) for v in values],
                           hovertemplate="%{customdata}: %{hovertext}<extra></extra>"))
    tall = any("<br>" in x for x in labels)
    fig.update_layout(**_base_layout(lang, height=max(320, (44 if tall else 32) * len(rows) + 90),
                                     xaxis=dict(title=dict(text=t("model.importance_axis", lang), standoff=12),
                                                gridcolor="#EEEEEE", automargin=False),
                                     yaxis=dict(autorange="reversed", automargin=False, **LABEL_GAP),
                                     margin=dict(l=label_margin(labels), r=30, t=10, b=70)))
    return fig


#: A bin's clients whose outcome is not told (a split would count fewer than the minimum group):
#: slate, crossed, 4.9:1 on white.
SLATE = "#66727F"
SERIES = (("repaid", "compare.repaid", BLUE, ""), ("defaulted", "compare.defaulted", ORANGE, "/"),
          ("unknown", "compare.unknown_outcome", GREY, "."), ("withheld", "compare.outcome_withheld", SLATE, "x"))


def panel_shares(panel: Mapping[str, Any]) -> dict[str, list[float]]:
    """Each outcome's counts of a panel as % of the panel's clients (bars and table show these)."""
    total = max(1, sum(sum(panel.get(key) or ()) for key, *_ in SERIES))
    return {key: [100 * c / total for c in panel[key]] for key, *_ in SERIES if any(panel.get(key) or ())}


def panel_labels(panel: Mapping[str, Any]) -> list[str]:
    """The words of each bin or level of a panel (``labels`` if given, else the x values)."""
    return [str(x) for x in (panel.get("labels") or panel["x"])]


def _subplot_axes(n: int, spacing: float = 0.1) -> tuple[dict[str, Any], list[tuple[float, float]]]:
    """Layout axes of 1 × ``n`` side-by-side plots (as plotly's make_subplots writes them) and their x domains."""
    width = (1 - spacing * (n - 1)) / n
    domains = [(i * (width + spacing), i * (width + spacing) + width) for i in range(n)]
    axes: dict[str, Any] = {}
    for i, (a, b) in enumerate(domains, start=1):
        suffix = "" if i == 1 else str(i)
        axes[f"xaxis{suffix}"] = dict(anchor=f"y{suffix}", domain=[a, b])
        axes[f"yaxis{suffix}"] = dict(anchor=f"x{suffix}", domain=[0.0, 1.0])
    return axes, domains


def distribution_figure(panels: Sequence[Mapping[str, Any]], client_x: float | str | None, x_title: str,
                        lang: Lang = "fr", client_text: str | None = None) -> go.Figure:
    """Side-by-side histograms (all clients, similar clients) split by outcome, client marked.

    Each panel: {"title", "x": bin centres or levels, "width": bar widths or None,
    "labels": words of each bin (optional), "repaid": counts, "defaulted": counts,
    "unknown": counts, "withheld": counts}. Counts are shown as shares of the panel so that groups of
    different sizes compare. The client is a dashed line (a marker for a category) named in the legend
    ("Ce client : 32 ans", or "non renseigné" with no mark); the legend sits at the top of the
    figure, above the subplot titles, so it can overlap neither them nor the x-axis titles.

    Built in one go (traces and layout as plain dicts, validated once by ``go.Figure``): adding traces
    and updating axes one call at a time cost ~100 ms per figure, most of the Compare screen's time.
    """
    axes, domains = _subplot_axes(len(panels))
    x_lines = wrap_lines(x_title, 60 // max(1, len(panels)))
    client_name = t("charts.this_client_value", lang,
                    value=client_text if client_x is not None and client_text else
                    t("common.not_provided", lang) if client_x is None else str(client_x))
    pct = percent_suffix(lang)
    traces: list[dict[str, Any]] = []
    in_legend: set[str] = set()
    for col, panel in enumerate(panels, start=1):
        suffix = "" if col == 1 else str(col)
        on = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        shares = panel_shares(panel)
        words = panel_labels(panel)
        for key, label_key, colour, pattern in SERIES:
            if key not in shares:
                continue
            name = t(label_key, lang)
            traces.append(dict(
                type="bar", x=panel["x"], y=shares[key], width=panel.get("width"), name=name, legendgroup=key,
                showlegend=key not in in_legend, marker=dict(color=colour, pattern=dict(shape=pattern)),
                customdata=[[w, format_number(v, lang, 1) + pct] for w, v in zip(words, shares[key])],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra>" + name + "</extra>", **on))
            in_legend.add(key)
        stacked = [sum(v) for v in zip(*shares.values())] if shares else [0.0]
        top = max(stacked, default=0.0) or 1.0
        if isinstance(client_x, str):
            traces.append(dict(type="scatter", x=[client_x], y=[0], mode="markers", name=client_name,
                               legendgroup="client", showlegend=col == 1, cliponaxis=False,
                               marker=dict(symbol="triangle-up", size=18, color=DARK),
                               hovertemplate=client_name + "<extra></extra>", **on))
        elif client_x is not None:
            traces.append(dict(type="scatter", x=[client_x, client_x], y=[0, top * 1.04], mode="lines",
                               name=client_name, legendgroup="client", showlegend=col == 1,
                               line=dict(color=DARK, width=3, dash="dash"),
                               hovertemplate=client_name + "<extra></extra>", **on))
        elif col == 1:
            # no value: the legend says so, nothing is drawn in the plot
            traces.append(dict(type="scatter", x=[None], y=[None], mode="lines", name=client_name,
                               legendgroup="client", line=dict(color=DARK, width=3, dash="dash"), hoverinfo="skip",
                               **on))
        # whole numbers with the language's thousands separator ("100 000"), never "100k"
        axes[f"xaxis{suffix}"].update(title=dict(text=x_lines), gridcolor="#EEEEEE", exponentformat="none",
                                      separatethousands=True)
        axes[f"yaxis{suffix}"].update(gridcolor="#EEEEEE", rangemode="tozero",
                                      **({"title": dict(text=t("charts.share_axis", lang))} if col == 1 else {}))
    # the subplot titles, just above each plot
    titles = [dict(text=p["title"], x=(a + b) / 2, xanchor="center", xref="paper", y=1.0, yanchor="bottom",
                   yref="paper", showarrow=False, font=dict(size=MIN_FONT + 1)) for p, (a, b) in zip(panels, domains)]
    layout = _base_layout(lang, height=460 + 22 * x_lines.count("<br>"), barmode="stack", bargap=0.05,
                          legend=top_legend(), annotations=titles,
                          margin=dict(l=80, r=20, t=top_margin(rows=2, titles=True),
                                      b=bottom_margin(x_lines, rotated_ticks=True)), **axes)
    return go.Figure(data=traces, layout=layout)


def top_legend() -> dict[str, Any]:
    """A horizontal legend pinned to the top of the figure (container coordinates), above the plot
    and any subplot title: :func:`top_margin` leaves it its rows."""
    return dict(orientation="h", x=0, xanchor="left", y=1, yanchor="top", yref="container",
                font=dict(size=MIN_FONT), tracegroupgap=0)


def top_margin(rows: int, titles: bool) -> int:
    """Top margin holding ``rows`` legend rows (and the subplot titles, if any) above the plot."""
    return 8 + rows * LEGEND_ROW + (TITLE_ROW + 8 if titles else 0)


def bottom_margin(x_title: str, rotated_ticks: bool = False) -> int:
    """Bottom margin holding the tick labels (tilted ones are taller) and every line of the x-axis title."""
    return (60 if rotated_ticks else 34) + 24 * (x_title.count("<br>") + 1)


#: Characters per line of the position chart's row labels: narrow, so the plot keeps room on a small window.
POSITION_WRAP = 32


def position_rows(rows: Sequence[Mapping[str, Any]], lang: Lang = "fr") -> list[dict[str, Any]]:
    """The rows of the position chart: a row with neither a client value nor a group median is
    dropped; a row without the client's value says so in its label."""
    out = []
    for r in rows:
        if r.get("client") is None and r.get("group") is None:
            continue
        label = r["label"] if r.get("client") is not None else t("charts.client_not_provided", lang, label=r["label"])
        out.append({"label": label, "client": r.get("client"), "group": r.get("group"),
                    "tick": wrap_label(r["label"], POSITION_WRAP) + ("" if r.get("client") is not None else
                                                          "<br>" + label[len(r["label"]):].strip())})
    return out


def percentile_text(value: float | None, lang: Lang = "fr") -> str:
    """A percentile in words: "2e centile" / "2nd percentile" (or "non renseigné")."""
    if value is None:
        return t("common.not_provided", lang)
    return t("charts.percentile_value", lang, ordinal=format_ordinal(int(round(value)), lang))


def position_figure(rows: Sequence[Mapping[str, Any]], lang: Lang = "fr") -> go.Figure:
    """The client against the similar group's median on several features, as percentiles of all clients.

    rows: {"label", "client": percentile or None, "group": percentile or None}; see
    :func:`position_rows` for rows without a value. The legend sits at the top of the figure.
    Built in one go, like :func:`distribution_figure`.
    """
    kept = position_rows(rows, lang)
    full = [r["label"] for r in kept]
    labels = [r["tick"] for r in kept]
    group_text = [percentile_text(r["group"], lang) for r in kept]
    client_text = [percentile_text(r["client"], lang) for r in kept]
    traces = [
        dict(type="bar", orientation="h", y=labels, x=[r["group"] for r in kept], name=t("compare.group_median", lang),
             marker=dict(color=LIGHT_BLUE, line=dict(color=BLUE, width=1), pattern=dict(shape="/")),
             customdata=list(zip(full, group_text)),
             hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra>" + t("compare.group_median", lang)
             + "</extra>"),
        dict(type="scatter", y=labels, x=[r["client"] for r in kept], mode="markers", name=t("compare.this_client", lang),
             cliponaxis=False, marker=dict(symbol="diamond", size=16, color=DARK),
             customdata=list(zip(full, client_text)),
             hovertemplate="%{customdata[0]}<br>%{customdata[1]}<extra>" + t("compare.this_client", lang)
             + "</extra>"),
    ]
    lines = max((x.count("<br>") + 1 for x in labels), default=1)
    x_title = wrap_lines(t("charts.percentile_axis", lang), 28)
    margin = dict(l=label_margin(labels), r=30, t=top_margin(rows=2, titles=False), b=bottom_margin(x_title))
    row_px = 14 + 22 * lines if lines > 1 else 36
    layout = _base_layout(lang, height=max(300, row_px * len(kept) + margin["t"] + margin["b"] + 20),
                          xaxis=dict(title=dict(text=x_title), range=[0, 100], gridcolor="#EEEEEE", dtick=25,
                                     automargin=False),
                          yaxis=dict(autorange="reversed", automargin=False, **LABEL_GAP),
                          legend=top_legend(), margin=margin)
    return go.Figure(data=traces, layout=layout)
