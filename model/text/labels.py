"""The feature dictionary: what every column and engineered feature is called, in what
unit it is shown, and how a value is written for a relationship manager (French first,
English second).

Three sources of labels, and no fourth:

* every raw column of the eight Kaggle tables is described by hand below (building
  measures ``*_AVG/_MODE/_MEDI`` and ``FLAG_DOCUMENT_N`` are generated from small base
  tables); :func:`column_info` gives them per table, :func:`feature_info` gives the
  application columns, which are the model's direct inputs;
* a few important hand-made ratios have hand-written labels (:data:`ENGINEERED_OVERRIDES`);
* every other engineered feature gets a label *generated* from its provenance
  (``model.features.feature_provenance(name)``: table, source column, aggregation,
  subset, window) by :func:`info_from_provenance`.

There is no generic fallback: a name that none of these can describe raises
:class:`UnknownFeatureError`, so a new unlabelled feature fails the tests instead of
reaching a client as ``BURO_DAYS_CREDIT_MEAN``.

Labels carry no unit: the unit is in the formatted value ("32 ans"). Use
:func:`axis_label` where a bare number is shown (chart axes): "Âge (ans)".

Values are written by :func:`format_info_value` in the feature's unit (numbers, amounts
and dates themselves by :mod:`model.text.formatting`):

* Units ``ratio``, ``percent`` and ``rate`` all hold fractions (0.38) and are shown as
  percentages.
* Day counts before the application (``DAYS_BIRTH`` and the like, negative in Kaggle) are
  shown as positive durations in years; an age is given in completed years (floor).
* ``365243`` in the sentinel columns of :mod:`data.schema` means "no date": for
  ``DAYS_EMPLOYED`` it marks pensioners and the unemployed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from data.schema import TABLES
from model.text.formatting import NBSP, format_currency, format_number, format_percent, is_missing
from model.text.languages import Lang, check_lang
from model.text.strings import french_spacing, t

UNITS = frozenset({"years", "days", "months", "currency", "ratio", "percent", "count", "score", "flag",
                   "category", "hour", "rate", "area", "none"})
KINDS = frozenset({"numeric", "category", "flag"})
TRANSFORMS = frozenset({None, "days_to_years", "days_ago", "months_ago"})
GROUPS = frozenset({"identity", "income_employment", "loan", "housing", "history_bureau", "history_previous",
                    "history_payments", "history_cards", "documents", "contact", "region", "external_scores"})



class UnknownFeatureError(KeyError):
    """A name the vocabulary cannot label (neither a raw column nor a describable feature)."""

    def __str__(self) -> str:  # KeyError would show the message with quotes
        return str(self.args[0]) if self.args else "unknown feature"


@dataclass(frozen=True)
class FeatureInfo:
    """How one column or feature is named and shown."""

    name: str
    label_fr: str
    label_en: str
    unit: str
    kind: str
    transform: str | None
    group: str
    #: decimals used by :func:`format_value` (None: decided by the unit)
    decimals: int | None = None
    #: the raw column whose category levels / sentinel apply (itself for raw columns)
    source: str | None = None
    #: Kaggle table the value comes from ("application" for the main application file)
    table: str = "application"
    #: value that means "no date" (Kaggle's 365243), if any
    sentinel: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.unit not in UNITS:
            problems.append(f"unit {self.unit!r}")
        if self.kind not in KINDS:
            problems.append(f"kind {self.kind!r}")
        if self.transform not in TRANSFORMS:
            problems.append(f"transform {self.transform!r}")
        if self.group not in GROUPS:
            problems.append(f"group {self.group!r}")
        if not self.label_fr or not self.label_en:
            problems.append("empty label")
        if problems:
            raise ValueError(f"bad FeatureInfo for {self.name}: " + ", ".join(problems))
        object.__setattr__(self, "label_fr", french_spacing(self.label_fr))

    def label(self, lang: Lang = "fr") -> str:
        return self.label_fr if check_lang(lang) == "fr" else self.label_en


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _kind_of(unit: str) -> str:
    return "flag" if unit == "flag" else "category" if unit == "category" else "numeric"


# --------------------------------------------------------------------------------------
# Raw columns of the application files
# --------------------------------------------------------------------------------------
# name: (label_fr, label_en, unit, group, transform, decimals)
_A = tuple[str, str, str, str, str | None, int | None]

_APPLICATION: dict[str, _A] = {
    "SK_ID_CURR": ("Identifiant du client", "Client ID", "none", "identity", None, 0),
    "TARGET": ("Difficultés de remboursement", "Repayment difficulties", "flag", "loan", None, None),
    "NAME_CONTRACT_TYPE": ("Type de crédit", "Type of credit", "category", "loan", None, None),
    "CODE_GENDER": ("Sexe", "Sex", "category", "identity", None, None),
    "FLAG_OWN_CAR": ("Possède une voiture", "Owns a car", "flag", "identity", None, None),
    "FLAG_OWN_REALTY": ("Propriétaire d'un logement", "Owns a home", "flag", "housing", None, None),
    "CNT_CHILDREN": ("Nombre d'enfants", "Number of children", "count", "identity", None, 0),
    "AMT_INCOME_TOTAL": ("Revenu annuel", "Annual income", "currency", "income_employment", None, 0),
    "AMT_CREDIT": ("Montant du crédit", "Loan amount", "currency", "loan", None, 0),
    "AMT_ANNUITY": ("Annuité du crédit", "Loan annuity", "currency", "loan", None, 0),
    "AMT_GOODS_PRICE": ("Prix du bien financé", "Price of the goods financed", "currency", "loan", None, 0),
    "NAME_TYPE_SUITE": ("Accompagnant lors de la demande", "Companion at the application", "category",
                        "identity", None, None),
    "NAME_INCOME_TYPE": ("Source de revenus", "Source of income", "category", "income_employment", None, None),
    "NAME_EDUCATION_TYPE": ("Niveau d'études", "Education level", "category", "identity", None, None),
    "NAME_FAMILY_STATUS": ("Situation familiale", "Family status", "category", "identity", None, None),
    "NAME_HOUSING_TYPE": ("Situation de logement", "Housing situation", "category", "housing", None, None),
    "REGION_POPULATION_RELATIVE": ("Densité de population de la région (indice)",
                                   "Population density of the region (index)", "none", "region", None, 4),
    "DAYS_BIRTH": ("Âge", "Age", "years", "identity", "days_to_years", 0),
    "DAYS_EMPLOYED": ("Ancienneté dans l'emploi actuel", "Time in current job", "years", "income_employment",
                      "days_to_years", 1),
    "DAYS_REGISTRATION": ("Temps depuis le changement d'adresse officielle", "Time since registered address changed",
                          "years", "identity", "days_to_years", 1),
    "DAYS_ID_PUBLISH": ("Temps depuis le renouvellement de la pièce d'identité", "Time since ID document renewed",
                        "years", "identity", "days_to_years", 1),
    "OWN_CAR_AGE": ("Âge de la voiture", "Age of the car", "years", "identity", None, 0),
    "FLAG_MOBIL": ("A donné un numéro de portable", "Gave a mobile number", "flag", "contact", None, None),
    "FLAG_EMP_PHONE": ("A donné le téléphone de l'employeur", "Gave the employer's phone number", "flag", "contact",
                       None, None),
    "FLAG_WORK_PHONE": ("A donné un téléphone professionnel direct", "Gave a direct work phone number", "flag",
                        "contact", None, None),
    "FLAG_CONT_MOBILE": ("Portable joignable", "Mobile phone reachable", "flag", "contact", None, None),
    "FLAG_PHONE": ("A donné un téléphone fixe personnel", "Gave a home phone number", "flag", "contact", None, None),
    "FLAG_EMAIL": ("A donné une adresse e-mail", "Gave an email address", "flag", "contact", None, None),
    "OCCUPATION_TYPE": ("Métier", "Occupation", "category", "income_employment", None, None),
    "CNT_FAM_MEMBERS": ("Nombre de personnes dans le foyer", "Household size", "count", "identity", None, 0),
    "REGION_RATING_CLIENT": ("Note de la région de résidence (1 à 3)", "Rating of the home region (1 to 3)", "none",
                             "region", None, 0),
    "REGION_RATING_CLIENT_W_CITY": ("Note de la région et de la ville de résidence (1 à 3)",
                                    "Rating of the home region and city (1 to 3)", "none", "region", None, 0),
    "WEEKDAY_APPR_PROCESS_START": ("Jour de la demande", "Day of the application", "category", "loan", None, None),
    "HOUR_APPR_PROCESS_START": ("Heure de la demande", "Time of the application", "hour", "loan", None, 0),
    "REG_REGION_NOT_LIVE_REGION": ("Adresse officielle et adresse de contact dans deux régions différentes",
                                   "Registered and contact addresses in different regions", "flag", "region",
                                   None, None),
    "REG_REGION_NOT_WORK_REGION": ("Adresse officielle et lieu de travail dans deux régions différentes",
                                   "Registered address and workplace in different regions", "flag", "region",
                                   None, None),
    "LIVE_REGION_NOT_WORK_REGION": ("Adresse de contact et lieu de travail dans deux régions différentes",
                                    "Contact address and workplace in different regions", "flag", "region",
                                    None, None),
    "REG_CITY_NOT_LIVE_CITY": ("Adresse officielle et adresse de contact dans deux villes différentes",
                               "Registered and contact addresses in different cities", "flag", "region", None, None),
    "REG_CITY_NOT_WORK_CITY": ("Adresse officielle et lieu de travail dans deux villes différentes",
                               "Registered address and workplace in different cities", "flag", "region", None, None),
    "LIVE_CITY_NOT_WORK_CITY": ("Adresse de contact et lieu de travail dans deux villes différentes",
                                "Contact address and workplace in different cities", "flag", "region", None, None),
    "ORGANIZATION_TYPE": ("Secteur de l'employeur", "Employer's sector", "category", "income_employment", None, None),
    "EXT_SOURCE_1": ("Score externe n° 1", "External score no. 1", "score", "external_scores", None, 2),
    "EXT_SOURCE_2": ("Score externe n° 2", "External score no. 2", "score", "external_scores", None, 2),
    "EXT_SOURCE_3": ("Score externe n° 3", "External score no. 3", "score", "external_scores", None, 2),
    "FONDKAPREMONT_MODE": ("Immeuble : fonds pour gros travaux", "Building: major-repairs fund", "category",
                           "housing", None, None),
    "HOUSETYPE_MODE": ("Immeuble : type de bâtiment", "Building: type of building", "category", "housing",
                       None, None),
    "TOTALAREA_MODE": ("Immeuble : surface totale (valeur la plus fréquente, indice)",
                       "Building: total area (most common value, index)", "area", "housing", None, 3),
    "WALLSMATERIAL_MODE": ("Immeuble : matériau des murs", "Building: wall material", "category", "housing",
                           None, None),
    "EMERGENCYSTATE_MODE": ("Immeuble : déclaré en état d'urgence", "Building: declared in a state of emergency",
                            "flag", "housing", None, None),
    "OBS_30_CNT_SOCIAL_CIRCLE": ("Entourage : personnes suivies (retards de 30 jours)",
                                 "Social circle: people observed (30-day lateness)", "count", "identity", None, 0),
    "DEF_30_CNT_SOCIAL_CIRCLE": ("Entourage : personnes en retard de 30 jours",
                                 "Social circle: people 30 days late", "count", "identity", None, 0),
    "OBS_60_CNT_SOCIAL_CIRCLE": ("Entourage : personnes suivies (retards de 60 jours)",
                                 "Social circle: people observed (60-day lateness)", "count", "identity", None, 0),
    "DEF_60_CNT_SOCIAL_CIRCLE": ("Entourage : personnes en retard de 60 jours",
                                 "Social circle: people 60 days late", "count", "identity", None, 0),
    "DAYS_LAST_PHONE_CHANGE": ("Temps depuis le dernier changement de téléphone", "Time since last phone change",
                               "years", "contact", "days_to_years", 1),
    "AMT_REQ_CREDIT_BUREAU_HOUR": ("Consultations du bureau de crédit dans l'heure avant la demande",
                                   "Credit bureau enquiries in the hour before the application", "count",
                                   "history_bureau", None, 0),
    "AMT_REQ_CREDIT_BUREAU_DAY": ("Consultations du bureau de crédit la veille de la demande (hors dernière heure)",
                                  "Credit bureau enquiries the day before the application (excluding the last hour)",
                                  "count", "history_bureau", None, 0),
    "AMT_REQ_CREDIT_BUREAU_WEEK": ("Consultations du bureau de crédit la semaine avant la demande "
                                   "(hors dernier jour)",
                                   "Credit bureau enquiries the week before the application (excluding the last day)",
                                   "count", "history_bureau", None, 0),
    "AMT_REQ_CREDIT_BUREAU_MON": ("Consultations du bureau de crédit le mois avant la demande "
                                  "(hors dernière semaine)",
                                  "Credit bureau enquiries the month before the application "
                                  "(excluding the last week)", "count", "history_bureau", None, 0),
    "AMT_REQ_CREDIT_BUREAU_QRT": ("Consultations du bureau de crédit les 3 mois avant la demande "
                                  "(hors dernier mois)",
                                  "Credit bureau enquiries in the 3 months before the application "
                                  "(excluding the last month)", "count", "history_bureau", None, 0),
    "AMT_REQ_CREDIT_BUREAU_YEAR": ("Consultations du bureau de crédit l'année avant la demande "
                                   "(hors 3 derniers mois)",
                                   "Credit bureau enquiries in the year before the application "
                                   "(excluding the last 3 months)", "count", "history_bureau", None, 0),
}

#: The 14 building measures repeated with _AVG, _MODE and _MEDI (all normalised by Kaggle: shown as an index).
_BUILDING_MEASURES: dict[str, tuple[str, str, str]] = {
    "APARTMENTS": ("taille des appartements", "apartment size", "area"),
    "BASEMENTAREA": ("surface du sous-sol", "basement area", "area"),
    "YEARS_BEGINEXPLUATATION": ("ancienneté de mise en service", "time in use", "none"),
    "YEARS_BUILD": ("âge du bâtiment", "age of the building", "none"),
    "COMMONAREA": ("surface des parties communes", "common area", "area"),
    "ELEVATORS": ("nombre d'ascenseurs", "number of lifts", "none"),
    "ENTRANCES": ("nombre d'entrées", "number of entrances", "none"),
    "FLOORSMAX": ("nombre d'étages (maximum)", "number of floors (highest)", "none"),
    "FLOORSMIN": ("nombre d'étages (minimum)", "number of floors (lowest)", "none"),
    "LANDAREA": ("surface du terrain", "land area", "area"),
    "LIVINGAPARTMENTS": ("nombre de logements", "number of dwellings", "none"),
    "LIVINGAREA": ("surface habitable", "living area", "area"),
    "NONLIVINGAPARTMENTS": ("nombre de locaux non habitables", "number of non-residential units", "none"),
    "NONLIVINGAREA": ("surface non habitable", "non-living area", "area"),
}
_BUILDING_STATS: dict[str, tuple[str, str]] = {
    "AVG": ("moyenne", "average"),
    "MODE": ("valeur la plus fréquente", "most common value"),
    "MEDI": ("médiane", "median"),
}
for _measure, (_fr, _en, _unit) in _BUILDING_MEASURES.items():
    for _stat, (_sfr, _sen) in _BUILDING_STATS.items():
        _APPLICATION[f"{_measure}_{_stat}"] = (f"Immeuble : {_fr} ({_sfr}, indice)", f"Building: {_en} ({_sen}, index)",
                                               _unit, "housing", None, 3)
for _n in range(2, 22):
    _APPLICATION[f"FLAG_DOCUMENT_{_n}"] = (f"Pièce justificative n° {_n} fournie",
                                           f"Supporting document no. {_n} provided", "flag", "documents", None, None)


# --------------------------------------------------------------------------------------
# Raw columns of the child tables, as noun phrases that aggregations can be built on
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Phrase:
    """A noun phrase split so an aggregation word fits in: "<head> moyen <qual> <ctx>".

    ``gender`` is m, f, mp or fp (French adjective and article). ``ctx`` names the rows
    ("des crédits déclarés au bureau de crédit"). ``negated``: the display transform turns
    the raw value's sign round (days before the application shown as a positive duration),
    so a raw minimum is a displayed maximum.
    """

    head_fr: str
    qual_fr: str
    ctx_fr: str
    gender: str
    head_en: str
    qual_en: str
    ctx_en: str
    unit: str
    transform: str | None = None
    decimals: int | None = None
    negated: bool = False

    def fr(self) -> str:
        return _join(self.head_fr, self.qual_fr, self.ctx_fr)

    def en(self) -> str:
        return _join(self.head_en, self.qual_en, self.ctx_en)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


_GROUP_OF_TABLE = {
    "application": "loan",
    "bureau": "history_bureau",
    "bureau_balance": "history_bureau",
    "previous_application": "history_previous",
    "POS_CASH_balance": "history_payments",
    "installments_payments": "history_payments",
    "credit_card_balance": "history_cards",
}

# What one row of each child table is, for "Nombre de …" (fr, en).
_ROWS_OF_TABLE = {
    "bureau": ("crédits déclarés au bureau de crédit", "loans reported to the credit bureau"),
    "bureau_balance": ("relevés mensuels du bureau de crédit", "monthly credit bureau records"),
    "previous_application": ("demandes de crédit précédentes", "previous loan applications"),
    "POS_CASH_balance": ("relevés mensuels des prêts antérieurs (achats et espèces)",
                         "monthly records of previous shop and cash loans"),
    "installments_payments": ("échéances des crédits antérieurs", "instalments of previous loans"),
    "credit_card_balance": ("relevés mensuels des cartes de crédit", "monthly credit card records"),
}
# "Nombre de …" for a subset of rows: (table, subset) -> (fr, en)
_ROWS_OF_SUBSET = {
    ("bureau", "active"): ("crédits en cours déclarés au bureau de crédit",
                           "active loans reported to the credit bureau"),
    ("bureau", "closed"): ("crédits soldés déclarés au bureau de crédit", "closed loans reported to the credit bureau"),
    ("previous_application", "approved"): ("demandes précédentes acceptées", "approved previous applications"),
    ("previous_application", "refused"): ("demandes précédentes refusées", "refused previous applications"),
    ("POS_CASH_balance", "lastmonth"): ("prêts antérieurs (achats et espèces)", "previous shop and cash loans"),
}
# The row a "last" aggregation reads, per table: "Montant accordé de la dernière demande".
_LAST_CTX = {
    "previous_application": ("de la dernière demande précédente", "on the latest previous application"),
    "POS_CASH_balance": ("du dernier relevé des prêts antérieurs (achats et espèces)",
                         "in the latest record of previous shop and cash loans"),
    "credit_card_balance": ("du dernier relevé des cartes de crédit", "in the latest credit card record"),
}

_BU = ("des crédits déclarés au bureau de crédit", "of loans reported to the credit bureau")
_BB = ("des crédits au bureau de crédit", "of credit bureau loans")
_BUF = ("au bureau de crédit", "at the credit bureau")
_PR = ("des demandes précédentes", "of previous applications")
_PRF = ("parmi les demandes précédentes", "among previous applications")
_PO = ("des prêts antérieurs (achats et espèces)", "of previous shop and cash loans")
_POF = ("sur les prêts antérieurs (achats et espèces)", "on previous shop and cash loans")
_IN = ("des échéances des crédits antérieurs", "of instalments of previous loans")
_INF = ("des crédits antérieurs", "of previous loans")
_CC = ("des cartes de crédit", "of credit cards")
_CCF = ("sur les cartes de crédit", "on credit cards")
_NONE = ("", "")


def _p(head_fr: str, gender: str, head_en: str, ctx: tuple[str, str], unit: str, transform: str | None = None,
       decimals: int | None = None, qual_fr: str = "", qual_en: str = "", negated: bool | None = None) -> _Phrase:
    if negated is None:
        negated = transform in ("days_ago", "months_ago") or (transform == "days_to_years")
    return _Phrase(head_fr, qual_fr, ctx[0], gender, head_en, qual_en, ctx[1], unit, transform, decimals, negated)


_ID_CURR = _p("identifiant du client", "m", "client ID", _NONE, "none", None, 0)
_ID_PREV = _p("identifiant de la demande précédente", "m", "previous application ID", _NONE, "none", None, 0)
_ID_BUREAU = _p("identifiant du crédit au bureau de crédit", "m", "credit bureau loan ID", _NONE, "none", None, 0)
_REL = ("(jours avant ou après la demande actuelle)", "(days relative to this application)")
_SMALL = ("(petites dettes ignorées)", "(small debts ignored)")

_CHILD: dict[str, dict[str, _Phrase]] = {
    "bureau": {
        "SK_ID_CURR": _ID_CURR,
        "SK_ID_BUREAU": _ID_BUREAU,
        "CREDIT_ACTIVE": _p("statut", "m", "status", _BU, "category"),
        "CREDIT_CURRENCY": _p("devise", "f", "currency", _BU, "category"),
        "DAYS_CREDIT": _p("ancienneté", "f", "age", _BU, "years", "days_to_years", 1),
        "CREDIT_DAY_OVERDUE": _p("retard actuel", "m", "current days past due", _BU, "days", None, 0),
        "DAYS_CREDIT_ENDDATE": _p("durée restante", "f", "remaining term", _BU, "days", None, 0),
        "DAYS_ENDDATE_FACT": _p("temps écoulé", "m", "time", _BU, "years", "days_to_years", 1,
                                "depuis la clôture", "since closing"),
        "AMT_CREDIT_MAX_OVERDUE": _p("plus gros impayé", "m", "largest overdue amount", _BU, "currency", None, 0),
        "CNT_CREDIT_PROLONG": _p("nombre", "m", "number", _BU, "count", None, 0, "de prolongations",
                                 "of extensions"),
        "AMT_CREDIT_SUM": _p("montant", "m", "amount", _BU, "currency", None, 0),
        "AMT_CREDIT_SUM_DEBT": _p("capital restant dû", "m", "outstanding debt", _BU, "currency", None, 0),
        "AMT_CREDIT_SUM_LIMIT": _p("plafond", "m", "card limit", _BU, "currency", None, 0),
        "AMT_CREDIT_SUM_OVERDUE": _p("montant impayé", "m", "overdue amount", _BU, "currency", None, 0),
        "CREDIT_TYPE": _p("type", "m", "type", _BU, "category"),
        "DAYS_CREDIT_UPDATE": _p("temps écoulé", "m", "time", _BU, "days", "days_ago", 0,
                                 "depuis la dernière mise à jour", "since the last update"),
        "AMT_ANNUITY": _p("annuité", "f", "annuity", _BU, "currency", None, 0),
    },
    "bureau_balance": {
        "SK_ID_BUREAU": _ID_BUREAU,
        "MONTHS_BALANCE": _p("ancienneté", "f", "age", ("des relevés mensuels du bureau de crédit",
                                                          "of monthly credit bureau records"), "months",
                             "months_ago", 0),
        "STATUS": _p("statut mensuel", "m", "monthly status", _BU, "category"),
    },
    "previous_application": {
        "SK_ID_PREV": _ID_PREV,
        "SK_ID_CURR": _ID_CURR,
        "NAME_CONTRACT_TYPE": _p("type de crédit", "m", "type of credit", _PR, "category"),
        "AMT_ANNUITY": _p("annuité", "f", "annuity", _PR, "currency", None, 0),
        "AMT_APPLICATION": _p("montant demandé", "m", "amount requested", _PR, "currency", None, 0),
        "AMT_CREDIT": _p("montant accordé", "m", "amount granted", _PR, "currency", None, 0),
        "AMT_DOWN_PAYMENT": _p("apport", "m", "down payment", _PR, "currency", None, 0),
        "AMT_GOODS_PRICE": _p("prix du bien", "m", "price of the goods", _PR, "currency", None, 0),
        "WEEKDAY_APPR_PROCESS_START": _p("jour de la semaine", "m", "weekday", _PR, "category"),
        "HOUR_APPR_PROCESS_START": _p("heure", "f", "hour", _PR, "hour", None, 0),
        "FLAG_LAST_APPL_PER_CONTRACT": _p("dernières versions pour leur contrat", "fp",
                                          "last versions for their contract", _PRF, "flag"),
        "NFLAG_LAST_APPL_IN_DAY": _p("dernières demandes de la journée", "fp", "last applications of the day", _PRF,
                                     "flag"),
        "RATE_DOWN_PAYMENT": _p("taux d'apport", "m", "down payment rate", _PR, "rate", None, 0),
        "RATE_INTEREST_PRIMARY": _p("taux d'intérêt", "m", "interest rate", _PR, "rate", None, 1),
        "RATE_INTEREST_PRIVILEGED": _p("taux d'intérêt préférentiel", "m", "preferential interest rate", _PR, "rate",
                                       None, 1),
        "NAME_CASH_LOAN_PURPOSE": _p("objet", "m", "purpose", _PR, "category"),
        "NAME_CONTRACT_STATUS": _p("décision", "f", "decision", _PR, "category"),
        "DAYS_DECISION": _p("ancienneté", "f", "time", _PR, "years", "days_to_years", 1, "de la décision",
                            "since the decision"),
        "NAME_PAYMENT_TYPE": _p("mode de remboursement", "m", "repayment method", _PR, "category"),
        "CODE_REJECT_REASON": _p("motif de refus", "m", "reason for refusal", _PR, "category"),
        "NAME_TYPE_SUITE": _p("accompagnant", "m", "companion", _PR, "category"),
        "NAME_CLIENT_TYPE": _p("type de client", "m", "client type", _PR, "category"),
        "NAME_GOODS_CATEGORY": _p("catégorie du bien", "f", "goods category", _PR, "category"),
        "NAME_PORTFOLIO": _p("gamme de produit", "f", "product line", _PR, "category"),
        "NAME_PRODUCT_TYPE": _p("origine", "f", "origin", _PR, "category"),
        "CHANNEL_TYPE": _p("canal", "m", "channel", _PR, "category"),
        "SELLERPLACE_AREA": _p("zone de vente du vendeur", "f", "seller's sales area", _PR, "none", None, 0),
        "NAME_SELLER_INDUSTRY": _p("secteur du vendeur", "m", "seller's industry", _PR, "category"),
        "CNT_PAYMENT": _p("nombre", "m", "number", _PR, "count", None, 0, "d'échéances prévues",
                          "of planned instalments"),
        "NAME_YIELD_GROUP": _p("niveau de taux", "m", "interest rate band", _PR, "category"),
        "PRODUCT_COMBINATION": _p("combinaison de produits", "f", "product combination", _PR, "category"),
        "DAYS_FIRST_DRAWING": _p("date", "f", "date", _PR, "days", None, 0, "du premier décaissement " + _REL[0],
                                 "of first disbursement " + _REL[1]),
        "DAYS_FIRST_DUE": _p("date", "f", "date", _PR, "days", None, 0, "de la première échéance " + _REL[0],
                             "of the first instalment " + _REL[1]),
        "DAYS_LAST_DUE_1ST_VERSION": _p("date", "f", "date", _PR, "days", None, 0,
                                        "de dernière échéance prévue au départ " + _REL[0],
                                        "of the originally planned last instalment " + _REL[1]),
        "DAYS_LAST_DUE": _p("date", "f", "date", _PR, "days", None, 0, "de dernière échéance " + _REL[0],
                            "of the last instalment " + _REL[1]),
        "DAYS_TERMINATION": _p("date", "f", "date", _PR, "days", None, 0, "de fin prévue " + _REL[0],
                               "of expected end " + _REL[1]),
        "NFLAG_INSURED_ON_APPROVAL": _p("demandes avec assurance", "fp", "applications with insurance", _PRF,
                                        "flag"),
    },
    "POS_CASH_balance": {
        "SK_ID_PREV": _ID_PREV,
        "SK_ID_CURR": _ID_CURR,
        "MONTHS_BALANCE": _p("ancienneté", "f", "age", ("des relevés mensuels des prêts antérieurs "
                                                          "(achats et espèces)",
                                                          "of monthly records of previous shop and cash loans"),
                             "months", "months_ago", 0),
        "CNT_INSTALMENT": _p("nombre", "m", "number", _PO, "count", None, 1, "total d'échéances",
                             "of instalments in total"),
        "CNT_INSTALMENT_FUTURE": _p("nombre", "m", "number", _PO, "count", None, 1, "d'échéances restantes",
                                    "of instalments left"),
        "NAME_CONTRACT_STATUS": _p("statut du contrat", "m", "contract status", _PO, "category"),
        "SK_DPD": _p("retard", "m", "days past due", _PO, "days", None, 0),
        "SK_DPD_DEF": _p("retard significatif", "m", "significant days past due", _PO, "days", None, 0, *_SMALL),
    },
    "installments_payments": {
        "SK_ID_PREV": _ID_PREV,
        "SK_ID_CURR": _ID_CURR,
        "NUM_INSTALMENT_VERSION": _p("version", "f", "version", _IN, "none", None, 1, "du calendrier",
                                     "of the schedule"),
        "NUM_INSTALMENT_NUMBER": _p("numéro d'échéance", "m", "instalment number", _INF, "count", None, 0),
        "DAYS_INSTALMENT": _p("temps écoulé", "m", "time", _IN, "days", "days_ago", 0, "depuis la date prévue",
                              "since the due date"),
        "DAYS_ENTRY_PAYMENT": _p("temps écoulé", "m", "time", _IN, "days", "days_ago", 0, "depuis le paiement",
                                 "since payment"),
        "AMT_INSTALMENT": _p("montant dû", "m", "amount due", _IN, "currency", None, 0),
        "AMT_PAYMENT": _p("montant payé", "m", "amount paid", _IN, "currency", None, 0),
    },
    "credit_card_balance": {
        "SK_ID_PREV": _ID_PREV,
        "SK_ID_CURR": _ID_CURR,
        "MONTHS_BALANCE": _p("ancienneté", "f", "age", ("des relevés mensuels des cartes de crédit",
                                                          "of monthly credit card records"), "months",
                             "months_ago", 0),
        "AMT_BALANCE": _p("solde", "m", "balance", _CC, "currency", None, 0),
        "AMT_CREDIT_LIMIT_ACTUAL": _p("plafond", "m", "limit", _CC, "currency", None, 0),
        "AMT_DRAWINGS_ATM_CURRENT": _p("montant", "m", "amount", _CC, "currency", None, 0,
                                       "mensuel des retraits au distributeur", "withdrawn at cash machines monthly"),
        "AMT_DRAWINGS_CURRENT": _p("montant", "m", "amount", _CC, "currency", None, 0, "utilisé dans le mois",
                                   "used in the month"),
        "AMT_DRAWINGS_OTHER_CURRENT": _p("montant", "m", "amount", _CC, "currency", None, 0,
                                         "mensuel des autres utilisations", "of other uses in the month"),
        "AMT_DRAWINGS_POS_CURRENT": _p("montant", "m", "amount", _CC, "currency", None, 0,
                                       "mensuel des achats en magasin", "of shop purchases in the month"),
        "AMT_INST_MIN_REGULARITY": _p("remboursement minimal", "m", "minimum repayment", _CC, "currency", None, 0,
                                      "du mois", "for the month"),
        "AMT_PAYMENT_CURRENT": _p("remboursement", "m", "repayment", _CC, "currency", None, 0, "du mois",
                                  "in the month"),
        "AMT_PAYMENT_TOTAL_CURRENT": _p("remboursement", "m", "repayment", _CC, "currency", None, 0,
                                        "du mois, tous paiements compris,", "in the month, all payments included,"),
        "AMT_RECEIVABLE_PRINCIPAL": _p("capital restant dû", "m", "principal outstanding", _CC, "currency", None, 0),
        "AMT_RECIVABLE": _p("montant restant dû", "m", "amount outstanding", _CC, "currency", None, 0),
        "AMT_TOTAL_RECEIVABLE": _p("total restant dû", "m", "total outstanding", _CC, "currency", None, 0),
        "CNT_DRAWINGS_ATM_CURRENT": _p("nombre", "m", "number", _CC, "count", None, 1,
                                       "de retraits au distributeur dans le mois",
                                       "of cash machine withdrawals in the month"),
        "CNT_DRAWINGS_CURRENT": _p("nombre", "m", "number", _CC, "count", None, 1, "d'utilisations dans le mois",
                                   "of uses in the month"),
        "CNT_DRAWINGS_OTHER_CURRENT": _p("nombre", "m", "number", _CC, "count", None, 1,
                                         "d'autres utilisations dans le mois", "of other uses in the month"),
        "CNT_DRAWINGS_POS_CURRENT": _p("nombre", "m", "number", _CC, "count", None, 1,
                                       "d'achats en magasin dans le mois", "of shop purchases in the month"),
        "CNT_INSTALMENT_MATURE_CUM": _p("nombre", "m", "number", _CC, "count", None, 0, "d'échéances payées",
                                        "of instalments paid"),
        "NAME_CONTRACT_STATUS": _p("statut du contrat", "m", "contract status", _CC, "category"),
        "SK_DPD": _p("retard", "m", "days past due", _CC, "days", None, 0),
        "SK_DPD_DEF": _p("retard significatif", "m", "significant days past due", _CC, "days", None, 0, *_SMALL),
    },
}

#: Values the feature builder (model/features.py) computes per row of a child table before
#: aggregating, by the names it gives them as provenance "source".
_DERIVED: dict[str, dict[str, _Phrase]] = {
    "bureau": {
        "DEBT_CREDIT_RATIO": _p("part", "f", "share", _BU, "ratio", None, 0, "restant due", "still owed"),
        "OVERDUE_DEBT_RATIO": _p("part", "f", "share", _BU, "ratio", None, 0, "impayée de l'encours",
                                 "of the debt overdue"),
        "CREDIT_DURATION": _p("durée prévue", "f", "planned term", _BU, "years", "days_to_years", 1,
                              negated=False),
        "ENDDATE_DIFF": _p("écart", "m", "gap", _BU, "days", None, 0,
                           "entre fin réelle et fin prévue (négatif = soldé en avance)",
                           "between actual and planned end (negative = closed early)"),
        "IS_OVERDUE": _p("crédits en retard", "mp", "overdue loans", _BUF, "flag"),
        "IS_ACTIVE": _p("crédits en cours", "mp", "active loans", _BUF, "flag"),
        "TYPE_CONSUMER": _p("crédits à la consommation", "mp", "consumer loans", _BUF, "flag"),
        "TYPE_CARD": _p("cartes de crédit", "fp", "credit cards", _BUF, "flag"),
        "TYPE_CAR": _p("crédits auto", "mp", "car loans", _BUF, "flag"),
        "TYPE_MORTGAGE": _p("prêts immobiliers", "mp", "mortgages", _BUF, "flag"),
        "TYPE_MICROLOAN": _p("microcrédits", "mp", "microloans", _BUF, "flag"),
    },
    "bureau_balance": {
        "BB_MONTHS_COUNT": _p("nombre", "m", "number", _BB, "count", None, 0, "de mois d'historique",
                              "of months of history"),
        "BB_MONTHS_MIN": _p("ancienneté", "f", "length", _BB, "months", "months_ago", 0, "de l'historique",
                            "of the history"),
        "BB_LATE_SHARE": _p("part", "f", "share", _BB, "percent", None, 0, "des mois en retard", "of months late"),
        "BB_STATUS_MAX": _p("niveau", "m", "level", _BB, "none", None, 1, "du pire retard (0 à 5)",
                            "of the worst lateness (0 to 5)"),
        "BB_UNKNOWN_SHARE": _p("part", "f", "share", _BB, "percent", None, 0, "des mois au statut inconnu",
                               "of months with unknown status"),
        "BB_LATE_L12M_SHARE": _p("part", "f", "share", _BB, "percent", None, 0,
                                 "des mois en retard sur les 12 derniers mois", "of months late in the last 12 months"),
    },
    "previous_application": {
        "APP_CREDIT_RATIO": _p("rapport", "m", "ratio", _PR, "ratio", None, 0, "montant demandé / montant accordé",
                               "of amount requested to amount granted"),
        "CREDIT_GOODS_RATIO": _p("rapport", "m", "ratio", _PR, "ratio", None, 0, "montant accordé / prix du bien",
                                 "of amount granted to goods price"),
        "ANNUITY_CREDIT_RATIO": _p("rapport", "m", "ratio", _PR, "ratio", None, 1, "annuité / montant accordé",
                                   "of annuity to amount granted"),
        "INTEREST_RATE": _p("taux d'intérêt estimé", "m", "estimated interest rate", _PR, "rate", None, 1),
        "DUE_SHIFT": _p("décalage", "m", "shift", _PR, "days", None, 0, "de la dernière échéance",
                        "of the last instalment"),
        "IS_APPROVED": _p("demandes acceptées", "fp", "approved applications", _PRF, "flag"),
        "IS_REFUSED": _p("demandes refusées", "fp", "refused applications", _PRF, "flag"),
        "IS_CANCELED": _p("demandes annulées", "fp", "cancelled applications", _PRF, "flag"),
        "TYPE_CASH": _p("prêts personnels", "mp", "cash loans", _PRF, "flag"),
        "TYPE_CONSUMER": _p("crédits à la consommation", "mp", "consumer loans", _PRF, "flag"),
        "TYPE_REVOLVING": _p("crédits renouvelables", "mp", "revolving credits", _PRF, "flag"),
        "YIELD_HIGH": _p("demandes à taux élevé", "fp", "high-rate applications", _PRF, "flag"),
        "YIELD_LOW": _p("demandes à taux bas", "fp", "low-rate applications", _PRF, "flag"),
        "CLIENT_NEW": _p("demandes faites en tant que nouveau client", "fp", "applications made as a new client",
                         _PRF, "flag"),
        "IS_ONGOING": _p("crédits encore en remboursement", "mp", "loans still being repaid", _PRF, "flag"),
    },
    "POS_CASH_balance": {
        "IS_LATE": _p("mois en retard", "mp", "months late", _POF, "flag"),
        "IS_LATE_DEF": _p("mois en retard significatif", "mp", "months significantly late", _POF, "flag"),
        "REMAINING_SHARE": _p("part", "f", "share", _PO, "percent", None, 0, "des échéances restant à payer",
                              "of instalments left to pay"),
        "IS_COMPLETED": _p("prêts terminés", "mp", "completed loans", _POF, "flag"),
        "IS_ACTIVE": _p("prêts en cours", "mp", "active loans", _POF, "flag"),
    },
    "installments_payments": {
        "DPD": _p("retard", "m", "lateness", ("", ""), "days", None, 1, "de paiement des échéances",
                  "of instalment payments"),
        "DBD": _p("avance", "f", "earliness", ("", ""), "days", None, 1, "de paiement des échéances",
                  "of instalment payments"),
        "PAYMENT_RATIO": _p("part payée", "f", "share paid", _IN, "percent", None, 0),
        "PAYMENT_DIFF": _p("reste à payer", "m", "amount left unpaid", _IN, "currency", None, 0),
        "IS_LATE": _p("échéances payées en retard", "fp", "instalments paid late", _INF, "flag"),
        "IS_UNDERPAID": _p("échéances payées en partie seulement", "fp", "instalments only partly paid", _INF,
                           "flag"),
    },
    "credit_card_balance": {
        "UTILISATION": _p("taux d'utilisation", "m", "use", _CC, "ratio", None, 0, "du plafond", "of the limit"),
        "DRAWINGS_LIMIT_RATIO": _p("rapport", "m", "ratio", _CC, "ratio", None, 0, "utilisations du mois / plafond",
                                   "of monthly use to limit"),
        "PAYMENT_MIN_RATIO": _p("rapport", "m", "ratio", _CC, "ratio", None, 0,
                                "remboursement du mois / minimum demandé", "of monthly repayment to the minimum due"),
        "IS_BELOW_MIN": _p("mois remboursés sous le minimum", "mp", "months repaid below the minimum", _CCF, "flag"),
        "IS_LATE": _p("mois en retard", "mp", "months late", _CCF, "flag"),
    },
}

_TABLE_ALIASES = {
    "application": "application", "application_train": "application", "application_test": "application",
    "bureau": "bureau", "bureau_balance": "bureau_balance", "previous_application": "previous_application",
    "pos_cash_balance": "POS_CASH_balance", "installments_payments": "installments_payments",
    "credit_card_balance": "credit_card_balance",
}


def _table_key(table: str) -> str:
    key = _TABLE_ALIASES.get(str(table).lower())
    if key is None:
        raise UnknownFeatureError(f"unknown table {table!r}")
    return key

# --------------------------------------------------------------------------------------
# Category levels (the same column name means the same levels in every table)
# --------------------------------------------------------------------------------------
_LEVELS: dict[str, dict[str, tuple[str, str]]] = {
    "NAME_CONTRACT_TYPE": {
        "Cash loans": ("Prêt personnel", "Cash loan"),
        "Revolving loans": ("Crédit renouvelable", "Revolving credit"),
        "Consumer loans": ("Crédit à la consommation (achat en magasin)", "Consumer loan (in-shop purchase)"),
    },
    "CODE_GENDER": {"F": ("Femme", "Female"), "M": ("Homme", "Male")},
    "NAME_FAMILY_STATUS": {
        "Civil marriage": ("Union libre / PACS", "Civil partnership"),
        "Married": ("Marié(e)", "Married"),
        "Separated": ("Séparé(e)", "Separated"),
        "Single / not married": ("Célibataire", "Single"),
        "Widow": ("Veuf / veuve", "Widowed"),
    },
    "NAME_EDUCATION_TYPE": {
        "Academic degree": ("Doctorat", "Doctorate"),
        "Higher education": ("Études supérieures", "Higher education"),
        "Incomplete higher": ("Études supérieures non terminées", "Some higher education"),
        "Lower secondary": ("Collège", "Lower secondary school"),
        "Secondary / secondary special": ("Lycée / enseignement professionnel", "Secondary / vocational school"),
    },
    "NAME_INCOME_TYPE": {
        "Businessman": ("Chef d'entreprise", "Business owner"),
        "Commercial associate": ("Commercial / associé", "Commercial associate"),
        "Maternity leave": ("Congé maternité", "Maternity leave"),
        "Pensioner": ("Retraité(e)", "Pensioner"),
        "State servant": ("Fonctionnaire", "Civil servant"),
        "Student": ("Étudiant(e)", "Student"),
        "Unemployed": ("Sans emploi", "Unemployed"),
        "Working": ("Salarié(e)", "Employee"),
    },
    "NAME_HOUSING_TYPE": {
        "Co-op apartment": ("Appartement en coopérative", "Co-op flat"),
        "House / apartment": ("Maison / appartement", "House / flat"),
        "Municipal apartment": ("Logement social", "Council flat"),
        "Office apartment": ("Logement de fonction", "Tied accommodation"),
        "Rented apartment": ("Locataire", "Rented flat"),
        "With parents": ("Chez ses parents", "With parents"),
    },
    "OCCUPATION_TYPE": {
        "Accountants": ("Comptable", "Accountant"),
        "Cleaning staff": ("Agent d'entretien", "Cleaner"),
        "Cooking staff": ("Cuisinier", "Cook"),
        "Core staff": ("Employé(e)", "Office staff"),
        "Drivers": ("Chauffeur", "Driver"),
        "HR staff": ("Ressources humaines", "HR staff"),
        "High skill tech staff": ("Technicien(ne) qualifié(e)", "Skilled technician"),
        "IT staff": ("Informaticien(ne)", "IT staff"),
        "Laborers": ("Ouvrier / ouvrière", "Labourer"),
        "Low-skill Laborers": ("Ouvrier / ouvrière non qualifié(e)", "Unskilled labourer"),
        "Managers": ("Cadre / manager", "Manager"),
        "Medicine staff": ("Personnel médical", "Medical staff"),
        "Private service staff": ("Services à la personne", "Personal services"),
        "Realty agents": ("Agent immobilier", "Estate agent"),
        "Sales staff": ("Vendeur / vendeuse", "Sales staff"),
        "Secretaries": ("Secrétaire", "Secretary"),
        "Security staff": ("Agent de sécurité", "Security staff"),
        "Waiters/barmen staff": ("Serveur / barman", "Waiter / bar staff"),
    },
    "NAME_TYPE_SUITE": {
        "Children": ("Enfant(s)", "Children"),
        "Family": ("Famille", "Family"),
        "Group of people": ("Groupe de personnes", "Group of people"),
        "Other_A": ("Autre (A)", "Other (A)"),
        "Other_B": ("Autre (B)", "Other (B)"),
        "Spouse, partner": ("Conjoint(e)", "Spouse or partner"),
        "Unaccompanied": ("Personne (venu seul)", "Nobody (came alone)"),
    },
    "WEEKDAY_APPR_PROCESS_START": {
        "MONDAY": ("Lundi", "Monday"), "TUESDAY": ("Mardi", "Tuesday"), "WEDNESDAY": ("Mercredi", "Wednesday"),
        "THURSDAY": ("Jeudi", "Thursday"), "FRIDAY": ("Vendredi", "Friday"), "SATURDAY": ("Samedi", "Saturday"),
        "SUNDAY": ("Dimanche", "Sunday"),
    },
    "HOUSETYPE_MODE": {
        "block of flats": ("Immeuble collectif", "Block of flats"),
        "specific housing": ("Logement spécifique", "Special housing"),
        "terraced house": ("Maison mitoyenne", "Terraced house"),
    },
    "WALLSMATERIAL_MODE": {
        "Block": ("Parpaing", "Breeze block"), "Mixed": ("Mixte", "Mixed"), "Monolithic": ("Béton coulé", "Cast concrete"),
        "Others": ("Autre", "Other"), "Panel": ("Panneaux préfabriqués", "Prefabricated panels"),
        "Stone, brick": ("Pierre, brique", "Stone, brick"), "Wooden": ("Bois", "Wood"),
    },
    "FONDKAPREMONT_MODE": {
        "not specified": ("Non précisé", "Not specified"),
        "org spec account": ("Compte spécial de l'organisme", "Organisation's special account"),
        "reg oper account": ("Compte de l'opérateur régional", "Regional operator's account"),
        "reg oper spec account": ("Compte spécial de l'opérateur régional", "Regional operator's special account"),
    },
    "CREDIT_ACTIVE": {
        "Active": ("En cours", "Active"), "Closed": ("Soldé", "Closed"), "Sold": ("Cédé", "Sold"),
        "Bad debt": ("Créance irrécouvrable", "Bad debt"),
    },
    "CREDIT_TYPE": {
        "Consumer credit": ("Crédit à la consommation", "Consumer credit"),
        "Credit card": ("Carte de crédit", "Credit card"),
        "Car loan": ("Crédit auto", "Car loan"),
        "Mortgage": ("Prêt immobilier", "Mortgage"),
        "Real estate loan": ("Prêt immobilier", "Property loan"),
        "Microloan": ("Microcrédit", "Microloan"),
        "Cash loan (non-earmarked)": ("Prêt personnel", "Personal loan"),
        "Loan for business development": ("Prêt professionnel", "Business loan"),
        "Another type of loan": ("Autre crédit", "Other loan"),
        "Unknown type of loan": ("Type inconnu", "Unknown type"),
    },
    "NAME_CONTRACT_STATUS": {
        "Approved": ("Acceptée", "Approved"), "Refused": ("Refusée", "Refused"), "Canceled": ("Annulée", "Cancelled"),
        "Unused offer": ("Offre non utilisée", "Unused offer"), "Active": ("En cours", "Active"),
        "Completed": ("Terminé", "Completed"), "Signed": ("Signé", "Signed"), "Demand": ("Mise en demeure", "Demand"),
        "Returned to the store": ("Rendu au magasin", "Returned to the shop"),
        "Amortized debt": ("Dette amortie", "Amortised debt"), "Sent proposal": ("Proposition envoyée", "Proposal sent"),
    },
    "NAME_CLIENT_TYPE": {
        "New": ("Nouveau client", "New client"), "Repeater": ("Déjà client", "Existing client"),
        "Refreshed": ("Client revenu", "Returning client"),
    },
    "NAME_PRODUCT_TYPE": {"walk-in": ("Demande spontanée", "Walk-in"), "x-sell": ("Vente croisée", "Cross-sell")},
    "NAME_YIELD_GROUP": {
        "high": ("Élevé", "High"), "middle": ("Moyen", "Middle"), "low_normal": ("Bas", "Low"),
        "low_action": ("Bas (promotion)", "Low (promotion)"),
    },
    "NAME_PORTFOLIO": {"Cards": ("Cartes", "Cards"), "Cars": ("Auto", "Cars"), "Cash": ("Prêt personnel", "Cash"),
                       "POS": ("Achat en magasin", "Point of sale")},
    "STATUS": {
        "0": ("À jour", "Up to date"), "1": ("Retard de 1 à 30 jours", "1–30 days late"),
        "2": ("Retard de 31 à 60 jours", "31–60 days late"), "3": ("Retard de 61 à 90 jours", "61–90 days late"),
        "4": ("Retard de 91 à 120 jours", "91–120 days late"),
        "5": ("Retard de plus de 120 jours ou créance cédée", "Over 120 days late or sold"),
        "C": ("Soldé", "Closed"), "X": ("Inconnu", "Unknown"),
    },
}
#: Kaggle's codes for "not available" / "not applicable", and the model's missing level.
_COMMON_LEVELS = {
    "XNA": ("Non précisé", "Not specified"),
    "XAP": ("Sans objet", "Not applicable"),
    "NA": ("Non renseigné", "Not provided"),
    "Unknown": ("Inconnu", "Unknown"),
}


def level_label(column: str, level: Any, lang: Lang = "fr") -> str:
    """A category level as shown to a client: translated where we have it, else the raw level."""
    i = 0 if check_lang(lang) == "fr" else 1
    text = str(level)
    pair = _LEVELS.get(column, {}).get(text) or _COMMON_LEVELS.get(text)
    return pair[i] if pair else text


# --------------------------------------------------------------------------------------
# Building FeatureInfo for raw columns
# --------------------------------------------------------------------------------------
def _sentinel(table: str, column: str) -> int | None:
    tables = ["application_train"] if table == "application" else [table]
    for t in tables:
        if t in TABLES and column in TABLES[t]:
            return TABLES[t].column(column).sentinel
    return None


@cache
def _application_info(name: str) -> FeatureInfo:
    fr, en, unit, group, transform, decimals = _APPLICATION[name]
    return FeatureInfo(name, fr, en, unit, _kind_of(unit), transform, group, decimals, name, "application",
                       _sentinel("application", name))


@cache
def column_info(table: str, column: str) -> FeatureInfo:
    """A raw Kaggle column of ``table`` (schema name; application_train/test both mean the application)."""
    key = _table_key(table)
    if key == "application":
        if column not in _APPLICATION:
            raise UnknownFeatureError(f"no label for application column {column!r}")
        return _application_info(column)
    phrase = _CHILD.get(key, {}).get(column)
    if phrase is None:
        raise UnknownFeatureError(f"no label for column {column!r} of table {key!r}")
    return FeatureInfo(column, _cap(phrase.fr()), _cap(phrase.en()), phrase.unit, _kind_of(phrase.unit),
                       phrase.transform, _GROUP_OF_TABLE[key], phrase.decimals, column, key, _sentinel(key, column))


# --------------------------------------------------------------------------------------
# Engineered features: hand-written overrides, then generation from provenance
# --------------------------------------------------------------------------------------
def _eng(fr: str, en: str, unit: str, group: str, decimals: int | None = None, transform: str | None = None
         ) -> tuple[str, str, str, str, int | None, str | None]:
    return fr, en, unit, group, decimals, transform


#: Hand-written labels of the hand-made features (names as model/features.py gives them).
ENGINEERED_OVERRIDES: dict[str, tuple[str, str, str, str, int | None, str | None]] = {
    # application ratios and summaries
    "DAYS_EMPLOYED_ANOM": _eng("Sans emploi ou retraité", "Not employed or retired", "flag", "income_employment"),
    "CREDIT_INCOME_RATIO": _eng("Montant du crédit / revenu", "Loan amount / income", "ratio", "loan", 0),
    "ANNUITY_INCOME_RATIO": _eng("Annuité / revenu", "Annuity / income", "ratio", "loan", 0),
    "PAYMENT_RATE": _eng("Annuité / montant du crédit", "Annuity / loan amount", "ratio", "loan", 1),
    "CREDIT_TERM_MONTHS": _eng("Montant du crédit / annuité (nombre d'échéances)",
                               "Loan amount / annuity (number of payments)", "none", "loan", 1),
    "GOODS_CREDIT_RATIO": _eng("Prix du bien / montant du crédit", "Goods price / loan amount", "ratio", "loan", 0),
    "CREDIT_GOODS_DIFF": _eng("Montant du crédit au-delà du prix du bien", "Loan amount above the goods price",
                              "currency", "loan", 0),
    "DAYS_EMPLOYED_PERC": _eng("Part de la vie passée dans l'emploi actuel", "Share of life spent in the current job",
                               "percent", "income_employment", 0),
    "INCOME_PER_PERSON": _eng("Revenu par personne du foyer", "Income per household member", "currency",
                              "income_employment", 0),
    "ANNUITY_PER_PERSON": _eng("Annuité par personne du foyer", "Annuity per household member", "currency", "loan",
                               0),
    "CHILDREN_RATIO": _eng("Part d'enfants dans le foyer", "Share of children in the household", "percent",
                           "identity", 0),
    "INCOME_MINUS_ANNUITY": _eng("Revenu annuel moins 12 annuités", "Annual income minus 12 annuities", "currency",
                                 "income_employment", 0),
    # the same quantities as DAYS_BIRTH / DAYS_EMPLOYED, already in years: distinct labels so a chart or an
    # explanation showing both can tell them apart
    "AGE_YEARS": _eng("Âge en années", "Age in years", "years", "identity", 0),
    "EMPLOYED_YEARS": _eng("Années dans l'emploi actuel", "Years in current job", "years", "income_employment", 1),
    "CAR_AGE_RATIO": _eng("Âge de la voiture / âge du client", "Age of the car / client's age", "ratio", "identity",
                          0),
    "PHONE_CHANGE_BIRTH_RATIO": _eng("Temps depuis le changement de téléphone / âge",
                                     "Time since phone change / age", "ratio", "contact", 0),
    "ID_PUBLISH_BIRTH_RATIO": _eng("Temps depuis le renouvellement de la pièce d'identité / âge",
                                   "Time since ID document renewed / age", "ratio", "identity", 0),
    "REGISTRATION_BIRTH_RATIO": _eng("Temps depuis le changement d'adresse officielle / âge",
                                     "Time since registered address changed / age", "ratio", "identity", 0),
    "EXT_SOURCE_MEAN": _eng("Score externe moyen", "Average external score", "score", "external_scores", 2),
    "EXT_SOURCE_STD": _eng("Écart entre les scores externes", "Spread of the external scores", "score",
                           "external_scores", 2),
    "EXT_SOURCE_MIN": _eng("Score externe le plus bas", "Lowest external score", "score", "external_scores", 2),
    "EXT_SOURCE_MAX": _eng("Score externe le plus haut", "Highest external score", "score", "external_scores", 2),
    "EXT_SOURCE_PROD": _eng("Produit des scores externes", "Product of the external scores", "score",
                            "external_scores", 3),
    "EXT_SOURCE_WEIGHTED": _eng("Score externe pondéré", "Weighted external score", "score", "external_scores", 2),
    "EXT_SOURCE_NAN_COUNT": _eng("Nombre de scores externes manquants", "Number of missing external scores", "count",
                                 "external_scores", 0),
    "DOCUMENT_COUNT": _eng("Nombre de pièces justificatives fournies", "Number of supporting documents provided",
                           "count", "documents", 0),
    "CONTACT_COUNT": _eng("Nombre de moyens de contact donnés", "Number of contact details given", "count",
                          "contact", 0),
    "REQ_CREDIT_BUREAU_TOTAL": _eng("Consultations du bureau de crédit sur l'année avant la demande",
                                    "Credit bureau enquiries in the year before the application", "count",
                                    "history_bureau", 0),
    "DEF_30_SOCIAL_RATIO": _eng("Entourage : part des personnes en retard de 30 jours",
                                "Social circle: share of people 30 days late", "percent", "identity", 0),
    "DEF_60_SOCIAL_RATIO": _eng("Entourage : part des personnes en retard de 60 jours",
                                "Social circle: share of people 60 days late", "percent", "identity", 0),
    # history aggregates divided by the application's income or loan
    "BURO_ACTIVE_DEBT_INCOME_RATIO": _eng("Dettes en cours au bureau de crédit / revenu",
                                          "Active debt at the credit bureau / income", "ratio", "history_bureau", 0),
    "BURO_ACTIVE_ANNUITY_INCOME_RATIO": _eng("Annuités en cours au bureau de crédit / revenu",
                                             "Active annuities at the credit bureau / income", "ratio",
                                             "history_bureau", 0),
    "BURO_ACTIVE_DEBT_CREDIT_RATIO": _eng("Dettes en cours au bureau de crédit / montant du crédit demandé",
                                          "Active debt at the credit bureau / loan amount", "ratio",
                                          "history_bureau", 0),
    "PREV_LAST_CREDIT_RATIO": _eng("Montant de la dernière demande précédente / montant du crédit demandé",
                                   "Latest previous loan amount / loan amount", "ratio", "history_previous", 0),
    "PREV_APPROVED_ANNUITY_INCOME_RATIO": _eng("Annuités des crédits accordés précédemment / revenu",
                                               "Annuities of previously granted loans / income", "ratio",
                                               "history_previous", 0),
    "INSTAL_L365D_PAYMENT_INCOME_RATIO": _eng("Remboursements des 12 derniers mois / revenu",
                                              "Repayments over the last 12 months / income", "ratio",
                                              "history_payments", 0),
    "CC_LAST_BALANCE_INCOME_RATIO": _eng("Solde actuel des cartes de crédit / revenu",
                                         "Current credit card balance / income", "ratio", "history_cards", 0),
}


def _override_info(name: str) -> FeatureInfo | None:
    spec = ENGINEERED_OVERRIDES.get(name)
    if spec is None:
        return None
    fr, en, unit, group, decimals, transform = spec
    return FeatureInfo(name, fr, en, unit, _kind_of(unit), transform, group, decimals, None, "application", None)


_AGGS = frozenset({"mean", "max", "min", "sum", "count", "last", "first", "std", "median"})

# French adjective by gender (m, f, mp, fp), English word.
_AGG_ADJ = {
    "mean": (("moyen", "moyenne", "moyens", "moyennes"), "average"),
    "max": (("maximal", "maximale", "maximaux", "maximales"), "maximum"),
    "min": (("minimal", "minimale", "minimaux", "minimales"), "minimum"),
    "sum": (("total", "totale", "totaux", "totales"), "total"),
    "median": (("médian", "médiane", "médians", "médianes"), "median"),
}
_AGG_BEFORE = {
    "last": (("dernier", "dernière", "derniers", "dernières"), "latest"),
    "first": (("premier", "première", "premiers", "premières"), "first"),
}
_GENDER_INDEX = {"m": 0, "f": 1, "mp": 2, "fp": 3}

#: Row subsets of the provenance (lower-cased), as a qualifier added to the label.
_SUBSETS: dict[str, tuple[str, str]] = {
    "active": ("crédits en cours", "active loans"),
    "closed": ("crédits soldés", "closed loans"),
    "approved": ("demandes acceptées", "approved applications"),
    "refused": ("demandes refusées", "refused applications"),
    "lastmonth": ("dernier relevé de chaque prêt", "latest record of each loan"),
}


def _of(head_fr: str, gender: str) -> str:
    """French "de" + article + head: du retard, de la durée, de l'ancienneté, des mois."""
    if gender in ("mp", "fp"):
        return f"des {head_fr}"
    if head_fr[:1].lower() in "aeiouyhéèêâîôû":
        return f"de l'{head_fr}"
    return f"du {head_fr}" if gender == "m" else f"de la {head_fr}"


