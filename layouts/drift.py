"""Drift: has the data moved away from what the model learnt from? Summary, table and report link.

The drift check (``python -m model.monitoring.drift``) writes a summary of numbers; this module
turns it into what the screen shows (:func:`summary_view`: words and formatted numbers in one
language) and into components. Two summaries use the same view: the saved check (the default,
read from ``DRIFT_DIR``) and a period of scored applications compared in the server
(:func:`period_body`, from :func:`model.monitoring.drift.period_check`); a heading says which.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.model_card import card_table
from layouts.text import T
from model.monitoring.drift import DATASET_DRIFT_SHARE, DriftError
from model.text.formatting import NBSP, date_in_words, format_date, format_number, format_percent
from model.text.labels import UnknownFeatureError, feature_label
from model.text.languages import Lang
from model.text.strings import STRINGS, t

#: Where the dashboard serves Evidently's full HTML report (route in callbacks/drift.py).
REPORT_URL = "/reports/drift"
#: Drift is a problem (orange), no drift is fine (blue); always with an icon and words.
ICONS = {True: "⚠", False: "✔"}


def _label(feature: str, lang: Lang) -> str:
    """The feature's label; a column that is not a product feature keeps its name."""
    try:
        return feature_label(feature, lang)
    except (UnknownFeatureError, KeyError):
        return feature


@dataclass(frozen=True)
class DriftRow:
    """One compared feature as the drift screen shows it: words and formatted numbers only."""

    feature: str
    label: str
    rank: str                 # rank in the model's global importance, "—" when unknown
    test: str
    score: str
    threshold: str            # the drift rule, e.g. "≥ 0,1" (distance) or "< 0,05" (p-value)
    drifted: bool


@dataclass(frozen=True)
class DriftView:
    """A drift summary ready to display in one language (see :func:`summary_view`)."""

    rows: list[DriftRow]
    n_tested: int
    n_drifted: int
    share_drifted: str
    dataset_drift: bool
    dataset_drift_share: str
    reference: str
    current: str
    generated_at: str
    n_not_tested: int
    #: What the summary compares, as the screen's heading: the period of scored applications, or
    #: the saved check's two sides.
    heading: str = ""
    #: Scored applications of the period set aside as repeats of a client (None: not a period).
    n_dropped: int | None = None


def _fraction(x: Any, lang: Lang, trim: bool = False) -> str:
    """A p-value or distance with 3 decimals, tiny p-values as "< 0,001"; ``trim`` drops trailing zeros
    (thresholds read "0,05" and "0,1", as they are set)."""
    if x is None or not math.isfinite(float(x)):
        return t("drift.unknown", lang)
    x = float(x)
    if 0 < x < 0.001:
        return f"<{NBSP}{format_number(0.001, lang, 3)}"
    decimals = next((d for d in range(4) if abs(round(x, d) - x) < 1e-9), 3) if trim else 3
    return format_number(x, lang, decimals)


def _when(stamp: Any, lang: Lang, with_time: bool = True) -> str | None:
    try:
        moment = datetime.fromisoformat(str(stamp))
    except (TypeError, ValueError):
        return None
    return format_date(moment if with_time else moment.date(), lang)


def _day(value: Any, lang: Lang, in_words: bool = False) -> str | None:
    """An ISO day ("2026-11-01") as the screen writes dates ("01/11/2026"), or in words for a
    heading ("1er novembre 2026"); None when it is not one."""
    try:
        day = date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None
    return date_in_words(day, lang) if in_words else format_date(day, lang)


def period_words(period: Mapping[str, Any], lang: Lang, in_words: bool = False) -> tuple[str, str] | None:
    """(first day, last day) of a period {"since", "until"} as the screen writes them."""
    start, end = _day(period.get("since"), lang, in_words), _day(period.get("until"), lang, in_words)
    return (start, end) if start and end else None


def _what(side: Mapping[str, Any], lang: Lang) -> str:
    """"Dossier de données (application_train)": the kind of one side, without its counts."""
    kind = str(side.get("kind") or "")
    if kind.startswith("raw "):                 # "raw application_train file (application features only)"
        what = t("drift.kind.raw_file", lang, table=kind.split()[1])
    elif f"drift.kind.{kind}" in STRINGS:
        what = t(f"drift.kind.{kind}", lang)
    else:
        what = kind or t("drift.unknown", lang)
    if side.get("table"):
        what = f"{what} ({side['table']})"
    return what


def _source_words(side: Mapping[str, Any], lang: Lang) -> str:
    """"Dossier de données (application_train), 5 000 lignes": what one side of the comparison was."""
    what = _what(side, lang)
    rows = side.get("rows")
    if rows is not None:
        key = "drift.rows_one" if int(rows) == 1 else "drift.rows"
        what = f"{what}, {t(key, lang, rows=format_number(int(rows), lang))}"
    days = period_words(side, lang)             # a period of the score store: the days chosen
    if days is None:
        start, end = (_when(side.get(k), lang, with_time=False) for k in ("first_timestamp", "last_timestamp"))
        days = (start, end) if start and end else None
    if days:
        what = f"{what}, {t('drift.period', lang, start=days[0], end=days[1])}"
    return what


