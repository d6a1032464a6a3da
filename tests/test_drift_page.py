"""The drift screen: the summary shown in French/English (layouts.drift.summary_view), the report
route behind the sign-in (callbacks/drift.py), and the screen in a real headless Chromium.

The browser tests read a summary written by the real ``run_drift`` on two halves of the tiny
model's clients, two important features shifted so that they drift.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from selenium.webdriver.common.by import By

from layouts import ids
from layouts.drift import period_body, summary, summary_view
from model.monitoring.drift import (
    HTML_FILE,
    SUMMARY_FILE,
    DriftError,
    DriftSummary,
    FeatureDrift,
    load_summary,
    run_drift,
)
from model.text.formatting import NBSP, NNBSP
from model.text.labels import feature_label
from tests.helpers import absent, post_login, served_without_sign_in
from tests.helpers import wait_until as _wait
from tests.helpers import walk as _walk

USER, PASSWORD = "conseillere", "motdepasse-drift-7"


# --------------------------------------------------------------------------- summary_view

def _feature(name: str, drifted: bool, importance: float | None, rank: int | None, score: float | None = 0.2,
             kind: str = "distance", threshold: float = 0.1) -> FeatureDrift:
    test = "Wasserstein distance (normed)" if kind == "distance" else "K-S p_value"
    return FeatureDrift(feature=name, label_fr=name, label_en=name, kind="numerical", test=test, score_kind=kind,
                        score=score, threshold=threshold, drifted=drifted, importance=importance,
                        importance_rank=rank)


def _summary(features: list[FeatureDrift], **kw) -> dict:
    """A summary dict exactly as run_drift writes it (DriftSummary.to_dict)."""
    n_drifted = sum(f.drifted for f in features)
    args = dict(generated_at="2026-11-23T08:05:00+00:00",
                reference={"rows": 20000, "kind": "data_folder", "table": "application_train"},
                current={"rows": 1234, "kind": "scoring_log", "first_timestamp": "2026-11-01T10:00:00+00:00",
                         "last_timestamp": "2026-11-20T18:00:00+00:00"},
                n_features_tested=len(features), n_drifted=n_drifted, share_drifted=n_drifted / len(features),
                dataset_drift=n_drifted / len(features) >= 0.5, dataset_drift_share=0.5, features=features)
    args.update(kw)
    return DriftSummary(**args).to_dict()


def test_drifted_features_come_first_by_importance_then_the_stable_ones():
    # as run_drift stores them: by importance, whatever drifted
    summary = _summary([
        _feature("EXT_SOURCE_2", False, 0.50, 1), _feature("DAYS_BIRTH", True, 0.30, 2),
        _feature("AMT_CREDIT", False, 0.20, 3), _feature("AMT_ANNUITY", True, 0.10, 4),
        _feature("DAYS_EMPLOYED", True, 0.40, 5)])     # rank and importance disagree: importance decides
    view = summary_view(summary, "fr")
    assert [r.feature for r in view.rows] == ["DAYS_EMPLOYED", "DAYS_BIRTH", "AMT_ANNUITY", "EXT_SOURCE_2",
                                              "AMT_CREDIT"]
    assert [r.drifted for r in view.rows] == [True, True, True, False, False]
    assert (view.n_tested, view.n_drifted, view.dataset_drift) == (5, 3, True)
    assert view.share_drifted == f"60,0{NNBSP}%" and view.dataset_drift_share == f"50{NNBSP}%"


def test_missing_importance_goes_last_in_its_group_and_unknown_features_keep_their_name():
    summary = _summary([_feature("NOT_A_MODEL_FEATURE", True, None, None), _feature("AMT_CREDIT", True, 0.01, 9),
                        _feature("DAYS_BIRTH", False, None, None), _feature("EXT_SOURCE_3", False, 0.2, 2)])
    view = summary_view(summary, "en")
    assert [r.feature for r in view.rows] == ["AMT_CREDIT", "NOT_A_MODEL_FEATURE", "EXT_SOURCE_3", "DAYS_BIRTH"]
    assert view.rows[1].label == "NOT_A_MODEL_FEATURE" and view.rows[1].rank == "—"
    assert view.rows[0].rank == "9"


def test_french_and_english_labels_numbers_and_dates():
    summary = _summary([_feature("AMT_CREDIT", True, 0.3, 1, score=0.12345),
                        _feature("DAYS_BIRTH", True, 0.2, 2, score=1.2e-9, kind="p_value", threshold=0.05),
                        _feature("EXT_SOURCE_2", False, 0.1, 3, score=None)])
    fr, en = summary_view(summary, "fr"), summary_view(summary, "en")
    assert [r.label for r in fr.rows] == [feature_label(f, "fr") for f in ("AMT_CREDIT", "DAYS_BIRTH", "EXT_SOURCE_2")]
    assert fr.rows[0].label != en.rows[0].label == feature_label("AMT_CREDIT", "en")
    assert (fr.rows[0].score, en.rows[0].score) == ("0,123", "0.123")
    assert (fr.rows[0].threshold, en.rows[0].threshold) == (f"≥{NBSP}0,1", f"≥{NBSP}0.1")     # distance: drift if ≥
    assert (fr.rows[1].score, fr.rows[1].threshold) == (f"<{NBSP}0,001", f"<{NBSP}0,05")   # p-value: drift if <
    assert (fr.rows[2].score, en.rows[2].score) == ("inconnu", "unknown")
    # the test is named in words, in the screen's language (never Evidently's English name)
    assert fr.rows[1].test == "Test de Kolmogorov-Smirnov (p-valeur)"
    assert en.rows[0].test == "Gap between the distributions (normed Wasserstein distance)"
    assert fr.rows[0].test.startswith("Écart entre les distributions")
    assert fr.generated_at == "23/11/2026 09:05"             # stored in UTC, shown in the bank's time (Paris)
    assert fr.reference == f"Dossier de données (application_train), 20{NNBSP}000 lignes"
    assert en.reference == "Data folder (application_train), 20,000 rows"
    assert fr.current == f"Journal des scores servis, 1{NNBSP}234 lignes, du 01/11/2026 au 20/11/2026"
    assert en.current == "Log of the scores served, 1,234 rows, from 1 Nov 2026 to 20 Nov 2026"   # never 11/01
    assert (fr.dataset_drift, fr.n_not_tested) == (True, 0)


def test_a_summary_missing_what_the_screen_needs_is_a_drift_error():
    good = _summary([_feature("AMT_CREDIT", True, 0.3, 1)])
    for broken in ({**good, "features": [{"feature": "AMT_CREDIT"}]}, {**good, "features": 3},
                   {**good, "share_drifted": "beaucoup"}):
        with pytest.raises(DriftError, match="not a drift summary"):
            summary_view(broken, "fr")


def test_the_heading_says_what_the_summary_compares():
    saved = _summary([_feature("AMT_CREDIT", True, 0.3, 1)],
                     reference={"rows": 20000, "kind": "data_folder", "table": "application_train"},
                     current={"rows": 1500, "kind": "data_folder", "table": "application_test"})
    assert summary_view(saved, "fr").heading == ("Dernière vérification enregistrée\u00a0: Dossier de données "
                                                 "(application_test) face à Dossier de données (application_train)")
    assert summary_view(saved, "en").heading == ("Last saved check: Data folder (application_test) against "
                                                 "Data folder (application_train)")
    assert summary_view(saved, "fr").n_dropped is None
    period = _summary([_feature("AMT_CREDIT", True, 0.3, 1)], period={"since": "2026-11-01", "until": "2026-11-30",
                                                                      "rows": 120},
                      current={"rows": 120, "kind": "score_store", "since": "2026-11-01", "until": "2026-11-30",
                               "duplicates_dropped": 4, "first_timestamp": "2026-11-02T08:00:00+00:00",
                               "last_timestamp": "2026-11-29T18:00:00+00:00"})
    fr, en = summary_view(period, "fr"), summary_view(period, "en")
    assert fr.heading == "Demandes notées du 1er novembre 2026 au 30 novembre 2026"
    assert en.heading == "Applications scored from 1 November 2026 to 30 November 2026"
    # the days chosen, not the first and last score's
    assert fr.current == "Demandes notées (base des scores), 120 lignes, du 01/11/2026 au 30/11/2026"
    assert fr.n_dropped == 4
    body = summary(fr, None, "python -m model.monitoring.drift --current store", "fr",
                   report_note="drift.period.report")
    assert _texts(body).startswith("Demandes notées du 1er novembre 2026 au 30 novembre 2026")
    assert "Notes répétées d'un même client écartées" in _texts(body) and ids.DRIFT_REPORT_LINK not in {
        getattr(c, "id", None) for c in _walk(body)}
    assert "n'est pas produit à l'écran" in _texts(body)


def test_a_period_without_enough_applications_is_a_message_not_a_test():
    too_few = {"period": {"since": "2026-11-01", "until": "2026-11-07"}, "too_few": {"rows": 12, "minimum": 30}}
    body = period_body(too_few, "python -m model.monitoring.drift --current store", "fr")
    text = _texts(body)
    assert body.id == ids.DRIFT_MESSAGE
    assert text.startswith("Demandes notées du 1er novembre 2026 au 7 novembre 2026")
    assert "Trop peu de demandes notées du 1er novembre 2026 au 7 novembre 2026 pour un test de dérive\u00a0: 12, " \
        "pour 30" in text
    assert ids.DRIFT_TABLE not in {getattr(c, "id", None) for c in _walk(body)}
    assert "Too few applications scored from 1 November 2026 to 7 November 2026 for a drift test: 12, against a " \
        "minimum of 30" \
        in _texts(period_body(too_few, "cmd", "en"))
    failed = period_body({"period": {"since": "2026-11-01", "until": "2026-11-07"}, "error": "no model feature"},
                         "cmd", "en")
    assert "The comparison of this period failed: no model feature" in _texts(failed)
    good = _summary([_feature("AMT_CREDIT", True, 0.3, 1)], period={"since": "2026-11-01", "until": "2026-11-30",
                                                                    "rows": 40})
    shown = period_body({"period": {"since": "2026-11-01", "until": "2026-11-30"}, "summary": good}, "cmd", "fr")
    assert ids.DRIFT_TABLE in {getattr(c, "id", None) for c in _walk(shown)}


# --------------------------------------------------------------------------- a real drift run

@pytest.fixture(scope="module")
def drift_run(tiny_model_dir, tiny_scorer, tmp_path_factory) -> dict:
    """Summary + HTML report of run_drift on halves of the tiny model's clients, two features shifted.

    The shifted ones are the 2nd and 4th most important numeric features, so the expected screen
    order (drifted by importance, then the others by importance) differs from the run's own order.
    """
    pop = tiny_scorer.population
    chosen = [r.feature for r in tiny_scorer.importance if r.feature not in tiny_scorer.cat_features
              and pop[r.feature].notna().mean() > 0.9 and pop[r.feature].nunique() > 20][:6]
    assert len(chosen) == 6
    shifted = [chosen[1], chosen[3]]
    perm = np.random.default_rng(3).permutation(len(pop))
    reference, current = pop.iloc[perm[: len(pop) // 2]], pop.iloc[perm[len(pop) // 2:]].copy()
    for f in shifted:
        current[f] = current[f] + 2 * pop[f].std()
    out = tmp_path_factory.mktemp("drift-run")
    summary = run_drift(reference[chosen], current[chosen], out, model_dir=tiny_model_dir, n_features=None, log=None)
    return {"dir": out, "summary": summary, "shifted": shifted, "features": chosen}


@pytest.fixture(scope="module")
def drift_app(tiny_scorer, tmp_path_factory):
    import auth
    from app import create_app
    from settings import get_settings

    instance = tmp_path_factory.mktemp("instance")
    drift_dir = tmp_path_factory.mktemp("reports")
    settings = get_settings({"INSTANCE_DIR": str(instance), "API_KEYS": "test-key", "DRIFT_DIR": str(drift_dir),
                             "DRIFT_MIN_ROWS": "30"})
    auth.add_user(settings.users_file, USER, PASSWORD)
    return create_app(settings, tiny_scorer)


def _drift_dir(app) -> Path:
    return app.server.extensions["credit_services"].settings.drift_dir


@pytest.fixture
def with_report(drift_app, drift_run):
    """The app's DRIFT_DIR holds the real run's summary and report."""
    for name in (SUMMARY_FILE, HTML_FILE):
        shutil.copy(drift_run["dir"] / name, _drift_dir(drift_app) / name)
    return drift_run


@pytest.fixture
def without_report(drift_app):
    for name in (SUMMARY_FILE, HTML_FILE):
        (_drift_dir(drift_app) / name).unlink(missing_ok=True)


def test_the_setting_defaults_to_the_reports_folder_and_reads_drift_dir(tmp_path):
    from settings import ROOT, get_settings

    assert get_settings({}).drift_dir == ROOT / "reports"
    assert get_settings({"DRIFT_DIR": str(tmp_path)}).drift_dir == tmp_path.resolve()


def test_the_real_run_drifts_on_the_shifted_features(drift_run):
    data = load_summary(drift_run["dir"])
    assert {f["feature"] for f in data["drifted_features"]} == set(drift_run["shifted"])
    view = summary_view(data, "fr")
    assert [r.feature for r in view.rows[:2]] == drift_run["shifted"]


# --------------------------------------------------------------------------- the report route

def _sign_in(client):
    return post_login(client, USER, PASSWORD)


def test_report_route_requires_sign_in(drift_app, with_report):
    client = drift_app.server.test_client()
    resp = client.get("/reports/drift")
    location = urlsplit(resp.headers.get("Location", ""))
    assert resp.status_code == 302 and location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/reports/drift"]
    assert resp.get_data() != (with_report["dir"] / HTML_FILE).read_bytes()


def test_report_route_serves_the_report_once_signed_in(drift_app, with_report):
    client = drift_app.server.test_client()
    assert _sign_in(client).status_code == 302
    resp = client.get("/reports/drift")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert resp.get_data() == (with_report["dir"] / HTML_FILE).read_bytes()
    # nothing else of the folder is reachable (the summary's content never comes back)
    for other in ("/reports/drift_summary.json", "/reports/drift/../drift_summary.json", "/reports/"):
        assert "share_drifted" not in client.get(other).get_data(as_text=True)


def test_report_route_is_a_clear_404_without_a_report(drift_app, without_report):
    client = drift_app.server.test_client()
    _sign_in(client)
    resp = client.get("/reports/drift")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "Rapport de dérive introuvable" in page and "python -m model.monitoring.drift" in page
    assert f"--out {_drift_dir(drift_app)}" in page
    english = client.get("/reports/drift?lang=en")
    assert english.status_code == 404 and "Drift report not found" in english.get_data(as_text=True)


def _texts(component) -> str:
    """Every string in a component tree, joined (what a reader of the page would see)."""
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(_texts(c) for c in component if c is not None)
    children = getattr(component, "children", None)
    return "" if children is None else _texts(children)


def test_an_unreadable_summary_is_a_message_naming_the_file(drift_app, without_report):
    from callbacks.drift import drift_body

    path = _drift_dir(drift_app) / SUMMARY_FILE
    ctx = drift_app.server.extensions["credit_services"]
    with drift_app.server.app_context():
        for content in ("{not json", '{"features": 1, "share_drifted": 0}'):
            path.write_text(content)
            text = _texts(drift_body(ctx, "fr"))
            assert f"Le résumé de dérive {path} est illisible ou incomplet" in text
            assert "python -m model.monitoring.drift" in text and "Traceback" not in text
        assert "is unreadable or incomplete" in _texts(drift_body(ctx, "en"))


def test_a_new_run_replaces_the_cached_summary(drift_app, with_report):
    from callbacks.drift import drift_body

    ctx = drift_app.server.extensions["credit_services"]
    path = _drift_dir(drift_app) / SUMMARY_FILE
    with drift_app.server.app_context():
        first = _texts(drift_body(ctx, "en"))
        assert "Overall drift detected" not in first
        data = load_summary(path)
        data["dataset_drift"] = True
        path.write_text(json.dumps(data))
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))   # a later run
        assert "Overall drift detected" in _texts(drift_body(ctx, "en"))


def test_summary_without_its_html_report_says_how_to_produce_it_instead_of_a_dead_link(drift_app, with_report):
    from callbacks.drift import drift_body

    ctx = drift_app.server.extensions["credit_services"]
    (_drift_dir(drift_app) / HTML_FILE).unlink()
    with drift_app.server.app_context():
        body = drift_body(ctx, "fr")
    ids_in_page = {getattr(c, "id", None) for c in _walk(body)}
    assert ids.DRIFT_TABLE in ids_in_page and ids.DRIFT_REPORT_LINK not in ids_in_page
    assert "Le rapport détaillé est introuvable" in _texts(body)


def _score_applications(app, clients, moments, source: str = "dashboard") -> None:
    """Scores of ``clients`` at ``moments`` in the app's store, as the score screen logs them."""
    from model.monitoring.scoring_log import record

    services = app.server.extensions["credit_services"]
    scorer = services.scorer
    for client, moment in zip(clients, moments, strict=True):
        entry = record(scorer.score_client(client), scorer.feature_values(client), source)
        services.scoring_log.append({**entry, "timestamp": moment.isoformat(timespec="milliseconds")})


