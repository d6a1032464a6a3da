"""Charts and the words around them (issue 14): pure functions, no browser.

Ordinals and signs in both languages, no French spacing in English, chart texts of at least
16 px, compare figures whose legend and client mark cannot overlap their titles, table
alternatives holding the figures' numbers, the profile's order and hidden fields, the model
card's cost unit. The same charts are checked in a real browser in tests/test_ui_charts.py.
"""
from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from callbacks.compare import bin_words, panel
from callbacks.model_card import card_rows
from layouts import chart_tables, figures, ids, model_card, root_layout
from layouts.chart_tables import table_cells
from layouts.profile import GROUPS, group_options, in_reading_order
from model.clients.book import READABLE_COMPARE, compare_choices
from model.clients.profile import MANAGER_FIELDS, profile_fields, profile_sections, without_twins
from model.clients.similar import GroupSummary
from model.decision import DecisionRule
from model.text.formatting import MINUS, NNBSP, format_currency, format_number, format_ordinal, format_percent
from model.text.labels import feature_info, format_value, humanise_level, level_label
from settings import Settings
from tests.helpers import walk

RULE = DecisionRule(0.097, 0.08, 0.12)
PANEL = {"title": "Tous les clients", "x": [25.0, 35.0, 45.0], "width": [9.5, 9.5, 9.5],
         "labels": ["20 à 30", "30 à 40", "40 à 50"], "repaid": [30, 50, 10], "defaulted": [5, 4, 1],
         "unknown": [0, 0, 0]}
SIMILAR = dict(PANEL, title="100 clients similaires", repaid=[10, 70, 12], defaulted=[1, 6, 1], unknown=[0, 0, 0])
POSITION_ROWS = [{"label": "Âge", "client": 40.4, "group": 55.0}, {"label": "Revenu mensuel", "client": 1.6, "group": 12.0},
                 {"label": "Retard moyen de paiement des échéances", "client": None, "group": 30.0},
                 {"label": "Rien du tout", "client": None, "group": None}]
BARS = [{"label": "Notations externes", "delta": 0.062}, {"label": "Coordonnées fournies", "delta": -0.01},
        {"label": "3 autres facteurs", "delta": 0.003}]
EXPERT_BARS = [{"label": "EXT_SOURCE_MEAN = 0,31", "delta": 0.289}, {"label": "DAYS_LAST_PHONE_CHANGE = 0 an", "delta": -0.1},
               {"label": "__other__ (431)", "delta": -0.669}]


def _figures(lang: str) -> dict[str, dict[str, Any]]:
    """Every figure of the dashboard, as the plain JSON the browser receives."""
    def plain(fig: Any) -> dict[str, Any]:
        return fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    return {
        "gauge": plain(figures.gauge_figure(0.1234, RULE, lang)),
        "waterfall": plain(figures.waterfall_figure(0.047, BARS, 0.102, lang)),
        "waterfall_expert": plain(figures.waterfall_figure(-3.012, EXPERT_BARS, -3.492, lang, unit="log_odds")),
        "importance": plain(figures.importance_figure([("Score externe le plus haut", 0.19),
                                                       ("Part des échéances payées en partie seulement des crédits "
                                                        "antérieurs", 0.11)], lang)),
        "distribution": plain(figures.distribution_figure([PANEL, SIMILAR], 33.0, "Âge (ans)", lang, "33 ans")),
        "distribution_category": plain(figures.distribution_figure(
            [dict(PANEL, x=["Salarié(e)", "Retraité(e)", "Étudiant(e)"], width=None, labels=None)], "Retraité(e)",
            "Source de revenus", lang)),
        "position": plain(figures.position_figure(POSITION_ROWS, lang)),
        "empty": figures.empty_figure("Aucun client"),
    }


def _strings(obj: Any) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, (list, tuple)):
        return [s for v in obj for s in _strings(v)]
    return []


