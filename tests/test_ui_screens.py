"""Browser tests of issue 25, items 4, 6 and 7: only the visible screen is computed and drawn; the strict
meeting mode (no Model, Drift or expert mode in front of the client; the manager's back office behind a
confirmation); Compare never shows fewer than min_group_size clients; the focus on the file's heading.

    .venv/bin/pytest tests/test_ui_screens.py -q -p no:cacheprovider
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from layouts import ids
from tests.helpers import absent, choose_client, goto
from tests.helpers import wait_until as _wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Records the outputs of every callback request the Dash renderer sends from now on.
RECORD_REQUESTS = """
window.__requested = [];
if (!window.__recording) {
  window.__recording = true;
  const orig = window.fetch;
  window.fetch = function (url, opts) {
    if (String(url).includes('_dash-update-component')) {
      try { window.__requested.push(JSON.parse(opts.body).output); } catch (e) { window.__requested.push('?'); }
    }
    return orig.apply(this, arguments);
  };
}
"""

#: Outputs of the screens a client change must not compute while they are hidden.
HIDDEN_WORK = {"why": ids.WATERFALL, "profile": ids.PROFILE_BODY, "compare": ids.COMPARE_DISTRIBUTION,
               "file": ids.LETTER_LINK, "model": ids.IMPORTANCE, "drift": ids.DRIFT_BODY,
               "simulate": ids.lever("AMT_CREDIT")}


def _shown(duo, element_id: str) -> bool:
    """Displayed now (looked up by a script: ``find_elements`` waits 2 s for an element the page lacks)."""
    found = duo.driver.execute_script("return document.getElementById(arguments[0])", element_id)
    return found is not None and found.is_displayed()


def _click(duo, element_id: str) -> None:
    # a script click: Bootstrap scrolls smoothly, so a pointer click could land mid-scroll
    duo.driver.execute_script("document.getElementById(arguments[0]).click()", element_id)


def _open_tab(duo, screen: str) -> None:
    _click(duo, ids.tab(screen))
    _wait(lambda: _shown(duo, ids.screen(screen)), message=f"{screen} screen shown")


def _plot(duo, graph_id: str) -> dict | None:
    return duo.driver.execute_script(
        "const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return g && g.data ? {data: g.data, layout: g.layout} : null;", graph_id)


def _waterfall_labels(duo) -> list[str]:
    plot = _plot(duo, ids.WATERFALL)
    return list(plot["data"][0]["y"]) if plot and plot["data"] else []


def _choose(duo, client: int, enter: bool = False) -> None:
    choose_client(duo, client, enter)


def _open_back_office(duo, confirm: bool = True) -> None:
    _click(duo, ids.BACK_OFFICE_OPEN)
    button = ids.BACK_OFFICE_CONFIRM if confirm else ids.BACK_OFFICE_CANCEL
    _wait(lambda: _shown(duo, button), message="the back office's confirmation dialog")
    duo.find_element(f"#{button}").click()
    _wait(lambda: absent(duo, ".modal.show"), message="dialog closed")


def test_a_file_open_offers_no_model_drift_or_expert_mode(duo, tiny_scorer):
    """Issue 25 item 6: with a file open, only the client's screens; the keyboard cannot reach the others."""
    duo.wait_for_page(duo.server_url)
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="the manager's list")
    # no file open: the manager's screens are there, the back office's button is not (nothing to hide)
    assert _shown(duo, ids.tab("model")) and _shown(duo, ids.tab("drift"))
    assert not _shown(duo, ids.BACK_OFFICE_OPEN)
    client = int(tiny_scorer.population.index[4])
    goto(duo, f"/?client={client}")                        # a link to the file
    _wait(lambda: _shown(duo, ids.screen("score")), message="score screen")
    offered = [t.get_attribute("id") for t in duo.find_elements("[role=tab]") if t.is_displayed()]
    assert offered == [ids.tab(n) for n in ids.CLIENT_SCREENS]
    # the arrows and End go round the client's tabs only
    duo.find_element(f"#{ids.tab('score')}").send_keys(Keys.END)
    _wait(lambda: _shown(duo, ids.screen("file")), message="End: the file's last tab")
    duo.driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    _wait(lambda: _shown(duo, ids.screen("score")), message="then round to the first")
    _open_tab(duo, "why")
    _wait(lambda: _waterfall_labels(duo), message="waterfall")
    assert not _shown(duo, ids.EXPERT) and not _shown(duo, ids.EXPERT_WRAP)
    # a script can still flip the hidden switch: the screen stays in the client's words, opened again too
    plain = _waterfall_labels(duo)
    _click(duo, ids.EXPERT)
    _open_tab(duo, "profile")
    _open_tab(duo, "why")
    labels = _waterfall_labels(duo)
    assert labels == plain
    assert not any("EXT_SOURCE" in x or "_" in x for x in labels), labels
    assert "log-odds" not in duo.find_element(f"#{ids.screen('why')}").text
    assert _shown(duo, ids.BACK_OFFICE_OPEN) and not _shown(duo, ids.BACK_OFFICE_CLOSE)