def _new_applicants(tiny_scorer, start: int, n: int) -> list[int]:
    """Clients without a known outcome (the application_test ones): what the store receives in production."""
    unknown = tiny_scorer.scores.index[tiny_scorer.scores["TARGET"].isna()]
    return [int(c) for c in unknown[start:start + n]]


@pytest.mark.slow
def test_a_period_is_compared_in_the_server_and_cached(drift_app, tiny_scorer, monkeypatch):
    from datetime import UTC, datetime, timedelta

    import callbacks.drift as drift_callbacks

    services = drift_app.server.extensions["credit_services"]
    clients = _new_applicants(tiny_scorer, 200, 45)
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    _score_applications(drift_app, clients, [t0 + timedelta(hours=7 * i) for i in range(45)])
    _score_applications(drift_app, clients[:5], [t0 + timedelta(days=14)] * 5)      # reopened files: repeats
    _score_applications(drift_app, clients[5:8], [t0] * 3, source="benchmark")       # not applications
    runs = []
    real = drift_callbacks.period_check
    monkeypatch.setattr(drift_callbacks, "period_check", lambda *a, **k: runs.append(a) or real(*a, **k))
    with drift_app.server.app_context():
        result = drift_callbacks.run_period(services, "2026-01-01", "2026-01-31")
        assert result["period"] == {"since": "2026-01-01", "until": "2026-01-31"}
        data = result["summary"]
        assert data["period"] == {"since": "2026-01-01", "until": "2026-01-31", "rows": 45}
        assert data["current"]["duplicates_dropped"] == 5 and data["current"]["other_sources_skipped"] == 3
        assert data["reference"]["rows"] == int(tiny_scorer.scores["TARGET"].notna().sum())   # training clients
        assert data["reference"]["kind"] == "training_clients"
        assert data["n_features_tested"] > 0
        assert drift_callbacks.run_period(services, "2026-01-01", "2026-01-31") == result and len(runs) == 1
        few = drift_callbacks.run_period(services, "2026-01-05", "2026-01-06")
        assert few["too_few"] == {"rows": 6, "minimum": 30} and "summary" not in few
        assert drift_callbacks.run_period(services, "2026-01-05", None) == {"missing": True}
        assert "ends" in drift_callbacks.run_period(services, "2026-01-31", "2026-01-01")["error"]
        text = _texts(drift_callbacks.period_view(services, result, "fr"))
        assert text.startswith("Demandes notées du 1er janvier 2026 au 31 janvier 2026")
        assert "--current store --since 2026-01-01 --until 2026-01-31" in text
        assert "Choisissez le premier et le dernier jour" in _texts(
            drift_callbacks.period_view(services, {"missing": True}, "fr"))


