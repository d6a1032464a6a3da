"""The feature dictionary (model.text.labels) and the UI strings (model.text.strings)."""
from __future__ import annotations

import math
import re
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from data.load import load_tables
from data.schema import APPLICATION_TABLES, DAYS_SENTINEL, TABLES
from model import features
from model.text import labels as voc
from model.text import strings as i18n
from model.text.formatting import (
    NBSP,
    NNBSP,
    AmountError,
    format_currency,
    format_date,
    format_number,
    format_percent,
    parse_amount,
)
from model.text.labels import (
    GROUPS,
    UNITS,
    UnknownFeatureError,
    axis_label,
    column_info,
    display_value,
    feature_info,
    format_value,
    info_from_provenance,
    level_label,
)

ALL_COLUMNS = [(t, c.name) for t, table in TABLES.items() for c in table.columns]


# --------------------------------------------------------------------------------------
# Raw columns
# --------------------------------------------------------------------------------------
def test_schema_has_all_columns_expected():
    assert len({(("application" if t in APPLICATION_TABLES else t), c) for t, c in ALL_COLUMNS}) >= 218


@pytest.mark.parametrize("table,column", ALL_COLUMNS)
def test_every_schema_column_is_described(table, column):
    info = column_info(table, column)
    for label in (info.label_fr, info.label_en):
        assert label and label.strip() == label
        assert label != column and column not in label
        assert "_" not in label, label
        assert label[0].isupper(), label
    assert info.unit in UNITS
    assert info.group in GROUPS
    assert info.kind in voc.KINDS
    schema_col = TABLES[table].column(column)
    if schema_col.kind == "category":
        assert info.kind in ("category", "flag"), (table, column)
    if info.kind == "flag":
        assert info.unit == "flag"


def test_application_labels_are_distinct_within_each_language():
    names = TABLES["application_train"].column_names
    for lang in ("fr", "en"):
        labels = [feature_info(n).label(lang) for n in names]
        dupes = {x for x in labels if labels.count(x) > 1}
        assert not dupes, dupes


def test_french_labels_have_accents_and_no_break_space_before_colon():
    assert feature_info("DAYS_BIRTH").label_fr == "Âge"
    assert feature_info("NAME_EDUCATION_TYPE").label_fr == "Niveau d'études"
    label = feature_info("APARTMENTS_MEDI").label_fr
    assert label == f"Immeuble{NBSP}: taille des appartements (médiane, indice)"
    assert feature_info("APARTMENTS_MEDI").label_en == "Building: apartment size (median, index)"


def test_generated_families():
    assert feature_info("FLAG_DOCUMENT_7").label_fr == "Pièce justificative n° 7 fournie"
    assert feature_info("FLAG_DOCUMENT_7").group == "documents"
    assert feature_info("YEARS_BUILD_MODE").label_en == "Building: age of the building (most common value, index)"
    assert feature_info("LIVINGAREA_AVG").unit == "area"


def test_same_column_name_in_two_tables_means_two_things():
    assert column_info("application_train", "AMT_CREDIT").label_fr == "Montant du crédit"
    assert column_info("previous_application", "AMT_CREDIT").label_fr == "Montant accordé des demandes précédentes"
    assert column_info("bureau", "AMT_ANNUITY").group == "history_bureau"
    assert column_info("application_test", "AMT_ANNUITY").group == "loan"


def test_unknown_names_raise_a_clear_key_error():
    with pytest.raises(KeyError, match="NOT_A_FEATURE"):
        feature_info("NOT_A_FEATURE")
    with pytest.raises(UnknownFeatureError, match="bureau"):
        column_info("bureau", "NOT_A_COLUMN")


