"""One row of features per client, from the Kaggle tables: the application family, each child
table's family and the combined ratios, in the registry's order and dtypes.

The same code path builds a whole training set and one applicant (``/predict``): only the sizes
differ, so a client's features served equal the ones the model was trained on.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from model.features.application import (
    APP,
    APP_CATEGORICAL,
    APP_DERIVED,
    APP_NUMERIC,
    APP_RAW,
    APP_SENTINEL,
    application_rows,
)
from model.features.arrays import F64, ID, Floats, div, from_codes, numeric_block, schema_codes
from model.features.children import child_features
from model.features.fitted import FITTED_FEATURES
from model.features.registry import CATEGORICAL_FEATURES, CHILDREN, COMBINED, REGISTRY, feature_columns

_CAT_DTYPE = {name: pd.CategoricalDtype(list(REGISTRY[name].levels)) for name in CATEGORICAL_FEATURES}


def build_features(tables: Mapping[str, pd.DataFrame], *, include_children: bool = True) -> pd.DataFrame:
    """One row per client of application_train ∪ application_test present in ``tables``, index
    ``SK_ID_CURR`` (int64), columns ``feature_columns(include_children)`` (no TARGET).

    Numeric columns are float32; ``CATEGORICAL_FEATURES`` are ``category`` with the schema levels.
    ``FITTED_FEATURES`` are missing here: a trained model's ``PopulationFeatures`` fills them.
    A client present in both application files is kept once (its application_train row).
    """
    ids, frames = application_rows(tables)
    first = None
    if len(ids) and len(np.unique(ids)) != len(ids):
        _, first = np.unique(ids, return_index=True)
        first = np.sort(first)
        ids = ids[first]
    n = len(ids)

    # application: one float64 block (a copy) of every numeric column, one row per column
    blocks = [numeric_block(f, APP_NUMERIC) for f in frames]
    block = np.concatenate(blocks, axis=1) if blocks else np.zeros((len(APP_NUMERIC), 0))
    del blocks
    if first is not None:
        block = block[:, first]
    c: dict[str, Floats] = {name: block[j] for j, name in enumerate(APP_NUMERIC)}
    c["_DAYS_EMPLOYED_RAW"] = c["DAYS_EMPLOYED"].copy()
    for name in APP_SENTINEL:
        a = c[name]
        a[a == APP.column(name).sentinel] = np.nan  # our own copy

    values: dict[str, Floats] = {name: c[name] for name in APP_RAW if name in c}
    for name, _, fn in APP_DERIVED:
        values[name] = np.asarray(fn(c), dtype=F64)
    for name in FITTED_FEATURES:
        values[name] = np.full(n, np.nan)
    cats: dict[str, pd.Categorical] = {}
    for name in APP_CATEGORICAL:
        levels = APP.column(name).levels
        parts = [schema_codes(f[name], levels) for f in frames]
        codes = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        if first is not None:
            codes = codes[first]
        cats[name] = from_codes(codes, _CAT_DTYPE[name])

    if include_children:
        child: dict[str, Floats] = {}
        for spec in CHILDREN:
            child_features(spec, tables, ids, child)
        for name, num, den in COMBINED:
            child[name] = div(child[num], c[den])
        for name in CATEGORICAL_FEATURES:
            if name in child:
                v = child.pop(name)
                codes = np.where(np.isnan(v), -1, v).astype(np.int32)
                cats[name] = from_codes(codes, _CAT_DTYPE[name])
        values.update(child)
        del child

    cols = feature_columns(include_children)
    numeric = [k for k in cols if k not in cats]
    out = np.empty((len(numeric), n), dtype=np.float32)  # pandas keeps this (transposed) as one block
    for j, k in enumerate(numeric):
        out[j] = values.pop(k)
    del values, block, c
    index = pd.Index(ids, name=ID, dtype=np.int64)
    frame = pd.DataFrame(out.T, index=index, columns=numeric, copy=False)
    if n <= 10_000:  # small (serving): one reordering take is cheaper than 22 inserts
        return pd.concat([frame, pd.DataFrame(cats, index=index)], axis=1)[cols]
    for i, k in enumerate(cols):  # large: inserting never copies the float32 block
        if k in cats:
            # pandas-stubs leave ExtensionArrays such as Categorical out of insert's values; pandas takes them
            frame.insert(i, k, cats[k])  # type: ignore[arg-type]
    return frame


def target(tables: Mapping[str, pd.DataFrame]) -> pd.Series:
    """TARGET of application_train, indexed by SK_ID_CURR (int64), as int8."""
    train = tables["application_train"]
    ids = train[ID].to_numpy(dtype=np.int64)
    y = train["TARGET"].to_numpy()
    s = pd.Series(y.astype(np.int8), index=pd.Index(ids, name=ID, dtype=np.int64), name="TARGET")
    return s[~s.index.duplicated(keep="first")]