def test_drift_badges_say_it_in_words_and_icons_not_colour_alone():
    from layouts.drift import drift_badge

    drifted, stable = drift_badge(True, "fr"), drift_badge(False, "en")
    assert "drift-yes" in drifted.className and "drift-no" in stable.className
    assert _texts(drifted) == "⚠ En dérive" and _texts(stable) == "✔ Stable"


# --------------------------------------------------------------------------- in the browser

@pytest.fixture
def open_app(drift_app, dash_duo):
    with served_without_sign_in(drift_app, dash_duo) as duo:
        duo.wait_for_page()
        yield duo


def _rows(duo) -> list[tuple[str, str, str]]:
    """(feature, label, drift cell) of each table row, in page order."""
    return [(tr.get_attribute("data-feature"), tr.find_element(By.TAG_NAME, "th").text,
             tr.find_elements(By.TAG_NAME, "td")[-1].text)
            for tr in duo.find_elements(f"#{ids.DRIFT_TABLE} tbody tr")]


@pytest.mark.browser
@pytest.mark.slow
def test_drift_screen_shows_drifted_features_first_in_french_then_english(open_app, with_report):
    duo = open_app
    run = with_report
    duo.find_element(f"#{ids.tab('drift')}").click()
    rows = _wait(lambda: _rows(duo), message="drift table")
    expected = summary_view(load_summary(run["dir"]), "fr")
    assert [r[0] for r in rows] == [r.feature for r in expected.rows]
    assert [r[0] for r in rows[:2]] == run["shifted"]                         # drifted, by importance
    assert [r[0] for r in rows[2:]] == [f for f in run["features"] if f not in run["shifted"]]
    assert [r[1] for r in rows[:2]] == [feature_label(f, "fr") for f in run["shifted"]]
    assert all("⚠" in r[2] and "En dérive" in r[2] for r in rows[:2])
    assert all("✔" in r[2] and "Stable" in r[2] for r in rows[2:])
    scores = [c.text for c in duo.find_elements(f"#{ids.DRIFT_TABLE} tbody tr td:nth-child(4)")]
    assert all(re.fullmatch(r"<?\s?\d,\d{3}", s.replace(NBSP, " ")) for s in scores), scores   # French decimals
    assert "Pas de dérive d'ensemble" in duo.find_element(f"#{ids.DRIFT_STATUS}").text       # 2 of 6 < 50 %
    facts = duo.find_element(f"#{ids.DRIFT_FACTS}").text
    assert "Caractéristiques en dérive" in facts and "2 sur 6" in facts and "Tableau en mémoire" in facts
    link = duo.find_element(f"#{ids.DRIFT_REPORT_LINK}")
    assert link.get_attribute("href").endswith("/reports/drift?lang=fr") and "rapport détaillé" in link.text

    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='EN']").click()
    _wait(lambda: duo.find_element(f"#{ids.tab('drift')}").text == "Data drift", message="English tab label")
    _wait(lambda: _rows(duo)[0][1] == feature_label(run["shifted"][0], "en"), message="English labels")
    rows = _rows(duo)
    assert [r[0] for r in rows[:2]] == run["shifted"] and "Drifted" in rows[0][2] and "Stable" in rows[-1][2]
    scores = [c.text for c in duo.find_elements(f"#{ids.DRIFT_TABLE} tbody tr td:nth-child(4)")]
    assert all(re.fullmatch(r"<?\s?\d\.\d{3}", s.replace(NBSP, " ")) for s in scores), scores
    assert "2 of 6" in duo.find_element(f"#{ids.DRIFT_FACTS}").text
    assert "No overall drift" in duo.find_element(f"#{ids.DRIFT_STATUS}").text
    link = duo.find_element(f"#{ids.DRIFT_REPORT_LINK}")
    href = link.get_attribute("href")
    assert href.endswith("/reports/drift?lang=en") and "detailed report" in link.text
    duo.driver.get(href)                                           # the link opens Evidently's report
    _wait(lambda: urlsplit(duo.driver.current_url).path == "/reports/drift"
          and run["shifted"][0] in duo.driver.page_source, message="the HTML report")


