"""Concepts, reason codes and concept sentences: one idea per bar, sums exact, honest reasons."""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from model.concepts import OTHER_CONCEPT, concept_contributions, concept_of, concept_top, membership
from model.explain import Contribution, Explanation
from model.features import feature_columns
from model.narrative import concept_factors
from model.reasons import PROTECTED_CONCEPTS, Reason, ReasonPolicy
from model.text.concepts import CONCEPTS, CONCEPTS_FILE, UnmappedFeatureError, load_concepts
from model.text.datafiles import DataFileError
from model.text.languages import LANGS

ALL_FEATURES = sorted(set(feature_columns(True)) | set(feature_columns(False)))
POLICY = ReasonPolicy()                                        # the defaults: gender, age, family, social circle


def reason_codes(e, n=4, policy=POLICY):
    return list(ReasonPolicy(policy.protected, policy.excluded_features, n).factors(e))


def lowering_concepts(e, n=3, policy=POLICY):
    return policy.helps(e, n)


def make(contributions, base=-2.4, omitted=0.0, n_omitted=0):
    """An explanation whose probabilities are log-odds times its own scale (as explain.py builds them)."""
    raw = base + sum(lo for _, _, lo in contributions) + omitted
    e = Explanation(base, raw, (), omitted, n_omitted)
    cs = tuple(Contribution(f, v, lo, lo * e.scale) for f, v, lo in
               sorted(contributions, key=lambda x: -abs(x[2])))
    return Explanation(base, raw, cs, omitted, n_omitted)


# --- one concept per feature -------------------------------------------------------------
def test_every_feature_has_exactly_one_concept_with_words():
    assert CONCEPTS.unmapped(ALL_FEATURES) == []
    for name in ALL_FEATURES:
        concept = CONCEPTS[concept_of(name)]          # ambiguity would raise DataFileError
        for lang in LANGS:
            assert concept.label(lang).strip() and concept.raises(lang).strip()
    assert 12 <= len(CONCEPTS.concepts) <= 25
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", code) for code in CONCEPTS.concepts)


def test_a_new_feature_without_concept_fails_clearly():
    with pytest.raises(UnmappedFeatureError, match="NEW_FEATURE_X.*concept"):
        concept_of("NEW_FEATURE_X")
    with pytest.raises(KeyError):                      # a KeyError, like an unknown label
        concept_of("NEW_FEATURE_X")


@pytest.mark.parametrize("name,code", [
    ("EXT_SOURCE_1", "EXT_SCORES"), ("EXT_SOURCE_MEAN", "EXT_SCORES"), ("EXT_SOURCE_NAN_COUNT", "EXT_SCORES"),
    ("INSTAL_DPD_MEAN", "PAYMENT_DELAYS"), ("INSTAL_L365D_IS_LATE_MEAN", "PAYMENT_DELAYS"),
    ("POS_SK_DPD_DEF_MAX", "PAYMENT_DELAYS"), ("BURO_BB_STATUS_MAX_MAX", "PAYMENT_DELAYS"),
    ("INSTAL_PAYMENT_RATIO_MEAN", "REPAYMENTS"), ("ANNUITY_INCOME_RATIO", "DEBT_BURDEN"),
    ("BURO_ACTIVE_DEBT_INCOME_RATIO", "DEBT_BURDEN"), ("AMT_INCOME_TOTAL", "INCOME"), ("DAYS_BIRTH", "AGE"),
    ("PREV_REFUSED_COUNT", "PREVIOUS_REFUSALS"), ("PREV_AMT_CREDIT_MEAN", "PREVIOUS_APPLICATIONS"),
    ("CC_UTILISATION_MEAN", "CARD_USE"), ("CODE_GENDER", "GENDER"), ("APARTMENTS_AVG", "HOUSING"),
])
def test_known_features_land_in_the_expected_concept(name, code):
    assert concept_of(name) == code