def _de(noun: str) -> str:
    """French "de" with elision: "de mois", "d'échéances"."""
    return f"d'{noun}" if noun[:1].lower() in "aeiouyhéèêâîôû" else f"de {noun}"


def _window_phrase(window: Any) -> tuple[str, str]:
    """(fr, en) of a time window: "L365D", "L90D", "L12M", "L3M" (also 365, "365d", {"months": 12})."""
    count: int | None = None
    per = "days"
    if isinstance(window, Mapping):
        for key in ("days", "months"):
            if key in window:
                count, per = int(window[key]), key
                break
    elif isinstance(window, (int, float)) and not isinstance(window, bool):
        count = int(window)
    elif isinstance(window, str):
        m = re.fullmatch(r"L?(\d+)\s*(D|DAYS?|M|MONTHS?)?", window.strip().upper())
        if m:
            count = int(m.group(1))
            per = "months" if (m.group(2) or "D").startswith("M") else "days"
    if count is None or count <= 0:
        raise UnknownFeatureError(f"cannot phrase the window {window!r}")
    if per == "days" and count % 365 == 0:
        count, per = count // 365 * 12, "months"
    fr_word, en_word = ("jours", "days") if per == "days" else ("mois", "months")
    return f"sur les {count} derniers {fr_word}", f"over the last {count} {en_word}"


