"""The charts in a real browser (issue 14): what plotly actually draws must not overlap.

    .venv/bin/pytest tests/test_ui_charts.py --headless -q -p no:cacheprovider

The layout of a figure says where plotly should put things; the boxes of the rendered SVG
text elements (getBoundingClientRect) say where they are. Checked at 1366×768 and 800×900:
Compare (legend, subplot titles, client mark, x-axis titles), Model (importance labels and
axis title inside the chart), Why in expert mode (values beside the bars never over the row
labels), and the Profile's group checkboxes in English.
"""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from layouts import ids
from layouts.chart_tables import caption_id, table_id
from tests.helpers import wait_until as _wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(1366, 768), (800, 900)]

#: Boxes of a graph's rendered parts, in page pixels.
BOXES_JS = """
const root = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!root || !root.data || !root.data.length) { return null; }
const box = (e) => { const r = e.getBoundingClientRect();
                     return {l: r.left, r: r.right, t: r.top, b: r.bottom, text: e.textContent}; };
const all = (q) => Array.from(root.querySelectorAll(q)).map(box).filter((b) => b.r - b.l > 0 && b.b - b.t > 0);
return {svg: box(root.querySelector('svg.main-svg')), plots: all('.cartesianlayer .bg, .nsewdrag'),
        legend: all('g.legend'), legend_items: all('g.legend g.traces'),
        annotations: all('g.annotation'), xtitles: all('.g-xtitle text, .g-x2title text'),
        yticks: all('.ytick text'), bartexts: all('.bartext'),
        layout: root.layout};
"""


def _boxes(duo, graph_id: str, ready=lambda b: True) -> dict:
    return _wait(lambda: (lambda b: b if b and ready(b) else None)(duo.driver.execute_script(BOXES_JS, graph_id)),
                 timeout=40, message=f"{graph_id} drawn")


def _overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return min(a["r"], b["r"]) - max(a["l"], b["l"]) > slack and min(a["b"], b["b"]) - max(a["t"], b["t"]) > slack


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return inner["l"] >= outer["l"] - slack and inner["r"] <= outer["r"] + slack and \
        inner["t"] >= outer["t"] - slack and inner["b"] <= outer["b"] + slack


def _open(duo, client: int | None, screen: str, lang: str = "fr", size: tuple[int, int] = SIZES[0]) -> None:
    """``screen`` of ``client``'s file, or of the manager's screens without a file (``client=None``)."""
    duo.driver.set_window_size(*size)
    query = "&".join((["lang=en"] if lang == "en" else []) + ([f"client={client}"] if client is not None else []))
    duo.wait_for_page(f"{duo.server_url}/?{query}")
    tab = _wait(lambda: (lambda b: b if b.is_displayed() else None)(duo.find_element(f"#{ids.tab(screen)}")),
                message=f"{screen} tab")
    tab.click()