# --- sums ----------------------------------------------------------------------------------
def _check_exact(e: Explanation) -> None:
    concepts = concept_contributions(e)
    feature_lo = math.fsum(c.log_odds for c in e.contributions) + e.omitted_log_odds
    feature_p = math.fsum(c.probability for c in e.contributions) + e.omitted_log_odds * e.scale
    assert math.fsum(c.log_odds for c in concepts) == pytest.approx(feature_lo, abs=1e-12)
    assert math.fsum(c.probability for c in concepts) == pytest.approx(feature_p, abs=1e-12)
    assert math.fsum(c.probability for c in concepts) == pytest.approx(e.probability - e.base_probability, abs=1e-9)
    real = [c for c in concepts if c.code != OTHER_CONCEPT]
    assert [abs(c.probability) for c in real] == sorted((abs(c.probability) for c in real), reverse=True)
    assert len({c.code for c in concepts}) == len(concepts)
    assert sorted(f for c in concepts for f in c.features) == sorted(c.feature for c in e.contributions)
    for n in (1, 3, 6):
        bars = concept_top(e, n)
        assert len([b for b in bars if b.code != OTHER_CONCEPT]) <= n
        assert sum(b.code == OTHER_CONCEPT for b in bars) <= 1
        assert math.fsum(b.log_odds for b in bars) == pytest.approx(math.fsum(c.log_odds for c in concepts), abs=1e-12)
        assert math.fsum(b.probability for b in bars) == pytest.approx(math.fsum(c.probability for c in concepts),
                                                                       abs=1e-12)


def test_concept_sums_are_exact_on_real_explanations(tiny_scorer):
    ids = list(tiny_scorer.population.index[:25])
    for client in ids:
        stored = tiny_scorer.score_client(client).explanation          # stored: top features + remainder
        _check_exact(stored)
        full = tiny_scorer.score_features(tiny_scorer.features_of(client)).explanation   # every feature
        assert full.n_omitted == 0 and len(full.contributions) == len(tiny_scorer.features)
        _check_exact(full)
        assert all(c.code != OTHER_CONCEPT for c in concept_contributions(full))
        for r in reason_codes(stored):
            assert r.points > 0 and r.code in CONCEPTS.concepts


def test_membership_matrix_gives_the_concept_sums():
    e = _mixed()
    codes, matrix = membership([c.feature for c in e.contributions])
    assert matrix.sum(axis=1).tolist() == [1.0] * len(e.contributions)         # one concept per feature
    sums = np.array([c.log_odds for c in e.contributions]) @ matrix
    by_code = {c.code: c.log_odds for c in concept_contributions(e)}
    assert {code: v for code, v in zip(codes, sums) if code in by_code} == pytest.approx(by_code)


def test_remainder_of_a_stored_explanation_is_one_other_bar():
    e = make([("EXT_SOURCE_2", 0.3, -0.5), ("AMT_CREDIT", 500000.0, 0.2)], omitted=0.03, n_omitted=440)
    concepts = concept_contributions(e)
    assert concepts[-1].code == OTHER_CONCEPT and concepts[-1].log_odds == pytest.approx(0.03)
    assert concepts[-1].label("fr") == "Autres facteurs" and concepts[-1].label("en") == "Other factors"
    _check_exact(e)


def test_the_external_scores_family_is_one_bar():
    e = make([("EXT_SOURCE_MAX", 0.8, 0.071 * 10), ("EXT_SOURCE_MIN", 0.2, -0.041 * 10),
              ("EXT_SOURCE_MEAN", 0.5, -0.012 * 10), ("EXT_SOURCE_3", 0.4, 0.05), ("AMT_CREDIT", 1e6, 0.02)])
    concepts = concept_contributions(e)
    ext = [c for c in concepts if c.code == "EXT_SCORES"]
    assert len(ext) == 1 and len(ext[0].features) == 4
    assert ext[0].log_odds == pytest.approx(0.71 - 0.41 - 0.12 + 0.05)
    assert [c.code for c in concepts].count("EXT_SCORES") == 1


# --- reason codes ----------------------------------------------------------------------------
def _mixed():
    nan = math.nan
    return make([
        ("INSTAL_DPD_MEAN", 4.0, 0.50), ("INSTAL_L365D_IS_LATE_MEAN", 0.3, 0.10),   # PAYMENT_DELAYS +0.60
        ("AMT_INCOME_TOTAL", nan, 0.30),                                              # INCOME, missing
        ("ANNUITY_INCOME_RATIO", 0.4, 0.25),                                          # DEBT_BURDEN
        ("DAYS_BIRTH", -9000.0, 0.12), ("CNT_CHILDREN", 3.0, 0.08),                   # AGE, FAMILY
        ("CODE_GENDER", "M", 0.90),                                                   # protected, largest
        ("EXT_SOURCE_2", 0.7, -0.40), ("EXT_SOURCE_1", nan, 0.05),                    # helps, mostly known
        ("DAYS_EMPLOYED", nan, -0.35),                                                # lowers only by missing
        ("AMT_CREDIT", 2e5, -0.10),
    ])


