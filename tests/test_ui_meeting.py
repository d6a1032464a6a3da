"""Browser tests of what is shown in front of the client: meeting mode, the client strip, the
language on every path, keyboard use of the screen tabs, and axe-core's accessibility audit.

    .venv/bin/pytest tests/test_ui_meeting.py --headless -q
"""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from layouts import ids
from model.text.formatting import format_currency
from model.text.strings import STRINGS
from tests.helpers import absent, goto
from tests.helpers import wait_until as _wait
from tools.accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Screens shown once a client is open, in tab order: the client's only (Model and Drift are the
#: manager's, behind the back office: tests/test_ui_back_office.py).
MEETING_SCREENS = ids.CLIENT_SCREENS


def _open_tab(duo, screen: str) -> None:
    # a script click: Bootstrap scrolls smoothly, so a pointer click could land mid-scroll
    duo.driver.execute_script("arguments[0].click()", duo.find_element(f"#{ids.tab(screen)}"))
    _wait(lambda: duo.find_element(f"#{ids.screen(screen)}").is_displayed(), message=f"{screen} screen shown")


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _visible_text(duo) -> str:
    return duo.driver.execute_script("return document.body.innerText")


def _other_client_numbers(text: str, client: int, known: set[int]) -> set[int]:
    return {int(n) for n in re.findall(r"(?<![\d,.\u202f\u00a0])\d{6}(?![\d,.])", text)} & known - {client}


def test_meeting_mode_shows_this_client_only_and_names_it_on_every_screen(duo, tiny_scorer):
    duo.wait_for_page()
    known = {int(i) for i in tiny_scorer.population.index}
    rows = _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="the manager's list")
    assert len(rows) == 15 and duo.find_element(f"#{ids.tab('search')}").is_displayed()
    assert not duo.find_element(f"#{ids.tab('score')}").is_displayed()     # no client: no client screens
    client = int(rows[4].text)
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", rows[4])
    _wait(lambda: f"client={client}" in duo.driver.current_url, message="client opened")
    # the list is gone from the page (not merely hidden), its tab too
    _wait(lambda: absent(duo, f"#{ids.CLIENT_TABLE} td"), message="other clients' rows removed")
    assert not duo.find_element(f"#{ids.tab('search')}").is_displayed()
    amount = tiny_scorer.population.at[client, "AMT_CREDIT"]
    for screen in MEETING_SCREENS:
        _open_tab(duo, screen)
        strip = _wait(lambda: duo.find_element(f"#{ids.CLIENT_STRIP}").text, message="client strip")
        assert f"Client n° {client}" in strip and re.search(r"\d{2}/\d{2}/\d{4}", strip)
        assert f"{_plain(format_currency(amount, 'fr'))} demandé" in _plain(strip)
        page_html = duo.driver.page_source
        found = _other_client_numbers(page_html, client, known)
        assert not found, f"{screen}: other clients' numbers in the page: {sorted(found)[:5]}"
    # closing the file ends the meeting: the manager's list is back, the strip is gone
    duo.find_element(f"#{ids.CLOSE_CLIENT}").click()
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="list back")
    assert "client=" not in duo.driver.current_url
    assert not duo.find_element(f"#{ids.CLIENT_STRIP}").is_displayed()


def _strings_only_in(lang: str) -> list[str]:
    """Whole UI strings of ``lang`` (no placeholder, 8+ characters) that are not words of the other language."""
    other = "en" if lang == "fr" else "fr"
    everything_else = " ".join(v[other] for v in STRINGS.values())
    return [v[lang] for v in STRINGS.values()
            if "{" not in v[lang] and len(v[lang]) >= 8 and v[lang] != v[other] and v[lang] not in everything_else]


FRENCH_ONLY, ENGLISH_ONLY = _strings_only_in("fr"), _strings_only_in("en")


def _assert_language(duo, lang: str, client: int) -> None:
    """Every screen in ``lang`` and no whole string of the other language, Dash's own texts included."""
    wrong = FRENCH_ONLY if lang == "en" else ENGLISH_ONLY
    strip = "Client no." if lang == "en" else "Client n°"
    _wait(lambda: strip in duo.find_element(f"#{ids.CLIENT_STRIP}").text, message=f"strip in {lang}")
    for screen in MEETING_SCREENS:
        _open_tab(duo, screen)
        _wait(lambda: len(_visible_text(duo)) > 200, message=f"{screen} drawn")
        text = _visible_text(duo).replace("\u00a0", " ").replace("\u202f", " ")
        left = [w for w in wrong if w.replace("\u00a0", " ").replace("\u202f", " ") in text]
        assert not left, f"{lang} {screen}: strings of the other language: {left[:5]}"
    assert duo.driver.execute_script("return document.documentElement.lang") == lang
    # a dropdown's own texts: its search box and its "no options" message
    _open_tab(duo, "compare")
    duo.find_element(f"#{ids.COMPARE_FEATURE}").click()
    box = _wait(lambda: duo.driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content input[type=search]"),
                message="dropdown search box")
    assert box.get_attribute("placeholder") == ("Search" if lang == "en" else "Rechercher")
    box.send_keys("zzzzqqq")
    none = _wait(lambda: duo.driver.find_element(By.CSS_SELECTOR, ".dash-dropdown-content").text, message="no option")
    assert ("No options found" if lang == "en" else "Aucun choix ne correspond") in none
    box.send_keys(Keys.ESCAPE)