def _source_phrase(table: str, source: Any, name: str) -> tuple[_Phrase, str | None]:
    """The phrase of a provenance source (raw column or derived row value) and the raw column it is."""
    src = str(source)
    phrase = _CHILD.get(table, {}).get(src)
    if phrase is not None:
        return phrase, src
    phrase = _DERIVED.get(table, {}).get(src)
    if phrase is not None:
        return phrase, None
    raise UnknownFeatureError(f"cannot label feature {name!r}: no phrase for source {source!r} of table {table!r} "
                              "(add it to model.text.labels._DERIVED)")


def _ratio_from_formula(name: str, prov: Mapping[str, Any], table: str) -> FeatureInfo:
    """"A / B" of two known features or columns → "label A / label b"."""
    formula = str(prov.get("formula") or "")
    m = re.fullmatch(r"\s*([A-Z0-9_]+)\s*/\s*([A-Z0-9_]+)\s*", formula)
    if not m:
        raise UnknownFeatureError(f"cannot label ratio feature {name!r}: formula {formula!r} is not 'A / B'; "
                                  "add a hand-written override")
    num, den = feature_info(m.group(1)), feature_info(m.group(2))
    fr = f"{num.label_fr} / {den.label_fr[:1].lower() + den.label_fr[1:]}"
    en = f"{num.label_en} / {den.label_en[:1].lower() + den.label_en[1:]}"
    return FeatureInfo(name, fr, en, "ratio", "numeric", None, _GROUP_OF_TABLE[table], 0, None, table, None)


