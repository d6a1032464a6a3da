"""Browser tests of the what-if simulator and the counter-offer, in a real headless Chromium.

    .venv/bin/pytest tests/test_ui_simulate.py --headless -q
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from app import services_of
from layouts import ids
from model.decision import GRANTED
from model.simulation import CREDIT, with_levers
from model.text.formatting import format_percent
from tests.helpers import request_body
from tests.helpers import wait_until as _wait

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "ui-simulate-key-0123456789"


@pytest.fixture(scope="module")
def sim_app(tiny_scorer, demo_data_dir, tmp_path_factory):
    from app import create_app
    from settings import get_settings

    settings = get_settings({"INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "SCORING_LOG": "off",
                             "HOME_CREDIT_DIR": str(demo_data_dir), "API_KEYS": KEY})
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


def _open_simulation(duo, client: int) -> None:
    duo.driver.get(f"{duo.server_url}/?client={client}")
    tab = _wait(lambda: [e for e in duo.find_elements(f"#{ids.tab('simulate')}") if e.is_displayed()],
                message="simulation tab")[0]
    duo.driver.execute_script("arguments[0].click()", tab)
    _wait(lambda: duo.find_element(f"#{ids.lever(CREDIT)}").get_attribute("value"), message="the client's amount")


def _text(duo, element_id: str) -> str:
    return duo.find_element(f"#{element_id}").text.replace("\u202f", " ").replace("\u00a0", " ")


def test_what_if_equals_predict_and_leaves_the_file_unchanged(sim_duo, sim_app, tiny_scorer):
    services = services_of(sim_app.server)
    client = _not_granted(tiny_scorer)[0]
    own = tiny_scorer.score_client(client).probability
    _open_simulation(sim_duo, client)
    box = sim_duo.find_element(f"#{ids.lever(CREDIT)}")
    asked = float(box.get_attribute("value"))
    assert asked == pytest.approx(services.simulator.levers(client)[CREDIT])
    new_amount = round(asked * 0.4)
    box.clear()
    box.send_keys(str(new_amount), Keys.ENTER)

    # the same application sent by a program to POST /api/v1/predict
    frames = with_levers(services.simulator.frames(client), {CREDIT: float(new_amount)})
    resp = sim_app.server.test_client().post("/api/v1/predict", json=request_body(frames, client),
                                             headers={"X-API-Key": KEY})
    assert resp.status_code == 200, resp.get_json()
    api_pd = resp.get_json()["probability"]
    assert services.simulator.simulate(client, {CREDIT: float(new_amount)}).score.probability == \
        pytest.approx(api_pd, abs=1e-12)
    shown = format_percent(api_pd, "fr", 1).replace("\u202f", " ").replace("\u00a0", " ")
    _wait(lambda: shown in _text(sim_duo, ids.SIM_PROBABILITY),
          message=f"simulated PD {shown} (shown: {_text(sim_duo, ids.SIM_PROBABILITY)!r}, {_text(sim_duo, ids.SIM_CHANGES)!r})")
    gauge = sim_duo.driver.execute_script(
        f"return document.querySelector('#{ids.SIM_GAUGE} .js-plotly-plot').data[0].value")
    assert gauge == pytest.approx(round(api_pd * 100, 1))
    assert "SIMULATION" in _text(sim_duo, ids.screen("simulate"))
    assert "→" in _text(sim_duo, ids.SIM_CHANGES)                       # the change is spelled out

    # the client's file is unchanged: its own score everywhere
    assert services.simulator.levers(client)[CREDIT] == asked
    assert tiny_scorer.score_client(client).probability == own
    sim_duo.driver.execute_script("arguments[0].click()", sim_duo.find_element(f"#{ids.tab('score')}"))
    own_text = format_percent(own, "fr", 1).replace("\u202f", " ").replace("\u00a0", " ")
    _wait(lambda: own_text in _text(sim_duo, ids.PROBABILITY_TEXT), message="the client's own PD")
    api_own = sim_app.server.test_client().get(f"/api/v1/clients/{client}/score", headers={"X-API-Key": KEY})
    assert api_own.get_json()["probability"] == pytest.approx(own, abs=1e-12)


def test_an_impossible_value_says_why_and_draws_nothing(sim_duo, tiny_scorer):
    client = _not_granted(tiny_scorer)[0]
    _open_simulation(sim_duo, client)
    box = sim_duo.find_element(f"#{ids.lever('AMT_ANNUITY')}")
    box.clear()
    box.send_keys("99999999", Keys.ENTER)
    _wait(lambda: "mensualité ne peut pas dépasser" in _text(sim_duo, ids.SIM_ERROR), message="the error")
    assert _text(sim_duo, ids.SIM_PROBABILITY) == ""


def test_every_counter_offer_shown_is_granted_when_simulated(sim_duo, sim_app, tiny_scorer):
    services = services_of(sim_app.server)
    client = next(c for c in _not_granted(tiny_scorer)[:30] if services.simulator.counter_offer(c).proposals)
    offer = services.simulator.counter_offer(client)
    _open_simulation(sim_duo, client)
    sim_duo.driver.execute_script("arguments[0].click()", sim_duo.find_element(f"#{ids.OFFER_SEARCH}"))
    buttons = _wait(lambda: sim_duo.find_elements(f"#{ids.OFFER_BODY} button"), message="proposals")
    assert len(buttons) == len(offer.proposals)
    assert "%" in _text(sim_duo, ids.OFFER_SHARE) or "mesurée" in _text(sim_duo, ids.OFFER_SHARE)
    for i, proposal in enumerate(offer.proposals):
        button = sim_duo.find_elements(f"#{ids.OFFER_BODY} button")[i]
        sim_duo.driver.execute_script("arguments[0].click()", button)
        want = format_percent(proposal.probability, "fr", 1).replace("\u202f", " ").replace("\u00a0", " ")
        _wait(lambda w=want: w in _text(sim_duo, ids.SIM_PROBABILITY), message=f"proposal {i} simulated")
        assert float(sim_duo.find_element(f"#{ids.lever(CREDIT)}").get_attribute("value")) == \
            pytest.approx(proposal.levers[CREDIT])
        _wait(lambda: "accordé" in _text(sim_duo, ids.SIM_DECISION).lower(), message="granted")
        assert proposal.probability < tiny_scorer.rule.refer_low