def test_language_is_complete_on_every_path(duo, tiny_scorer):
    client = int(tiny_scorer.population.index[11])
    # direct link
    duo.wait_for_page(f"{duo.server_url}/?lang=en&client={client}")
    _assert_language(duo, "en", client)
    # reload
    duo.driver.refresh()
    _assert_language(duo, "en", client)
    # the switch button, back to French: the client stays open
    duo.driver.execute_script("window.scrollTo(0, 0)")
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='FR']").click()
    _wait(lambda: "lang=en" not in duo.driver.current_url, message="French in the URL")
    assert f"client={client}" in duo.driver.current_url
    _assert_language(duo, "fr", client)
    # and the manager's list with a direct English link: rows, count and pager in English
    duo.wait_for_page(f"{duo.server_url}/?lang=en")
    count = _wait(lambda: duo.find_element(f"#{ids.RESULT_COUNT}").text, message="count")
    assert count.endswith("client(s) found") and "Page 1 of" in duo.find_element(f"#{ids.PAGE_INFO}").text
    decisions = [c.text for c in duo.find_elements(f"#{ids.CLIENT_TABLE} td.col-decision")]
    assert decisions and not [d for d in decisions if re.search("Crédit|accordé|refusé|analyste", d)]


def test_screen_tabs_are_reached_and_used_with_the_keyboard(duo, tiny_scorer):
    client = int(tiny_scorer.population.index[2])
    duo.wait_for_page(f"{duo.server_url}/?client={client}")
    _wait(lambda: duo.find_element(f"#{ids.screen('score')}").is_displayed(), message="score screen")
    body = duo.driver.find_element(By.TAG_NAME, "body")
    body.click()
    reached = None
    for _ in range(12):                  # Tab from the top of the page reaches the tabs
        duo.driver.switch_to.active_element.send_keys(Keys.TAB)
        active = duo.driver.switch_to.active_element
        if active.get_attribute("role") == "tab":
            reached = active.get_attribute("id")
            break
    assert reached == ids.tab("score"), reached
    duo.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    _wait(lambda: duo.find_element(f"#{ids.screen('why')}").is_displayed(), message="arrow opens the next tab")
    assert duo.driver.switch_to.active_element.get_attribute("id") == ids.tab("why")
    assert duo.find_element(f"#{ids.tab('why')}").get_attribute("aria-selected") == "true"
    duo.driver.switch_to.active_element.send_keys(Keys.END)
    _wait(lambda: duo.find_element(f"#{ids.screen('file')}").is_displayed(), message="End opens the last tab")
    duo.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)         # the arrows go round the client's tabs
    _wait(lambda: duo.find_element(f"#{ids.screen('score')}").is_displayed(), message="after the last, the first")
    assert not duo.find_element(f"#{ids.screen('model')}").is_displayed()
    duo.driver.switch_to.active_element.send_keys(Keys.END)
    duo.driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)      # Tab goes back along the tabs
    duo.driver.switch_to.active_element.send_keys(Keys.ENTER)
    _wait(lambda: duo.find_element(f"#{ids.screen('compare')}").is_displayed(), message="Enter opens a tab")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_axe_finds_no_critical_or_serious_violation_on_any_screen(duo, tiny_scorer, lang):
    client = int(tiny_scorer.population.index[5])
    query = "?lang=en" if lang == "en" else "?"
    duo.wait_for_page(f"{duo.server_url}/{query}")
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="list")
    found = {"search": [v for v in violations(duo.driver) if v["impact"] in ("critical", "serious")]}
    goto(duo, f"/{query}&client={client}")                   # the file opened from the list, as a link does
    _wait(lambda: duo.find_element(f"#{ids.screen('score')}").is_displayed(), message="the file's Score screen")
    for screen in MEETING_SCREENS:
        _open_tab(duo, screen)
        _wait(lambda: len(_visible_text(duo)) > 200, message=f"{screen} drawn")
        found[screen] = [v for v in violations(duo.driver) if v["impact"] in ("critical", "serious")]
    bad = {s: [(v["id"], len(v["nodes"])) for v in vs] for s, vs in found.items() if vs}
    assert not bad, bad