def test_transforms_and_units_of_key_columns():
    assert feature_info("DAYS_BIRTH").transform == "days_to_years"
    assert feature_info("DAYS_EMPLOYED").transform == "days_to_years"
    assert feature_info("DAYS_EMPLOYED").sentinel == DAYS_SENTINEL
    assert feature_info("AMT_INCOME_TOTAL").unit == "currency"
    assert feature_info("EXT_SOURCE_2").group == "external_scores"
    assert feature_info("FLAG_OWN_CAR").kind == "flag"
    assert feature_info("CODE_GENDER").kind == "category"


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------
def test_age_in_completed_years():
    assert format_value("DAYS_BIRTH", -12005) == f"32{NBSP}ans"
    assert format_value("DAYS_BIRTH", -12005, "en") == f"32{NBSP}years"
    assert display_value("DAYS_BIRTH", -12005) == pytest.approx(12005 / 365.25)


def test_employment_duration_and_sentinel():
    assert format_value("DAYS_EMPLOYED", -2000) == f"5,5{NBSP}ans"
    assert format_value("DAYS_EMPLOYED", -2000, "en") == f"5.5{NBSP}years"
    assert format_value("DAYS_EMPLOYED", DAYS_SENTINEL) == "sans emploi / retraité"
    assert format_value("DAYS_EMPLOYED", float(DAYS_SENTINEL), "en") == "not employed / retired"
    assert display_value("DAYS_EMPLOYED", DAYS_SENTINEL) is None
    assert format_value("DAYS_EMPLOYED", -300) == f"0,8{NBSP}an"          # French: singular below 2
    assert format_value("DAYS_EMPLOYED", -300, "en") == f"0.8{NBSP}years"  # English: singular only for 1
    assert format_value("DAYS_EMPLOYED", -365.25 * 5) == f"5{NBSP}ans"      # no ",0"
    assert format_value("INSTAL_DPD_SUM", 0.0) == f"0{NBSP}jour"
    assert format_value("INSTAL_DPD_MEAN", 1.25, "en") == f"1.2{NBSP}days"


def test_amounts_french_and_english():
    assert format_number(202500, "fr") == f"202{NNBSP}500"
    assert format_number(202500, "en") == "202,500"
    assert format_value("AMT_CREDIT", 202500) == f"202{NNBSP}500{NBSP}€"
    assert format_value("AMT_CREDIT", 202500.4, "en") == "€202,500"
    assert format_value("AMT_INCOME_TOTAL", np.float32(1234567.0)) == f"1{NNBSP}234{NNBSP}567{NBSP}€"
    assert format_number(1234.5, "fr", 2) == f"1{NNBSP}234,50"


def test_percent_and_ratios():
    assert format_percent(0.38, "fr") == f"38{NNBSP}%"
    assert format_percent(0.38, "en") == "38%"
    assert format_percent(0.1234, "fr", 1) == f"12,3{NNBSP}%"
    assert format_value("CREDIT_INCOME_RATIO", 3.5) == f"350{NNBSP}%"
    assert format_value("DAYS_EMPLOYED_PERC", 0.17, "en") == "17%"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, np.float32("nan")])
def test_missing_values(missing):
    assert format_value("AMT_CREDIT", missing) == "non renseigné"
    assert format_value("NAME_FAMILY_STATUS", missing, "en") == "not provided"
    assert format_value("FLAG_OWN_CAR", missing) == "non renseigné"
    assert display_value("AMT_CREDIT", missing) is None


def test_flags():
    assert format_value("FLAG_MOBIL", 1) == "oui"
    assert format_value("FLAG_MOBIL", 0) == "non"
    assert format_value("FLAG_OWN_CAR", "Y") == "oui"
    assert format_value("FLAG_OWN_REALTY", "N", "en") == "no"
    assert format_value("DAYS_EMPLOYED_ANOM", 1.0) == "oui"
    assert format_value("EMERGENCYSTATE_MODE", "Yes") == "oui"
    assert display_value("FLAG_OWN_CAR", "Y") == 1.0