def test_reason_codes_rank_raising_concepts_at_most_four():
    reasons = reason_codes(_mixed())
    assert [r.code for r in reasons] == ["PAYMENT_DELAYS", "INCOME", "DEBT_BURDEN"]     # age, family: protected
    assert all(isinstance(r, Reason) and r.points > 0 for r in reasons)
    assert [r.points for r in reasons] == sorted((r.points for r in reasons), reverse=True)
    assert len(reason_codes(_mixed(), n=2)) == 2
    # with only gender protected (the setting), age and family would be the fourth and fifth reasons
    gender_only = ReasonPolicy(frozenset({"GENDER"}))
    assert [r.code for r in reason_codes(_mixed(), n=5, policy=gender_only)][3:] == ["AGE", "FAMILY"]
    assert reasons[0].text("fr") == "Des retards de paiement sur vos crédits précédents"
    assert reasons[0].text("en") == "Late payments on your previous loans"
    assert reason_codes(make([("EXT_SOURCE_2", 0.9, -1.0)])) == []         # nothing raises: no reason


def test_reason_codes_are_stable():
    first = [r.code for r in reason_codes(_mixed())]
    assert first == [r.code for r in reason_codes(_mixed())]
    assert set(first) <= set(CONCEPTS.concepts)


def test_missing_information_is_worded_as_missing():
    income = next(r for r in reason_codes(_mixed()) if r.code == "INCOME")
    assert income.missing
    assert income.text("fr") == "Information manquante\u00a0: revenus déclarés"
    assert income.text("en") == "Missing information: declared income"
    delays = next(r for r in reason_codes(_mixed()) if r.code == "PAYMENT_DELAYS")
    assert not delays.missing and "manquante" not in delays.text("fr")
    # a missing-score count is missing information too
    count = reason_codes(make([("EXT_SOURCE_NAN_COUNT", 2.0, 0.4), ("EXT_SOURCE_1", math.nan, 0.1)]))
    assert count[0].code == "EXT_SCORES" and count[0].missing


def test_missing_values_are_never_a_merit():
    helps = lowering_concepts(_mixed(), n=5)
    codes = [c.code for c in helps]
    assert "EMPLOYMENT" not in codes                                     # lowered only by DAYS_EMPLOYED = NaN
    assert codes == ["EXT_SCORES", "CREDIT_AMOUNT"]
    assert all(c.log_odds < 0 for c in helps)


def test_gender_never_appears_in_reasons():
    e = _mixed()
    for n in (1, 4, 10):
        for r in reason_codes(e, n=n):
            assert r.code != "GENDER" and "CODE_GENDER" not in r.features
            for lang in LANGS:
                assert "sex" not in r.text(lang).lower()
    only_gender = make([("CODE_GENDER", "F", 0.5)])
    assert reason_codes(only_gender) == [] and lowering_concepts(make([("CODE_GENDER", "F", -0.5)])) == []
    # a protected concept is dropped even if its feature is a model input (not in `excluded_features`)
    assert all(r.code != "GENDER" for r in reason_codes(e, policy=ReasonPolicy(excluded_features=frozenset())))


@pytest.mark.parametrize("code", PROTECTED_CONCEPTS)
def test_no_protected_concept_is_a_reason_or_a_merit_even_when_it_is_the_largest(code):
    features = [f for f in ALL_FEATURES if concept_of(f) == code]
    assert features, f"no feature in {code}"
    raising = make([(features[0], 1.0, 2.0), ("INSTAL_DPD_MEAN", 4.0, 0.1)])
    lowering = make([(features[0], 1.0, -2.0), ("EXT_SOURCE_2", 0.7, -0.1)])
    assert [r.code for r in POLICY.factors(raising)] == ["PAYMENT_DELAYS"]
    assert [c.code for c in POLICY.helps(lowering)] == ["EXT_SCORES"]


def test_features_computed_from_age_or_family_size_belong_to_those_concepts():
    """A ratio to the age, or a per-person amount, would carry age or family into another concept's reason."""
    from model.features import feature_provenance

    for name in ALL_FEATURES:
        formula = (feature_provenance(name) or {}).get("formula") or ""
        if "DAYS_BIRTH" in formula or "age in years" in formula:
            assert concept_of(name) == "AGE", name
        if "CNT_FAM_MEMBERS" in formula:
            assert concept_of(name) == "FAMILY", name