def test_the_back_office_asks_first_and_closes_with_the_file(duo, tiny_scorer):
    clients = [int(c) for c in tiny_scorer.population.index[[6, 9]]]
    duo.wait_for_page(f"{duo.server_url}/?client={clients[0]}")
    _wait(lambda: _shown(duo, ids.BACK_OFFICE_OPEN), message="the back office's button")
    _open_back_office(duo, confirm=False)                          # "Cancel": nothing opens
    assert not _shown(duo, ids.tab("model")) and not _shown(duo, ids.tab("drift"))
    _open_back_office(duo)
    _wait(lambda: _shown(duo, ids.tab("model")) and _shown(duo, ids.tab("drift")), message="manager's tabs")
    assert _shown(duo, ids.BACK_OFFICE_CLOSE) and not _shown(duo, ids.BACK_OFFICE_OPEN)
    _open_tab(duo, "model")
    _wait(lambda: (_plot(duo, ids.IMPORTANCE) or {}).get("data"), message="importance drawn")
    _open_tab(duo, "why")
    _wait(lambda: _shown(duo, ids.EXPERT), message="expert switch offered")
    plain = _wait(lambda: _waterfall_labels(duo), message="waterfall")
    _click(duo, ids.EXPERT)
    expert = _wait(lambda: (lambda got: got if got != plain and any("=" in x for x in got) else None)(
        _waterfall_labels(duo)), message="technical names")
    assert "log-odds" in duo.find_element(f"#{ids.screen('why')}").text and expert
    # "Hide": at once, no dialog; the expert mode goes with it
    _click(duo, ids.BACK_OFFICE_CLOSE)
    _wait(lambda: not _shown(duo, ids.tab("model")) and not _shown(duo, ids.EXPERT), message="tools hidden")
    _wait(lambda: _waterfall_labels(duo) == plain, message="the client's words again")
    # opened again on the Model screen, then the file closed and another opened: closed, on Score
    _open_back_office(duo)
    _open_tab(duo, "model")
    duo.find_element(f"#{ids.CLOSE_CLIENT}").click()
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="list back")
    _choose(duo, clients[1])
    _wait(lambda: _shown(duo, ids.screen("score")), message="the next file opens on Score")
    assert not _shown(duo, ids.tab("model")) and not _shown(duo, ids.tab("drift"))
    assert not _shown(duo, ids.screen("model")) and _shown(duo, ids.BACK_OFFICE_OPEN)
    _open_tab(duo, "why")
    assert not _shown(duo, ids.EXPERT)
    _wait(lambda: _waterfall_labels(duo), message="waterfall of the next file")
    assert not any("=" in x for x in _waterfall_labels(duo))
    assert not duo.find_element(f"#{ids.EXPERT}").is_selected()


