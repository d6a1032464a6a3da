"""Tables written as the Kaggle files are (unquoted header, text values quoted when needed, whole-number
floats kept as floats), in CSV or Parquet, each through a temporary file renamed at the end.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from data.generate.tables import iter_tables
from data.schema import TABLES

FORMATS = ("csv", "parquet")

# ---- writing ---------------------------------------------------------------------------
_INTEGRAL = r"^(-?\d+)$"


def _arrow_column(s: pd.Series, kind: str, for_csv: bool) -> pa.Array:
    if kind == "category":
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy()
            cats = pa.array([str(x) for x in s.cat.categories], type=pa.string())
            return pc.take(cats, pa.array(codes, mask=codes < 0))
        return pa.array(s.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    if kind == "int":
        return pa.array(s.to_numpy(dtype=np.int64))
    x = s.to_numpy(dtype=np.float64)
    arr = pa.array(x, from_pandas=True)  # NaN -> null (an empty CSV field)
    if for_csv and not np.isnan(x).any() and np.array_equal(x, np.round(x)):
        # Arrow writes 1.0 as "1": a float column with only whole numbers and no blank would read
        # back as int64, so such columns are written as text "1.0" (quoted, still numeric to pandas).
        arr = pc.replace_substring_regex(pc.cast(arr, pa.string()), pattern=_INTEGRAL, replacement=r"\1.0")
    return arr


def write_table(df: pd.DataFrame, name: str, out: Path, fmt: str = "csv") -> Path:
    """Write one table as ``out/<name>.<fmt>`` with the Kaggle columns and types."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    spec = TABLES[name]
    for_csv = fmt == "csv"
    table = pa.table({c.name: _arrow_column(df[c.name], c.kind, for_csv) for c in spec.columns})
    path = Path(out) / f"{name}.{fmt}"
    tmp = path.with_suffix(path.suffix + ".tmp")
    if for_csv:  # Kaggle-style unquoted header; text values quoted (e.g. "Spouse, partner")
        with open(tmp, "wb") as f:
            f.write((",".join(spec.column_names) + "\n").encode())
            pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, quoting_style="needed",
                                                         batch_size=65536))
    else:
        pq.write_table(table, tmp, compression="snappy")
    tmp.replace(path)
    return path


def write_tables(frames: dict[str, pd.DataFrame], out: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write every frame of ``frames`` (keyed by Kaggle file name) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return {name: write_table(df, name, out, fmt) for name, df in frames.items()}


def generate_to(out: Path, n_train: int, n_test: int, seed: int, fmt: str = "csv",
                on_table: Callable[[str, int, float], object] | None = None) -> dict[str, Path]:
    """Generate and write table by table (memory stays at one table); ``on_table(name, rows, seconds)``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    t0 = time.perf_counter()
    for name, df in iter_tables(n_train, n_test, seed):
        paths[name] = write_table(df, name, out, fmt)
        t1 = time.perf_counter()
        if on_table:
            on_table(name, len(df), t1 - t0)
        t0 = t1
        del df
    return paths
