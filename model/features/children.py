"""What the five child tables share: a table declared as derived row columns and blocks of
aggregates (by subset and recent window), and the one engine that computes every table's
per-client features from that declaration.

Each table's own module (bureau, previous, pos_cash, installments, credit_card) holds its
declaration, how its derived row columns are computed and what its subsets and windows select.
Every value of a client depends only on that client's rows (no cross-client statistic), so one
client built alone equals its row of a batch build.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import pandas as pd

from data.schema import TABLES
from model.features.arrays import F64, ID, Codes, Floats, Group, Ints, Mask, dense_indexer, f64, schema_codes
from model.features.spec import FeatureSpec, schema_levels


@dataclass(frozen=True)
class Block:
    subset: str | None
    window: str | None
    aggs: tuple[tuple[str, tuple[str, ...]], ...]
    count: bool = True


@dataclass(frozen=True)
class ChildSpec:
    table: str
    prefix: str
    derived: Mapping[str, str]                      # derived row column -> formula
    subsets: Mapping[str, str]                      # subset name -> rule
    windows: Mapping[str, str]                      # window name -> rule
    blocks: tuple[Block, ...]
    prepare: Callable[[Rows, Mapping[str, pd.DataFrame]], None]  # puts the derived row columns in Rows.cache
    masks: Callable[[Rows], dict[str, Mask]]        # subset / window name -> row mask
    last: tuple[str, ...] = ()                      # sources taken on the most recent row
    last_rule: str = ""
    categorical_last: Mapping[str, str] | None = None  # source -> schema column for levels
    source_table: Mapping[str, str] | None = None      # source -> table it comes from, if not `table`
    last_time: str = "MONTHS_BALANCE"               # the most recent row has its largest value


def aggregates(subset: str | None, window: str | None, spec: str, count: bool = True) -> Block:
    """Block from a compact spec: 'COL:min,max,mean; COL2:sum'."""
    aggs: list[tuple[str, tuple[str, ...]]] = []
    for part in spec.split(";"):
        part = part.strip()
        if part:
            col, hows = part.split(":")
            aggs.append((col.strip(), tuple(h.strip() for h in hows.split(","))))
    return Block(subset, window, tuple(aggs), count)


def feature_name(prefix: str, subset: str | None, window: str | None, source: str | None, agg: str) -> str:
    return "_".join(p for p in (prefix, subset, window, source, agg.upper()) if p)


class _BlockFields(TypedDict):
    """The FeatureSpec fields shared by every feature of one aggregation block."""

    subset: str | None
    window: str | None
    children: bool
    subset_rule: str | None
    window_rule: str | None


def child_specs(spec: ChildSpec) -> list[FeatureSpec]:
    """The features of one child table, in order: each block's count and aggregates, then the last-row values."""
    specs = []
    src_table = spec.source_table or {}
    for block in spec.blocks:
        common: _BlockFields = {
            "subset": block.subset, "window": block.window, "children": True,
            "subset_rule": spec.subsets.get(block.subset) if block.subset else None,
            "window_rule": spec.windows.get(block.window) if block.window else None}
        if block.count:
            specs.append(FeatureSpec(feature_name(spec.prefix, block.subset, block.window, None, "count"),
                                     spec.table, None, "count", **common))
        for source, hows in block.aggs:
            for how in hows:
                specs.append(FeatureSpec(feature_name(spec.prefix, block.subset, block.window, source, how),
                                         src_table.get(source, spec.table), source, how,
                                         formula=spec.derived.get(source), **common))
    cat_last = spec.categorical_last or {}
    for source in spec.last:
        levels = schema_levels(spec.table, cat_last[source]) if source in cat_last else ()
        specs.append(FeatureSpec(feature_name(spec.prefix, None, None, source, "last"), spec.table, source, "last",
                                 formula=spec.derived.get(source), levels=levels, children=True,
                                 subset_rule=spec.last_rule))
    return specs