def test_a_client_change_computes_and_draws_the_visible_screen_only(duo, tiny_scorer):
    """Issue 25 item 4: the other screens' callbacks are not even requested; they follow when opened,
    and a closed file's screens are blanked (no other client's data stays in the page)."""
    duo.wait_for_page(duo.server_url)
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="the manager's list")
    first, second = (int(c) for c in tiny_scorer.population.index[[12, 15]])
    duo.driver.execute_script(RECORD_REQUESTS)
    _choose(duo, first)
    _wait(lambda: duo.find_element(f"#{ids.GAUGE} .number").text, message="gauge")
    _wait(lambda: duo.find_element(f"#{ids.STRIP_FACTS}").text, message="strip")
    requested = " ".join(duo.driver.execute_script("return window.__requested"))
    assert ids.GAUGE in requested
    for screen, output in HIDDEN_WORK.items():
        assert output not in requested, f"{screen} computed on a client change: {requested}"
        if screen in ("why", "compare", "model"):
            assert not (_plot(duo, output) or {}).get("data"), f"hidden {screen} figure drawn"
    # each screen follows when opened, with one request
    for screen in ("why", "profile", "compare"):
        duo.driver.execute_script(RECORD_REQUESTS)
        _open_tab(duo, screen)
        _wait(lambda s=screen: HIDDEN_WORK[s] in " ".join(duo.driver.execute_script("return window.__requested")),
              message=f"{screen} requested when opened")
    _wait(lambda: (_plot(duo, ids.COMPARE_DISTRIBUTION) or {}).get("data"), message="compare drawn")
    profile = _wait(lambda: duo.find_element(f"#{ids.PROFILE_BODY}").get_attribute("textContent"), message="profile")
    # another file: the first one's screens are blanked, none is recomputed until opened
    duo.find_element(f"#{ids.CLOSE_CLIENT}").click()
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="list back")
    _wait(lambda: not (_plot(duo, ids.COMPARE_DISTRIBUTION) or {}).get("data")
          and not _waterfall_labels(duo) and not duo.find_element(f"#{ids.PROFILE_BODY}").get_attribute("textContent"),
          message="the closed file's screens blanked")
    duo.driver.execute_script(RECORD_REQUESTS)
    _choose(duo, second)
    _wait(lambda: f"client={second}" in duo.driver.current_url, message="second file")
    _wait(lambda: duo.find_element(f"#{ids.STRIP_FACTS}").text, message="strip")
    requested = " ".join(duo.driver.execute_script("return window.__requested"))
    assert not any(output in requested for output in HIDDEN_WORK.values()), requested
    _open_tab(duo, "profile")
    again = _wait(lambda: duo.find_element(f"#{ids.PROFILE_BODY}").get_attribute("textContent"), message="profile")
    assert again != profile


def test_the_model_screen_is_not_drawn_at_every_page_load(duo):
    duo.driver.get("about:blank")
    duo.wait_for_page(duo.server_url)
    duo.driver.execute_script(RECORD_REQUESTS)
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="the manager's list")
    assert not (_plot(duo, ids.IMPORTANCE) or {}).get("data")
    _open_tab(duo, "model")
    _wait(lambda: (_plot(duo, ids.IMPORTANCE) or {}).get("data"), message="importance drawn when opened")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_enter_on_a_client_number_puts_the_focus_on_the_files_heading(duo, tiny_scorer, lang):
    """Issue 25 item 7: the focus fell back to <body>; the file's heading takes it (a screen reader reads it)."""
    duo.wait_for_page(f"{duo.server_url}/?lang={lang}")
    _wait(lambda: duo.find_elements(f"#{ids.CLIENT_TABLE} .open-client"), message="the manager's list")
    client = int(tiny_scorer.population.index[21])
    _choose(duo, client, enter=True)
    heading = _wait(lambda: (lambda e: e if e.get_attribute("id") == ids.FILE_HEADING else None)(
        duo.driver.switch_to.active_element), message="focus on the file's heading")
    assert heading.tag_name == "h2" and str(client) in heading.text
    assert heading.text.startswith("Client no." if lang == "en" else "Client n°")
    # once: the language switched, the heading redrawn, the focus stays where the manager put it
    other = "FR" if lang == "en" else "EN"
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='{other}']").click()
    words = "Client n°" if other == "FR" else "Client no."
    _wait(lambda: duo.find_element(f"#{ids.FILE_HEADING}").text.startswith(words), message="heading redrawn")
    assert duo.driver.switch_to.active_element.get_attribute("id") != ids.FILE_HEADING


