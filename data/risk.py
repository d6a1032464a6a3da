"""The demo's default risk, learned from real clients: small boosted trees over the application.

The generator (:mod:`data.generate`) draws each demo client's TARGET from this model, so the
demo's relations between an application and its default (the credit's term, the goods-price
ratio, the amount against the income, the external scores, ...) and their interactions are
those the real files show, and the What-if screen and the counter-offer respond on the demo as
they do on real data.

Why this shape: a few hundred oblivious trees of depth 4 (CatBoost) ship as aggregates only:
per tree, four (feature, border) splits, the borders being quantile cut points of 32-bin
histograms, and sixteen leaf values, each a regularised mean over the real clients in the leaf;
a leaf reached by fewer than :data:`MIN_LEAF` clients is set to zero, so no value in
``data/risk_model.json`` comes from a handful of clients and no client row is in it. An
additive model of binned columns was tried first: its response to the loan's amount was a
third of the real one (no interactions), and the demo's What-if barely moved.
The trees are evaluated with numpy (:func:`logit`), so the generator needs no model library;
``data/risk_fit.py`` fits them, for ``tools/derive_reference.py``.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from data.schema import DAYS_SENTINEL

RISK_MODEL_PATH = Path(__file__).with_name("risk_model.json")
#: Ratios of the loan's terms and of the client's means (numerator, denominator): a real
#: client's risk depends on them more than on either amount alone (the credit's term is
#: AMT_CREDIT / AMT_ANNUITY in months, up to the interest rate).
RATIOS: dict[str, tuple[str, str]] = {
    "CREDIT_OVER_ANNUITY": ("AMT_CREDIT", "AMT_ANNUITY"),
    "GOODS_OVER_CREDIT": ("AMT_GOODS_PRICE", "AMT_CREDIT"),
    "ANNUITY_OVER_INCOME": ("AMT_ANNUITY", "AMT_INCOME_TOTAL"),
    "CREDIT_OVER_INCOME": ("AMT_CREDIT", "AMT_INCOME_TOTAL"),
}
#: A category level becomes an input (one 0/1 column) when at least this many real clients hold it.
MIN_LEVEL = 100
#: A leaf reached by fewer real clients than this gets the value 0 in the shipped model.
MIN_LEAF = 50
NOT_INPUTS = ("SK_ID_CURR", "TARGET")
_Floats = npt.NDArray[np.float64]


def risk_frame(app: pd.DataFrame) -> pd.DataFrame:
    """The application's columns and :data:`RATIOS` (DAYS_EMPLOYED's 365243 blank)."""
    out = app.drop(columns=[c for c in NOT_INPUTS if c in app.columns]).copy()
    if "DAYS_EMPLOYED" in out:
        out["DAYS_EMPLOYED"] = out["DAYS_EMPLOYED"].where(out["DAYS_EMPLOYED"] != DAYS_SENTINEL)
    for name, (num, den) in RATIOS.items():
        d = pd.to_numeric(out[den], errors="coerce").astype(float)
        out[name] = pd.to_numeric(out[num], errors="coerce").astype(float) / d.where(d > 0)
    return out


def _is_category(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s)


def inputs_of(app: pd.DataFrame) -> list[str]:
    """The model's input names for a real application table: numeric columns and ratios, then one
    ``COLUMN=level`` indicator per category level held by :data:`MIN_LEVEL` clients."""
    frame = risk_frame(app)
    names = [c for c in frame.columns if not _is_category(frame[c])]
    for c in frame.columns:
        if _is_category(frame[c]):
            counts = frame[c].dropna().astype(str).value_counts()
            names += [f"{c}={lv}" for lv in sorted(counts[counts >= MIN_LEVEL].index)]
    return names


def matrix(app: pd.DataFrame, names: list[str]) -> npt.NDArray[np.float64]:
    """The inputs ``names`` of every client, as floats (blank = NaN; an indicator is 0 when blank)."""
    frame = risk_frame(app)
    out = np.empty((len(frame), len(names)), dtype=np.float64)
    levels: dict[str, np.ndarray] = {}   # each category column as strings once, blanks as None
    for j, name in enumerate(names):
        col, eq, level = name.partition("=")
        if eq:
            if col not in levels:
                values = frame[col].astype(object)
                text = values.astype(str).to_numpy(dtype=object)
                text[values.isna().to_numpy()] = None
                levels[col] = text
            out[:, j] = levels[col] == level
        else:
            out[:, j] = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
    return out


def logit(model: Mapping[str, Any], app: pd.DataFrame) -> _Floats:
    """Each client's log-odds of default under ``model`` (oblivious trees: a split sends a value
    above its border right, a blank left, as CatBoost does)."""
    x = matrix(app, list(model["inputs"]))
    out = np.full(len(x), float(model["intercept"]))
    for tree in model["trees"]:
        leaf = np.zeros(len(x), dtype=np.int64)
        for bit, (feature, border) in enumerate(tree["splits"]):
            leaf |= (x[:, feature] > border).astype(np.int64) << bit
        out += np.asarray(tree["leaves"])[leaf]
    return out


_MODEL: dict[str, Any] | None = None


def shipped() -> dict[str, Any]:
    """The risk model in ``data/risk_model.json``."""
    global _MODEL
    if _MODEL is None:
        _MODEL = json.loads(RISK_MODEL_PATH.read_text())
    return _MODEL