def info_from_provenance(name: str, prov: Mapping[str, Any]) -> FeatureInfo:
    """Label, unit and group of a feature from its provenance dict (see ``model.features.feature_provenance``).

    Keys read: ``table`` (Kaggle table), ``source`` (raw column or derived row value; None for
    a count), ``agg`` (raw, count, sum, mean, min, max, std, last, first, median, ratio),
    ``subset`` (ACTIVE, CLOSED, APPROVED, REFUSED, LASTMONTH), ``window`` (L365D, L90D, L12M,
    L3M), ``formula`` (for ratios). Anything it cannot phrase raises :class:`UnknownFeatureError`:
    there is no generic fallback.
    """
    if "table" not in prov:
        raise UnknownFeatureError(f"cannot label feature {name!r}: provenance has no table")
    table = _table_key(prov["table"])
    source = prov.get("source")
    agg = str(prov.get("agg") or "raw").lower()

    if agg == "raw":
        if source is None:
            raise UnknownFeatureError(f"cannot label feature {name!r}: raw feature without a source column")
        base = column_info(table, str(source))
        return FeatureInfo(name, base.label_fr, base.label_en, base.unit, base.kind, base.transform, base.group,
                           base.decimals, base.source, table, base.sentinel)
    if agg == "ratio":
        return _ratio_from_formula(name, prov, table)
    if table == "application" or agg not in _AGGS:
        raise UnknownFeatureError(f"cannot label feature {name!r} (table {table!r}, agg {agg!r}): "
                                  "add a hand-written override to model.text.labels.ENGINEERED_OVERRIDES")

    subset = prov.get("subset")
    subset_key = str(subset).lower() if subset else None
    if subset_key is not None and subset_key not in _SUBSETS:
        raise UnknownFeatureError(f"cannot label feature {name!r}: unknown subset {subset!r}")
    group = _GROUP_OF_TABLE[table]
    transform: str | None = None
    decimals: int | None = 0
    col: str | None = None
    subset_done = False

    if agg == "count":
        rows = _ROWS_OF_SUBSET.get((table, subset_key or "")) if subset_key else None
        if rows is not None:
            subset_done = True
        else:
            rows = _ROWS_OF_TABLE[table]
        fr, en = f"Nombre {_de(rows[0])}", f"Number of {rows[1]}"
        unit = "count"
    else:
        if source is None:
            raise UnknownFeatureError(f"cannot label feature {name!r}: {agg!r} without a source")
        phrase, col = _source_phrase(table, source, name)
        gi = _GENDER_INDEX[phrase.gender]
        unit, transform, decimals = phrase.unit, phrase.transform, phrase.decimals
        if phrase.unit == "category":
            if agg not in _AGG_BEFORE:
                raise UnknownFeatureError(f"cannot label feature {name!r}: {agg!r} of a category")
        elif phrase.unit == "flag" and agg in ("mean", "sum"):
            what_fr = _join(phrase.head_fr, phrase.qual_fr, phrase.ctx_fr)
            if agg == "mean":
                fr, en = f"Part {_join(_of(phrase.head_fr, phrase.gender), phrase.qual_fr, phrase.ctx_fr)}", \
                    f"Share of {phrase.en()}"
                unit = "percent"
            else:
                fr, en = f"Nombre {_de(what_fr)}", f"Number of {phrase.en()}"
                unit = "count"
            transform, decimals = None, 0
        elif phrase.unit == "flag":
            raise UnknownFeatureError(f"cannot label feature {name!r}: {agg!r} of a yes/no value")
        if agg in _AGG_BEFORE:
            words_fr, word_en = _AGG_BEFORE[agg]
            last_ctx = _LAST_CTX.get(table) if agg == "last" else None
            if last_ctx is not None:
                fr = _join(phrase.head_fr, phrase.qual_fr, last_ctx[0])
                en = _join(phrase.head_en, phrase.qual_en, last_ctx[1])
            else:
                fr = _join(words_fr[gi], phrase.head_fr, phrase.qual_fr, phrase.ctx_fr)
                en = _join(word_en, phrase.head_en, phrase.qual_en, phrase.ctx_en)
        elif phrase.unit != "flag" and agg in _AGG_ADJ:
            key = {"min": "max", "max": "min"}.get(agg, agg) if phrase.negated else agg
            words_fr, word_en = _AGG_ADJ[key]
            fr = _join(phrase.head_fr, words_fr[gi], phrase.qual_fr, phrase.ctx_fr)
            en = _join(word_en, phrase.head_en, phrase.qual_en, phrase.ctx_en)
        elif agg == "std":
            fr = _join("Écart-type", _of(phrase.head_fr, phrase.gender), phrase.qual_fr, phrase.ctx_fr)
            en = _join("Standard deviation of the", phrase.head_en, phrase.qual_en, phrase.ctx_en)
            if phrase.unit == "flag":
                unit, transform = "none", None

    if subset_key and not subset_done:
        s_fr, s_en = _SUBSETS[subset_key]
        fr, en = f"{fr}, {s_fr}", f"{en}, {s_en}"
    window = prov.get("window")
    if window:
        w_fr, w_en = _window_phrase(window)
        fr, en = f"{fr}, {w_fr}", f"{en}, {w_en}"
    kind = _kind_of(unit)
    return FeatureInfo(name, _cap(fr), _cap(en), unit, kind, transform, group, decimals,
                       col if kind == "category" else None, table, None)


