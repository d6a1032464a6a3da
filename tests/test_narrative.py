"""Sentences for a client whose factors are known, and the decision sentence."""
import math

import pytest

from model.decision import DecisionRule
from model.explain import Contribution, Explanation
from model.narrative import decision_sentence, top_factors

TYPICAL = {"ANNUITY_INCOME_RATIO": 0.16, "EXT_SOURCE_MEAN": 0.51, "AGE_YEARS": 43.0,
           "NAME_CONTRACT_TYPE": "Cash loans", "DAYS_EMPLOYED": -1648.0, "CREDIT_INCOME_RATIO": 3.3}


def explanation():
    c = [
        Contribution("ANNUITY_INCOME_RATIO", 0.38, 0.60, 0.05),
        Contribution("EXT_SOURCE_MEAN", 0.72, -0.40, -0.03),
        Contribution("NAME_CONTRACT_TYPE", "Revolving loans", -0.20, -0.015),
        Contribution("CREDIT_INCOME_RATIO", 5.0, 0.10, 0.008),
        Contribution("AGE_YEARS", 25.0, 0.05, 0.004),
        Contribution("DAYS_EMPLOYED", math.nan, -0.01, -0.001),
    ]
    return Explanation(-2.4, -2.4 + sum(x.log_odds for x in c), tuple(c))


def test_french_sentences_name_value_and_median():
    up, down = top_factors(explanation(), TYPICAL, "fr")
    assert [f.feature for f in up] == ["ANNUITY_INCOME_RATIO", "CREDIT_INCOME_RATIO", "AGE_YEARS"]
    assert [f.feature for f in down] == ["EXT_SOURCE_MEAN", "NAME_CONTRACT_TYPE", "DAYS_EMPLOYED"]
    first = up[0].sentence
    assert first.startswith("Mensualité / revenu mensuel")
    # the monthly payment over the monthly income (the declared income is monthly): the feature as computed
    assert "38\u202f%" in first and "médiane des clients" in first and "16\u202f%" in first
    assert first.endswith("augmente le risque")
    assert down[0].sentence.endswith("diminue le risque")
    assert "le plus fréquent" in down[1].sentence            # a category is compared with the usual level
    assert "non renseigné" in down[2].sentence                # a missing value is said so, not "nan"
    for f in up + down:                                        # no jargon or raw names for clients
        assert f.feature not in f.sentence and "SHAP" not in f.sentence and "log" not in f.sentence


def test_english_sentences():
    up, down = top_factors(explanation(), TYPICAL, "en")
    assert up[0].sentence.endswith("increases the risk") and "median of all clients" in up[0].sentence
    assert down[0].sentence.endswith("decreases the risk")


@pytest.mark.parametrize("p,th,lang,expected", [
    (0.123, 0.10, "fr", "dépasse le seuil (10,0\u202f%)\xa0: le crédit est refusé (2,3 points au-dessus du seuil)."),
    (0.05, 0.10, "en", "below the threshold (10.0%): the credit can be granted (5.0 points below the threshold)."),
])
def test_decision_sentence(p, th, lang, expected):
    assert decision_sentence(p, DecisionRule(th, th, th), lang).endswith(expected)


def test_close_call_is_flagged():
    plain = DecisionRule(0.10, 0.10, 0.10)
    assert "Décision serrée" in decision_sentence(0.105, plain)
    assert "Décision serrée" not in decision_sentence(0.30, plain)


def test_a_referred_client_is_told_a_person_decides():
    rule = DecisionRule.around(0.10, 0.25)
    fr, en = decision_sentence(0.10, rule, "fr"), decision_sentence(0.10, rule, "en")
    assert "analyste" in fr and "10,0" in fr and "credit analyst" in en
    assert "refusé" not in fr and "accordé" not in fr
