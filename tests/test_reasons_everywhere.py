"""One list of reasons per score, never a protected concept, and the reviewed decision as the headline.

The reasons are computed once (``Scorer.reason_policy`` → ``Score.factors`` / ``Score.reasons``) and
read by every path: the API, the batch, the scoring store, the Score, Why and What-if screens and the
letter. These tests read each path's *output* (JSON, Parquet, database rows, the page's text, the
PDF's text) and compare them, for refused and referred clients, on the demo and on the real sample.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import auth
from app import services_of
from data.load import load_tables
from layouts import ids
from model.batch import SCORES_DIR
from model.batch.cli import main as batch_main
from model.decision import GRANTED, REFER, REFUSED
from model.reasons import PROTECTED_CONCEPTS, ReasonPolicy
from model.scoring import Scorer
from model.text.strings import t
from tests.helpers import absent, file_page, goto, request_body, settled, sign_in_browser
from tests.helpers import wait_until as _wait
from tests.test_api import H, build_server, make_settings
from tests.tiny_model import quick_model

PROTECTED = frozenset(PROTECTED_CONCEPTS)


def _flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def _batch_codes(data_dir: Path, model_dir: Path, out: Path) -> dict[int, list[str]]:
    """Every application of ``data_dir`` (train and test) scored by ``python -m model.batch``."""
    assert batch_main(["--engine", "pandas", "--data-dir", str(data_dir), "--out", str(out), "--model-dir",
                       str(model_dir), "--applications", "all", "--buckets", "2"]) == 0
    frame = pq.read_table(out / SCORES_DIR).to_pandas()
    return {int(i): list(c) for i, c in zip(frame["SK_ID_CURR"], frame["reason_codes"])}


def _check_no_protected_reason(scorer: Scorer, data_dir: Path, model_dir: Path, out: Path, api_sample: int) -> None:
    """Known clients' scores, the batch over every application, and the API for a sample of them:
    no protected concept is ever a reason, and the batch's codes are the API's, in the same order."""
    told = 0
    for client in scorer.population.index:
        s = scorer.score_client(int(client))
        assert not {r.code for r in s.factors} & PROTECTED, client
        told += bool(s.reasons)
    assert told > 0, "no client was given a reason: the check would prove nothing"
    codes = _batch_codes(data_dir, model_dir, out)
    assert len(codes) >= len(scorer.population)
    assert not {c for cs in codes.values() for c in cs} & PROTECTED
    assert sum(bool(cs) for cs in codes.values()) > 0
    tables = load_tables(data_dir)
    (out / "instance").mkdir()
    server = build_server(make_settings(out / "instance", model_dir), scorer)
    http = server.test_client()
    refused = [i for i, cs in codes.items() if cs]
    rng = np.random.default_rng(0)
    for client in rng.choice(refused, size=min(api_sample, len(refused)), replace=False):
        answer = http.post("/api/v1/predict", json=request_body(tables, int(client)), headers=H).get_json()
        assert [r["code"] for r in answer["reasons"]] == codes[int(client)] == answer["reason_codes"], client


def test_the_protected_concepts_would_otherwise_be_reasons(tiny_scorer):
    """The checks below have teeth: with gender alone protected, the demo model gives age, family or
    social circle as a reason to some clients (the demo's risk depends on age)."""
    loose = ReasonPolicy(frozenset({"GENDER"}), frozenset(tiny_scorer.excluded_attributes))
    named = set()
    for client in tiny_scorer.population.index[:1500]:
        named |= {r.code for r in loose.factors(tiny_scorer.score_client(int(client)).explanation)}
    assert named & (PROTECTED - {"GENDER"})


def test_no_protected_concept_is_a_reason_on_the_demo(tiny_scorer, tiny_model_dir, demo_data_dir, tmp_path):
    _check_no_protected_reason(tiny_scorer, demo_data_dir, tiny_model_dir, tmp_path, api_sample=25)


@pytest.fixture(scope="module")
def real_model_dir(real_sample_dir, tmp_path_factory) -> Path:
    """A small model of the real sample (history tables included): few trees, two folds."""
    return quick_model(real_sample_dir, tmp_path_factory.mktemp("real-model"), folds=2, seed=3)


@pytest.mark.slow
def test_no_protected_concept_is_a_reason_on_the_real_sample(real_model_dir, real_sample_dir, tmp_path):
    _check_no_protected_reason(Scorer.load(real_model_dir), real_sample_dir, real_model_dir, tmp_path,
                               api_sample=25)


def test_the_scoring_store_keeps_the_reasons_the_api_gave(tiny_scorer, tiny_model_dir, tmp_path):
    scorer = tiny_scorer
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    refused = [int(c) for c in pds[scorer.rule.decide_all(pds.to_numpy()) == REFUSED].index[:5]]
    server = build_server(make_settings(tmp_path, tiny_model_dir), scorer)
    http = server.test_client()
    for client in refused:
        answer = http.get(f"/api/v1/clients/{client}/score", headers=H).get_json()
        stored = services_of(server).scoring_log.history(client)[0]
        assert list(stored.reason_codes) == answer["reason_codes"] == [r["code"] for r in answer["reasons"]]
        assert answer["reason_codes"]


def test_the_api_gives_the_reviewed_decision_and_the_models_beside_it(tiny_scorer, tiny_model_dir, tmp_path):
    scorer = tiny_scorer
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    client = int(pds[scorer.rule.decide_all(pds.to_numpy()) == REFER].index[0])
    server = build_server(make_settings(tmp_path, tiny_model_dir), scorer)
    http = server.test_client()
    before = http.get(f"/api/v1/clients/{client}/score?lang=fr", headers=H).get_json()
    assert before["decision"] == before["model_decision"] == REFER and not before["reviewed"]
    assert before["reasons"]
    services_of(server).reviews.add(client, "marie", "override", GRANTED, "Garant solide", scorer.score_client(client))
    after = http.get(f"/api/v1/clients/{client}/score?lang=fr", headers=H).get_json()
    assert after["decision"] == GRANTED and after["model_decision"] == REFER and after["reviewed"]
    assert after["reasons"] == [] and after["reason_codes"] == []                # a grant carries no reasons
    assert after["decision_sentence"].startswith("Décision après réexamen")
    assert t("decision.granted", "fr") in after["decision_sentence"]
    assert t("decision.refer", "fr") in after["decision_sentence"]
    assert after["probability"] == before["probability"]


# -- the same reasons on every screen, in a real browser ---------------------------------------------

USER, PASSWORD = "paul.martin", "another long enough password 7"


@pytest.fixture(scope="module")
def meeting_app(tiny_scorer, demo_data_dir, records_cache_dir, tmp_path_factory):
    from app import create_app
    from settings import get_settings

    instance = tmp_path_factory.mktemp("instance")
    settings = get_settings({"INSTANCE_DIR": str(instance), "HOME_CREDIT_DIR": str(demo_data_dir),
                             "RECORDS_CACHE_DIR": str(records_cache_dir), "API_KEYS": "k" * 24, "DRIFT_DIR": str(tmp_path_factory.mktemp("reports"))})
    auth.add_user(settings.users_file, USER, PASSWORD)
    return create_app(settings, tiny_scorer)


def _open(duo, client: int, lang: str) -> None:
    """The client's file, opened from the one before it as the app's links do (:func:`goto`); the Score
    screen's decision drawn for this client."""
    goto(duo, file_page(client, lang))
    strip = "Client no." if lang == "en" else "Client n°"
    _wait(lambda: f"{strip} {client}" in duo.find_element(f"#{ids.CLIENT_STRIP}").text
          and duo.find_element(f"#{ids.DECISION}").text, message=f"client {client}'s decision shown")


def _tab(duo, screen: str) -> None:
    tab = _wait(lambda: [e for e in duo.find_elements(f"#{ids.tab(screen)}") if e.is_displayed()],
                message=f"{screen} tab")
    duo.driver.execute_script("arguments[0].click()", tab[0])


def _items(duo, selector: str, want: list[str]) -> list[str]:
    """The texts of ``selector``'s list items once they are ``want`` (the screen may still show the
    previous client's for a moment); after 20 s, the last texts shown, for the assertion to name."""
    return settled(lambda: [_flat(li.text).lstrip("▲▼ ") for li in duo.find_elements(f"{selector} li")],  # Why's arrows
                   lambda items: items == want)


def _letter_text(duo, client: int, lang: str, tmp_path: Path) -> str:
    body = duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(Array.from(new Uint8Array(b))));",
        f"/clients/{client}/letter.pdf?lang={lang}")
    path = tmp_path / f"letter-{client}-{lang}.pdf"
    path.write_bytes(bytes(body))
    return _flat(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                check=True).stdout)