def test_categories_translated_else_raw():
    assert format_value("NAME_CONTRACT_TYPE", "Cash loans") == "Prêt personnel"
    assert format_value("CODE_GENDER", "F") == "Femme"
    assert format_value("CODE_GENDER", "M", "en") == "Male"
    assert format_value("NAME_FAMILY_STATUS", "Single / not married") == "Célibataire"
    assert format_value("NAME_EDUCATION_TYPE", "Higher education") == "Études supérieures"
    assert format_value("NAME_INCOME_TYPE", "Pensioner") == "Retraité(e)"
    assert format_value("NAME_HOUSING_TYPE", "With parents") == "Chez ses parents"
    assert format_value("OCCUPATION_TYPE", "Laborers") == "Ouvrier / ouvrière"
    assert format_value("ORGANIZATION_TYPE", "Business Entity Type 3") == "Entreprise (type 3)"
    assert format_value("ORGANIZATION_TYPE", "Business Entity Type 3", "en") == "Business (type 3)"
    # a level nobody translated is still shown as words, not as Kaggle's code
    assert format_value("ORGANIZATION_TYPE", "Trade: type 99", "en") == "Trade (type 99)"
    assert level_label("NAME_YIELD_GROUP", "very_low") == "Very low"
    assert format_value("ORGANIZATION_TYPE", "XNA") == "Non précisé"
    assert format_value("NAME_CONTRACT_TYPE", "NA", "en") == "Not provided"
    assert display_value("CODE_GENDER", "F") is None


def test_every_common_level_is_translated():
    for column in ("NAME_CONTRACT_TYPE", "NAME_FAMILY_STATUS", "NAME_EDUCATION_TYPE", "NAME_INCOME_TYPE",
                   "NAME_HOUSING_TYPE", "OCCUPATION_TYPE", "WEEKDAY_APPR_PROCESS_START"):
        for level in TABLES["application_train"].column(column).levels:
            fr = format_value(column, level, "fr")
            assert fr != level, (column, level)


def test_other_units():
    assert format_value("HOUR_APPR_PROCESS_START", 9) == f"9{NBSP}h"
    assert format_value("HOUR_APPR_PROCESS_START", 9, "en") == "09:00"
    assert format_value("EXT_SOURCE_2", 0.51234) == "0,51"
    assert format_value("CNT_CHILDREN", 2.0) == "2"
    assert format_value("AGE_YEARS", 40.9) == f"40{NBSP}ans"
    assert format_value("EXT_SOURCE_NAN_COUNT", 1.0, "en") == "1"
    assert format_value("POS_CNT_INSTALMENT_MEAN", 12.0) == "12"
    assert format_value("POS_CNT_INSTALMENT_MEAN", 12.25) == "12,2"
    assert format_value("BURO_DAYS_CREDIT_MEAN", -1059.0) == f"2,9{NBSP}ans"


def test_dates():
    assert format_date(date(2026, 11, 23), "fr") == "23/11/2026"
    assert format_date(datetime(2026, 11, 23, 9, 0), "fr") == "23/11/2026 09:00"
    # English: the month in words, never day-first digits that half the readers take for month-first
    assert format_date(date(2026, 12, 6), "en") == "6 Dec 2026"
    assert format_date(datetime(2026, 1, 5, 17, 30), "en") == "5 Jan 2026, 17:30"
    assert not re.search(r"\d+/\d+/\d+", format_date(datetime(2026, 6, 12, 8, 0), "en"))


@pytest.mark.parametrize("text, lang, value", [
    ("249 400", "fr", 249_400.0), (f"249{NNBSP}400{NBSP}€", "fr", 249_400.0), ("249400,5", "fr", 249_400.5),
    ("249.400", "fr", 249_400.0), ("249400.5", "fr", 249_400.5), ("1 234 567,89 €", "fr", 1_234_567.89),
    ("€249,400", "en", 249_400.0), ("249,400.50", "en", 249_400.5), ("249400", "en", 249_400.0),
    ("249 400", "en", 249_400.0), ("249400,5", "en", 249_400.5), ("250000 EUR", "en", 250_000.0),
    # the euro sign's place says the convention, whatever the page's language
    ("€249,400", "fr", 249_400.0), ("249 400,5 €", "en", 249_400.5), (" 12 ", "fr", 12.0),
    (f"{chr(0x2212)}162{NNBSP}526{NBSP}€", "fr", -162_526.0), ("", "fr", None), ("   ", "en", None), (None, "fr", None),
])
def test_typed_amounts_are_read_in_the_pages_language(text, lang, value):
    assert parse_amount(text, lang) == value


