"""The client directory behind "Find a client": one compact frame built once at start-up.

Filtering hundreds of thousands of clients on every keystroke must stay fast and the
server stateless, so every filterable attribute is precomputed into a small categorical
column (contract, gender, age band, income band, family status, decision). A filter is
then a handful of vectorised ``isin`` masks; a page is one ``iloc`` slice; a client-number
suggestion is a few binary searches over the sorted ids.

    directory = build_directory(scorer.population, scorer.scores, scorer.rule)
    rows = filter_clients(directory, {"gender": ["F"], "decision": ["refused"]})
    first, pages = page(rows, 0, 15)
    suggest(directory, "1000", limit=20)
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.schema import DAYS_PER_YEAR, MISSING_LEVEL
from model.decision import DECISIONS, DecisionRule

#: Age bands in completed years: [low, high) ; the last one is open.
AGE_EDGES: tuple[int, ...] = (18, 25, 35, 45, 55, 65)
#: Monthly income bands in euros (AMT_INCOME_TOTAL is monthly: data/application.toml): [low, high) ; the first and last are open.
INCOME_EDGES: tuple[int, ...] = (100_000, 150_000, 200_000, 300_000)

#: Filter name → (directory column, population column it comes from).
FILTERS: dict[str, str] = {
    "contract": "NAME_CONTRACT_TYPE",
    "gender": "CODE_GENDER",
    "age_band": "DAYS_BIRTH",
    "income_band": "AMT_INCOME_TOTAL",
    "family": "NAME_FAMILY_STATUS",
    "decision": "PROBABILITY",
}
#: Filter level of a client whose attribute is missing.
MISSING = MISSING_LEVEL


class FilterError(ValueError):
    """A filter name or value the directory does not know (the message names it)."""


def age_band_codes() -> list[str]:
    lows, highs = AGE_EDGES, AGE_EDGES[1:] + (None,)
    return [f"{lo}-{hi}" if hi else f"{lo}+" for lo, hi in zip(lows, highs)]


def income_band_codes() -> list[str]:
    codes = [f"<{INCOME_EDGES[0]}"]
    codes += [f"{lo}-{hi}" for lo, hi in zip(INCOME_EDGES, INCOME_EDGES[1:])]
    return codes + [f"{INCOME_EDGES[-1]}+"]


def _bands(values: np.ndarray, edges: Sequence[float], codes: list[str], leading_open: bool) -> pd.Categorical:
    """Band index of each value (NaN → missing level), as a categorical of ``codes`` + MISSING."""
    values = np.asarray(values, dtype=np.float64)
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    if not leading_open:       # age: values below the first edge go into the first band
        idx = np.clip(idx - 1, 0, len(codes) - 1)
    idx = np.where(np.isnan(values), len(codes), idx)
    return pd.Categorical.from_codes(idx.astype(np.int8), categories=pd.Index([*codes, MISSING]))  # type: ignore[arg-type]  # pandas-stubs asks a Sequence; an int8 array is what pandas wants


def _category(series: pd.Series) -> pd.Categorical:
    s = series.astype("category")
    if MISSING not in s.cat.categories:
        s = s.cat.add_categories([MISSING])
    s = s.fillna(MISSING)
    return s.array


def build_directory(population: pd.DataFrame, scores: pd.DataFrame, rule: DecisionRule) -> pd.DataFrame:
    """Compact frame indexed by client number (sorted): one categorical column per filter + probability.

    ``scores`` must hold PROBABILITY for every client of ``population`` (TARGET is kept as
    ``outcome`` 0/1/NaN for the comparisons, never shown per client).
    """
    missing = [c for c in ("NAME_CONTRACT_TYPE", "CODE_GENDER", "DAYS_BIRTH", "AMT_INCOME_TOTAL",
                           "NAME_FAMILY_STATUS") if c not in population.columns]
    if missing:
        raise ValueError(f"population lacks the directory columns {missing}")
    prob = scores["PROBABILITY"].reindex(population.index)
    if prob.isna().any():
        raise ValueError(f"{int(prob.isna().sum())} client(s) have no probability in scores")
    age = np.abs(population["DAYS_BIRTH"].to_numpy(np.float64)) / DAYS_PER_YEAR
    frame = pd.DataFrame({
        "contract": _category(population["NAME_CONTRACT_TYPE"]),
        "gender": _category(population["CODE_GENDER"]),
        "age_band": _bands(age, AGE_EDGES, age_band_codes(), leading_open=False),
        "income_band": _bands(population["AMT_INCOME_TOTAL"].to_numpy(), INCOME_EDGES, income_band_codes(),
                              leading_open=True),
        "family": _category(population["NAME_FAMILY_STATUS"]),
        "probability": prob.to_numpy(np.float32),
        "decision": pd.Categorical(rule.decide_all(prob.to_numpy()), categories=list(DECISIONS)),
    }, index=pd.Index(population.index.to_numpy(np.int64), name="SK_ID_CURR"))
    return frame.sort_index()


def filter_levels(directory: pd.DataFrame) -> dict[str, list[str]]:
    """Levels each filter can take (those present in the directory, in a stable order)."""
    out = {}
    for name in FILTERS:
        col = directory[name]
        present = set(col.unique().tolist())
        out[name] = [c for c in col.cat.categories if c in present]
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def validate_filters(directory: pd.DataFrame, filters: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Filters as {name: [levels]}; empty selections dropped; unknown names or levels raise FilterError."""
    clean: dict[str, list[str]] = {}
    for name, value in (filters or {}).items():
        if name not in FILTERS:
            raise FilterError(f"unknown filter {name!r}; use one of {sorted(FILTERS)}")
        levels = _as_list(value)
        if not levels:
            continue
        known = set(directory[name].cat.categories)
        bad = [v for v in levels if v not in known]
        if bad:
            raise FilterError(f"unknown value(s) {bad} for filter {name!r}")
        clean[name] = levels
    return clean