@pytest.mark.browser
def test_score_why_what_if_letter_and_api_give_the_same_reasons(dash_duo, meeting_app, tiny_scorer, tmp_path):
    scorer = tiny_scorer
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    decided = scorer.rule.decide_all(pds.to_numpy())
    clients = ([int(c) for c in pds[decided == REFUSED].index[:3]] + [int(c) for c in pds[decided == REFER].index[:2]])
    sign_in_browser(dash_duo, meeting_app, USER, PASSWORD, then=file_page(clients[0]))
    http = meeting_app.server.test_client()
    for k, client in enumerate(clients):
        lang = "fr" if k % 2 == 0 else "en"
        api = http.get(f"/api/v1/clients/{client}/score?lang={lang}", headers={auth.API_KEY_HEADER: "k" * 24})
        want = [_flat(r["text"]) for r in api.get_json()["reasons"]]
        assert want and want == [_flat(r.text(lang)) for r in scorer.score_client(client).reasons]
        _open(dash_duo, client, lang)
        assert _items(dash_duo, f"#{ids.REASONS}", want) == want
        _tab(dash_duo, "why")
        assert _items(dash_duo, f"#{ids.RAISING}", want) == want
        _tab(dash_duo, "simulate")
        assert _items(dash_duo, f"#{ids.SIM_REASONS}", want) == want
        _tab(dash_duo, "score")                     # the next client opens on the Score screen
        letter = _letter_text(dash_duo, client, lang, tmp_path)
        positions = [letter.find(w[:40]) for w in want]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), (client, want)