@pytest.mark.parametrize("text", ["abc", "12abc", "1,2,3", "12,5.3", "1e6", "€", "1 2 3 4", "24 9400", "1234,",
                                  "--5", "1.23.4", "0x10", "inf", "NaN", "٣٤٥"])
def test_garbage_is_not_an_amount(text):
    with pytest.raises(AmountError):
        parse_amount(text, "fr")
    with pytest.raises(AmountError):
        parse_amount(text, "en")


@pytest.mark.parametrize("value", [0, 5, 999, 1000, 249_399.8, 1_234_567, 999_999_999])
def test_every_amount_written_reads_back(value):
    for lang in ("fr", "en"):
        assert parse_amount(format_currency(value, lang), lang) == round(value)
        assert parse_amount(format_currency(value, lang, 2), lang) == pytest.approx(value)
        assert parse_amount(format_number(value, lang, 2), lang) == pytest.approx(value)


def test_axis_label_carries_the_unit():
    assert axis_label("DAYS_BIRTH") == "Âge (ans)"
    assert axis_label("AMT_CREDIT", "en") == "Loan amount (€)"
    assert axis_label("CODE_GENDER") == "Sexe"


def test_unsupported_language():
    with pytest.raises(ValueError):
        format_value("AMT_CREDIT", 1, "de")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Engineered features from provenance
# --------------------------------------------------------------------------------------
def _prov(table, source, agg, subset=None, window=None, **extra):
    return {"table": table, "source": source, "agg": agg, "subset": subset, "window": window, **extra}


def test_generation_from_provenance_examples():
    info = info_from_provenance("X", _prov("installments_payments", "DPD", "mean"))
    assert info.label_fr == "Retard moyen de paiement des échéances"
    assert info.label_en == "Average lateness of instalment payments"
    assert info.unit == "days" and info.group == "history_payments"

    info = info_from_provenance("X", _prov("bureau", "AMT_CREDIT_SUM", "sum", "ACTIVE"))
    assert info.label_fr == "Montant total des crédits déclarés au bureau de crédit, crédits en cours"
    assert info.unit == "currency"

    info = info_from_provenance("X", _prov("bureau", None, "count", "ACTIVE"))
    assert info.label_fr == "Nombre de crédits en cours déclarés au bureau de crédit"
    assert info.unit == "count"

    info = info_from_provenance("X", _prov("installments_payments", None, "count", None, "L365D"))
    assert info.label_fr == "Nombre d'échéances des crédits antérieurs, sur les 12 derniers mois"
    assert info.label_en == "Number of instalments of previous loans, over the last 12 months"

    info = info_from_provenance("X", _prov("installments_payments", "DPD", "max", None, "L90D"))
    assert info.label_fr == "Retard maximal de paiement des échéances, sur les 90 derniers jours"


def test_generation_agrees_in_gender_and_number():
    assert info_from_provenance("X", _prov("bureau", "AMT_ANNUITY", "mean")).label_fr.startswith("Mensualité moyenne")
    assert info_from_provenance("X", _prov("previous_application", "AMT_ANNUITY", "sum", "APPROVED")
                                ).label_fr.startswith("Mensualité totale")
    assert info_from_provenance("X", _prov("installments_payments", "DBD", "max")
                                ).label_fr.startswith("Avance maximale")


def test_negated_time_columns_swap_min_and_max():
    # DAYS_CREDIT is negative (days before the application): its minimum is the OLDEST credit
    oldest = info_from_provenance("X", _prov("bureau", "DAYS_CREDIT", "min"))
    assert oldest.label_fr == "Ancienneté maximale des crédits déclarés au bureau de crédit"
    assert oldest.label_en == "Maximum age of loans reported to the credit bureau"
    assert oldest.transform == "days_to_years"
    # a column that keeps its sign does not swap
    assert info_from_provenance("X", _prov("bureau", "DAYS_CREDIT_ENDDATE", "min")).label_fr.startswith(
        "Durée restante minimale")


