"""A client's own information, grouped as the Profile screen shows it: which fields each
group offers (application columns first, then what the model relies on most) and their values
in words."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from model.text.labels import UnknownFeatureError, feature_info, format_info_value
from model.text.languages import Lang

PROFILE_PER_GROUP = 10


def profile_fields(features: Sequence[str], importance_order: Sequence[str], groups: Iterable[str],
                   per_group: int | None = PROFILE_PER_GROUP) -> dict[str, list[str]]:
    """{group: features} for the chosen vocabulary groups: application columns first, then the
    features the model relies on most; at most ``per_group`` each (None: all)."""
    rank = {f: i for i, f in enumerate(importance_order)}
    chosen = list(groups)
    out: dict[str, list[str]] = {g: [] for g in chosen}
    for f in features:
        try:
            info = feature_info(f)
        except (UnknownFeatureError, KeyError):
            continue
        if info.group in out:
            out[info.group].append(f)
    for names in out.values():
        names.sort(key=lambda f: (0 if feature_info(f).table == "application" and f in rank else 1,
                                  rank.get(f, len(rank)), features.index(f) if isinstance(features, list) else 0))
        if per_group is not None:
            del names[per_group:]
    return {g: v for g, v in out.items() if v}


def profile_sections(row: pd.Series, features: Sequence[str], importance_order: Sequence[str],
                     groups: Iterable[str], fields: Iterable[str] = (), lang: Lang = "fr"
                     ) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(group, [(label, formatted value)])] of one client: the chosen fields, or the main ones
    of each chosen group when no field is chosen."""
    chosen_groups = list(groups)
    picked = [f for f in fields if f in row.index]
    if picked:
        by_group: dict[str, list[str]] = {}
        for f in picked:
            g = feature_info(f).group
            if g in chosen_groups:
                by_group.setdefault(g, []).append(f)
        layout = {g: by_group[g] for g in chosen_groups if g in by_group}
    else:
        layout = profile_fields(list(features), importance_order, chosen_groups)
    return [(g, [(feature_info(f).label(lang), format_info_value(feature_info(f), row[f], lang)) for f in names])
            for g, names in layout.items()]
