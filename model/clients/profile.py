"""A client's own information, grouped as the Profile screen shows it: which fields each
group offers (what a relationship manager talks about first, then the application columns the
model relies on most, then the rest by importance) and their values in words.

Fields the client did not provide are not listed (only counted), so a group opens on what is
known; a group with nothing known is reported as such rather than drawn as a card.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from model.text.formatting import is_missing
from model.text.labels import UnknownFeatureError, feature_info, format_info_value
from model.text.languages import Lang

PROFILE_PER_GROUP = 10

#: What a relationship manager talks about first, in this order, within each group: the credit
#: asked for, income and employment, age and family, housing.
MANAGER_FIELDS: tuple[str, ...] = (
    "AMT_CREDIT", "NAME_CONTRACT_TYPE", "AMT_ANNUITY", "AMT_GOODS_PRICE", "CREDIT_TERM_MONTHS",
    "ANNUITY_INCOME_RATIO", "CREDIT_INCOME_RATIO",
    "AMT_INCOME_TOTAL", "NAME_INCOME_TYPE", "OCCUPATION_TYPE", "ORGANIZATION_TYPE", "DAYS_EMPLOYED",
    "INCOME_PER_PERSON",
    "DAYS_BIRTH", "NAME_FAMILY_STATUS", "CNT_CHILDREN", "CNT_FAM_MEMBERS", "NAME_EDUCATION_TYPE", "FLAG_OWN_CAR",
    "OWN_CAR_AGE", "NAME_TYPE_SUITE",
    "NAME_HOUSING_TYPE", "FLAG_OWN_REALTY", "REGION_RATING_CLIENT", "REGION_POPULATION_RELATIVE",
)

#: Engineered features that say the same thing as a raw column in another unit ("Âge" and "Âge en
#: années"): not offered when their twin is.
TWINS: dict[str, str] = {"AGE_YEARS": "DAYS_BIRTH", "EMPLOYED_YEARS": "DAYS_EMPLOYED"}


@dataclass(frozen=True)
class ProfileSection:
    """One group of a client's profile: the fields shown (label, value in words) and how many
    fields of the group were not provided (hidden)."""

    group: str
    rows: list[tuple[str, str]]
    hidden: int = 0


def without_twins(features: Sequence[str]) -> list[str]:
    """``features`` without the engineered twins of raw columns also present."""
    present = set(features)
    return [f for f in features if TWINS.get(f) not in present]


def profile_fields(features: Sequence[str], importance_order: Sequence[str], groups: Iterable[str],
                   per_group: int | None = PROFILE_PER_GROUP) -> dict[str, list[str]]:
    """{group: features} for the chosen vocabulary groups: the manager's fields first
    (:data:`MANAGER_FIELDS`), then application columns the model relies on, then the features
    the model relies on most; at most ``per_group`` each (None: all)."""
    rank = {f: i for i, f in enumerate(importance_order)}
    manager = {f: i for i, f in enumerate(MANAGER_FIELDS)}
    position = {f: i for i, f in enumerate(features)}
    chosen = list(groups)
    out: dict[str, list[str]] = {g: [] for g in chosen}
    for f in without_twins(list(features)):
        try:
            info = feature_info(f)
        except (UnknownFeatureError, KeyError):
            continue
        if info.group in out:
            out[info.group].append(f)
    for names in out.values():
        names.sort(key=lambda f: (manager.get(f, len(manager)),
                                  0 if feature_info(f).table == "application" and f in rank else 1,
                                  rank.get(f, len(rank)), position[f]))
        if per_group is not None:
            del names[per_group:]
    return {g: v for g, v in out.items() if v}


def profile_sections(row: pd.Series, features: Sequence[str], importance_order: Sequence[str],
                     groups: Iterable[str], fields: Iterable[str] = (), lang: Lang = "fr",
                     per_group: int = PROFILE_PER_GROUP) -> list[ProfileSection]:
    """The profile of one client, one :class:`ProfileSection` per chosen group (in the order given).

    With fields chosen by the manager: those fields, as they are (even when not provided).
    Otherwise the main fields of each group the client provided (at most ``per_group``), the
    others counted in ``hidden``; a group where nothing is provided has no rows.
    """
    chosen_groups = list(groups)
    picked = [f for f in fields if f in row.index]
    if picked:
        by_group: dict[str, list[str]] = {}
        for f in picked:
            g = feature_info(f).group
            if g in chosen_groups:
                by_group.setdefault(g, []).append(f)
        return [ProfileSection(g, [_row(f, row[f], lang) for f in by_group[g]]) for g in chosen_groups
                if g in by_group]
    sections = []
    for g, names in profile_fields(list(features), importance_order, chosen_groups, per_group=None).items():
        given = [f for f in names if f in row.index and not is_missing(row[f])]
        sections.append(ProfileSection(g, [_row(f, row[f], lang) for f in given[:per_group]],
                                       hidden=len(names) - len(given)))
    return sections


def _row(feature: str, value: object, lang: Lang) -> tuple[str, str]:
    info = feature_info(feature)
    return info.label(lang), format_info_value(info, value, lang)