def test_generation_of_yes_no_sources_is_a_share_or_a_count():
    share = info_from_provenance("X", _prov("previous_application", "IS_REFUSED", "mean"))
    assert share.label_fr == "Part des demandes refusées parmi les demandes précédentes"
    assert share.unit == "percent"
    count = info_from_provenance("X", _prov("installments_payments", "IS_LATE", "sum"))
    assert count.label_fr == "Nombre d'échéances payées en retard des crédits antérieurs"
    assert count.unit == "count"
    with pytest.raises(UnknownFeatureError):
        info_from_provenance("X", _prov("installments_payments", "IS_LATE", "max"))


def test_generation_of_last_values():
    info = info_from_provenance("X", _prov("previous_application", "AMT_CREDIT", "last"))
    assert info.label_fr == "Montant accordé de la dernière demande précédente"
    cat = info_from_provenance("X", _prov("previous_application", "NAME_CONTRACT_STATUS", "last"))
    assert cat.kind == "category" and cat.source == "NAME_CONTRACT_STATUS"
    assert voc.format_info_value(cat, "Refused") == "Refusée"


def test_generation_of_a_ratio_from_its_formula():
    info = info_from_provenance("X", {"table": "bureau", "source": "BURO_COUNT", "agg": "ratio",
                                      "formula": "AMT_CREDIT / AMT_INCOME_TOTAL"})
    assert info.label_fr == "Montant du crédit / revenu mensuel déclaré"
    assert info.unit == "ratio"


@pytest.mark.parametrize("prov", [
    {"source": "DPD", "agg": "mean"},                                          # no table
    _prov("installments_payments", "NOT_A_SOURCE", "mean"),                    # unknown source
    _prov("installments_payments", "DPD", "kurtosis"),                         # unknown aggregation
    _prov("bureau", "AMT_CREDIT_SUM", "mean", "SOLD_TO_A_FRIEND"),             # unknown subset
    _prov("bureau", "AMT_CREDIT_SUM", "mean", None, "sometime"),               # unknown window
    _prov("application", None, "derived"),                                     # derived without override
    _prov("bureau", "CREDIT_TYPE", "mean"),                                    # mean of a category
    _prov("nowhere", "X", "mean"),                                             # unknown table
    {"table": "bureau", "source": "X", "agg": "ratio", "formula": "X * 2"},    # unphrasable ratio
])
def test_generation_refuses_what_it_cannot_phrase(prov):
    with pytest.raises(UnknownFeatureError):
        info_from_provenance("NEW_FEATURE", prov)


def test_overrides_of_hand_made_ratios():
    assert feature_info("CREDIT_INCOME_RATIO").label_fr == "Montant du crédit / revenu mensuel"
    assert feature_info("ANNUITY_INCOME_RATIO").label_fr == "Mensualité / revenu mensuel"
    assert feature_info("EXT_SOURCE_MEAN").label_fr == "Score externe moyen"
    assert feature_info("DAYS_EMPLOYED_PERC").label_fr.startswith("Part de la vie passée")
    assert feature_info("PAYMENT_RATE").unit == "ratio"


# --------------------------------------------------------------------------------------
# Every model feature is labelled (fails when model/features/ adds an unlabelled one)
# --------------------------------------------------------------------------------------
def test_every_model_feature_has_a_label_unit_and_group():
    names = features.feature_columns(include_children=True)
    assert len(names) > 100
    problems = []
    labels: dict[tuple[str, str], str] = {}
    for name in names:
        try:
            info = feature_info(name)
        except KeyError as exc:
            problems.append(f"{name}: {exc}")
            continue
        for lang in ("fr", "en"):
            label = info.label(lang)
            if not label or label == name or "_" in label:
                problems.append(f"{name}: bad {lang} label {label!r}")
            other = labels.setdefault((lang, label), name)
            if other != name:
                problems.append(f"{name} and {other} share the {lang} label {label!r}")
        if info.unit not in UNITS or info.group not in GROUPS:
            problems.append(f"{name}: unit {info.unit!r}, group {info.group!r}")
    assert not problems, "\n".join(problems)