def _features_provenance() -> Callable[[str], Mapping[str, Any]] | None:
    try:
        from model import features  # noqa: PLC0415 - optional, written by another module
    except ImportError:
        return None
    return getattr(features, "feature_provenance", None)


@cache
def feature_info(name: str) -> FeatureInfo:
    """A model input: an application column, a hand-labelled ratio, or a feature described by its provenance.

    Raises :class:`UnknownFeatureError` (a ``KeyError``) when no label can be built.
    """
    if name in _APPLICATION:
        return _application_info(name)
    override = _override_info(name)
    if override is not None:
        return override
    provenance = _features_provenance()
    if provenance is None:
        raise UnknownFeatureError(f"unknown feature {name!r} (not a raw column, no override, "
                                  "and model.features.feature_provenance is not available)")
    try:
        prov = provenance(name)
    except KeyError as exc:
        raise UnknownFeatureError(f"unknown feature {name!r}: {exc}") from exc
    if prov is None:
        raise UnknownFeatureError(f"unknown feature {name!r}: no provenance")
    return info_from_provenance(name, prov)


def feature_label(name: str, lang: Lang = "fr") -> str:
    return feature_info(name).label(lang)


_UNIT_WORDS = {"years": ("ans", "years"), "days": ("jours", "days"), "months": ("mois", "months"),
               "currency": ("€", "€"), "ratio": ("%", "%"), "percent": ("%", "%"), "rate": ("%", "%"),
               "hour": ("h", "h")}