def filter_clients(directory: pd.DataFrame, filters: Mapping[str, Any] | None) -> pd.DataFrame:
    """Clients matching every filter (within a filter, any of the chosen levels)."""
    clean = validate_filters(directory, filters)
    if not clean:
        return directory
    mask = np.ones(len(directory), dtype=bool)
    for name, levels in clean.items():
        col = directory[name].array
        codes = [col.categories.get_loc(v) for v in levels]
        mask &= np.isin(col.codes, codes)
    return directory[mask]


def page_count(n_rows: int, size: int) -> int:
    return max(1, math.ceil(n_rows / size))


def page(frame: pd.DataFrame, number: int, size: int) -> tuple[pd.DataFrame, int]:
    """Rows of page ``number`` (0-based, clamped to the existing pages) and the number of pages."""
    if size <= 0:
        raise ValueError("page size must be positive")
    pages = page_count(len(frame), size)
    number = min(max(int(number or 0), 0), pages - 1)
    return frame.iloc[number * size:(number + 1) * size], pages


#: A client number as typed or linked: ASCII digits only (``str.isdigit`` accepts '²' and other
#: Unicode digits that ``int`` refuses), at most 18 of them (always an int64, far below the 4,300
#: digits beyond which ``int`` refuses a string).
_CLIENT_NUMBER = re.compile(r"[0-9]{1,18}")


def parse_client_id(value: Any) -> int | None:
    """The client number in a search box, a URL or a dropdown value, or None when it is not one.

    The one reading of a typed or linked client number: the search box, the page's URL and the
    suggestions all go through it, so no input reaches ``int()`` unchecked.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value) if 0 <= value < 10**18 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    return int(text) if _CLIENT_NUMBER.fullmatch(text) else None


def suggest(directory: pd.DataFrame, prefix: Any, limit: int = 20) -> list[int]:
    """Client numbers starting with the typed digits: exact match first, then shortest, then ascending.

    Uses the sorted index: ids starting with P are, for each count k of remaining digits,
    the range [P·10^k, (P+1)·10^k) — a few binary searches, whatever the number of clients.
    """
    text = str(prefix or "").strip()
    number = parse_client_id(text)
    if number is None or text.startswith("0") or limit <= 0:   # client numbers never start with 0
        return []
    ids = directory.index.to_numpy()
    if len(ids) == 0:
        return []
    p = number
    max_digits = len(str(int(ids[-1])))
    out: list[int] = []
    for k in range(0, max(0, max_digits - len(text)) + 1):
        lo, hi = p * 10 ** k, (p + 1) * 10 ** k
        a, b = np.searchsorted(ids, lo, "left"), np.searchsorted(ids, hi, "left")
        out.extend(int(x) for x in ids[a:min(b, a + limit - len(out))])
        if len(out) >= limit:
            break
    return out