def _settled(duo, graph_id: str, ready) -> dict:
    """The boxes once plotly has finished resizing to the window (two equal reads in a row)."""
    before = _boxes(duo, graph_id, ready)
    for _ in range(20):
        time.sleep(0.3)
        now = _boxes(duo, graph_id, ready)
        if now["svg"] == before["svg"] and now["legend"] == before["legend"]:
            return now
        before = now
    return before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_compare_legend_client_mark_and_titles_never_overlap(duo, tiny_scorer, size, lang):
    client = int(tiny_scorer.population.index[7])
    _open(duo, client, "compare", lang, size)
    dist = _settled(duo, ids.COMPARE_DISTRIBUTION, lambda b: len(b["annotations"]) >= 2 and b["legend"])
    layout = dist["layout"]
    this_client = "Ce client" if lang == "fr" else "This client"
    # the client is in the legend (dashed line), not an annotation over the subplot titles
    assert all(this_client not in a["text"] for a in layout.get("annotations", []))
    assert any(this_client in item["text"] for item in dist["legend_items"])
    titles = dist["annotations"]
    for i, a in enumerate(titles):
        assert not any(_overlap(a, b) for b in titles[i + 1:]), titles          # "Tous les clientsCe client"
        assert not any(_overlap(a, leg) for leg in dist["legend"]), (a, dist["legend"])
        assert not any(_overlap(a, plot) for plot in dist["plots"]), (a, dist["plots"])
    assert len(dist["xtitles"]) == 2
    for x_title in dist["xtitles"]:
        assert not any(_overlap(x_title, leg) for leg in dist["legend"]), (x_title, dist["legend"])
        assert _inside(x_title, dist["svg"]), (x_title, dist["svg"])           # not cut by the figure's edge
    for leg in dist["legend"]:
        assert _inside(leg, dist["svg"]) and not any(_overlap(leg, plot) for plot in dist["plots"])

    position = _settled(duo, ids.COMPARE_PROFILE, lambda b: b["legend"] and b["yticks"])
    (x_title,) = position["xtitles"]
    for leg in position["legend"]:
        assert not _overlap(leg, x_title) and not any(_overlap(leg, tick) for tick in position["yticks"])
        assert not any(_overlap(leg, plot) for plot in position["plots"])
    assert _inside(x_title, position["svg"]), (x_title, position["svg"])
    assert not position["layout"].get("annotations")
    # the accessible name follows the language; the table alternative is there
    caption = duo.find_element(f"#{caption_id(ids.COMPARE_DISTRIBUTION)}").get_attribute("textContent")
    assert caption.startswith("Répartition" if lang == "fr" else "How clients spread")
    holder = duo.driver.find_element(By.CSS_SELECTOR, f"[aria-labelledby='{caption_id(ids.COMPARE_DISTRIBUTION)}']")
    assert holder.get_attribute("role") == "img"
    rows = duo.driver.find_elements(By.CSS_SELECTOR, f"#{table_id(ids.COMPARE_DISTRIBUTION)} tbody tr")
    assert len(rows) >= 2


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_model_importance_chart_has_room_for_its_labels_and_axis_title(duo, tiny_scorer, size):
    _open(duo, None, "model", "fr", size)          # the manager's screen: no file open
    imp = _settled(duo, ids.IMPORTANCE, lambda b: b["yticks"] and b["xtitles"])
    (x_title,) = imp["xtitles"]
    assert x_title["text"] == "Importance moyenne (log-odds)"
    assert _inside(x_title, imp["svg"]), (x_title, imp["svg"])                   # "Importance moyenne (log" no more
    plot = max(imp["plots"], key=lambda p: p["r"] - p["l"])
    width = imp["svg"]["r"] - imp["svg"]["l"]
    assert plot["r"] - plot["l"] >= 0.4 * width, (plot, width)                  # the bars get the width
    for tick in imp["yticks"]:
        assert tick["r"] <= plot["l"] + 1 and tick["l"] >= imp["svg"]["l"] - 1, tick   # labels beside the bars, whole
    rows = duo.driver.find_elements(By.CSS_SELECTOR, f"#{table_id(ids.IMPORTANCE)} tbody tr")
    assert len(rows) == len(imp["yticks"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_why_expert_values_never_overlap_the_row_labels(duo, tiny_scorer, size):
    scores = tiny_scorer.scores["PROBABILITY"]
    client = int(scores.index[scores >= tiny_scorer.rule.refer_high][0])
    _open(duo, client, "why", "fr", size)
    _boxes(duo, ids.WATERFALL, lambda b: b["bartexts"])
    # the expert mode is the manager's: in the back office, behind its confirmation
    duo.driver.execute_script("document.getElementById(arguments[0]).click()", ids.BACK_OFFICE_OPEN)
    confirm = _wait(lambda: (lambda b: b if b.is_displayed() else None)(duo.find_element(f"#{ids.BACK_OFFICE_CONFIRM}")),
                    message="back office confirmation")
    confirm.click()
    _wait(lambda: duo.find_element(f"#{ids.EXPERT}").is_displayed(), message="expert switch offered")
    duo.driver.execute_script("document.getElementById(arguments[0]).click()", ids.EXPERT)
    why = _settled(duo, ids.WATERFALL, lambda b: b["bartexts"] and "_" in "".join(t["text"] for t in b["yticks"]))
    assert why["layout"]["xaxis"]["title"]["text"].endswith("(log-odds)")
    for text in why["bartexts"]:
        assert not any(_overlap(text, tick) for tick in why["yticks"]), (text, why["yticks"])
        assert text["r"] <= why["svg"]["r"] + 1, text


def test_profile_group_checkboxes_follow_the_language(duo, tiny_scorer):
    client = int(tiny_scorer.population.index[5])
    _open(duo, client, "profile", "en")

    def labels() -> list[str]:
        return [e.text for e in duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.PROFILE_GROUPS} label")]

    english = _wait(lambda: (lambda got: got if "Requested credit" in got else None)(labels()),
                    message="English group checkboxes")
    assert "Income and employment" in english and not {"Crédit demandé", "Revenus et emploi"} & set(english)
    values = _wait(lambda: [e.text for e in duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.PROFILE_BODY} dd")],
                   message="profile in English")
    assert "not provided" not in values                               # not provided: hidden, and counted
    assert english[:3] == ["Requested credit", "Income and employment", "Identity and family"]
    duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='FR']").click()
    _wait(lambda: "Crédit demandé" in labels(), message="French group checkboxes after the switch")