def axis_label(name: str, lang: Lang = "fr") -> str:
    """The label with its display unit, for chart axes: "Âge (ans)", "Loan amount (€)"."""
    info = feature_info(name)
    word = _UNIT_WORDS.get(info.unit)
    return f"{info.label(lang)} ({word[0 if check_lang(lang) == 'fr' else 1]})" if word else info.label(lang)


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------
_YES_NO = {"fr": ("oui", "non"), "en": ("yes", "no")}
_SENTINEL_TEXT = {"DAYS_EMPLOYED": {"fr": "sans emploi / retraité", "en": "not employed / retired"}}
_NO_DATE = {"fr": "pas de date", "en": "no date"}
_TRUE = {"1", "1.0", "y", "yes", "true", "oui"}
_FALSE = {"0", "0.0", "n", "no", "false", "non"}


def _plural(n: float, words: tuple[str, str], lang: str) -> str:
    """French: singular below 2 ("0 jour", "1,5 an"); English: singular for exactly 1."""
    singular = abs(n) < 2 if lang == "fr" else abs(n) == 1
    return words[0] if singular else words[1]


_DURATION_WORDS = {
    "years": {"fr": ("an", "ans"), "en": ("year", "years")},
    "days": {"fr": ("jour", "jours"), "en": ("day", "days")},
    "months": {"fr": ("mois", "mois"), "en": ("month", "months")},
}


