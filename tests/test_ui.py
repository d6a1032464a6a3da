"""Browser tests of the dashboard: a real headless Chromium driven through dash_duo.

    .venv/bin/pytest tests/test_ui.py --headless -q

One app (tiny model, temporary instance folder with one user) is shared by the tests;
the first test signs in through the real form, the others switch the sign-in off.
"""
from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from layouts import ids
from tests.helpers import absent, choose_client, served_without_sign_in
from tests.helpers import wait_until as _wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD = "conseiller", "motdepasse-42"


@pytest.fixture(scope="module")
def ui_app(tiny_scorer, demo_data_dir, tmp_path_factory):
    import auth
    from app import create_app
    from settings import get_settings

    instance = tmp_path_factory.mktemp("instance")
    settings = get_settings({"INSTANCE_DIR": str(instance), "API_KEYS": "test-key", "HOME_CREDIT_DIR": str(demo_data_dir),
                             "DRIFT_DIR": str(tmp_path_factory.mktemp("reports"))})
    auth.add_user(settings.users_file, USER, PASSWORD)
    app = create_app(settings, tiny_scorer)
    return app


@pytest.fixture
def served_app(ui_app, dash_duo):
    """The dashboard served, the browser not on it yet (each test opens the address it is about)."""
    with served_without_sign_in(ui_app, dash_duo) as duo:
        yield duo


@pytest.fixture
def open_app(served_app):
    """The dashboard served and open at its first page."""
    served_app.wait_for_page()
    return served_app


def _number(text: str) -> float:
    """"12,3 %" / "12.3%" → 12.3."""
    clean = re.sub(r"[\s\u00a0\u202f%]", "", text).replace("−", "-").replace(",", ".")
    return float(clean)


def _plot(duo, graph_id: str) -> dict:
    return duo.driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g && g.data ? {data: g.data, layout: g.layout} : null;", f"#{graph_id}")


def _choose_client_by_search(duo, client_id: int) -> None:
    choose_client(duo, client_id)


def _gauge_value(duo) -> float:
    return _number(_wait(lambda: duo.find_element(f"#{ids.GAUGE} .number").text, message="gauge number"))