def _font_sizes(obj: Any, path: str = "") -> list[tuple[str, float]]:
    """(where, size) of every font size set anywhere in a figure."""
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.endswith("font") and isinstance(v, dict) and "size" in v:
                out.append((f"{path}.{k}", v["size"]))
            out += _font_sizes(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += _font_sizes(v, f"{path}[{i}]")
    return out


# -- words and numbers ----------------------------------------------------------------------
@pytest.mark.parametrize(("n", "en", "fr"), [
    (0, "0th", "0e"), (1, "1st", "1er"), (2, "2nd", "2e"), (3, "3rd", "3e"), (4, "4th", "4e"), (11, "11th", "11e"),
    (12, "12th", "12e"), (13, "13th", "13e"), (21, "21st", "21e"), (22, "22nd", "22e"), (23, "23rd", "23e"),
    (100, "100th", "100e"), (101, "101st", "101e"), (111, "111th", "111e"), (112, "112th", "112e")])
def test_ordinals_in_both_languages(n, en, fr):
    assert format_ordinal(n, "en") == en and format_ordinal(n, "fr") == fr


def test_percentile_sentences_use_correct_ordinals():
    assert figures.percentile_text(2, "en") == "2nd percentile" and figures.percentile_text(2.4, "fr") == "2e centile"
    assert figures.percentile_text(1, "fr") == "1er centile" and figures.percentile_text(11.2, "en") == "11th percentile"
    assert figures.percentile_text(None, "en") == "not provided"


def test_negative_numbers_use_the_minus_sign_never_a_hyphen():
    assert format_number(-1234.5, "fr", 1) == f"{MINUS}1{NNBSP}234,5"
    assert format_currency(-162526, "fr") == f"{MINUS}162{NNBSP}526\u00a0€"
    assert format_currency(-220726, "en") == f"{MINUS}€220,726"
    assert format_percent(-0.05, "en") == f"{MINUS}5%"
    assert format_value("INCOME_MINUS_ANNUITY", -220726.0, "fr") == f"{MINUS}220{NNBSP}726\u00a0€"
    assert format_number(-0.0001, "fr", 2) == "0,00" and format_currency(-0.2, "en") == "€0"   # no "−0"
    for lang in ("fr", "en"):
        for text in _strings(_figures(lang)):
            assert not re.search(r"(^|[\s>(])-\d", text), text


def test_no_french_space_before_percent_in_english():
    assert format_percent(0.339, "en", 1) == "33.9%" and format_percent(0.339, "fr", 1) == f"33,9{NNBSP}%"
    for name, fig in _figures("en").items():
        for text in _strings(fig):
            assert not re.search(r"[\s\u00a0\u202f]%(?!\{)", text), (name, text)     # "%{x}" is a placeholder
    gauge = _figures("en")["gauge"]["data"][0]
    assert gauge["number"]["suffix"] == "%" and gauge["gauge"]["axis"]["ticksuffix"] == "%"
    assert "4.7%" in _figures("en")["waterfall"]["data"][0]["text"]
    assert f"4,7{NNBSP}%" in _figures("fr")["waterfall"]["data"][0]["text"]


def test_unknown_levels_are_humanised_and_frequent_ones_translated():
    assert humanise_level("Trade: type 7") == "Trade (type 7)"
    assert humanise_level("Business Entity Type 3") == "Business entity (type 3)"
    assert humanise_level("low_normal") == "Low normal" and humanise_level("CASH LOANS") == "Cash loans"
    assert level_label("ORGANIZATION_TYPE", "Business Entity Type 3", "fr") == "Entreprise (type 3)"
    assert level_label("ORGANIZATION_TYPE", "Self-employed", "en") == "Self-employed"
    assert level_label("ORGANIZATION_TYPE", "Self-employed", "fr") == "Indépendant(e)"
    assert level_label("PRODUCT_COMBINATION", "POS mobile with interest", "fr") == \
        "Achat en magasin, téléphone mobile, avec intérêts"
    assert level_label("CODE_REJECT_REASON", "LIMIT", "en") == "Credit limit reached"
    assert level_label("NO_SUCH_COLUMN", "Industry: type 11", "en") == "Industry (type 11)"


# -- readability: 16 px at least ------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_chart_text_is_at_least_16_px(lang):
    for name, fig in _figures(lang).items():
        layout = fig["layout"]
        if name != "empty":
            assert layout["font"]["size"] >= figures.MIN_FONT, name
        sizes = _font_sizes(fig)
        assert sizes, name
        small = [(where, size) for where, size in sizes if size < figures.MIN_FONT]
        assert not small, (name, small)


# -- compare: nothing overlaps the titles ------------------------------------------------------
def _pixel_rows(fig: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """Vertical extent (pixels from the top of the figure) of the legend, the subplot titles,
    the plot area and the x-axis titles, from the layout alone."""
    lay = fig["layout"]
    top, bottom, height = lay["margin"]["t"], lay["margin"]["b"], lay["height"]
    rows = {"plot": (top, height - bottom)}
    legend = lay["legend"]
    assert legend["yref"] == "container" and legend["y"] == 1 and legend["yanchor"] == "top"
    assert legend["orientation"] == "h"
    rows["legend"] = (0, 2 * figures.LEGEND_ROW)          # room for two rows of legend (a narrow window)
    titles = [a for a in lay.get("annotations", [])]
    if titles:
        rows["titles"] = (top - figures.TITLE_ROW, top)
    lines = max(str(lay[k].get("title", {}).get("text", "")).count("<br>") + 1 for k in lay if k.startswith("xaxis"))
    rows["x_title"] = (height - bottom + 30, height - bottom + 30 + 24 * lines)
    return rows


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_compare_legend_and_client_mark_cannot_overlap_titles(lang):
    figs = _figures(lang)
    dist = figs["distribution"]
    lay = dist["layout"]
    # the only annotations are the subplot titles, just above each plot: the client is not an annotation
    assert [a["text"] for a in lay["annotations"]] == ["Tous les clients", "100 clients similaires"]
    for a in lay["annotations"]:
        assert a["yref"] == "paper" and a["y"] == 1 and a["yanchor"] == "bottom"
    assert all(lay[k]["domain"][1] == 1 for k in lay if k.startswith("yaxis"))     # titles sit on the plots' top
    assert not lay.get("shapes")
    client = [tr for tr in dist["data"] if tr.get("legendgroup") == "client"]
    assert len(client) == 2 and client[0]["showlegend"] and not client[1]["showlegend"]
    assert client[0]["name"] == ("Ce client : 33 ans".replace(" :", "\u00a0:") if lang == "fr" else "This client: 33 ans")
    for fig in (dist, figs["position"], figs["distribution_category"]):
        rows = _pixel_rows(fig)
        spans = sorted(rows.values())
        for (_, a1), (b0, _) in zip(spans, spans[1:]):
            assert a1 <= b0, rows                       # legend, titles, plot and x-axis title never overlap
        assert rows["x_title"][1] <= fig["layout"]["height"]
    assert not figs["position"]["layout"].get("annotations")


def test_compare_figure_without_a_client_value_says_so():
    fig = figures.distribution_figure([PANEL], None, "Âge (ans)", "en").to_plotly_json()
    names = [tr["name"] for tr in fig["data"] if tr.get("legendgroup") == "client"]
    assert names == ["This client: not provided"]
    assert all(v is None for tr in fig["data"] if tr.get("legendgroup") == "client" for v in tr["x"])


def test_axis_titles_say_what_they_measure():
    fr, en = _figures("fr"), _figures("en")
    assert fr["distribution"]["layout"]["yaxis"]["title"]["text"] == "Part des clients (%)"
    assert en["distribution"]["layout"]["yaxis"]["title"]["text"] == "Share of clients (%)"
    assert en["position"]["layout"]["xaxis"]["title"]["text"].replace("<br>", " ") == \
        "Percentile among all clients (0 = the lowest)"
    assert fr["position"]["layout"]["xaxis"]["title"]["text"].replace("<br>", " ") == \
        "Centile parmi tous les clients (0 = le plus bas)"


def test_position_rows_without_a_value_are_dropped_or_say_so():
    rows = figures.position_rows(POSITION_ROWS, "en")
    assert [r["label"] for r in rows] == ["Âge", "Revenu mensuel",
                                          "Retard moyen de paiement des échéances (client: not provided)"]
    fig = figures.position_figure(POSITION_ROWS, "en")
    assert len(fig.data[0].y) == 3 and fig.data[0].y[2].endswith("<br>(client: not provided)")


# -- Why: the waterfall's texts never run over the row labels --------------------------------------
@pytest.mark.parametrize("name", ["waterfall", "waterfall_expert"])
def test_waterfall_outside_texts_fit_inside_the_axis_range(name):
    fig = _figures("fr")[name]
    trace, lay = fig["data"][0], fig["layout"]
    lo, hi = lay["xaxis"]["range"]
    width = hi - lo
    assert lay["xaxis"]["autorange"] is False and trace["textposition"] == "outside"
    for (start, end), text in zip(figures.bar_spans(trace["x"]), trace["text"]):
        room = figures.text_width(text) / figures.narrow_plot(lay["margin"]) * width
        if end < start:
            assert end - room >= lo - 1e-9, text      # a text left of its bar stays right of the axis start
        else:
            assert end + room <= hi + 1e-9, text
    assert lay["margin"]["l"] == figures.label_margin(trace["y"])


# -- Model: the importance chart gets the width --------------------------------------------------
def test_importance_chart_has_wrapped_labels_room_and_its_unit():
    fig = _figures("fr")["importance"]
    bar, lay = fig["data"][0], fig["layout"]
    assert bar["y"][1] == figures.wrap_label(bar["customdata"][1], 36) and "<br>" in bar["y"][1]
    assert lay["margin"]["l"] == figures.label_margin(bar["y"]) and lay["yaxis"]["automargin"] is False
    assert lay["xaxis"]["title"]["text"] == "Importance moyenne (log-odds)" and lay["margin"]["b"] >= 60
    cols = [c for c in walk(model_card.layout("fr")) if type(c).__name__ == "Col"]
    assert cols[0].lg == 8 and cols[1].lg == 4


def test_model_card_says_the_unit_of_the_business_cost():
    meta = SimpleNamespace(cv_metrics={"chosen": {"auc": 0.805, "cost_per_client": 0.46}}, created_at="2026-12-02T17:53:00",
                           cost_weights={"fn": 10.0, "fp": 1.0}, version="v1", threshold=0.097)
    rows = dict(card_rows(meta, "fr"))
    assert rows["Coût métier moyen par client"] == "0,460 (unité\u00a0: le coût d'un bon client refusé)"
    assert dict(card_rows(meta, "en"))["Average business cost per client"] == \
        "0.460 (unit: the cost of one good client turned down)"
    meta.cost_weights = {"fn": 20.0, "fp": 2.0}     # another unit: still counted in good clients turned down
    assert dict(card_rows(meta, "en"))["Average business cost per client"].startswith("0.230 ")


# -- table alternatives: the same numbers as the figures ------------------------------------------------
def test_distribution_table_holds_the_bars_numbers():
    lang = "fr"
    fig = figures.distribution_figure([PANEL, SIMILAR], 33.0, "Âge (ans)", lang, "33 ans")
    cells = table_cells(chart_tables.distribution_table([PANEL, SIMILAR], "Âge (ans)", lang))
    assert [r[0] for r in cells] == PANEL["labels"]
    bars = [tr for tr in fig.data if tr.type == "bar"]
    columns = list(zip(*[r[1:] for r in cells]))
    assert len(columns) == len(bars) == 4
    for bar, column in zip(bars, columns):
        assert [format_number(y, lang, 1) + f"{NNBSP}%" for y in bar.y] == list(column)
        assert [c[1] for c in bar.customdata] == list(column)          # hover shows the same words


def test_position_table_holds_the_chart_numbers():
    fig = figures.position_figure(POSITION_ROWS, "en")
    cells = table_cells(chart_tables.position_table(POSITION_ROWS, "en"))
    assert cells == [["Âge", "40th percentile", "55th percentile"], ["Revenu mensuel", "2nd percentile", "12th percentile"],
                     ["Retard moyen de paiement des échéances (client: not provided)", "not provided", "30th percentile"]]
    assert [figures.percentile_text(x, "en") for x in fig.data[1].x] == [r[1] for r in cells]
    assert [figures.percentile_text(x, "en") for x in fig.data[0].x] == [r[2] for r in cells]


def test_importance_waterfall_and_gauge_tables_hold_the_figures_numbers():
    rows = [("Score externe le plus haut", 0.19123), ("Score externe moyen", 0.0456)]
    assert table_cells(chart_tables.importance_table(rows, "en")) == [["Score externe le plus haut", "0.191"],
                                                                      ["Score externe moyen", "0.046"]]
    fig = figures.waterfall_figure(0.047, BARS, 0.102, "en")
    cells = table_cells(chart_tables.waterfall_table(fig, "en"))
    assert [c[0] for c in cells] == fig["data"][0]["customdata"] and [c[1] for c in cells] == fig["data"][0]["text"]
    assert cells[0] == ["Starting point: risk of a typical client", "4.7%"] and cells[1][1] == "+6.2 pt"
    gauge = figures.gauge_figure(0.1234, RULE, "fr")["data"][0]
    cells = dict(table_cells(chart_tables.gauge_table(0.1234, RULE, "fr")))
    assert cells["Probabilité de défaut"] == f"{format_number(gauge['value'], 'fr', 1)}{NNBSP}%" == f"12,3{NNBSP}%"
    assert cells["Seuil"] == f"{format_number(gauge['gauge']['threshold']['value'], 'fr', 1)}{NNBSP}%"
    assert cells["Zone où un analyste décide"] == f"8,0{NNBSP}% à 12,0{NNBSP}%"
    assert cells["Décision"] == "Crédit refusé"
    assert "Band where an analyst decides" not in dict(table_cells(
        chart_tables.gauge_table(0.05, DecisionRule(0.1, 0.1, 0.1), "en")))


def test_every_chart_has_an_accessible_name_and_a_table_next_to_it():
    page = root_layout(Settings(page_size=15, similar_group_size=100))
    nodes = list(walk(page))
    by_id = {c.id: c for c in nodes if isinstance(getattr(c, "id", None), str)}
    graphs = [c for c in nodes if type(c).__name__ == "Graph"]
    assert {g.id for g in graphs} >= {ids.WATERFALL, ids.COMPARE_DISTRIBUTION, ids.COMPARE_PROFILE, ids.IMPORTANCE}
    for graph in graphs:
        if graph.id == ids.GAUGE and chart_tables.table_id(ids.GAUGE) not in by_id:
            continue          # the score screen places its own gauge (chart_tables.gauge_table)
        holder = next(c for c in nodes if getattr(c, "role", None) == "img" and graph in list(walk(c)))
        name_id = holder.to_plotly_json()["props"]["aria-labelledby"]
        caption = by_id[name_id]
        assert type(caption).__name__ == "Figcaption" and caption.children.id["type"] == ids.TEXT
        assert chart_tables.table_id(graph.id) in by_id
        figure = next(c for c in nodes if type(c).__name__ == "Figure" and holder in list(walk(c)))
        assert by_id[chart_tables.table_id(graph.id)] in list(walk(figure))       # the table sits next to the chart
    captions = [c.children.id["key"] for c in nodes if type(c).__name__ in ("Figcaption", "Summary")]
    assert len(captions) == len(set(captions))         # each translated text once in the page


# -- compare: the choice of features and the bins in words ---------------------------------------------
def test_compare_offers_the_readable_application_fields_first():
    pop = pd.DataFrame({c: [1.0, 2.0] for c in ("AMT_INCOME_TOTAL", "AMT_CREDIT", "DAYS_BIRTH", "AGE_YEARS",
                                                "EXT_SOURCE_2", "CODE_GENDER")})
    order = ["EXT_SOURCE_2", "AGE_YEARS", "CODE_GENDER", "AMT_CREDIT"]
    assert compare_choices(order, pop, ("CODE_GENDER",)) == ["AMT_INCOME_TOTAL", "AMT_CREDIT", "DAYS_BIRTH",
                                                             "EXT_SOURCE_2"]
    assert {"AMT_INCOME_TOTAL", "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE", "DAYS_BIRTH", "DAYS_EMPLOYED"} <= \
        set(READABLE_COMPARE)


def test_bins_are_written_in_the_axis_units():
    assert bin_words(feature_info("DAYS_BIRTH"), 30.0, 35.0, "fr") == "30 à 35"
    assert bin_words(feature_info("AMT_CREDIT"), 100000.0, 150000.0, "en") == "€100,000 to €150,000"
    assert bin_words(feature_info("ANNUITY_INCOME_RATIO"), 10.0, 15.0, "fr") == f"10{NNBSP}% à 15{NNBSP}%"
    assert bin_words(feature_info("CNT_CHILDREN"), 1.5, 2.5, "en") == "2"
    summary = GroupSummary("CREDIT_INCOME_RATIO", "numeric", 100, 90, 10, 0, 0.1, 0, None, {}, [0.1, 0.2, 0.3],
                           {"repaid": [50, 40], "defaulted": [6, 4], "unknown": [0, 0]})
    p = panel(summary, "Tous", "en")
    assert p["x"] == pytest.approx([15.0, 25.0]) and p["labels"] == ["10% to 20%", "20% to 30%"]   # % on a "(%)" axis
    # a monthly payment over the monthly income is drawn as the client's value is written
    monthly = GroupSummary("ANNUITY_INCOME_RATIO", "numeric", 100, 90, 10, 0, 0.1, 0, None, {}, [0.10, 0.15, 0.20],
                           {"repaid": [50, 40], "defaulted": [6, 4], "unknown": [0, 0]})
    assert panel(monthly, "Tous", "en")["labels"] == ["10% to 15%", "15% to 20%"]


# -- profile: what a manager talks about, first; nothing "not provided" ---------------------------------
def test_profile_groups_and_fields_open_on_what_a_manager_talks_about():
    assert GROUPS[:3] == ("loan", "income_employment", "identity")
    assert in_reading_order(["identity", "loan", "housing"]) == ["loan", "identity", "housing"]
    assert [o["label"] for o in group_options("en")][:2] == ["Requested credit", "Income and employment"]
    features = ["DAYS_ID_PUBLISH", "DAYS_REGISTRATION", "AGE_YEARS", "DAYS_BIRTH", "CNT_CHILDREN", "NAME_FAMILY_STATUS",
                "AMT_GOODS_PRICE", "AMT_ANNUITY", "AMT_CREDIT", "EMPLOYED_YEARS", "DAYS_EMPLOYED", "AMT_INCOME_TOTAL"]
    order = ["DAYS_ID_PUBLISH", "AGE_YEARS", "DAYS_REGISTRATION", "AMT_GOODS_PRICE", "EMPLOYED_YEARS"]
    fields = profile_fields(features, order, ["loan", "income_employment", "identity"], per_group=None)
    assert fields["loan"] == ["AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"]
    assert fields["income_employment"] == ["AMT_INCOME_TOTAL", "DAYS_EMPLOYED"]          # no "years in job" twin
    assert fields["identity"][:3] == ["DAYS_BIRTH", "NAME_FAMILY_STATUS", "CNT_CHILDREN"]
    assert "AGE_YEARS" not in fields["identity"] and fields["identity"][-2:] == ["DAYS_ID_PUBLISH", "DAYS_REGISTRATION"]
    assert without_twins(["AGE_YEARS"]) == ["AGE_YEARS"] and MANAGER_FIELDS[0] == "AMT_CREDIT"


def test_profile_hides_fields_not_provided_and_empty_groups():
    features = ["AMT_CREDIT", "AMT_ANNUITY", "DAYS_BIRTH", "CNT_CHILDREN", "OWN_CAR_AGE", "AMT_REQ_CREDIT_BUREAU_YEAR"]
    row = pd.Series({"AMT_CREDIT": 500000.0, "AMT_ANNUITY": float("nan"), "DAYS_BIRTH": -12000.0,
                     "CNT_CHILDREN": None, "OWN_CAR_AGE": float("nan"), "AMT_REQ_CREDIT_BUREAU_YEAR": float("nan")})
    sections = profile_sections(row, features, [], ["loan", "identity", "history_bureau"], lang="en")
    by_group = {s.group: s for s in sections}
    assert by_group["loan"].rows == [("Loan amount", "€500,000")] and by_group["loan"].hidden == 1
    assert [label for label, _ in by_group["identity"].rows] == ["Age"] and by_group["identity"].hidden == 2
    assert by_group["history_bureau"].rows == [] and by_group["history_bureau"].hidden == 1
    assert all("not provided" not in value for s in sections for _, value in s.rows)
    # a field the manager picks is shown as it is, even when not provided
    picked = profile_sections(row, features, [], ["loan"], ["AMT_ANNUITY"], "en")
    assert picked[0].rows == [("Monthly payment", "not provided")]