def display_value(name: str, value: Any) -> float | None:
    """The number in display units, for charts: DAYS_BIRTH -12005 → 32.87 (years); ratios stay fractions.

    None for missing values, sentinels and categories.
    """
    return _display(feature_info(name), value)


def _display(info: FeatureInfo, value: Any) -> float | None:
    if is_missing(value) or info.kind == "category":
        return None
    if info.kind == "flag":
        b = _as_bool(value)
        return None if b is None else float(b)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if info.sentinel is not None and x == info.sentinel:
        return None
    if info.transform == "days_to_years":
        return abs(x) / 365.25
    if info.transform in ("days_ago", "months_ago"):
        return -x if x else 0.0
    return x


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    try:
        return float(value) != 0
    except (TypeError, ValueError):
        return None


def format_value(name: str, value: Any, lang: Lang = "fr") -> str:
    """A value as a relationship manager would read it to a client (see the module docstring)."""
    return format_info_value(feature_info(name), value, lang)


def format_column_value(table: str, column: str, value: Any, lang: Lang = "fr") -> str:
    """Same as :func:`format_value` for a raw column of any Kaggle table."""
    return format_info_value(column_info(table, column), value, lang)


def format_info_value(info: FeatureInfo, value: Any, lang: Lang = "fr") -> str:
    lang = check_lang(lang)
    if is_missing(value):
        return t("common.not_provided", lang)
    if info.kind == "category":
        return level_label(info.source or info.name, value, lang)
    if info.kind == "flag":
        b = _as_bool(value)
        return t("common.not_provided", lang) if b is None else _YES_NO[lang][0 if b else 1]
    try:
        raw = float(value)
    except (TypeError, ValueError):
        return str(value)
    if info.sentinel is not None and raw == info.sentinel:
        return _SENTINEL_TEXT.get(info.source or info.name, _NO_DATE)[lang]
    x = _display(info, raw)
    assert x is not None
    unit = info.unit
    dec = info.decimals
    if unit in ("ratio", "percent", "rate"):
        return format_percent(x, lang, 0 if dec is None else dec)
    if unit == "currency":
        return format_currency(x, lang, 0 if dec is None else dec)
    if unit in _DURATION_WORDS:
        dec = (1 if unit == "years" else 0) if dec is None else dec
        if unit == "years" and dec == 0:
            x = math.floor(x + 1e-9) if x >= 0 else math.ceil(x - 1e-9)   # completed years
        else:
            x = round(x, dec)
        if float(x).is_integer():
            dec = 0
        return f"{format_number(x, lang, dec)}{NBSP}{_plural(x, _DURATION_WORDS[unit][lang], lang)}"
    if unit == "hour":
        h = int(round(x)) % 24
        return f"{h}{NBSP}h" if lang == "fr" else f"{h:02d}:00"
    if unit == "count":
        dec = 1 if dec is None else dec
        return format_number(x, lang, 0 if float(round(x, dec)).is_integer() else dec)
    if unit == "score":
        return format_number(x, lang, 2 if dec is None else dec)
    if unit == "area":
        return format_number(x, lang, 3 if dec is None else dec)
    return format_number(x, lang, (0 if float(x).is_integer() else 2) if dec is None else dec)