def test_sign_in_then_score_and_waterfall_match_the_model(ui_app, dash_duo, tiny_scorer):
    ui_app.server.config["LOGIN_DISABLED"] = False
    dash_duo.server(ui_app)                   # start_server() would wait for the dashboard itself
    dash_duo.driver.get(dash_duo.server.url)
    # not signed in: the dashboard redirects to the sign-in page
    _wait(lambda: "/login" in dash_duo.driver.current_url, message="redirect to /login")
    dash_duo.find_element("#username").send_keys(USER)
    dash_duo.find_element("#password").send_keys(PASSWORD)
    dash_duo.find_element("#login-submit").click()
    _wait(lambda: dash_duo.find_element(f"#{ids.USER}").text.endswith(USER), message="signed-in user shown")

    scores = tiny_scorer.scores
    refused = scores.index[scores["PROBABILITY"] >= tiny_scorer.rule.refer_high]
    client = int(refused[len(refused) // 2])
    _choose_client_by_search(dash_duo, client)
    _wait(lambda: f"client={client}" in dash_duo.driver.current_url, message="client in the URL")
    expected = tiny_scorer.score_client(client)
    _wait(lambda: abs(_gauge_value(dash_duo) - round(expected.probability * 100, 1)) < 0.051,
          message="gauge shows the model's probability")
    decision = dash_duo.find_element(f"#{ids.DECISION}").text
    assert expected.decision == "refused" and "Crédit refusé" in decision and "✖" in decision
    assert "au-dessus du seuil" in dash_duo.find_element(f"#{ids.DECISION_SENTENCE}").text

    dash_duo.find_element(f"#{ids.tab('why')}").click()
    fig = _wait(lambda: (lambda f: f if f and f["data"] and f["data"][0].get("type") == "waterfall" else None)(
        _plot(dash_duo, ids.WATERFALL)), message="waterfall drawn")
    trace = fig["data"][0]
    n = ui_app.server.extensions["credit_services"].settings.top_factors
    assert len(trace["y"]) == n + 1 + 2                      # base, top N, other factors, final
    assert trace["y"][0] == "Point de départ\u00a0: risque d'un client type"
    assert "autres facteurs" in trace["y"][-2].lower()
    assert trace["measure"][0] == "absolute" and trace["measure"][-1] == "total"
    end = sum(trace["x"][:-1])
    assert end == pytest.approx(expected.probability * 100, abs=1e-6)
    assert not any(label.isupper() and "_" in label for label in trace["y"])   # readable labels, no raw names
    assert len(dash_duo.find_elements(f"#{ids.RAISING} li")) >= 1


def test_filters_change_the_list_and_a_row_opens_the_client(open_app, tiny_scorer):
    duo = open_app
    first = _wait(lambda: [c.text for c in duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client")],
                  message="client list")
    assert len(first) == 15
    count_before = duo.find_element(f"#{ids.RESULT_COUNT}").text
    duo.find_element(f"#{ids.filter_id('decision')}").click()
    _wait(lambda: [o for o in duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                   if "refusé" in o.text], message="decision options")[0].click()
    duo.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    _wait(lambda: absent(duo, ".dash-dropdown-option"), message="options closed")
    _wait(lambda: duo.find_element(f"#{ids.RESULT_COUNT}").text != count_before, message="count changes")
    decisions = [c.text for c in duo.find_elements(f"#{ids.CLIENT_TABLE} td.col-decision")]
    assert decisions and all("refusé" in d for d in decisions)
    n_refused = int((tiny_scorer.scores["PROBABILITY"] >= tiny_scorer.rule.refer_high).sum())
    assert _number(re.match(r"[\d\u202f\u00a0 ]+", duo.find_element(f"#{ids.RESULT_COUNT}").text).group()) == n_refused
    cell = duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client")[2]
    client = int(cell.text)
    # a script click: Bootstrap scrolls smoothly, so a pointer click could land mid-scroll
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", cell)
    _wait(lambda: f"client={client}" in duo.driver.current_url, message="row opens the client")
    _wait(lambda: abs(_gauge_value(duo) - round(tiny_scorer.score_client(client).probability * 100, 1)) < 0.051,
          message="gauge of the clicked client")


def test_comparison_updates_when_the_feature_changes_and_language_switch(served_app, tiny_scorer):
    duo = served_app
    client = int(tiny_scorer.population.index[7])
    duo.wait_for_page(f"{duo.server_url}/?client={client}")
    duo.find_element(f"#{ids.tab('compare')}").click()
    summary = _wait(lambda: duo.find_element(f"#{ids.COMPARE_SUMMARY}").text, message="comparison summary")
    assert "clients similaires" in summary
    fig = _plot(duo, ids.COMPARE_DISTRIBUTION)
    title_before = fig["layout"]["xaxis"]["title"]["text"]
    duo.find_element(f"#{ids.COMPARE_FEATURE}").click()
    options = _wait(lambda: duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"), message="features")
    options[3].click()
    _wait(lambda: _plot(duo, ids.COMPARE_DISTRIBUTION)["layout"]["xaxis"]["title"]["text"] != title_before,
          message="distribution redrawn for the new feature")
    # only aggregates: the bars are shares of a group, and the similar group is the configured size
    assert "100 clients similaires" in duo.find_element(f"#{ids.COMPARE_SUMMARY}").text

    # language switch: texts change, the client stays
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='EN']").click()
    _wait(lambda: "lang=en" in duo.driver.current_url and f"client={client}" in duo.driver.current_url,
          message="lang in the URL")
    _wait(lambda: duo.find_element(f"#{ids.tab('compare')}").text == "Compare", message="English tab labels")
    _wait(lambda: "similar clients" in duo.find_element(f"#{ids.COMPARE_SUMMARY}").text, message="English summary")
    assert duo.find_element(f"#{ids.TITLE}").text == "Prêt à dépenser — credit scoring"


def test_hidden_screens_never_keep_the_previous_clients_data(served_app, tiny_scorer):
    """Profile and comparison render only when opened; a client change blanks them meanwhile."""
    duo = served_app
    pop = tiny_scorer.population
    first = int(pop.index[3])
    years = (-pop["DAYS_BIRTH"] // 365.25).astype(int)
    second = int(years[years != years.loc[first]].index[0])        # another age: another profile text
    duo.wait_for_page(f"{duo.server_url}/?client={first}")
    duo.find_element(f"#{ids.tab('profile')}").click()
    profile = _wait(lambda: duo.find_element(f"#{ids.PROFILE_BODY}").text, message="profile of the first client")
    assert profile.strip()
    # the file closed, another client chosen from the search screen: the score screen opens, the
    # profile is emptied
    duo.find_element(f"#{ids.CLOSE_CLIENT}").click()
    _choose_client_by_search(duo, second)
    _wait(lambda: f"client={second}" in duo.driver.current_url, message="second client chosen")
    _wait(lambda: duo.find_element(f"#{ids.PROFILE_BODY}").get_attribute("textContent") == "",
          message="hidden profile blanked")
    duo.find_element(f"#{ids.tab('profile')}").click()
    again = _wait(lambda: duo.find_element(f"#{ids.PROFILE_BODY}").text, message="profile of the second client")
    assert again != profile


def test_a_referred_client_sees_the_referral_its_grade_and_its_reasons(open_app, tiny_scorer):
    """In the band around the threshold the decision is a referral, in words, colour and icon,
    with the grade and the same reason codes as the JSON route."""
    rule = tiny_scorer.rule
    scores = tiny_scorer.scores["PROBABILITY"]
    in_band = scores.index[(scores >= rule.refer_low) & (scores < rule.refer_high)]
    assert len(in_band), "the tiny model has clients in its referral band"
    client = int(in_band[len(in_band) // 2])
    expected = tiny_scorer.score_client(client)
    assert expected.decision == "refer"
    _wait(lambda: open_app.driver.find_elements(By.CSS_SELECTOR, f"#{ids.SEARCH}"), message="search box")
    _choose_client_by_search(open_app, client)
    _wait(lambda: "analyste" in open_app.find_element(f"#{ids.DECISION}").text, message="referral shown")
    badge = open_app.find_element(f"#{ids.DECISION} .decision")
    assert "decision-refer" in badge.get_attribute("class") and "◆" in badge.text
    assert f"Classe de risque {expected.grade}" in open_app.find_element(f"#{ids.GRADE_TEXT}").text
    assert "analyste" in open_app.find_element(f"#{ids.DECISION_SENTENCE}").text
    shown = [li.text for li in open_app.find_elements(f"#{ids.REASONS} li")]
    want = [r.text("fr").replace("\u00a0", " ").replace("\u202f", " ") for r in expected.reasons]
    assert shown == want and 1 <= len(shown) <= 4


def _severe(duo) -> list[dict]:
    return [e for e in (duo.get_logs() or []) if e.get("level") == "SEVERE"]


@contextmanager
def callback_answers(server) -> Iterator[list[tuple[dict[str, Any], str]]]:
    """Every callback request the served app answers while the block runs: (its JSON body, the status
    line of the answer), appended once the answer starts. The server reads ``wsgi_app`` per request."""
    answers: list[tuple[dict[str, Any], str]] = []
    inner = server.wsgi_app

    def recording(environ, start_response):
        if environ.get("PATH_INFO") != "/_dash-update-component":
            return inner(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)

        def start(status, headers, exc_info=None):
            answers.append((json.loads(body or b"{}"), status))
            return start_response(status, headers, exc_info)
        return inner(environ, start)

    server.wsgi_app = recording
    try:
        yield answers
    finally:
        server.wsgi_app = inner


def _search_answers(answers: list[tuple[dict[str, Any], str]], typed: str) -> list[str]:
    """Status lines of the answers to the suggestions asked for ``typed``."""
    return [status for body, status in answers
            if any(i.get("id") == ids.SEARCH and i.get("property") == "search_value" and i.get("value") == typed
                   for i in body.get("inputs", []))]


def test_odd_search_input_and_links_break_nothing(served_app, ui_app, tiny_scorer):
    """Issue 16 item 8: '²' (a French keyboard key that str.isdigit() accepts), 5,000 digits in the search
    box and a link to /?client=%C2%B2 used to make the callbacks answer 500."""
    duo = served_app
    duo.wait_for_page(f"{duo.server_url}/?client=%C2%B2")
    rows = _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="the list, no client open")
    assert len(rows) == 15      # the meeting mode (a client open) would have emptied the list
    duo.find_element(f"#{ids.SEARCH}").click()
    box = _wait(lambda: duo.driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content input[type=search]"),
                message="search box")
    with callback_answers(ui_app.server) as answers:
        box.send_keys("²")                               # typed, as a person would
        _wait(lambda: _search_answers(answers, "²"), message="the server's answer to '²'")
    assert {status.split()[0] for status in _search_answers(answers, "²")} == {"200"}     # answered, no 500
    box.send_keys(Keys.BACKSPACE)
    client = int(tiny_scorer.population.index[3])

    def paste(text: str) -> None:
        # one input event with the whole text, as a paste: typing 5,000 digits would send 5,000 searches
        duo.driver.execute_script(
            "const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
            "set.call(arguments[0], arguments[1]);"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", box, text)

    def options() -> list[str]:
        return [o.text.strip() for o in duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")]

    paste(str(client))                                   # a paste reaches the search callback ...
    _wait(lambda: str(client) in options(), message="the pasted client is suggested")
    with callback_answers(ui_app.server) as answers:
        paste("1" * 5000)                                # ... so 5,000 digits do too: answered, no match
        _wait(lambda: str(client) not in options(), message="the 5,000 digits are answered")
        # the list also hides what does not match the typed text: the server's answer is waited for too
        _wait(lambda: _search_answers(answers, "1" * 5000), message="the server's answer to 5,000 digits")
    assert {status.split()[0] for status in _search_answers(answers, "1" * 5000)} == {"200"}
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    assert not _severe(duo), _severe(duo)
    box.send_keys(str(client))
    option = _wait(lambda: [o for o in duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
                            if o.text.strip() == str(client)], message="a real client is still found")[0]
    option.click()
    _wait(lambda: f"client={client}" in duo.driver.current_url, message="the client opens")
    assert not _severe(duo), _severe(duo)