def test_compare_shows_no_bar_or_colour_of_fewer_than_the_minimum(duo, tiny_scorer, dashboard_app):
    """Issue 25 item 6: a bin held ONE other client, coloured by whether that person repaid."""
    from app import services_of

    services = services_of(dashboard_app.server)
    idx, minimum = services.clients.similar, services.settings.min_group_size
    k = services.settings.similar_group_size
    feature = services.clients.compare_features[0]
    for client in (int(c) for c in tiny_scorer.population.index[[2, 30]]):
        duo.wait_for_page(f"{duo.server_url}/?client={client}")
        _wait(lambda: _shown(duo, ids.tab("compare")), message="compare tab")
        _open_tab(duo, "compare")
        plot = _wait(lambda: (lambda p: p if p and p["data"] else None)(_plot(duo, ids.COMPARE_DISTRIBUTION)),
                     message="distribution drawn")
        totals = {"x": idx.group_summary(None, feature), "x2": idx.group_summary(idx.neighbours(client, k), feature)}
        totals = {axis: sum(map(sum, s.counts.values())) for axis, s in totals.items()}
        bars = [tr for tr in plot["data"] if tr["type"] == "bar"]
        assert {tr.get("xaxis", "x") for tr in bars} == {"x", "x2"}
        for tr in bars:
            for share in tr["y"]:
                count = round(share * totals[tr.get("xaxis", "x")] / 100)
                assert count == 0 or count >= minimum, (client, tr["name"], count)


#: The gauge's number against the inner edge of its arc: the smallest distance left (px), from the
#: number's whole box (line height included) to the arc's inner circle.
NUMBER_GAP = """
const g = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
const n = g.querySelector('.number').getBoundingClientRect();
const arc = g.querySelector('g.gauge-outline path'), b = arc.getBoundingClientRect(), m = arc.getScreenCTM();
const cx = b.left + b.width / 2, cy = b.bottom;
let inner = Infinity;
for (let i = 0; i <= 400; i++) {
  const p = arc.getPointAtLength(arc.getTotalLength() * i / 400);
  inner = Math.min(inner, Math.hypot(m.a * p.x + m.c * p.y + m.e - cx, m.b * p.x + m.d * p.y + m.f - cy));
}
return inner - Math.max(...[[n.left, n.top], [n.right, n.top], [n.left, n.bottom], [n.right, n.bottom]]
                         .map(([x, y]) => Math.hypot(x - cx, y - cy)));
"""


@pytest.mark.parametrize("width", [1024, 1366])
def test_the_gauges_number_stays_inside_the_arc(duo, tiny_scorer, width):
    """Issue 25 item 7: "32.7%" touched the arc at 1024 px wide (Score and What-if gauges, French: the widest)."""
    pd = tiny_scorer.scores["PROBABILITY"]
    client = int((pd - 0.327).abs().idxmin())
    duo.driver.set_window_size(width, 768)
    try:
        duo.wait_for_page(f"{duo.server_url}/?client={client}")
        _wait(lambda: _shown(duo, ids.screen("score")), message="score screen")
        for screen, graph in (("score", ids.GAUGE), ("simulate", ids.SIM_GAUGE)):
            _open_tab(duo, screen)
            _wait(lambda g=graph: duo.find_elements(f"#{g} .number"), message=f"{screen} gauge")
            # as the manager sees it: scrolled to (a graph below the fold is laid out when it comes into view)
            duo.driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", graph)
            _wait(lambda g=graph: duo.driver.execute_script(NUMBER_GAP, g) > 8,
                  message=f"{screen}: the number inside the arc at {width} px")
    finally:
        duo.driver.set_window_size(1366, 768)
