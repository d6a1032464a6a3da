"""Drift: the last drift check's summary on its screen, a period of scored applications compared on
demand, and the full HTML report behind the sign-in.

The saved check is a batch job (``python -m model.monitoring.drift``, minutes); the dashboard reads
what it wrote into ``settings.drift_dir``, so a new run shows up without restarting the server. A
period of the score store is compared in the server when the manager asks (seconds:
:func:`model.monitoring.drift.period_check`); its result is kept in the page, so switching the
language redraws it without running it again.
"""
from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate
from flask import Flask, Response, request, send_file
from flask_login import login_required

from layouts import drift as drift_layout
from layouts import ids
from model.monitoring.drift import (
    HTML_FILE,
    SUMMARY_FILE,
    DriftError,
    Period,
    default_period,
    load_summary,
    period_check,
)
from model.text.languages import Lang, as_lang
from model.text.strings import t
from services import Services
from settings import ROOT, Settings


def _shown(path: Path) -> str:
    """Paths inside the repository as typed from its root (the command is run there), others in full."""
    path = Path(path)
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def drift_command(settings: Settings) -> str:
    """The command that writes what this screen reads, with this server's folders."""
    return f"python -m model.monitoring.drift --reference {_shown(settings.data_dir)} --out {_shown(settings.drift_dir)}"


def period_command(settings: Settings, period: Mapping[str, Any]) -> str:
    """The command that writes the HTML report of a period {"since", "until"} (the screen's comparison
    writes none)."""
    return (f"python -m model.monitoring.drift --reference {_shown(settings.data_dir)} --current store "
            f"--since {period.get('since')} --until {period.get('until')} --out {_shown(settings.drift_dir)}")


def run_period(services: Services, start: Any, end: Any) -> dict[str, Any]:
    """The store's applications of the chosen days against the training clients (JSON for the page).

    Cached under the period and the store's row count: the store is append-only, so the same count
    means the same rows, and asking again is instant until a new score comes in.
    """
    if not start or not end:
        return {"missing": True}
    try:
        period = Period.parse(start, end)
    except DriftError as exc:
        return {"period": {"since": str(start)[:10], "until": str(end)[:10]}, "error": str(exc)}
    log = services.scoring_log
    return services.views.get_or_compute("drift-period", (period.since, period.until, log.count()),
                                         lambda: period_check(log, services.scorer, period,
                                                              min_rows=services.settings.drift_min_rows))


def period_view(services: Services, result: Mapping[str, Any], lang: Lang) -> list[Any] | html.Div:
    if result.get("missing"):
        return drift_layout.message(t("drift.period.missing", lang), None)
    return drift_layout.period_body(result, period_command(services.settings, result.get("period") or {}), lang)


def report_href(settings: Settings, lang: Lang) -> str | None:
    """The report route, or None when there is no report to link (a link to a 404 helps nobody)."""
    if not (Path(settings.drift_dir) / HTML_FILE).is_file():
        return None
    return f"{drift_layout.REPORT_URL}?lang={lang}"


