"""Browser tests of the client's file: score history from the store, human review by a signed-in
manager, and the decision letter's link and route.

    .venv/bin/pytest tests/test_ui_file.py --headless -q
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

import auth
from app import services_of
from layouts import ids
from model.decision import GRANTED, REFUSED
from model.text.strings import t
from tests.helpers import file_page, goto, post_login, sign_in_browser
from tests.helpers import wait_until as _wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "ui-file-key-0123456789"
USER, PASSWORD = "marie.dupont", "a long enough password 42"


@pytest.fixture(scope="module")
def file_app(tiny_scorer, demo_data_dir, tmp_path_factory):
    """Scoring store on (SQLite under the instance folder), one manager account."""
    from app import create_app
    from settings import get_settings

    instance = tmp_path_factory.mktemp("instance")
    settings = get_settings({"INSTANCE_DIR": str(instance), "HOME_CREDIT_DIR": str(demo_data_dir), "API_KEYS": KEY,
                             "DRIFT_DIR": str(tmp_path_factory.mktemp("reports"))})
    auth.add_user(settings.users_file, USER, PASSWORD)
    return create_app(settings, tiny_scorer)


def _sign_in(duo, app, client: int | None = None, lang: str = "fr") -> None:
    """Signed in through the form, which leads to the client's file (the sign-in's ``next``)."""
    sign_in_browser(duo, app, USER, PASSWORD, then="/" if client is None else file_page(client, lang))


def _client(scorer, decision: str, k: int = 0) -> int:
    """The k-th client with this decision (the review test reviews k=0; the letter shows k=1 unreviewed)."""
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    return int(pds[scorer.rule.decide_all(pds.to_numpy()) == decision].index[k])


def _open_file(duo, client: int, lang: str = "fr") -> None:
    goto(duo, file_page(client, lang))          # nothing to do when the sign-in led here
    tab = _wait(lambda: [e for e in duo.find_elements(f"#{ids.tab('file')}") if e.is_displayed()], message="file tab")
    duo.driver.execute_script("arguments[0].click()", tab[0])
    _wait(lambda: duo.find_element(f"#{ids.HISTORY_BODY}").text, message="history drawn")


def test_a_score_served_through_the_api_appears_in_the_history(dash_duo, file_app, tiny_scorer):
    client = _client(tiny_scorer, REFUSED)
    resp = file_app.server.test_client().get(f"/api/v1/clients/{client}/score", headers={"X-API-Key": KEY})
    assert resp.status_code == 200
    served = resp.get_json()
    _sign_in(dash_duo, file_app, client)
    _open_file(dash_duo, client)
    history = dash_duo.find_element(f"#{ids.HISTORY_BODY}").text
    assert "API (client connu)" in history and served["model_version"] in history
    events = services_of(file_app.server).scoring_log.history(client)
    assert events[-1].source == "api" if len(events) == 1 else any(e.source == "api" for e in events)
    assert any(abs(e.probability - served["probability"]) < 1e-12 for e in events)


def test_a_review_is_recorded_with_author_and_time_and_never_overwrites_the_model(dash_duo, file_app, tiny_scorer):
    services = services_of(file_app.server)
    client = _client(tiny_scorer, REFUSED)
    before = len(services.reviews.for_client(client))
    _sign_in(dash_duo, file_app, client)
    _open_file(dash_duo, client)
    driver = dash_duo.driver
    # a blank reason is refused, nothing is stored
    driver.execute_script("arguments[0].click()", dash_duo.find_element(f"#{ids.REVIEW_SUBMIT}"))
    _wait(lambda: "motif" in dash_duo.find_element(f"#{ids.REVIEW_MESSAGE}").text.lower(), message="reason required")
    assert len(services.reviews.for_client(client)) == before
    # an override to granted, with a reason
    driver.execute_script("arguments[0].click()", dash_duo.find_elements(f"#{ids.REVIEW_VERDICT} input")[1])
    driver.execute_script(
        f"const s = document.getElementById('{ids.REVIEW_DECISION}');"
        f"const set = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set;"
        f"set.call(s, '{GRANTED}'); s.dispatchEvent(new Event('change', {{bubbles: true}}));")
    dash_duo.find_element(f"#{ids.REVIEW_REASON}").send_keys("Revenus stables justifiés par trois bulletins de paie.")
    driver.execute_script("arguments[0].click()", dash_duo.find_element(f"#{ids.REVIEW_SUBMIT}"))
    _wait(lambda: "enregistrée" in dash_duo.find_element(f"#{ids.REVIEW_MESSAGE}").text, message="review saved")
    reviews = services.reviews.for_client(client)
    assert len(reviews) == before + 1
    review = reviews[-1]
    assert (review.author, review.verdict, review.decision) == (USER, "override", GRANTED)
    assert review.model_decision == REFUSED and review.timestamp.tzinfo is not None
    listed = dash_duo.find_element(f"#{ids.REVIEW_LIST}").text
    assert USER in listed and "bulletins de paie" in listed and "Décision du modèle (inchangée)" in listed
    # the model's own decision is unchanged, and kept beside the decision after review, which is the headline
    assert tiny_scorer.score_client(client).model_decision == REFUSED
    api = file_app.server.test_client().get(f"/api/v1/clients/{client}/score", headers={"X-API-Key": KEY}).get_json()
    assert (api["decision"], api["model_decision"], api["reviewed"]) == (GRANTED, REFUSED, True)
    driver.execute_script("arguments[0].click()", dash_duo.find_element(f"#{ids.tab('score')}"))
    badge = " ".join(_wait(lambda: dash_duo.find_element(f"#{ids.DECISION}").text, message="decision on Score").split())
    assert badge.startswith(f"✔ {t('decision.granted', 'fr')}") and t("decision.refused", "fr") in badge
    # and the review is shown beside it, with its author and the decision after review
    note = _wait(lambda: dash_duo.find_element(f"#{ids.SCORE_REVIEW}").text, message="review note on Score")
    assert USER in note and t("decision.granted", "fr") in note


def test_a_granted_file_offers_no_review_form(dash_duo, file_app, tiny_scorer):
    client = _client(tiny_scorer, GRANTED)
    _sign_in(dash_duo, file_app, client)
    _open_file(dash_duo, client)
    assert not dash_duo.find_element(f"#{ids.REVIEW_FORM_WRAP}").is_displayed()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_letter_link_gives_the_clients_letter(dash_duo, file_app, tiny_scorer, lang, tmp_path):
    client = _client(tiny_scorer, REFUSED, 1)
    _sign_in(dash_duo, file_app, client, lang)
    _open_file(dash_duo, client, lang)
    href = dash_duo.find_element(f"#{ids.LETTER_LINK}").get_attribute("href")
    assert href.endswith(f"/clients/{client}/letter.pdf?lang={lang}")
    # the browser's own session fetches it (signed in), as a click would
    body = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));", href)
    pdf = bytes(body)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: make test installs it")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert tiny_scorer.version in text and str(client) in text
    flat = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
    assert t("letter.outcome.refused", lang) in flat
    reasons = services_of(file_app.server).scorer.score_client(client)
    for r in reasons.reasons:
        assert " ".join(r.text(lang).replace("\u202f", " ").replace("\u00a0", " ").split())[:40] in flat
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert 1 <= int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))) <= 2


def test_the_letter_route_is_private_and_checks_the_client(file_app, tiny_scorer):
    client = _client(tiny_scorer, REFUSED)
    anonymous = file_app.server.test_client()
    resp = anonymous.get(f"/clients/{client}/letter.pdf")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    signed = file_app.server.test_client()
    assert post_login(signed, USER, PASSWORD).status_code == 302
    assert signed.get("/clients/1/letter.pdf").status_code == 404
    ok = signed.get(f"/clients/{client}/letter.pdf?lang=xx")        # an unknown language: the default
    assert ok.status_code == 200 and ok.mimetype == "application/pdf"


def test_the_history_has_one_row_per_file_opened_not_per_page_view(dash_duo, file_app, tiny_scorer):
    """Three page views, a language switch and the What-if screen are one file opened: one dashboard row;
    signing in again opens the file again: a second row."""
    services = services_of(file_app.server)
    client = _client(tiny_scorer, REFUSED, 2)

    def dashboard_rows() -> list:
        return [e for e in services.scoring_log.history(client) if e.source == "dashboard"]

    before = len(dashboard_rows())
    _sign_in(dash_duo, file_app, client)                # the first page view, in French
    _wait(lambda: dash_duo.find_element(f"#{ids.PROBABILITY_TEXT}").text, message="the score shown")
    for lang in ("fr", "en"):                            # two more, the last one in English
        dash_duo.driver.get(f"{dash_duo.server_url}{file_page(client, lang)}")
        _wait(lambda: dash_duo.find_element(f"#{ids.PROBABILITY_TEXT}").text, message="the score shown")
    for screen in ("simulate", "score", "file"):
        dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element(f"#{ids.tab(screen)}"))
    _wait(lambda: "Dashboard" in dash_duo.find_element(f"#{ids.HISTORY_BODY}").text, message="the English history")
    assert len(dashboard_rows()) == before + 1
    rows = dash_duo.find_elements(f"#{ids.HISTORY_BODY} tbody tr")
    assert sum("Dashboard" in r.text for r in rows) == before + 1
    # the English date is unambiguous: "6 Dec 2026, 09:05", never "06/12/2026"
    stamp = rows[0].find_elements("css selector", "td")[0].text
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2}", stamp), stamp
    # a new sign-in is a new meeting: the file opened again has its row
    dash_duo.driver.get(f"{dash_duo.server_url}/logout")
    _wait(lambda: "/login" in dash_duo.driver.current_url, message="signed out")
    dash_duo.find_element("input[name=username]").send_keys(USER)
    dash_duo.find_element("input[name=password]").send_keys(PASSWORD)
    dash_duo.driver.execute_script("document.querySelector('form').submit()")
    _wait(lambda: "/login" not in dash_duo.driver.current_url, message="signed in again")
    dash_duo.driver.get(f"{dash_duo.server_url}/?client={client}")
    _wait(lambda: dash_duo.find_element(f"#{ids.PROBABILITY_TEXT}").text, message="the score shown again")
    _wait(lambda: len(dashboard_rows()) == before + 2, message="the second sign-in's row")
