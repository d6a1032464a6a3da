"""Drift: has the data moved away from what the model learnt from? Summary, table and report link."""
from __future__ import annotations

from dash import html

from layouts import ids
from layouts.model_card import card_table
from layouts.text import T
from model.monitoring.drift import DriftRow, DriftView
from model.text.languages import Lang
from model.text.strings import t

#: Where the dashboard serves Evidently's full HTML report (route in callbacks/drift.py).
REPORT_URL = "/reports/drift"
#: Drift is a problem (orange), no drift is fine (blue); always with an icon and words.
ICONS = {True: "⚠", False: "✔"}


def layout(lang: Lang = "fr") -> html.Section:
    """The body stays empty until the tab is opened: reading the summary is not worth a start-up cost."""
    return html.Section(id=ids.screen("drift"), className="screen", hidden=True, children=[
        html.H2(T("drift.title", lang)),
        html.P(T("drift.intro", lang), className="hint"),
        html.Div(id=ids.DRIFT_BODY),
    ])


def drift_badge(drifted: bool, lang: Lang = "fr", words: str | None = None, extra_class: str = "",
                **attrs) -> html.Span:
    """Drifted or stable as icon + words + colour class, so that colour is never the only signal."""
    state = "yes" if drifted else "no"
    return html.Span(className=f"drift-badge drift-{state} {extra_class}".strip(), **attrs, children=[
        html.Span(ICONS[drifted], className="drift-icon", **{"aria-hidden": "true"}),
        html.Span(words or t(f"drift.{state}", lang)),
    ])


def feature_table(rows: list[DriftRow], lang: Lang = "fr") -> html.Table:
    heads = (("drift.col.rank", "num"), ("common.feature", None), ("drift.col.test", None),
             ("drift.col.score", "num"), ("drift.col.threshold", "num"), ("drift.col.status", None))
    return html.Table(id=ids.DRIFT_TABLE, className="table table-sm drift-table", children=[
        html.Caption(t("drift.table_caption", lang)),
        html.Thead(html.Tr([html.Th(t(k, lang), scope="col", className=c) for k, c in heads])),
        html.Tbody([html.Tr(className="drifted" if r.drifted else None, **{"data-feature": r.feature}, children=[
            html.Td(r.rank, className="num"), html.Th(r.label, scope="row", title=r.feature),
            html.Td(r.test), html.Td(r.score, className="num"), html.Td(r.threshold, className="num"),
            html.Td(drift_badge(r.drifted, lang)),
        ]) for r in rows]),
    ])


def report_link(href: str | None, command: str, lang: Lang = "fr") -> html.Div:
    """The link to the full report, or how to produce it when the HTML file is not there."""
    if href is None:
        return html.Div(className="drift-report", children=[
            html.P(t("drift.report_missing", lang)), html.Pre(html.Code(command))])
    return html.Div(className="drift-report", children=[
        html.A(id=ids.DRIFT_REPORT_LINK, href=href, target="_blank", rel="noopener",
               className="btn btn-outline-primary",
               children=[t("drift.report_link", lang), " ", html.Span(t("drift.new_tab", lang),
                                                                      className="visually-hidden")]),
        html.P(t("drift.report_help", lang), className="hint"),
    ])


def summary(view: DriftView, report_href: str | None, command: str, lang: Lang = "fr") -> list:
    """Headline first (the data as a whole, then the facts of the check), then one row per feature."""
    status = t("drift.dataset_yes" if view.dataset_drift else "drift.dataset_no", lang)
    facts = [
        (t("drift.generated_at", lang), view.generated_at),
        (t("drift.reference_data", lang), view.reference),
        (t("drift.current_data", lang), view.current),
        (t("drift.drifted_count", lang), t("drift.count_value", lang, count=view.n_drifted, total=view.n_tested,
                                           share=view.share_drifted)),
    ]
    if view.n_not_tested:
        facts.append((t("drift.not_tested", lang), str(view.n_not_tested)))
    return [
        html.Div(className="drift-headline", children=[
            drift_badge(view.dataset_drift, lang, status, "drift-status", id=ids.DRIFT_STATUS, role="status"),
            html.P(t("drift.dataset_rule", lang, share=view.dataset_drift_share), className="hint"),
            html.P(t("drift.none", lang)) if view.n_drifted == 0 else None,
        ]),
        html.Div(id=ids.DRIFT_FACTS, children=card_table(facts)),
        report_link(report_href, command, lang),
        feature_table(view.rows, lang),
    ]


def message(text: str, command: str, detail: str | None = None) -> html.Div:
    """No summary to show: what happened and the command that fixes it, never a traceback."""
    return html.Div(id=ids.DRIFT_MESSAGE, className="drift-message", role="status", children=[
        html.P(text), html.Pre(html.Code(command)),
        html.P(detail, className="hint") if detail else None,
    ])