def drift_body(services: Services, lang: Lang) -> list[Any] | html.Div:
    """The screen's content: the summary, or what to do when there is none or it cannot be read.

    The summary is cached under its modification time: a drift run replaces the file (atomically),
    which gives a new key, so every worker picks the new run up on its next render.
    """
    settings = services.settings
    path = Path(settings.drift_dir) / SUMMARY_FILE
    command = drift_command(settings)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return drift_layout.message(t("drift.no_summary", lang), command)
    except OSError as exc:
        return drift_layout.message(t("drift.corrupt", lang, file=str(path)), command, str(exc))
    try:
        summary = services.views.get_or_compute("drift-summary", (path, stat.st_mtime_ns, stat.st_size),
                                                lambda: load_summary(settings.drift_dir))
        view = drift_layout.summary_view(summary, lang)
    except (DriftError, OSError) as exc:
        return drift_layout.message(t("drift.corrupt", lang, file=str(path)), command, str(exc))
    return drift_layout.summary(view, report_href(settings, lang), command, lang)


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.DRIFT_BODY, "children"),
                  Input(ids.view("drift"), "data"), Input(ids.DRIFT_PERIOD_RESULT, "data"), prevent_initial_call=True)
    def show_drift(view: dict[str, Any] | None, period: dict[str, Any] | None) -> Any:
        """The screen's view {lang} is set when the screen is shown (callbacks/shell.py): read then, and
        on each period compared, not at every page load."""
        if not view:
            raise PreventUpdate
        lang = as_lang(view.get("lang"))
        return period_view(services, period, lang) if period else drift_body(services, lang)

    @app.callback(Output(ids.DRIFT_PERIOD, "start_date"), Output(ids.DRIFT_PERIOD, "end_date"),
                  Output(ids.DRIFT_PERIOD, "start_date_placeholder_text"),
                  Output(ids.DRIFT_PERIOD, "end_date_placeholder_text"),
                  Input(ids.view("drift"), "data"),
                  State(ids.DRIFT_PERIOD, "start_date"), State(ids.DRIFT_PERIOD, "end_date"), prevent_initial_call=True)
    def period_defaults(view: dict[str, Any] | None, start: Any, end: Any) -> tuple[Any, ...]:
        """The last 30 days of the store, the first time the screen is shown; the picker's words in the
        view's language (the date picker is costly to redraw: only when the screen is shown)."""
        if not view:
            raise PreventUpdate
        texts = drift_layout.date_texts(as_lang(view.get("lang")))
        if start and end:
            return no_update, no_update, texts["start_date_placeholder_text"], texts["end_date_placeholder_text"]
        period = default_period(services.scoring_log)
        return (period.since.isoformat(), period.until.isoformat(), texts["start_date_placeholder_text"],
                texts["end_date_placeholder_text"])

    @app.callback(Output(ids.DRIFT_PERIOD_RESULT, "data"),
                  Input(ids.DRIFT_PERIOD_RUN, "n_clicks"), Input(ids.DRIFT_SAVED, "n_clicks"),
                  State(ids.DRIFT_PERIOD, "start_date"), State(ids.DRIFT_PERIOD, "end_date"),
                  prevent_initial_call=True)
    def compare_period(_run: Any, _saved: Any, start: Any, end: Any) -> dict[str, Any] | None:
        if dash_ctx.triggered_id == ids.DRIFT_SAVED:
            return None
        if dash_ctx.triggered_id != ids.DRIFT_PERIOD_RUN:
            raise PreventUpdate
        return run_period(services, start, end)


def _missing_page(lang: Lang, command: str) -> str:
    title = escape(t("drift.report_missing_title", lang))
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><main><h1>{title}</h1><p>{escape(t("drift.report_missing", lang))}</p>'
            f'<pre><code>{escape(command)}</code></pre>'
            f'<p><a href="/?lang={lang}">{escape(t("common.back", lang))}</a></p></main></body></html>')


def register_report_route(server: Flask, settings: Settings) -> None:
    """``GET /reports/drift``: Evidently's report of the last check, and nothing else of ``drift_dir``.

    Sign-in is enforced by auth.py's guard on every non-public path (signed out: redirect to the
    sign-in page); ``login_required`` repeats it so the report stays private even if the guard's
    public prefixes change. The file name is fixed: no part of the URL reaches the file system.
    """
    @server.get(drift_layout.REPORT_URL)
    @login_required
    def drift_report() -> Response | tuple[str, int, dict[str, str]]:
        path = Path(settings.drift_dir) / HTML_FILE
        if not path.is_file():
            lang = as_lang(request.args.get("lang"))
            return _missing_page(lang, drift_command(settings)), 404, {"Content-Type": "text/html; charset=utf-8"}
        return send_file(path, mimetype="text/html", max_age=0)
