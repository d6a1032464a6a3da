"""Layouts are pure functions: given data, they build the expected components and figures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from layouts import decisions, figures, ids, markup, profile, root_layout, search, why
from model.clients.directory import build_directory
from model.clients.profile import ProfileSection
from model.decision import DecisionRule
from settings import Settings
from tests.helpers import walk as _walk


def _ids(component) -> list:
    return [c.id for c in _walk(component) if getattr(c, "id", None) is not None]


def test_root_layout_has_every_screen_and_unique_ids():
    page = root_layout(Settings(page_size=15, similar_group_size=100))
    found = [i for i in _ids(page) if isinstance(i, str)]
    assert len(found) == len(set(found))
    for name in ids.SCREENS:
        assert ids.screen(name) in found and ids.tab(name) in found
    for required in (ids.URL, ids.STATE, ids.LANG, ids.USER, ids.SIGN_OUT, ids.SEARCH, ids.CLIENT_TABLE, ids.GAUGE,
                     ids.WATERFALL, ids.PROFILE_GROUPS, ids.COMPARE_FEATURE, ids.IMPORTANCE, ids.MODEL_CARD):
        assert required in found, required
    # every tab is a keyboard-reachable button; its class says with which mode it is offered
    # (assets/screens.css: the client's tabs with a file open, the manager's without or in the back office)
    tabs = {c.id: c for c in _walk(page) if getattr(c, "role", None) == "tab"}
    assert set(tabs) == {ids.tab(n) for n in ids.SCREENS}
    assert all(type(c).__name__ == "Button" and getattr(c, "tabIndex", None) is None for c in tabs.values())
    kinds = {n: tabs[ids.tab(n)].className.split()[1] for n in ids.SCREENS}
    assert {n for n, k in kinds.items() if k == "tab-client"} == set(ids.CLIENT_SCREENS)
    assert {n for n, k in kinds.items() if k == "tab-manager"} == set(ids.MANAGER_SCREENS) == {"model", "drift"}
    assert kinds["search"] == "tab-search"
    css = (Path(__file__).resolve().parents[1] / "assets" / "screens.css").read_text()
    assert ".app:not(.file-open) .tab-client" in css and ".app.file-open:not(.office-open) .tab-manager" in css
    # every screen is hidden unless it is the one shown
    assert all(f".app:not(.on-{n}) #{ids.screen(n)}" in css for n in ids.SCREENS)
    assert {tabs[ids.tab(n)].to_plotly_json()["props"]["aria-controls"] for n in ids.SCREENS} == \
        {ids.screen(n) for n in ids.SCREENS}


def test_search_layout_translates_columns_and_fills_filter_options():
    opts = {"gender": [{"label": "Femme", "value": "F"}]}
    section = search.layout(opts, "en")
    gender = next(c for c in _walk(section) if getattr(c, "id", None) == ids.filter_id("gender"))
    assert gender.options == opts["gender"] and gender.multi
    assert [c["name"] for c in search.table_columns("en")][0] == "Client number"


def test_decision_badge_uses_icon_words_and_class():
    refused = decisions.decision_badge("refused", "fr")
    assert "decision-refused" in refused.className
    texts = [c.children for c in _walk(refused) if isinstance(getattr(c, "children", None), str)]
    assert "✖" in texts and "Crédit refusé" in texts
    assert "Credit granted" in [c.children for c in _walk(decisions.decision_badge("granted", "en"))
                                if isinstance(getattr(c, "children", None), str)]


def test_gauge_marks_the_threshold_the_referral_band_and_shows_the_probability():
    rule = DecisionRule(0.08, 0.07, 0.10)
    fig = go.Figure(figures.gauge_figure(0.1234, rule, "fr"))   # also validates the plain JSON
    ind = fig.data[0]
    assert ind.value == pytest.approx(12.3) and ind.gauge.threshold.value == pytest.approx(8.0)
    assert list(ind.gauge.axis.range) == [0, 40] and ind.number.font.color == figures.ORANGE
    assert [list(st.range) for st in ind.gauge.steps] == [[0, pytest.approx(7.0)], [pytest.approx(7.0), pytest.approx(10.0)], [pytest.approx(10.0), 40]]
    assert fig.layout.separators == ", "
    assert "7,0" in fig.layout.annotations[0].text and "10,0" in fig.layout.annotations[0].text
    assert go.Figure(figures.gauge_figure(0.05, rule, "en")).data[0].number.font.color == figures.BLUE
    assert go.Figure(figures.gauge_figure(0.085, rule, "en")).data[0].number.font.color == figures.AMBER
    assert list(go.Figure(figures.gauge_figure(0.7, rule, "en")).data[0].gauge.axis.range) == [0, 100]


def test_waterfall_starts_at_base_and_ends_at_the_final_probability():
    bars = [{"label": "Âge : 32 ans", "delta": 0.03}, {"label": "Score externe : 0,7", "delta": -0.05},
            {"label": "12 autres facteurs", "delta": 0.01}]
    fig = go.Figure(figures.waterfall_figure(0.08, bars, 0.07, "fr"))
    w = fig.data[0]
    assert list(w.y) == ["Point de départ\u00a0: risque d'un client type", "Âge : 32 ans", "Score externe : 0,7",
                         "12 autres facteurs", "Probabilité de défaut du client"]
    assert list(w.measure) == ["absolute", "relative", "relative", "relative", "total"]
    assert sum(w.x[:-1]) == pytest.approx(7.0)
    assert w.text[1].startswith("+") and w.text[2].startswith("−")
    assert fig.layout.yaxis.autorange == "reversed"


def test_long_waterfall_labels_wrap_on_two_lines_and_keep_their_value():
    long = "Montant payé total des échéances des crédits antérieurs, sur les 90 derniers jours : 472 116 €"
    wrapped = figures.wrap_label(long)
    first, second = wrapped.split("<br>")
    assert len(first) <= 42 and len(second) <= 42 and second.endswith(" : 472 116 €") and "…" in second
    assert figures.wrap_label("Âge : 32 ans") == "Âge : 32 ans"
    fig = go.Figure(figures.waterfall_figure(0.1, [{"label": long, "delta": 0.01}], 0.11, "fr"))
    assert fig.data[0].y[1] == wrapped and fig.data[0].customdata[1] == long     # full text on hover
    # the left margin fits the longest line, not the whole label
    assert fig.layout.margin.l == figures.label_margin([wrapped]) < figures.label_margin([long])


def test_factor_lists_and_profile_cards():
    ul = why.factor_list(["a < b", "{c}"], "up", "rien")
    assert markup.cells(ul, "ul") == [["▲a < b"], ["▲{c}"]]          # escaped: text, never markup
    assert "<span class=\"factor-icon factor-up\" aria-hidden=\"true\">" in ul.children
    assert markup.cells(why.factor_list([], "down", "rien"), "ul") == [["rien"]]
    cards = profile.profile_cards([ProfileSection("identity", [("Âge", "32 ans"), ("Sexe", "Femme")], hidden=3),
                                   ProfileSection("history_cards", [], hidden=12)], "fr")
    assert markup.cells(cards[0], "dl") == [["Âge"], ["32 ans"], ["Sexe"], ["Femme"]]
    assert 'data-group="identity"' in cards[0].children
    # fields not provided are counted, not listed; a group with nothing provided is named, not drawn
    assert "3 informations non renseignées masquées" in markup.plain_text(cards[0])
    assert len(cards) == 2 and cards[1].children == "Aucune information pour ce client dans\u00a0: Cartes de crédit."
    assert "Aucune rubrique" in profile.profile_cards([], "fr")[0].children


def test_distribution_and_position_figures():
    panel = {"title": "Tous", "x": [1, 2], "width": [1, 1], "repaid": [30, 10], "defaulted": [5, 5], "unknown": [0, 0]}
    fig = figures.distribution_figure([panel, dict(panel, title="Similaires")], 1.5, "Âge (ans)", "fr")
    ys = [sum(tr.y) for tr in fig.data if tr.type == "bar"]
    assert sum(ys) == pytest.approx(200)          # each panel in % of its group
    pos = figures.position_figure([{"label": "Âge", "client": 40, "group": 55}], "fr")
    assert pos.data[0].x == (55,) and pos.data[1].x == (40,)


def test_client_list_rows_and_filter_options_in_both_languages():
    pop = pd.DataFrame({"NAME_CONTRACT_TYPE": ["Cash loans", "Revolving loans"] * 5, "CODE_GENDER": ["F", "M"] * 5,
                        "DAYS_BIRTH": [-9000, -16000] * 5, "AMT_INCOME_TOTAL": [90_000.0, 250_000.0] * 5,
                        "NAME_FAMILY_STATUS": ["Married", None] * 5}, index=range(100001, 100011))
    d = build_directory(pop, pd.DataFrame({"PROBABILITY": np.linspace(0.05, 0.9, 10)}, index=pop.index), DecisionRule(0.5, 0.5, 0.5))
    rows = search.table_rows(d.iloc[:5], "fr")
    assert [r["client"] for r in rows] == list(d.index[:5])
    assert all(r["decision"].endswith(("Crédit accordé", "Crédit refusé")) for r in rows)
    assert all(r["probability"].endswith("%") and "," in r["probability"] for r in rows)
    assert search.level_text("age_band", "25-35", "en") == "25 to 34 years"
    assert search.level_text("gender", "F", "fr") == "Femme"
    opts = search.filter_options(d, "en")
    assert {o["value"] for o in opts["gender"]} == {"F", "M"}        # only levels present
    assert opts["decision"][0]["label"] == "Credit granted"
    assert [r["decision_code"] for r in search.table_rows(d, "en")] == ["granted"] * 5 + ["refused"] * 5
    assert search.table_rows(d.iloc[:1], "en")[0]["decision"] == "✔ Credit granted"
    # cells are coloured from the decision code, not by searching the words or the icon
    table = search.client_table(search.table_rows(d, "en"), "en", 0, 1)
    cells = [c for c in _walk(table) if "col-decision" in (getattr(c, "className", "") or "") and
             getattr(c, "style", None)]
    assert [c.style["color"] for c in cells] == [decisions.COLOURS["granted"]] * 5 + [decisions.COLOURS["refused"]] * 5
    # each client number is a button naming what it opens; the columns put probability and decision first
    buttons = [c for c in _walk(table) if isinstance(getattr(c, "id", None), dict)]
    assert [b.id["client"] for b in buttons] == list(d.index)
    assert buttons[0].to_plotly_json()["props"]["aria-label"] == f"Open the file of client {d.index[0]}"
    assert list(search.COLUMN_KEYS)[:3] == ["client", "probability", "decision"]