def test_categorical_model_features_are_categories_with_translatable_levels():
    for name in features.CATEGORICAL_FEATURES:
        info = feature_info(name)
        assert info.kind in ("category", "flag"), name
        prov = features.feature_provenance(name)
        for level in prov["levels"]:
            assert format_value(name, level) not in ("", "non renseigné") or level in ("XNA",), (name, level)


def test_feature_values_format_without_error(real_sample_dir):
    tables = load_tables(real_sample_dir)
    frame = features.build_features(tables).head(20)
    for name in frame.columns:
        for value in frame[name].tolist():
            text = format_value(name, value, "fr")
            assert text and "nan" not in text.lower(), (name, value, text)
            format_value(name, value, "en")
            dv = display_value(name, value)
            assert dv is None or math.isfinite(dv)


# --------------------------------------------------------------------------------------
# UI strings
# --------------------------------------------------------------------------------------
def test_every_ui_string_has_both_languages_and_the_same_placeholders():
    for key, entry in i18n.STRINGS.items():
        assert set(entry) == {"fr", "en"}, key
        assert entry["fr"].strip() and entry["en"].strip(), key
        assert i18n.placeholders(entry["fr"]) == i18n.placeholders(entry["en"]), key


def test_required_ui_strings():
    t = i18n.t
    assert t("decision.granted") == "Crédit accordé"
    assert t("decision.refused", "en") == "Credit refused"
    assert t("score.probability") == "Probabilité de défaut"
    assert t("score.threshold") == "Seuil"
    assert t("explain.increase") == "Facteurs qui augmentent le risque"
    assert t("explain.decrease") == "Facteurs qui diminuent le risque"
    assert t("explain.other") == "Autres facteurs"
    assert [t(f"nav.{k}") for k in ("search", "score", "explanation", "profile", "compare", "model", "drift")] == [
        "Rechercher un client", "Score", "Explication", "Profil", "Comparer", "Modèle", "Dérive des données"]
    assert t("compare.all_clients") == "Tous les clients"
    assert t("compare.similar_clients") == "Clients similaires"
    assert t("compare.repaid") == "Remboursé" and t("compare.defaulted") == "En défaut"
    assert t("auth.sign_in") == "Se connecter" and t("auth.sign_out", "en") == "Sign out"


def test_profile_groups_all_have_titles():
    for group in GROUPS:
        assert i18n.t(f"profile.group.{group}", "fr")
        assert i18n.t(f"profile.group.{group}", "en")


def test_t_formats_and_applies_french_spacing():
    assert i18n.t("score.probability_value", "fr", probability="12 %") == f"Probabilité de défaut{NBSP}: 12 %"
    assert i18n.t("score.probability_value", "en", probability="12%") == "Probability of default: 12%"
    assert i18n.t("explain.title") == f"Pourquoi cette décision{NNBSP}?"
    with pytest.raises(KeyError, match="no.such.key"):
        i18n.t("no.such.key")
    with pytest.raises(KeyError):
        i18n.t("error.client_not_found", "fr")  # placeholder not given
    with pytest.raises(ValueError):
        i18n.t("decision.granted", "de")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# One word for the monthly payment; ratios that compare like with like
# --------------------------------------------------------------------------------------
#: Other words people use for the loan's monthly payment: none may reach a screen, a label or a letter.
OTHER_PAYMENT_WORDS = re.compile(r"annuit|annuity|annuities|échéance|instalment", re.IGNORECASE)
#: "Échéance" / "instalment" stay where they name the instalments of *previous* loans (a table of the history).
PREVIOUS_INSTALMENTS = re.compile(r"échéances? (des crédits antérieurs|prévues|payées|restant|restantes)|"
                                  r"(première|dernière|numéro d')\s*échéance|instalments? (of previous|paid|left|number)|"
                                  r"(first|last|planned) instalment|échéances précédentes|previous instalments|"
                                  r"total d'échéances|d'échéances|of instalments|de paiement des échéances|"
                                  r"instalment payments|originally planned last instalment|planned instalments",
                                  re.IGNORECASE)


