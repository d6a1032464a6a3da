"""Browser tests of the what-if simulator and the counter-offer, in a real headless Chromium.

    .venv/bin/pytest tests/test_ui_simulate.py --headless -q
"""
from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from app import services_of
from callbacks.scoring import cached_score
from layouts import ids
from model.decision import GRANTED
from model.simulation import ANNUITY, CREDIT, GOODS, TERM, with_levers
from model.text.formatting import format_currency, format_percent, parse_amount
from model.text.strings import t
from tests.helpers import file_page, request_body
from tests.helpers import wait_until as _wait
from tests.test_offer_share import MEASURED_FR, measured_summary

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "ui-simulate-key-0123456789"


@pytest.fixture(scope="module")
def sim_app(tiny_scorer, demo_data_dir, tmp_path_factory):
    """The dashboard, its drift folder holding a counter-offer summary of this model with round figures
    (tests/test_offer_share.py), so that the sentence quoting it is known word for word."""
    from app import create_app
    from model.simulation import COUNTER_OFFERS_FILE
    from settings import get_settings

    drift_dir = tmp_path_factory.mktemp("reports")
    (drift_dir / COUNTER_OFFERS_FILE).write_text(json.dumps(measured_summary(tiny_scorer.version)), encoding="utf-8")
    settings = get_settings({"INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "SCORING_LOG": "off",
                             "HOME_CREDIT_DIR": str(demo_data_dir), "API_KEYS": KEY, "DRIFT_DIR": str(drift_dir)})
    return create_app(settings, tiny_scorer)


@pytest.fixture
def sim_duo(sim_app, dash_duo):
    from tests.helpers import served_without_sign_in

    with served_without_sign_in(sim_app, dash_duo) as served:
        yield served


def _not_granted(scorer) -> list[int]:
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    chosen = pds[scorer.rule.decide_all(pds.to_numpy()) != GRANTED].sort_values()
    return [int(c) for c in chosen.index]


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _open_simulation(duo, client: int, lang: str = "fr") -> None:
    duo.driver.get(f"{duo.server_url}{file_page(client, lang)}")
    tab = _wait(lambda: [e for e in duo.find_elements(f"#{ids.tab('simulate')}") if e.is_displayed()],
                message="simulation tab")[0]
    duo.driver.execute_script("arguments[0].click()", tab)
    _wait(lambda: duo.find_element(f"#{ids.lever(CREDIT)}").get_attribute("value"), message="the client's amount")
    _wait(lambda: _text(duo, ids.SIM_PROBABILITY), message="the client's score on the What-if screen")


def _text(duo, element_id: str) -> str:
    return _plain(duo.find_element(f"#{element_id}").text)