@pytest.mark.browser
@pytest.mark.slow
def test_drift_screen_without_a_summary_says_how_to_produce_it(open_app, without_report, drift_app):
    duo = open_app
    duo.find_element(f"#{ids.tab('drift')}").click()
    text = _wait(lambda: duo.find_element(f"#{ids.DRIFT_MESSAGE}").text, message="no-summary message")
    assert "Aucune vérification de dérive n'a encore été faite" in text
    assert "python -m model.monitoring.drift --reference" in text and f"--out {_drift_dir(drift_app)}" in text
    assert absent(duo, f"#{ids.DRIFT_TABLE}")
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='EN']").click()
    _wait(lambda: "No drift check has been run yet" in duo.find_element(f"#{ids.DRIFT_MESSAGE}").text,
          message="English message")


@pytest.mark.browser
@pytest.mark.slow
def test_drift_screen_compares_the_last_30_days_of_scored_applications(open_app, with_report, drift_app, tiny_scorer):
    from datetime import UTC, datetime, timedelta

    from model.text.formatting import DISPLAY_TIMEZONE, date_in_words, format_date

    duo = open_app
    now = datetime.now(UTC)
    _score_applications(drift_app, _new_applicants(tiny_scorer, 0, 10), [now - timedelta(hours=i) for i in range(10)])

    def click(element_id: str) -> None:
        duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{element_id}"))

    def heading() -> str:
        return duo.find_element(f"#{ids.DRIFT_HEADING}").text

    click(ids.tab("drift"))
    _wait(lambda: heading().startswith("Dernière vérification enregistrée"), message="the saved check's heading")
    # the period picker holds the last 30 days of the store, written as the screen writes dates
    last = (now - timedelta(hours=0)).astimezone(DISPLAY_TIMEZONE).date()
    first = last - timedelta(days=29)
    start_input, end_input = (duo.find_element(f"#{ids.DRIFT_PERIOD}-{side}") for side in ("start", "end"))
    _wait(lambda: start_input.get_attribute("value") == format_date(first, "fr"), message="default first day")
    assert end_input.get_attribute("value") == format_date(last, "fr")
    expected = f"Demandes notées du {date_in_words(first, 'fr')} au {date_in_words(last, 'fr')}"

    click(ids.DRIFT_PERIOD_RUN)                     # 10 applications: too few for a test
    text = _wait(lambda: "Trop peu" in duo.find_element(f"#{ids.DRIFT_MESSAGE}").text
                 and duo.find_element(f"#{ids.DRIFT_MESSAGE}").text, timeout=60, message="too-few message")
    assert heading() == expected and ": 10, pour 30 au minimum" in text.replace(NBSP, " ")
    assert absent(duo, f"#{ids.DRIFT_TABLE}")

    _score_applications(drift_app, _new_applicants(tiny_scorer, 10, 40),
                        [now - timedelta(minutes=5 * i) for i in range(40)])
    click(ids.DRIFT_PERIOD_RUN)                     # 50 applications now: compared, same view as the saved check
    _wait(lambda: duo.find_elements(f"#{ids.DRIFT_TABLE} tbody tr") and heading() == expected, timeout=120,
          message="the period's drift table")
    facts = duo.find_element(f"#{ids.DRIFT_FACTS}").text
    assert "Demandes notées (base des scores), 50 lignes" in facts.replace(NNBSP, " ")
    assert "Clients d'entraînement du modèle" in facts
    assert duo.find_element(f"#{ids.DRIFT_STATUS}").text
    assert absent(duo, f"#{ids.DRIFT_REPORT_LINK}")     # no HTML report for a period: the command
    assert "--current store" in duo.find_element(f"#{ids.screen('drift')} .drift-report").text

    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='EN']").click()
    _wait(lambda: heading().startswith("Applications scored from"), message="English heading")
    assert duo.find_element(f"#{ids.DRIFT_PERIOD}-start").get_attribute("placeholder") == "From"
    click(ids.DRIFT_SAVED)
    _wait(lambda: heading().startswith("Last saved check: Data folder") or heading().startswith("Last saved check"),
          message="back to the saved check")
    assert duo.find_elements(f"#{ids.DRIFT_REPORT_LINK}")