def _payment_words(text: str) -> list[str]:
    return OTHER_PAYMENT_WORDS.findall(PREVIOUS_INSTALMENTS.sub("", text))


def test_the_monthly_payment_has_one_name_in_every_string_and_label():
    problems = [(key, lang, text) for key, entry in i18n.STRINGS.items() for lang, text in entry.items()
                if _payment_words(text)]
    names = list(features.feature_columns(include_children=True)) + [c for _, c in ALL_COLUMNS]
    for name in names:
        try:
            info = feature_info(name)
        except KeyError:
            continue
        problems += [(name, lang, label) for lang, label in (("fr", info.label_fr), ("en", info.label_en))
                     if _payment_words(label) and info.table in ("application", "bureau", "previous_application")]
    problems += [(f"{t}.{c}", "", label) for t, c in ALL_COLUMNS for label in (column_info(t, c).label_fr,
                                                                               column_info(t, c).label_en)
                 if re.search(r"annuit|annuity", label, re.IGNORECASE)]
    assert not problems, problems[:10]
    # and the word is the same on the What-if screen, in the feature dictionary and in the letter's lines
    assert feature_info("AMT_ANNUITY").label_fr == i18n.t("simulate.lever.AMT_ANNUITY", "fr") == "Mensualité"
    assert feature_info("AMT_ANNUITY").label_en == i18n.t("simulate.lever.AMT_ANNUITY", "en") == "Monthly payment"
    assert "mensualités" in i18n.t("offer.line", "fr", amount="1", term="2", payment="3")
    assert "monthly payments" in i18n.t("offer.line", "en", amount="1", term="2", payment="3")


def test_the_payment_to_income_ratio_is_monthly_over_monthly():
    """AMT_ANNUITY is a monthly payment and AMT_INCOME_TOTAL an income on the same period (the real
    data say so: see the test below), so the ratio shown is the model's own, over a monthly income."""
    income, payment = 10_000.0, 2_500.0                      # 10 000 € a month, 2 500 € a month
    feature = payment / income                               # what model/features/ computes
    assert format_value("ANNUITY_INCOME_RATIO", feature) == f"25{NNBSP}%"
    assert format_value("ANNUITY_INCOME_RATIO", feature, "en") == "25%"
    assert display_value("ANNUITY_INCOME_RATIO", feature) == pytest.approx(payment / income)
    assert feature_info("AMT_INCOME_TOTAL").label_fr == "Revenu mensuel déclaré"
    for name in ("ANNUITY_INCOME_RATIO", "BURO_ACTIVE_ANNUITY_INCOME_RATIO", "PREV_APPROVED_ANNUITY_INCOME_RATIO",
                 "CREDIT_INCOME_RATIO", "BURO_ACTIVE_DEBT_INCOME_RATIO", "INSTAL_L365D_PAYMENT_INCOME_RATIO",
                 "CC_LAST_BALANCE_INCOME_RATIO"):
        assert feature_info(name).label_fr.endswith("/ revenu mensuel"), name
        assert feature_info(name).label_en.endswith("/ monthly income"), name
        assert display_value(name, 0.5) == 0.5
    assert not any("annuel" in feature_info(n).label_fr and "revenu" in feature_info(n).label_fr.lower()
                   for n in ("AMT_INCOME_TOTAL", "INCOME_PER_PERSON", "INCOME_MINUS_ANNUITY"))


def test_the_real_data_put_the_income_on_the_payments_period(real_sample_dir):
    """Why the income is read as monthly: read as yearly, most real clients would pay more than their
    monthly income each month, and they repaid; read as monthly, the median payment is 16 % of it."""
    a = pd.read_csv(real_sample_dir / "application_train.csv", usecols=["AMT_INCOME_TOTAL", "AMT_ANNUITY"])
    ratio = (a["AMT_ANNUITY"] / a["AMT_INCOME_TOTAL"]).dropna()
    assert 0.10 < ratio.median() < 0.25
    assert (ratio > 1 / 12).mean() > 0.8