class Rows:
    """Float64 row arrays of one child table, restricted to rows of known clients, cached by name."""

    def __init__(self, df: pd.DataFrame, table: str, keep: Ints | None) -> None:
        self.df, self.spec, self.keep = df, TABLES[table], keep
        self.cache: dict[str, Floats] = {}
        self._codes: dict[str, Codes] = {}

    def __len__(self) -> int:
        return len(self.df) if self.keep is None else len(self.keep)

    def num(self, col: str) -> Floats:
        hit = self.cache.get(col)
        if hit is None:
            s = self.df[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                raise TypeError(f"{col} is categorical")
            a = f64(s)  # a copy
            if self.keep is not None:
                a = a[self.keep]
            c = self.spec.column(col) if col in self.spec else None
            if c is not None and c.sentinel is not None:
                a[a == c.sentinel] = np.nan
            hit = self.cache[col] = a
        return hit

    def codes(self, col: str) -> Codes:
        hit = self._codes.get(col)
        if hit is None:
            codes = schema_codes(self.df[col], self.spec.column(col).levels)
            hit = self._codes[col] = codes if self.keep is None else codes[self.keep]
        return hit

    def is_in(self, col: str, values: Iterable[str]) -> Floats:
        """0/1 float of ``col`` in ``values`` (NaN where ``col`` is missing)."""
        levels = self.spec.column(col).levels
        lut = np.zeros(len(levels) + 1, dtype=F64)
        for v in values:
            lut[levels.index(v)] = 1.0
        lut[-1] = np.nan
        return lut[self.codes(col)]

    def cat_float(self, col: str) -> Floats:
        c = self.codes(col).astype(F64)
        c[c < 0] = np.nan
        return c


def _client_codes(df: pd.DataFrame, ids: Ints) -> tuple[Ints, Ints | None]:
    codes = dense_indexer(ids, df[ID].to_numpy())
    if len(codes) and codes.min() < 0:
        keep = np.flatnonzero(codes >= 0)
        return codes[keep], keep
    return codes, None


#: Each table's feature names in order, declared once and kept: one applicant's build stays in milliseconds.
_NAMES: dict[str, list[str]] = {}


def child_features(spec: ChildSpec, tables: Mapping[str, pd.DataFrame], ids: Ints,
                    out: dict[str, Floats]) -> None:
    n = len(ids)
    df = tables.get(spec.table)
    names = _NAMES.get(spec.table)
    if names is None:
        names = _NAMES[spec.table] = [s.name for s in child_specs(spec)]
    if df is None or len(df) == 0 or n == 0:
        for nm in names:
            out[nm] = np.full(n, np.nan)
        return
    codes, keep = _client_codes(df, ids)
    r = Rows(df, spec.table, keep)
    spec.prepare(r, tables)
    masks = spec.masks(r)
    missing = (set(spec.subsets) | set(spec.windows)) - set(masks)
    assert not missing, missing
    full = Group(codes, n)
    present = full.count() > 0
    res: dict[str, Floats] = {}
    for block in spec.blocks:
        mask = None
        for key in (block.subset, block.window):
            if key is not None:
                mask = masks[key] if mask is None else (mask & masks[key])
        if mask is None:
            g, take = full, None
        else:
            take = np.flatnonzero(mask)
            g = Group(codes[take], n)
        if block.count:
            res[feature_name(spec.prefix, block.subset, block.window, None, "count")] = g.count()
        for source, hows in block.aggs:
            x = r.cache[source] if source in r.cache else r.num(source)
            if take is not None:
                x = x[take]
            for how, v in zip(hows, g.aggs(x, hows)):
                res[feature_name(spec.prefix, block.subset, block.window, source, how)] = v
    if spec.last:
        tiebreak = r.num("SK_ID_PREV")
        time = r.num(spec.last_time)
        rows = full.last_rows(time, tiebreak)
        for source in spec.last:
            x = r.cache[source] if source in r.cache else r.num(source)
            res[feature_name(spec.prefix, None, None, source, "last")] = full.last(x, rows)
    for nm in names:
        v = res.pop(nm)
        v[~present] = np.nan
        out[nm] = v
    assert not res, f"computed but not registered: {sorted(res)[:5]}"