@pytest.mark.parametrize("code", ["CONTACT", "APPLICATION_CONTEXT", "REGION"])
def test_concepts_a_client_cannot_act_on_are_never_reasons(code):
    assert not CONCEPTS[code].reason and not POLICY.tellable(code)
    features = [f for f in ALL_FEATURES if concept_of(f) == code]
    assert POLICY.factors(make([(features[0], 1.0, 2.0)])) == ()


def test_an_unknown_protected_concept_is_refused():
    with pytest.raises(ValueError, match="AGES"):
        ReasonPolicy(frozenset({"AGES"}))


# --- sentences ---------------------------------------------------------------------------------
def test_concept_sentences_for_clients():
    e = _mixed()
    for lang in LANGS:
        up, down = concept_factors(POLICY.factors(e)[:3], POLICY.helps(e), lang)
        assert [f.code for f in up] == ["PAYMENT_DELAYS", "INCOME", "DEBT_BURDEN"]
        assert [f.code for f in down] == ["EXT_SCORES", "CREDIT_AMOUNT"]
        assert all(f.direction == "up" and f.points > 0 for f in up)
        assert all(f.direction == "down" and f.points < 0 for f in down)
        for f in up + down:
            assert not re.search(r"[A-Z]{2,}_[A-Z]", f.sentence) and "nan" not in f.sentence.lower()
    up, down = concept_factors(POLICY.factors(e), POLICY.helps(e), "fr")
    assert up[1].missing and up[1].sentence.startswith("Information manquante")
    assert down[0].sentence == "Notations externes\u00a0: élément favorable"


# --- the data file -------------------------------------------------------------------------------
def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = CONCEPTS_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "concepts.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,entry,problem", [
    ('en = "Declared income"\n', "", "concepts.INCOME", "no en text"),
    ('features = ["NAME_EDUCATION_TYPE"]', 'features = ["NAME_EDUCATION_TYPO"]', "concepts.EDUCATION",
     "unknown feature 'NAME_EDUCATION_TYPO'"),
    ('features = ["NAME_EDUCATION_TYPE"]', 'features = ["AMT_INCOME_TOTAL"]', "concepts.EDUCATION",
     "already listed by concept INCOME"),
    ('match = [{ table = "credit_card_balance" }]', 'match = [{ table = "credit_card_balanse" }]',
     "concepts.CARD_USE.match[0]", "matches no feature"),
    ('match = [{ table = "credit_card_balance" }]', 'match = [{ table = "credit_card_balance", colour = "x" }]',
     "concepts.CARD_USE.match[0]", "unknown field colour"),
    ('match = [{ table = "credit_card_balance" }]', 'match = [{ table = "installments_payments" }]',
     "concepts.CARD_USE", "claimed equally by CARD_USE, REPAYMENTS"),
    ('[concepts.AGE]', '[concepts.age]', "concepts.age", "capitals"),
    ('missing = { fr = "Information manquante : {concept}"', 'missing = { fr = "Information manquante"',
     "templates.missing", "placeholders"),
])
def test_a_malformed_concepts_file_names_file_and_entry(tmp_path, old, new, entry, problem):
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataFileError) as info:
        load_concepts(path)
    assert info.value.entry == entry and problem in info.value.problem
    assert "concepts.toml" in str(info.value) and f"[{entry}]" in str(info.value)


def test_french_spacing_is_applied():
    assert CONCEPTS.template("missing", "fr", concept="x") == "Information manquante\u00a0: x"
    assert " :" not in CONCEPTS.template("helps", "fr", concept="x")


def test_untold_concepts_have_no_bar_of_their_own_and_the_bars_still_add_up():
    e = _mixed()
    bars = concept_top(e, 10, POLICY.untold)
    assert not {b.code for b in bars} & (POLICY.untold - {OTHER_CONCEPT})
    assert {"AGE", "FAMILY", "GENDER"} <= POLICY.untold
    assert math.isclose(math.fsum(b.log_odds for b in bars), e.raw_score - e.base_log_odds, abs_tol=1e-12)
    assert bars[-1].code == OTHER_CONCEPT and "DAYS_BIRTH" in bars[-1].features
