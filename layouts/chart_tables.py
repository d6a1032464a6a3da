"""Every chart's accessible name and its table alternative: pure functions, like the figures.

A chart is drawn by plotly as SVG, which a screen reader cannot read and a person cannot copy.
So each ``dcc.Graph`` sits in a :func:`chart_block`: an ``html.Figure`` whose visible caption
(a translated static text) names the graph (``role="img"`` + ``aria-labelledby``), followed
by a collapsible table (``html.Details``) holding the same numbers as the figure, filled by
the chart's callback with one of the ``*_table`` functions below. The table functions read
the same data (or the same helpers) as the figure functions, so the two cannot disagree.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from layouts import markup
from layouts.figures import SERIES, panel_labels, panel_shares, percent_suffix, percentile_text, position_rows
from layouts.text import T
from model.decision import DecisionRule
from model.text.formatting import format_number, format_percent
from model.text.languages import Lang
from model.text.strings import t


def table_id(graph_id: str) -> str:
    """Id of the container of a graph's table alternative."""
    return f"{graph_id}-table"


def caption_id(graph_id: str) -> str:
    """Id of a graph's visible caption (its accessible name)."""
    return f"{graph_id}-caption"


def chart_block(graph: Any, graph_id: str, caption_key: str, data_key: str, lang: Lang = "fr") -> html.Figure:
    """A graph with its accessible name and its table alternative.

    ``graph``: the ``dcc.Graph`` (or a ``dcc.Loading`` around it) whose id is ``graph_id``;
    ``caption_key``: UI string of the caption that names it; ``data_key``: UI string of the
    "show the data" summary. Both are translated static texts (:func:`layouts.text.T`), so the
    language switch re-translates them; each key may appear once in the page.
    """
    return html.Figure(className="chart", children=[
        html.Figcaption(T(caption_key, lang), id=caption_id(graph_id), className="chart-caption"),
        html.Div(graph, role="img", className="chart-graph", **{"aria-labelledby": caption_id(graph_id)}),
        html.Details(className="chart-data", children=[
            html.Summary(T(data_key, lang)),
            html.Div(id=table_id(graph_id), className="chart-table-wrap"),
        ]),
    ])


def data_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> dcc.Markdown:
    """A plain table: a header row, then one row per item whose first cell names it. Drawn as one
    Dash component (layouts/markup.py): a table's cells as Dash components made every screen with a
    chart seconds slower to show."""
    head = markup.element("tr", [markup.element("th", markup.text(h), scope="col") for h in header])
    body = [markup.element("tr", [markup.element("th", markup.text(r[0]), scope="row"),
                                  *[markup.element("td", markup.text(c), class_="num") for c in r[1:]]])
            for r in rows]
    table = markup.element("table", [markup.element("thead", head), markup.element("tbody", body)],
                           class_="table table-sm chart-table")
    return markup.block(table, "chart-table-html")


def table_cells(table: Any) -> list[list[str]]:
    """The text of every body row of a :func:`data_table` (for tests and for a reader of the JSON)."""
    return markup.cells(table)


def _share(value: float, lang: Lang) -> str:
    return format_number(value, lang, 1) + percent_suffix(lang)


def distribution_table(panels: Sequence[Mapping[str, Any]], x_title: str, lang: Lang = "fr") -> html.Table:
    """The distribution chart as a table: one row per bin or level, one column per group and
    outcome, in % of the group (the heights of the stacked bars)."""
    header = [x_title]
    columns: list[dict[str, float]] = []
    order: list[str] = []
    for panel in panels:
        shares, words = panel_shares(panel), panel_labels(panel)
        for key, label_key, *_ in SERIES:
            if key not in shares:
                continue
            header.append(t("charts.share_column", lang, group=panel["title"], outcome=t(label_key, lang)))
            columns.append(dict(zip(words, shares[key])))
        order += [w for w in words if w not in order]
    rows = [[w, *[_share(c.get(w, 0.0), lang) for c in columns]] for w in order]
    return data_table(header, rows)


def position_table(rows: Sequence[Mapping[str, Any]], lang: Lang = "fr") -> html.Table:
    """The position chart as a table: feature, the client's percentile, the group median's percentile."""
    kept = position_rows(rows, lang)
    return data_table([t("common.feature", lang), t("charts.client_percentile", lang), t("charts.group_percentile", lang)],
                      [[r["label"], percentile_text(r["client"], lang), percentile_text(r["group"], lang)] for r in kept])


def importance_table(rows: Sequence[tuple[str, float]], lang: Lang = "fr") -> html.Table:
    """The importance chart as a table: feature and mean importance (3 decimals, as on hover)."""
    return data_table([t("common.feature", lang), t("model.importance_axis", lang)],
                      [[label, format_number(value, lang, 3)] for label, value in rows])


def waterfall_table(figure: Mapping[str, Any], lang: Lang = "fr") -> html.Table:
    """The waterfall as a table, read from its figure: each bar's full label and its value as
    written beside the bar (start, each factor, the client's probability)."""
    trace = figure["data"][0]
    axis = figure["layout"]["xaxis"]["title"]["text"]
    return data_table([t("charts.factor", lang), axis], [[label, text] for label, text in
                                                          zip(trace["customdata"], trace["text"])])


def gauge_table(probability: float, rule: DecisionRule, lang: Lang = "fr") -> html.Table:
    """The gauge as a table: the client's probability of default, the threshold, the referral
    band (when there is one) and the decision they give."""
    rows = [[t("score.probability", lang), format_percent(probability, lang, 1)],
            [t("score.threshold", lang), format_percent(rule.threshold, lang, 1)]]
    if rule.refer_low < rule.refer_high:
        rows.append([t("charts.refer_band", lang), t("charts.range", lang, low=format_percent(rule.refer_low, lang, 1),
                                                     high=format_percent(rule.refer_high, lang, 1))])
    rows.append([t("decision.title", lang), t(f"decision.{rule.decide(probability)}", lang)])
    return data_table([t("common.feature", lang), t("common.value", lang)], rows)