def _type(duo, name: str, text: str) -> None:
    box = duo.find_element(f"#{ids.lever(name)}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text, Keys.ENTER)


def _value(duo, name: str) -> str:
    return duo.find_element(f"#{ids.lever(name)}").get_attribute("value")


def test_what_if_equals_predict_and_leaves_the_file_unchanged(sim_duo, sim_app, tiny_scorer):
    services = services_of(sim_app.server)
    simulator = services.simulator
    client = _not_granted(tiny_scorer)[0]
    own = tiny_scorer.score_client(client).probability
    asked, loan = simulator.levers(client), simulator.loan(client)
    _open_simulation(sim_duo, client)
    # the amount is written as every screen writes it, and reads back to the client's amount
    assert _value(sim_duo, CREDIT) == format_currency(asked[CREDIT], "fr")
    assert parse_amount(_value(sim_duo, CREDIT), "fr") == round(asked[CREDIT])
    new_amount = round(asked[CREDIT] * 0.4)
    _type(sim_duo, CREDIT, _plain(format_currency(new_amount, "fr")).replace(" €", ""))     # "95 802", typed

    # the same application sent by a program to POST /api/v1/predict: the payment follows at the same term
    levers = simulator.levers_for(client, float(new_amount), loan.term, asked[GOODS])
    assert levers[ANNUITY] == pytest.approx(asked[ANNUITY] * new_amount / asked[CREDIT])
    changes = {k: levers[k] for k in (CREDIT, ANNUITY, GOODS) if levers[k] is not None}
    frames = with_levers(simulator.frames(client), changes)
    resp = sim_app.server.test_client().post("/api/v1/predict", json=request_body(frames, client),
                                             headers={"X-API-Key": KEY})
    assert resp.status_code == 200, resp.get_json()
    api_pd = resp.get_json()["probability"]
    assert simulator.simulate(client, changes).score.probability == pytest.approx(api_pd, abs=1e-12)
    shown = _plain(format_percent(api_pd, "fr", 1))
    _wait(lambda: shown in _text(sim_duo, ids.SIM_PROBABILITY),
          message=f"simulated PD {shown} (shown: {_text(sim_duo, ids.SIM_PROBABILITY)!r}, {_text(sim_duo, ids.SIM_CHANGES)!r})")
    gauge = sim_duo.driver.execute_script(
        f"return document.querySelector('#{ids.SIM_GAUGE} .js-plotly-plot').data[0].value")
    assert gauge == pytest.approx(round(api_pd * 100, 1))
    assert "SIMULATION" in _text(sim_duo, ids.screen("simulate"))
    listed = _text(sim_duo, ids.SIM_CHANGES)                                   # the change is spelled out
    assert "→" in listed and "Mensualité" in listed and _plain(format_currency(new_amount, "fr")) in listed
    assert _plain(format_currency(levers[ANNUITY], "fr")) in _text(sim_duo, ids.SIM_TERM)

    # the client's file is unchanged: its own score everywhere
    assert simulator.levers(client)[CREDIT] == asked[CREDIT]
    assert tiny_scorer.score_client(client).probability == own
    sim_duo.driver.execute_script("arguments[0].click()", sim_duo.find_element(f"#{ids.tab('score')}"))
    own_text = _plain(format_percent(own, "fr", 1))
    _wait(lambda: own_text in _text(sim_duo, ids.PROBABILITY_TEXT), message="the client's own PD")
    api_own = sim_app.server.test_client().get(f"/api/v1/clients/{client}/score", headers={"X-API-Key": KEY})
    assert api_own.get_json()["probability"] == pytest.approx(own, abs=1e-12)


def test_the_clients_own_application_shows_the_clients_own_score_and_reasons(sim_duo, sim_app, tiny_scorer):
    services = services_of(sim_app.server)
    client = _not_granted(tiny_scorer)[1]
    own = cached_score(services, client)
    _open_simulation(sim_duo, client)
    assert _text(sim_duo, ids.SIM_CHANGES) == _plain(t("simulate.unchanged", "fr"))
    assert _text(sim_duo, ids.SIM_PROBABILITY) == _plain(t("score.probability_value", "fr",
                                                           probability=format_percent(own.probability, "fr", 1)))
    reasons = _text(sim_duo, ids.SIM_REASONS)
    # the Score screen's reasons, word for word
    sim_duo.driver.execute_script("arguments[0].click()", sim_duo.find_element(f"#{ids.tab('score')}"))
    _wait(lambda: _text(sim_duo, ids.REASONS), message="the Score screen's reasons")
    assert reasons and reasons == _text(sim_duo, ids.REASONS)
    # typing the same amount in other words is still the client's application
    sim_duo.driver.execute_script("arguments[0].click()", sim_duo.find_element(f"#{ids.tab('simulate')}"))
    amount = round(services.simulator.levers(client)[CREDIT])
    _type(sim_duo, CREDIT, str(amount))
    _wait(lambda: _value(sim_duo, CREDIT) == str(amount), message="typed")
    assert _text(sim_duo, ids.SIM_CHANGES) == _plain(t("simulate.unchanged", "fr"))


@pytest.mark.parametrize("typed, message", [
    ("abc", "n'est pas un montant"), ("12,5.3", "n'est pas un montant"), ("2 000 000 000", "d'au plus"),
    ("", "indiquez un montant positif"),
])
def test_an_impossible_amount_says_why_and_draws_nothing(sim_duo, tiny_scorer, typed, message):
    client = _not_granted(tiny_scorer)[0]
    _open_simulation(sim_duo, client)
    _type(sim_duo, CREDIT, typed)
    _wait(lambda: message in _text(sim_duo, ids.SIM_ERROR), message=f"the error for {typed!r}")
    assert _text(sim_duo, ids.SIM_PROBABILITY) == ""
    assert not [e for e in sim_duo.get_logs() or [] if e.get("level") == "SEVERE"], sim_duo.get_logs()


def test_the_term_is_chosen_among_the_datas_and_the_payment_follows(sim_duo, sim_app, tiny_scorer):
    simulator = services_of(sim_app.server).simulator
    client = _not_granted(tiny_scorer)[2]
    loan, asked = simulator.loan(client), simulator.levers(client)
    _open_simulation(sim_duo, client)
    select = Select(sim_duo.find_element(f"#{ids.lever(TERM)}"))
    values = [o.get_attribute("value") for o in select.options if o.get_attribute("value")]   # not the placeholder
    assert values == [str(n) for n in simulator.term_options(client)]           # the data's terms, and the client's
    assert set(simulator.records.terms) <= {int(v) for v in values}
    assert select.first_selected_option.get_attribute("value") == str(loan.term)
    assert select.first_selected_option.text == t("simulate.term_own", "fr", months=loan.term)
    longer = max(n for n in simulator.term_options(client))
    select.select_by_value(str(longer))
    levers = simulator.levers_for(client, asked[CREDIT], longer, asked[GOODS])
    want = _plain(format_currency(levers[ANNUITY], "fr"))
    _wait(lambda: want in _text(sim_duo, ids.SIM_TERM) and f"{longer} mois" in _text(sim_duo, ids.SIM_TERM),
          message=f"the payment over {longer} months ({_text(sim_duo, ids.SIM_TERM)!r})")
    pd_text = _plain(format_percent(simulator.simulate(client, {k: levers[k] for k in (CREDIT, ANNUITY, GOODS)
                                                                if levers[k] is not None}).score.probability, "fr", 1))
    _wait(lambda: pd_text in _text(sim_duo, ids.SIM_PROBABILITY), message="the simulated PD")
    assert "Durée du crédit" in _text(sim_duo, ids.SIM_CHANGES)


def test_amounts_are_english_on_the_english_page_and_follow_the_language_switch(sim_duo, sim_app, tiny_scorer):
    simulator = services_of(sim_app.server).simulator
    client = _not_granted(tiny_scorer)[0]
    asked = simulator.levers(client)
    _open_simulation(sim_duo, client, "en")
    assert _value(sim_duo, CREDIT) == format_currency(asked[CREDIT], "en")           # "€95,802"
    assert _value(sim_duo, CREDIT).startswith("€") and "," in _value(sim_duo, CREDIT)
    assert Select(sim_duo.find_element(f"#{ids.lever(TERM)}")).first_selected_option.text.endswith(
        "months (client's application)")
    new_amount = round(asked[CREDIT] * 0.5)
    _type(sim_duo, CREDIT, format_currency(new_amount, "en"))                        # "€47,901", typed as shown
    _wait(lambda: format_currency(new_amount, "en") in _text(sim_duo, ids.SIM_CHANGES), message="the English change")
    assert _text(sim_duo, ids.SIM_TERM).startswith("Monthly payment: €")
    # the language switch writes the same amounts the French way, and the simulation stays the same
    shown = _text(sim_duo, ids.SIM_PROBABILITY).split(": ")[-1]
    sim_duo.driver.find_element(By.XPATH, f"//*[@id='{ids.LANG}']//label[normalize-space()='FR']").click()
    _wait(lambda: _value(sim_duo, CREDIT) == format_currency(new_amount, "fr"), message="the amount in French")
    _wait(lambda: _text(sim_duo, ids.SIM_PROBABILITY).startswith("Probabilité de défaut simulée"),
          message="the French result")
    assert _plain(shown.replace(".", ",").replace("%", " %")) in _text(sim_duo, ids.SIM_PROBABILITY)


def test_every_counter_offer_shown_is_granted_when_simulated(sim_duo, sim_app, tiny_scorer):
    services = services_of(sim_app.server)
    client = next(c for c in _not_granted(tiny_scorer)[:30] if services.simulator.counter_offer(c).proposals)
    offer = services.simulator.counter_offer(client)
    _open_simulation(sim_duo, client)
    sim_duo.driver.execute_script("arguments[0].click()", sim_duo.find_element(f"#{ids.OFFER_SEARCH}"))
    buttons = _wait(lambda: sim_duo.find_elements(f"#{ids.OFFER_BODY} button"), message="proposals")
    assert len(buttons) == len(offer.proposals)
    assert "%" in _text(sim_duo, ids.OFFER_SHARE) or "mesurée" in _text(sim_duo, ids.OFFER_SHARE)
    assert _text(sim_duo, ids.OFFER_SHARE) == MEASURED_FR       # the summary of this model, word for word
    for i, proposal in enumerate(offer.proposals):
        button = sim_duo.find_elements(f"#{ids.OFFER_BODY} button")[i]
        sim_duo.driver.execute_script("arguments[0].click()", button)
        want = _plain(format_percent(proposal.probability, "fr", 1))
        payment = _plain(format_currency(proposal.levers[ANNUITY], "fr"))
        # two proposals may show the same rounded PD: the answer is this proposal's once its payment shows too
        _wait(lambda w=want, m=payment: w in _text(sim_duo, ids.SIM_PROBABILITY) and m in _text(sim_duo, ids.SIM_TERM),
              message=f"proposal {i} simulated")
        # the amount box shows whole euros (94 032,90 € as 94 033 €), read back as the file's own amount
        assert _plain(_value(sim_duo, CREDIT)) == _plain(format_currency(proposal.levers[CREDIT], "fr"))
        assert _value(sim_duo, TERM) == str(proposal.term)
        _wait(lambda: "accordé" in _text(sim_duo, ids.SIM_DECISION).lower(), message="granted")
        assert proposal.probability < tiny_scorer.rule.refer_low