@pytest.mark.browser
def test_the_reviewed_decision_is_the_headline_on_the_screen_and_in_the_letter(dash_duo, meeting_app,
                                                                                tiny_scorer, tmp_path):
    scorer = tiny_scorer
    pds = scorer.scores["PROBABILITY"].reindex(scorer.population.index)
    client = int(pds[scorer.rule.decide_all(pds.to_numpy()) == REFER].index[-1])
    services_of(meeting_app.server).reviews.add(client, USER, "override", GRANTED, "Apport personnel de 30 %",
                                                scorer.score_client(client))
    sign_in_browser(dash_duo, meeting_app, USER, PASSWORD, then=file_page(client))
    for lang in ("fr", "en"):
        _open(dash_duo, client, lang)
        granted = f"✔ {t('decision.granted', lang)}"     # French a moment longer after the switch to English
        badge = settled(lambda: _flat(dash_duo.find_element(f"#{ids.DECISION}").text),
                        lambda text, g=granted: text.startswith(g))
        assert badge.startswith(f"✔ {t('decision.granted', lang)}") and t("decision.after_review", lang) in badge
        assert t("decision.refer", lang) in badge                                 # the model's own, beside it
        assert "decision-granted" in dash_duo.find_element(f"#{ids.DECISION} .decision").get_attribute("class")
        sentence = _flat(dash_duo.find_element(f"#{ids.DECISION_SENTENCE}").text)
        assert sentence.startswith(_flat(t("decision.reviewed_sentence", lang, decision="", model="",
                                           probability="", threshold="")).split(":")[0])
        assert absent(dash_duo, f"#{ids.REASONS} li")                          # a grant carries no reasons
        letter = _letter_text(dash_duo, client, lang, tmp_path)
        assert t("letter.outcome.granted", lang) in letter