def heading_words(summary: Mapping[str, Any], lang: Lang) -> str:
    """What a summary compares, in a heading: "Demandes notées du 1er novembre 2026 au 30 novembre 2026"
    for a period of the score store, else the saved check's two sides."""
    days = period_words(summary.get("period") or {}, lang, in_words=True)
    if days:
        return t("drift.heading.period", lang, start=days[0], end=days[1])
    return t("drift.heading.saved", lang, current=_what(summary.get("current") or {}, lang),
             reference=_what(summary.get("reference") or {}, lang))


def _display_order(features: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drifted features first; within each group the model's most important first, unknown importance last.

    A manager should see first the drift that can move scores: a shifted feature the model barely
    uses matters less than a small shift on one it relies on.
    """
    def key(item: tuple[int, Mapping[str, Any]]) -> tuple[bool, bool, float, int]:
        i, f = item
        imp = f.get("importance")
        known = imp is not None and math.isfinite(float(imp))
        return (not f["drifted"], not known, -float(imp) if known else 0.0, i)

    return [f for _, f in sorted(enumerate(features), key=key)]


#: Evidently's method names (lower case, start) → the words of model/text/data/strings.toml.
_TEST_WORDS = (("wasserstein", "drift.test.wasserstein"), ("jensen-shannon", "drift.test.jensen_shannon"),
               ("k-s", "drift.test.ks"), ("chi-square", "drift.test.chi_square"), ("z-test", "drift.test.z_test"),
               ("psi", "drift.test.psi"))


def test_words(method: str, lang: Lang = "fr") -> str:
    """A drift test named for people, in ``lang``; a method we have no words for keeps Evidently's name."""
    low = method.lower()
    for start, key in _TEST_WORDS:
        if low.startswith(start):
            return t(key, lang)
    return method


def summary_view(summary: Mapping[str, Any], lang: Lang = "fr") -> DriftView:
    """What the drift screen shows of a summary read by :func:`load_summary`, in ``lang``.

    Raises :class:`DriftError` when a field the screen needs is missing or of the wrong type
    (a hand-edited or truncated file): the screen then says so instead of failing.
    """
    try:
        rows = []
        for f in _display_order(summary["features"]):
            label = _label(str(f["feature"]), lang)
            rule = "≥" if f.get("score_kind") == "distance" else "<"   # drift when score ≥ / < threshold
            rank = f.get("importance_rank")
            rows.append(DriftRow(feature=str(f["feature"]), label=label,
                                 rank=str(int(rank)) if rank is not None else "—", test=test_words(str(f.get("test") or ""), lang),
                                 score=_fraction(f.get("score"), lang),
                                 threshold=f"{rule}{NBSP}{_fraction(f.get('threshold'), lang, trim=True)}",
                                 drifted=bool(f["drifted"])))
        n_drifted = sum(r.drifted for r in rows)
        return DriftView(
            rows=rows, n_tested=len(rows), n_drifted=n_drifted,
            share_drifted=format_percent(float(summary["share_drifted"]), lang, 1),
            dataset_drift=bool(summary.get("dataset_drift")),
            dataset_drift_share=format_percent(float(summary.get("dataset_drift_share", DATASET_DRIFT_SHARE)), lang),
            reference=_source_words(summary.get("reference") or {}, lang),
            current=_source_words(summary.get("current") or {}, lang),
            generated_at=_when(summary.get("generated_at"), lang) or t("drift.unknown", lang),
            n_not_tested=len(summary.get("not_tested") or []),
            heading=heading_words(summary, lang),
            n_dropped=int((summary.get("current") or {}).get("duplicates_dropped", 0))
            if summary.get("period") else None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DriftError(f"not a drift summary ({type(exc).__name__}: {exc})") from None


def layout(lang: Lang = "fr") -> html.Section:
    """The body stays empty until the tab is opened: reading the summary is not worth a start-up cost."""
    return html.Section(id=ids.screen("drift"), className="screen", hidden=True, children=[
        html.H2(T("drift.title", lang)),
        html.P(T("drift.intro", lang), className="hint"),
        period_form(lang),
        # the period's comparison takes seconds: the body shows a spinner meanwhile
        dcc.Loading(type="default", children=[dcc.Store(id=ids.DRIFT_PERIOD_RESULT, data=None),
                                              html.Div(id=ids.DRIFT_BODY)]),
    ])


def date_texts(lang: Lang) -> dict[str, str]:
    """The date picker's own words (placeholders) in ``lang``; its dates are written as the screen
    writes them (dd/mm/yyyy, months as numbers), so no English month name appears."""
    return {"start_date_placeholder_text": t("drift.period.start", lang),
            "end_date_placeholder_text": t("drift.period.end", lang)}


def period_form(lang: Lang = "fr") -> html.Div:
    """The days of scored applications to compare (the last 30 days of the store by default, set
    when the tab opens), the button that runs the comparison, and the way back to the saved check."""
    return html.Div(className="drift-period card card-body mb-3", children=[
        html.H3(T("drift.period.title", lang), className="h5"),
        html.P(T("drift.period.help", lang), className="hint"),
        dbc.Label(T("drift.period.label", lang), html_for=ids.DRIFT_PERIOD),
        html.Div(className="d-flex flex-wrap gap-2 align-items-center", children=[
            dcc.DatePickerRange(id=ids.DRIFT_PERIOD, display_format="DD/MM/YYYY", month_format="MM/YYYY",
                                first_day_of_week=1, minimum_nights=0, clearable=False,
                                start_date_id=f"{ids.DRIFT_PERIOD}-start", end_date_id=f"{ids.DRIFT_PERIOD}-end",
                                **date_texts(lang)),
            dbc.Button(T("drift.period.run", lang), id=ids.DRIFT_PERIOD_RUN, color="primary"),
            dbc.Button(T("drift.period.saved", lang), id=ids.DRIFT_SAVED, color="link"),
        ]),
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


def summary(view: DriftView, report_href: str | None, command: str, lang: Lang = "fr",
            report_note: str | None = None) -> list:
    """Heading (what is compared), headline (the data as a whole, then the facts of the check), then
    one row per feature. ``report_note``: a string key said instead of the report link, with
    ``command`` (a period compared in the server has no HTML report; the command writes one)."""
    status = t("drift.dataset_yes" if view.dataset_drift else "drift.dataset_no", lang)
    facts = [
        (t("drift.generated_at_local", lang), view.generated_at),
        (t("drift.reference_data", lang), view.reference),
        (t("drift.current_data", lang), view.current),
        (t("drift.drifted_count", lang), t("drift.count_value", lang, count=view.n_drifted, total=view.n_tested,
                                           share=view.share_drifted)),
    ]
    if view.n_dropped:
        facts.append((t("drift.dropped", lang), format_number(view.n_dropped, lang)))
    if view.n_not_tested:
        facts.append((t("drift.not_tested", lang), str(view.n_not_tested)))
    report = (report_link(report_href, command, lang) if report_note is None else
              html.Div(className="drift-report", children=[html.P(t(report_note, lang)), html.Pre(html.Code(command))]))
    return [
        html.H3(view.heading, id=ids.DRIFT_HEADING, className="h4") if view.heading else None,
        html.Div(className="drift-headline", children=[
            drift_badge(view.dataset_drift, lang, status, "drift-status", id=ids.DRIFT_STATUS, role="status"),
            html.P(t("drift.dataset_rule", lang, share=view.dataset_drift_share), className="hint"),
            html.P(t("drift.none", lang)) if view.n_drifted == 0 else None,
        ]),
        html.Div(id=ids.DRIFT_FACTS, children=card_table(facts)),
        report,
        feature_table(view.rows, lang),
    ]


def period_body(result: Mapping[str, Any], command: str, lang: Lang = "fr") -> list | html.Div:
    """A period's result (:func:`model.monitoring.drift.period_check`) on the screen: the same view as
    the saved check under a heading naming the period, or why there is no test (too few applications,
    a failure), never a meaningless verdict."""
    period = result.get("period") or {}
    days = period_words(period, lang, in_words=True) or (t("drift.unknown", lang),) * 2
    if "summary" in result:
        try:
            view = summary_view(result["summary"], lang)
        except DriftError as exc:
            return message(t("drift.period.error", lang, detail=str(exc)), command)
        return summary(view, None, command, lang, report_note="drift.period.report")
    if "too_few" in result:
        few = result["too_few"]
        return message(t("drift.period.too_few", lang, start=days[0], end=days[1],
                         rows=format_number(int(few.get("rows", 0)), lang),
                         minimum=format_number(int(few.get("minimum", 0)), lang)), None,
                       heading=t("drift.heading.period", lang, start=days[0], end=days[1]))
    return message(t("drift.period.error", lang, detail=str(result.get("error") or t("drift.unknown", lang))),
                   command, heading=t("drift.heading.period", lang, start=days[0], end=days[1]))


def message(text: str, command: str | None, detail: str | None = None, heading: str | None = None) -> html.Div:
    """No summary to show: what happened and the command that fixes it (if any), never a traceback."""
    return html.Div(id=ids.DRIFT_MESSAGE, className="drift-message", role="status", children=[
        html.H3(heading, id=ids.DRIFT_HEADING, className="h4") if heading else None,
        html.P(text), html.Pre(html.Code(command)) if command else None,
        html.P(detail, className="hint") if detail else None,
    ])
